"""Calico NetworkPolicy and GlobalNetworkPolicy rules (projectcalico.org/v3, semantics.md §5).

Which Calico policies apply to a pod, and whether one rule matches a packet, in
the algebra. The tier walk lives in :mod:`verifier.semantics.policy`.

>>> from verifier.model import CalicoPolicy, CalicoRule, EntityRule, Pod, Labels, Cluster
>>> gnp = CalicoPolicy("deny-b", selector="app == 'a'", ingress=(CalicoRule("Deny", source_rule=EntityRule(selector="app == 'b'")),))
>>> [p.name for p in applicable(Cluster(calico_policies=(gnp,)), Pod(namespace="x", name="a", labels=Labels({"app": "a"})), "Ingress")]
['deny-b']
"""

from __future__ import annotations

from ..model import CalicoPolicy, CalicoRule, Cluster, EntityRule, Labels, Pod
from .algebra import Algebra, Packet, Term
from .calico_selector import matches as calico_matches
from .endpoint import Endpoint, PodEndpoint
from .selectors import namespace_labels

__all__ = ["endpoint_labels", "namespace_profile_labels", "applicable", "rule_condition"]

#: The protocols a rule can name that this model's packets carry.
_PORT_PROTOCOLS = ("TCP", "UDP", "SCTP")


def endpoint_labels(pod: Pod) -> Labels:
    """A workload endpoint's labels as Calico sees them: the pod's plus Calico's own."""
    return Labels(
        {
            **pod.labels,
            "projectcalico.org/namespace": pod.namespace,
            "projectcalico.org/orchestrator": "k8s",
        }
    )


def namespace_profile_labels(cluster: Cluster, namespace: str) -> Labels:
    """A namespace's labels for a rule's ``namespaceSelector``; the name is ``projectcalico.org/name``."""
    return Labels({**namespace_labels(cluster, namespace), "projectcalico.org/name": namespace})


def _selects(cluster: Cluster, policy: CalicoPolicy, pod: Pod) -> bool:
    if pod.host_network:
        return False  # not a workload endpoint
    if policy.namespace is not None and pod.namespace != policy.namespace:
        return False
    if (
        policy.namespace is None
        and policy.namespace_selector
        and not calico_matches(
            policy.namespace_selector, namespace_profile_labels(cluster, pod.namespace)
        )
    ):
        return False
    return calico_matches(policy.selector or "all()", endpoint_labels(pod))


def applicable(cluster: Cluster, pod: Pod, direction: str) -> tuple[CalicoPolicy, ...]:
    """The Calico policies selecting ``pod`` whose ``types`` include ``direction``."""
    return tuple(
        p for p in cluster.calico_policies if direction in p.types and _selects(cluster, p, pod)
    )


def _in_scope(cluster: Cluster, policy: CalicoPolicy, entity: EntityRule, pod: Pod) -> bool:
    """Is the pod in the scope a rule's ``selector`` ranges over (§5.4)?"""
    if entity.namespace_selector:
        return calico_matches(
            entity.namespace_selector, namespace_profile_labels(cluster, pod.namespace)
        )
    if policy.namespace is not None:
        return pod.namespace == policy.namespace
    return True


def _entity(
    alg: Algebra,
    cluster: Cluster,
    policy: CalicoPolicy,
    entity: EntityRule,
    rule: CalicoRule,
    other: Endpoint,
    ip: Term,
    port: Term | None,
    family: int,
    destination: Endpoint,
) -> Term:
    terms: list[Term] = []
    if entity.nets:
        terms.append(alg.or_(*(alg.in_cidr(ip, n) for n in entity.nets if n.version == family)))
    if entity.not_nets:
        terms.append(
            alg.not_(alg.or_(*(alg.in_cidr(ip, n) for n in entity.not_nets if n.version == family)))
        )
    pod = other.pod if isinstance(other, PodEndpoint) else None
    labels = endpoint_labels(pod) if pod is not None else None
    if entity.selector is not None or (entity.namespace_selector and entity.not_selector is None):
        ok = (
            pod is not None
            and _in_scope(cluster, policy, entity, pod)
            and calico_matches(entity.selector or "all()", labels)
        )
        terms.append(alg.true if ok else alg.false)
    if entity.not_selector is not None:
        hit = (
            pod is not None
            and _in_scope(cluster, policy, entity, pod)
            and calico_matches(entity.not_selector, labels)
        )
        terms.append(alg.false if hit else alg.true)
    if port is not None and entity.ports:
        terms.append(alg.or_(*(_port(alg, p, rule, port, destination) for p in entity.ports)))
    if port is not None and entity.not_ports:
        terms.append(
            alg.not_(alg.or_(*(_port(alg, p, rule, port, destination) for p in entity.not_ports)))
        )
    return alg.and_(*terms)


def _port(alg: Algebra, spec, rule: CalicoRule, port: Term, destination: Endpoint) -> Term:
    if isinstance(spec, str):
        if not isinstance(destination, PodEndpoint) or rule.protocol is None:
            return alg.false
        number = destination.pod.named_port(spec, rule.protocol)
        return alg.false if number is None else alg.eq(port, alg.port(number))
    lo, hi = spec
    return alg.in_range(port, lo, hi)


def rule_condition(
    alg: Algebra,
    cluster: Cluster,
    policy: CalicoPolicy,
    rule: CalicoRule,
    source: Endpoint,
    destination: Endpoint,
    packet: Packet,
) -> Term:
    """Every criterion the rule sets must match the packet (§5.4)."""
    if rule.ip_version is not None and rule.ip_version != packet.family:
        return alg.false
    terms: list[Term] = []
    if rule.protocol is not None:
        if rule.protocol not in _PORT_PROTOCOLS:
            return alg.false  # ICMP and friends: not packets this model carries
        terms.append(alg.eq(packet.protocol, alg.protocol(rule.protocol)))
    if rule.not_protocol is not None and rule.not_protocol in _PORT_PROTOCOLS:
        terms.append(alg.not_(alg.eq(packet.protocol, alg.protocol(rule.not_protocol))))
    fam = packet.family
    terms.append(
        _entity(
            alg,
            cluster,
            policy,
            rule.source_rule,
            rule,
            source,
            packet.src_ip,
            None,
            fam,
            destination,
        )
    )
    terms.append(
        _entity(
            alg,
            cluster,
            policy,
            rule.destination,
            rule,
            destination,
            packet.dst_ip,
            packet.dst_port,
            fam,
            destination,
        )
    )
    return alg.and_(*terms)
