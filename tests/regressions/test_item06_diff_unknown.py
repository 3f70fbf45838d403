"""Issue 7 item 6: ``diff`` says when its search is incomplete, and the gate does not pass on it.

The solver is made to give up by patching ``z3.Solver.check`` (every query of
every netverify solver goes through it) to answer ``unknown``; the states are
fixtures/tests/regressions/diff-ingress (the change newly allows x/c -> x/b and
outside -> x/b).

Observed on d7fb6f3 (the code the issue was filed against): with the solver
giving up, ``diff`` reports status "unknown: ..." with no flow, yet
``--fail-on-new-allow`` exits 0 (and so does a plain ``diff``); a diff stopped by
its result limit is labelled "complete". Fixed by 08cd08b except when the solver
gives up *after* a difference was found: the diff is still labelled "complete".
"""

from __future__ import annotations

import pytest
import z3

import verifier
from tests.builders import cluster, netpol, pod
from verifier.diff import diff

from .support import N1, TIMEOUT, fixture, netverify

OLD, NEW = fixture("diff-ingress/old.yaml"), fixture("diff-ingress/new.yaml")
REASON = "canceled by the test"


@pytest.fixture
def solver_gives_up(monkeypatch) -> list:
    """Every Z3 query answers unknown; returns the list of queries asked."""
    asked: list = []

    def check(self, *args, **kwargs):
        asked.append(args)
        return z3.unknown

    monkeypatch.setattr(z3.Solver, "check", check)
    monkeypatch.setattr(z3.Solver, "reason_unknown", lambda self: REASON)
    return asked


@pytest.fixture
def solver_gives_up_after_one(monkeypatch) -> list:
    """The first Z3 query is answered, every later one is unknown."""
    real = z3.Solver.check
    asked: list = []

    def check(self, *args, **kwargs):
        asked.append(args)
        return real(self, *args, **kwargs) if len(asked) == 1 else z3.unknown

    monkeypatch.setattr(z3.Solver, "check", check)
    monkeypatch.setattr(z3.Solver, "reason_unknown", lambda self: REASON)
    return asked


def test_the_states_differ():
    d = diff(verifier.load(OLD), verifier.load(NEW), timeout=TIMEOUT)
    assert d.newly_allowed and d.status == "complete"


def test_diff_status_is_unknown_with_its_reason_when_the_solver_gives_up(solver_gives_up):
    d = diff(verifier.load(OLD), verifier.load(NEW), timeout=TIMEOUT)
    assert solver_gives_up
    assert d.status.startswith("unknown"), d.status
    assert REASON in d.status
    assert not d.changes


def test_cli_fail_on_new_allow_exits_3_when_the_solver_gives_up(capsys, solver_gives_up):
    run = netverify(capsys, "diff", "-f", OLD, "-f", NEW, "--fail-on-new-allow", "-o", "json")
    assert solver_gives_up
    assert run.code == 3, run.out + run.err
    assert run.json["status"].startswith("unknown")


def test_cli_diff_exits_3_when_the_solver_gives_up(capsys, solver_gives_up):
    run = netverify(capsys, "diff", "-f", OLD, "-f", NEW)
    assert run.code == 3, run.out + run.err


def test_a_diff_whose_search_was_cut_short_by_the_solver_is_not_complete(solver_gives_up_after_one):
    d = diff(verifier.load(OLD), verifier.load(NEW), timeout=TIMEOUT)
    assert d.status != "complete" and d.status.startswith("unknown"), d.status


def three_pods(*objects):
    return cluster(
        N1,
        pod("x/a", ip="10.244.1.10", node="n1"),
        pod("x/b", ip="10.244.1.11", node="n1"),
        pod("x/c", ip="10.244.1.12", node="n1"),
        *objects,
    )


def test_a_diff_cut_at_its_limit_is_truncated():
    old, new = three_pods(), three_pods(netpol("x/deny-all", select=""))  # 6 pairs newly denied
    assert len(diff(old, new, timeout=TIMEOUT).changes) == 6
    d = diff(old, new, timeout=TIMEOUT, limit=2)
    assert d.status.startswith("truncated"), d.status
