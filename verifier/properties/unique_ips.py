"""Property *unique-pod-ips*: every pod has its own IP.

Formally, for each family f, with L the live (non-terminal) pod-network pods
and A the addresses netverify allocated (unknowns ranging over the pools):

    not exists p != q in L: ip_f(p) = ip_f(q)
    not exists p in L, Service s: ip_f(p) in clusterIPs(s)
    not exists p in L, node n: ip_f(p) in addresses(n)

for every allocation of A that the IPAM allows (each address in its node's
pool or podCIDR, distinct from every other pod's). hostNetwork pods share their
node's address by design and terminal pods have released theirs (§1.4). A pod
address outside every pod CIDR and pool, or inside a Service range, and a pool or
podCIDR overlapping a Service range, are reported as address-plan findings.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import ip_network

from ..model import Cluster, Pod
from ..semantics.addressing import in_pod_ranges
from ..semantics.services import service_ranges
from ..symbolic.encoder import Encoder, allocation_ranges
from ..symbolic.solver import Case
from ..trace import Decider
from .driver import Query, prove
from .result import Counterexample, Finding, PropertyResult

NAME = "unique-pod-ips"
STATEMENT = (
    "no two live pod-network pods share an IP, and no pod IP equals a Service cluster IP or a node IP, "
    "for every address the pools may allocate"
)


def check(
    cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3
) -> PropertyResult:
    pods = [p for p in cluster.live_pods if not p.host_network]
    findings = _address_plan(cluster, pods)
    queries = []
    for family in cluster.families:
        enc = Encoder(cluster, family)
        queries.append(
            Query(
                f"IPv{family}",
                (enc,),
                lambda enc=enc, family=family: _cases(cluster, enc, pods, family),
                lambda case, model, enc=enc, family=family: _explain(
                    cluster, enc, case.key, model, family
                ),
            )
        )
    return prove(
        NAME,
        NAME,
        STATEMENT,
        queries,
        timeout=timeout,
        limit=max_counterexamples,
        findings=findings,
    )


def _address_plan(cluster: Cluster, pods: list[Pod]) -> tuple[Finding, ...]:
    """Pod addresses where the address plan puts none: outside every pod range, or inside a
    Service range (kube-proxy's: a client in the cluster never reaches a pod there at its own
    address, and the API server may hand the address to a Service)."""
    services = service_ranges(cluster)

    cidrs = set(cluster.service_cidrs)

    def service_range(net) -> str | None:
        hit = next((r for r in services if r.version == net.version and r.overlaps(net)), None)
        if hit is None:
            return None
        if hit in cidrs:
            return f"the Service range {hit}"
        # service_ranges adds a ClusterIP outside every Service CIDR as a one-address range.
        return f"the ClusterIP {hit.network_address} (outside every Service CIDR)"

    ranges = [
        (f"IP pool {pool.name}'s CIDR", pool.cidr, Decider.of(pool, part="spec.cidr"))
        for pool in cluster.ip_pools
    ]
    ranges += [
        (
            "the cluster's pod CIDR",
            net,
            Decider(
                "ClusterNetwork", "cluster", part="spec.podCIDRs", source=cluster.config.source
            ),
        )
        for net in cluster.config.pod_cidrs
    ]
    ranges += [
        (f"node {node.name}'s podCIDR", net, Decider.of(node, part="spec.podCIDRs"))
        for node in cluster.nodes
        for net in node.pod_cidrs
    ]
    findings = [
        Finding(
            f"{what} {net} overlaps {hit}: clients in the cluster reach "
            "the pods given addresses there only through Services",
            (decider,),
        )
        for what, net, decider in ranges
        if (hit := service_range(net)) is not None
    ]
    taken = _service_and_node_ips(cluster)  # a pod there is a violation, not a finding
    for p in pods:
        if p.ip_allocated:
            continue
        for ip in p.ips:
            hit = None if ip in taken else service_range(ip_network(ip))
            if hit is not None:
                findings.append(
                    Finding(
                        f"{p.ref} has {ip}, inside {hit}: no client in the "
                        "cluster reaches it at that address (kube-proxy owns the range)",
                        (Decider.of(p, part="status.podIPs"),),
                    )
                )
            elif cluster.pod_cidrs and not in_pod_ranges(cluster, ip):
                findings.append(
                    Finding(
                        f"{p.ref} has {ip}, outside every pod CIDR and IP pool of the cluster",
                        (Decider.of(p),),
                    )
                )
    return tuple(findings)


def _cases(cluster: Cluster, enc: Encoder, pods: list[Pod], family: int) -> list[Case]:
    alg = enc.alg
    cases: list[Case] = []
    # Pods with concrete addresses: ip(p) = ip(q) is a comparison of constants,
    # so the pairs that can hold are exactly those sharing an address.
    holders: dict = defaultdict(list)
    for p in pods:
        if not p.ip_allocated and p.ip(family) is not None:
            holders[p.ip(family)].append(p)
    for group in holders.values():
        for other in group[1:]:
            cases.append(
                Case(("pods", group[0], other), alg.eq(enc.pod_ip(group[0]), enc.pod_ip(other)))
            )
    # Service and node addresses, against concrete and allocated pod addresses.
    others = [
        (ip, svc) for svc in cluster.services for ip in svc.cluster_ips if ip.version == family
    ]
    others += [(ip, node) for node in cluster.nodes for ip in node.ips if ip.version == family]
    concrete_others: dict = defaultdict(list)
    for ip, obj in others:
        concrete_others[ip].append(obj)
    for p in pods:
        if p.ip(family) is None:
            continue
        if not p.ip_allocated:
            for obj in concrete_others.get(p.ip(family), ()):
                cases.append(Case(("object", p, obj, p.ip(family)), True))
            continue
        ranges = allocation_ranges(cluster, p, family)
        for ip, obj in others:
            if any(ip in net for net in ranges):
                cases.append(Case(("object", p, obj, ip), alg.eq(enc.pod_ip(p), ip)))
    return cases


def _explain(cluster: Cluster, enc: Encoder, key, model, family: int) -> Counterexample:
    allocation = enc.allocation(model)
    if key[0] == "pods":
        _, a, b = key
        ip = allocation.get((a.ref, family), a.ip(family))
        _replay_holders(cluster, allocation, ip, {a.ref, b.ref})
        return Counterexample(
            summary=f"{a.ref} and {b.ref} both hold {ip}",
            pods=(a.ref, b.ref),
            objects=(Decider.of(b, part="status.podIPs"), Decider.of(a, part="status.podIPs")),
            details={"ip": str(ip)},
        )
    _, pod, obj, ip = key
    _replay_holders(cluster, allocation, ip, {pod.ref})
    what = (
        f"Service {obj.ref}'s cluster IP" if obj.kind == "Service" else f"node {obj.name}'s address"
    )
    alloc = {pod.ref: str(ip)} if pod.ip_allocated else {}
    how = " (an address its pool may allocate)" if pod.ip_allocated else ""
    return Counterexample(
        summary=f"{pod.ref} may hold {ip}{how}, which is {what}",
        pods=(pod.ref,),
        objects=(Decider.of(obj), Decider.of(pod, part="status.podIPs")),
        allocation=alloc,
        details={"ip": str(ip)},
    )


def _service_and_node_ips(cluster: Cluster) -> set:
    return {ip for svc in cluster.services for ip in svc.cluster_ips} | {
        ip for n in cluster.nodes for ip in n.ips
    }


def _replay_holders(cluster: Cluster, allocation, ip, refs: set[str]) -> None:
    """Cross-check on the concrete model: the pods really hold ``ip`` (one pod: and ``ip`` is a Service's or node's)."""
    from ..errors import SoundnessError
    from ..symbolic.encoder import instantiate

    concrete = instantiate(cluster, allocation)
    holding = {p.ref for p in concrete.live_pods if not p.host_network and ip in p.ips}
    if not refs <= holding or (len(refs) == 1 and ip not in _service_and_node_ips(concrete)):
        raise SoundnessError(
            f"unique-pod-ips: Z3 says {sorted(refs)} share {ip}, the model says {sorted(holding)}"
        )
