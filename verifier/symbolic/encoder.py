"""Compile the cluster's semantics into Z3: addresses, packets, pod classes and flows.

Nothing here restates a Kubernetes rule. Flows are built by calling
:func:`verifier.semantics.pipeline.flow` and the Service translation of
:mod:`verifier.semantics.services` with the :class:`Z3Algebra`; this module
only decides *what is unknown* (the packet, and the addresses netverify
allocated) and how a Z3 model maps back to pods, ports and protocols.

>>> from verifier.model import Cluster, Pod, Labels, ip_address
>>> a = Pod(namespace="x", name="a", ips=(ip_address("10.244.0.5"),), node_name="n1")
>>> b = Pod(namespace="x", name="b", ips=(ip_address("10.244.0.6"),), node_name="n1")
>>> enc = Encoder(Cluster(pods=(a, b)), family=4)
>>> pkt = enc.packet("q")
>>> client = Client.of_pod(enc.cluster, a)
>>> allowed = enc.flow_allowed(client, PodEndpoint(b), pkt, Path("direct"))
>>> enc.solver(timeout=10).check(allowed, pkt.dst_port == 80).status.name
'SAT'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable

import z3

from ..model import IP, Cluster, Network, Node, Pod
from ..semantics import services as service_rules
from ..semantics.algebra import Packet
from ..semantics import policy as policy_rules
from ..semantics.endpoint import Endpoint, NodeEndpoint, PodEndpoint
from ..semantics.pipeline import Client, flow
from .algebra import PROTOCOL_CODES, Z3Algebra, ip_value, protocol_name, width
from .solver import DEFAULT_TIMEOUT, Solver

__all__ = ["Encoder", "ConcretePacket", "Path", "allocation_ranges", "reserved_addresses", "instantiate"]


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


@dataclass(frozen=True, slots=True)
class Path:
    """How a client's packet can reach a pod: directly, or through a Service frontend or a hostPort.

    For a translated path, ``frontend`` is what the client addresses and the
    packet's ``dst_ip``/``dst_port`` are the backend's (post-DNAT). When the
    translation happens on another node (a remote NodePort or hostPort), the
    client's egress policy sees ``pre_dnat`` (that node's address and port) and
    the packet continues from ``dnat_node``.
    """

    kind: str  # "direct", a frontend kind (ClusterIP, NodePort, ExternalIP, LoadBalancer) or "hostPort"
    frontend: Any = None
    backend: Any = None
    masquerade_node: Node | None = None
    pre_dnat: tuple[IP, int] | None = None
    dnat_node: Node | None = None

    def describe(self) -> str:
        if self.frontend is None:
            return "directly to the pod IP"
        f = self.frontend
        if self.kind == "hostPort":
            return f"through hostPort {f.node_ip}:{f.host_port}/{f.protocol} on node {f.node}"
        return f"through {f.kind} {f.ip}:{f.port}/{f.protocol} of Service {f.service.ref}"

    @property
    def target(self) -> tuple[IP, int] | None:
        """The address and port the client sends to (None for the direct path)."""
        if self.frontend is None:
            return None
        if self.kind == "hostPort":
            return self.frontend.node_ip, self.frontend.host_port
        return self.frontend.ip, self.frontend.port


def allocation_ranges(cluster: Cluster, pod: Pod, family: int) -> tuple[Network, ...]:
    """Where the IPAM may put an address for ``pod``: the node's enabled IP pools, else its podCIDR."""
    node = cluster.node_by_name.get(pod.node_name or "")
    pools = [
        p
        for p in cluster.ip_pools
        if p.cidr.version == family and not p.disabled and "Workload" in p.allowed_uses and _pool_selects(p, node)
    ]
    if pools:
        return tuple(p.cidr for p in pools)
    if node is not None and node.pod_cidr(family) is not None:
        return (node.pod_cidr(family),)
    return tuple(c for c in cluster.config.pod_cidrs if c.version == family)


def reserved_addresses(cluster: Cluster, net: Network) -> tuple[IP, ...]:
    """Addresses of an allocation range no IPAM hands to a pod.

    host-local IPAM (a node's podCIDR) never allocates the network address, nor
    the IPv4 broadcast address; Calico pools use every address of their blocks.
    """
    if any(pool.cidr == net for pool in cluster.ip_pools) or net.num_addresses <= 2:
        return ()
    if net.version == 4:
        return (net.network_address, net.broadcast_address)
    return (net.network_address,)


def _pool_selects(pool, node: Node | None) -> bool:
    if pool.node_selector in ("", "all()") or node is None:
        return True
    try:
        from ..semantics.calico_selector import matches as calico_matches
    except ImportError:  # pragma: no cover - the selector module ships with the loader
        return True
    return calico_matches(pool.node_selector, node.labels)


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
        self.alg = Z3Algebra(self.allocated)  # shares the dict _allocate fills
        self._allocate()
        self._paths: dict[tuple[str, str | None], dict[str, list[Path]]] = {}
        self._one_of: dict[tuple, Any] = {}

    # ----- addresses

    def _allocate(self) -> None:
        fam = self.family
        concrete = [ip for p in self.cluster.live_pods if not p.ip_allocated and not p.host_network for ip in p.ips if ip.version == fam]
        variables = []
        for p in self.cluster.live_pods:
            if not p.ip_allocated or p.host_network or p.ip(fam) is None:
                continue
            var = z3.BitVec(f"{self.prefix}ip{fam}[{p.ref}]", self.width)
            self.allocated[(p.ref, fam)] = var
            variables.append(var)
            ranges = allocation_ranges(self.cluster, p, fam)
            self.constraints.append(z3.Or(*[self.alg.in_cidr(var, n) for n in ranges]) if ranges else z3.BoolVal(False))
            for net in ranges:
                for ip in reserved_addresses(self.cluster, net):
                    self.constraints.append(var != int(ip))
            for ip in concrete:
                if any(ip in n for n in ranges):
                    self.constraints.append(var != int(ip))
        if len(variables) > 1:
            self.constraints.append(z3.Distinct(*variables))

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
        return Packet(self.family, self.ip_var(f"{name}.src"), self.ip_var(f"{name}.dst"), port, proto)

    def solver(self, timeout: float = DEFAULT_TIMEOUT) -> Solver:
        s = Solver(timeout=timeout)
        s.add(*self.constraints)
        return s

    # ----- flows

    def paths(self, client: Client, pod: Pod) -> list[Path]:
        """Every way ``client`` can address ``pod``: its IP, each Service frontend and hostPort DNATed to it."""
        node_name = client.node.name if client.node else None
        key = (client.kind, node_name)
        index = self._paths.get(key)
        if index is None:
            index = self._paths[key] = self._translated_paths(client.kind, node_name)
        return [Path("direct"), *index.get(pod.ref, ())]

    def _translated_paths(self, kind: str, node_name: str | None) -> dict[str, list[Path]]:
        """pod ref -> the translated paths a client of ``kind`` on ``node_name`` has to it (computed once)."""
        from ..semantics import hostports

        cluster = self.cluster
        out: dict[str, list[Path]] = {}
        for frontend in service_rules.frontends(cluster):
            if frontend.ip.version != self.family:
                continue
            remote = frontend.kind == "NodePort" and kind != "external" and frontend.node != node_name
            if kind == "external" or remote:
                # Translated where the packet arrives: the node owning the address.
                at = frontend.node
                as_kind = "pod" if kind == "pod" else "external"
            else:
                at, as_kind = node_name, kind
            t = service_rules.translate(cluster, as_kind, at, frontend.ip, frontend.port, frontend.protocol)
            if t is None or t.outcome != "DNAT":
                continue
            dnat_node = cluster.node_by_name.get(at or "")
            for b in t.backends:
                if b.pod is None:
                    continue
                masq = dnat_node if b.masquerade else None
                pre = (frontend.ip, frontend.port) if remote else None
                out.setdefault(b.pod.ref, []).append(
                    Path(frontend.kind, frontend, b, masq, pre, dnat_node if (remote or kind == "external") else None)
                )
        for m in hostports.host_ports(cluster):
            if m.node_ip.version != self.family:
                continue
            ip, port = m.target
            backend = service_rules.Backend(ip, port, m.pod, m.node, None)
            here = kind != "external" and m.node == node_name
            pre = None if (here or kind == "external") else (m.node_ip, m.host_port)
            at = cluster.node_by_name.get(m.node)
            out.setdefault(m.pod.ref, []).append(Path("hostPort", m, backend, None, pre, None if here else at))
        return out

    def flow_allowed(self, client: Client, destination: Endpoint, packet: Packet, path: Path) -> Any:
        """The pipeline's verdict on the post-DNAT ``packet`` along ``path``, as a Z3 term."""
        alg = self.alg
        egress_first: Any = True
        if path.frontend is not None:
            protocol = path.frontend.protocol
            packet_ok = alg.and_(
                alg.eq(packet.dst_ip, alg.ip(path.backend.ip)) if not isinstance(destination, PodEndpoint) else True,
                alg.eq(packet.dst_port, path.backend.port),
                alg.eq(packet.protocol, protocol),
            )
            if path.pre_dnat is not None:
                # DNATed on arrival at another node: the client's egress policy saw that node's address.
                ip, port = path.pre_dnat
                seen = packet.with_(dst_ip=alg.ip(ip), dst_port=port)
                node_end = NodeEndpoint(path.dnat_node) if path.dnat_node is not None else destination
                egress_first = policy_rules.egress(alg, self.cluster, client.endpoint, node_end, seen).allowed(alg)
        else:
            packet_ok = True
        decision = flow(
            alg, self.cluster, client, destination, packet,
            via_service=path.frontend is not None and path.kind != "hostPort",
            masquerade_node=path.masquerade_node,
            egress_checked=path.pre_dnat is not None,
            from_node=path.dnat_node,
        )
        return alg.and_(packet_ok, egress_first, decision.allowed(alg))

    def client_ip(self, client: Client, pod: Pod) -> Any:
        """The address ``pod`` sends from: its node's for a hostNetwork pod, else its own (maybe an unknown)."""
        if pod.host_network:
            return client.ip(self.family)
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
        return {key: ip_value(model.eval(var, model_completion=True), self.family) for key, var in self.allocated.items()}

    def pod_at(self, model: z3.ModelRef, ip: IP, candidates: Iterable[Pod]) -> Pod | None:
        """Which of ``candidates`` holds ``ip`` in this model."""
        alloc = self.allocation(model)
        for p in candidates:
            mine = alloc.get((p.ref, self.family), p.ip(self.family))
            if p.host_network:
                node = self.cluster.node_by_name.get(p.node_name or "")
                mine = node.ip(self.family) if node else mine
            if mine == ip:
                return p
        return None

