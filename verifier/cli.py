"""``netverify``: the command line (also installed as ``kubectl-netverify``).

Each command loads the cluster state, asks the core one question and renders
the answer. Exit codes are decided here and only here:

=====  ==========================================================
0      reachable / every property holds
1      not reachable / a property is violated
2      bad input or usage (unparseable manifest, unknown pod, bad flag)
3      nothing violated, but the solver could not decide something
70     internal error: a bug in netverify (traceback with ``-v``)
=====  ==========================================================
"""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click

from . import __version__
from .errors import InputError, SoundnessError, UsageError, VerifierError
from .model import PROTOCOLS, Cluster
from .properties import PROPERTY_NAMES, CheckReport, Status
from .report.ci import FORMATS

__all__ = ["main", "cli"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3
#: A bug in netverify (sysexits' EX_SOFTWARE): never a verdict, never bad input.
EXIT_INTERNAL = 70


# --------------------------------------------------------------------------- shared options

#: The ``-v`` count of the running command, for :func:`main`'s internal-error report.
_verbosity = 0


def _remember_verbosity(_ctx: click.Context, _param: click.Parameter, value: int) -> int:
    global _verbosity
    _verbosity = value or 0
    return value


def _verbose_option() -> Callable:
    return click.option(
        "-v",
        "--verbose",
        count=True,
        callback=_remember_verbosity,
        help="List skipped objects and loader warnings (and an internal error's traceback).",
    )


def _check_namespace(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    from .ingest.syntax import dns_label_error

    for ns in value if isinstance(value, tuple) else (value,) if value else ():
        message = dns_label_error(ns)
        if message:
            raise click.BadParameter(f"{ns!r}: {message}")
    return value


def _namespace_option() -> Callable:
    return click.option(
        "-n",
        "--namespace",
        metavar="NS",
        callback=_check_namespace,
        help="Namespace of objects that name none (as kubectl apply -n), and of bare "
        "--from/--to names (default: default).",
    )


def _strict_option() -> Callable:
    return click.option(
        "--strict",
        is_flag=True,
        help="Fail (exit 2) on files of a directory that are no Kubernetes manifests, "
        "and on objects defined in two files, instead of warning.",
    )


def _cluster_options(f: Callable | None = None, *, namespace: bool = True) -> Callable:
    """``-f`` (repeatable), or ``--live`` with kubeconfig flags, plus ``-v``, ``--strict``
    and (unless the command has its own) ``-n``.

    An input error is reported as the command's report too when it writes one
    to a file or in a machine format (see :func:`_report_input_error`).
    """
    if f is None:
        return functools.partial(_cluster_options, namespace=namespace)

    @click.option(
        "-f",
        "--filename",
        "filenames",
        multiple=True,
        metavar="PATH",
        help="Manifest file (.yaml/.yml/.json), directory (walked recursively) or - for stdin. Repeatable.",
    )
    @click.option(
        "--live",
        is_flag=True,
        help="Read the cluster state from the API server (needs netverify[kube]).",
    )
    @click.option("--kubeconfig", metavar="FILE", help="kubeconfig for --live.")
    @click.option("--context", metavar="NAME", help="kubeconfig context for --live.")
    @_strict_option()
    @_verbose_option()
    @functools.wraps(f)
    def wrapper(*args: Any, filenames, live, kubeconfig, context, verbose, strict, **kwargs: Any):
        # matrix's -n filters (repeatable); one -n is also where objects without a namespace go.
        ns = kwargs.get("namespace")
        several = kwargs.get("namespaces") or ()
        if ns is None and len(several) == 1:
            ns = several[0]
        try:
            cluster = load_cluster(
                filenames,
                live=live,
                kubeconfig=kubeconfig,
                context=context,
                verbose=verbose,
                namespace=ns,
                strict=strict,
            )
        except InputError as e:
            if "output_file" in kwargs:  # check: CI reads its report
                _report_input_error(e, kwargs.get("output"), kwargs.get("output_file"))
            raise
        return f(*args, cluster=cluster, verbose=verbose, **kwargs)

    if namespace:
        wrapper = _namespace_option()(wrapper)
    return wrapper


def load_cluster(
    filenames,
    *,
    live=False,
    kubeconfig=None,
    context=None,
    verbose=0,
    namespace=None,
    strict=False,
) -> Cluster:
    """The cluster state of ``-f`` paths (or ``--live``); ``namespace`` is ``-n``.

    With ``--live``, ``-n`` only names the namespace of bare ``--from``/``--to``
    names: the whole cluster is read, as every verdict depends on all of it.
    An input with no pods and no workloads is an input error ("nothing to verify").
    """
    from .ingest import load

    if live:
        from .ingest.live import load_live

        cluster = load_live(kubeconfig=kubeconfig, context=context)
        if all(p.implicit for p in cluster.pods):
            raise InputError("nothing to verify: the cluster has no pods")
    elif not filenames:
        raise click.UsageError("give the cluster state with -f PATH (repeatable), or --live")
    else:
        cluster = load(*filenames, namespace=namespace, strict=strict)
    _report_loading(cluster, verbose)
    # The model lives as long as the command: the garbage collector need not walk its
    # millions of objects again on every collection.
    gc.freeze()
    return cluster


def _report_input_error(error: InputError, output: str | None, output_file: str | None) -> None:
    """``check`` with a report format: a report that says the input did not load.

    CI steps upload or publish the file whatever happened, so it must exist and
    be valid; machine formats on stdout get the same document. stderr lists the
    problems as for any command (:func:`main`).
    """
    if output is None or (output_file is None and output == "text"):
        return
    from .report.ci import Invocation
    from .report.errors import render_input_error

    text = render_input_error(
        error, output, Invocation(exit_code=EXIT_USAGE, inputs=_cluster_inputs())
    )
    if output_file is None:
        click.echo(text.rstrip("\n"))
        return
    try:
        with open(output_file, "w", encoding="utf-8") as f:
            f.write(text.rstrip("\n") + "\n")
    except OSError as e:
        click.echo(f"netverify: cannot write {output_file}: {e.strerror or e}", err=True)


def _report_loading(cluster: Cluster, verbose: int) -> None:
    err = sys.stderr
    warnings = tuple(cluster.warnings)
    if warnings:
        if verbose:
            for w in warnings:
                click.echo(str(w), file=err)
        else:
            # Skipped files are counted apart: they change what was verified.
            from .ingest.documents import SKIPPED

            skipped = sum(1 for w in warnings if w.message.startswith(SKIPPED))
            files = f", {skipped} of them file(s) skipped" if skipped else ""
            click.echo(
                f"netverify: {len(warnings)} warning(s) while loading{files} (-v to list them)",
                file=err,
            )
    if verbose and cluster.skipped:
        summary = ", ".join(f"{kind} x{n}" for kind, n in cluster.skipped)
        click.echo(f"skipped (not part of the network model): {summary}", file=err)
        if verbose > 1:
            for kind, ref, source in cluster.skipped_objects:
                click.echo(f"  {source}: {kind} {ref}", file=err)
    if verbose:
        from .report.console import implicit_lines, inferred_lines

        lines = [*inferred_lines(cluster.inferred), *implicit_lines(cluster)]
        if lines:
            click.echo("\n".join(lines), file=err)


def _timeout_option(help: str):
    """``--timeout``: positive solver seconds (a timeout ends UNKNOWN, never a pass)."""
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=60.0,
        show_default=True,
        help=help,
    )


#: The solver options of check and report (one definition for both).
_timeout = _timeout_option("Solver seconds per property or invariant.")
_max_counterexamples = click.option(
    "--max-counterexamples",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    metavar="K",
    help="Counterexamples to find per property.",
)

_protocol = click.option(
    "--protocol",
    type=click.Choice(PROTOCOLS, case_sensitive=False),
    default="TCP",
    show_default=True,
    callback=lambda _c, _p, v: v.upper() if v else v,
)


def _echo_json(data: Any) -> None:
    from .report.json import dumps

    click.echo(dumps(data))


def _echo_data(data: Any, output: str) -> None:
    """``-o json`` or ``-o yaml``: the same data either way."""
    if output == "yaml":
        from .report.ci import to_yaml

        click.echo(to_yaml(data), nl=False)
    else:
        _echo_json(data)


# --------------------------------------------------------------------------- commands


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="netverify")
def cli() -> None:
    """Prove that a Kubernetes cluster keeps the Kubernetes network model's promises.

    \b
    netverify reach  -f DIR --from NS/POD --to TARGET --port N   one connection, with its trace
    netverify dns    -f DIR --from NS/POD NAME                   a name as that pod resolves it
    netverify matrix -f DIR [-n NS | -A]                         who reaches whom
    netverify check  -f DIR [--property NAME] [-o sarif]         prove the network model's properties
    """


@cli.command()
@_cluster_options
@click.option(
    "--from",
    "source",
    required=True,
    metavar="NS/POD",
    help="The client: ns/pod, node/NAME or an IP.",
)
@click.option(
    "--to",
    "target",
    required=True,
    metavar="TARGET",
    help="ns/pod, an IP, or a DNS name as the client types it; HOST:PORT and [IPv6]:PORT give the port.",
)
@click.option(
    "--port",
    metavar="PORT",
    help="Destination port number or name (default: the Service's or pod's first port).",
)
@_protocol
@click.option(
    "--family",
    type=click.Choice(["4", "6"]),
    help="Address family to use (default: the client's primary).",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "wide", "json", "yaml"]),
    default="text",
    show_default=True,
)
def reach(
    cluster: Cluster,
    verbose: int,
    namespace: str | None,
    source: str,
    target: str,
    port: str | None,
    protocol: str,
    family: str | None,
    output: str,
) -> None:
    """Can SOURCE open a connection to TARGET? Exit 0 if yes, 1 if not (like `kubectl auth can-i`).

    \b
    netverify reach -f k8s/ -n shop --from frontend --to web:80
    netverify reach -f k8s/ --from shop/frontend-0 --to [fd00:10:96::a]:443
    """
    from .engine import trace
    from .query import in_namespace, split_host_port, target_in_namespace
    from .report.text import format_trace

    host, target_port = split_host_port(target)
    if target_port is not None:
        if port is not None and port != target_port:
            raise click.UsageError(
                f"--to {target} names port {target_port} and --port says {port}: give the port once"
            )
        port = target_port
    ns = namespace or "default"
    port_value: int | str | None = int(port) if port and port.isdigit() else port
    result = trace(
        cluster,
        in_namespace(source, ns),
        target_in_namespace(cluster, host, ns),
        port_value,
        protocol,
        family=int(family) if family else None,
    )
    if output in ("json", "yaml"):
        _echo_data(result.to_dict(), output)
    else:
        click.echo(format_trace(result, wide=output == "wide"))
    sys.exit(EXIT_OK if result.reachable else EXIT_FAIL)


@cli.command()
@_cluster_options
@click.option(
    "--from", "source", required=True, metavar="NS/POD", help="The pod whose resolver asks."
)
@click.argument("name")
@click.option(
    "--type",
    "qtype",
    type=click.Choice(["A", "AAAA", "SRV", "PTR", "CNAME", "TXT"], case_sensitive=False),
    default="A",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "json", "yaml"]),
    default="text",
    show_default=True,
)
def dns(
    cluster: Cluster,
    verbose: int,
    namespace: str | None,
    source: str,
    name: str,
    qtype: str,
    output: str,
) -> None:
    """Resolve NAME as the pod SOURCE would: the records, and the search-list walk."""
    from .query import in_namespace, pod_or_workload
    from .report.text import format_resolution
    from .semantics.dns import resolve, undeclared_upstream, wire_rcode

    pod = pod_or_workload(cluster, in_namespace(source, namespace or "default"))
    res = resolve(cluster, pod, name, qtype.upper())
    # A public name the input does not pin: the internet answers it, not the cluster.
    unknown = not res.answers and undeclared_upstream(cluster, name)
    note = (
        f"{name} is resolved outside the cluster and not declared in ClusterNetwork.externalNames: "
        "its real records are not in the input (the NXDOMAIN above is netverify's model)"
        if unknown
        else None
    )
    if output in ("json", "yaml"):
        _echo_data(
            {
                "name": name,
                "type": qtype.upper(),
                # On the wire: a name without records of the type is NOERROR with no answer.
                "rcode": wire_rcode(res.rcode),
                "answers": [
                    r.data
                    for r in res.answers
                    if r.type == qtype.upper() or qtype.upper() == "CNAME"
                ],
                "records": [{"name": r.name, "type": r.type, "data": r.data} for r in res.answers],
                "answered_by": res.answered_by,
                "search": [
                    {"query": a.query_name, "rcode": wire_rcode(a.rcode), "answered": a.answered}
                    for a in res.candidates
                ],
                "upstream_unknown": unknown,
                "note": note,
            },
            output,
        )
    else:
        click.echo(format_resolution(res))
        if note:
            click.echo(f"note: {note}")
    sys.exit(EXIT_OK if res.rcode == "NOERROR" and res.answers else EXIT_FAIL)


@cli.command()
@_cluster_options(namespace=False)
@click.option(
    "-n",
    "--namespace",
    "namespaces",
    multiple=True,
    metavar="NS",
    callback=_check_namespace,
    help="Only pods of this namespace (repeatable); one -n is also the namespace of objects "
    "that name none.",
)
@click.option("-A", "--all-namespaces", is_flag=True, help="Every namespace (the default).")
@click.option("--port", type=click.IntRange(1, 65535), help="Only this destination port.")
@click.option(
    "--protocol", type=click.Choice(PROTOCOLS, case_sensitive=False), help="Only this protocol."
)
@click.option(
    "--family",
    type=click.Choice(["4", "6"]),
    help="Address family (default: the cluster's primary).",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "csv", "json", "yaml"]),
    default="table",
    show_default=True,
)
def matrix(
    cluster: Cluster,
    verbose: int,
    namespaces: tuple[str, ...],
    all_namespaces: bool,
    port: int | None,
    protocol: str | None,
    family: str | None,
    output: str,
) -> None:
    """Which pods reach which: allowed ports and protocols per pod pair."""
    from .matrix import matrix as compute
    from .report.text import format_table

    if namespaces and all_namespaces:
        raise click.UsageError("-n/--namespace and -A/--all-namespaces are mutually exclusive")
    known = {n.name for n in cluster.namespaces} | {p.namespace for p in cluster.pods}
    for ns in namespaces:
        if ns not in known:
            raise UsageError(
                f"unknown namespace {ns!r} (namespaces: {', '.join(sorted(known)) or 'none'})"
            )
    if family and int(family) not in cluster.families:
        raise UsageError(
            f"the cluster has no IPv{family} addresses (families: {', '.join(f'IPv{f}' for f in cluster.families)})"
        )
    with _progress(len(cluster.pods), "matrix") as bar:
        m = compute(
            cluster,
            namespaces or None,
            port=port,
            protocol=protocol.upper() if protocol else None,
            family=int(family) if family else None,
            progress=(lambda n: _advance(bar, n)) if bar else None,
        )
    if output == "json":
        from .report.json import dumps_chunks

        for chunk in dumps_chunks(m.header(), "allowed", m.allowed_rows()):
            click.echo(chunk, nl=False)
        click.echo()
    elif output == "yaml":
        _echo_data(m.to_dict(), output)
    elif output == "csv":
        click.echo(m.frame().to_csv(), nl=False)
    else:
        # Workloads whose pods all agree are one row, named as diff names them.
        rows = [[s, d, str(cell)] for s, d, cell in m.grouped_allowed()]
        click.echo(format_table(rows, ["FROM", "TO", "ALLOWED"]))
        from .report.views import matrix_summary

        summary = matrix_summary(m)
        click.echo(
            f"\n{len(m.pods)} pods in {m.class_count} classes; {summary.allowed} of {summary.pairs} ordered pairs connect",
            err=True,
        )


@cli.command()
@click.option(
    "-f",
    "--filename",
    "filenames",
    multiple=True,
    metavar="PATH",
    help="With two -f: the old state, then the new one.",
)
@click.option(
    "--old",
    "old_paths",
    multiple=True,
    metavar="PATH",
    help="The cluster state before the change (repeatable).",
)
@click.option(
    "--new",
    "new_paths",
    multiple=True,
    metavar="PATH",
    help="The cluster state after the change (repeatable).",
)
@click.option(
    "--fail-on-new-allow",
    is_flag=True,
    help="Exit 1 only when the change newly allows a flow (a pull-request gate).",
)
@_timeout_option("Seconds per solver query.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    metavar="N",
    help="Stop after N changes (the result is then marked truncated, exit 3 if nothing else fails).",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "wide", "json", "yaml", "html"]),
    default="text",
    show_default=True,
    help="html: a self-contained page (both traces of every change), for a pull request.",
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Write the output to FILE instead of stdout.",
)
@_namespace_option()
@_strict_option()
@_verbose_option()
def diff(
    filenames,
    old_paths,
    new_paths,
    fail_on_new_allow,
    timeout,
    limit,
    output,
    output_file,
    namespace,
    strict,
    verbose,
) -> None:
    """What does a change open up? The flows newly allowed and newly denied between two states.

    \b
    netverify diff -f old/ -f new/
    netverify diff --old main/ --new pr/ --fail-on-new-allow
    Exit 0: no difference; 1: some difference (with --fail-on-new-allow: a newly allowed flow);
    3: no such difference found, but the search is incomplete (the solver gave up, or --limit
    was reached), so one may exist; 2: bad input or usage.
    """
    from .diff import diff as compute
    from .report.text import format_diff

    if old_paths or new_paths:
        if filenames or not (old_paths and new_paths):
            raise click.UsageError("give both --old and --new (or exactly two -f)")
    elif len(filenames) == 2:
        old_paths, new_paths = (filenames[0],), (filenames[1],)
    else:
        raise click.UsageError("give the two states as -f OLD -f NEW, or --old OLD --new NEW")
    from .ingest.documents import parse_once

    with parse_once():  # what both states hold is parsed once
        old = load_cluster(old_paths, verbose=verbose, namespace=namespace, strict=strict)
        new = load_cluster(new_paths, verbose=verbose, namespace=namespace, strict=strict)
    result = compute(old, new, timeout=timeout, limit=limit)
    if output == "html":
        from .report.page import diff_page

        root = old_paths[0] if len(old_paths) == 1 else None
        text = diff_page(result, old=" ".join(old_paths), new=" ".join(new_paths), root=root)
    elif output in ("json", "yaml"):
        text = None
        if output_file is None:
            _echo_data(result.to_dict(), output)
        else:
            from .report.ci import to_yaml
            from .report.json import dumps

            data = result.to_dict()
            text = to_yaml(data) if output == "yaml" else dumps(data)
    else:
        text = format_diff(result, wide=output == "wide")
    if text is not None:
        _write_or_echo(text, output_file)
    if result.status != "complete":
        click.echo(f"netverify: the diff is incomplete ({result.status})", err=True)
    sys.exit(_diff_exit_code(result, fail_on_new_allow))


def _write_or_echo(text: str, output_file: str | None) -> None:
    """``text`` to ``output_file``, or to stdout without one."""
    if output_file is None:
        click.echo(text.rstrip("\n"))
        return
    try:
        with open(output_file, "w", encoding="utf-8") as f:
            f.write(text.rstrip("\n") + "\n")
    except OSError as e:
        raise UsageError(f"cannot write {output_file}: {e.strerror or e}") from None


@cli.command("report")
@_cluster_options
@click.option(
    "--invariants",
    "invariants_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also check the invariants declared in FILE.",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="A previous 'check -o json' report: its counterexamples are marked known.",
)
@click.option(
    "-o",
    "--output",
    "output_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    default="netverify-report.html",
    show_default=True,
    help="The HTML file to write (- for stdout).",
)
@_timeout
@_max_counterexamples
@click.option(
    "--no-matrix", is_flag=True, help="Leave out the reachability section (large clusters)."
)
def report_command(
    cluster: Cluster,
    verbose: int,
    namespace: str | None,
    invariants_file: str | None,
    baseline_file: str | None,
    output_file: str,
    timeout: float,
    max_counterexamples: int,
    no_matrix: bool,
) -> None:
    """One self-contained HTML page for a CI artifact: verdicts, counterexamples with their
    traces, what was inferred, reachability by namespace and workload, policy coverage.

    \b
    netverify report -f manifests/ -o netverify-report.html
    netverify report -f manifests/ --invariants invariants.yaml --baseline baseline.json -o report.html
    Exit codes as 'check': 0 everything holds, 1 something violated, 3 undecided, 2 bad input.
    The page is written whatever the verdicts.
    """
    from .properties import check as run_checks
    from .properties import load_invariants
    from .properties.suppress import load_baseline
    from .report.page import report_page

    invariants = load_invariants(invariants_file) if invariants_file else ()
    baseline = load_baseline(baseline_file) if baseline_file else None
    with _check_progress(len(PROPERTY_NAMES) + len(invariants)) as progress:
        report = run_checks(
            cluster,
            None,
            invariants,
            timeout=timeout,
            max_counterexamples=max_counterexamples,
            progress=progress,
            baseline=baseline,
        )
    reachability = []
    if not no_matrix:
        from .matrix import matrix as compute_matrix

        reachability = [compute_matrix(cluster, family=f) for f in cluster.families or (4,)]
    html = report_page(cluster, report, reachability, inputs=_cluster_inputs())
    _write_or_echo(html, None if output_file == "-" else output_file)
    if output_file != "-":
        from .report.describe import summary_line

        click.echo(f"{summary_line(report)}; wrote {output_file}")
    sys.exit(_check_exit_code(report, False))


def _diff_exit_code(result, fail_on_new_allow: bool) -> int:
    """1 for a difference that fails (any, or a newly allowed flow with the gate), else 3 if incomplete, else 0.

    As in ``check``, a violation outranks an unknown: a difference found is
    reported whether or not the search finished.
    """
    failing = result.newly_allowed if fail_on_new_allow else result.changes
    if failing:
        return EXIT_FAIL
    return EXIT_OK if result.status == "complete" else EXIT_UNKNOWN


@cli.command("check")
@_cluster_options
@click.option(
    "--property",
    "properties",
    multiple=True,
    type=click.Choice(PROPERTY_NAMES),
    metavar="NAME",
    help=f"Check only this property (repeatable; default: all). One of: {', '.join(PROPERTY_NAMES)}.",
)
@click.option(
    "--invariants",
    "invariants_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also check the invariants declared in FILE.",
)
@click.option("-o", "--output", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Write the -o format to FILE; stdout then shows the text report.",
)
@_timeout
@_max_counterexamples
@click.option(
    "--soft-fail",
    is_flag=True,
    help="Exit 0 whatever the verdicts (report without failing the pipeline).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="A previous 'check -o json' report: its counterexamples are known and do not fail the check.",
)
def check_command(
    cluster: Cluster,
    verbose: int,
    namespace: str | None,
    properties: tuple[str, ...],
    invariants_file: str | None,
    output: str,
    output_file: str | None,
    timeout: float,
    max_counterexamples: int,
    soft_fail: bool,
    baseline_file: str | None,
) -> None:
    """Prove the network model's properties, and your invariants, for a cluster state.

    \b
    netverify check -f manifests/
    netverify check -f manifests/ --invariants invariants.yaml -o sarif --output-file netverify.sarif
    netverify check -f manifests/ --property isolation -o github
    netverify check -f manifests/ --baseline netverify-baseline.json
    Exit 0: everything holds; 1: something is violated; 3: nothing is violated but
    something could not be decided (solver timeout); 2: bad input or usage.
    Counterexamples suppressed by a netverify.dev/ignore annotation or the
    baseline are reported but do not fail. --soft-fail exits 0 in every case but 2.
    """
    from .properties import check as run_checks
    from .properties import load_invariants
    from .properties.suppress import load_baseline
    from .report.ci import Invocation, render

    try:
        invariants = load_invariants(invariants_file) if invariants_file else ()
        baseline = load_baseline(baseline_file) if baseline_file else None
    except InputError as e:
        _report_input_error(e, output, output_file)
        raise
    with _check_progress(
        len(dict.fromkeys(properties) or PROPERTY_NAMES) + len(invariants)
    ) as progress:
        report = run_checks(
            cluster,
            properties or None,
            invariants,
            timeout=timeout,
            max_counterexamples=max_counterexamples,
            progress=progress,
            baseline=baseline,
        )
    code = _check_exit_code(report, soft_fail)
    invocation = Invocation(exit_code=code, inputs=_cluster_inputs())
    # Colour only for a person at a terminal; never in files, pipes or CI logs.
    tty = sys.stdout.isatty()
    if output_file is None:
        click.echo(render(report, output, invocation, color=output == "text" and tty).rstrip("\n"))
    else:
        try:
            with open(output_file, "w", encoding="utf-8") as f:
                f.write(render(report, output, invocation).rstrip("\n") + "\n")
        except OSError as e:
            raise UsageError(f"cannot write {output_file}: {e.strerror or e}") from None
        click.echo(render(report, "text", invocation, color=tty))
    sys.exit(code)


def _cluster_inputs() -> tuple[str, ...]:
    """The ``-f`` paths of the running command, as typed (SARIF pins unlocated results to the first)."""
    ctx = click.get_current_context(silent=True)
    return tuple(ctx.params.get("filenames", ())) if ctx is not None else ()


def _check_exit_code(report: CheckReport, soft_fail: bool) -> int:
    """0 all hold, 1 any violated, 3 nothing violated but something unknown; 0 with --soft-fail.

    Suppressed counterexamples (annotation, baseline) are not violations here.
    """
    if soft_fail:
        return EXIT_OK
    return {Status.HOLDS: EXIT_OK, Status.VIOLATED: EXIT_FAIL, Status.UNKNOWN: EXIT_UNKNOWN}[
        report.outcome
    ]


@contextlib.contextmanager
def _check_progress(total: int):
    """A progress callback for ``check`` driving a bar on stderr, or None when stderr is no terminal."""
    if total == 0 or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(
        length=total,
        label="netverify check",
        file=sys.stderr,
        show_pos=True,
        show_percent=True,
        item_show_func=lambda name: name,
    ) as bar:

        def progress(name: str, result) -> None:
            if result is None:  # a check starts: name it on the bar
                bar.current_item = name
                bar.render_progress()
            else:
                bar.update(1)

        yield progress


def _advance(bar, total: int) -> None:
    """One more class done, out of ``total`` (the matrix learns its class count as it goes)."""
    bar.length = total
    bar.update(1)


@contextlib.contextmanager
def _progress(size: int, what: str):
    """A bar on stderr for big clusters (``bar.update(n)``), when stderr is a terminal; else None."""
    if size < 500 or not sys.stderr.isatty():
        yield None
        return
    # The number of classes is known only once the computation has grouped the pods.
    with click.progressbar(length=size, label=what, file=sys.stderr, show_pos=True) as bar:
        yield bar


# --------------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; map every error to its exit code. Only this function exits.

    An exception that is no :class:`VerifierError` is a bug in netverify, never a
    verdict and never bad input: it exits 70 (``EX_SOFTWARE``) with "internal
    error, please report", and its traceback with ``-v``.
    """
    global _verbosity
    _verbosity = 0
    err = sys.stderr
    try:
        cli.main(args=argv, prog_name="netverify", standalone_mode=False)
    except SystemExit as e:  # commands exit with their verdict
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_USAGE)
        if argv is None:
            sys.exit(code)
        return code
    except click.exceptions.Abort:
        click.echo("Aborted.", file=err)
        return _exit(argv, EXIT_USAGE)
    except click.ClickException as e:
        e.show(file=err)
        return _exit(argv, EXIT_USAGE)
    except InputError as e:
        click.echo(f"netverify: the cluster state has {len(e.errors)} error(s):", file=err)
        for p in e.problems:
            click.echo(f"  {p}", file=err)
        return _exit(argv, EXIT_USAGE)
    except SoundnessError as e:  # the solver and the engine disagree: a bug, not a verdict
        _internal_error(e)
        return _exit(argv, EXIT_INTERNAL)
    except (UsageError, VerifierError) as e:
        click.echo(f"netverify: error: {e}", file=err)
        return _exit(argv, EXIT_USAGE)
    except Exception as e:  # noqa: BLE001 - anything else is a bug, reported as one
        _internal_error(e)
        return _exit(argv, EXIT_INTERNAL)
    return _exit(argv, EXIT_OK)


def _internal_error(e: Exception) -> None:
    """``netverify: internal error, please report: Type: message``; the traceback with -v."""
    err = sys.stderr
    click.echo(f"netverify: internal error, please report: {type(e).__name__}: {e}", file=err)
    if _verbosity:
        click.echo("".join(traceback.format_exception(e)).rstrip("\n"), file=err)
    else:
        click.echo(
            "netverify: rerun with -v to see the traceback, and include it in the report", file=err
        )


def _exit(argv: list[str] | None, code: int) -> int:
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    main()
