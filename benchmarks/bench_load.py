#!/usr/bin/env python3
"""Load benchmark: how long ``verifier.ingest.load`` takes on big cluster dumps, and how much memory.

Each load runs in a fresh Python process. After the imports its peak resident
set size is reset (``/proc/self/clear_refs``), so the reported peak RSS
(``VmHWM``) is the high-water mark of the load itself, interpreter and
imports included; the resident size before loading is the baseline.
``--tracemalloc`` also reports the peak of Python allocations during the load
(slower: tracing costs about 2x).

    python benchmarks/bench_load.py                          # 1k/200, 5k/1000, 10k/1000
    python benchmarks/bench_load.py --sizes 1000:200 --repeat 3
    python benchmarks/bench_load.py fixtures/demo path/to/dump.yaml
    python benchmarks/bench_load.py --json results.json

The peer, measured in the same process: the fastest parser of the same files
without line numbers or a model, the least any Python tool pays to read them
(PyYAML's C loader, ``CSafeLoader``, for YAML; :func:`json.load` for JSON); the
ratio is load time / peer time. When ``yaml-rs`` (a YAML parser written in Rust) is
installed, it is measured too, as the fastest YAML parser we found for Python.

Sizes are ``PODS:POLICIES``; their dumps are generated once (``generate.py``,
seed 0) into ``benchmarks/out/`` (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
DEFAULT_SIZES = ["1000:200", "5000:1000", "10000:1000"]


def _child(path: str, trace: bool) -> dict:
    """Runs in the measuring process: one load, numbers as a dict."""
    import gc
    import time
    import tracemalloc

    sys.path.insert(0, str(ROOT))
    from verifier.ingest import load  # import cost is not part of the load

    gc.collect()
    baseline = _rss("VmRSS")
    _reset_peak()
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    error = None
    cluster = None
    try:
        cluster = load(path)
    except Exception as e:  # an input error is a result too: report it
        error = f"{type(e).__name__}: {e}"
    seconds = time.perf_counter() - t0
    traced = None
    if trace:
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    peak = _rss("VmHWM")
    peer = _peer_seconds(path)  # after the peak is read: its memory is not ours
    fastest = _fastest_seconds(path)
    out = {
        "path": path,
        "bytes": _size(path),
        "seconds": seconds,
        "peak_rss_mb": peak,
        "baseline_rss_mb": baseline,
        "traced_peak_mb": traced,
        "error": error,
        "peer_seconds": peer,
        "fastest_seconds": fastest,
    }
    if cluster is not None:
        out["counts"] = {
            "namespaces": len(cluster.namespaces),
            "nodes": len(cluster.nodes),
            "pods": len(cluster.pods),
            "services": len(cluster.services),
            "endpoint_slices": len(cluster.endpoint_slices),
            "policies": len(cluster.policies),
        }
        warnings = list(getattr(cluster, "warnings", ()) or ())
        out["warnings"] = len(warnings)
        out["first_warnings"] = [str(w) for w in warnings[:5]]
    return out


def _peer_seconds(path: str) -> float | None:
    """The peer: PyYAML's C loader (JSON: ``json.load``) parsing the same files, with no
    line numbers and no model.

    What any Python tool reading these manifests pays at the least; run after the
    load, in the same process, on warm caches.
    """
    import time

    import yaml

    p = Path(path)
    files = (
        sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml", ".json"))
        if p.is_dir()
        else [p]
    )
    t0 = time.perf_counter()
    for f in files:
        with open(f, encoding="utf-8") as fh:
            if f.suffix == ".json":
                json.load(fh)
                continue
            for _ in yaml.load_all(fh, Loader=yaml.CSafeLoader):
                pass
    return time.perf_counter() - t0


def _fastest_seconds(path: str) -> float | None:
    """A second peer, when installed: ``yaml_rs`` (``pip install yaml-rs``, a YAML parser
    written in Rust, the fastest we found on PyPI), parsing the same YAML files into plain
    Python data. None when it is not installed or the input holds no YAML."""
    import time

    try:
        import yaml_rs
    except ImportError:
        return None
    p = Path(path)
    files = (
        sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml"))
        if p.is_dir()
        else [p]
        if p.suffix in (".yaml", ".yml")
        else []
    )
    if not files:
        return None
    t0 = time.perf_counter()
    for f in files:
        yaml_rs.loads(f.read_text(encoding="utf-8"))
    return time.perf_counter() - t0


def _rss(field: str) -> float:
    """This process's resident set (``VmRSS``) or its peak (``VmHWM``), in MiB.

    Read from /proc: ``getrusage``'s ``ru_maxrss`` survives ``exec`` and so may
    report the parent's peak. Elsewhere, fall back to ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Start the peak (VmHWM) afresh, so it measures the load, not the imports (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _size(path: str) -> int:
    p = Path(path)
    if p.is_dir():
        return sum(
            f.stat().st_size
            for f in p.rglob("*")
            if f.is_file() and f.suffix in (".yaml", ".yml", ".json")
        )
    return p.stat().st_size


def _ensure_dump(spec: str, seed: int, fmt: str) -> Path:
    pods, _, policies = spec.partition(":")
    n_pods, n_policies = int(pods), int(policies or max(1, int(pods) // 5))
    OUT.mkdir(exist_ok=True)
    path = OUT / f"cluster-{n_pods}p-{n_policies}np-s{seed}.{fmt}"
    if not path.exists():
        sys.path.insert(0, str(ROOT))
        from benchmarks.generate import generate_cluster, write_list

        print(f"generating {path.relative_to(ROOT)} ...", file=sys.stderr)
        items = generate_cluster(pods=n_pods, policies=n_policies, seed=seed)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            write_list(items, f, fmt)
        tmp.replace(path)
    return path


def _measure(path: Path, trace: bool) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(path)]
    if trace:
        cmd.append("--tracemalloc")
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        cwd=ROOT,
        # Every load parses: the model cache would make the second round read a pickle.
        env={**os.environ, "PYTHONHASHSEED": "0", "NETVERIFY_NO_CACHE": "1"},
    )
    if proc.returncode != 0:
        raise SystemExit(f"measuring {path} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="bench_load.py", description="Time verifier.ingest.load on large cluster dumps."
    )
    ap.add_argument(
        "paths", nargs="*", help="files or directories to load (default: generated --sizes)"
    )
    ap.add_argument(
        "--sizes",
        nargs="+",
        default=None,
        metavar="PODS:POLICIES",
        help=f"generated dumps to load (default {' '.join(DEFAULT_SIZES)})",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--format", choices=("yaml", "json"), default="yaml", help="format of generated dumps"
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="loads per input; the fastest is reported"
    )
    ap.add_argument(
        "--tracemalloc", action="store_true", help="also report the traced Python allocation peak"
    )
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        print(json.dumps(_child(args.child, args.tracemalloc)))
        return 0

    targets = [Path(p) for p in args.paths]
    if not targets or args.sizes:
        targets += [_ensure_dump(s, args.seed, args.format) for s in (args.sizes or DEFAULT_SIZES)]

    results = []
    print(
        f"{'input':<44} {'MB':>7} {'pods':>6} {'policies':>8} {'load s':>8} {'peer s':>7} {'ratio':>6} "
        f"{'yaml_rs s':>9} {'ratio':>6} {'peak RSS MB':>11} {'traced MB':>9}  warnings"
    )
    for path in targets:
        runs = [_measure(path, args.tracemalloc) for _ in range(max(1, args.repeat))]
        best = min(runs, key=lambda r: r["seconds"])
        best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
        best["runs_seconds"] = [r["seconds"] for r in runs]
        results.append(best)
        counts = best.get("counts", {})
        traced = f"{best['traced_peak_mb']:.0f}" if best["traced_peak_mb"] is not None else "-"
        fast = best.get("fastest_seconds")
        fastest = f"{fast:>9.2f} {best['seconds'] / fast:>5.2f}x" if fast else f"{'-':>9} {'-':>6}"
        name = (
            str(path.relative_to(ROOT))
            if path.is_absolute() and ROOT in path.parents
            else str(path)
        )
        print(
            f"{name:<44} {best['bytes'] / 2**20:>7.1f} {counts.get('pods', '-'):>6} {counts.get('policies', '-'):>8} "
            f"{best['seconds']:>8.2f} {best['peer_seconds']:>7.2f} {best['seconds'] / best['peer_seconds']:>5.2f}x "
            f"{fastest} "
            f"{best['peak_rss_mb']:>11.0f} {traced:>9}  "
            f"{best.get('warnings', '-') if not best['error'] else 'ERROR ' + best['error']}"
        )
        for w in best.get("first_warnings", ()):
            print(f"    {w}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 1 if any(r["error"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
