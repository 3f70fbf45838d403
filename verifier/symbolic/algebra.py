"""The Z3 interpretation of the value algebra (see ``verifier.semantics.algebra``).

Booleans that the rules decide from the concrete model stay Python ``bool``
and fold away (``and_(False, x)`` is ``False`` without touching Z3), so a
formula only contains what depends on the packet or on allocated addresses.

>>> import z3
>>> from ipaddress import ip_network
>>> alg = Z3Algebra()
>>> ip = z3.BitVec("ip", 32)
>>> cond = alg.and_(True, alg.in_cidr(ip, ip_network("10.0.0.0/8")))
>>> z3.simplify(z3.substitute(cond, (ip, z3.BitVecVal(0x0A000001, 32))))
True
>>> alg.and_(False, cond)
False
"""

from __future__ import annotations

import ipaddress
from typing import Any

import z3

from ..model import IP, PROTOCOLS, Network, Pod

__all__ = ["Z3Algebra", "width", "PROTOCOL_CODES", "protocol_name", "ip_value"]

PROTOCOL_CODES = {name: i for i, name in enumerate(PROTOCOLS)}


def width(family: int) -> int:
    return 32 if family == 4 else 128


def protocol_name(code: int) -> str:
    return PROTOCOLS[code]


def ip_value(value: z3.BitVecNumRef, family: int) -> IP:
    return (
        ipaddress.ip_address(value.as_long())
        if family == 4
        else ipaddress.IPv6Address(value.as_long())
    )


def _connective(make: Any, terms: list[Any]) -> z3.BoolRef:
    """``z3.And``/``z3.Or`` of Boolean terms, straight through the C API: the Python wrappers
    re-check every argument's sort, which dominates when formulas are built by the thousand."""
    ctx = terms[0].ctx
    args = (z3.Ast * len(terms))(*(t.as_ast() for t in terms))
    return z3.BoolRef(make(ctx.ref(), len(terms), args), ctx)


def _is_ip(value: Any) -> bool:
    return isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address))


class Z3Algebra:
    """Terms are Z3 bit-vectors (IPs 32/128, ports 16, protocol 2 bits) or Python constants.

    ``allocated`` maps ``(pod ref, family)`` to the Z3 variable standing for an
    address netverify allocated (the input left it open).
    """

    true = True
    false = False

    def __init__(self, allocated: dict[tuple[str, int], z3.BitVecRef] | None = None):
        self.allocated = allocated if allocated is not None else {}
        # The same atoms (ip in 10.0.0.0/8, port == 80) recur across thousands of
        # pod pairs: build each Z3 term once.
        self._atoms: dict[tuple, Any] = {}
        #: Policy decisions already built (verifier.semantics.policy keeps them here).
        self.decisions: dict[tuple, Any] = {}

    # ----- booleans, with constant folding

    def and_(self, *terms: Any) -> Any:
        rest = []
        for t in terms:
            if t is False:
                return False
            if t is True:
                continue
            rest.append(t)
        if not rest:
            return True
        return rest[0] if len(rest) == 1 else _connective(z3.Z3_mk_and, rest)

    def or_(self, *terms: Any) -> Any:
        rest = []
        for t in terms:
            if t is True:
                return True
            if t is False:
                continue
            rest.append(t)
        if not rest:
            return False
        return rest[0] if len(rest) == 1 else _connective(z3.Z3_mk_or, rest)

    def not_(self, term: Any) -> Any:
        if isinstance(term, bool):
            return not term
        return z3.Not(term)

    def ite(self, cond: Any, then: Any, other: Any) -> Any:
        if cond is True:
            return then
        if cond is False:
            return other
        if then is other:
            return then
        if isinstance(then, bool) and isinstance(other, bool):
            return cond if then else z3.Not(cond)
        return z3.If(cond, self._bool(then), self._bool(other))

    @staticmethod
    def _bool(t: Any) -> Any:
        return z3.BoolVal(t) if isinstance(t, bool) else t

    # ----- comparisons

    def eq(self, a: Any, b: Any) -> Any:
        if not isinstance(a, z3.ExprRef) and not isinstance(b, z3.ExprRef):
            return a == b
        if isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef):
            if a.sort() != b.sort():
                return False  # different address families never compare equal
            return a == b
        sym, const = (a, b) if isinstance(a, z3.ExprRef) else (b, a)
        key = ("eq", sym.get_id(), const)
        term = self._atoms.get(key)
        if term is None:
            term = self._atoms[key] = sym == self._const(const, sym.size())
        return term

    def in_range(self, value: Any, lo: int, hi: int) -> Any:
        if not isinstance(value, z3.ExprRef):
            return lo <= value <= hi
        key = ("range", value.get_id(), lo, hi)
        term = self._atoms.get(key)
        if term is None:
            term = self._atoms[key] = (
                value == lo if lo == hi else z3.And(z3.UGE(value, lo), z3.ULE(value, hi))
            )
        return term

    def in_cidr(self, ip: Any, net: Network) -> Any:
        if not isinstance(ip, z3.ExprRef):
            return _is_ip(ip) and ip.version == net.version and ip in net
        w = ip.size()
        if w != width(net.version):
            return False
        if net.prefixlen == 0:
            return True
        key = ("cidr", ip.get_id(), net)
        term = self._atoms.get(key)
        if term is None:
            hi, lo = w - 1, w - net.prefixlen
            term = self._atoms[key] = z3.Extract(hi, lo, ip) == (int(net.network_address) >> lo)
        return term

    # ----- constants and variables

    def ip(self, value: IP) -> Any:
        return value

    def port(self, value: int) -> Any:
        return value

    def protocol(self, value: str) -> Any:
        return value  # compared with a symbolic protocol, _const turns it into its code

    def pod_ip(self, pod: Pod, family: int) -> Any:
        var = self.allocated.get((pod.ref, family))
        return var if var is not None else pod.ip(family)

    @staticmethod
    def _const(value: Any, size: int) -> z3.BitVecNumRef:
        if _is_ip(value):
            return z3.BitVecVal(int(value), size)
        if isinstance(value, str):
            return z3.BitVecVal(PROTOCOL_CODES[value], size)
        return z3.BitVecVal(int(value), size)
