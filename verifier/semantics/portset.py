"""A third interpretation of the rules: booleans are *sets of (protocol, port)*.

With concrete addresses and a packet whose port and protocol are left open,
evaluating a rule in this algebra yields exactly the destination ports and
protocols for which the rule holds. ``netverify matrix`` uses it to list, per
pod pair, every allowed port in one pass instead of 3 x 65,535 replays.

>>> alg = PortSetAlgebra()
>>> web = alg.and_(alg.eq(ANY_PROTOCOL, alg.protocol("TCP")), alg.in_range(ANY_PORT, 8000, 8100))
>>> str(alg.or_(web, alg.eq(ANY_PORT, alg.port(53))))
'TCP 53,8000-8100; UDP 53; SCTP 53'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import IP, PROTOCOLS, Network
from .algebra import ConcreteAddresses

__all__ = ["PortSet", "PortSetAlgebra", "ANY_PORT", "ANY_PROTOCOL", "FULL", "EMPTY"]

Ranges = tuple[tuple[int, int], ...]


class _Open:
    """Marker for the packet field left open (port or protocol)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


ANY_PORT = _Open("ANY_PORT")
ANY_PROTOCOL = _Open("ANY_PROTOCOL")

_ALL: Ranges = ((1, 65535),)
_NO_RANGES = ((), (), ())


def _union(a: Ranges, b: Ranges) -> Ranges:
    merged: list[list[int]] = []
    for lo, hi in sorted(a + b):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def _intersect(a: Ranges, b: Ranges) -> Ranges:
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _complement(a: Ranges) -> Ranges:
    out, nxt = [], 1
    for lo, hi in a:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= 65535:
        out.append((nxt, 65535))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PortSet:
    """Allowed destination ports per protocol (TCP, UDP, SCTP), as sorted inclusive ranges."""

    ranges: tuple[Ranges, Ranges, Ranges]

    def __bool__(self) -> bool:
        return self.ranges != _NO_RANGES

    def protocol(self, name: str) -> Ranges:
        return self.ranges[PROTOCOLS.index(name)]

    def contains(self, port: int, protocol: str) -> bool:
        return any(lo <= port <= hi for lo, hi in self.protocol(protocol))

    @property
    def is_full(self) -> bool:
        return all(r == _ALL for r in self.ranges)

    def items(self) -> list[tuple[str, Ranges]]:
        return [(p, r) for p, r in zip(PROTOCOLS, self.ranges, strict=True) if r]

    def __str__(self) -> str:
        if self.is_full:
            return "all"
        if not self:
            return "none"
        parts = []
        for proto, ranges in self.items():
            ports = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)
            parts.append(f"{proto} {'all' if ranges == _ALL else ports}")
        return "; ".join(parts)

    def to_list(self) -> list[dict[str, Any]]:
        """JSON shape: ``[{"protocol": "TCP", "ports": ["80", "8000-8100"]}]``; ``["all"]`` for every port."""
        return [
            {
                "protocol": proto,
                "ports": ["all"]
                if ranges == _ALL
                else [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges],
            }
            for proto, ranges in self.items()
        ]


FULL = PortSet((_ALL, _ALL, _ALL))
EMPTY = PortSet(((), (), ()))


def _lift(value: Any) -> PortSet:
    if isinstance(value, PortSet):
        return value
    return FULL if value else EMPTY


class PortSetAlgebra(ConcreteAddresses):
    """Booleans are :class:`PortSet`; IPs must be concrete; port/protocol may be open."""

    true = FULL
    false = EMPTY

    def and_(self, *terms: Any) -> PortSet:
        out = FULL
        for t in terms:
            t = _lift(t)
            if t is FULL or t == FULL:
                continue
            if out is FULL:
                out = t
            else:
                out = PortSet(
                    tuple(_intersect(a, b) for a, b in zip(out.ranges, t.ranges, strict=True))
                )
            if not out:
                return EMPTY
        return out

    def or_(self, *terms: Any) -> PortSet:
        out = EMPTY
        for t in terms:
            t = _lift(t)
            if not t:
                continue
            if t is FULL or t == FULL:
                return FULL
            out = (
                t
                if out is EMPTY
                else PortSet(tuple(_union(a, b) for a, b in zip(out.ranges, t.ranges, strict=True)))
            )
        return out

    def not_(self, term: Any) -> PortSet:
        return PortSet(tuple(_complement(r) for r in _lift(term).ranges))

    def ite(self, cond: Any, then: Any, other: Any) -> PortSet:
        return self.or_(self.and_(cond, then), self.and_(self.not_(cond), other))

    def eq(self, a: Any, b: Any) -> PortSet:
        if a is ANY_PORT or b is ANY_PORT:
            n = b if a is ANY_PORT else a
            return PortSet((((n, n),),) * 3) if isinstance(n, int) and 1 <= n <= 65535 else EMPTY
        if a is ANY_PROTOCOL or b is ANY_PROTOCOL:
            name = b if a is ANY_PROTOCOL else a
            return PortSet(tuple(_ALL if p == name else () for p in PROTOCOLS))
        return _lift(a == b)

    def in_range(self, value: Any, lo: int, hi: int) -> PortSet:
        if value is ANY_PORT:
            return PortSet((((lo, hi),),) * 3)
        return _lift(lo <= value <= hi)

    def in_cidr(self, ip: IP, net: Network) -> PortSet:
        return _lift(ip.version == net.version and ip in net)
