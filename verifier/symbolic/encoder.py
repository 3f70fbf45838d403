"""Compile the cluster's semantics into Z3: addresses, packets and the journey's paths.

Nothing here restates a Kubernetes rule. A path's verdict is
:func:`verifier.semantics.journey.evaluate` in the :class:`Z3Algebra`; this
module only decides *what is unknown* (the packet, and the addresses netverify
allocated) and how a Z3 model maps back to pods, ports and protocols.

>>> from verifier.model import Cluster, Pod, Labels, ip_address
>>> from verifier.semantics.journey import Path
>>> from verifier.semantics.endpoint import PodEndpoint
>>> a = Pod(namespace="x", name="a", ips=(ip_address("10.244.0.5"),), node_name="n1")
>>> b = Pod(namespace="x", name="b", ips=(ip_address("10.244.0.6"),), node_name="n1")
>>> enc = Encoder(Cluster(pods=(a, b)), family=4)
>>> pkt = enc.packet("q")
>>> allowed = enc.allowed(Client.of_pod(enc.cluster, a), Path(PodEndpoint(b), None, None), pkt)
>>> enc.solver(timeout=10).check(allowed, pkt.dst_port == 80).status.name
'SAT'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import z3

from ..model import IP, Cluster, Network, Pod
from ..semantics import ipam, journey
from ..semantics.addressing import host_address
from ..semantics.algebra import Packet
from ..semantics.journey import Path
from ..semantics.pipeline import Client
from .algebra import PROTOCOL_CODES, Z3Algebra, ip_value, protocol_name, width
from .solver import DEFAULT_TIMEOUT, Solver

__all__ = [
    "Encoder",
    "ConcretePacket",
    "allocation_ranges",
    "reserved_addresses",
    "instantiate",
    "is_true",
    "fresh",
]


@dataclass(frozen=True, slots=True)
class ConcretePacket:
    """A packet read back from a Z3 model."""

    family: int
    src_ip: IP | None
    dst_ip: IP | None
    dst_port: int | None
    protocol: str | None

    def __str__(self) -> str:
        return f"{self.src_ip} -> {self.dst_ip}:{self.dst_port}/{self.protocol}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "src_ip": None if self.src_ip is None else str(self.src_ip),
            "dst_ip": None if self.dst_ip is None else str(self.dst_ip),
            "dst_port": self.dst_port,
            "protocol": self.protocol,
        }


def allocation_ranges(cluster: Cluster, pod: Pod, family: int) -> tuple[Network, ...]:
    """Where the IPAM may put an address for ``pod`` (:func:`verifier.semantics.ipam.ranges`)."""
    node = cluster.node_by_name.get(pod.node_name or "")
    return ipam.ranges(node, cluster.ip_pools, family, cluster.config.pod_cidrs)


def reserved_addresses(cluster: Cluster, net: Network) -> tuple[IP, ...]:
    """Addresses of an allocation range no IPAM hands to a pod (:func:`verifier.semantics.ipam.reserved`)."""
    return ipam.reserved(net, cluster.ip_pools)


def instantiate(cluster: Cluster, allocation: dict[tuple[str, int], IP]) -> Cluster:
    """The cluster with the allocated addresses of a counterexample filled in (for replay)."""
    if not allocation:
        return cluster
    pods = []
    for p in cluster.pods:
        if p.ip_allocated and any((p.ref, f) in allocation for f in (4, 6)):
            ips = tuple(allocation.get((p.ref, ip.version), ip) for ip in p.ips)
            p = replace(p, ips=ips)
        pods.append(p)
    return replace(cluster, pods=tuple(pods))


class Encoder:
    """Z3 terms for one cluster and one address family.

    Pods with ``ip_allocated`` get an unknown address per family, constrained
    to their allocation ranges and distinct from every other pod address: a
    proof then covers every allocation the pools allow.
    """

    def __init__(self, cluster: Cluster, family: int, *, prefix: str = ""):
        self.cluster = cluster
        self.family = family
        #: Prepended to the names of the allocation unknowns, so that two encoders
        #: (two cluster states) can share one solver without sharing addresses.
        self.prefix = prefix
        self.width = width(family)
        self.allocated: dict[tuple[str, int], z3.BitVecRef] = {}
        self.constraints: list[Any] = []
        #: The allocation constraints by pod (None: the distinctness of all of them), for unsat cores.
        self.tracked: list[tuple[Pod | None, list[Any]]] = []
        self.alg = Z3Algebra(self.allocated)  # shares the dict _allocate fills
        self._allocate()
        self._one_of: dict[tuple, Any] = {}

    # ----- addresses

    def _allocate(self) -> None:
        fam = self.family
        concrete = [
            ip
            for p in self.cluster.live_pods
            if not p.ip_allocated and not p.host_network
            for ip in p.ips
            if ip.version == fam
        ]
        # In use, says an EndpointSlice: no other pod is handed it (:func:`ipam.named_by_endpoints`).
        in_slices = [
            (ip, target)
            for ip, target in ipam.named_by_endpoints(self.cluster.endpoint_slices).items()
            if ip.version == fam
        ]
        variables = []
        for p in self.cluster.live_pods:
            if not p.ip_allocated or p.host_network or p.ip(fam) is None:
                continue
            var = z3.BitVec(f"{self.prefix}ip{fam}[{p.ref}]", self.width)
            self.allocated[(p.ref, fam)] = var
            variables.append(var)
            ranges = allocation_ranges(self.cluster, p, fam)
            mine = [
                z3.Or(*[self.alg.in_cidr(var, n) for n in ranges]) if ranges else z3.BoolVal(False)
            ]
            for net in ranges:
                mine.extend(var != int(ip) for ip in reserved_addresses(self.cluster, net))
            mine.extend(var != int(ip) for ip in concrete if any(ip in n for n in ranges))
            mine.extend(
                var != int(ip)
                for ip, target in in_slices
                if target != p.ref and any(ip in n for n in ranges)
            )
            self.tracked.append((p, mine))
            self.constraints.extend(mine)
        if len(variables) > 1:
            distinct = z3.Distinct(*variables)
            self.tracked.append((None, [distinct]))
            self.constraints.append(distinct)

    def background_problems(self, timeout: float = DEFAULT_TIMEOUT) -> list[tuple[Pod | None, str]]:
        """Why the allocation constraints cannot all hold: the pods whose address has no room.

        Called when the background is unsatisfiable (a proof over it would be vacuous).
        """
        out: list[tuple[Pod | None, str]] = []
        for pod, _constraints in self.tracked:
            if pod is None:
                continue
            ranges = allocation_ranges(self.cluster, pod, self.family)
            if not ranges:
                out.append((pod, f"no IPv{self.family} range its node's IP pools or podCIDR allow"))
        if out:
            return out
        core = Solver(timeout=timeout).unsat_core(
            [(str(i), c) for i, (_p, cs) in enumerate(self.tracked) for c in cs]
        )
        pods = [self.tracked[int(label)][0] for label in core]
        for pod in dict.fromkeys(p for p in pods if p is not None):
            ranges = ", ".join(map(str, allocation_ranges(self.cluster, pod, self.family)))
            out.append(
                (
                    pod,
                    f"no free IPv{self.family} address for it in {ranges} (the other pods' addresses fill it)",
                )
            )
        return out or [
            (None, "the address plan leaves no room for the pods netverify must allocate")
        ]

    def pod_ip(self, pod: Pod) -> Any:
        """The pod's address of this family: a constant, or its allocation unknown."""
        return self.alg.pod_ip(pod, self.family)

    def ip_var(self, name: str) -> z3.BitVecRef:
        return z3.BitVec(name, self.width)

    def one_of(self, term: Any, pods: Iterable[Pod]) -> Any:
        """``term`` is the address of one of ``pods`` (built once per term and set of pods)."""
        pods = tuple(pods)
        key = (term.get_id() if isinstance(term, z3.ExprRef) else term, tuple(p.ref for p in pods))
        found = self._one_of.get(key)
        if found is None:
            found = self._one_of[key] = self.alg.or_(
                *(self.alg.eq(term, self.pod_ip(p)) for p in pods if p.ip(self.family) is not None)
            )
        return found

    # ----- packets

    def packet(self, name: str) -> Packet:
        """A fully symbolic packet of this family (protocol limited to TCP/UDP/SCTP)."""
        proto = z3.BitVec(f"{name}.proto", 2)
        self.constraints.append(z3.ULE(proto, len(PROTOCOL_CODES) - 1))
        port = z3.BitVec(f"{name}.dport", 16)
        self.constraints.append(port != 0)
        return Packet(
            self.family, self.ip_var(f"{name}.src"), self.ip_var(f"{name}.dst"), port, proto
        )

    def solver(self, timeout: float = DEFAULT_TIMEOUT) -> Solver:
        s = Solver(timeout=timeout)
        s.add(*self.constraints)
        return s

    # ----- flows

    def allowed(self, client: Client, path: Path, packet: Packet) -> Any:
        """The journey's verdict along ``path`` for the post-translation ``packet``, as a Z3 term."""
        return journey.evaluate(self.alg, self.cluster, client, path, packet).allowed(self.alg)

    def client_ip(self, client: Client, pod: Pod) -> Any:
        """The address ``pod`` sends from: its node's for a hostNetwork pod, else its own (maybe an unknown)."""
        if pod.host_network:
            return host_address(self.cluster, pod, self.family)
        return self.pod_ip(pod)

    # ----- reading models back

    def value(self, model: z3.ModelRef, term: Any) -> Any:
        v = model.eval(term, model_completion=True)
        return v.as_long() if hasattr(v, "as_long") else v

    def concrete_packet(self, model: z3.ModelRef, packet: Packet) -> ConcretePacket:
        def ip_of(term: Any) -> IP | None:
            if not isinstance(term, z3.ExprRef):
                return term
            return ip_value(model.eval(term, model_completion=True), self.family)

        def int_of(term: Any) -> int | None:
            if term is None or not isinstance(term, z3.ExprRef):
                return term
            return model.eval(term, model_completion=True).as_long()

        proto = int_of(packet.protocol)
        return ConcretePacket(
            self.family,
            ip_of(packet.src_ip),
            ip_of(packet.dst_ip),
            int_of(packet.dst_port),
            protocol_name(proto) if isinstance(proto, int) else proto,
        )

    def allocation(self, model: z3.ModelRef) -> dict[tuple[str, int], IP]:
        """The concrete addresses a model gives the allocated pods."""
        return {
            key: ip_value(model.eval(var, model_completion=True), self.family)
            for key, var in self.allocated.items()
        }

    def pins(self, model: z3.ModelRef) -> list[tuple[Any, Any]]:
        """``(key, constraint)`` keeping every address ``model`` allocated (for steady examples)."""
        return [
            ((self.prefix, key), var == model.eval(var, model_completion=True))
            for key, var in self.allocated.items()
        ]

    def pod_at(self, model: z3.ModelRef, ip: IP, candidates: Iterable[Pod]) -> Pod | None:
        """Which of ``candidates`` holds ``ip`` in this model."""
        alloc = self.allocation(model)
        for p in candidates:
            mine = alloc.get((p.ref, self.family), host_address(self.cluster, p, self.family))
            if mine == ip:
                return p
        return None


def is_true(model: z3.ModelRef, term: Any) -> bool:
    """Does ``term`` (a Z3 formula or a Python bool) hold in ``model``?"""
    if isinstance(term, bool):
        return term
    return z3.is_true(model.eval(term, model_completion=True))


def fresh(name: str, bits: int) -> z3.BitVecRef:
    """A new bit-vector unknown (a packet field shared by two encoders)."""
    return z3.BitVec(name, bits)
