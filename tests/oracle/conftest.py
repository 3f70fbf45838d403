"""The oracle's closing line: how many clusters were checked and flows enumerated, over all workers.

Each batch records ``("oracle", {...})`` in its report's ``user_properties``
(pytest-xdist carries them to the controller); this sums them. It is printed
when ``tests/oracle`` is on the command line (the hook lives in this directory).
"""

from __future__ import annotations

from collections import Counter


def pytest_terminal_summary(terminalreporter) -> None:
    clusters = flows = 0
    kinds: Counter = Counter()
    soft: Counter = Counter()
    seeds: dict[str, list[int]] = {}
    seen = False
    for reports in terminalreporter.stats.values():
        for rep in reports:
            if getattr(rep, "when", None) != "call":
                continue
            for name, value in getattr(rep, "user_properties", ()):
                if name != "oracle":
                    continue
                seen = True
                clusters += value["clusters"]
                flows += value["flows"]
                kinds.update(value["kinds"])
                soft.update(value["soft"])
                for kind, found in value.get("seeds", {}).items():
                    seeds.setdefault(kind, []).extend(found)
    if not seen:
        return
    terminalreporter.write_sep("-", "netverify oracle")
    terminalreporter.write_line(f"oracle: {clusters} clusters checked, {flows} flows enumerated")
    for kind, n in sorted(kinds.items()):
        terminalreporter.write_line(f"  FAIL {n} x {kind} (seeds {_first(seeds.get(kind, []))})")
    for kind, n in sorted(soft.items()):
        terminalreporter.write_line(f"  note {n} x {kind} (seeds {_first(seeds.get(kind, []))})")


def _first(found: list[int]) -> str:
    found = sorted(found)
    return ", ".join(map(str, found[:6])) + (", ..." if len(found) > 6 else "")
