"""``netverify check -o text``: the report a person reads in a terminal or a CI log.

First one line per property and invariant, so the verdicts fit on one screen;
then the details of everything that did not simply hold (each counterexample
with the manifest line at fault and the engine's trace); last, the totals, where
a CI log viewer shows them without scrolling.

>>> from verifier.properties import CheckReport, PropertyResult, Status
>>> ok = PropertyResult("unique-pod-ips", "unique-pod-ips", Status.HOLDS, "no two pods share an IP", seconds=0.12)
>>> print(render_text(CheckReport((ok,), 0.12)))
HOLDS     unique-pod-ips  0.12s
<BLANKLINE>
1 property: 1 holds, 0 violated, 0 unknown (0.1s)
"""

from __future__ import annotations

import click

from ..properties import CheckReport, PropertyResult, Status
from .describe import grouped_counterexamples, summary_line, title
from .known import new_only, suppressed_lines, verdict_note

__all__ = ["detail_lines", "inferred_lines", "render_text", "status_label", "verdict_lines"]

_COLOURS = {Status.HOLDS: "green", Status.VIOLATED: "red", Status.UNKNOWN: "yellow"}
_WIDTH = max(len(str(s)) for s in Status)


def status_label(status: Status, *, color: bool = False) -> str:
    """``HOLDS``/``VIOLATED``/``UNKNOWN``, padded to one width, coloured on request.

    Padding is added outside the colour codes so columns line up either way.
    """
    word = str(status)
    styled = (
        click.style(word, fg=_COLOURS[status], bold=True if status is not Status.HOLDS else None)
        if color
        else word
    )
    return styled + " " * (_WIDTH - len(word))


def render_text(report: CheckReport, *, color: bool = False) -> str:
    """The whole report as text. ``color=True`` adds ANSI colours (only for a terminal)."""
    sections = [inferred_lines(report.inferred), verdict_lines(report, color=color)]
    for r in report.results:
        details = detail_lines(r)
        if details:
            sections.append(
                [f"{status_label(r.status, color=color)}  {title(r)}: {r.statement}", *details]
            )
    total = summary_line(report)
    sections.append([click.style(total, fg=_COLOURS[report.outcome]) if color else total])
    return "\n\n".join("\n".join(lines) for lines in sections if lines)


def inferred_lines(inferred) -> list[str]:
    """The header: what the verdicts assume because the input showed it, not a configuration.

    >>> from verifier.model import Inference
    >>> print("\\n".join(inferred_lines((Inference("clusterDomain", "corp.local", "2 pods"),))))
    inferred from the input (set them in a ClusterNetwork object to override):
      clusterDomain: corp.local (from 2 pods)
    """
    if not inferred:
        return []
    head = "inferred from the input (set them in a ClusterNetwork object to override):"
    return [head, *(f"  {i}" for i in inferred)]


def implicit_lines(cluster) -> list[str]:
    """What every cluster runs that the input does not show, as netverify assumes it.

    >>> from verifier.model import Cluster, Node, ip_network
    >>> from verifier.semantics.infrastructure import with_implicit_infrastructure
    >>> c = with_implicit_infrastructure(
    ...     Cluster(nodes=(Node("n1", pod_cidrs=(ip_network("10.244.1.0/24"),)),)))
    >>> print("\\n".join(implicit_lines(c)))
    assumed (every cluster runs them; the input does not show them):
      Service kube-system/kube-dns 10.96.0.10 (coredns profile): pods kube-system/coredns-0 10.244.1.254 on n1, kube-system/coredns-1 10.244.1.253 on n1
      Service default/kubernetes 10.96.0.1:443 -> 192.168.0.10:6443 (assumed: no control-plane node in the input)
    """
    from ..semantics.infrastructure import API_SERVER_PORT, api_server_addresses
    from ..semantics.selectors import matches, selector_from_labels

    lines = []
    for svc in cluster.services:
        if not svc.source.implicit:
            continue
        ips = ", ".join(map(str, svc.cluster_ips))
        if svc.selector is not None:
            selector = selector_from_labels(svc.selector)
            pods = [
                f"{p.ref} {', '.join(map(str, p.ips))} on {p.node_name}"
                for p in cluster.pods_by_namespace.get(svc.namespace, ())
                if matches(selector, p.labels)
            ]
            profile = cluster.config.dns_profile
            lines.append(
                f"  Service {svc.ref} {ips} ({profile} profile): pods {', '.join(pods) or 'none'}"
            )
        else:
            family = svc.cluster_ips[0].version if svc.cluster_ips else 4
            servers = ", ".join(
                f"{ip}:{API_SERVER_PORT} ({why})"
                for ip, why in api_server_addresses(cluster, family)
            )
            lines.append(f"  Service {svc.ref} {ips}:443 -> {servers}")
    if not lines:
        return []
    return ["assumed (every cluster runs them; the input does not show them):", *lines]


def verdict_lines(report: CheckReport, *, color: bool = False) -> list[str]:
    """One aligned line per property and invariant: status, name, seconds."""
    names = [title(r) for r in report.results]
    times = [f"{r.seconds:.2f}s" for r in report.results]
    width = max(map(len, names), default=0)
    time_width = max(map(len, times), default=0)
    return [
        f"{status_label(r.status, color=color)}  {name.ljust(width)}  {t.rjust(time_width)}"
        + (f"  {verdict_note(r)}" if r.suppressed_counterexamples else "")
        for r, name, t in zip(report.results, names, times, strict=True)
    ]


def more_line(result: PropertyResult) -> str:
    """What a search cut at its limit left unshown.

    >>> from verifier.properties.result import PropertyResult, Status
    >>> r = PropertyResult("p", "p", Status.VIOLATED, "s", truncated=True, more=41, more_exact=True)
    >>> more_line(r)
    'the search stopped at 0 counterexamples; 41 more exist (--max-counterexamples 41 shows every one)'
    """
    n = len(result.counterexamples)
    shown = f"the search stopped at {n} counterexample{'s' if n != 1 else ''}"
    verb = "exists" if result.more == 1 else "exist"
    if result.more and result.more_exact:
        return f"{shown}; {result.more} more {verb} (--max-counterexamples {n + result.more} shows every one)"
    if result.more:
        return f"{shown}; at least {result.more} more {verb} (counting stopped; raise --max-counterexamples to see them)"
    return f"{shown}; more may exist (--max-counterexamples)"


def detail_lines(result: PropertyResult) -> list[str]:
    """What a reader needs beyond the verdict line: the reason, counterexamples, findings."""
    out = []
    if result.reason:
        out.append(f"  reason: {result.reason}")
    # The new counterexamples in full; the known ones (annotation, baseline) one line each.
    out += grouped_counterexamples(new_only(result), indent="  ")
    if result.truncated and result.new_counterexamples and not result.suppressed_counterexamples:
        out.append(f"  {more_line(result)}")
    out += suppressed_lines(result, indent="  ")
    out += [f"  {f.severity}: {f.message}" for f in result.findings]
    return out
