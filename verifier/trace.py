"""What the engine answers: a :class:`Trace` of :class:`Hop` records and a :class:`Verdict`.

Pure data. Rendering lives in ``verifier.report``; these classes only give a
one-line ``__str__`` and a JSON-ready ``to_dict`` (the shape the CLI documents).

>>> v = Verdict.ALLOWED
>>> v.reachable, str(v)
(True, 'ALLOWED')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ._callable import callable_module
from .model import IP, Source

__all__ = ["Verdict", "Decider", "PacketView", "Hop", "Branch", "Trace", "host_port"]


class Verdict(str, Enum):
    """How a connection attempt ends."""

    ALLOWED = "ALLOWED"
    # The packet reaches the destination pod (or leaves the cluster) and policy allows it.
    DENIED = "DENIED"
    # A policy isolates the source (egress) or the destination (ingress) and no rule allows it,
    # or a Service's loadBalancerSourceRanges leave the source out.
    NXDOMAIN = "NXDOMAIN"
    # The name does not resolve (or has no record of the wanted family) from the client pod.
    DNS_BLOCKED = "DNS_BLOCKED"
    # The client's egress policy does not let its DNS query reach the cluster DNS.
    NO_ENDPOINTS = "NO_ENDPOINTS"
    # A Service address with no usable endpoint: kube-proxy rejects (or drops) the connection.
    NO_ROUTE = "NO_ROUTE"
    # Nothing owns the destination address (a pod range without a pod, a ClusterIP from outside).
    NO_SERVICE_PORT = "NO_SERVICE_PORT"
    # A Service-range address on a port/protocol no Service port defines: never delivered.
    DEPENDS = "DEPENDS"
    # A name resolved outside the cluster that the input does not pin: allowed to some of the
    # addresses it may have and denied to others (the trace shows one of each).
    NO_SUCH_PORT = "NO_SUCH_PORT"
    # A named port that no container (or Service) declares.

    @property
    def reachable(self) -> bool:
        return self is Verdict.ALLOWED

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Decider:
    """An object that took part in a decision: ``NetworkPolicy shop/allow-web ingress[0]`` at ``file:line``."""

    kind: str
    name: str
    namespace: str | None = None
    part: str | None = None
    source: Source | None = None

    @property
    def ref(self) -> str:
        ident = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {ident}" + (f" {self.part}" if self.part else "")

    def __str__(self) -> str:
        if self.source is not None and self.source.file != "<unknown>":
            return f"{self.ref} ({self.source})"
        return self.ref

    def to_dict(self) -> dict[str, Any]:
        # Objects built in code carry the placeholder source "<unknown>": no location, as in __str__.
        known = self.source if self.source is not None and self.source.file != "<unknown>" else None
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "part": self.part,
            "file": known.file if known else None,
            "line": known.line if known else None,
        }

    @classmethod
    def of(cls, obj: Any, part: str | None = None, source: Source | None = None) -> Decider:
        return cls(
            kind=obj.kind,
            name=obj.name,
            namespace=getattr(obj, "namespace", None),
            part=part,
            source=source if source is not None else getattr(obj, "source", None),
        )


def host_port(host: object, port: object) -> str:
    """An address and a port as text: ``10.0.0.1:80``, ``[fd00::1]:80`` (RFC 3986); no port, the address.

    >>> host_port("fd00::1", 80), host_port("10.0.0.1", 80), host_port("web.shop", None)
    ('[fd00::1]:80', '10.0.0.1:80', 'web.shop')
    """
    text = str(host)
    shown = f"[{text}]" if ":" in text and not text.startswith("[") else text
    return shown if port is None else f"{shown}:{port}"


@dataclass(frozen=True, slots=True)
class PacketView:
    """A concrete packet: ``10.0.0.1 -> 10.96.0.10:53/UDP``."""

    src_ip: IP | None
    dst_ip: IP | None
    dst_port: int | None
    protocol: str

    def __str__(self) -> str:
        src = "-" if self.src_ip is None else str(self.src_ip)
        dst = "-" if self.dst_ip is None else str(self.dst_ip)
        return f"{src} -> {host_port(dst, self.dst_port)}/{self.protocol}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "src_ip": None if self.src_ip is None else str(self.src_ip),
            "dst_ip": None if self.dst_ip is None else str(self.dst_ip),
            "dst_port": self.dst_port,
            "protocol": self.protocol,
        }


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of the pipeline: what it decided, why, and who decided.

    ``step`` is one of ``resolve``, ``dns-query``, ``service``, ``egress``,
    ``route``, ``snat``, ``ingress``, ``deliver``, ``note``.
    """

    step: str
    outcome: str
    detail: str
    deciders: tuple[Decider, ...] = ()
    packet: PacketView | None = None

    def __str__(self) -> str:
        s = f"{self.step:<8} {self.outcome}: {self.detail}"
        if self.deciders:
            s += " [" + "; ".join(map(str, self.deciders)) + "]"
        return s

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "outcome": self.outcome,
            "detail": self.detail,
            "deciders": [d.to_dict() for d in self.deciders],
            "packet": None if self.packet is None else self.packet.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Branch:
    """One possible path: a Service backend kube-proxy may choose (or the only path)."""

    hops: tuple[Hop, ...]
    verdict: Verdict
    #: "ns/name" of the backend pod, or None for a plain address.
    pod: str | None = None
    ip: IP | None = None
    port: int | None = None
    #: The node that translated the packet (Service or hostPort), when one did.
    node: str | None = None

    @property
    def reachable(self) -> bool:
        return self.verdict.reachable

    def to_dict(self) -> dict[str, Any]:
        return {
            "pod": self.pod,
            "ip": None if self.ip is None else str(self.ip),
            "port": self.port,
            "node": self.node,
            "verdict": self.verdict.value,
            "reachable": self.reachable,
            "trace": [h.to_dict() for h in self.hops],
        }


@dataclass(frozen=True)
class Trace:
    """The engine's answer for one connection attempt.

    ``hops`` are the steps every path shares (name resolution, Service
    translation); ``branches`` hold one path per candidate backend (one branch
    when there is no choice). The connection is possible iff some branch is ALLOWED.
    """

    source: str
    destination: str
    port: int | str | None
    protocol: str
    family: int | None
    hops: tuple[Hop, ...]
    branches: tuple[Branch, ...]
    verdict: Verdict
    notes: tuple[str, ...] = field(default=())
    #: The address the client sends to (a name resolved), None when it never got one.
    address: IP | None = None
    #: The nameserver whose DNS query was checked as a flow, when the lookup went through one.
    nameserver: IP | None = None
    #: The absolute name whose records answered the lookup (a name destination), if any did.
    resolved_by: str | None = None

    @property
    def reachable(self) -> bool:
        return self.verdict.reachable

    @property
    def decisive_branch(self) -> Branch | None:
        """The branch whose verdict the trace reports (first allowed, else first)."""
        for b in self.branches:
            if b.verdict is self.verdict:
                return b
        return self.branches[0] if self.branches else None

    @property
    def all_hops(self) -> tuple[Hop, ...]:
        b = self.decisive_branch
        return self.hops + (b.hops if b else ())

    def _repr_html_(self) -> str:
        from .report.html import trace_html

        return trace_html(self)

    @property
    def summary(self) -> str:
        """One line: ``DENIED: x/b -> x/a:80/TCP``."""
        return f"{self.verdict}: {self.source} -> {host_port(self.destination, self.port)}/{self.protocol}"

    def __str__(self) -> str:
        # print(trace) shows the trace as `netverify reach` does.
        return self.text()

    def __repr__(self) -> str:
        # Short in a REPL (the dataclass repr would print every hop); str() is the whole trace.
        hops = len(self.hops) + sum(len(b.hops) for b in self.branches)
        return f"<Trace {self.summary}, {hops} hops>"

    def text(self, *, wide: bool = False) -> str:
        """The trace as ``netverify reach`` prints it: the verdict line, then numbered hops."""
        from .report.text import format_trace

        return format_trace(self, wide=wide)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "reachable": self.reachable,
            "source": self.source,
            "destination": self.destination,
            "port": self.port,
            "protocol": self.protocol,
            "family": self.family,
            "backends": [b.to_dict() for b in self.branches],
            "trace": [h.to_dict() for h in self.all_hops],
            "notes": list(self.notes),
        }


def _trace_function():
    from .engine import trace as run

    return run


# ``verifier.trace(...)`` calls the function even after this module was imported (see _callable).
callable_module(__name__, _trace_function)
