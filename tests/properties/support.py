"""Shared helpers for the property tests: fixtures, one property's result, and where things point.

The focused fixtures live in ``fixtures/tests/<property>/``; each states its
expected verdict in a header comment, which the tests pin exactly::

    result = check_fixture("unique-ips/violated.yaml", "unique-pod-ips")
    (cx,) = result.counterexamples
    assert where(cx.location) == at("unique-ips/violated.yaml", 45, "name: b, namespace: y")

:func:`at` both spells the expected ``file:line`` and checks that the line (or
one of the two after it: an object's location is the first line of its
document) really says ``text``, so a test fails loudly if a fixture is edited.
"""

from __future__ import annotations

import functools
from ipaddress import ip_address, ip_network
from pathlib import Path

from verifier.ingest import load
from verifier.model import Cluster, Source
from verifier.properties import PROPERTIES, PropertyResult
from verifier.trace import Decider, Trace

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "tests"
DEMO = REPO / "fixtures" / "demo"


@functools.cache
def load_fixture(name: str) -> Cluster:
    """``fixtures/tests/<name>`` (a file or directory), loaded once per test session."""
    return load(FIXTURES / name)


@functools.cache
def load_demo(which: str = "") -> Cluster:
    """The demo: ``""`` is base + change, ``"base"`` the cluster before the change."""
    return load(DEMO / which if which else DEMO)


def check(cluster: Cluster, prop: str, **limits) -> PropertyResult:
    """One property's result (the module's own ``check``)."""
    return PROPERTIES[prop].check(cluster, **limits)


def check_fixture(name: str, prop: str, **limits) -> PropertyResult:
    return check(load_fixture(name), prop, **limits)


def where(obj: Decider | Source | None) -> str:
    """``file:line`` of a decider or source, the file relative to ``fixtures/tests`` (or the repo)."""
    source = obj.source if isinstance(obj, Decider) else obj
    assert source is not None and source.line is not None, f"{obj} has no line"
    path = Path(source.file).resolve()
    base = FIXTURES if path.is_relative_to(FIXTURES) else REPO
    return f"{path.relative_to(base)}:{source.line}"


def at(name: str, line: int, text: str) -> str:
    """``"<name>:<line>"``, after checking that ``text`` is on that line of the file (or the two after it)."""
    base = FIXTURES if (FIXTURES / name).exists() else REPO
    lines = (base / name).read_text(encoding="utf-8").splitlines()
    window = lines[line - 1 : line + 2]
    assert any(text in candidate for candidate in window), (
        f"{name}:{line} does not say {text!r}: {window}"
    )
    return f"{name}:{line}"


def refs(deciders) -> list[str]:
    """``["NetworkPolicy prod/db ingress[0]", ...]``: what each decider names."""
    return [d.ref for d in deciders]


def steps(t: Trace) -> list[tuple[str, str]]:
    """``[(step, outcome), ...]`` along the path the trace's verdict reports."""
    return [(h.step, h.outcome) for h in t.all_hops]


def in_net(ip, net: str) -> bool:
    return ip_address(str(ip)) in ip_network(net)
