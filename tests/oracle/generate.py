"""Small random clusters for the oracle, from a seed (``random.Random``), readable in a failure message.

One address plan, as in :mod:`tests.strategies` (so ``describe`` output reads the same):

* node ``n<i>`` (2 or 3 of them): ``192.168.0.<i>`` / ``fd00:192::<i>``, podCIDRs
  ``10.244.<i>.0/24`` / ``fd00:10:244:<i>::/64`` (a dual-stack cluster may have a
  node with one family only);
* pod ``p<k>`` (4 to 8) on node ``i``: ``10.244.<i>.<10+k>`` / ``fd00:10:244:<i>::<10+k, hex>``,
  or *allocated* by the loader's own allocator (``ip_allocated``), or hostNetwork
  (its node's addresses); hostPorts ``8000 + 10k + <index>``;
* Service ``s<j>``: ClusterIP ``10.96.0.<10+j>`` / ``fd00:10:96::<10+j, hex>``, nodePorts
  ``30080 + 100j + <index>``, externalIP ``203.0.113.<50+j>`` / ``2001:db8::<50+j, hex>``,
  LoadBalancer IP ``198.51.100.<10+j>`` / ``2001:db8:2::<10+j, hex>``;
* outside hosts: the ranges ipBlocks, ANP networks and Calico nets name (see
  :func:`tests.oracle.flows.outside_samples`), 8.8.8.8 and 2001:db8::1.

:func:`scenario` draws a cluster with the invariants to check on it and the
mutations to ``diff`` it against; :func:`alternative_allocation` moves the
allocated pods to other addresses their IPAM may hand out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from tests.builders import cluster as build_cluster
from tests.builders import (
    endpoint,
    endpoint_slice,
    ip_pool,
    namespace,
    netpol,
    node,
    peer,
    pod,
    rule,
    service,
)
from tests.oracle.dns import with_dns_variety
from tests.oracle.flows import named_cidrs
from verifier.ingest.allocate import allocate_pod_ips
from verifier.ingest.pods import PodEntry
from verifier.model import (
    AdminNetworkPolicy,
    AdminPeer,
    AdminPort,
    AdminRule,
    CalicoPolicy,
    CalicoRule,
    Cluster,
    Container,
    ContainerPort,
    EntityRule,
    IPBlock,
    Labels,
    LabelSelector,
    MasqueradeConfig,
    NetworkPolicy,
    Peer,
    Pod,
    PolicyPort,
    PolicyRule,
    Requirement,
    Tier,
)
from verifier.semantics.dns import cluster_dns_ips
from verifier.semantics.infrastructure import with_implicit_infrastructure

__all__ = [
    "Scenario",
    "scenario",
    "alternative_allocation",
    "allocation_ranges",
    "PORT_NUMBERS",
]

V4, V6 = 4, 6
PROTOCOLS = ("TCP", "UDP", "SCTP")
POD_LABELS: dict[str, tuple[str, ...]] = {
    "app": ("web", "db", "api"),
    "tier": ("front", "back", ""),
    "env": ("dev", "prod"),
}
NAMESPACE_NAMES = ("x", "y", "z")
NAMESPACE_LABELS: dict[str, tuple[str, ...]] = {"team": ("a", "b"), "env": ("dev", "prod")}
NODE_LABELS: dict[str, tuple[str, ...]] = {"zone": ("a", "b")}
PORT_NAMES = ("http", "dns", "metrics")
PORT_NUMBERS = (53, 80, 443, 8080, 9090)
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

POD_CIDRS = {V4: "10.244.0.0/16", V6: "fd00:10:244::/48"}
SERVICE_CIDRS = {V4: "10.96.0.0/12", V6: "fd00:10:96::/112"}
CLUSTER_DNS = {V4: "10.96.0.2", V6: "fd00:10:96::2"}
SERVICE_POOLS = {V4: "10.96.0.0/27", V6: "fd00:10:96::/123"}

#: ipBlock (cidr, excepts): pod ranges, one node's podCIDR, node addresses, outside ranges, everything.
IP_BLOCKS = {
    V4: (
        ("10.244.0.0/16", ("10.244.1.0/24",)),
        ("10.244.1.0/24", ("10.244.1.0/28",)),
        ("10.244.2.0/28", ()),
        ("192.168.0.0/24", ()),
        ("192.168.0.2/32", ()),
        ("203.0.113.0/24", ("203.0.113.128/25",)),
        ("198.51.100.0/24", ()),
        ("198.51.100.0/25", ("198.51.100.0/28",)),
        ("8.8.8.0/24", ()),
        ("0.0.0.0/0", ("10.0.0.0/8",)),
        ("0.0.0.0/0", ()),
    ),
    V6: (
        ("fd00:10:244::/48", ("fd00:10:244:1::/64",)),
        ("fd00:10:244:2::/64", ()),
        ("fd00:192::/64", ()),
        ("2001:db8::/32", ("2001:db8:1::/48",)),
        ("2001:db8:2::/48", ()),
        ("::/0", ()),
    ),
}
NON_MASQUERADE = (
    (),
    ("10.244.0.0/16",),
    ("10.244.1.0/24",),
    ("10.0.0.0/8", "fd00:10:244::/48"),
    ("10.244.0.0/16", "192.168.0.0/24", "fd00::/8"),
)


def _node_ip(i: int, family: int) -> str:
    return f"192.168.0.{i}" if family == V4 else f"fd00:192::{i}"


def _node_cidr(i: int, family: int) -> str:
    return f"10.244.{i}.0/24" if family == V4 else f"fd00:10:244:{i}::/64"


def _pod_ip(i: int, k: int, family: int) -> str:
    return f"10.244.{i}.{10 + k}" if family == V4 else f"fd00:10:244:{i}::{10 + k:x}"


def _service_ip(j: int, family: int) -> str:
    return f"10.96.0.{10 + j}" if family == V4 else f"fd00:10:96::{10 + j:x}"


# --------------------------------------------------------------------------- the scenario


@dataclass
class Scenario:
    """A generated cluster, the invariants to check on it and the clusters to ``diff`` it with."""

    seed: int
    cluster: Cluster
    #: Invariants as the file's entries (plain mappings).
    invariants: list[dict] = field(default_factory=list)
    #: (label, mutated cluster) pairs; the label says what the mutation did.
    mutations: list[tuple[str, Cluster]] = field(default_factory=list)


class _Draw:
    """``random.Random`` with the few helpers the generator needs."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, seq):
        seq = list(seq)
        return seq[self.r.randrange(len(seq))]

    def some(self, seq, lo: int, hi: int) -> list:
        seq = list(seq)
        n = self.r.randint(lo, min(hi, len(seq)))
        return self.r.sample(seq, n)

    def labels(self, vocabulary: dict[str, tuple[str, ...]], p: float = 0.5) -> dict[str, str]:
        return {k: self.pick(v) for k, v in vocabulary.items() if self.chance(p)}

    def selector(self, vocabulary: dict[str, tuple[str, ...]]) -> LabelSelector:
        """Empty, matchLabels (``In`` one value) or matchExpressions with every operator."""
        form = self.pick(("empty", "labels", "labels", "expressions"))
        if form == "empty":
            return LabelSelector()
        if form == "labels":
            k = self.pick(sorted(vocabulary))
            return LabelSelector((Requirement(k, "In", (self.pick(vocabulary[k]),)),))
        reqs = []
        for _ in range(self.r.randint(1, 2)):
            k = self.pick(sorted(vocabulary))
            op = self.pick(OPERATORS)
            values = (
                () if op in ("Exists", "DoesNotExist") else tuple(self.some(vocabulary[k], 1, 2))
            )
            reqs.append(Requirement(k, op, values))
        return LabelSelector(tuple(reqs))


def scenario(seed: int) -> Scenario:
    """The scenario of ``seed``: the same seed always gives the same cluster."""
    d = _Draw(seed)
    families = d.pick(((V4,), (V4,), (V4,), (V4, V6), (V4, V6), (V6, V4), (V6,)))
    n_nodes = d.r.randint(2, 3)
    node_families = [
        families[:1] if len(families) == 2 and d.chance(0.12) else families for _ in range(n_nodes)
    ]
    ns_names = sorted(d.some(NAMESPACE_NAMES, 1, 3))
    namespaces = [namespace(n, **d.labels(NAMESPACE_LABELS)) for n in ns_names]
    nodes = [
        node(
            f"n{i}",
            [_node_ip(i, f) for f in families],
            pod_cidr=[_node_cidr(i, f) for f in node_families[i - 1]],
            labels=d.labels(NODE_LABELS, 0.7),
        )
        for i in range(1, n_nodes + 1)
    ]
    masquerade, pools = _masquerade(d, families)
    services = [_service(d, j, ns_names, families) for j in range(d.pick((0, 1, 1, 2, 2, 3)))]
    pods = _pods(d, n_nodes, ns_names, families, node_families)
    motif = _replicas(d, pods, len(services), families) if d.chance(0.25) else None
    if motif is not None:
        pods, svc, motif_policy, motif_invariant = motif
        services.append(svc)
    pods = _allocate(pods, nodes, pools, families, services)
    policies = [
        _netpol(d, i, ns_names, families, pods, nodes) for i in range(d.pick((0, 1, 2, 2, 3, 4)))
    ]
    if motif is not None:
        policies.append(motif_policy)
    admin: list[AdminNetworkPolicy] = []
    if d.chance(0.3):
        priorities = d.some(range(1, 21), 1, 2)
        if d.chance(0.1) and priorities:
            priorities.append(priorities[0])  # a priority tie (implementation-defined order)
        admin = [_admin_policy(d, f"anp{i}", p, families) for i, p in enumerate(priorities)]
    if d.chance(0.2):
        admin.append(_admin_policy(d, "default", None, families))
    calico: list = []
    if d.chance(0.25):
        calico = [_calico_policy(d, i, ns_names, families) for i in range(d.r.randint(1, 2))]
        calico.append(Tier("security", 100.0, d.pick(("Deny", "Pass"))))
    external_names = {}
    if d.chance(0.2):
        external_names = {"ext.example.com": ["203.0.113.5", "2001:db8::5"]}
    c = build_cluster(
        *namespaces,
        *nodes,
        *pods,
        *services,
        *policies,
        *admin,
        *calico,
        *pools,
        pod_cidrs=[POD_CIDRS[f] for f in families],
        service_cidrs=[SERVICE_CIDRS[f] for f in families],
        masquerade=masquerade,
        encapsulation=d.pick(("overlay", "routed")),
        endpoint_to_host=d.pick(("Accept", "Accept", "Drop")),
        ipblock_matches_pods=d.pick((True, True, True, False)),
        cluster_dns=d.pick(((), [CLUSTER_DNS[families[0]]])),
        external_names=external_names,
    )
    if d.chance(0.05):
        c = _shared_host_port(d, c)
    if d.chance(0.3):
        c = _endpoint_slices(d, c)
    if d.chance(0.03):
        c = _without_ranges(d, c)
    sc = Scenario(seed, c)
    sc.invariants = [_invariant(d, c, i) for i in range(d.r.randint(2, 5))]
    if motif is not None:
        sc.invariants.append({"name": "replicas", **motif_invariant})
    sc.mutations = (
        _mutations(d, c)
        + _service_mutation(_Draw(seed * 7919 + 3), c, ns_names)
        + _service_change(_Draw(seed * 7919 + 4), c)
    )
    # DNS variety (its own draws) goes in before the implicit infrastructure, as the loader adds that last.
    sc = with_dns_variety(seed, sc)
    return _with_infrastructure(_Draw(seed * 7919 + 1), sc)


def _with_infrastructure(d: _Draw, sc: Scenario) -> Scenario:
    """Now and then: the cluster as the loader gives it, with the cluster DNS and API server it
    implies (semantics.infrastructure), and API clients among the pods (its own draws, so the
    clusters of earlier seeds stay what they were)."""
    if not d.chance(0.4):
        return sc
    clients = {p.ref for p in sc.cluster.pods if d.chance(0.3)}

    def loaded(c: Cluster) -> Cluster:
        pods = tuple(
            replace(p, api_client="annotated netverify.dev/api-client") if p.ref in clients else p
            for p in c.pods
        )
        return with_implicit_infrastructure(replace(c, pods=pods))

    sc.cluster = loaded(sc.cluster)
    sc.mutations = [(label, loaded(m)) for label, m in sc.mutations]
    return sc


# --------------------------------------------------------------------------- pods


def _container_ports(d: _Draw, k: int, host_ports: bool) -> list:
    out, names, numbers = [], set(), set()
    for i in range(d.r.randint(0, 3)):
        name = d.pick((None, *PORT_NAMES))
        number = d.pick(PORT_NUMBERS)
        protocol = d.pick(PROTOCOLS)
        if (name is not None and name in names) or (number, protocol) in numbers:
            continue
        names.add(name)
        numbers.add((number, protocol))
        if host_ports and d.chance(0.25):
            out.append((name, number, protocol, 8000 + 10 * k + i))
        else:
            out.append((name, number, protocol))
    return out


def _pods(d: _Draw, n_nodes: int, ns_names, families, node_families) -> list[Pod]:
    count = d.r.randint(4, 8)
    pods: list[Pod] = []
    owners: dict[tuple[str, str], str] = {}
    for k in range(count):
        i = d.r.randint(1, n_nodes)
        ns = d.pick(ns_names)
        kind = d.pick(("ip",) * 5 + ("allocated",) * 3 + ("host",))
        phase = "Running"
        if k >= 2 and d.chance(0.06):
            phase = d.pick(("Succeeded", "Failed"))
        host = kind == "host"
        if host:
            ips = [_node_ip(i, f) for f in families]
        elif kind == "allocated":
            ips = []
        else:
            ips = [_pod_ip(i, k, f) for f in node_families[i - 1]]
        labels = d.labels(POD_LABELS)
        # Replicas: pods with the same labels in one namespace often belong to one workload.
        owner = None
        if labels and d.chance(0.5):
            key = (ns, str(sorted(labels.items())))
            owner = owners.setdefault(key, f"Deployment/d{len(owners)}")
        sidecar = _container_ports(d, k + 20, host_ports=False) if d.chance(0.1) else []
        # Two ports of one pod may not share (number, protocol) across containers either.
        main = _container_ports(d, k, host_ports=not host)
        taken = {(p[1], p[2]) for p in main} | {p[0] for p in main if p[0]}
        sidecar = [
            p for p in sidecar if (p[1], p[2]) not in taken and (p[0] is None or p[0] not in taken)
        ]
        pods.append(
            pod(
                f"{ns}/p{k}",
                ip=ips,
                node=f"n{i}",
                labels=labels,
                ports=main,
                sidecar_ports=sidecar,
                host_network=host,
                phase=phase,
                ready=d.chance(0.88),
                terminating=d.chance(0.08),
                owner=owner,
            )
        )
    if len(pods) >= 2 and d.chance(0.12):
        # A second pod-network pod on the first's address (a stale or buggy IPAM).
        a, b = d.r.sample(range(len(pods)), 2)
        if pods[a].ips and not pods[a].host_network and not pods[b].host_network:
            pods[b] = replace(pods[b], ips=pods[a].ips)
    return pods


def _replicas(d: _Draw, pods: list[Pod], j: int, families):
    """A motif issue 7 item 1 was found with: replicas of ``app=rep`` on different nodes behind a
    Service reached through an externalIP, a NodePort or a LoadBalancer (mostly
    externalTrafficPolicy Cluster, so the DNAT node masquerades), a policy admitting the
    replicas' ingress from the node range (or from pods, or a port), and the claim that some
    other pods never reach them."""
    candidates = [i for i, p in enumerate(pods) if not p.host_network and not p.terminal]
    by_node: dict[str, list[int]] = {}
    for i in candidates:
        by_node.setdefault(pods[i].node_name, []).append(i)
    crowded = [n for n, members in by_node.items() if len(members) >= 2]
    if not crowded or len(by_node) < 2:
        return None
    a = d.pick(sorted(crowded))
    b = d.pick(sorted(n for n in by_node if n != a))
    here = d.r.sample(by_node[a], len(by_node[a]))
    chosen = [here[0], d.pick(by_node[b])]
    client = here[1]
    ns = pods[chosen[0]].namespace
    pods = list(pods)
    for i in chosen:
        p = pods[i]
        pods[i] = replace(
            p,
            namespace=ns,
            labels=Labels({"app": "rep"}),
            owner="Deployment/rep",
            ready=True,
            terminating=False,
            containers=(Container("main", (ContainerPort(8080, "TCP", "http"),)),),
        )
    client_labels = {"role": "client"}
    for i in candidates:
        if i == client or (i not in chosen and d.chance(0.3)):
            pods[i] = replace(pods[i], labels=Labels({**pods[i].labels, **client_labels}))
    kind = d.pick(("externalIP", "NodePort", "LoadBalancer"))
    fams = families if d.chance(0.5) else families[:1]
    ext = {
        V4: (f"203.0.113.{50 + j}", f"198.51.100.{10 + j}"),
        V6: (f"2001:db8::{50 + j:x}", f"2001:db8:2::{10 + j:x}"),
    }
    node_port = 30080 + 100 * j
    svc = service(
        f"{ns}/s{j}",
        ip=[_service_ip(j, f) for f in fams],
        ports=[
            ("web", 80, d.pick(("http", 8080)), "TCP", node_port if kind != "externalIP" else None)
        ],
        selector={"app": "rep"},
        type="ClusterIP" if kind == "externalIP" else kind,
        etp=d.pick(("Cluster",) * 6 + ("Local",)),
        external_ips=[ext[f][0] for f in fams] if kind == "externalIP" or d.chance(0.3) else [],
        lb_ips=[ext[f][1] for f in fams] if kind == "LoadBalancer" else None,
    )
    fam = d.pick(fams)
    source = d.pick(
        (
            peer(cidr="192.168.0.0/24" if fam == V4 else "fd00:192::/64"),
            peer(cidr="192.168.0.0/24" if fam == V4 else "fd00:192::/64"),
            peer(cidr="192.168.0.0/24" if fam == V4 else "fd00:192::/64"),
            peer(cidr="192.168.0.1/32" if fam == V4 else "fd00:192::1/128"),
            Peer(LabelSelector((Requirement("role", "In", ("client",)),)), None),
            peer(cidr="203.0.113.0/24" if fam == V4 else "2001:db8::/32"),
        )
    )
    policy = netpol(
        f"{ns}/rep-ingress",
        select={"app": "rep"},
        ingress=[rule(source, ports=d.pick(([], [8080], ["http"])))],
    )
    claim = d.pick(
        (
            {"isolated": {"from": {"pods": client_labels}, "to": {"pods": {"app": "rep"}}}},
            {"isolated": {"from": {"pods": client_labels}, "to": {"pods": {"app": "rep"}}}},
            {
                "isolated": {
                    "from": {"namespace": ns},
                    "to": {"pods": {"app": "rep"}},
                    "port": d.pick((80, 8080, node_port)),
                }
            },
            {
                "only": {
                    "to": {"pods": {"app": "rep"}},
                    "port": d.pick((80, 8080)),
                    "protocol": "TCP",
                    "from": [{"pods": client_labels}],
                }
            },
            {
                "isolated": {
                    "from": {"ipBlock": "203.0.113.0/24" if fam == V4 else "2001:db8::/32"},
                    "to": {"pods": {"app": "rep"}},
                }
            },
        )
    )
    return pods, svc, policy, claim


def _allocate(pods, nodes, pools, families, services) -> list[Pod]:
    """IPs for the pods that have none, chosen exactly as the loader chooses them."""
    taken = {ip for p in pods for ip in p.ips} | {ip for n in nodes for ip in n.ips}
    taken |= {ip for s in services for ip in s.cluster_ips}
    entries, _warnings = allocate_pod_ips(
        [PodEntry(p) for p in pods], nodes, pools, families, taken
    )
    return [e.pod for e in entries]


def _shared_host_port(d: _Draw, c: Cluster) -> Cluster:
    """Now and then: a second pod on the same node declaring the same hostPort (the scheduler would
    refuse it; the input may still say so: issue 7 item 9)."""
    mapped = [(p, cp) for p in c.live_pods if not p.host_network for cp in p.ports if cp.host_port]
    if not mapped:
        return c
    first, cp = d.pick(mapped)
    others = [
        p
        for p in c.live_pods
        if p.ref != first.ref and not p.host_network and p.node_name == first.node_name and p.ips
    ]
    if not others:
        return c
    second = d.pick(others)
    port = ContainerPort(cp.container_port, cp.protocol, None, cp.host_port)
    if any(
        x.container_port == port.container_port and x.protocol == port.protocol
        for x in second.ports
    ):
        return c
    containers = (Container("shared", (port,)),) + second.containers
    pods = tuple(replace(p, containers=containers) if p.ref == second.ref else p for p in c.pods)
    return replace(c, pods=pods)


def _endpoint_slices(d: _Draw, c: Cluster) -> Cluster:
    """Now and then: EndpointSlices written out for a Service (numeric target ports only), with a
    stale endpoint on another node (an address no pod holds any more: issue 7 item 8), and for a
    dual-stack Service now and then an IPv6 slice naming other target ports, other nodes, or
    other readiness than the IPv4 one."""
    candidates = [
        s for s in c.services if s.selector and all(isinstance(sp.target, int) for sp in s.ports)
    ]
    if not candidates:
        return c
    svc = d.pick(candidates)
    slices = []
    dual = len(svc.ip_families) == 2
    for fam in svc.ip_families or (4,):
        # A hand-written IPv6 slice may also place its endpoints on another node than the
        # IPv4 one does (a Local traffic policy then picks them apart by family).
        moved = fam == V6 and dual and len(c.nodes) > 1 and d.chance(0.2)
        # ...or say another endpoint is ready (the Service then routes to it in one family).
        flipped = fam == V6 and dual and d.chance(0.2)
        eps = []
        for p in c.live_pods:
            if p.namespace != svc.namespace or any(
                p.labels.get(k) != v for k, v in svc.selector.items()
            ):
                continue
            if p.ip_allocated:
                continue  # the input does not know its address: no slice can list it
            n = c.node_by_name.get(p.node_name or "")
            ip = (n.ip(fam) if n is not None else None) if p.host_network else p.ip(fam)
            if ip is None:
                continue
            node_name = p.node_name
            if moved:
                node_name = next(n.name for n in c.nodes if n.name != p.node_name)
            ready = p.ready != (flipped and d.chance(0.5))
            eps.append(
                endpoint(str(ip), ready=ready, terminating=p.terminating, node=node_name, pod=p.ref)
            )
        node = d.pick(c.nodes)
        i = int(node.name[1:])
        stale = f"10.244.{i}.250" if fam == V4 else f"fd00:10:244:{i}::fa"
        # A slice naming an address says it is in use: the loader would not have allocated it.
        allocated_there = any(p.ip_allocated and ip_address(stale) in p.ips for p in c.pods)
        if not allocated_there and (fam in {x.version for x in node.pod_cidrs} or d.chance(0.5)):
            eps.append(endpoint(stale, ready=True, node=node.name, pod=f"{svc.namespace}/gone"))
        ports = [(sp.name, sp.target, sp.protocol) for sp in svc.ports]
        if fam == V6 and dual and d.chance(0.25):
            # Slices are per family, and a hand-written one may name another target port:
            # the two ClusterIPs then lead to different ports of the same pod.
            ports = [(n, t + 1 if t < 65535 else t - 1, proto) for n, t, proto in ports]
        slices.append(
            endpoint_slice(
                f"{svc.namespace}/{svc.name}-v{fam}",
                service=svc.name,
                endpoints=eps,
                ports=ports,
                address_type=f"IPv{fam}",
            )
        )
    return replace(c, endpoint_slices=c.endpoint_slices + tuple(slices))


def _without_ranges(d: _Draw, c: Cluster) -> Cluster:
    """Now and then: a node whose pods hold allocated addresses but which has no podCIDR, no pool
    and no cluster pod CIDR left to allocate from (no admissible address range: issue 7 item 3)."""
    used = [
        n
        for n in c.nodes
        if any(p.node_name == n.name and p.ips and not p.host_network for p in c.pods)
    ]
    if not used:
        return c
    n = d.pick(used)
    nodes = tuple(replace(x, pod_cidrs=()) if x.name == n.name else x for x in c.nodes)
    pods = tuple(
        replace(p, ip_allocated=True)
        if p.node_name == n.name and p.ips and not p.host_network
        else p
        for p in c.pods
    )
    return replace(c, nodes=nodes, pods=pods, ip_pools=(), config=replace(c.config, pod_cidrs=()))


# --------------------------------------------------------------------------- NetworkPolicy


def _ip_block(d: _Draw, families, pods, nodes) -> Peer:
    family = d.pick(families)
    hosts = [f"{ip}/{ip.max_prefixlen}" for p in pods for ip in p.ips if ip.version == family]
    hosts += [f"{ip}/{ip.max_prefixlen}" for n in nodes for ip in n.ips if ip.version == family]
    choices = list(IP_BLOCKS[family]) + [(h, ()) for h in hosts]
    cidr, excepts = d.pick(choices)
    return peer(cidr=cidr, except_=excepts)


def _peer(d: _Draw, families, pods, nodes) -> Peer:
    form = d.pick(("pods", "namespaces", "both", "ipBlock", "ipBlock"))
    if form == "ipBlock":
        return _ip_block(d, families, pods, nodes)
    ns_vocab = NAMESPACE_LABELS | {"kubernetes.io/metadata.name": NAMESPACE_NAMES}
    pods_sel = d.selector(POD_LABELS) if form in ("pods", "both") else None
    ns_sel = d.selector(ns_vocab) if form in ("namespaces", "both") else None
    return Peer(pods_sel, ns_sel)


def _policy_port(d: _Draw) -> PolicyPort:
    protocol = d.pick(PROTOCOLS)
    form = d.pick(("number", "number", "named", "range", "protocol", "empty"))
    if form == "number":
        return PolicyPort(protocol, d.pick(PORT_NUMBERS))
    if form == "named":
        return PolicyPort(protocol, d.pick(PORT_NAMES))
    if form == "range":
        lo = d.pick(PORT_NUMBERS)
        return PolicyPort(protocol, lo, lo + d.pick((0, 1, 100, 9000)))
    if form == "protocol":
        return PolicyPort(protocol)
    return PolicyPort()


def _few(d: _Draw, make, max_size: int = 2) -> list:
    if d.chance(0.25):
        return []
    return [make() for _ in range(d.r.randint(1, max_size))]


def _rule(d: _Draw, families, pods, nodes) -> PolicyRule:
    peers = _few(d, lambda: _peer(d, families, pods, nodes))
    ports = _few(d, lambda: _policy_port(d))
    return rule(*peers, ports=ports)


def _selector_for(d: _Draw, target: Pod) -> LabelSelector:
    keys = d.some(sorted(target.labels), 0, 2) if target.labels else []
    return LabelSelector(tuple(Requirement(k, "In", (target.labels[k],)) for k in sorted(keys)))


def _netpol(d: _Draw, index: int, ns_names, families, pods, nodes) -> NetworkPolicy:
    aim = d.pick([None, *pods])
    ns = aim.namespace if aim is not None else d.pick(ns_names)

    def rules():
        if d.chance(0.25):
            return None
        return _few(d, lambda: _rule(d, families, pods, nodes))

    ingress, egress = rules(), rules()
    types = d.pick((None, None, ("Ingress",), ("Egress",), ("Ingress", "Egress")))
    select = _selector_for(d, aim) if aim is not None else d.selector(POD_LABELS)
    return netpol(f"{ns}/np{index}", select=select, ingress=ingress, egress=egress, types=types)


# --------------------------------------------------------------------------- Services


def _service(d: _Draw, j: int, ns_names, families):
    ns = d.pick(ns_names)
    kind = d.pick(("ClusterIP", "ClusterIP", "NodePort", "LoadBalancer", "headless"))
    ports, used = [], set()
    for n in range(d.r.randint(1, 2)):
        number = d.pick(PORT_NUMBERS)
        protocol = d.pick(PROTOCOLS)
        if (number, protocol) in used:
            continue
        used.add((number, protocol))
        target = d.pick((None, *PORT_NAMES, *PORT_NUMBERS))
        node_port = 30080 + 100 * j + n if kind in ("NodePort", "LoadBalancer") else None
        ports.append((f"p{n}", number, target, protocol, node_port))
    fams = families if len(families) == 1 or d.chance(0.5) else families[:1]
    external = {
        V4: (f"203.0.113.{50 + j}", f"198.51.100.{10 + j}"),
        V6: (f"2001:db8::{50 + j:x}", f"2001:db8:2::{10 + j:x}"),
    }
    selector = d.labels(POD_LABELS) or {"app": d.pick(POD_LABELS["app"])}
    if kind == "headless":
        return service(
            f"{ns}/s{j}",
            headless=True,
            families=fams,
            family_policy="PreferDualStack" if len(fams) == 2 else None,
            ports=ports,
            selector=selector,
            publish_not_ready=d.chance(0.2),
        )
    return service(
        f"{ns}/s{j}",
        ip=[_service_ip(j, f) for f in fams],
        ports=ports,
        selector=selector,
        type=kind,
        etp=d.pick(("Cluster", "Local")),
        itp=d.pick(("Cluster", "Cluster", "Local")),
        publish_not_ready=d.chance(0.2),
        external_ips=[external[f][0] for f in fams] if d.chance(0.3) else [],
        lb_ips=[external[f][1] for f in fams] if kind == "LoadBalancer" else None,
        load_balancer_source_ranges=_source_ranges(d) if kind == "LoadBalancer" else (),
    )


#: loadBalancerSourceRanges to draw from: outside ranges, one node's pods, the nodes, everything.
SOURCE_RANGES = (
    "203.0.113.0/25",
    "10.244.1.0/24",
    "192.168.0.0/24",
    "0.0.0.0/0",
    "2001:db8::/64",
    "fd00:10:244:1::/64",
)


def _source_ranges(d: _Draw) -> tuple:
    if not d.chance(0.4):
        return ()
    return tuple(ip_network(c) for c in d.r.sample(SOURCE_RANGES, d.r.randint(1, 2)))


# --------------------------------------------------------------------------- AdminNetworkPolicy


def _admin_peer(d: _Draw, direction: str, families) -> AdminPeer:
    forms = ("namespaces", "pods") + (("networks", "nodes") if direction == "Egress" else ())
    if d.chance(0.05):
        return AdminPeer()  # no field set (CRD version skew): must fail closed
    form = d.pick(forms)
    ns_vocab = NAMESPACE_LABELS | {"kubernetes.io/metadata.name": NAMESPACE_NAMES}
    if form == "namespaces":
        return AdminPeer(namespaces=d.selector(ns_vocab))
    if form == "pods":
        return AdminPeer(pod_namespaces=d.selector(NAMESPACE_LABELS), pods=d.selector(POD_LABELS))
    if form == "networks":
        family = d.pick(families)
        cidrs = d.some([c for c, _ in IP_BLOCKS[family]], 1, 2)
        return AdminPeer(networks=tuple(ip_network(c) for c in cidrs))
    return AdminPeer(nodes=d.selector(NODE_LABELS))


def _admin_port(d: _Draw, named_ok: bool) -> AdminPort:
    protocol = d.pick(PROTOCOLS)
    form = d.pick(("number", "range", "named") if named_ok else ("number", "range"))
    if form == "number":
        return AdminPort(protocol, d.pick(PORT_NUMBERS))
    if form == "range":
        lo = d.pick(PORT_NUMBERS)
        return AdminPort(protocol, lo, lo + d.pick((1, 100, 9000)))
    return AdminPort(name=d.pick(PORT_NAMES))


def _admin_rule(d: _Draw, direction: str, families, baseline: bool) -> AdminRule:
    actions = ("Allow", "Deny") if baseline else ("Allow", "Deny", "Pass")
    peers = tuple(_admin_peer(d, direction, families) for _ in range(d.r.randint(1, 2)))
    named_ok = all(p.kind in ("namespaces", "pods") for p in peers)
    ports = (
        None if d.chance(0.4) else tuple(_admin_port(d, named_ok) for _ in range(d.r.randint(1, 2)))
    )
    return AdminRule(d.pick(actions), peers, ports)


def _admin_policy(d: _Draw, name: str, priority, families) -> AdminNetworkPolicy:
    baseline = priority is None
    rules = {
        direction: tuple(
            _admin_rule(d, direction, families, baseline) for _ in range(d.r.randint(0, 2))
        )
        for direction in ("Ingress", "Egress")
    }
    ns_vocab = NAMESPACE_LABELS | {"kubernetes.io/metadata.name": NAMESPACE_NAMES}
    if d.chance(0.5):
        subject = {"subject_namespaces": d.selector(ns_vocab)}
    else:
        subject = {
            "subject_pod_namespaces": d.selector(NAMESPACE_LABELS),
            "subject_pods": d.selector(POD_LABELS),
        }
    return AdminNetworkPolicy(
        name,
        priority,
        ingress=rules["Ingress"],
        egress=rules["Egress"],
        baseline=baseline,
        **subject,
    )


# --------------------------------------------------------------------------- Calico policy


def _calico_selector(labels: dict[str, str]) -> str:
    return " && ".join(f"{k} == '{v}'" for k, v in sorted(labels.items())) or "all()"


def _calico_entity(d: _Draw, families, with_ports: bool) -> EntityRule:
    fields: dict = {}
    if d.chance(0.5):
        fields["selector"] = _calico_selector(d.labels(POD_LABELS))
    elif d.chance(0.5):
        fields["not_selector"] = _calico_selector(d.labels(POD_LABELS) or {"app": "web"})
    if d.chance(0.25):
        names = d.some(NAMESPACE_NAMES, 1, 2)
        fields["namespace_selector"] = " || ".join(
            f"projectcalico.org/name == '{n}'" for n in names
        )
    if d.chance(0.35):
        family = d.pick(families)
        nets = (ip_network(d.pick([c for c, _ in IP_BLOCKS[family]])),)
        fields["not_nets" if d.chance(0.33) else "nets"] = nets
    if with_ports and d.chance(0.5):
        lo = d.pick(PORT_NUMBERS)
        ports = (d.pick(((lo, lo), (lo, lo + 100), "http", "dns")),)
        fields["not_ports" if d.chance(0.33) else "ports"] = ports
    return EntityRule(**fields)


def _calico_rule(d: _Draw, families) -> CalicoRule:
    protocol = d.pick((None, *PROTOCOLS, "ICMP"))
    return CalicoRule(
        d.pick(("Allow", "Allow", "Deny", "Pass", "Log")),
        protocol=protocol,
        not_protocol=d.pick((None, None, None, *PROTOCOLS)) if protocol is None else None,
        ip_version=d.pick((None, None, None, *families)),
        source_rule=_calico_entity(d, families, False),
        destination=_calico_entity(d, families, protocol in PROTOCOLS),
    )


def _calico_policy(d: _Draw, index: int, ns_names, families) -> CalicoPolicy:
    ns = d.pick((None, *ns_names))
    ingress = tuple(_calico_rule(d, families) for _ in range(d.r.randint(0, 2)))
    egress = tuple(_calico_rule(d, families) for _ in range(d.r.randint(0, 2)))
    types = tuple(t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules) or (
        "Ingress",
    )
    return CalicoPolicy(
        f"cp{index}",
        ns,
        namespace_selector=d.pick((None, None, "has(team)", "team == 'a'")) if ns is None else None,
        tier=d.pick(("default", "security")),
        order=d.pick((None, 10.0, 2000.0)),
        selector=_calico_selector(d.labels(POD_LABELS)),
        types=types,
        ingress=ingress,
        egress=egress,
    )


# --------------------------------------------------------------------------- NAT


def _masquerade(d: _Draw, families):
    mode = d.pick(
        ("calico", "calico", "ip-masq-agent", "non-masquerade-cidr", "pod-network", "none")
    )
    pools = []
    if mode == "calico" or d.chance(0.25):
        for family in families:
            if d.chance(0.2):
                continue
            cidr = POD_CIDRS[family] if d.chance(0.75) else _node_cidr(1, family)
            if d.chance(0.1):
                # A pool overlapping the Service range: pods may get addresses kube-proxy owns.
                cidr = SERVICE_POOLS[family]
            pools.append(
                ip_pool(
                    f"pool-v{family}",
                    cidr,
                    nat_outgoing=d.chance(0.5),
                    ipip=d.pick(("Never", "Always", "CrossSubnet")) if family == V4 else "Never",
                    vxlan="Always" if family == V6 and d.chance(0.3) else "Never",
                    node_selector=d.pick(("all()", "all()", "zone == 'a'")),
                )
            )
    nets = (
        tuple(ip_network(n) for n in d.pick(NON_MASQUERADE))
        if mode in ("ip-masq-agent", "non-masquerade-cidr")
        else ()
    )
    config = MasqueradeConfig(
        mode=mode,
        non_masquerade_cidrs=nets,
        masquerade_link_local=d.chance(0.5),
        ipv6=d.chance(0.5),
        exclude_host_ips=d.chance(0.5),
    )
    return config, pools


# --------------------------------------------------------------------------- invariants


def _inv_selector(d: _Draw, c: Cluster, family_hint: int) -> dict:
    form = d.pick(("namespace", "namespaces", "pods", "pods", "both", "ipBlock", "ipBlock", "all"))
    if form == "all":
        return {}
    if form == "ipBlock":
        family = d.pick(c.families) if d.chance(0.7) else family_hint
        cidr, excepts = d.pick(IP_BLOCKS[family])
        if excepts and d.chance(0.6):
            return {"ipBlock": {"cidr": cidr, "except": list(excepts)}}
        return {"ipBlock": cidr}
    out: dict = {}
    if form in ("namespace", "both"):
        out["namespace"] = d.pick([n.name for n in c.namespaces])
    if form == "namespaces":
        k = d.pick(sorted(NAMESPACE_LABELS))
        out["namespaces"] = {k: d.pick(NAMESPACE_LABELS[k])}
    if form in ("pods", "both"):
        live = [p for p in c.pods if p.labels]
        if live and d.chance(0.8):
            target = d.pick(live)
            keys = d.some(sorted(target.labels), 1, 2)
            out["pods"] = {k: target.labels[k] for k in keys}
        else:
            k = d.pick(sorted(POD_LABELS))
            out["pods"] = {k: d.pick(POD_LABELS[k])}
    return out


def _interesting_port(d: _Draw, c: Cluster) -> int:
    ports = list(PORT_NUMBERS)
    for s in c.services:
        for sp in s.ports:
            ports.append(sp.port)
            if isinstance(sp.target, int):
                ports.append(sp.target)
            if sp.node_port:
                ports.append(sp.node_port)
    for p in c.pods:
        for cp in p.ports:
            ports.append(cp.container_port)
            if cp.host_port:
                ports.append(cp.host_port)
    return d.pick(ports)


def _reach(d: _Draw, c: Cluster, index: int) -> dict | None:
    """``reach`` from a live pod to a pod (by name), a node's NodePort or hostPort, a Service VIP,
    externalIP or LoadBalancer IP, a concrete pod IP or an outside host."""
    clients = [p for p in c.live_pods if p.ips]
    if not clients:
        return None
    client = d.pick(clients)
    options: list[tuple[str, int, str]] = []
    for p in c.live_pods:
        if p.ips and p.ref != client.ref:
            options += [(p.ref, d.pick(PORT_NUMBERS), d.pick(PROTOCOLS))]
            if not p.ip_allocated and not p.host_network:
                options += [(str(p.ips[0]), d.pick(PORT_NUMBERS), d.pick(PROTOCOLS))]
            for cp in p.ports:
                if cp.host_port:
                    n = c.node_by_name.get(p.node_name or "")
                    if n is not None and n.ips:
                        options.append((str(n.ips[0]), cp.host_port, cp.protocol))
    for s in c.services:
        for sp in s.ports:
            for ip in s.cluster_ips + s.external_ips + s.load_balancer_ips:
                options.append((str(ip), sp.port, sp.protocol))
            if sp.node_port:
                for n in c.nodes:
                    options += [(str(ip), sp.node_port, sp.protocol) for ip in n.ips]
    options.append(
        ("8.8.8.8" if 4 in c.families else "2001:db8::1", d.pick(PORT_NUMBERS), d.pick(PROTOCOLS))
    )
    target, port, protocol = d.pick(options)
    body = {
        "from": client.ref,
        "to": target,
        "port": port,
        "protocol": protocol,
        "expect": d.pick(("allow", "deny")),
    }
    return {"name": f"inv{index}", "reach": body}


def _invariant(d: _Draw, c: Cluster, index: int) -> dict:
    if d.chance(0.15):
        found = _reach(d, c, index)
        if found is not None:
            return found
    kind = d.pick(("isolated", "isolated", "only"))
    fam = c.families[0]
    body: dict = {}
    if kind == "isolated":
        body["from"] = _inv_selector(d, c, fam)
        if d.chance(0.25):
            body["from"] = [body["from"], _inv_selector(d, c, fam)]
        body["to"] = (
            _inv_selector(d, c, fam) if d.chance(0.85) else {"ipBlock": d.pick(IP_BLOCKS[fam])[0]}
        )
        if d.chance(0.5):
            body["port"] = _interesting_port(d, c)
        if d.chance(0.4):
            body["protocol"] = d.pick(PROTOCOLS)
    else:
        body["to"] = _inv_selector(d, c, fam)
        body["port"] = _interesting_port(d, c)
        if d.chance(0.7):
            body["protocol"] = d.pick(PROTOCOLS)
        body["from"] = [_inv_selector(d, c, fam) for _ in range(d.r.randint(1, 2))]
    return {"name": f"inv{index}", kind: body}


# --------------------------------------------------------------------------- mutations


def _mutations(d: _Draw, c: Cluster) -> list[tuple[str, Cluster]]:
    out = [("no change", _noop(d, c))]
    pods = [p for p in c.pods if not p.terminal]
    ns_names = [n.name for n in c.namespaces]
    nodes = list(c.nodes)
    choices = ["add", "remove", "change", "egress-outside", "ingress-everywhere", "admin"]
    for kind in d.some(choices, 1, 1):
        mutated = _mutate(d, c, kind, pods, ns_names, nodes)
        if mutated is not None:
            out.append(mutated)
    return out


def _service_mutation(d: _Draw, c: Cluster, ns_names) -> list[tuple[str, Cluster]]:
    """A pull request that adds or removes a Service (a third of the clusters, drawn from a
    stream of its own so the other mutations keep their seeds): new paths through its
    frontends open or close while every policy stays."""
    if not d.chance(1 / 3):
        return []
    # Not a Service at the cluster DNS's address: the loader then takes it for the cluster DNS,
    # and without it invents one there (a move no real pull request makes).
    dns = set(cluster_dns_ips(c))
    removable = [s for s in c.services if not dns & set(s.cluster_ips)]
    if removable and d.chance(0.5):
        gone = d.pick(removable)
        return [
            (
                f"remove Service {gone.ref}",
                replace(
                    c,
                    services=tuple(s for s in c.services if s is not gone),
                    endpoint_slices=tuple(
                        sl
                        for sl in c.endpoint_slices
                        if (sl.namespace, sl.service_name) != (gone.namespace, gone.name)
                    ),
                ),
            )
        ]
    new = _service(d, 8, ns_names, c.families)  # addresses and node ports no other Service has
    return [(f"add Service {new.ref}", replace(c, services=c.services + (new,)))]


def _service_change(d: _Draw, c: Cluster) -> list[tuple[str, Cluster]]:
    """A pull request that edits one Service (a third of the clusters, a stream of its own):
    its traffic policies, its selector, or a port's number or targetPort. Paths through its
    frontends move to other backends, other nodes or other ports while every policy stays."""
    if not d.chance(1 / 3):
        return []
    dns = set(cluster_dns_ips(c))
    editable = [s for s in c.services if s.type != "ExternalName" and not dns & set(s.cluster_ips)]
    if not editable:
        return []
    old = d.pick(editable)
    edits = ["externalTrafficPolicy", "internalTrafficPolicy"]
    if old.selector is not None:
        edits.append("selector")
    if old.ports:
        edits += ["port", "targetPort"]
    edit = d.pick(edits)
    if edit == "externalTrafficPolicy":
        flip = "Local" if old.external_traffic_policy == "Cluster" else "Cluster"
        new = replace(old, external_traffic_policy=flip)
    elif edit == "internalTrafficPolicy":
        flip = "Local" if old.internal_traffic_policy == "Cluster" else "Cluster"
        new = replace(old, internal_traffic_policy=flip)
    elif edit == "selector":
        labels = d.labels(POD_LABELS) or {"app": d.pick(POD_LABELS["app"])}
        new = replace(old, selector=Labels(labels))
    else:
        first = old.ports[0]
        if edit == "port":
            taken = {(p.port, p.protocol) for p in old.ports}
            free = [n for n in PORT_NUMBERS if (n, first.protocol) not in taken]
            if not free:
                return []
            changed = replace(first, port=d.pick(free))
        else:
            targets = [t for t in (None, *PORT_NAMES, *PORT_NUMBERS) if t != first.target_port]
            changed = replace(first, target_port=d.pick(targets))
        new = replace(old, ports=(changed, *old.ports[1:]))
    services = tuple(new if s is old else s for s in c.services)
    return [(f"change {edit} of Service {old.ref}", replace(c, services=services))]


def _noop(d: _Draw, c: Cluster) -> Cluster:
    """The same cluster state, written differently (policies in another order)."""
    policies = list(c.policies)
    d.r.shuffle(policies)
    return replace(c, policies=tuple(policies))


def _mutate(d: _Draw, c: Cluster, kind: str, pods, ns_names, nodes):
    fams = c.families
    if kind == "add":
        p = _netpol(d, 90, ns_names, fams, pods, nodes)
        return (f"add NetworkPolicy {p.ref}", replace(c, policies=c.policies + (p,)))
    if kind == "remove":
        if c.policies:
            i = d.r.randrange(len(c.policies))
            return (
                f"remove NetworkPolicy {c.policies[i].ref}",
                replace(c, policies=c.policies[:i] + c.policies[i + 1 :]),
            )
        if c.admin_policies:
            i = d.r.randrange(len(c.admin_policies))
            return (
                f"remove {c.admin_policies[i].kind} {c.admin_policies[i].name}",
                replace(c, admin_policies=c.admin_policies[:i] + c.admin_policies[i + 1 :]),
            )
        if c.calico_policies:
            i = d.r.randrange(len(c.calico_policies))
            return (
                f"remove Calico policy {c.calico_policies[i].ref}",
                replace(c, calico_policies=c.calico_policies[:i] + c.calico_policies[i + 1 :]),
            )
        return None
    if kind == "change":
        if not c.policies:
            return None
        i = d.r.randrange(len(c.policies))
        old = c.policies[i]
        what = d.pick(("rule", "types", "ports"))
        if what == "rule":
            direction = d.pick(("ingress", "egress"))
            rules = list(getattr(old, direction))
            new_rule = _rule(d, fams, pods, nodes)
            if rules and d.chance(0.5):
                rules[d.r.randrange(len(rules))] = new_rule
            else:
                rules.append(new_rule)
            new = replace(old, **{direction: tuple(rules)})
        elif what == "types":
            new = replace(
                old, policy_types=d.pick((("Ingress",), ("Egress",), ("Ingress", "Egress")))
            )
        else:
            direction = d.pick(("ingress", "egress"))
            rules = [
                replace(r, ports=tuple(_few(d, lambda: _policy_port(d))))
                for r in getattr(old, direction)
            ]
            new = replace(old, **{direction: tuple(rules)})
        policies = c.policies[:i] + (new,) + c.policies[i + 1 :]
        return (f"change NetworkPolicy {old.ref} ({what})", replace(c, policies=policies))
    if kind == "egress-outside":
        candidates = [p for p in pods if not p.host_network and p.ips]
        if not candidates:
            return None
        target = d.pick(candidates)
        fam = d.pick(fams)
        cidr = "198.51.100.0/24" if fam == V4 else "2001:db8:2::/48"
        p = netpol(
            f"{target.namespace}/egress-outside",
            select=_selector_for(d, target),
            egress=[rule(peer(cidr=cidr), ports=[443])],
            types=("Egress",),
        )
        return (
            f"add egress to {cidr}:443 for {target.ref}",
            replace(c, policies=c.policies + (p,)),
        )
    if kind == "ingress-everywhere":
        fam = d.pick(fams)
        everywhere = peer(cidr="0.0.0.0/0" if fam == V4 else "::/0")
        with_ingress = [i for i, p in enumerate(c.policies) if "Ingress" in p.policy_types]
        if with_ingress and d.chance(0.7):
            i = d.pick(with_ingress)
            old = c.policies[i]
            rules = list(old.ingress)
            if rules:
                j = d.r.randrange(len(rules))
                if rules[j].peers:
                    rules[j] = replace(rules[j], peers=rules[j].peers + (everywhere,))
                else:
                    rules.append(rule(everywhere))
            else:
                rules.append(rule(everywhere, ports=_few(d, lambda: _policy_port(d), 1)))
            new = replace(old, ingress=tuple(rules))
            policies = c.policies[:i] + (new,) + c.policies[i + 1 :]
            return (
                f"add ipBlock {everywhere.ip_block} to an ingress rule of {old.ref}",
                replace(c, policies=policies),
            )
        candidates = [p for p in pods if not p.host_network and p.ips]
        if not candidates:
            return None
        target = d.pick(candidates)
        p = netpol(
            f"{target.namespace}/ingress-everywhere",
            select=_selector_for(d, target),
            ingress=[rule(everywhere)],
        )
        return (
            f"add ingress from {everywhere.ip_block} for {target.ref}",
            replace(c, policies=c.policies + (p,)),
        )
    if kind == "admin":
        if c.admin_policies and d.chance(0.4):
            i = d.r.randrange(len(c.admin_policies))
            old = c.admin_policies[i]
            new = _admin_policy(d, old.name, old.priority, fams)
            return (
                f"change {old.kind} {old.name}",
                replace(
                    c, admin_policies=c.admin_policies[:i] + (new,) + c.admin_policies[i + 1 :]
                ),
            )
        used = {a.priority for a in c.admin_policies}
        priority = next(p for p in range(1, 100) if p not in used)
        a = _admin_policy(d, "anp-new", priority, fams)
        return (
            f"add AdminNetworkPolicy anp-new (priority {priority})",
            replace(c, admin_policies=c.admin_policies + (a,)),
        )
    return None


# --------------------------------------------------------------------------- allocations


def _pool_selects(pool, n) -> bool:
    sel = pool.node_selector.strip()
    if sel in ("", "all()"):
        return True
    if sel == "zone == 'a'":
        return n is not None and n.labels.get("zone") == "a"
    raise AssertionError(f"the oracle's generator does not write the pool selector {sel!r}")


def allocation_ranges(c: Cluster, p: Pod, family: int) -> list:
    """Where the IPAM may put ``p``'s address (semantics.md §1.4): the enabled Workload pools
    selecting its node (any of their blocks: Calico borrows blocks), else its node's podCIDR.
    Written from the semantics, not taken from netverify."""
    n = c.node_by_name.get(p.node_name or "")
    if n is None:
        return []
    pools = [
        pool.cidr
        for pool in c.ip_pools
        if pool.cidr.version == family
        and not pool.disabled
        and "Workload" in pool.allowed_uses
        and _pool_selects(pool, n)
    ]
    if pools:
        return pools
    cidr = n.pod_cidr(family)
    return [cidr] if cidr is not None else []


def _admissible(c: Cluster, net, ip) -> bool:
    """An address every reading of the IPAM allows: no network/broadcast address, no block's first address."""
    if any(pool.cidr == net for pool in c.ip_pools):
        size = 1 << ((32 if net.version == 4 else 128) - (26 if net.version == 4 else 122))
        return (int(ip) - int(net.network_address)) % size != 0
    if ip == net.network_address:
        return False
    return not (net.version == 4 and ip == net.broadcast_address)


def alternative_allocation(c: Cluster, seed: int) -> tuple[Cluster, dict[str, str]] | None:
    """The cluster with every allocated pod moved to another address its IPAM may hand out:
    the edges of the CIDRs rules name (where verdicts change) and random addresses. None when
    no pod is allocated. Returns the cluster and ``{pod: "ip, ip"}`` for the message."""
    r = random.Random(seed)
    allocated = [p for p in c.live_pods if p.ip_allocated and not p.host_network and p.ips]
    if not allocated:
        return None
    held = {ip for p in c.pods for ip in p.ips if not (p.ip_allocated and p in allocated)}
    held |= {ip for n in c.nodes for ip in n.ips}
    held |= {ip for s in c.services for ip in s.cluster_ips}
    # An address an EndpointSlice names is in use (by its target, or whatever the slice points
    # at): no IPAM hands it out (docs/cluster-network.md). Consumers read the first address.
    held |= {ep.addresses[0] for sl in c.endpoint_slices for ep in sl.endpoints if ep.addresses}
    edges: set = set()
    for net in named_cidrs(c):
        lo, hi = int(net.network_address), int(net.broadcast_address)
        for v in (lo - 1, lo, lo + 1, hi - 1, hi, hi + 1):
            if 0 <= v < 2**net.max_prefixlen:
                edges.add(IPv4Address(v) if net.version == 4 else IPv6Address(v))
    moved_pods = {}
    labels = {}
    for p in allocated:
        ips = []
        for ip in p.ips:
            ranges = allocation_ranges(c, p, ip.version)
            if not ranges:
                ips.append(ip)
                continue
            inside = sorted(
                (
                    a
                    for a in edges
                    if a.version == ip.version
                    and any(a in n and _admissible(c, n, a) for n in ranges)
                    and a not in held
                ),
                key=int,
            )
            choice = None
            if inside and r.random() < 0.6:
                choice = r.choice(inside)
            else:
                for _ in range(50):
                    net = r.choice(ranges)
                    a = net.network_address + r.randrange(net.num_addresses)
                    if a not in held and _admissible(c, net, a):
                        choice = a
                        break
            choice = choice or ip
            held.add(choice)
            ips.append(choice)
        moved_pods[p.ref] = replace(p, ips=tuple(ips))
        labels[p.ref] = ", ".join(str(a) for a in ips)
    pods = tuple(moved_pods.get(p.ref, p) if p in allocated else p for p in c.pods)
    return replace(c, pods=pods), labels


def ip_block_of(spec) -> IPBlock | None:
    """An invariant selector's ipBlock as an IPBlock (None for a pod selector)."""
    if not isinstance(spec, dict) or "ipBlock" not in spec:
        return None
    raw = spec["ipBlock"]
    if isinstance(raw, str):
        return IPBlock(ip_network(raw))
    return IPBlock(ip_network(raw["cidr"]), tuple(ip_network(e) for e in raw.get("except", ())))
