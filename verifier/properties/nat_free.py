"""Property *nat-free-pod-to-pod*: pods reach each other without NAT.

Formally, for each family f and every pair of live pod-network pods p != q
(on any nodes), and every allocation of the addresses netverify allocated:

    not snat(node(p), src = ip_f(p), dst = ip_f(q))

where ``snat`` is the node's source-NAT rule for pod traffic (Calico
natOutgoing, ip-masq-agent, kubelet's non-masquerade CIDR or a flannel-style
rule: :func:`verifier.semantics.addressing.snat_applies`), so q always sees
p's own address. kube-proxy's Service masquerades are not pod-to-pod traffic.
"""

from __future__ import annotations

import time

from ..model import Cluster, Pod
from ..semantics.classes import cidrs
from ..semantics.endpoint import PodEndpoint
from ..semantics.pipeline import Client, flow
from ..symbolic.encoder import Encoder, Path, allocation_ranges
from ..symbolic.solver import Case
from ..symbolic.solver import Status as SolverStatus
from ..symbolic.solver import search
from ..trace import Decider
from . import flows
from .result import Counterexample, PropertyResult

NAME = "nat-free-pod-to-pod"
STATEMENT = "no node source-NATs a packet from a pod to another pod's IP, on any node, for any allocation"


def _groups(cluster: Cluster, pods: list[Pod], family: int) -> list[list[Pod]]:
    """Pods NAT cannot tell apart: same node, and the same standing towards every CIDR a rule names.

    SNAT depends on the source's node and on the two addresses only (not on
    labels or policy), so these groups are far coarser than policy classes.
    """
    nets = cidrs(cluster)
    out: dict = {}
    for p in pods:
        if p.ip_allocated:
            where = ("allocated", allocation_ranges(cluster, p, family))
        else:
            ip = p.ip(family)
            where = tuple(i for i, n in enumerate(nets) if n.version == family and ip in n)
        out.setdefault((p.node_name, where), []).append(p)
    return list(out.values())


def check(cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3) -> PropertyResult:
    start = time.perf_counter()
    found: list[Counterexample] = []
    unknown: list[str] = []
    pods = [p for p in cluster.live_pods if not p.host_network and p.ips]
    for family in cluster.families:
        if len(found) >= max_counterexamples:
            break
        enc = Encoder(cluster, family)
        alg = enc.alg
        packet = enc.packet("nat")
        groups = _groups(cluster, [p for p in pods if p.ip(family) is not None], family)
        cases = []
        for src in groups:
            client = Client.of_pod(cluster, src[0])
            for dst in groups:
                if src[0].node_name == dst[0].node_name:
                    continue  # delivered on the node's bridge: no NAT rule is on that path
                decision = flow(alg, cluster, client, PodEndpoint(dst[0]), packet)
                if decision.snat is False:
                    continue
                formula = alg.and_(enc.one_of(packet.src_ip, src), enc.one_of(packet.dst_ip, dst), decision.snat)
                cases.append(Case((tuple(src), tuple(dst)), formula))
        result = search(enc.solver(timeout), cases, max_counterexamples - len(found))
        if result.status is SolverStatus.UNKNOWN:
            unknown.append(f"IPv{family}: {result.reason}")
        for case, model in result.hits:
            src, dst = case.key
            concrete = enc.concrete_packet(model, packet)
            source = enc.pod_at(model, concrete.src_ip, src) or src[0]
            dest = enc.pod_at(model, concrete.dst_ip, dst) or dst[0]
            w = flows.FlowWitness(source, dest, Path("direct"), concrete, enc.allocation(model))
            t, nat = _replay(cluster, w)
            found.append(
                Counterexample(
                    summary=f"{w.source.ref} -> {w.destination.ref}: {nat}",
                    packet=w.packet,
                    pods=(w.source.ref, w.destination.ref),
                    objects=_nat_deciders(cluster, t),
                    traces=(t,),
                    allocation=flows.allocation_labels(w, cluster),
                )
            )
    seconds = time.perf_counter() - start
    return PropertyResult.decide(NAME, NAME, STATEMENT, found, unknown, seconds)


def _nat_deciders(cluster: Cluster, t) -> tuple[Decider, ...]:
    hop = next((h for h in t.all_hops if h.step == "snat" and h.outcome == "masquerade"), None)
    return (hop.deciders if hop is not None and hop.deciders else ()) or (_config_decider(cluster),)


def _config_decider(cluster: Cluster) -> Decider:
    return Decider("ClusterNetwork", "cluster", part="spec.masquerade", source=cluster.config.source)


def _replay(cluster: Cluster, w: flows.FlowWitness):
    """The pipeline must NAT the witness on the concrete cluster; the engine's trace shows where."""
    from ..engine import trace
    from ..errors import SoundnessError
    from ..semantics.algebra import CONCRETE, Packet
    from ..symbolic.encoder import instantiate

    concrete = instantiate(cluster, w.allocation)
    src, dst = concrete.pod_by_ref[w.source.ref], concrete.pod_by_ref[w.destination.ref]
    pkt = Packet(w.packet.family, w.packet.src_ip, w.packet.dst_ip, w.packet.dst_port, w.packet.protocol)
    decision = flow(CONCRETE, concrete, Client.of_pod(concrete, src), PodEndpoint(dst), pkt)
    if decision.snat is not True:
        raise SoundnessError(f"nat-free-pod-to-pod: Z3 says {src.ref} -> {w.packet.dst_ip} is source-NATed, the pipeline says not")
    t = trace(concrete, src, w.packet.dst_ip, w.packet.dst_port, w.packet.protocol)
    node = decision.snat_node
    how = f"node {node.name} rewrites the source to {node.ip(w.packet.family)}" if node else "the source is rewritten"
    why = f" ({cluster.config.masquerade.mode} masquerade: {w.packet.dst_ip} is not exempt)"
    if not any(h.step == "snat" and h.outcome == "masquerade" for h in t.all_hops):
        why += f"; today {t.verdict} by policy before the NAT step"
    return t, how + why
