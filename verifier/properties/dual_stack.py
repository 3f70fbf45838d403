"""Property *dual-stack-coverage*: in a dual-stack cluster, both families work alike.

Only checked when the cluster runs both IPv4 and IPv6. Formally:

1. every live pod-network pod has an address of each family; every node with
   podCIDRs has one of each family; every PreferDualStack/RequireDualStack
   Service has a cluster IP of each family (unless headless), and its IPv6
   endpoints cover the same pods as its IPv4 endpoints;
2. for every pair of dual-stack pods p != q, every port and protocol:
   allowed_4(p -> q) <=> allowed_6(p -> q) to q's own address of each family,
   for every allocation;
3. for every pod p and every outside host known with both families
   (``ClusterNetwork.externalNames``), every port and protocol:
   allowed_4(p -> host) <=> allowed_6(p -> host).

A violation is a pod, node or Service missing a family, or a flow that works in
one family and not in the other (typically an ipBlock for one family only).
"""

from __future__ import annotations

import time
from typing import Any

import z3

from ..model import Cluster, Pod
from ..semantics import services as svc_rules
from ..semantics.addressing import endpoint_of_pod
from ..semantics.algebra import Packet
from ..semantics.endpoint import ExternalEndpoint
from ..semantics.pipeline import Client
from ..symbolic.encoder import Encoder, Path
from ..semantics.classes import may_hold_pod_address, pairs, pod_classes, pod_snat_possible
from ..semantics.policy import applicable_tiers
from ..symbolic.solver import Case, Solver, search
from ..symbolic.solver import Status as SolverStatus
from ..trace import Decider
from .flows import allocation_for
from .result import Counterexample, PropertyResult, Status

NAME = "dual-stack-coverage"
STATEMENT = (
    "every pod, node and dual-stack Service has both address families, and every flow allowed in one "
    "family is allowed in the other (pod to pod, and to dual-stack outside hosts)"
)


def check(cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3) -> PropertyResult:
    start = time.perf_counter()
    if not cluster.dual_stack:
        return PropertyResult(NAME, NAME, Status.HOLDS, "single-stack cluster: nothing to cover", seconds=time.perf_counter() - start)
    enc4, enc6 = Encoder(cluster, 4), Encoder(cluster, 6)
    solver = Solver(timeout=timeout)
    solver.add(*enc4.constraints, *enc6.constraints)
    port = z3.BitVec("ds.dport", 16)
    proto = z3.BitVec("ds.proto", 2)
    solver.add(port != 0, z3.ULE(proto, 2))
    cases = _coverage_cases(cluster)
    cases += _pod_twins(cluster, enc4, enc6, port, proto)
    cases += _external_twins(cluster, enc4, enc6, port, proto)
    result = search(solver, cases, max_counterexamples)
    found = tuple(_explain(cluster, enc4, enc6, case.key, model, port, proto) for case, model in result.hits)
    seconds = time.perf_counter() - start
    return PropertyResult.decide(NAME, NAME, STATEMENT, found, [result.reason] if result.status is SolverStatus.UNKNOWN else [], seconds)


# --------------------------------------------------------------------------- 1. addresses


def _coverage_cases(cluster: Cluster) -> list[Case]:
    cases: list[Case] = []
    for pod in cluster.live_pods:
        if not pod.host_network and pod.ips and len(pod.families) < 2:
            cases.append(Case(("pod", pod), True))
    for node in cluster.nodes:
        if node.pod_cidrs and len({c.version for c in node.pod_cidrs}) < 2:
            cases.append(Case(("node", node), True))
    for svc in cluster.services:
        if svc.ip_family_policy not in ("PreferDualStack", "RequireDualStack") or svc.type == "ExternalName":
            continue
        if not svc.headless and len({ip.version for ip in svc.cluster_ips}) < 2:
            cases.append(Case(("service-ips", svc), True))
        by_family = {
            fam: {e.pod.ref for e in svc_rules.service_endpoints(cluster, svc, fam) if e.pod is not None and e.ready}
            for fam in (4, 6)
        }
        missing = by_family[4] ^ by_family[6]
        if missing:
            cases.append(Case(("service-endpoints", svc, tuple(sorted(missing)), by_family), True))
    return cases


# --------------------------------------------------------------------------- 2. pod-to-pod twins


def _allowed(enc: Encoder, client: Client, dst_pod: Pod, packet: Packet) -> Any:
    """The flow to the pod's own address of that family (Service VIPs have their own families)."""
    return enc.flow_allowed(client, endpoint_of_pod(enc.cluster, dst_pod), packet, Path("direct"))


def _same_pod(enc4: Encoder, enc6: Encoder, ip4, ip6, pods) -> Any:
    """(ip4, ip6) are the two addresses of one pod of ``pods``."""
    alg = enc4.alg
    return alg.or_(*(alg.and_(alg.eq(ip4, enc4.pod_ip(p)), alg.eq(ip6, enc6.pod_ip(p))) for p in pods))


def _pod_twins(cluster, enc4, enc6, port, proto) -> list[Case]:
    alg = enc4.alg
    pods = [p for p in cluster.live_pods if not p.host_network and len(p.families) == 2]
    classes = pod_classes(cluster, pods)
    nat = pod_snat_possible(cluster)
    specific: dict[tuple[str, str], bool] = {}

    def family_specific(pod: Pod, direction: str) -> bool:
        key = (pod.ref, direction)
        if key not in specific:
            specific[key] = nat or _family_specific(cluster, pod, direction)
        return specific[key]

    cases = []
    for pair in pairs(cluster, classes, classes):
        src, dst, same = pair.sources, pair.destinations, pair.same_class
        rep = dst[1] if same else dst[0]
        if not (family_specific(src[0], "Egress") or family_specific(rep, "Ingress")):
            continue  # every rule on the way is blind to the family: both verdicts are one formula
        client = Client.of_pod(cluster, src[0])
        p4 = Packet(4, z3.BitVec("ds.src4", 32), z3.BitVec("ds.dst4", 32), port, proto)
        p6 = Packet(6, z3.BitVec("ds.src6", 128), z3.BitVec("ds.dst6", 128), port, proto)
        a4 = _allowed(enc4, client, rep, p4)
        a6 = _allowed(enc6, client, rep, p6)
        if a4 is a6 or (isinstance(a4, bool) and isinstance(a6, bool) and a4 == a6):
            continue
        formula = alg.and_(
            _same_pod(enc4, enc6, p4.src_ip, p6.src_ip, src),
            _same_pod(enc4, enc6, p4.dst_ip, p6.dst_ip, dst),
            alg.not_(alg.eq(p4.src_ip, p4.dst_ip)) if same else True,
            z3.Xor(_b(a4), _b(a6)),
        )
        cases.append(Case(("pods", src, dst, p4, p6), formula))
    return cases


def _family_specific(cluster: Cluster, pod: Pod, direction: str) -> bool:
    """Can a rule applying to ``pod`` treat a pod's IPv4 and IPv6 addresses differently?

    Selectors, ports and protocols read the same in both families; only address
    rules that may hold a pod's address (ipBlocks, ANP networks, Calico nets and
    notNets) or an ``ipVersion`` can, and NAT (checked by the caller).
    """
    for _name, _default, policies in applicable_tiers(cluster, pod, direction):
        for p in policies:
            for rule in p.rules(direction):
                for peer in getattr(rule, "peers", ()):
                    block = getattr(peer, "ip_block", None)
                    if block is not None and may_hold_pod_address(cluster, block.cidr, block.except_):
                        return True
                    if any(may_hold_pod_address(cluster, n) for n in getattr(peer, "networks", ())):
                        return True
                if getattr(rule, "ip_version", None) is not None:
                    return True
                for e in (getattr(rule, "source_rule", None), getattr(rule, "destination", None)):
                    if e is not None and any(may_hold_pod_address(cluster, n) for n in e.nets + e.not_nets):
                        return True
    return False


def _b(t: Any) -> Any:
    return z3.BoolVal(t) if isinstance(t, bool) else t


# --------------------------------------------------------------------------- 3. outside twins


def _external_twins(cluster, enc4, enc6, port, proto) -> list[Case]:
    alg = enc4.alg
    hosts = [(name, ips) for name, ips in cluster.config.external_names if {ip.version for ip in ips} == {4, 6}]
    if not hosts:
        return []
    pods = [p for p in cluster.live_pods if not p.host_network and len(p.families) == 2]
    classes = pod_classes(cluster, pods)
    cases = []
    for name, ips in hosts:
        ip4 = next(ip for ip in ips if ip.version == 4)
        ip6 = next(ip for ip in ips if ip.version == 6)
        for src in classes:
            client = Client.of_pod(cluster, src[0])
            p4 = Packet(4, z3.BitVec("dx.src4", 32), ip4, port, proto)
            p6 = Packet(6, z3.BitVec("dx.src6", 128), ip6, port, proto)
            a4 = enc4.flow_allowed(client, ExternalEndpoint(ip4), p4, Path("direct"))
            a6 = enc6.flow_allowed(client, ExternalEndpoint(ip6), p6, Path("direct"))
            if isinstance(a4, bool) and isinstance(a6, bool) and a4 == a6:
                continue
            formula = alg.and_(_same_pod(enc4, enc6, p4.src_ip, p6.src_ip, src), z3.Xor(_b(a4), _b(a6)))
            cases.append(Case(("external", name, ip4, ip6, tuple(src), p4, p6), formula))
    return cases


# --------------------------------------------------------------------------- explanations


def _explain(cluster, enc4, enc6, key, model, port, proto) -> Counterexample:
    kind = key[0]
    if kind == "pod":
        pod = key[1]
        node = cluster.node_by_name.get(pod.node_name or "")
        have = "/".join(f"IPv{f}" for f in pod.families)
        objs = [Decider.of(pod)] + ([Decider.of(node, part="spec.podCIDRs")] if node is not None and len(node.pod_cidrs) < 2 else [])
        return Counterexample(f"{pod.ref} has only {have} in a dual-stack cluster: it is unreachable over the other family", pods=(pod.ref,), objects=tuple(objs))
    if kind == "node":
        node = key[1]
        have = ", ".join(map(str, node.pod_cidrs))
        return Counterexample(f"node {node.name} has podCIDRs {have} only: its pods get a single family", objects=(Decider.of(node, part="spec.podCIDRs"),))
    if kind == "service-ips":
        svc = key[1]
        return Counterexample(f"Service {svc.ref} is {svc.ip_family_policy} but has cluster IPs {', '.join(map(str, svc.cluster_ips))}", objects=(Decider.of(svc, part="spec.ipFamilies"),))
    if kind == "service-endpoints":
        svc, missing, by_family = key[1], key[2], key[3]
        only4 = [m for m in missing if m in by_family[4]]
        detail = f"{', '.join(only4)} only in its IPv4 endpoints" if only4 else f"{', '.join(missing)} only in its IPv6 endpoints"
        return Counterexample(f"Service {svc.ref} ({svc.ip_family_policy}) reaches {detail}: its two families lead to different pods", pods=tuple(missing), objects=(Decider.of(svc),))
    port_v = model.eval(port, model_completion=True).as_long()
    proto_v = ("TCP", "UDP", "SCTP")[model.eval(proto, model_completion=True).as_long()]
    from ..engine import trace
    from ..errors import SoundnessError
    from ..symbolic.encoder import instantiate

    alloc = {**enc4.allocation(model), **enc6.allocation(model)}
    concrete = instantiate(cluster, alloc)
    if kind == "pods":
        _, src, dst, p4, p6 = key
        s4 = enc4.concrete_packet(model, p4)
        source = enc4.pod_at(model, s4.src_ip, src) or src[0]
        dest = enc4.pod_at(model, s4.dst_ip, [d for d in dst if d is not source]) or dst[0]
        t4 = trace(concrete, source.ref, dest.ref, port_v, proto_v, family=4)
        t6 = trace(concrete, source.ref, dest.ref, port_v, proto_v, family=6)
        target = dest.ref
    else:
        _, name, ip4, ip6, src, p4, p6 = key
        s4 = enc4.concrete_packet(model, p4)
        source = enc4.pod_at(model, s4.src_ip, src) or src[0]
        t4 = trace(concrete, source.ref, ip4, port_v, proto_v)
        t6 = trace(concrete, source.ref, ip6, port_v, proto_v)
        target = f"{name} ({ip4} / {ip6})"
    if t4.reachable == t6.reachable:
        raise SoundnessError(f"dual-stack: Z3 says {source.ref} -> {target} differs by family, the engine says {t4.verdict} / {t6.verdict}")
    works, fails = ("IPv4", "IPv6") if t4.reachable else ("IPv6", "IPv4")
    bad = t6 if t4.reachable else t4
    good = t4 if t4.reachable else t6
    # At fault (first, where CI annotations point): the rule that allows the flow in one
    # family only, at the step that denies the other family (the rule that needs its
    # twin); then what denies the other family.
    denied_at = {h.step for h in bad.all_hops if h.outcome == "denied"}
    allowing = [d for h in good.all_hops if h.outcome == "allowed" for d in h.deciders if h.step in denied_at]
    if not allowing:
        allowing = [d for h in good.all_hops if h.outcome == "allowed" for d in h.deciders]
    deciders = tuple(allowing) + tuple(d for h in bad.all_hops if h.outcome == "denied" for d in h.deciders)
    return Counterexample(
        summary=f"{source.ref} -> {target} {port_v}/{proto_v} works over {works} but not over {fails}",
        pods=(source.ref,) + ((dest.ref,) if kind == "pods" else ()),
        objects=tuple(dict.fromkeys(deciders)),
        traces=(t4, t6),
        allocation=allocation_for(cluster, alloc, {source.ref} | ({dest.ref} if kind == "pods" else set())),
    )
