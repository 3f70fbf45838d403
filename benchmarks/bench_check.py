#!/usr/bin/env python3
"""Property and matrix benchmark: time per property on generated clusters, and the matrix against a peer.

For each size (``PODS:POLICIES``) the dump is generated once into
``benchmarks/out/`` (``generate.py``, seed 0), loaded, and then:

* each of the six properties runs (``verifier.properties.<name>.check``), with
  its status and wall time;
* ``matrix`` (pods x pods, all ports and protocols, by equivalence class) runs,
  and its *peer* is measured in the same run: the naive way, one engine trace
  per pod pair and port, timed on a random sample of pairs and extrapolated to
  every pair and to the ports the matrix covers in one go (one trace per
  distinct port any rule names, a lower bound on what a per-pair replay needs).

    python benchmarks/bench_check.py                      # 1k/200 and 5k/1000
    python benchmarks/bench_check.py --sizes 2000:300:ds  # a dual-stack cluster
    python benchmarks/bench_check.py --sizes 10000:1000 --no-matrix
    python benchmarks/bench_check.py --json results.json

Timing is machine-dependent: compare rows of one run, not runs of two machines.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_load import OUT, _ensure_dump  # noqa: E402  (generates the dump once)

DEFAULT_SIZES = ["1000:200", "2000:300:ds", "5000:1000"]


def _dump(size: str) -> Path:
    """The dump for ``PODS:POLICIES`` (``PODS:POLICIES:ds`` for a dual-stack cluster), made once."""
    if not size.endswith(":ds"):
        return _ensure_dump(size, 0, "yaml")
    pods, policies, _ = size.split(":")
    path = OUT / f"cluster-{pods}p-{policies}np-ds-s0.yaml"
    if not path.exists():
        from generate import generate_cluster, write_list

        OUT.mkdir(exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            write_list(
                generate_cluster(pods=int(pods), policies=int(policies), dual_stack=True, seed=0),
                f,
                "yaml",
            )
    return path


def _policy_ports(cluster) -> list[tuple[int, str]]:
    ports = {(80, "TCP")}
    for pol in cluster.policies:
        for rule in pol.ingress + pol.egress:
            for p in rule.ports:
                if isinstance(p.port, int):
                    ports.add((p.port, p.protocol))
    return sorted(ports)


def run(size: str, *, matrix: bool, timeout: float, sample: int) -> dict:
    from verifier import load
    from verifier.engine import trace
    from verifier.matrix import matrix as compute_matrix
    from verifier.properties import PROPERTIES, PROPERTY_NAMES
    from verifier.semantics.classes import pod_classes

    path = _dump(size)
    t0 = time.perf_counter()
    cluster = load(path)
    load_s = time.perf_counter() - t0
    row: dict = {
        "size": size,
        "pods": len(cluster.pods),
        "policies": len(cluster.policies),
        "load_s": round(load_s, 2),
    }
    t0 = time.perf_counter()
    row["classes"] = len(pod_classes(cluster, cluster.live_pods))
    row["classes_s"] = round(time.perf_counter() - t0, 2)
    row["properties"] = {}
    total = 0.0
    for name in PROPERTY_NAMES:
        t0 = time.perf_counter()
        result = PROPERTIES[name].check(cluster, timeout=timeout, max_counterexamples=3)
        seconds = time.perf_counter() - t0
        total += seconds
        row["properties"][name] = {"status": result.status.value, "seconds": round(seconds, 2)}
        print(
            f"  {size} {name:<22} {result.status.value:<9} {seconds:7.2f} s",
            file=sys.stderr,
            flush=True,
        )
    row["properties_total_s"] = round(total, 2)
    if matrix:
        t0 = time.perf_counter()
        m = compute_matrix(cluster)
        row["matrix_s"] = round(time.perf_counter() - t0, 2)
        row["matrix_classes"] = m.class_count
        pods = list(m.pods)
        ports = _policy_ports(cluster)
        rng = random.Random(0)
        pairs = [(rng.choice(pods), rng.choice(pods)) for _ in range(sample)]
        t0 = time.perf_counter()
        for s, d in pairs:
            port, proto = rng.choice(ports)
            trace(cluster, s, d, port, proto)
        per_trace = (time.perf_counter() - t0) / sample
        naive = per_trace * len(pods) * (len(pods) - 1) * len(ports)
        row["naive_matrix_s_estimate"] = round(naive, 1)
        row["naive_ports"] = len(ports)
        row["speedup_vs_naive"] = round(naive / max(row["matrix_s"], 1e-9), 1)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes", nargs="*", default=DEFAULT_SIZES, help="PODS:POLICIES (default: %(default)s)"
    )
    ap.add_argument("--no-matrix", action="store_true", help="skip the matrix and its peer")
    ap.add_argument("--timeout", type=float, default=60.0, help="solver timeout per query, seconds")
    ap.add_argument("--sample", type=int, default=300, help="pairs traced to time the naive peer")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = ap.parse_args()
    rows = [
        run(size, matrix=not args.no_matrix, timeout=args.timeout, sample=args.sample)
        for size in args.sizes
    ]

    from verifier.properties import PROPERTY_NAMES

    header = [
        "pods/policies",
        "load",
        "classes",
        *PROPERTY_NAMES,
        "all properties",
        "matrix",
        "naive (est.)",
        "speedup",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        cells = [r["size"], f"{r['load_s']} s", str(r["classes"])]
        cells += [
            f"{r['properties'][n]['seconds']} s ({r['properties'][n]['status']})"
            for n in PROPERTY_NAMES
        ]
        cells.append(f"{r['properties_total_s']} s")
        if "matrix_s" in r:
            cells += [
                f"{r['matrix_s']} s",
                f"{r['naive_matrix_s_estimate']} s",
                f"{r['speedup_vs_naive']}x",
            ]
        else:
            cells += ["-", "-", "-"]
        print("| " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
