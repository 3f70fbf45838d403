"""Property *nat-free-pod-to-pod*: pods reach each other without NAT.

Formally, for each family f and every pair of live pod-network pods p != q
(on any nodes), and every allocation of the addresses netverify allocated:

    not (egress_f(p -> q) allows the packet and snat(node(p), src = ip_f(p), dst = ip_f(q)))

where ``snat`` is the node's source-NAT rule for pod traffic (Calico
natOutgoing, ip-masq-agent, kubelet's non-masquerade CIDR or a flannel-style
rule: :func:`verifier.semantics.addressing.snat_applies`), so q always sees
p's own address. kube-proxy's Service masquerades are not pod-to-pod traffic.
"""

from __future__ import annotations

import time

from ..model import Cluster
from ..semantics.endpoint import PodEndpoint
from ..semantics.pipeline import Client, flow
from ..symbolic.encoder import Encoder, Path, symbolic_classes
from ..symbolic.solver import Status as SolverStatus
from ..symbolic.solver import search
from ..trace import Decider
from . import flows
from .result import Counterexample, PropertyResult, Status

NAME = "nat-free-pod-to-pod"
STATEMENT = "no node source-NATs a packet a pod sends to another pod's IP, on any node, for any allocation"


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
        classes = symbolic_classes(cluster, [p for p in pods if p.ip(family) is not None], by_node=True)

        def extra(rep_src, rep_dst, path, allowed):
            # Only the direct path is pod-to-pod. A packet the source's egress
            # policy drops never reaches a NAT rule; the destination's ingress
            # policy comes after NAT (and may well reject the NATed source).
            if path.frontend is not None:
                return False
            decision = flow(alg, cluster, Client.of_pod(cluster, rep_src), PodEndpoint(rep_dst), packet)
            sent = decision.egress.allowed(alg) if decision.egress is not None else True
            return alg.and_(sent, decision.snat)

        cases = flows.flow_cases(enc, packet, classes, classes, extra=extra)
        result = search(enc.solver(timeout), cases, max_counterexamples - len(found))
        if result.status is SolverStatus.UNKNOWN:
            unknown.append(f"IPv{family}: {result.reason}")
        for case, model in result.hits:
            w = flows.decode(enc, model, case.key, packet)
            w = flows.FlowWitness(w.source, w.destination, Path("direct"), w.packet, w.allocation)
            concrete, t = _replay(cluster, w)
            nat = next(h for h in t.all_hops if h.step == "snat")
            found.append(
                Counterexample(
                    summary=f"{w.source.ref} -> {w.destination.ref}: {nat.detail}",
                    packet=w.packet,
                    pods=(w.source.ref, w.destination.ref),
                    objects=nat.deciders or (_config_decider(cluster),),
                    traces=(t,),
                    allocation=flows.allocation_labels(w),
                )
            )
    seconds = time.perf_counter() - start
    if found:
        return PropertyResult(NAME, NAME, Status.VIOLATED, STATEMENT, tuple(found), seconds=seconds)
    if unknown:
        return PropertyResult(NAME, NAME, Status.UNKNOWN, STATEMENT, reason="; ".join(unknown), seconds=seconds)
    return PropertyResult(NAME, NAME, Status.HOLDS, STATEMENT, seconds=seconds)


def _config_decider(cluster: Cluster) -> Decider:
    return Decider("ClusterNetwork", "cluster", part="spec.masquerade", source=cluster.config.source)


def _replay(cluster: Cluster, w: flows.FlowWitness):
    """The engine must show an SNAT hop for the witness (whatever policy then decides)."""
    from ..engine import trace
    from ..errors import SoundnessError
    from ..symbolic.encoder import instantiate

    concrete = instantiate(cluster, w.allocation)
    t = trace(concrete, concrete.pod_by_ref[w.source.ref], w.packet.dst_ip, w.packet.dst_port, w.packet.protocol)
    hops = t.all_hops
    if not any(h.step == "snat" and h.outcome == "masquerade" for h in hops):
        raise SoundnessError(
            f"nat-free-pod-to-pod: Z3 says {w.source.ref} -> {w.packet.dst_ip} is source-NATed, "
            f"the engine's trace has no SNAT step ({t.verdict})"
        )
    return concrete, t
