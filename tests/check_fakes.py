"""Stand-ins for the property and invariant modules, so ``check`` can be tested on its own.

``install(monkeypatch, {name: status_or_result})`` puts a fake module in
``sys.modules`` for each named property (the registry imports them lazily, so
the fakes win), and returns the list of calls they receive::

    calls = install(monkeypatch, {"isolation": Status.VIOLATED})
    report = check(Cluster(), ["isolation"])
    calls == [("isolation", {"timeout": 60.0, "max_counterexamples": 3})]
"""

from __future__ import annotations

import sys
from types import ModuleType, SimpleNamespace
from typing import Any

from verifier.model import Source
from verifier.properties import _MODULES, Counterexample, PropertyResult, Status
from verifier.trace import Decider

__all__ = ["fake_result", "install", "install_invariants", "missing"]


def fake_result(name: str, status: Status, *, property: str | None = None) -> PropertyResult:
    counterexamples = ()
    if status is Status.VIOLATED:
        at = Decider(
            "NetworkPolicy", "allow-all", "prod", "ingress[0]", Source("policies/prod.yaml", 7)
        )
        counterexamples = (Counterexample(f"{name} is broken", objects=(at,)),)
    return PropertyResult(
        property or name,
        name,
        status,
        f"{name} statement",
        counterexamples,
        reason="solver timeout" if status is Status.UNKNOWN else None,
        seconds=0.01,
    )


def install(
    monkeypatch, outcomes: dict[str, Status | PropertyResult]
) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []
    for name, outcome in outcomes.items():
        result = outcome if isinstance(outcome, PropertyResult) else fake_result(name, outcome)
        module = ModuleType(f"verifier.properties.{_MODULES[name]}")

        def check(cluster, *, timeout, max_counterexamples, _name=name, _result=result):
            calls.append((_name, {"timeout": timeout, "max_counterexamples": max_counterexamples}))
            return _result

        module.check = check
        monkeypatch.setitem(sys.modules, module.__name__, module)
    return calls


def install_invariants(
    monkeypatch, outcomes: dict[str, Status], *, path_seen: list | None = None
) -> list[str]:
    """A fake ``verifier.properties.invariants`` whose file declares ``outcomes``' names."""
    calls: list[str] = []
    module = ModuleType("verifier.properties.invariants")

    def load_invariants(path):
        if path_seen is not None:
            path_seen.append(path)
        return tuple(SimpleNamespace(name=n) for n in outcomes)

    def check_invariant(cluster, invariant, *, timeout, max_counterexamples):
        calls.append(invariant.name)
        return fake_result(invariant.name, outcomes[invariant.name], property="invariant")

    module.load_invariants = load_invariants
    module.check_invariant = check_invariant
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return calls


def missing(monkeypatch, name: str) -> None:
    """Make property ``name``'s module unimportable, as if not written yet."""
    monkeypatch.setitem(sys.modules, f"verifier.properties.{_MODULES[name]}", None)
