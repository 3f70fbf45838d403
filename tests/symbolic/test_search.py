"""``solver.search``: the count of the cases past the limit (issue 11: say how many more)."""

from __future__ import annotations

import z3

from verifier.symbolic.solver import Case, Solver, Status, search


def _cases():
    """Six cases on one 8-bit unknown: five can happen (x == 0..4), one cannot (x > 300)."""
    x = z3.BitVec("t.x", 8)
    can = [Case(("eq", i), x == i) for i in range(5)]
    never = Case(("never",), z3.UGT(z3.ZeroExt(8, x), 300))
    return can[:2] + [never] + can[2:]


def test_past_the_limit_the_cases_that_can_happen_are_counted_exactly():
    result = search(Solver(timeout=10), _cases(), 2, count_more=10.0)
    assert result.status is Status.SAT
    keys = [case.key for case, _model in result.hits]
    # Which two Z3 finds first is its choice; they come back in the order of the cases.
    assert len(keys) == 2 and keys == sorted(keys) and ("never",) not in keys
    assert (result.more, result.more_exact) == (3, True)


def test_no_budget_counts_nothing_and_says_so():
    result = search(Solver(timeout=10), _cases(), 2)
    assert (len(result.hits), result.more, result.more_exact) == (2, 0, False)


def test_a_limit_that_covers_every_case_leaves_nothing_to_count():
    result = search(Solver(timeout=10), _cases(), 5, count_more=10.0)
    assert len(result.hits) == 5
    assert (result.more, result.more_exact) == (0, True)
