"""Property *nat-free-pod-to-pod*: pods reach each other without NAT.

Formally, for each family f and every pair of live pod-network pods p != q
(on any nodes; neither implicit: where the loader puts the cluster DNS pods the
input lacks is made up), and every allocation of the addresses netverify allocated:

    not snat(node(p), src = ip_f(p), dst = ip_f(q))

where ``snat`` is the node's source-NAT rule for pod traffic (Calico
natOutgoing, ip-masq-agent, kubelet's non-masquerade CIDR or a flannel-style
rule: :func:`verifier.semantics.addressing.snat_applies`), so q always sees
p's own address, whatever the policies allow. kube-proxy's Service masquerades
are not pod-to-pod traffic. Each counterexample is replayed by the engine on the
cluster without its policies, whose trace must show the masquerade.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import SoundnessError
from ..model import Cluster, Pod
from ..semantics import journey
from ..semantics.classes import cidrs
from ..semantics.endpoint import PodEndpoint
from ..semantics.pipeline import Client, transit
from ..symbolic.encoder import Encoder, allocation_ranges, instantiate
from ..symbolic.solver import Case
from ..trace import Decider
from . import flows
from .driver import Query, prove
from .result import Counterexample, PropertyResult

NAME = "nat-free-pod-to-pod"
STATEMENT = (
    "no node source-NATs a packet from a pod to another pod's IP, on any node, for any allocation, "
    "whatever the policies allow"
)


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


def check(
    cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3
) -> PropertyResult:
    return prove(
        NAME,
        NAME,
        STATEMENT,
        [_query(cluster, f) for f in cluster.families],
        timeout=timeout,
        limit=max_counterexamples,
    )


def _query(cluster: Cluster, family: int) -> Query:
    enc = Encoder(cluster, family)
    alg = enc.alg
    packet = enc.packet("nat")

    def cases() -> list[Case]:
        # The input's pods: where the implicit DNS pods run is made up, so is their NAT.
        pods = [
            p
            for p in cluster.live_pods
            if not p.host_network and not p.implicit and p.ip(family) is not None
        ]
        groups = _groups(cluster, pods, family)
        # Sent to an address two pods share, a packet goes to its first holder.
        targets = _groups(cluster, flows.receivers(cluster, pods, family), family)
        out = []
        for src in groups:
            client = Client.of_pod(cluster, src[0])
            for dst in targets:
                if src[0].node_name == dst[0].node_name:
                    continue  # delivered on the node's bridge: no NAT rule is on that path
                # The direct path's route and NAT (no policy: NAT does not depend on it).
                _route, snat, _node, _kube_proxy = transit(
                    alg, cluster, client, PodEndpoint(dst[0]), packet
                )
                if snat is False:
                    continue
                formula = alg.and_(
                    enc.one_of(packet.src_ip, src),
                    enc.one_of(packet.dst_ip, dst),
                    # to an address the sender itself holds is no pod-to-pod packet
                    alg.not_(alg.eq(packet.src_ip, packet.dst_ip)),
                    snat,
                )
                out.append(Case((tuple(src), tuple(dst)), formula))
        return out

    def explain(case: Case, model) -> Counterexample:
        src, dst = case.key
        concrete = enc.concrete_packet(model, packet)
        source = enc.pod_at(model, concrete.src_ip, src) or src[0]
        dest = enc.pod_at(model, concrete.dst_ip, dst) or dst[0]
        w = flows.Witness(
            source,
            dest,
            journey.Path(PodEndpoint(dest), None, None),
            concrete,
            enc.allocation(model),
        )
        t, nat = _replay(cluster, w)
        return Counterexample(
            summary=f"{w.source_label} -> {w.destination_label}: {nat}",
            packet=w.packet,
            pods=w.pods,
            objects=_nat_deciders(cluster, t),
            traces=(t,),
            allocation=flows.allocation_labels(w, cluster),
        )

    return Query(f"IPv{family}", (enc,), cases, explain)


def _nat_deciders(cluster: Cluster, t) -> tuple[Decider, ...]:
    hop = next((h for h in t.all_hops if h.step == "snat" and h.outcome == "masquerade"), None)
    return (hop.deciders if hop is not None and hop.deciders else ()) or (_config_decider(cluster),)


def _config_decider(cluster: Cluster) -> Decider:
    return Decider(
        "ClusterNetwork", "cluster", part="spec.masquerade", source=cluster.config.source
    )


def _replay(cluster: Cluster, w: flows.Witness):
    """The engine must NAT the witness: traced on the cluster without its policies (NAT does not
    depend on them, and a denied packet never reaches the NAT step), the trace shows where."""
    from ..engine import trace

    concrete = instantiate(cluster, w.allocation)
    open_cluster = replace(concrete, policies=(), admin_policies=(), calico_policies=())
    t = trace(open_cluster, w.source.ref, w.packet.dst_ip, w.packet.dst_port, w.packet.protocol)
    hop = next((h for h in t.all_hops if h.step == "snat" and h.outcome == "masquerade"), None)
    if hop is None:
        raise SoundnessError(
            f"nat-free-pod-to-pod: Z3 says {w.source.ref} -> {w.packet.dst_ip} is source-NATed, the engine's trace shows no masquerade"
        )
    node = open_cluster.node_by_name.get(w.source.node_name or "")
    how = (
        f"node {node.name} rewrites the source to {node.ip(w.packet.family)}"
        if node
        else "the source is rewritten"
    )
    why = f" ({cluster.config.masquerade.mode} masquerade: {w.packet.dst_ip} is not exempt)"
    policed = trace(concrete, w.source.ref, w.packet.dst_ip, w.packet.dst_port, w.packet.protocol)
    if not policed.reachable:
        why += f"; today {policed.verdict} by policy before the NAT step"
    return t, how + why
