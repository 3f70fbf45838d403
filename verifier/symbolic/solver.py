"""The one place netverify talks to the Z3 solver.

Fixed seed, a per-query timeout, incremental solving with push/pop, and a
three-valued answer: ``unknown`` is :attr:`Status.UNKNOWN` with Z3's reason,
never a pass.

>>> import z3
>>> s = Solver(timeout=5)
>>> x = z3.BitVec("x", 8)
>>> s.check(z3.UGT(x, 250)).status.name
'SAT'
>>> s.check(z3.And(x == 1, x == 2)).status.name
'UNSAT'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

import z3

__all__ = ["Status", "Answer", "Solver", "DEFAULT_TIMEOUT", "Case", "Search", "search"]

#: Seconds per query; a query that takes longer is UNKNOWN.
DEFAULT_TIMEOUT = 60.0


class Status(Enum):
    SAT = "sat"
    # A packet (and allocation) satisfying the query exists: a counterexample.
    UNSAT = "unsat"
    # No packet satisfies the query: the property is proven.
    UNKNOWN = "unknown"
    # Z3 gave up (timeout, resource limit): neither proven nor refuted.


@dataclass(frozen=True)
class Answer:
    status: Status
    model: z3.ModelRef | None
    reason: str | None
    seconds: float


class Solver:
    """A Z3 solver configured for reproducible, bounded proofs."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, seed: int = 0):
        self.timeout = timeout
        self._solver = z3.SolverFor("QF_BV")
        self._solver.set("random_seed", seed)
        self._solver.set("timeout", max(1, int(timeout * 1000)))

    def add(self, *constraints: Any) -> None:
        for c in constraints:
            if c is True:
                continue
            self._solver.add(z3.BoolVal(False) if c is False else c)

    def unsat_core(self, tracked: list[tuple[str, Any]]) -> list[str]:
        """The labels of a subset of ``tracked`` constraints that cannot hold together (empty if they can)."""
        s = z3.SolverFor("QF_BV")
        s.set("timeout", max(1, int(self.timeout * 1000)))
        for label, c in tracked:
            s.assert_and_track(
                z3.BoolVal(c) if isinstance(c, bool) else c, z3.Bool(f"track:{label}:{id(c)}")
            )
        if s.check() != z3.unsat:
            return []
        return [str(b).split(":")[1] for b in s.unsat_core()]

    @contextmanager
    def scope(self) -> Iterator[Solver]:
        """Constraints added inside the block are dropped at its end."""
        self._solver.push()
        try:
            yield self
        finally:
            self._solver.pop()

    def check(self, *query: Any) -> Answer:
        """Is ``query`` (with everything added so far) satisfiable?"""
        start = time.perf_counter()
        with self.scope():
            self.add(*query)
            result = self._solver.check()
            elapsed = time.perf_counter() - start
            if result == z3.sat:
                return Answer(Status.SAT, self._solver.model(), None, elapsed)
            if result == z3.unsat:
                return Answer(Status.UNSAT, None, None, elapsed)
            return Answer(Status.UNKNOWN, None, self._solver.reason_unknown() or "unknown", elapsed)


@dataclass(frozen=True)
class Case:
    """One candidate violation: an opaque ``key`` and the formula saying it happens."""

    key: Any
    formula: Any


@dataclass(frozen=True)
class Search:
    """The outcome of :func:`search`: counterexamples found, and whether the rest is proven."""

    status: Status
    hits: tuple[tuple[Case, z3.ModelRef], ...]
    reason: str | None
    seconds: float
    #: Past ``limit``: how many more cases can happen (counted, not explained), and whether
    #: that is all of them (False: counting stopped at its time budget or the solver gave up).
    more: int = 0
    more_exact: bool = True


def search(
    solver: Solver,
    cases: list[Case],
    limit: int,
    *,
    prefer: Callable[[Case], Any] | None = None,
    steady: Callable[[z3.ModelRef], list[tuple[Any, Any]]] | None = None,
    count_more: float = 0.0,
) -> Search:
    """Find up to ``limit`` cases that can happen, each with a model.

    Asks Z3 for the disjunction of the cases; every model found names one
    case, which is then set aside so the next answer is a different case. The
    status is UNSAT only when Z3 proved that no (remaining) case can happen,
    SAT when at least one was found, UNKNOWN when the solver gave up first.
    The hits come in the order of ``cases`` (not the order Z3 happened to find
    them in, which depends on what the process solved before), so one input
    always gives one report.

    ``prefer(case)`` may name a condition that makes a better example (a port
    the destination declares, say); each hit's model is re-solved under it and
    kept only if the preference can hold. It never decides *whether* a case
    happens, only which example of it is shown.

    ``steady(model)`` names ``(key, constraint)`` pairs that keep a hit's choices
    (the addresses netverify allocated): later hits are re-solved under the pins of
    the earlier ones when they can hold, so one pod keeps one address across the
    examples of a report. Like ``prefer``, it only chooses among examples.

    ``count_more`` (seconds): once ``limit`` is reached, go on counting the cases that can
    happen, without models kept, for at most that long (:attr:`Search.more`).
    """
    remaining = [c for c in cases if c.formula is not False]
    hits: list[tuple[Case, z3.ModelRef]] = []
    pinned: dict[Any, Any] = {}
    position = {id(c): i for i, c in enumerate(cases)}

    def found() -> tuple[tuple[Case, z3.ModelRef], ...]:
        return tuple(sorted(hits, key=lambda hit: position[id(hit[0])]))

    seconds = 0.0
    with solver.scope():
        # Each case once, behind a selector: a query is then only the disjunction of the
        # selectors still in play, not a new formula of every remaining case.
        selector = {}
        for i, c in enumerate(remaining):
            b = selector[id(c)] = z3.Bool(f"case!{i}")
            if c.formula is not True:
                solver.add(z3.Implies(b, c.formula))
        while True:
            if len(hits) >= limit:
                more, exact, spent = _count(solver, remaining, selector, count_more)
                return Search(Status.SAT, found(), None, seconds + spent, more, exact)
            if not remaining:
                return Search(Status.SAT if hits else Status.UNSAT, found(), None, seconds)
            answer = solver.check(z3.Or(*[selector[id(c)] for c in remaining]))
            seconds += answer.seconds
            if answer.status is Status.UNSAT:
                return Search(Status.SAT if hits else Status.UNSAT, found(), None, seconds)
            if answer.status is Status.UNKNOWN:
                return Search(
                    Status.SAT if hits else Status.UNKNOWN, found(), answer.reason, seconds
                )
            model = answer.model
            hit = next(
                (
                    c
                    for c in remaining
                    if z3.is_true(model.eval(selector[id(c)], model_completion=True))
                ),
                None,
            )
            if hit is None:  # pragma: no cover - a model of the disjunction sets some selector
                raise AssertionError("Z3 model satisfies no case of the disjunction")
            wishes = []
            if prefer is not None:
                wish = prefer(hit)
                if wish is not None and wish is not True:
                    wishes.append(wish)
            for attempt in ([*pinned.values(), *wishes], wishes):
                if not attempt:
                    continue
                better = solver.check(selector[id(hit)], *attempt)
                seconds += better.seconds
                if better.status is Status.SAT:
                    model = better.model
                    break
            if steady is not None:
                for key, pin in steady(model):
                    pinned.setdefault(key, pin)
            hits.append((hit, model))
            remaining = [c for c in remaining if c is not hit]


def _count(
    solver: Solver, remaining: list[Case], selector: dict, budget: float
) -> tuple[int, bool, float]:
    """How many of ``remaining`` can happen: (count, exact, solver seconds). Every case a model
    satisfies is counted at once; counting stops, inexact, past ``budget`` seconds."""
    if not remaining:
        return 0, True, 0.0
    if budget <= 0:
        return 0, False, 0.0
    count, spent = 0, 0.0
    while remaining:
        if spent >= budget:
            return count, False, spent
        answer = solver.check(z3.Or(*[selector[id(c)] for c in remaining]))
        spent += answer.seconds
        if answer.status is Status.UNSAT:
            return count, True, spent
        if answer.status is not Status.SAT:
            return count, False, spent
        model = answer.model
        happen = {
            id(c)
            for c in remaining
            if z3.is_true(model.eval(selector[id(c)], model_completion=True))
        }
        if not happen:  # pragma: no cover - a model of the disjunction sets some selector
            return count, False, spent
        count += len(happen)
        remaining = [c for c in remaining if id(c) not in happen]
    return count, True, spent
