"""The value algebra the Kubernetes rules are written in.

Every rule in ``verifier.semantics`` is written once, as a Python function over
the concrete cluster model and a *packet* whose fields are algebra terms. Two
algebras interpret them:

* :class:`Concrete` (here): terms are plain Python values, booleans are ``bool``;
  the engine uses it to replay one packet.
* ``verifier.symbolic.algebra.Z3Algebra``: terms are Z3 bit-vectors and booleans
  are Z3 formulas; the encoder uses it to reason about every packet at once.

Loops over the model (which policies select a pod, which backends a Service
has) run in Python in both cases, so the Z3 formulas stay quantifier-free.

>>> from ipaddress import ip_address, ip_network
>>> alg = Concrete()
>>> alg.in_cidr(ip_address("10.0.1.5"), ip_network("10.0.0.0/16"))
True
>>> alg.and_(alg.eq(80, alg.port(80)), alg.in_range(80, 1, 1024))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..model import IP, Network, Pod

__all__ = ["Algebra", "ConcreteAddresses", "Concrete", "CONCRETE", "Packet"]

Term = Any  # a Python value (Concrete) or a Z3 expression (symbolic)


class Algebra(Protocol):
    """What a rule may do with packet fields. Booleans, IPs, ports and protocols are terms."""

    true: Term
    false: Term

    def and_(self, *terms: Term) -> Term: ...
    def or_(self, *terms: Term) -> Term: ...
    def not_(self, term: Term) -> Term: ...
    def ite(self, cond: Term, then: Term, other: Term) -> Term: ...
    def eq(self, a: Term, b: Term) -> Term: ...
    def in_range(self, value: Term, lo: int, hi: int) -> Term: ...
    def in_cidr(self, ip: Term, net: Network) -> Term: ...
    def ip(self, value: IP) -> Term: ...
    def port(self, value: int) -> Term: ...
    def protocol(self, value: str) -> Term: ...
    def pod_ip(self, pod: Pod, family: int) -> Term | None:
        """The pod's address of ``family`` (an unknown for IPs netverify allocated)."""
        ...


class ConcreteAddresses:
    """Constants are themselves and every pod has its loaded address (no unknowns)."""

    def ip(self, value: IP) -> IP:
        return value

    def port(self, value: int) -> int:
        return value

    def protocol(self, value: str) -> str:
        return value

    def pod_ip(self, pod: Pod, family: int) -> IP | None:
        return pod.ip(family)


class Concrete(ConcreteAddresses):
    """The identity interpretation: terms are values, booleans are ``bool``."""

    true = True
    false = False

    def and_(self, *terms: bool) -> bool:
        return all(terms)

    def or_(self, *terms: bool) -> bool:
        return any(terms)

    def not_(self, term: bool) -> bool:
        return not term

    def ite(self, cond: bool, then: Any, other: Any) -> Any:
        return then if cond else other

    def eq(self, a: Any, b: Any) -> bool:
        return a == b

    def in_range(self, value: int, lo: int, hi: int) -> bool:
        return lo <= value <= hi

    def in_cidr(self, ip: IP, net: Network) -> bool:
        return ip.version == net.version and ip in net


CONCRETE = Concrete()


@dataclass(frozen=True, slots=True)
class Packet:
    """A connection's first packet, as policy and NAT see it. Fields are algebra terms.

    ``family`` is always concrete (4 or 6): rules branch on it in Python, so a
    family mismatch (a v6 packet against a v4 ipBlock) never reaches the solver.
    """

    family: int
    src_ip: Term
    dst_ip: Term
    dst_port: Term
    protocol: Term
    src_port: Term = None

    def with_(self, **changes: Term) -> Packet:
        from dataclasses import replace

        return replace(self, **changes)
