"""AdminNetworkPolicy and BaselineAdminNetworkPolicy rules (semantics.md §4).

Which ANPs/BANP apply to a pod, and whether one rule matches a packet, in the
algebra. The tier walk that turns matching rules into a verdict (Admin ->
NetworkPolicy -> Baseline -> allow) lives in :mod:`verifier.semantics.policy`.

>>> from verifier.model import AdminNetworkPolicy, AdminRule, AdminPeer, LabelSelector, Pod, Cluster
>>> anp = AdminNetworkPolicy("deny-all", priority=10, subject_namespaces=LabelSelector(),
...                          ingress=(AdminRule("Deny", (AdminPeer(namespaces=LabelSelector()),)),))
>>> [p.name for p in applicable(Cluster(admin_policies=(anp,)), Pod(namespace="x", name="a"), "Ingress", baseline=False)]
['deny-all']
"""

from __future__ import annotations

from ..model import AdminNetworkPolicy, AdminPeer, AdminPort, AdminRule, Cluster, Pod
from .algebra import Algebra, Packet, Term
from .endpoint import Endpoint, PodEndpoint
from .selectors import matches, namespace_labels

__all__ = ["subject_selects", "applicable", "rule_condition", "peer_condition", "port_condition"]


def subject_selects(cluster: Cluster, policy: AdminNetworkPolicy, pod: Pod) -> bool:
    """The subject (namespaces, or pods in namespaces) picks the pod; never a hostNetwork pod (§4.2)."""
    if pod.host_network:
        return False
    ns = namespace_labels(cluster, pod.namespace)
    if policy.subject_namespaces is not None:
        return matches(policy.subject_namespaces, ns)
    if policy.subject_pods is not None:
        ns_sel = policy.subject_pod_namespaces
        return (ns_sel is None or matches(ns_sel, ns)) and matches(policy.subject_pods, pod.labels)
    return False


def applicable(
    cluster: Cluster, pod: Pod, direction: str, *, baseline: bool
) -> tuple[AdminNetworkPolicy, ...]:
    """The ANPs (by priority, then name) or the BANP that select ``pod`` and have ``direction`` rules.

    A policy without rules for a direction does not affect it: no implicit isolation (§4.4).
    """
    found = [
        p
        for p in cluster.admin_policies
        if p.baseline == baseline and p.rules(direction) and subject_selects(cluster, p, pod)
    ]
    return tuple(sorted(found, key=lambda p: (p.priority if p.priority is not None else 0, p.name)))


def peer_condition(
    alg: Algebra,
    cluster: Cluster,
    peer: AdminPeer,
    other: Endpoint,
    other_ip: Term,
    family: int,
    action: str,
) -> Term:
    """Does ``peer`` match the other end? An empty peer fails closed (§4.3)."""
    kind = peer.kind
    if kind == "invalid":
        return alg.false if action == "Allow" else alg.true
    if kind == "networks":
        return alg.or_(*(alg.in_cidr(other_ip, n) for n in peer.networks if n.version == family))
    if kind == "nodes":
        nodes = [n for n in cluster.nodes if matches(peer.nodes, n.labels)]
        return alg.or_(
            *(alg.eq(other_ip, alg.ip(ip)) for n in nodes for ip in n.ips if ip.version == family)
        )
    if not isinstance(other, PodEndpoint):
        return alg.false  # hostNetwork pods and outside hosts are no namespaces/pods peers
    pod = other.pod
    ns = namespace_labels(cluster, pod.namespace)
    if kind == "namespaces":
        return alg.true if matches(peer.namespaces, ns) else alg.false
    ns_ok = peer.pod_namespaces is None or matches(peer.pod_namespaces, ns)
    return alg.true if ns_ok and matches(peer.pods, pod.labels) else alg.false


def port_condition(alg: Algebra, port: AdminPort, destination: Endpoint, packet: Packet) -> Term:
    if port.name is not None:
        if not isinstance(destination, PodEndpoint):
            return alg.false
        return alg.or_(
            *(
                alg.and_(
                    alg.eq(packet.protocol, alg.protocol(p.protocol)),
                    alg.eq(packet.dst_port, alg.port(p.container_port)),
                )
                for p in destination.pod.ports
                if p.name == port.name
            )
        )
    proto = alg.eq(packet.protocol, alg.protocol(port.protocol))
    if port.port is None:
        return proto
    if port.end_port is not None:
        return alg.and_(proto, alg.in_range(packet.dst_port, port.port, port.end_port))
    return alg.and_(proto, alg.eq(packet.dst_port, alg.port(port.port)))


def rule_condition(
    alg: Algebra,
    cluster: Cluster,
    rule: AdminRule,
    other: Endpoint,
    other_ip: Term,
    destination: Endpoint,
    packet: Packet,
) -> Term:
    """A rule matches when a peer matches and (no ports, or a port matches)."""
    peers = alg.or_(
        *(
            peer_condition(alg, cluster, p, other, other_ip, packet.family, rule.action)
            for p in rule.peers
        )
    )
    if rule.ports is None:
        return peers
    return alg.and_(
        peers, alg.or_(*(port_condition(alg, p, destination, packet) for p in rule.ports))
    )
