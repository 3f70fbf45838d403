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
from typing import Any

from ..model import AdminNetworkPolicy, Cluster, NetworkPolicy, Peer, Pod, PolicyPort, PolicyRule
from . import admin_policy, calico_policy
from ._cache import per_cluster
from .algebra import CONCRETE, Algebra, Packet, Term
from .endpoint import Endpoint, NodeEndpoint, PodEndpoint
from .selectors import matches, namespace_labels

__all__ = [
    "INGRESS",
    "EGRESS",
    "Clause",
    "TierDecision",
    "Decision",
    "selects",
    "isolating_policies",
    "applicable_tiers",
    "peer_matches",
    "port_matches",
    "rule_matches",
    "rule_peers_match",
    "rule_ports_match",
    "peer_in_scope",
    "ingress",
    "egress",
    "ipblock_assumption",
]

INGRESS = "Ingress"
EGRESS = "Egress"


@dataclass(frozen=True, slots=True)
class Clause:
    """One rule that applies to the pod: ``policy.<direction>[index]``, with its action."""

    policy: Any
    direction: str
    index: int
    rule: Any
    condition: Term
    #: Allow, Deny, Pass or Log (NetworkPolicy rules are all Allow).
    action: str = "Allow"

    @property
    def name(self) -> str:
        return f"{self.policy.ref} {self.direction.lower()}[{self.index}]"


@dataclass(frozen=True, slots=True)
class TierDecision:
    """The applicable policies of one tier, their rules in evaluation order, and the tier's default."""

    name: str
    policies: tuple[Any, ...]
    clauses: tuple[Clause, ...]
    #: What happens when no rule of the tier matches: Deny, or Pass to the next tier.
    default_action: str = "Deny"


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything that decides one direction at one pod for one packet.

    ``tiers`` are the applicable tiers in evaluation order (semantics.md §4.5,
    §5.5): AdminNetworkPolicies, then NetworkPolicies (Calico's ``default``
    tier), then the BaselineAdminNetworkPolicy, with any Calico tiers in their
    own order. The first matching rule of a tier decides (Pass goes on to the
    next tier); a tier without a match applies its default; past the last tier
    the namespace profile allows.
    """

    direction: str
    #: The pod whose policies are consulted; None when that end is no pod-network pod.
    pod: Pod | None
    tiers: tuple[TierDecision, ...] = ()
    #: Why policy does not apply at all ("not a pod", "own node", "self"), or None.
    exemption: str | None = None

    @property
    def isolating(self) -> tuple[Any, ...]:
        """Every policy that applies to the pod in this direction, across tiers."""
        return tuple(p for t in self.tiers for p in t.policies)

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(c for t in self.tiers for c in t.clauses)

    def allowed(self, alg: Algebra) -> Term:
        """The tier walk as one term: ``ite`` chains, folded into and/or for Allow and Deny."""
        if self.exemption is not None:
            return alg.true
        result = alg.true  # past every tier: the namespace profile allows
        for tier in reversed(self.tiers):
            verdict = alg.false if tier.default_action == "Deny" else result
            for c in reversed(tier.clauses):
                if c.action == "Allow":
                    verdict = alg.or_(c.condition, verdict)
                elif c.action == "Deny":
                    verdict = alg.and_(alg.not_(c.condition), verdict)
                elif c.action == "Pass":
                    verdict = alg.ite(c.condition, result, verdict)
            result = verdict
        return result

    def explain(self) -> tuple[bool, Clause | None, TierDecision | None]:
        """Concrete evaluation: (allowed, the rule that decided, the tier that decided).

        ``(False, None, tier)`` is a tier's default Deny; ``(True, None, None)`` means
        no policy decided (no tier applies, or every tier passed).
        """
        if self.exemption is not None:
            return True, None, None
        for tier in self.tiers:
            passed = False
            for c in tier.clauses:
                if c.condition is True and c.action != "Log":
                    if c.action == "Pass":
                        passed = True
                        break
                    return c.action == "Allow", c, tier
            if not passed and tier.default_action == "Deny":
                return False, None, tier
        return True, None, None

    def first_match(self) -> Clause | None:
        """The rule that decided (concrete evaluation only)."""
        return self.explain()[1]


# --------------------------------------------------------------------------- selection


def selects(policy: NetworkPolicy, pod: Pod) -> bool:
    """``spec.podSelector`` picks pods of the policy's own namespace; never hostNetwork pods."""
    return (
        pod.namespace == policy.namespace
        and not pod.host_network
        and matches(policy.pod_selector, pod.labels)
    )


def selecting_host_network(cluster: Cluster, pod: Pod, direction: str) -> tuple[NetworkPolicy, ...]:
    """The NetworkPolicies whose podSelector matches the hostNetwork ``pod`` for ``direction``:
    they select it on paper, but the reference profile applies no pod policy to it (§3.9)."""
    if not pod.host_network:
        return ()
    return tuple(
        p
        for p in cluster.policies_by_namespace.get(pod.namespace, ())
        if direction in p.policy_types and matches(p.pod_selector, pod.labels)
    )


@per_cluster
def isolating_policies(cluster: Cluster, pod: Pod, direction: str) -> tuple[NetworkPolicy, ...]:
    """The policies that make ``pod`` isolated for ``direction`` (§3.3)."""
    return tuple(
        p
        for p in cluster.policies_by_namespace.get(pod.namespace, ())
        if direction in p.policy_types and selects(p, pod)
    )


# --------------------------------------------------------------------------- rules


def peer_matches(
    alg: Algebra,
    cluster: Cluster,
    policy: NetworkPolicy,
    peer: Peer,
    other: Endpoint,
    other_ip: Term,
    family: int,
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
    if not peer_in_scope(cluster, policy, peer, pod.namespace):
        return alg.false
    if peer.pod_selector is not None and not matches(peer.pod_selector, pod.labels):
        return alg.false
    return alg.true


def peer_in_scope(cluster: Cluster, policy: NetworkPolicy, peer: Peer, namespace: str) -> bool:
    """May the selector ``peer`` pick pods of ``namespace``? Without a namespaceSelector only
    the policy's own namespace; with one, the namespaces whose labels it matches (§3.5)."""
    if peer.namespace_selector is None:
        return namespace == policy.namespace
    return matches(peer.namespace_selector, namespace_labels(cluster, namespace))


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
    return alg.and_(
        rule_peers_match(alg, cluster, policy, rule, other, other_ip, packet.family),
        rule_ports_match(alg, rule, destination, packet),
    )


def rule_peers_match(
    alg: Algebra,
    cluster: Cluster,
    policy: NetworkPolicy,
    rule: PolicyRule,
    other: Endpoint,
    other_ip: Term,
    family: int,
) -> Term:
    """The peer half of :func:`rule_matches`: some ``from``/``to`` entry matches (or there is none).

    It depends on the other end only; ``netverify matrix`` evaluates it once per
    rule and class and combines it with :func:`rule_ports_match`.
    """
    if not rule.peers:
        return alg.true
    return alg.or_(
        *(peer_matches(alg, cluster, policy, p, other, other_ip, family) for p in rule.peers)
    )


def rule_ports_match(alg: Algebra, rule: PolicyRule, destination: Endpoint, packet: Packet) -> Term:
    """The port half of :func:`rule_matches`: some ``ports`` entry matches (or there is none).

    It depends on the destination only (named ports resolve there).
    """
    if not rule.ports:
        return alg.true
    return alg.or_(*(port_matches(alg, p, destination, packet) for p in rule.ports))


# --------------------------------------------------------------------------- decisions


#: Tier orders of the reference profile (Calico, semantics.md §4.6).
ADMIN_TIER = ("adminnetworkpolicy", 1_000.0, "Pass")
DEFAULT_TIER = ("default", 1_000_000.0, "Deny")
BASELINE_TIER = ("baselineadminnetworkpolicy", 10_000_000.0, "Pass")
#: The order Calico gives every Kubernetes NetworkPolicy in the default tier.
K8S_POLICY_ORDER = 1000.0
_INF = float("inf")


def _tiers(cluster: Cluster) -> list[tuple[str, float, str]]:
    tiers = {
        name: (name, order, action)
        for name, order, action in (ADMIN_TIER, DEFAULT_TIER, BASELINE_TIER)
    }
    for t in cluster.tiers:
        order = t.order if t.order is not None else _INF
        tiers[t.name] = (t.name, order, t.default_action)
    for p in cluster.calico_policies:
        tiers.setdefault(p.tier, (p.tier, _INF, "Deny"))
    return sorted(tiers.values(), key=lambda t: (t[1], t[0]))


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
        return Decision(direction, None, (), "not a pod-network pod")
    pod = local.pod
    if exemption is not None:
        return Decision(direction, pod, (), exemption)
    source, dest = (other, destination) if direction == INGRESS else (local, destination)
    tiers: list[TierDecision] = []
    for name, default, policies in applicable_tiers(cluster, pod, direction):
        clauses = []
        for p in policies:
            for i, r in enumerate(p.rules(direction)):
                if isinstance(p, NetworkPolicy):
                    cond = rule_matches(alg, cluster, p, r, other, other_ip, destination, packet)
                    clauses.append(Clause(p, direction, i, r, cond))
                elif isinstance(p, AdminNetworkPolicy):
                    cond = admin_policy.rule_condition(
                        alg, cluster, r, other, other_ip, destination, packet
                    )
                    clauses.append(Clause(p, direction, i, r, cond, r.action))
                else:
                    cond = calico_policy.rule_condition(alg, cluster, p, r, source, dest, packet)
                    clauses.append(Clause(p, direction, i, r, cond, r.action))
        tiers.append(TierDecision(name, policies, tuple(clauses), default))
    return Decision(direction, pod, tuple(tiers))


@per_cluster
def applicable_tiers(
    cluster: Cluster, pod: Pod, direction: str
) -> tuple[tuple[str, str, tuple[Any, ...]], ...]:
    """The tiers with policies for ``pod`` in ``direction``, in evaluation order: (name, default action, policies).

    Empty when no policy of any kind applies: the pod is not isolated in that direction.
    """
    out = []
    for name, _order, default in _tiers(cluster):
        if name == ADMIN_TIER[0] or name == BASELINE_TIER[0]:
            policies = admin_policy.applicable(
                cluster, pod, direction, baseline=name == BASELINE_TIER[0]
            )
        else:
            ordered: list[tuple[float, str, Any]] = []
            if name == DEFAULT_TIER[0]:
                ordered += [
                    (K8S_POLICY_ORDER, f"knp.default.{p.name}", p)
                    for p in isolating_policies(cluster, pod, direction)
                ]
            ordered += [
                (p.order if p.order is not None else _INF, p.name, p)
                for p in calico_policy.applicable(cluster, pod, direction)
                if p.tier == name
            ]
            ordered.sort(key=lambda t: (t[0], t[1]))
            policies = tuple(p for _o, _n, p in ordered)
        if policies:
            out.append((name, default, tuple(policies)))
    return tuple(out)


def _endpoint_key(e: Endpoint) -> tuple:
    if isinstance(e, PodEndpoint):
        return ("pod", e.pod.ref)
    if isinstance(e, NodeEndpoint):
        return ("node", e.node.name)
    return ("outside", e.ip)


def _term_key(t: Any) -> Any:
    get_id = getattr(t, "get_id", None)
    return ("term", get_id()) if get_id is not None else t


def _memo(alg: Algebra, key: tuple, make) -> Decision:
    """A decision built once per algebra that keeps a ``decisions`` table (Z3: terms are costly to
    build, and one client meets one destination on many paths); the concrete algebra keeps none."""
    table = getattr(alg, "decisions", None)
    if table is None:
        return make()
    found = table.get(key)
    if found is None:
        found = table[key] = make()
    return found


def _decision_key(
    direction: str,
    cluster: Cluster,
    source: Endpoint,
    destination: Endpoint,
    packet: Packet,
    exemption: str | None,
) -> tuple:
    """What a memoised decision depends on: the direction, the cluster, both ends, the packet."""
    return (
        direction,
        id(cluster),
        _endpoint_key(source),
        _endpoint_key(destination),
        _packet_key(packet),
        exemption,
    )


def _packet_key(packet: Packet) -> tuple:
    return (
        packet.family,
        *(_term_key(t) for t in (packet.src_ip, packet.dst_ip, packet.dst_port, packet.protocol)),
    )


def _same_pod(a: Endpoint, b: Endpoint) -> bool:
    return isinstance(a, PodEndpoint) and isinstance(b, PodEndpoint) and a.pod.ref == b.pod.ref


def egress(
    alg: Algebra,
    cluster: Cluster,
    source: Endpoint,
    destination: Endpoint,
    packet: Packet,
    *,
    via_service: bool = False,
) -> Decision:
    """The source pod's egress decision on the (post-DNAT) packet.

    A pod connecting to its own IP is exempt (it cannot block itself); through a
    Service VIP it is not (semantics.md §11 row 12).
    """
    exemption = "own pod IP" if _same_pod(source, destination) and not via_service else None
    return _memo(
        alg,
        _decision_key(EGRESS, cluster, source, destination, packet, exemption),
        lambda: _decide(
            alg, cluster, EGRESS, source, destination, packet.dst_ip, destination, packet, exemption
        ),
    )


def ingress(
    alg: Algebra,
    cluster: Cluster,
    source: Endpoint,
    destination: Endpoint,
    packet: Packet,
    *,
    via_service: bool = False,
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
    return _memo(
        alg,
        _decision_key(INGRESS, cluster, source, destination, packet, exemption),
        lambda: _decide(
            alg,
            cluster,
            INGRESS,
            destination,
            source,
            packet.src_ip,
            destination,
            packet,
            exemption,
        ),
    )


def ipblock_assumption(
    cluster: Cluster, clause: Clause, other: Endpoint, other_ip, family: int
) -> Peer | None:
    """The ipBlock peer through which a NetworkPolicy ``clause`` matched a *pod*, if nothing else matched it.

    Whether an ipBlock matches pod IPs is implementation-defined (semantics.md
    §3.6, §11 row 2): the reference profile (Calico) matches by IP, Cilium-like
    plugins would not. A verdict that rests on such a match rests on that
    assumption; callers report it. Concrete evaluation only.
    """
    if not isinstance(clause.policy, NetworkPolicy) or not isinstance(other, PodEndpoint):
        return None
    peers = clause.rule.peers
    if not peers:
        return None
    hits = [
        p
        for p in peers
        if peer_matches(CONCRETE, cluster, clause.policy, p, other, other_ip, family) is True
    ]
    if not hits or any(p.ip_block is None for p in hits):
        return None
    return hits[0]
