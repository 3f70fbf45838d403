"""One loop for every property: background, search, UNKNOWN, and a replay for every hit.

A property is a list of :class:`Query` objects (one per address family, or one
over both families), each with the encoders whose unknowns it reasons about,
its candidate violations (:class:`~verifier.symbolic.solver.Case`), and how a
hit is explained: ``explain`` decodes the model and has the engine replay it
(:func:`verifier.properties.flows.replay`), raising
:class:`~verifier.errors.SoundnessError` on any disagreement. :func:`prove`
owns everything else, the same way for every property:

* before any query it checks that the background constraints (the addresses
  netverify allocated, each in its ranges and all distinct) can hold at all:
  if they cannot, every property would "hold" vacuously, so that is an
  :class:`~verifier.errors.InputError` naming the pods without room; a solver
  that gives up on the background makes the property UNKNOWN;
* the search stops after ``limit`` counterexamples, then counts how many more cases can
  happen for up to :data:`COUNT_SECONDS` (so a report can say how many it did not show);
  a solver that gives up is UNKNOWN with its reason, never HOLDS;
* HOLDS only when every query's search came back unsat.

>>> r = prove("p", "p", "nothing", [], timeout=1, limit=1)
>>> r.status.value
'holds'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, Problem
from ..symbolic.encoder import Encoder
from ..symbolic.solver import Case, Solver, search
from ..symbolic.solver import Status as SolverStatus
from .result import Counterexample, Finding, PropertyResult

__all__ = ["COUNT_SECONDS", "Query", "prove", "background_error"]

#: Solver seconds a query may spend, past its counterexample limit, counting the cases left.
COUNT_SECONDS = 3.0


@dataclass
class Query:
    """One search: the encoders it uses, its cases (built once the background is known to hold),
    and the explanation (with its replay) of each hit."""

    label: str
    encoders: tuple[Encoder, ...]
    cases: Callable[[], list[Case]]
    explain: Callable[[Case, Any], Counterexample]
    prefer: Callable[[Case], Any] | None = None
    #: Constraints tying the encoders together (e.g. a pod keeps its address across two states).
    background: tuple[Any, ...] = field(default=())


def background_error(encoders: Iterable[Encoder], timeout: float) -> InputError:
    """The input error for an address plan that leaves allocated pods no room."""
    problems = []
    for enc in encoders:
        for pod, why in enc.background_problems(timeout):
            if pod is None:
                problems.append(Problem(f"the pods' addresses cannot be allocated: {why}"))
                continue
            problems.append(
                Problem(
                    f"netverify must choose this pod's address, but there is {why}: "
                    "every proof would hold vacuously",
                    file=pod.source.file,
                    line=pod.source.line,
                    kind="Pod",
                    namespace=pod.namespace,
                    name=pod.name,
                    field="status.podIPs",
                )
            )
    return InputError(problems)


def prove(
    prop: str,
    name: str,
    statement: str,
    queries: Iterable[Query],
    *,
    timeout: float,
    limit: int,
    findings: tuple[Finding, ...] = (),
    source: Any = None,
) -> PropertyResult:
    """Run ``queries`` in order until ``limit`` counterexamples are found; see the module docstring."""
    start = time.perf_counter()
    found: list[Counterexample] = []
    unknown: list[str] = []
    more, more_exact = 0, True
    for q in queries:
        if len(found) >= limit:
            more_exact = False  # a query left unsearched may hold more
            break
        solver = Solver(timeout=timeout)
        for enc in q.encoders:
            solver.add(*enc.constraints)
        solver.add(*q.background)
        bg = solver.check()
        if bg.status is SolverStatus.UNSAT:
            raise background_error(q.encoders, timeout)
        if bg.status is SolverStatus.UNKNOWN:
            unknown.append(f"{q.label}: the solver gave up on the address plan ({bg.reason})")
            continue
        cases = q.cases()
        if not cases:
            continue
        result = search(
            solver,
            cases,
            limit - len(found),
            prefer=q.prefer,
            steady=lambda model, encs=q.encoders: [pin for e in encs for pin in e.pins(model)],
            count_more=COUNT_SECONDS,
        )
        more += result.more
        more_exact = more_exact and result.more_exact
        if result.status is SolverStatus.UNKNOWN or (
            result.reason and result.status is not SolverStatus.UNSAT
        ):
            unknown.append(f"{q.label}: {result.reason}")
        for case, model in result.hits:
            found.append(q.explain(case, model))
    seconds = time.perf_counter() - start
    return PropertyResult.decide(
        prop,
        name,
        statement,
        found,
        unknown,
        seconds,
        findings=findings,
        source=source,
        more=more,
        more_exact=more_exact,
    )
