"""Addresses, routing and source NAT (semantics.md §1, §8).

Who owns an address, where a packet goes after it leaves a pod, and whether a
node rewrites its source on the way out. The SNAT predicate is written in the
algebra because the destination (and an allocated source) may be unknowns.

>>> from verifier.model import Cluster, IPPool, Pod, ip_address, ip_network
>>> from verifier.semantics.algebra import CONCRETE
>>> pool = IPPool(name="v4", cidr=ip_network("10.244.0.0/16"), nat_outgoing=True)
>>> a = Pod(namespace="x", name="a", ips=(ip_address("10.244.1.5"),))
>>> c = Cluster(pods=(a,), ip_pools=(pool,))
>>> snat_applies(CONCRETE, c, a, a.ips[0], ip_address("8.8.8.8"), 4)
True
>>> snat_applies(CONCRETE, c, a, a.ips[0], ip_address("10.244.2.9"), 4)
False
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from dataclasses import dataclass

from ..model import IP, Cluster, IPPool, Network, Node, Pod, ip_network
from ._cache import per_cluster
from .algebra import Algebra, Term
from .endpoint import Endpoint, ExternalEndpoint, NodeEndpoint, PodEndpoint

__all__ = [
    "IP_MASQ_AGENT_DEFAULTS",
    "LINK_LOCAL",
    "endpoint_of_pod",
    "endpoint_of_backend",
    "host_address",
    "outside_reaches_pods",
    "outside_region",
    "encapsulation",
    "endpoint_for_ip",
    "in_pod_ranges",
    "pod_ranges",
    "snat_exemptions",
    "snat_applies",
    "Route",
    "route",
    "pool_of",
]

#: ip-masq-agent's default nonMasqueradeCIDRs (RFC 1918).
IP_MASQ_AGENT_DEFAULTS = tuple(
    ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
LINK_LOCAL = {4: ip_network("169.254.0.0/16"), 6: ip_network("fe80::/10")}


# --------------------------------------------------------------------------- who owns an IP


def endpoint_for_ip(cluster: Cluster, ip: IP) -> Endpoint:
    """The party that owns ``ip``: a pod, a node, or the outside world."""
    pod = cluster.pod_by_ip.get(ip)
    if pod is not None:
        return PodEndpoint(pod)
    node = cluster.node_by_ip.get(ip)
    if node is not None:
        return NodeEndpoint(node)
    return ExternalEndpoint(ip)


def endpoint_of_pod(cluster: Cluster, pod: Pod) -> Endpoint:
    """How policy sees ``pod``: itself, or its node when it runs on the host network (§3.9)."""
    if pod.host_network:
        node = cluster.node_by_name.get(pod.node_name or "")
        if node is None:
            node = Node(name=pod.node_name or "<unscheduled>")
        return NodeEndpoint(node, pod)
    return PodEndpoint(pod)


def endpoint_of_backend(cluster: Cluster, pod: Pod | None, ip: IP) -> Endpoint:
    """Who receives a packet DNATed to a Service endpoint: its pod (a hostNetwork one is its node), else the address's owner."""
    if pod is not None:
        return endpoint_of_pod(cluster, pod)
    return endpoint_for_ip(cluster, ip)


def host_address(cluster: Cluster, pod: Pod, family: int) -> IP | None:
    """The address ``pod`` sends from and is reached at: its node's for a hostNetwork pod (§1.3)."""
    if pod.host_network:
        node = cluster.node_by_name.get(pod.node_name or "")
        if node is not None and node.ip(family) is not None:
            return node.ip(family)
    return pod.ip(family)


def outside_reaches_pods(cluster: Cluster, pod: Pod) -> bool:
    """Can a host outside the cluster route to ``pod``'s own address?

    ``ClusterNetwork.podsRoutableFromOutside`` decides when set; otherwise a pod
    in a Calico pool is reachable when the pool is not encapsulated (its routes
    are BGP-advertised), and a cluster without pools when its pod network is
    ``routed`` rather than an ``overlay``.
    """
    setting = cluster.config.pods_routable_from_outside
    if setting is not None:
        return setting
    for ip in pod.ips:
        pool = pool_of(cluster, ip)
        if pool is not None:
            return pool.ipip_mode == "Never" and pool.vxlan_mode == "Never"
    return cluster.config.encapsulation == "routed"


def outside_region(alg: Algebra, cluster: Cluster, ip: Term, family: int) -> Term:
    """``ip`` lies outside the cluster: in no pod range, Service range or node address.

    The region outside hosts range over, as sources and as destinations.
    """
    from .services import service_ranges

    services = [n for n in service_ranges(cluster) if n.version == family]
    nets = [*pod_ranges(cluster, family), *services]
    strays = [
        a
        for p in cluster.live_pods
        for a in p.ips
        if a.version == family
        and not in_pod_ranges(cluster, a)
        and not any(a in n for n in services)
    ]
    nodes = [a for n in cluster.nodes for a in n.ips if a.version == family]
    return alg.and_(
        *(alg.not_(alg.in_cidr(ip, n)) for n in nets),
        *(alg.not_(alg.eq(ip, alg.ip(a))) for a in dict.fromkeys(strays + nodes)),
    )


def in_pod_ranges(cluster: Cluster, ip: IP) -> bool:
    """Is ``ip`` in a pod CIDR or IP pool of the cluster?"""
    starts, ends = _pod_range_bounds(cluster, ip.version)
    i = bisect_right(starts, int(ip)) - 1
    return i >= 0 and int(ip) <= ends[i]


@per_cluster
def pod_ranges(cluster: Cluster, family: int) -> tuple[Network, ...]:
    """The pod CIDRs and pools of ``family`` merged: the fewest networks holding the same
    addresses, in address order (a thousand nodes' /24s are a handful of wider ranges)."""
    return tuple(ipaddress.collapse_addresses(n for n in cluster.pod_cidrs if n.version == family))


@per_cluster
def _pod_range_bounds(cluster: Cluster, family: int) -> tuple[list[int], list[int]]:
    nets = pod_ranges(cluster, family)
    return [int(n.network_address) for n in nets], [int(n.broadcast_address) for n in nets]


def pool_of(cluster: Cluster, ip: IP) -> IPPool | None:
    """The most specific IP pool holding ``ip``."""
    best: IPPool | None = None
    for pool in cluster.ip_pools:
        if pool.cidr.version == ip.version and ip in pool.cidr:
            if best is None or pool.cidr.prefixlen > best.cidr.prefixlen:
                best = pool
    return best


# --------------------------------------------------------------------------- SNAT


def snat_exemptions(cluster: Cluster, node: Node | None, family: int) -> tuple[Network, ...]:
    """Destinations a node never masquerades pod traffic to, per the configured mechanism (§8.2)."""
    return _snat_exemptions(cluster, node.name if node is not None else None, family)


@per_cluster
def _snat_exemptions(cluster: Cluster, node_name: str | None, family: int) -> tuple[Network, ...]:
    node = cluster.node_by_name.get(node_name) if node_name is not None else None
    masq = cluster.config.masquerade
    mode = masq.mode
    if mode == "calico":
        nets = [p.cidr for p in cluster.ip_pools if p.cidr.version == family]
        if masq.exclude_host_ips:
            nets += [
                ipaddress.ip_network(ip)
                for n in cluster.nodes
                for ip in n.ips
                if ip.version == family
            ]
        return tuple(nets)
    if mode == "ip-masq-agent":
        nets = list(masq.non_masquerade_cidrs or IP_MASQ_AGENT_DEFAULTS)
        if not masq.masquerade_link_local:
            nets.append(LINK_LOCAL[family])
        if node is not None:  # "! --dst-type LOCAL": the node's own addresses
            nets += [ipaddress.ip_network(ip) for ip in node.ips]
        return tuple(n for n in nets if n.version == family)
    if mode == "non-masquerade-cidr":
        nets = masq.non_masquerade_cidrs or (ip_network("10.0.0.0/8"),)
        return tuple(n for n in nets if n.version == family)
    if mode == "pod-network":
        return pod_ranges(cluster, family)
    return ()


def snat_applies(
    alg: Algebra, cluster: Cluster, source: Pod, src_ip: Term, dst_ip: Term, family: int
) -> Term:
    """Does the source pod's node masquerade this packet (NAT outgoing, §8.2)?

    ``src_ip``/``dst_ip`` are algebra terms: the encoder asks "for which
    destinations", the engine "for this one".
    """
    if source.host_network:
        return alg.false
    masq = cluster.config.masquerade
    mode = masq.mode
    if mode == "none":
        return alg.false
    if mode == "ip-masq-agent" and family == 6 and not masq.ipv6:
        return alg.false
    node = cluster.node_by_name.get(source.node_name or "")
    exempt = alg.or_(*(alg.in_cidr(dst_ip, n) for n in snat_exemptions(cluster, node, family)))
    if mode == "calico":
        nat_pools = [p for p in cluster.ip_pools if p.nat_outgoing and p.cidr.version == family]
        from_nat_pool = alg.or_(*(alg.in_cidr(src_ip, p.cidr) for p in nat_pools))
        return alg.and_(from_nat_pool, alg.not_(exempt))
    if mode == "pod-network":
        from_pods = alg.or_(*(alg.in_cidr(src_ip, n) for n in pod_ranges(cluster, family)))
        return alg.and_(from_pods, alg.not_(exempt))
    return alg.not_(exempt)


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True, slots=True)
class Route:
    """Where a packet goes from ``from_node`` (semantics.md §8.3)."""

    #: "local" (same node), "remote" (another node's pod), "node" (a node's host
    #: namespace), "external" (leaves the cluster), "none" (a pod range with no pod)
    kind: str
    to_node: str | None = None
    #: None (not inter-node), "routed", "IPIP", "VXLAN" or "overlay"
    encapsulation: str | None = None
    pool: IPPool | None = None
    #: Why there is no route ("none").
    reason: str | None = None


def _same_subnet(a: Node | None, b: Node | None, family: int) -> bool:
    """Nodes in one L2 subnet, from Calico's node address annotation, else a /24 (/64) guess."""
    if a is None or b is None:
        return False
    ia, ib = a.ip(family), b.ip(family)
    if ia is None or ib is None:
        return False
    prefix = 24 if family == 4 else 64
    return ipaddress.ip_network(f"{ia}/{prefix}", strict=False) == ipaddress.ip_network(
        f"{ib}/{prefix}", strict=False
    )


def encapsulation(
    cluster: Cluster, from_node: str | None, to_node: str | None, dst_ip: IP
) -> tuple[str, IPPool | None]:
    """How inter-node pod traffic crosses the fabric, decided by the destination pool (§8.4)."""
    pool = pool_of(cluster, dst_ip)
    if pool is None:
        return cluster.config.encapsulation, None
    a = cluster.node_by_name.get(from_node or "")
    b = cluster.node_by_name.get(to_node or "")
    for mode, name in ((pool.ipip_mode, "IPIP"), (pool.vxlan_mode, "VXLAN")):
        if mode == "Always":
            return name, pool
        if mode == "CrossSubnet":
            return ("routed", pool) if _same_subnet(a, b, dst_ip.version) else (name, pool)
    return "routed", pool


def route(
    cluster: Cluster,
    from_node: str | None,
    destination: Endpoint,
    dst_ip: IP,
    *,
    from_outside: bool = False,
) -> Route:
    """Where a packet from a pod (or host) on ``from_node`` (or from outside the cluster) to ``dst_ip`` is delivered."""
    from .services import in_service_range

    if (
        from_outside
        and isinstance(destination, PodEndpoint)
        and not outside_reaches_pods(cluster, destination.pod)
    ):
        return Route(
            "none",
            reason=f"{dst_ip} is a pod address on an overlay network: hosts outside the cluster have no route to it",
        )
    if isinstance(destination, PodEndpoint):
        to = destination.pod.node_name
        if to == from_node:
            return Route("local", to)
        enc, pool = encapsulation(cluster, from_node, to, dst_ip)
        return Route("remote", to, enc, pool)
    if isinstance(destination, NodeEndpoint):
        return Route("node", destination.node.name)
    if in_pod_ranges(cluster, dst_ip):
        return Route("none", reason=f"{dst_ip} is in a pod range but no running pod holds it")
    if in_service_range(cluster, dst_ip):
        if from_outside:
            return Route(
                "none",
                reason=f"{dst_ip} is in a Service range: hosts outside the cluster have no route to ClusterIPs",
            )
        return Route(
            "none",
            reason=f"{dst_ip} is in a Service range but no Service answers on this port and protocol: never delivered",
        )
    return Route("external")
