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

__all__ = ["Status", "Counterexample", "PropertyResult", "Finding"]


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
        }


@dataclass(frozen=True)
class Finding:
    """Something worth knowing that is not a violation (e.g. a pod IP outside every pool)."""

    message: str
    objects: tuple[Decider, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "objects": [o.to_dict() for o in self.objects]}


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

    @property
    def ok(self) -> bool:
        return self.status is Status.HOLDS

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
            "counterexamples": [c.to_dict() for c in self.counterexamples],
            "reason": self.reason,
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.property == "invariant":
            out["name"] = self.name
        return out

    def __str__(self) -> str:
        return f"{self.status}  {self.name}"
