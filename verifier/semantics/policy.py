"""NetworkPolicy (networking.k8s.io/v1), written once for both interpreters (semantics.md §3).

The decision for one direction at one pod is a :class:`Decision`: the policies
that isolate the pod in that direction and one :class:`Clause` per rule, whose
``condition`` is an algebra term ("this rule matches the packet"). The pod
accepts (or may send) the packet iff it is not isolated, or an exemption applies,
or some clause holds: :meth:`Decision.allowed`. The engine evaluates the
clauses on one packet and names the first that holds; the Z3 encoder ORs them.

>>> from verifier.model import Cluster, Pod, Labels, NetworkPolicy, ip_address
>>> from verifier.semantics.algebra import CONCRETE, Packet
>>> a = Pod(namespace="x", name="a", labels=Labels({"app": "a"}), ips=(ip_address("10.0.0.1"),))
>>> b = Pod(namespace="x", name="b", labels=Labels({"app": "b"}), ips=(ip_address("10.0.0.2"),))
>>> deny = NetworkPolicy(namespace="x", name="deny-all")          # podSelector {}, Ingress
>>> cluster = Cluster(pods=(a, b), policies=(deny,))
>>> pkt = Packet(4, a.ips[0], b.ips[0], 80, "TCP")
>>> d = ingress(CONCRETE, cluster, PodEndpoint(a), PodEndpoint(b), pkt)
>>> d.allowed(CONCRETE), [p.name for p in d.isolating]
(False, ['deny-all'])
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Cluster, NetworkPolicy, Peer, PolicyPort, PolicyRule, Pod
from .algebra import Algebra, Packet, Term
from .endpoint import Endpoint, ExternalEndpoint, NodeEndpoint, PodEndpoint
from .selectors import matches, namespace_labels

__all__ = [
    "INGRESS",
    "EGRESS",
    "Clause",
    "Decision",
    "selects",
    "isolating_policies",
    "peer_matches",
    "port_matches",
    "rule_matches",
    "ingress",
    "egress",
    "connection_allowed",
]

INGRESS = "Ingress"
EGRESS = "Egress"


@dataclass(frozen=True, slots=True)
class Clause:
    """One allow rule that applies to the pod: ``policy.<direction>[index]``."""

    policy: NetworkPolicy
    direction: str
    index: int
    rule: PolicyRule
    condition: Term

    @property
    def name(self) -> str:
        return f"{self.policy.ref} {self.direction.lower()}[{self.index}]"


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything that decides one direction at one pod for one packet."""

    direction: str
    #: The pod whose policies are consulted; None when that end is no pod-network pod.
    pod: Pod | None
    isolating: tuple[NetworkPolicy, ...]
    clauses: tuple[Clause, ...]
    #: Why policy does not apply at all ("not a pod", "own node", "self"), or None.
    exemption: str | None = None

    @property
    def isolated(self) -> bool:
        return bool(self.isolating) and self.exemption is None

    def allowed(self, alg: Algebra) -> Term:
        if not self.isolated:
            return alg.true
        return alg.or_(*(c.condition for c in self.clauses))

    def first_match(self) -> Clause | None:
        """The first clause that holds (concrete evaluation only)."""
        return next((c for c in self.clauses if c.condition is True), None)


# --------------------------------------------------------------------------- selection


def selects(policy: NetworkPolicy, pod: Pod) -> bool:
    """``spec.podSelector`` picks pods of the policy's own namespace; never hostNetwork pods."""
    return (
        pod.namespace == policy.namespace
        and not pod.host_network
        and matches(policy.pod_selector, pod.labels)
    )


def isolating_policies(cluster: Cluster, pod: Pod, direction: str) -> tuple[NetworkPolicy, ...]:
    """The policies that make ``pod`` isolated for ``direction`` (§3.3)."""
    return tuple(
        p
        for p in cluster.policies_by_namespace.get(pod.namespace, ())
        if direction in p.policy_types and selects(p, pod)
    )


# --------------------------------------------------------------------------- rules


def peer_matches(
    alg: Algebra, cluster: Cluster, policy: NetworkPolicy, peer: Peer, other: Endpoint, other_ip: Term, family: int
) -> Term:
    """Does ``peer`` (one ``from``/``to`` entry) match the other end of the connection? (§3.5-3.6)"""
    if peer.ip_block is not None:
        block = peer.ip_block
        if block.cidr.version != family:
            return alg.false
        if isinstance(other, PodEndpoint) and not cluster.config.ipblock_matches_pods:
            return alg.false
        return alg.and_(
            alg.in_cidr(other_ip, block.cidr),
            *(alg.not_(alg.in_cidr(other_ip, e)) for e in block.except_),
        )
    if not isinstance(other, PodEndpoint):
        return alg.false  # selectors match pod-network pods only
    pod = other.pod
    if peer.namespace_selector is None:
        in_scope = pod.namespace == policy.namespace
    else:
        in_scope = matches(peer.namespace_selector, namespace_labels(cluster, pod.namespace))
    if not in_scope:
        return alg.false
    if peer.pod_selector is not None and not matches(peer.pod_selector, pod.labels):
        return alg.false
    return alg.true


def port_matches(alg: Algebra, port: PolicyPort, destination: Endpoint, packet: Packet) -> Term:
    """Does one ``ports`` entry match the packet's destination port and protocol? (§3.7)

    A named port resolves on the destination pod's containers, with the same
    protocol; on anything but a pod it never matches.
    """
    protocol_ok = alg.eq(packet.protocol, alg.protocol(port.protocol))
    if port.port is None:
        return protocol_ok
    if isinstance(port.port, str):
        if not isinstance(destination, PodEndpoint):
            return alg.false
        number = destination.pod.named_port(port.port, port.protocol)
        if number is None:
            return alg.false
        return alg.and_(protocol_ok, alg.eq(packet.dst_port, alg.port(number)))
    if port.end_port is not None:
        return alg.and_(protocol_ok, alg.in_range(packet.dst_port, port.port, port.end_port))
    return alg.and_(protocol_ok, alg.eq(packet.dst_port, alg.port(port.port)))


def rule_matches(
    alg: Algebra,
    cluster: Cluster,
    policy: NetworkPolicy,
    rule: PolicyRule,
    other: Endpoint,
    other_ip: Term,
    destination: Endpoint,
    packet: Packet,
) -> Term:
    """A rule matches when some peer matches (or it lists none) and some port does (or none)."""
    peers = (
        alg.true
        if not rule.peers
        else alg.or_(*(peer_matches(alg, cluster, policy, p, other, other_ip, packet.family) for p in rule.peers))
    )
    ports = (
        alg.true
        if not rule.ports
        else alg.or_(*(port_matches(alg, p, destination, packet) for p in rule.ports))
    )
    return alg.and_(peers, ports)


# --------------------------------------------------------------------------- decisions


def _decide(
    alg: Algebra,
    cluster: Cluster,
    direction: str,
    local: Endpoint,
    other: Endpoint,
    other_ip: Term,
    destination: Endpoint,
    packet: Packet,
    exemption: str | None,
) -> Decision:
    if not isinstance(local, PodEndpoint):
        return Decision(direction, None, (), (), "not a pod-network pod")
    pod = local.pod
    isolating = isolating_policies(cluster, pod, direction)
    if exemption is not None or not isolating:
        return Decision(direction, pod, isolating, (), exemption)
    clauses = tuple(
        Clause(policy, direction, i, rule, rule_matches(alg, cluster, policy, rule, other, other_ip, destination, packet))
        for policy in isolating
        for i, rule in enumerate(policy.rules(direction))
    )
    return Decision(direction, pod, isolating, clauses)


def _same_pod(a: Endpoint, b: Endpoint) -> bool:
    return isinstance(a, PodEndpoint) and isinstance(b, PodEndpoint) and a.pod.ref == b.pod.ref


def egress(
    alg: Algebra, cluster: Cluster, source: Endpoint, destination: Endpoint, packet: Packet, *, via_service: bool = False
) -> Decision:
    """The source pod's egress decision on the (post-DNAT) packet.

    A pod connecting to its own IP is exempt (it cannot block itself); through a
    Service VIP it is not (semantics.md §11 row 12).
    """
    exemption = "own pod IP" if _same_pod(source, destination) and not via_service else None
    return _decide(alg, cluster, EGRESS, source, destination, packet.dst_ip, destination, packet, exemption)


def ingress(
    alg: Algebra, cluster: Cluster, source: Endpoint, destination: Endpoint, packet: Packet, *, via_service: bool = False
) -> Decision:
    """The destination pod's ingress decision; ``source`` is the client *as seen* (after any SNAT).

    Exempt: traffic from the pod's own node (kubelet probes, hostNetwork pods
    there) and from the pod itself.
    """
    exemption = None
    if _same_pod(source, destination) and not via_service:
        exemption = "own pod IP"
    elif (
        isinstance(destination, PodEndpoint)
        and isinstance(source, NodeEndpoint)
        and source.node.name == destination.pod.node_name
    ):
        exemption = "from the pod's own node"
    return _decide(alg, cluster, INGRESS, destination, source, packet.src_ip, destination, packet, exemption)


def connection_allowed(
    alg: Algebra, cluster: Cluster, source: Endpoint, destination: Endpoint, packet: Packet, *, seen_source: Endpoint | None = None, via_service: bool = False
) -> Term:
    """Both ends must allow: the source's egress and the destination's ingress (§3.4)."""
    seen = source if seen_source is None else seen_source
    return alg.and_(
        egress(alg, cluster, source, destination, packet, via_service=via_service).allowed(alg),
        ingress(alg, cluster, seen, destination, packet, via_service=via_service).allowed(alg),
    )


def is_external(endpoint: Endpoint) -> bool:
    return isinstance(endpoint, ExternalEndpoint)
