"""Property *isolation*: pods selected for isolation are really isolated.

Formally, for every address family, with P the set of live pod-network pods:

1. for every NetworkPolicy N and every hostNetwork pod h whose labels N's
   ``podSelector`` matches: no packet from a pod reaches h (resp. leaves h)
   that N's rules would not allow. NetworkPolicy does not apply to host-network
   pods (semantics.md §3.9), so such a selector promises an isolation that does
   not exist;
2. for every s, d in P and every packet on every path (pod IP or Service
   frontend): if the flow s -> d is allowed, it is also allowed when ipBlocks
   match only cluster-external addresses. Whether an ipBlock matches pod IPs is
   implementation-defined (§3.6, checklist item 15): a flow into (or out of) an
   isolated pod that only an ipBlock lets through depends on the CNI.

User invariants (``isolated``, ``only``, ``reach``) are checked by
:mod:`verifier.properties.invariants` with the same encoding.
"""

from __future__ import annotations

import time
from dataclasses import replace

import z3

from ..model import Cluster, Pod
from ..semantics import policy as policy_rules
from ..semantics.endpoint import PodEndpoint
from ..semantics.pipeline import Client
from ..semantics.selectors import matches
from ..symbolic.encoder import Encoder
from ..semantics.classes import may_hold_pod_address, pod_classes
from ..symbolic.solver import Status as SolverStatus
from ..symbolic.solver import Case, search
from ..trace import Decider
from . import flows
from .result import Counterexample, Finding, PropertyResult

NAME = "isolation"
STATEMENT = (
    "every pod a NetworkPolicy selects is isolated as written: no hostNetwork pod is selected (policy "
    "cannot isolate it), and no flow into or out of an isolated pod depends on an ipBlock matching pod IPs"
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


def check(cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3) -> PropertyResult:
    start = time.perf_counter()
    found: list[Counterexample] = []
    unknown: list[str] = []
    pods = [p for p in cluster.live_pods if p.ips]
    for family in cluster.families:
        enc = Encoder(cluster, family)
        fam_pods = [p for p in pods if p.ip(family) is not None]
        classes = pod_classes(cluster, [p for p in fam_pods if not p.host_network])
        for finder in (_host_network_selected, _ipblock_dependent):
            if len(found) >= max_counterexamples:
                break
            more, reason = finder(cluster, enc, classes, fam_pods, timeout, max_counterexamples - len(found))
            found.extend(more)
            if reason:
                unknown.append(reason)
    seconds = time.perf_counter() - start
    return PropertyResult.decide(NAME, NAME, STATEMENT, found, unknown, seconds, findings=_priority_ties(cluster))


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
            for a, b in zip(anps, anps[1:]):
                actions_a = {r.action for r in a.rules(direction)}
                actions_b = {r.action for r in b.rules(direction)}
                if a.priority == b.priority and actions_a | actions_b != actions_a & actions_b:
                    key = tuple(sorted((a.name, b.name)))
                    out.setdefault(key, Finding(
                        f"AdminNetworkPolicies {a.name} and {b.name} share priority {a.priority} and both apply to "
                        f"{pod.ref} ({direction.lower()}) with different actions: the implementation may evaluate "
                        "either first (netverify takes them by name)",
                        (Decider.of(a, part="spec.priority"), Decider.of(b, part="spec.priority")),
                    ))
    return tuple(out.values())


# --------------------------------------------------------------------------- 1. hostNetwork pods


def _host_network_selected(cluster, enc, classes, pods, timeout, limit):
    alg = enc.alg
    packet = enc.packet("hn")
    cases = []
    seen: set = set()
    for pol in cluster.policies:
        if "Ingress" not in pol.policy_types:
            continue
        for h in pods:
            if not h.host_network or h.namespace != pol.namespace or not matches(pol.pod_selector, h.labels):
                continue
            key = (pol.ref, h.owner or h.ref)
            if key in seen:
                continue
            seen.add(key)

            def extra(rep_src, rep_dst, path, allowed, pol=pol):
                client = Client.of_pod(cluster, rep_src)
                as_pod = PodEndpoint(rep_dst)
                would = alg.or_(
                    *(
                        policy_rules.rule_matches(alg, cluster, pol, rule, client.endpoint, packet.src_ip, as_pod, packet)
                        for rule in pol.ingress
                    )
                )
                return alg.and_(allowed, alg.not_(would))

            # One case per (policy, pod): a second source adds nothing to the finding.
            sub = flows.flow_cases(enc, packet, classes, [[h]], extra=extra)
            if sub:
                cases.append(Case((pol, sub), alg.or_(*(c.formula for c in sub))))
    if not cases:
        return [], None
    wish = flows.prefer_declared_ports(enc, packet)
    result = search(enc.solver(timeout), cases, limit, prefer=lambda case: wish(case.key[1][0]))
    out = []
    for case, model in result.hits:
        pol, sub = case.key
        key = next(c.key for c in sub if c.formula is True or z3.is_true(model.eval(c.formula, model_completion=True)))
        w = flows.decode(enc, model, key, packet)
        _, t = flows.replay(cluster, w, expect_allowed=True, what="isolation (hostNetwork)")
        out.append(
            Counterexample(
                summary=(
                    f"{w.destination.ref} runs on the host network, so NetworkPolicy {pol.ref} selects it but cannot "
                    f"isolate it: {w.source.ref} reaches it on {w.packet.dst_port}/{w.packet.protocol}, which the policy does not allow"
                ),
                packet=w.packet,
                pods=(w.source.ref, w.destination.ref),
                objects=(Decider.of(pol, part="spec.podSelector"), Decider.of(w.destination)),
                traces=(t,),
                allocation=flows.allocation_labels(w, cluster),
            )
        )
    return out, _unknown(result)


# --------------------------------------------------------------------------- 2. ipBlock-dependent flows


def _ipblock_dependent(cluster, enc, classes, pods, timeout, limit):
    if not cluster.config.ipblock_matches_pods:
        return [], None
    family = enc.family
    alg = enc.alg
    strict_cluster = replace(cluster, config=replace(cluster.config, ipblock_matches_pods=False))
    strict = Encoder(strict_cluster, family)
    packet = enc.packet("ib")

    into = [c for c in classes if _has_pod_ipblocks(cluster, c[0], "Ingress", family)]
    out_of = [c for c in classes if _has_pod_ipblocks(cluster, c[0], "Egress", family)]
    if not into and not out_of:
        return [], None

    def extra(rep_src, rep_dst, path, allowed):
        client = Client.of_pod(cluster, rep_src)
        dst = PodEndpoint(rep_dst)
        return alg.and_(allowed, alg.not_(strict.flow_allowed(client, dst, packet, path)))

    cases = flows.flow_cases(enc, packet, classes, into, extra=extra)
    into_ids = {id(c) for c in into}
    rest = [c for c in classes if id(c) not in into_ids]
    cases += flows.flow_cases(enc, packet, out_of, rest, extra=extra)
    if not cases:
        return [], None
    result = search(enc.solver(timeout), cases, limit, prefer=flows.prefer_declared_ports(enc, packet))
    found = []
    for case, model in result.hits:
        w = flows.decode(enc, model, case.key, packet)
        concrete, t = flows.replay(cluster, w, expect_allowed=True, what="isolation (ipBlock)")
        t_strict = flows.replay(strict_cluster, w, expect_allowed=False, what="isolation (ipBlock, strict profile)")[1]
        deciders = tuple(d for d in flows.allowing_deciders(t, w.destination.ref if w.path.frontend else None))
        blocks = _ipblock_rules(concrete, w)
        found.append(
            Counterexample(
                summary=(
                    f"{w.source.ref} reaches {w.destination.ref} on {w.packet.dst_port}/{w.packet.protocol} only because "
                    f"{blocks or 'an ipBlock'} covers a pod IP ({w.packet.src_ip} -> {w.packet.dst_ip}); ipBlocks are meant for "
                    "cluster-external addresses, and CNIs that never match pod IPs with them (e.g. Cilium) deny this flow"
                ),
                packet=w.packet,
                pods=(w.source.ref, w.destination.ref),
                objects=deciders,
                traces=(t, t_strict),
                allocation=flows.allocation_labels(w, cluster),
                details={"path": w.path.describe(), "profile": "ipBlock matches pod IPs (Calico)"},
            )
        )
    return found, _unknown(result)


def _ipblock_rules(cluster: Cluster, w) -> str:
    """Name the ipBlocks (policy, rule) that hold the witness's addresses."""
    names = []
    for pod, other_ip, direction in ((w.destination, w.packet.src_ip, "Ingress"), (w.source, w.packet.dst_ip, "Egress")):
        for p in policy_rules.isolating_policies(cluster, pod, direction):
            for i, rule in enumerate(p.rules(direction)):
                for peer in rule.peers:
                    b = peer.ip_block
                    if b is not None and other_ip in b.cidr and not any(other_ip in e for e in b.except_):
                        names.append(f"ipBlock {b} of {p.ref} {direction.lower()}[{i}] ({rule.source})")
    return ", ".join(dict.fromkeys(names))


def _unknown(result) -> str | None:
    if result.status is SolverStatus.UNKNOWN:
        return f"solver: {result.reason}"
    return None
