"""The brute-force oracle: the final judge of every proof netverify gives (issue 7).

On small generated clusters (:mod:`tests.oracle.generate`), every concrete
(source, target address, port, protocol) goes through the engine's single-flow
``trace`` (:mod:`tests.oracle.flows`), and every property, invariant and
``diff`` answer is compared with that enumeration (:mod:`tests.oracle.judge`).

Run it::

    python -m pytest tests/oracle -q -p no:cacheprovider          # 32 clusters, part of the suite
    NETVERIFY_ORACLE_CLUSTERS=5000 NETVERIFY_ORACLE_SEED=10000 python -m pytest tests/oracle -q -n 2

Environment: ``NETVERIFY_ORACLE_CLUSTERS`` (clusters, default 32),
``NETVERIFY_ORACLE_SEED`` (first seed, default 0; cluster k has seed SEED+k, so a
failure names the seed that reproduces it: ``judge(scenario(seed))``),
``NETVERIFY_ORACLE_ALTERNATIVES`` (alternative allocations per cluster, default 1),
``NETVERIFY_ORACLE_INVARIANT_PORT`` (``either``, the default, ``client`` or ``backend``: which
port an invariant's ``port`` names through a Service), ``NETVERIFY_ORACLE_TIMEOUT``
(solver seconds), ``NETVERIFY_ORACLE_SHOWN`` (characters of each failure message).
The run ends with a line counting the clusters checked and the flows enumerated.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

CLUSTERS = int(os.environ.get("NETVERIFY_ORACLE_CLUSTERS", "32"))
FIRST_SEED = int(os.environ.get("NETVERIFY_ORACLE_SEED", "0"))
#: Clusters per test (each test is one unit of work for pytest-xdist).
BATCH = 8
#: Characters of each failure message shown (one message per distinct kind).
SHOWN = int(os.environ.get("NETVERIFY_ORACLE_SHOWN", "12000"))


def _batches() -> list[range]:
    seeds = range(FIRST_SEED, FIRST_SEED + CLUSTERS)
    return [seeds[i : i + BATCH] for i in range(0, len(seeds), BATCH)]


@pytest.mark.parametrize("seeds", _batches(), ids=lambda r: f"seeds{r.start}-{r.stop - 1}")
def test_oracle(seeds: range, record_property) -> None:
    # Imported here, so that collecting this gated module never depends on the code under test.
    from tests.oracle.generate import scenario
    from tests.oracle.judge import judge

    failures: dict[str, list] = {}
    soft: Counter = Counter()
    where: dict[str, list[int]] = {}
    flows = 0
    for seed in seeds:
        report = judge(scenario(seed))
        flows += report.flows
        for m in report.mismatches:
            if m.soft:
                soft[m.kind] += 1
            else:
                failures.setdefault(m.kind, []).append(m)
            where.setdefault(m.kind, [])
            if seed not in where[m.kind]:
                where[m.kind].append(seed)
    counts = {kind: len(ms) for kind, ms in failures.items()}
    record_property(
        "oracle",
        {
            "clusters": len(seeds),
            "flows": flows,
            "kinds": counts,
            "soft": dict(soft),
            "seeds": where,
        },
    )
    print(
        f"\noracle {seeds.start}-{seeds.stop - 1}: {len(seeds)} clusters, {flows} flows, failures {counts}, soft {dict(soft)}"
    )
    if failures:
        lines = [f"{len(failures)} kind(s) of mismatch in seeds {seeds.start}-{seeds.stop - 1}:"]
        lines += [f"  {n} x {kind}" for kind, n in sorted(counts.items())]
        for kind, ms in sorted(failures.items()):
            lines.append(f"\n===== {kind} (first of {len(ms)})\n{ms[0].message[:SHOWN]}")
        pytest.fail("\n".join(lines), pytrace=False)
