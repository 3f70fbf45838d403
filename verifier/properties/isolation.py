"""Property *isolation*: pods selected for isolation are really isolated.

Formally, for every address family, with P the live pod-network pods and C
every client (the pods, hostNetwork pods, nodes and hosts outside the cluster):

1. for every NetworkPolicy N and every hostNetwork pod h whose labels N's
   ``podSelector`` matches: for Ingress in N's policyTypes, no packet from
   any client other than h's own node reaches h, on any path (h's node
   address, a Service frontend, a hostPort), that N's ingress rules would not
   allow; for Egress, no packet h sends, to any destination on any path, that
   N's egress rules would not allow. NetworkPolicy does not apply to
   host-network pods (semantics.md §3.9): such a selector promises an
   isolation that does not exist;
2. for every s, d in P and every packet on every path: if the flow s -> d is
   allowed, it is also allowed when ipBlocks match only cluster-external
   addresses. Whether an ipBlock matches pod IPs is implementation-defined
   (§3.6, checklist item 15): a flow into (or out of) an isolated pod that only
   an ipBlock lets through depends on the CNI.

AdminNetworkPolicies of one priority that apply to one pod with different
actions are reported as findings (their order is left to the implementation).
User invariants (``isolated``, ``only``, ``reach``) are checked by
:mod:`verifier.properties.invariants` with the same journey.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Cluster, NetworkPolicy, Pod
from ..semantics import policy as policy_rules
from ..semantics.classes import may_hold_pod_address, pod_classes
from ..semantics.endpoint import PodEndpoint
from ..symbolic.encoder import Encoder, is_true
from ..symbolic.solver import Case
from ..trace import Decider
from . import flows
from .driver import Query, prove
from .result import Counterexample, Finding, PropertyResult

NAME = "isolation"
STATEMENT = (
    "every pod a NetworkPolicy selects is isolated as written: no hostNetwork pod is selected (policy "
    "cannot isolate it: no flow into or out of it that the policy would deny), and no flow into or out of "
    "an isolated pod depends on an ipBlock matching pod IPs"
)


def _has_pod_ipblocks(cluster: Cluster, pod: Pod, direction: str, family: int) -> bool:
    """Does an ipBlock of a policy isolating ``pod`` possibly hold some pod's address?"""
    return any(
        peer.ip_block is not None
        and peer.ip_block.cidr.version == family
        and may_hold_pod_address(cluster, peer.ip_block.cidr, peer.ip_block.except_)
        for p in policy_rules.isolating_policies(cluster, pod, direction)
        for rule in p.rules(direction)
        for peer in rule.peers
    )


def check(
    cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3
) -> PropertyResult:
    queries = []
    for family in cluster.families:
        queries.append(_host_network_query(cluster, family))
        if cluster.config.ipblock_matches_pods:
            queries.append(_ipblock_query(cluster, family))
    return prove(
        NAME,
        NAME,
        STATEMENT,
        queries,
        timeout=timeout,
        limit=max_counterexamples,
        findings=_priority_ties(cluster),
    )


def _priority_ties(cluster: Cluster) -> tuple[Finding, ...]:
    """AdminNetworkPolicies of one priority that apply to one pod with different actions (semantics.md §4.5).

    Upstream leaves their order to the implementation; netverify orders them by
    name, and says so here rather than pretend the answer is certain.
    """
    from ..semantics import admin_policy

    out: dict[tuple[str, str], Finding] = {}
    for pod in cluster.live_pods:
        for direction in ("Ingress", "Egress"):
            anps = admin_policy.applicable(cluster, pod, direction, baseline=False)
            for a, b in zip(anps, anps[1:], strict=False):
                actions_a = {r.action for r in a.rules(direction)}
                actions_b = {r.action for r in b.rules(direction)}
                if a.priority == b.priority and actions_a | actions_b != actions_a & actions_b:
                    key = tuple(sorted((a.name, b.name)))
                    out.setdefault(
                        key,
                        Finding(
                            f"AdminNetworkPolicies {a.name} and {b.name} share priority {a.priority} and both apply to "
                            f"{pod.ref} ({direction.lower()}) with different actions: the implementation may evaluate "
                            "either first (netverify takes them by name)",
                            (
                                Decider.of(a, part="spec.priority"),
                                Decider.of(b, part="spec.priority"),
                            ),
                        ),
                    )
    return tuple(out.values())


# --------------------------------------------------------------------------- 1. hostNetwork pods


def _selected_host_network(cluster: Cluster, family: int):
    """(policy, direction, hostNetwork pod) for every hostNetwork pod a NetworkPolicy's podSelector matches."""
    seen: set = set()
    for pol in cluster.policies:
        for h in cluster.pods_by_namespace.get(pol.namespace, ()):
            if h.terminal or h.ip(family) is None:
                continue
            for direction in pol.policy_types:
                if pol not in policy_rules.selecting_host_network(cluster, h, direction):
                    continue
                key = (
                    pol.ref,
                    direction,
                    h.owner or h.ref,
                )  # one finding per policy, direction and workload
                if key not in seen:
                    seen.add(key)
                    yield pol, direction, h


def _everyone(cluster: Cluster, family: int) -> list[flows.Party]:
    live = [p for p in cluster.live_pods if p.ip(family) is not None]
    parties = flows.pod_parties(cluster, pod_classes(cluster, live))
    return parties + flows.node_parties(cluster, family) + [flows.outside_party()]


def _host_network_query(cluster: Cluster, family: int) -> Query:
    enc = Encoder(cluster, family)
    alg = enc.alg
    packet = enc.packet("hn")

    def would(pol: NetworkPolicy, direction: str, h: Pod, path, client) -> object:
        """N's rules, as if h were a pod it could isolate."""
        as_pod = PodEndpoint(h)
        if direction == "Ingress":
            return alg.or_(
                *(
                    policy_rules.rule_matches(
                        alg, cluster, pol, r, client.endpoint, packet.src_ip, as_pod, packet
                    )
                    for r in pol.ingress
                )
            )
        other = path.destination
        return alg.or_(
            *(
                policy_rules.rule_matches(alg, cluster, pol, r, other, packet.dst_ip, other, packet)
                for r in pol.egress
            )
        )

    def cases() -> list[Case]:
        out = []
        everyone = _everyone(cluster, family)
        for pol, direction, h in _selected_host_network(cluster, family):
            me = flows.Party(flows.POD, (h,))
            others = [p for p in everyone if p.node_name != h.node_name and h not in p.pods]
            if direction == "Ingress":
                pairs = flows.split_pairs(cluster, others, [me])
            else:
                pairs = flows.split_pairs(cluster, [me], others)
            sub = []
            for src, dst, _same in pairs:
                client = src.client(cluster)
                case = flows.flow_case(
                    enc,
                    packet,
                    src,
                    dst,
                    extra=lambda path, term, c=client, pol=pol, direction=direction, h=h: alg.and_(
                        term, alg.not_(would(pol, direction, h, path, c))
                    ),
                )
                if case is not None:
                    sub.append(case)
            if sub:
                out.append(
                    Case((pol, direction, h, tuple(sub)), alg.or_(*(c.formula for c in sub)))
                )
        return out

    def explain(case: Case, model) -> Counterexample:
        pol, direction, h, sub = case.key
        key = next(c.key for c in sub if is_true(model, c.formula))
        w = flows.decode(enc, model, key, packet)
        _, t = flows.replay(cluster, w, what="isolation (hostNetwork)")
        flow = (
            f"{w.source_label} reaches it"
            if direction == "Ingress"
            else f"it reaches {w.destination_label}"
        )
        return Counterexample(
            summary=(
                f"{h.ref} runs on the host network, so NetworkPolicy {pol.ref} selects it for {direction} but cannot "
                f"isolate it: {flow} on {w.packet.dst_port}/{w.packet.protocol}, which the policy does not allow"
            ),
            packet=w.packet,
            pods=w.pods,
            objects=(Decider.of(pol, part="spec.podSelector"), Decider.of(h)),
            traces=(t,),
            allocation=flows.allocation_labels(w, cluster),
            details={"direction": direction, "path": w.path.describe()},
        )

    ports = flows.prefer_declared_ports(enc, packet)

    def prefer(case: Case):
        """An example from (to) a pod reads best, on a port the pod declares."""
        sub = case.key[3]
        pod_side = [
            c
            for c in sub
            if _is_pod_network(c.key.source if case.key[1] == "Ingress" else c.key.destination)
        ]
        return (
            alg.and_(alg.or_(*(c.formula for c in pod_side)), ports(sub[0]))
            if pod_side
            else ports(sub[0])
        )

    return Query(f"IPv{family} hostNetwork", (enc,), cases, explain, prefer)


def _is_pod_network(party: flows.Party) -> bool:
    return party.kind == flows.POD and not party.host_network


# --------------------------------------------------------------------------- 2. ipBlock-dependent flows


def _ipblock_query(cluster: Cluster, family: int) -> Query:
    enc = Encoder(cluster, family)
    alg = enc.alg
    strict_cluster = replace(cluster, config=replace(cluster.config, ipblock_matches_pods=False))
    strict = Encoder(strict_cluster, family)
    packet = enc.packet("ib")

    def cases() -> list[Case]:
        pods = [p for p in cluster.live_pods if p.ip(family) is not None and not p.host_network]
        classes = flows.pod_parties(cluster, pod_classes(cluster, pods))
        into = [c for c in classes if _has_pod_ipblocks(cluster, c.pods[0], "Ingress", family)]
        out_of = [c for c in classes if _has_pod_ipblocks(cluster, c.pods[0], "Egress", family)]
        into_ids = {id(c) for c in into}
        rest = [c for c in classes if id(c) not in into_ids]
        out = []
        for sources, destinations in ((classes, into), (out_of, rest)):
            for src, dst, same in flows.split_pairs(cluster, sources, destinations):
                client = src.client(strict_cluster)
                case = flows.flow_case(
                    enc,
                    packet,
                    src,
                    dst,
                    same,
                    extra=lambda path, term, c=client: alg.and_(
                        term, alg.not_(strict.allowed(c, path, packet))
                    ),
                )
                if case is not None:
                    out.append(case)
        return out

    def explain(case: Case, model) -> Counterexample:
        w = flows.decode(enc, model, case.key, packet)
        concrete, t = flows.replay(cluster, w, what="isolation (ipBlock)")
        t_strict = flows.replay(
            strict_cluster, w, expect_allowed=False, what="isolation (ipBlock, strict profile)"
        )[1]
        blocks = _ipblock_rules(concrete, w)
        return Counterexample(
            summary=(
                f"{w.source_label} reaches {w.destination_label} on {w.packet.dst_port}/{w.packet.protocol} only because "
                f"{blocks or 'an ipBlock'} covers a pod IP ({w.packet.src_ip} -> {w.packet.dst_ip}); ipBlocks are meant for "
                "cluster-external addresses, and CNIs that never match pod IPs with them (e.g. Cilium) deny this flow"
            ),
            packet=w.packet,
            pods=w.pods,
            objects=flows.allowing_deciders(t, w),
            traces=(t, t_strict),
            allocation=flows.allocation_labels(w, cluster),
            details={"path": w.path.describe(), "profile": "ipBlock matches pod IPs (Calico)"},
        )

    return Query(
        f"IPv{family} ipBlock",
        (enc, strict),
        cases,
        explain,
        flows.prefer_declared_ports(enc, packet),
    )


def _ipblock_rules(cluster: Cluster, w) -> str:
    """Name the ipBlocks (policy, rule) that hold the witness's addresses."""
    names = []
    for pod, other_ip, direction in (
        (w.destination, w.packet.src_ip, "Ingress"),
        (w.source, w.packet.dst_ip, "Egress"),
    ):
        if not isinstance(pod, Pod):
            continue
        for p in policy_rules.isolating_policies(cluster, pod, direction):
            for i, rule in enumerate(p.rules(direction)):
                for peer in rule.peers:
                    b = peer.ip_block
                    if (
                        b is not None
                        and other_ip in b.cidr
                        and not any(other_ip in e for e in b.except_)
                    ):
                        names.append(
                            f"ipBlock {b} of {p.ref} {direction.lower()}[{i}] ({rule.source})"
                        )
    return ", ".join(dict.fromkeys(names))
