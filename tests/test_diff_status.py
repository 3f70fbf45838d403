"""``netverify diff`` never passes a gate it could not finish: UNKNOWN and truncation are said and exit 3.

Issue 7, item 6: ``--fail-on-new-allow`` exited 0 when the solver timed out
(status "unknown: timeout", no flows), and a diff cut at its result limit was
labelled "complete". A difference that fails the command still exits 1, as a
violation outranks an unknown in ``check``.
"""

from __future__ import annotations

import pytest

import verifier.diff
from tests.properties.support import FIXTURES
from verifier.cli import main
from verifier.diff import diff
from verifier.ingest import load

HOLDS = str(FIXTURES / "isolation" / "holds.yaml")
LOOSE = str(FIXTURES / "isolation" / "violated.yaml")  # two pairs newly allowed into prod/db
REASON = "canceled by the test"


def solver_gives_up(monkeypatch) -> None:
    """Every solver query answers UNKNOWN, as on a timeout."""
    from verifier.symbolic import solver as solver_module
    from verifier.symbolic.solver import Answer
    from verifier.symbolic.solver import Status as SolverStatus

    def check(self, *query):
        return Answer(SolverStatus.UNKNOWN, None, REASON, 0.0)

    monkeypatch.setattr(solver_module.Solver, "check", check)


def run(capsys, *args: str):
    code = main(["diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- the solver gives up


def test_a_solver_that_gives_up_is_unknown_never_complete(monkeypatch):
    solver_gives_up(monkeypatch)
    d = diff(load(HOLDS), load(LOOSE))
    assert d.changes == ()
    assert d.status.startswith("unknown: ") and REASON in d.status, d.status


@pytest.mark.parametrize("gate", [(), ("--fail-on-new-allow",)])
def test_an_unknown_diff_exits_3_gate_or_not(monkeypatch, capsys, gate):
    solver_gives_up(monkeypatch)
    code, out, err = run(capsys, "--old", HOLDS, "--new", LOOSE, *gate)
    assert code == 3
    first, *_, last = out.splitlines()
    assert first.startswith("INCOMPLETE (unknown: ") and first.endswith(
        "): changes may be missing from this list"
    )
    assert last.startswith("no flow changes found, but the search is incomplete (unknown: ")
    assert REASON in first and REASON in last
    assert "the diff is incomplete (unknown: " in err and REASON in err


def test_the_json_keeps_the_unknown_status(monkeypatch, capsys):
    import json

    solver_gives_up(monkeypatch)
    code, out, _ = run(capsys, "--old", HOLDS, "--new", LOOSE, "--fail-on-new-allow", "-o", "json")
    assert code == 3
    data = json.loads(out)
    assert (data["newly_allowed"], data["newly_denied"]) == ([], [])
    assert data["status"].startswith("unknown: ") and REASON in data["status"]


def test_a_newly_allowed_flow_outranks_an_unknown(monkeypatch, capsys):
    """Found a new allow, then gave up on the rest: the gate fails (1), and the output says it is incomplete."""
    real = verifier.diff._family_diff

    def then_gives_up(*args, **kwargs):
        found, _reason = real(*args, **kwargs)
        return found, "timeout"

    monkeypatch.setattr(verifier.diff, "_family_diff", then_gives_up)
    code, out, _ = run(capsys, "--old", HOLDS, "--new", LOOSE, "--fail-on-new-allow")
    assert code == 1
    assert (
        out.splitlines()[0]
        == "INCOMPLETE (unknown: timeout): changes may be missing from this list"
    )
    assert (
        out.splitlines()[-1]
        == "2 newly allowed, 0 newly denied workload pair(s) (unknown: timeout: the list may be incomplete)"
    )


def test_only_newly_denied_and_unknown_fails_the_gate_as_unknown(monkeypatch, capsys):
    real = verifier.diff._family_diff
    monkeypatch.setattr(
        verifier.diff, "_family_diff", lambda *a, **k: (real(*a, **k)[0], "timeout")
    )
    code, _, _ = run(capsys, "--old", LOOSE, "--new", HOLDS, "--fail-on-new-allow")
    assert code == 3  # a newly allowed flow may be among what was not searched
    code, _, _ = run(capsys, "--old", LOOSE, "--new", HOLDS)
    assert code == 1  # without the gate, the newly denied flows are the difference


# --------------------------------------------------------------------------- the change limit


def test_a_diff_cut_at_its_limit_is_truncated_not_complete():
    d = diff(load(HOLDS), load(LOOSE), limit=1)
    assert len(d.changes) == 1
    assert d.status == "truncated: stopped after 1 changes (--limit 1); there may be more"
    assert diff(load(HOLDS), load(LOOSE), limit=3).status == "complete"  # room to spare: all found


def test_truncation_with_a_difference_exits_1(capsys):
    code, out, err = run(capsys, "--old", HOLDS, "--new", LOOSE, "--limit", "1")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("INCOMPLETE (truncated: stopped after 1 changes (--limit 1)")
    assert lines[1].startswith("+ newly allowed  ")
    assert lines[-1].startswith("1 newly allowed, 0 newly denied workload pair(s) (truncated: ")
    assert "the diff is incomplete (truncated: " in err


def test_truncation_without_a_failing_difference_exits_3(capsys):
    """Tightening only, cut at one change: the gate cannot say no newly allowed flow hides past the limit."""
    code, out, _ = run(
        capsys, "--old", LOOSE, "--new", HOLDS, "--limit", "1", "--fail-on-new-allow", "-o", "json"
    )
    assert code == 3
    import json

    data = json.loads(out)
    assert data["status"].startswith("truncated: ") and len(data["newly_denied"]) == 1


def test_a_complete_diff_still_exits_as_before(capsys):
    assert run(capsys, "--old", LOOSE, "--new", HOLDS, "--fail-on-new-allow")[0] == 0
    assert run(capsys, "--old", HOLDS, "--new", HOLDS)[0] == 0
    code, out, err = run(capsys, "--old", HOLDS, "--new", LOOSE)
    assert code == 1 and "INCOMPLETE" not in out and err == ""
