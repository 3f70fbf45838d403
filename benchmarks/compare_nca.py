#!/usr/bin/env python3
"""netverify side by side with network-config-analyzer (NCA): time, memory and answers.

For each size (``PODS:POLICIES:NAMESPACES``) the dump is generated once into
``benchmarks/out/`` (``generate.py``, seed 0), with a one-policy pull request next
to it (an app-to-app allow policy removed). Then, in one
run and alternating the tools, each command runs in a fresh process and is
measured with ``wait4`` (CPU seconds, user + system, and peak RSS of that process):

* ``load``            netverify parses and models the dump (no cache)
* ``matrix``          ``netverify matrix -f C -A -o json`` (no cache), and with the model cache warm
* ``check``           ``netverify check -f C`` (all properties), without and with the cache
* ``diff``            ``netverify diff -f C -f C-pr``, without and with the cache
* ``report``          ``netverify report -f C -o C.html`` (cache warm)
* ``reach``           ``netverify reach -f C --from <a pod> --to <a Service>:<port>`` (cache warm)
* ``nca``             ``nca --connectivity -r C --output_endpoints pods -o txt_no_fw_rules``
* ``nca diff``        ``nca --semantic_diff C-pr -r C-pr --base_resource_list C``
* ``JSON form``       the same cluster written as ``kubectl get -o json`` prints it (``C.json``):
                      netverify's ``load`` and ``matrix`` (no cache) and ``nca --connectivity``
                      on that file, and whether netverify's matrix is byte for byte the one it
                      gave for the YAML form
* ``floor``           what any cold command pays before its own work: starting netverify
                      (``import verifier.cli``) and parsing the file with the fastest parser
                      there is, nothing built (``json.load`` of the JSON form; yaml-rs of the
                      YAML form when it is installed); beside it, NCA's time divided by the
                      issue's target ratio (20x at 1,000 pods, 50x above): the CPU budget of a
                      cold ``matrix``

A command that runs past ``--timeout`` is stopped and reported as such; ``--nca-up-to
PODS`` measures NCA only on the sizes up to that many pods (it needs minutes from
5,000 pods on). Then the
two tools' answers are compared pod pair by pod pair (TCP, UDP and SCTP ports):
every disagreement is printed with its class (see ``benchmarks/README.md``).

NCA is a peer, never a dependency: install it in its own virtualenv and point
``--nca`` (or ``$NCA``) at its ``nca`` script::

    python -m venv /tmp/nca && /tmp/nca/bin/pip install network-config-analyzer
    python benchmarks/compare_nca.py --nca /tmp/nca/bin/nca
    python benchmarks/compare_nca.py --sizes 1000:200:20 --repeat 3 --json out.json

Timing is machine-dependent: compare rows of one run, not runs of two machines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))

DEFAULT_SIZES = ["1000:200:20", "2000:350:35", "5000:800:80"]
PROTOCOLS = ("TCP", "UDP", "SCTP")
ALL_PORTS = ((1, 65535),)


@dataclass
class Run:
    """One measured process."""

    cpu: float | None
    rss_mib: float | None
    code: int | None
    timed_out: bool = False

    def cell(self) -> str:
        if self.timed_out:
            return "timeout"
        if self.cpu is None:
            return "n/a"
        return f"{self.cpu:.2f} s" if self.cpu < 1 else f"{self.cpu:.1f} s"


def measure(cmd: list[str], timeout: float, stdout=None, env=None) -> Run:
    """CPU seconds and peak RSS of ``cmd`` alone (``wait4``), stopped after ``timeout`` s."""
    proc = subprocess.Popen(
        cmd, stdout=stdout or subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return Run(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)
        if time.monotonic() > deadline:
            proc.send_signal(signal.SIGKILL)
            _, _, usage = os.wait4(proc.pid, 0)
            return Run(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, None, True)
        time.sleep(0.05)


# --------------------------------------------------------------------------- inputs


def dumps(size: str) -> tuple[Path, Path, Path]:
    """The dump for ``PODS:POLICIES[:NAMESPACES]`` (YAML, and the same items as JSON) and its
    one-policy pull request (YAML), made once."""
    pods, policies, *rest = (int(x) for x in size.split(":"))
    namespaces = rest[0] if rest else None
    stem = f"nca-{pods}p-{policies}np-{namespaces or 'auto'}ns-s0"
    base, pr, as_json = OUT / f"{stem}.yaml", OUT / f"{stem}-pr.yaml", OUT / f"{stem}.json"
    if not (base.exists() and pr.exists() and as_json.exists()):
        from benchmarks.generate import generate_cluster, write_list

        print(f"generating {base.relative_to(ROOT)} ...", file=sys.stderr)
        items = generate_cluster(pods=pods, policies=policies, namespaces=namespaces, seed=0)
        OUT.mkdir(exist_ok=True)
        for path, content, form in (
            (base, items, "yaml"),
            (pr, _pull_request(items), "yaml"),
            (as_json, items, "json"),
        ):
            with open(path, "w", encoding="utf-8") as f:
                write_list(content, f, form)
    return base, pr, as_json


def _reach_ends(base: Path) -> list[str]:
    """``--from POD --to SVC.NS:PORT``: the first application pod of the dump, and the first
    Service of another namespace with a port (by DNS name: the lookup is part of the work)."""
    import yaml

    with open(base, encoding="utf-8") as f:
        items = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["items"]
    system = {"default", "kube-system", "monitoring", "ingress-nginx"}
    pod = next(
        i["metadata"]
        for i in items
        if i["kind"] == "Pod"
        and i["metadata"]["namespace"] not in system
        and i.get("status", {}).get("phase") == "Running"
    )
    svc = next(
        i
        for i in items
        if i["kind"] == "Service"
        and i["metadata"]["namespace"] not in system | {pod["namespace"]}
        and i["spec"].get("ports")
    )
    port = svc["spec"]["ports"][0]["port"]
    target = f"{svc['metadata']['name']}.{svc['metadata']['namespace']}:{port}"
    return ["--from", f"{pod['namespace']}/{pod['name']}", "--to", target]


def _pull_request(items: list[dict]) -> list[dict]:
    """The same cluster without one app-to-app allow policy (the first NetworkPolicy with an
    ingress rule from a podSelector, in the namespace with the most policies): its pods stay
    isolated by the namespace's default deny, so the flows it allowed are newly denied."""
    policies = [i for i in items if i.get("kind") == "NetworkPolicy"]
    counts: dict[str, int] = {}
    for p in policies:
        counts[p["metadata"]["namespace"]] = counts.get(p["metadata"]["namespace"], 0) + 1

    def allows_pods(p: dict) -> bool:
        return any(
            "podSelector" in peer and "namespaceSelector" not in peer
            for rule in p["spec"].get("ingress") or ()
            for peer in rule.get("from") or ()
        )

    for namespace in sorted(counts, key=lambda ns: (-counts[ns], ns)):
        gone = next(
            (p for p in policies if p["metadata"]["namespace"] == namespace and allows_pods(p)),
            None,
        )
        if gone is not None:
            return [i for i in items if i is not gone]
    return items[:]


# --------------------------------------------------------------------------- answers

Ports = dict[str, tuple[tuple[int, int], ...]]


def _ranges(text: str) -> tuple[tuple[int, int], ...]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.append((int(lo), int(hi or lo)))
    return tuple(sorted(out))


_NCA_TERM = re.compile(r"\{protocols:([A-Z, ]+?)(?:,dst_ports:([0-9,\-]+))?\}")


def parse_nca(text: str) -> dict[tuple[str, str], Ports]:
    """``src => dst : connections`` lines of NCA's ``txt_no_fw_rules`` output, pods only."""
    out: dict[tuple[str, str], Ports] = {}
    for line in text.splitlines():
        if " => " not in line or " : " not in line:
            continue
        pair, _, conns = line.partition(" : ")
        src, _, dst = pair.partition(" => ")
        if "/" not in src or "/" not in dst:
            continue  # an address range outside the cluster
        ports: Ports = {}
        if conns.strip() == "All connections":
            ports = {p: ALL_PORTS for p in PROTOCOLS}
        else:
            for protocols, numbers in _NCA_TERM.findall(conns):
                for p in (x.strip() for x in protocols.split(",")):
                    if p in PROTOCOLS:
                        ports[p] = _merge(
                            ports.get(p, ()) + (_ranges(numbers) if numbers else ALL_PORTS)
                        )
        if ports:
            out[(src.strip(), dst.strip())] = ports
    return out


def parse_netverify(data: dict) -> dict[tuple[str, str], Ports]:
    """``netverify matrix -o json``: every ordered pair of distinct pods with something allowed."""
    out: dict[tuple[str, str], Ports] = {}
    for src, row in data["allowed"].items():
        for dst, cells in row.items():
            if src == dst:
                continue
            ports: Ports = {}
            for c in cells:
                ports[c["protocol"]] = (
                    ALL_PORTS if c["ports"] == ["all"] else _ranges(",".join(c["ports"]))
                )
            out[(src, dst)] = ports
    return out


def _merge(ranges) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def nca_endpoints(text: str) -> set[str]:
    """The pods NCA lists at all (it keeps one pod of replicas that look alike)."""
    out = set()
    for line in text.splitlines():
        if " => " in line and " : " in line:
            pair = line.partition(" : ")[0]
            out |= {e.strip() for e in pair.split(" => ") if "/" in e}
    return out


def compare(
    ours: dict, theirs: dict, listed: set[str], host_network: set[str], live: set[str]
) -> dict[str, list]:
    """Pod pairs on which the tools disagree, by class; only pairs of pods NCA lists."""
    classes: dict[str, list] = {}
    for key in sorted(set(ours) | set(theirs)):
        src, dst = key
        if src not in listed or dst not in listed:
            continue
        a, b = ours.get(key, {}), theirs.get(key, {})
        if {p: _merge(r) for p, r in a.items() if r} == {p: _merge(r) for p, r in b.items() if r}:
            continue
        if src not in live or dst not in live:
            kind = "a finished pod (Succeeded/Failed: no IP of its own, semantics.md §1.2)"
        elif src in host_network or dst in host_network:
            kind = "a hostNetwork pod (implementation-defined, semantics.md §3.9)"
        else:
            kind = "other"
        classes.setdefault(kind, []).append((src, dst, _show(a), _show(b)))
    return classes


def _show(ports: Ports) -> str:
    if not ports:
        return "none"
    return "; ".join(
        f"{p} "
        + (
            "all"
            if r == ALL_PORTS
            else ",".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in r)
        )
        for p, r in sorted(ports.items())
    )


# --------------------------------------------------------------------------- the run


def _prepare(size: str) -> tuple[Path, Path, Path, list[str]]:
    """The dumps and the reach command's ends, made in a fresh process: what a forked child
    inherits counts in its peak RSS, so this process must stay small while it measures."""
    base, pr, as_json = dumps(size)
    return base, pr, as_json, _reach_ends(base)


def run_size(
    size: str, nca: str | None, timeout: float, repeat: int, examples: int, nca_up_to: int
) -> dict:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        base, pr, as_json, reach_ends = pool.submit(_prepare, size).result()
    if nca and int(size.split(":")[0]) > nca_up_to:
        print(f"  {size}: NCA not run (--nca-up-to {nca_up_to})", file=sys.stderr)
        nca = None
    env_cold = dict(os.environ, NETVERIFY_NO_CACHE="1")
    cache = tempfile.mkdtemp(prefix="netverify-cache-")
    env_warm = dict(os.environ, NETVERIFY_CACHE_DIR=cache)
    env_warm.pop("NETVERIFY_NO_CACHE", None)
    nv = [sys.executable, "-m", "verifier.cli"]
    matrix_json = OUT / f"{base.stem}.matrix.json"
    nca_txt = OUT / f"{base.stem}.nca.txt"
    json_matrix = OUT / f"{base.stem}.json-form.matrix.json"
    commands: list[tuple[str, list[str], dict, Path | None]] = [
        (
            "load",
            [
                sys.executable,
                "-c",
                "import sys; from verifier.ingest import load; load(sys.argv[1])",
                str(base),
            ],
            env_cold,
            None,
        ),
        ("matrix", [*nv, "matrix", "-f", str(base), "-A", "-o", "json"], env_cold, matrix_json),
        (
            "matrix, cache warm",
            [*nv, "matrix", "-f", str(base), "-A", "-o", "json"],
            env_warm,
            None,
        ),
        ("check", [*nv, "check", "-f", str(base)], env_cold, None),
        ("check, cache warm", [*nv, "check", "-f", str(base)], env_warm, None),
        ("diff", [*nv, "diff", "-f", str(base), "-f", str(pr)], env_cold, None),
        ("diff, cache warm", [*nv, "diff", "-f", str(base), "-f", str(pr)], env_warm, None),
        (
            "report, cache warm",
            [*nv, "report", "-f", str(base), "-o", str(OUT / f"{base.stem}.html")],
            env_warm,
            None,
        ),
        ("reach, cache warm", [*nv, "reach", "-f", str(base), *reach_ends], env_warm, None),
        (
            "load, JSON",
            [
                sys.executable,
                "-c",
                "import sys; from verifier.ingest import load; load(sys.argv[1])",
                str(as_json),
            ],
            env_cold,
            None,
        ),
        (
            "matrix, JSON",
            [*nv, "matrix", "-f", str(as_json), "-A", "-o", "json"],
            env_cold,
            json_matrix,
        ),
        # The floor of any cold command: starting netverify, and reading the file with the
        # fastest parser there is (no line numbers, no model), each in a process of its own.
        ("floor: start", [sys.executable, "-c", "import verifier.cli"], env_cold, None),
        (
            "floor: json.load",
            [sys.executable, "-c", "import json, sys; json.load(open(sys.argv[1]))", str(as_json)],
            env_cold,
            None,
        ),
    ]
    if _has_module("yaml_rs"):
        commands.append(
            (
                "floor: yaml-rs",
                [
                    sys.executable,
                    "-c",
                    "import sys, yaml_rs; yaml_rs.loads(open(sys.argv[1]).read())",
                    str(base),
                ],
                env_cold,
                None,
            )
        )
    if nca:
        commands += [
            (
                "nca",
                [
                    nca,
                    "--connectivity",
                    "-r",
                    str(base),
                    "--output_endpoints",
                    "pods",
                    "-o",
                    "txt_no_fw_rules",
                ],
                os.environ,
                nca_txt,
            ),
            (
                "nca diff",
                [nca, "--semantic_diff", str(pr), "-r", str(pr), "--base_resource_list", str(base)],
                os.environ,
                None,
            ),
            (
                "nca, JSON",
                [
                    nca,
                    "--connectivity",
                    "-r",
                    str(as_json),
                    "--output_endpoints",
                    "pods",
                    "-o",
                    "txt_no_fw_rules",
                ],
                os.environ,
                None,
            ),
        ]
    # Fill the cache once, unmeasured, so "cache warm" measures a second run.
    subprocess.run(
        [*nv, "diff", "-f", str(base), "-f", str(pr)],
        env=env_warm,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    best: dict[str, Run] = {}
    for _ in range(repeat):
        for name, cmd, env, out_path in commands:  # alternating the tools, round after round
            if out_path is not None:
                with open(out_path, "wb") as f:
                    r = measure(cmd, timeout, stdout=f, env=env)
            else:
                r = measure(cmd, timeout, env=env)
            prev = best.get(name)
            if prev is None or (
                r.cpu is not None
                and not r.timed_out
                and (prev.cpu is None or prev.timed_out or r.cpu < prev.cpu)
            ):
                best[name] = r
            print(f"  {size} {name}: {r.cell()} {r.rss_mib or 0:.0f} MiB", file=sys.stderr)
    shutil.rmtree(cache, ignore_errors=True)
    result = {"size": size, "runs": {k: asdict(v) for k, v in best.items()}}
    result["json_form_same_matrix"] = json_matrix.read_bytes() == matrix_json.read_bytes()
    print(
        f"  {size}: the matrix of the JSON form is "
        + ("byte for byte the YAML form's" if result["json_form_same_matrix"] else "DIFFERENT"),
        file=sys.stderr,
    )
    if nca and not best["nca"].timed_out and not best["matrix"].timed_out:
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            result.update(
                pool.submit(_answers, size, base, matrix_json, nca_txt, examples).result()
            )
    return result


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _answers(size: str, base: Path, matrix_json: Path, nca_txt: Path, examples: int) -> dict:
    """The two tools' answers compared pod pair by pod pair, printed; run in a fresh process
    (see :func:`_prepare`)."""
    from verifier.ingest import load

    result: dict = {}

    cluster = load(str(base))
    host = {p.ref for p in cluster.pods if p.host_network}
    live = {p.ref for p in cluster.live_pods}
    ours = parse_netverify(json.loads(matrix_json.read_text()))
    text = nca_txt.read_text()
    theirs, listed = parse_nca(text), nca_endpoints(text)
    both = listed & live
    disagreements = compare(ours, theirs, listed, host, live)
    compared = len(listed) * (len(listed) - 1)
    result["pairs"] = {"compared": compared, "nca_pods": len(listed), "live_pods": len(live)}
    result["disagreements"] = {k: len(v) for k, v in disagreements.items()}
    print(
        f"\n{size}: answers compared on the {compared} ordered pairs of the {len(listed)} pods NCA "
        f"lists ({len(both)} of the {len(live)} live pods: NCA keeps one pod of replicas that look alike)"
    )
    for kind, rows in disagreements.items():
        print(f"\n{size}: {len(rows)} pod pairs disagree: {kind}")
        for src, dst, a, b in rows[:examples]:
            print(f"  {src} -> {dst}: netverify {a} | NCA {b}")
        if len(rows) > examples:
            print(f"  ... and {len(rows) - examples} more")
    sys.stdout.flush()
    return result


def _ratio(ours: Run | None, theirs: Run | None) -> str:
    """How many times more CPU the peer took (at least that, when the peer was stopped)."""
    if ours is None or theirs is None or not ours.cpu or not theirs.cpu or ours.timed_out:
        return "n/a"
    return f"{theirs.cpu / ours.cpu:.1f}x" + (" (NCA stopped)" if theirs.timed_out else "")


def _rss(run: Run | None) -> str:
    return f"{run.rss_mib:.0f} MiB" if run is not None and run.rss_mib else "n/a"


def _runs(result: dict) -> dict[str, Run]:
    return {k: Run(**v) for k, v in result["runs"].items()}


def _cell(runs: dict[str, Run], name: str, missing: str = "n/a") -> str:
    return runs[name].cell() if name in runs else missing


def _markdown(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def _table(results: list[dict]) -> str:
    """The results as a Markdown table (benchmarks/README.md)."""
    head = [
        "pods:policies:namespaces",
        "load",
        "matrix",
        "matrix (cache warm)",
        "NCA",
        "matrix vs NCA",
        "cached matrix vs NCA",
        "matrix RSS",
        "NCA RSS",
        "diff",
        "diff (cache warm)",
        "NCA diff",
        "diff vs NCA diff",
        "check",
        "check (cache warm)",
        "check RSS",
        "report (cache warm)",
        "reach (cache warm)",
    ]
    rows = []
    for r in results:
        runs = _runs(r)

        cells = [
            r["size"],
            _cell(runs, "load"),
            _cell(runs, "matrix"),
            _cell(runs, "matrix, cache warm"),
            _cell(runs, "nca", "not run"),
            _ratio(runs.get("matrix"), runs.get("nca")),
            _ratio(runs.get("matrix, cache warm"), runs.get("nca")),
            _rss(runs.get("matrix")),
            _rss(runs.get("nca")),
            _cell(runs, "diff"),
            _cell(runs, "diff, cache warm"),
            _cell(runs, "nca diff", "not run"),
            _ratio(runs.get("diff"), runs.get("nca diff")),
            _cell(runs, "check"),
            _cell(runs, "check, cache warm"),
            _rss(runs.get("check")),
            _cell(runs, "report, cache warm"),
            _cell(runs, "reach, cache warm"),
        ]
        rows.append(cells)
    return _markdown(head, rows)


def _target(size: str) -> int:
    """Issue 11's target for the matrix: 20x NCA at 1,000 pods, 50x from 2,000 on."""
    return 20 if int(size.split(":")[0]) <= 1000 else 50


def _budget(theirs: Run | None, ratio: int) -> str:
    """The CPU time a netverify command may take to be ``ratio`` times faster than NCA."""
    if theirs is None or not theirs.cpu or theirs.timed_out:
        return "n/a"
    return f"{theirs.cpu / ratio:.2f} s ({ratio}x)"


def _json_table(results: list[dict]) -> str:
    """The JSON form's rows (the same clusters, as ``kubectl get -o json`` prints them), and
    the floor of a cold command: starting netverify and parsing the file, nothing else."""
    head = [
        "pods:policies:namespaces",
        "load",
        "matrix",
        "NCA",
        "matrix vs NCA",
        "matrix RSS",
        "NCA RSS",
        "matrix as for YAML",
        "start",
        "json.load",
        "yaml-rs (YAML form)",
        "target's budget",
    ]
    rows = []
    for r in results:
        runs = _runs(r)
        same = r.get("json_form_same_matrix")
        cells = [
            r["size"],
            _cell(runs, "load, JSON"),
            _cell(runs, "matrix, JSON"),
            _cell(runs, "nca, JSON", "not run"),
            _ratio(runs.get("matrix, JSON"), runs.get("nca, JSON")),
            _rss(runs.get("matrix, JSON")),
            _rss(runs.get("nca, JSON")),
            "byte for byte" if same else ("DIFFERENT" if same is not None else "n/a"),
            _cell(runs, "floor: start"),
            _cell(runs, "floor: json.load"),
            _cell(runs, "floor: yaml-rs", "not installed"),
            _budget(runs.get("nca"), _target(r["size"])),
        ]
        rows.append(cells)
    return _markdown(head, rows)


def _compile_netverify() -> None:
    """Write netverify's bytecode, as installing a package does (pip compiled NCA's).

    Without it, an editable checkout under ``PYTHONDONTWRITEBYTECODE`` compiles
    every module again in each measured command (about 0.1 s each).
    """
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("verifier")
    for location in spec.submodule_search_locations if spec else ():
        compileall.compile_dir(location, quiet=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=",".join(DEFAULT_SIZES), help="PODS:POLICIES:NAMESPACES,...")
    ap.add_argument(
        "--nca",
        default=os.environ.get("NCA") or shutil.which("nca"),
        help="NCA's nca script (default $NCA, or nca on PATH)",
    )
    ap.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a command is stopped"
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="rounds; the best of each command is kept"
    )
    ap.add_argument(
        "--nca-up-to",
        type=int,
        default=1_000_000,
        metavar="PODS",
        help="run NCA only on sizes with at most this many pods",
    )
    ap.add_argument("--examples", type=int, default=10, help="disagreements printed per class")
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args(argv)
    _compile_netverify()
    if not args.nca:
        print("NCA not found: netverify is measured alone (see --nca)", file=sys.stderr)
    results = [
        run_size(s, args.nca, args.timeout, args.repeat, args.examples, args.nca_up_to)
        for s in args.sizes.split(",")
    ]
    print()
    print(_table(results))
    print()
    print("The same clusters in JSON form (kubectl get -o json), and the floor of a cold command:")
    print()
    print(_json_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
