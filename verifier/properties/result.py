"""Results of a property check: three-valued, with counterexamples that carry their traces.

>>> r = PropertyResult("unique-pod-ips", "unique-pod-ips", Status.HOLDS, "no two pods share an IP", seconds=0.01)
>>> r.status.value, r.ok
('holds', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..trace import Decider, Trace
from .fingerprint import fingerprint

__all__ = ["Status", "Counterexample", "PropertyResult", "Finding", "Suppression"]


class Status(str, Enum):
    HOLDS = "holds"
    # Z3 proved the property (the negation is unsat) for every packet and allocation.
    VIOLATED = "violated"
    # Z3 found counterexamples, and the engine replayed each one.
    UNKNOWN = "unknown"
    # The solver gave up (timeout, resource limit): not a pass.

    def __str__(self) -> str:
        return self.value.upper()


@dataclass(frozen=True)
class Suppression:
    """Why a counterexample does not fail the check: it is known and accepted.

    ``kind`` is ``annotation`` (a ``netverify.dev/ignore`` annotation on ``object``)
    or ``baseline`` (it is in the ``--baseline`` report); ``reason`` says it in words.
    """

    kind: str
    reason: str
    object: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"object": self.object, "reason": self.reason}


@dataclass(frozen=True)
class Counterexample:
    """One concrete violation: what happened, to which packet, which objects are at fault.

    ``objects[0]`` is where a CI annotation points (the rule that allows a
    forbidden flow, the duplicate pod, the Service whose port does not resolve).
    """

    summary: str
    packet: Any = None  # verifier.symbolic.encoder.ConcretePacket
    pods: tuple[str, ...] = ()
    objects: tuple[Decider, ...] = ()
    traces: tuple[Trace, ...] = ()
    #: Addresses netverify chose for allocated pods in this counterexample.
    allocation: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    #: Set when the counterexample is known and accepted (see verifier.properties.suppress).
    suppressed: Suppression | None = None

    @property
    def location(self) -> Decider | None:
        return next(
            (o for o in self.objects if o.source is not None and o.source.line is not None), None
        ) or (self.objects[0] if self.objects else None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "packet": None if self.packet is None else self.packet.to_dict(),
            "pods": list(self.pods),
            "objects": [o.to_dict() for o in self.objects],
            "allocation": dict(self.allocation),
            "details": self.details,
            "traces": [t.to_dict() for t in self.traces],
            "suppressed": None if self.suppressed is None else self.suppressed.kind,
            "suppression": None if self.suppressed is None else self.suppressed.to_dict(),
        }


@dataclass(frozen=True)
class Finding:
    """Something worth knowing that is not a violation (e.g. a pod IP outside every pool)."""

    message: str
    objects: tuple[Decider, ...] = ()
    #: ``note`` (worth knowing) or ``warning`` (part of the input was not checked).
    severity: str = "note"

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "severity": self.severity,
            "objects": [o.to_dict() for o in self.objects],
        }


@dataclass(frozen=True)
class PropertyResult:
    """The answer for one property or user invariant."""

    property: str
    name: str
    status: Status
    #: What was proven (HOLDS) or checked, in one sentence.
    statement: str
    counterexamples: tuple[Counterexample, ...] = ()
    reason: str | None = None
    seconds: float = 0.0
    findings: tuple[Finding, ...] = ()
    #: Where a user invariant was written.
    source: Any = None
    #: The search stopped at its counterexample limit: there may be more.
    truncated: bool = False
    #: Past the limit: how many more counterexamples the solver found room for (counted,
    #: neither explained nor replayed), and whether that count is all of them (False when
    #: nobody counted).
    more: int = 0
    more_exact: bool = False

    @property
    def ok(self) -> bool:
        return self.status is Status.HOLDS

    @property
    def new_counterexamples(self) -> tuple[Counterexample, ...]:
        """The counterexamples that fail the check: neither annotated nor in the baseline."""
        return tuple(c for c in self.counterexamples if c.suppressed is None)

    @property
    def suppressed_counterexamples(self) -> tuple[Counterexample, ...]:
        return tuple(c for c in self.counterexamples if c.suppressed is not None)

    @property
    def suppressed(self) -> bool:
        """VIOLATED, but every counterexample found is known and accepted."""
        return (
            self.status is Status.VIOLATED
            and bool(self.counterexamples)
            and not self.new_counterexamples
        )

    @property
    def outcome(self) -> Status:
        """What CI acts on: VIOLATED only for counterexamples not suppressed. A suppressed
        result whose search stopped at its limit may hide a new one: UNKNOWN."""
        if self.suppressed:
            return Status.UNKNOWN if self.truncated else Status.HOLDS
        return self.status

    @classmethod
    def decide(
        cls, prop: str, name: str, statement: str, found, unknown, seconds: float, **extra: Any
    ) -> PropertyResult:
        """VIOLATED when counterexamples were ``found``, else UNKNOWN when the solver gave
        up (``unknown``: its reasons), else HOLDS: the one place the three are told apart.

        >>> PropertyResult.decide("p", "p", "s", (), ["timeout"], 1.0).status.value
        'unknown'
        """
        if found:
            return cls(
                prop, name, Status.VIOLATED, statement, tuple(found), seconds=seconds, **extra
            )
        if unknown:
            return cls(
                prop,
                name,
                Status.UNKNOWN,
                statement,
                reason="; ".join(unknown),
                seconds=seconds,
                **extra,
            )
        return cls(prop, name, Status.HOLDS, statement, seconds=seconds, **extra)

    def _repr_html_(self) -> str:
        from ..report.html import property_result_html

        return property_result_html(self)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "property": self.property,
            "status": self.status.value,
            "seconds": round(self.seconds, 4),
            "statement": self.statement,
            "counterexamples": [
                {**c.to_dict(), "fingerprint": fingerprint(self, c)} for c in self.counterexamples
            ],
            "truncated": self.truncated,
            "more_counterexamples": {"count": self.more, "exact": self.more_exact}
            if self.truncated
            else None,
            "reason": self.reason,
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.property == "invariant":
            out["name"] = self.name
        return out

    def __str__(self) -> str:
        return f"{self.status}  {self.name}"

    def __repr__(self) -> str:
        # Short in a REPL (the dataclass repr would print every counterexample and trace).
        n = len(self.counterexamples)
        return f"<PropertyResult {self}, {n} counterexample{'s' * (n != 1)}, {self.seconds:.2f}s>"
