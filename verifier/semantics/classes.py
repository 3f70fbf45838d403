"""Pod equivalence classes: pods that every rule treats alike, evaluated once.

Rules look at a pod through its namespace, the labels some selector mentions,
the container ports some rule or Service names, whether it runs on the host network, the Service ports it
backs, and its addresses. Pods that agree on all of these are interchangeable,
so ``matrix``, the properties and ``diff`` evaluate one representative per
class. Two refinements keep classes exact:

* the node matters only when a rule can tell nodes apart: a source-NAT rule that
  may rewrite pod-to-pod traffic, a CIDR (ipBlock, ANP networks, Calico nets)
  that contains a node address, a journey that depends on nodes (a NodePort,
  hostPort, externalIP or LoadBalancer translated and masqueraded on some node,
  a Local traffic policy), or a hostNetwork pod (which *is* its node, and
  which the node exception and DefaultEndpointToHostAction treat differently
  depending on whether the other pod is on its node);
* addresses matter only to CIDR rules: the matrix, which evaluates a
  representative's concrete address, adds each pod's membership in every CIDR a
  rule or pool names; the Z3 encoder instead pins the packet's address to "one of
  the class's addresses", so it needs no such signature.

>>> from verifier.model import Cluster, Pod, Labels, ip_address
>>> pods = [Pod(namespace="x", name=f"web-{i}", labels=Labels({"app": "web", "pod-template-hash": str(i)}),
...             ips=(ip_address(f"10.244.0.{i + 2}"),)) for i in range(3)]
>>> len(pod_classes(Cluster(pods=tuple(pods)), pods))
1
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import PROTOCOLS, Cluster, Labels, LabelSelector, Network, Pod
from ._cache import per_cluster

__all__ = [
    "ClassPair",
    "pairs",
    "relevant_label_keys",
    "node_specific_rules",
    "nodes_matter",
    "journey_nodes_matter",
    "host_network_nodes_matter",
    "pod_snat_possible",
    "pod_classes",
    "cidrs",
    "may_hold_pod_address",
]


@per_cluster
def relevant_label_keys(cluster: Cluster) -> frozenset[str] | None:
    """The pod label keys some selector mentions; None when any key may matter (Calico expressions)."""
    if cluster.calico_policies:
        return None
    keys: set[str] = set()

    def add(sel: LabelSelector | None) -> None:
        if sel is not None:
            keys.update(r.key for r in sel.requirements)

    for pol in cluster.policies:
        add(pol.pod_selector)
        for rule in pol.ingress + pol.egress:
            for peer in rule.peers:
                add(peer.pod_selector)
    for anp in cluster.admin_policies:
        add(anp.subject_pods)
        for rule in anp.ingress + anp.egress:
            for peer in rule.peers:
                add(peer.pods)
    for svc in cluster.services:
        keys.update(svc.selector or ())
    return frozenset(keys)


@per_cluster
def referenced_port_names(cluster: Cluster) -> frozenset[str]:
    """Container port names some rule or Service resolves (the only way rules read container ports)."""
    names: set[str] = set()
    for pol in cluster.policies:
        for rule in pol.ingress + pol.egress:
            names.update(p.port for p in rule.ports if isinstance(p.port, str))
    for anp in cluster.admin_policies:
        for rule in anp.ingress + anp.egress:
            names.update(p.name for p in rule.ports or () if p.name)
    for cp in cluster.calico_policies:
        for rule in cp.ingress + cp.egress:
            for e in (rule.source_rule, rule.destination):
                names.update(p for p in e.ports + e.not_ports if isinstance(p, str))
    for svc in cluster.services:
        names.update(sp.target for sp in svc.ports if isinstance(sp.target, str))
    return frozenset(names)


def _named_ports(pod: Pod, names: frozenset[str]) -> tuple:
    declared = {p.name for p in pod.ports if p.name}  # most pods name few of ``names``
    return tuple(
        (name, proto, number)
        for name in sorted(names & declared)
        for proto in PROTOCOLS
        if (number := pod.named_port(name, proto)) is not None
    )


@per_cluster
def cidrs(cluster: Cluster) -> tuple[Network, ...]:
    """Every CIDR a rule or the address plan can distinguish addresses by."""
    # Node podCIDRs are left out: they decide routing, which no verdict depends on between
    # two live pods; the cluster-wide ranges and the pools decide NAT.
    nets: set[Network] = set(cluster.config.pod_cidrs)
    nets.update(p.cidr for p in cluster.ip_pools)
    for pol in cluster.policies:
        for rule in pol.ingress + pol.egress:
            for peer in rule.peers:
                if peer.ip_block is not None:
                    nets.add(peer.ip_block.cidr)
                    nets.update(peer.ip_block.except_)
    for anp in cluster.admin_policies:
        for rule in anp.ingress + anp.egress:
            for peer in rule.peers:
                nets.update(peer.networks)
    for cp in cluster.calico_policies:
        for rule in cp.ingress + cp.egress:
            for e in (rule.source_rule, rule.destination):
                nets.update(e.nets)
                nets.update(e.not_nets)
    nets.update(cluster.config.masquerade.non_masquerade_cidrs)
    return tuple(sorted(nets, key=lambda n: (n.version, int(n.network_address), n.prefixlen)))


def nodes_matter(cluster: Cluster) -> bool:
    """Must classes keep pods of different nodes apart? (NAT, node-specific CIDRs, the journey)"""
    return (
        pod_snat_possible(cluster) or node_specific_rules(cluster) or journey_nodes_matter(cluster)
    )


@per_cluster
def pod_snat_possible(cluster: Cluster) -> bool:
    """Could a node source-NAT pod-to-pod traffic (semantics.md §8.2)? Then nodes tell pods apart."""
    mode = cluster.config.masquerade.mode
    if mode == "none":
        return False
    if mode != "calico":
        return True
    pools = [p.cidr for p in cluster.ip_pools]
    if not any(p.nat_outgoing for p in cluster.ip_pools):
        return False
    return any(
        not any(ip in n for n in pools if n.version == ip.version)
        for p in cluster.live_pods
        for ip in p.ips
    )


@per_cluster
def journey_nodes_matter(cluster: Cluster) -> bool:
    """Does a packet's journey depend on the nodes of its two ends? (semantics.journey)

    A NodePort, hostPort, externalIP or LoadBalancer IP is translated on a node
    that is not always the client's, and kube-proxy masquerades there: a backend
    on that node sees the client, one elsewhere sees the node. A Local traffic
    policy picks the backends on the client's (or receiving) node. ClusterIPs
    reached from pods do neither.
    """
    from .hostports import host_ports
    from .services import CLUSTER_IP, frontends

    if host_ports(cluster):
        return True
    if any(f.kind != CLUSTER_IP for f in frontends(cluster)):
        return True
    return any(
        s.internal_traffic_policy == "Local" or s.external_traffic_policy == "Local"
        for s in cluster.services
    )


@per_cluster
def node_specific_rules(cluster: Cluster) -> bool:
    """Can a rule tell one node's address from another's? (a CIDR holding some node IPs only, ANP ``nodes``)"""
    if any(
        peer.nodes is not None
        for a in cluster.admin_policies
        for r in a.ingress + a.egress
        for peer in r.peers
    ):
        return True
    # A CIDR holding every node address (0.0.0.0/0, the whole datacenter) treats all nodes alike.
    for family in (4, 6):
        node_ips = [ip for n in cluster.nodes for ip in n.ips if ip.version == family]
        for net in cidrs(cluster):
            if net.version == family and 0 < sum(ip in net for ip in node_ips) < len(node_ips):
                return True
    return False


@per_cluster
def host_network_nodes_matter(cluster: Cluster) -> bool:
    """Does a pod's node decide how it and a hostNetwork pod (its node, for policy) treat each other?

    Two rules ask whether the two are on the same node: the node exception
    (ingress from the pod's own node is always allowed, semantics.md §3.9), which
    matters once some policy may isolate a pod, and Felix's
    DefaultEndpointToHostAction=Drop (a pod cannot reach its own node, §5.6).
    """
    if not any(p.host_network for p in cluster.live_pods):
        return False
    policies = cluster.policies or cluster.admin_policies or cluster.calico_policies
    return bool(policies) or cluster.config.endpoint_to_host == "Drop"


@per_cluster
def _pod_addresses(cluster: Cluster, family: int):
    """The pod ranges of ``family`` (widest first, nested ones dropped) and the live pod addresses outside them."""
    ranges: list[Network] = []
    for n in sorted(
        (n for n in cluster.pod_cidrs if n.version == family), key=lambda n: n.prefixlen
    ):
        if not any(n.subnet_of(r) for r in ranges):
            ranges.append(n)
    strays = [
        ip
        for p in cluster.live_pods
        for ip in p.ips
        if ip.version == family and not any(ip in n for n in ranges)
    ]
    return tuple(ranges), tuple(strays)


def may_hold_pod_address(cluster: Cluster, net: Network, excepts: Iterable[Network] = ()) -> bool:
    """Can ``net`` minus ``excepts`` contain some pod's address, for any allocation?

    Pod addresses lie in the pod ranges (allocated ones always do) or are listed
    concretely; a CIDR that misses every range, or whose excepts cover each range
    it meets, never matches a pod. (Conservative: True when unsure.)

    >>> from verifier.model import ClusterNetwork, ip_network
    >>> c = Cluster(config=ClusterNetwork(pod_cidrs=(ip_network("10.244.0.0/16"),)))
    >>> may_hold_pod_address(c, ip_network("0.0.0.0/0"), [ip_network("10.0.0.0/8")])
    False
    """
    return _may_hold_pod_address(
        cluster, net, tuple(e for e in excepts if e.version == net.version)
    )


@per_cluster
def _may_hold_pod_address(cluster: Cluster, net: Network, excepts: tuple[Network, ...]) -> bool:
    # Memoised: an ipBlock is asked about for every pod its policy isolates.
    ranges, strays = _pod_addresses(cluster, net.version)
    if any(net.overlaps(r) and not any(r.subnet_of(e) for e in excepts) for r in ranges):
        return True
    return any(ip in net and not any(ip in e for e in excepts) for ip in strays)


def _signature(pod: Pod, nets: tuple[Network, ...]) -> tuple:
    return tuple(
        tuple(i for i, n in enumerate(nets) if ip.version == n.version and ip in n)
        for ip in pod.ips
    )


def pod_classes(
    cluster: Cluster, pods: Iterable[Pod], *, by_node: bool | None = None, addresses: bool = False
) -> list[list[Pod]]:
    """Partition ``pods`` into classes (see the module docstring), in first-seen order.

    ``by_node`` None decides from the cluster (:func:`pod_snat_possible`,
    :func:`node_specific_rules`, :func:`host_network_nodes_matter`); ``addresses``
    adds the CIDR membership signature (for evaluation on a representative's
    concrete address).
    """
    if by_node is None:
        by_node = nodes_matter(cluster)
    keys = relevant_label_keys(cluster)
    port_names = referenced_port_names(cluster)
    backs = _backend_index(cluster, by_node)
    nets = cidrs(cluster) if addresses else ()
    known = _class_keys(cluster, by_node, addresses)  # several properties ask per check
    groups: dict[Any, list[Pod]] = {}
    for p in pods:
        found = known.get(id(p))
        if found is not None and found[0] is p:
            key = found[1]
        else:
            labels = (
                p.labels
                if keys is None
                else Labels({k: v for k, v in p.labels.items() if k in keys})
            )
            key = (
                p.namespace,
                labels,
                _named_ports(p, port_names),
                p.host_network,
                p.families,
                p.node_name if (by_node or p.host_network) else None,
                backs.get(p.ref, frozenset()),
                # A hostPort is one pod's (the first declared wins a clash): such pods stand alone.
                p.ref if any(cp.host_port is not None for cp in p.ports) else None,
                _signature(p, nets) if addresses else (p.ip_allocated,),
            )
            known[id(p)] = (p, key)  # (the pod is kept: its id stays its own)
        groups.setdefault(key, []).append(p)
    return list(groups.values())


@per_cluster
def _class_keys(cluster: Cluster, by_node: bool, addresses: bool) -> dict[int, tuple[Pod, Any]]:
    """The class key of each pod :func:`pod_classes` has seen, by the pod's id."""
    return {}


@per_cluster
def _backend_index(cluster: Cluster, by_node: bool) -> dict[str, frozenset]:
    """pod ref -> how it backs each Service (port, family, readiness; and node when nodes matter)."""
    from .services import service_endpoints

    out: dict[str, set] = {}
    for svc in cluster.services:
        for fam in (4, 6):
            for ep in service_endpoints(cluster, svc, fam):
                if ep.pod is not None:
                    node = ep.node_name if by_node else None
                    out.setdefault(ep.pod.ref, set()).add(
                        (svc.ref, fam, ep.ports, ep.ready, ep.serving, ep.terminating, node)
                    )
    return {k: frozenset(v) for k, v in out.items()}


@dataclass(frozen=True, slots=True)
class ClassPair:
    """Sources and destinations one formula covers; ``same_class`` when the two are one class
    (a pod never pairs with itself), ``same_node`` when the split below put them on one node."""

    sources: tuple[Pod, ...]
    destinations: tuple[Pod, ...]
    same_class: bool = False
    same_node: bool | None = None


def _split(members: Sequence[Pod], node: str | None) -> list[tuple[tuple[Pod, ...], bool]]:
    here = tuple(p for p in members if p.node_name == node)
    there = tuple(p for p in members if p.node_name != node)
    return [(part, flag) for part, flag in ((here, True), (there, False)) if part]


def pairs(
    cluster: Cluster, sources: Sequence[Sequence[Pod]], destinations: Sequence[Sequence[Pod]]
) -> Iterator[ClassPair]:
    """Every (source class, destination class) pair, split where a node decides.

    A hostNetwork pod *is* its node for policy: a pod on that node admits it past
    ingress isolation (the node exception, semantics.md §3.9), and under
    DefaultEndpointToHostAction=Drop a pod cannot reach its own node (§5.6). So
    for a hostNetwork source the destination class is split into the pods on its
    node and the others (likewise the source class for a hostNetwork destination
    under Drop). Classes themselves stay coarse: only these pairs pay for nodes.
    Callers take both sides from one partition, so a class meets itself by identity.
    """
    split = host_network_nodes_matter(cluster)
    drop = cluster.config.endpoint_to_host == "Drop"
    for src in sources:
        for dst in destinations:
            same = src is dst
            if same and len(dst) < 2:
                continue
            s0, d0 = src[0], dst[0]
            if split and s0.host_network and not d0.host_network:
                for part, flag in _split(dst, s0.node_name):
                    yield ClassPair(tuple(src), part, False, flag)
            elif split and drop and d0.host_network and not s0.host_network:
                for part, flag in _split(src, d0.node_name):
                    yield ClassPair(part, tuple(dst), False, flag)
            else:
                yield ClassPair(tuple(src), tuple(dst), same)
