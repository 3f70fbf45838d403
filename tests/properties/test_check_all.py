"""``verifier.properties.check``: the registry, lazy imports, order, limits, progress."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.check_fakes import fake_result, install, install_invariants, missing
from tests.report.check_samples import tiny_cluster
from verifier.errors import UsageError
from verifier.model import Cluster
from verifier.properties import (
    PROPERTIES,
    PROPERTY_NAMES,
    TITLES,
    CheckReport,
    PropertyUnavailable,
    Status,
    check,
)

ALL = {name: Status.HOLDS for name in PROPERTY_NAMES}


def test_the_properties_in_check_order():
    assert PROPERTY_NAMES == (
        "unique-pod-ips",
        "nat-free-pod-to-pod",
        "isolation",
        "service-resolution",
        "dns-resolution",
        "dual-stack-coverage",
        "infrastructure-access",
    )
    assert list(PROPERTIES) == list(PROPERTY_NAMES) and len(PROPERTIES) == 7
    assert set(TITLES) == {*PROPERTY_NAMES, "invariant"}


def test_registry_resolves_to_the_real_module():
    from verifier.properties import unique_ips

    assert PROPERTIES["unique-pod-ips"] is unique_ips
    report = check(tiny_cluster(), ["unique-pod-ips"])
    assert [(r.property, r.status) for r in report.results] == [("unique-pod-ips", Status.HOLDS)]


def test_default_checks_all_in_order_with_the_limits(monkeypatch):
    calls = install(monkeypatch, ALL)
    report = check(Cluster(), timeout=5.0, max_counterexamples=2)
    assert [name for name, _ in calls] == list(PROPERTY_NAMES)
    assert all(kw == {"timeout": 5.0, "max_counterexamples": 2} for _, kw in calls)
    assert [r.name for r in report.results] == list(PROPERTY_NAMES)
    assert report.status is Status.HOLDS and report.seconds >= 0


def test_selected_properties_keep_the_callers_order_once_each(monkeypatch):
    calls = install(monkeypatch, ALL)
    check(Cluster(), ["isolation", "unique-pod-ips", "isolation"])
    assert [name for name, _ in calls] == ["isolation", "unique-pod-ips"]


def test_invariants_run_after_the_properties(monkeypatch):
    install(monkeypatch, {"isolation": Status.HOLDS})
    calls = install_invariants(monkeypatch, {"a": Status.VIOLATED, "b": Status.HOLDS})
    from verifier.properties import load_invariants

    invariants = load_invariants("inv.yaml")
    report = check(Cluster(), ["isolation"], invariants)
    assert calls == ["a", "b"]
    assert [(r.property, r.name, r.status) for r in report.results] == [
        ("isolation", "isolation", Status.HOLDS),
        ("invariant", "a", Status.VIOLATED),
        ("invariant", "b", Status.HOLDS),
    ]
    assert [r.name for r in report.invariants] == ["a", "b"] and len(report.properties) == 1


def test_progress_is_told_before_and_after_each_check(monkeypatch):
    install(monkeypatch, {"unique-pod-ips": Status.HOLDS, "isolation": Status.VIOLATED})
    install_invariants(monkeypatch, {"inv": Status.HOLDS})
    events = []
    check(
        Cluster(),
        ["unique-pod-ips", "isolation"],
        (SimpleNamespace(name="inv"),),
        progress=lambda name, result: events.append(
            (name, None if result is None else result.status)
        ),
    )
    assert events == [
        ("unique-pod-ips", None),
        ("unique-pod-ips", Status.HOLDS),
        ("isolation", None),
        ("isolation", Status.VIOLATED),
        ("invariant: inv", None),
        ("invariant: inv", Status.HOLDS),
    ]


def test_unknown_property_is_a_usage_error():
    with pytest.raises(UsageError, match=r"unknown property 'nope' \(properties: unique-pod-ips, "):
        check(Cluster(), ["nope"])


def test_a_missing_module_fails_only_when_asked_for_and_before_any_work(monkeypatch):
    calls = install(monkeypatch, {"unique-pod-ips": Status.HOLDS})
    missing(monkeypatch, "dual-stack-coverage")
    assert check(Cluster(), ["unique-pod-ips"]).status is Status.HOLDS
    calls.clear()
    with pytest.raises(
        PropertyUnavailable,
        match="property 'dual-stack-coverage' is not available: cannot import verifier.properties.dual_stack",
    ):
        check(Cluster(), ["unique-pod-ips", "dual-stack-coverage"])
    assert calls == []  # nothing was solved before failing


def test_a_module_without_check_is_unavailable(monkeypatch):
    import sys
    from types import ModuleType

    monkeypatch.setitem(
        sys.modules,
        "verifier.properties.dns_resolution",
        ModuleType("verifier.properties.dns_resolution"),
    )
    with pytest.raises(PropertyUnavailable, match="has no check"):
        check(Cluster(), ["dns-resolution"])


def test_missing_invariants_module_is_unavailable(monkeypatch):
    import sys

    from verifier.properties import load_invariants

    monkeypatch.setitem(sys.modules, "verifier.properties.invariants", None)
    with pytest.raises(PropertyUnavailable, match="invariants are not available"):
        load_invariants("x.yaml")


@pytest.mark.parametrize(
    ("kw", "message"),
    [({"timeout": 0}, "timeout must be positive"), ({"max_counterexamples": 0}, "at least 1")],
)
def test_limits_are_checked(kw, message):
    with pytest.raises(UsageError, match=message):
        check(Cluster(), [], **kw)


def test_report_status_is_the_worst():
    def report(*statuses):
        return CheckReport(tuple(fake_result(f"p{i}", s) for i, s in enumerate(statuses)))

    assert report().status is Status.HOLDS
    assert report(Status.HOLDS, Status.UNKNOWN).status is Status.UNKNOWN
    assert report(Status.UNKNOWN, Status.VIOLATED, Status.HOLDS).status is Status.VIOLATED
    assert report(Status.UNKNOWN, Status.VIOLATED).summary_counts() == {
        "holds": 0,
        "violated": 1,
        "suppressed": 0,
        "unknown": 1,
    }
