"""Counterexamples a reader can follow (issue 8): one pod keeps one address across the examples
of a property, and examples that share their cause are told once."""

from __future__ import annotations

from tests.properties.support import check, load_demo
from verifier.report.console import detail_lines


def test_an_allocated_pod_keeps_its_address_across_examples():
    """The demo's allocated pods (no IP in the manifests) appear in several isolation
    counterexamples: each gets one address in all of them."""
    result = check(load_demo(), "isolation", max_counterexamples=6)
    seen: dict[str, set[str]] = {}
    for cx in result.counterexamples:
        for pod, addresses in cx.allocation.items():
            seen.setdefault(pod, set()).add(addresses)
    shared = {
        pod: a
        for pod, a in seen.items()
        if sum(pod in cx.allocation for cx in result.counterexamples) > 1
    }
    assert shared, "the demo should show an allocated pod in two counterexamples"
    assert all(len(a) == 1 for a in shared.values()), shared


def test_examples_with_one_cause_are_told_once():
    result = check(load_demo(), "isolation", max_counterexamples=6)
    causes = [cx.location.ref for cx in result.counterexamples]
    lines = detail_lines(result)
    repeated = [i for i, c in enumerate(causes, 1) if c in causes[: i - 1]]
    assert repeated, causes
    for i in repeated:
        first = causes.index(causes[i - 1]) + 1
        assert f"     same cause as {first}: {causes[i - 1]}" in lines
    # Only the first of each cause carries its traces.
    assert sum(line.strip().startswith("ALLOWED ") for line in lines) == len(set(causes))
