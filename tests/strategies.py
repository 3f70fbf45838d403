"""Hypothesis strategies: small random but valid clusters, and packets to probe them with.

The clusters are small (1-3 namespaces, 1-3 nodes, 2-6 pods, 0-4 NetworkPolicies,
0-2 Services, sometimes AdminNetworkPolicies, a BaselineAdminNetworkPolicy,
Calico policies and IP pools) and drawn from a small vocabulary of labels, port
names and numbers, so selectors, named ports and port rules hit often. Every
address follows one plan, readable in a failure message:

* node ``n<i>``: ``192.168.0.<i>`` / ``fd00:192::<i>``, podCIDRs
  ``10.244.<i>.0/24`` / ``fd00:10:244:<i>::/64`` (a dual-stack cluster may have
  a node with one family only);
* pod ``p<k>`` on node ``i``: ``10.244.<i>.<10+k>`` / ``fd00:10:244:<i>::<10+k, hex>``,
  unless it is *allocated*: the input had no IP and the loader's own allocator
  (:func:`verifier.ingest.allocate.allocate_pod_ips`) chose one, marking it
  ``ip_allocated`` (the symbolic layer treats it as an unknown); a hostNetwork
  pod has its node's addresses; hostPorts are ``8000 + 10k + <port index>``;
* Service ``s<j>``: ClusterIP ``10.96.0.<10+j>`` / ``fd00:10:96::<10+j, hex>``,
  nodePorts ``30080 + 100j + <port index>``, externalIP ``203.0.113.<50+j>``,
  LoadBalancer IP ``198.51.100.<10+j>``;
* outside hosts: ``203.0.113.0/24``, ``8.8.8.8``, ``2001:db8::/32``.

:func:`clusters` draws a cluster; :func:`probes` a packet on a direct path (to
a pod's own address or to an address no pod holds) and :func:`translated_probes`
one to a Service frontend or a hostPort; :func:`scenarios` draws a cluster with
its probes as a :class:`Scenario`, whose repr (:func:`describe`) is what a
falsifying example prints: one line per object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from ipaddress import ip_address, ip_network

from hypothesis import strategies as st

from tests.builders import cluster as build_cluster
from tests.builders import ip_pool, namespace, netpol, node, peer, pod, rule, service
from tests.oracle.describe import describe
from verifier.ingest.allocate import allocate_pod_ips
from verifier.ingest.pods import PodEntry
from verifier.model import (
    IP,
    PROTOCOLS,
    AdminNetworkPolicy,
    AdminPeer,
    AdminPort,
    AdminRule,
    CalicoPolicy,
    CalicoRule,
    Cluster,
    EntityRule,
    LabelSelector,
    MasqueradeConfig,
    Pod,
    PolicyPort,
    Requirement,
    Tier,
)
from verifier.semantics import hostports as hostport_rules
from verifier.semantics import services as service_rules

__all__ = [
    "Probe",
    "Scenario",
    "address",
    "allocations",
    "clusters",
    "describe",
    "endpoint_pods",
    "examples",
    "interesting_ports",
    "probes",
    "scenarios",
    "selectors",
    "translated",
    "translated_probes",
]


def examples(n: int) -> int:
    """``n`` examples, times ``$NETVERIFY_HYPOTHESIS_SCALE`` (default 1) for a deeper run::

    NETVERIFY_HYPOTHESIS_SCALE=10 pytest tests/symbolic
    """
    return n * int(os.environ.get("NETVERIFY_HYPOTHESIS_SCALE", "1"))


# --------------------------------------------------------------------------- vocabulary

#: Pod label keys and their values. "" is a real value (Exists matches it, DoesNotExist does not).
POD_LABELS: dict[str, tuple[str, ...]] = {
    "app": ("web", "db", "api"),
    "tier": ("front", "back", ""),
    "env": ("dev", "prod"),
}
NAMESPACE_NAMES = ("x", "y", "z")
NAMESPACE_LABELS: dict[str, tuple[str, ...]] = {"team": ("a", "b"), "env": ("dev", "prod")}
#: Namespace selectors may also pick namespaces by name (the label the control plane sets).
_NS_NAME = {"kubernetes.io/metadata.name": NAMESPACE_NAMES}
NODE_LABELS: dict[str, tuple[str, ...]] = {"zone": ("a", "b")}
PORT_NAMES = ("http", "dns", "metrics")
PORT_NUMBERS = (53, 80, 443, 8080, 9090)
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

V4, V6 = 4, 6
POD_CIDRS = {V4: ip_network("10.244.0.0/16"), V6: ip_network("fd00:10:244::/48")}
SERVICE_CIDRS = {V4: ip_network("10.96.0.0/12"), V6: ip_network("fd00:10:96::/112")}
CLUSTER_DNS = {V4: "10.96.0.2", V6: "fd00:10:96::2"}

#: ipBlock (cidr, excepts) per family: pod ranges, one node's podCIDR, node addresses,
#: outside ranges and the whole family; pod and node /32s are added per cluster.
IP_BLOCKS = {
    V4: (
        ("10.244.0.0/16", ("10.244.1.0/24",)),
        ("10.244.1.0/24", ("10.244.1.0/28",)),
        ("10.244.2.0/28", ()),
        ("192.168.0.0/24", ()),
        ("203.0.113.0/24", ("203.0.113.128/25",)),
        ("0.0.0.0/0", ("10.0.0.0/8",)),
        ("0.0.0.0/0", ()),
    ),
    V6: (
        ("fd00:10:244::/48", ("fd00:10:244:1::/64",)),
        ("fd00:10:244:2::/64", ()),
        ("fd00:192::/64", ()),
        ("2001:db8::/32", ("2001:db8:1::/48",)),
        ("::/0", ()),
    ),
}
#: Destinations outside the pods: outside hosts, a pod range no pod holds, the Service range.
OUTSIDE = {
    V4: ("203.0.113.5", "203.0.113.200", "8.8.8.8", "10.244.1.250", "10.96.0.250"),
    V6: ("2001:db8::5", "2001:db8:1::5", "fd00:10:244:1::fa", "fd00:10:96::fa"),
}
#: The outside host that connects to Service frontends and hostPorts.
OUTSIDE_CLIENT = {V4: "203.0.113.9", V6: "2001:db8::9"}
#: ip-masq-agent / kubelet non-masquerade CIDRs: the defaults, the pod network, too narrow a range.
NON_MASQUERADE = (
    (),
    ("10.244.0.0/16",),
    ("10.244.1.0/24",),
    ("10.0.0.0/8", "fd00:10:244::/48"),
    ("10.244.0.0/16", "192.168.0.0/24", "fd00::/8"),
)


def _nets(texts) -> tuple:
    return tuple(ip_network(t) for t in texts)


def _node_ip(i: int, family: int) -> str:
    return f"192.168.0.{i}" if family == V4 else f"fd00:192::{i}"


def _node_cidr(i: int, family: int) -> str:
    return f"10.244.{i}.0/24" if family == V4 else f"fd00:10:244:{i}::/64"


def _pod_ip(i: int, k: int, family: int) -> str:
    return f"10.244.{i}.{10 + k}" if family == V4 else f"fd00:10:244:{i}::{10 + k:x}"


def _service_ip(j: int, family: int) -> str:
    return f"10.96.0.{10 + j}" if family == V4 else f"fd00:10:96::{10 + j:x}"


# --------------------------------------------------------------------------- selectors


@st.composite
def _requirement(draw, vocabulary: dict[str, tuple[str, ...]]) -> Requirement:
    key = draw(st.sampled_from(sorted(vocabulary)))
    op = draw(st.sampled_from(OPERATORS))
    if op in ("Exists", "DoesNotExist"):
        return Requirement(key, op)
    values = draw(st.lists(st.sampled_from(vocabulary[key]), min_size=1, max_size=2, unique=True))
    return Requirement(key, op, tuple(values))


def selectors(vocabulary: dict[str, tuple[str, ...]]) -> st.SearchStrategy[LabelSelector]:
    """Empty (matches all), matchLabels (``In`` one value) or matchExpressions with every operator."""
    match_labels = st.sampled_from(sorted(vocabulary)).flatmap(
        lambda k: st.sampled_from(vocabulary[k]).map(
            lambda v: LabelSelector((Requirement(k, "In", (v,)),))
        )
    )
    expressions = st.lists(_requirement(vocabulary), min_size=1, max_size=2).map(
        lambda reqs: LabelSelector(tuple(reqs))
    )
    return st.one_of(st.just(LabelSelector()), match_labels, expressions)


def _labels(vocabulary: dict[str, tuple[str, ...]]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {}, optional={k: st.sampled_from(v) for k, v in vocabulary.items()}
    )


# --------------------------------------------------------------------------- the address plan


@dataclass(frozen=True)
class _Plan:
    families: tuple[int, ...]  # the cluster's families, primary first
    nodes: int
    #: per node, the families it has podCIDRs for (a dual-stack cluster may have a v4-only node)
    node_families: tuple[tuple[int, ...], ...]


@st.composite
def _plan(draw) -> _Plan:
    families = draw(st.sampled_from(((V4,), (V4,), (V4, V6), (V4, V6), (V6, V4), (V6,))))
    nodes = draw(st.integers(1, 3))
    node_families = []
    for _ in range(nodes):
        if len(families) == 2 and draw(st.integers(0, 5)) == 0:
            node_families.append(families[:1])  # a dual-stack cluster with a single-stack node
        else:
            node_families.append(families)
    return _Plan(families, nodes, tuple(node_families))


# --------------------------------------------------------------------------- pods


@st.composite
def _container_ports(draw, k: int, host_ports: bool) -> list:
    """Up to three ports; with ``host_ports`` some get hostPort ``8000 + 10k + i`` (unique per node)."""
    specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from((None, *PORT_NAMES)),
                st.sampled_from(PORT_NUMBERS),
                st.sampled_from(PROTOCOLS),
                st.sampled_from((False,) * 5 + (host_ports,)),
            ),
            max_size=3,
        )
    )
    out, names, numbers = [], set(), set()
    for i, (name, number, protocol, mapped) in enumerate(specs):
        # Kubernetes validation: names unique in a pod; one (port, protocol) per pod.
        if (name is not None and name in names) or (number, protocol) in numbers:
            continue
        names.add(name)
        numbers.add((number, protocol))
        out.append(
            (name, number, protocol, 8000 + 10 * k + i) if mapped else (name, number, protocol)
        )
    return out


@st.composite
def _pods(draw, plan: _Plan, namespaces: list[str], *, duplicates: bool) -> list[Pod]:
    count = draw(st.integers(2, 6))
    pods: list[Pod] = []
    for k in range(count):
        i = draw(st.integers(1, plan.nodes))
        ns = draw(st.sampled_from(namespaces))
        kind = draw(st.sampled_from(("ip",) * 6 + ("allocated",) * 2 + ("host",)))
        # A finished pod keeps a stale IP (never the first two: a probe needs two live pods).
        phase = "Succeeded" if k >= 2 and draw(st.integers(0, 15)) == 0 else "Running"
        host = kind == "host"
        if host:
            ips = [_node_ip(i, f) for f in plan.families]
        elif kind == "allocated":
            ips = []  # the loader's allocator fills them in below
        else:
            ips = [_pod_ip(i, k, f) for f in plan.node_families[i - 1]]
        pods.append(
            pod(
                f"{ns}/p{k}",
                ip=ips,
                node=f"n{i}",
                labels=draw(_labels(POD_LABELS)),
                ports=draw(_container_ports(k, host_ports=not host)),
                host_network=host,
                phase=phase,
                ready=draw(st.integers(0, 7)) > 0,
                terminating=draw(st.integers(0, 9)) == 0,
            )
        )
    if duplicates and len(pods) >= 2 and draw(st.integers(0, 3)) == 0:
        # A second pod-network pod on the first's address (a stale or buggy IPAM).
        a, b = draw(st.lists(st.integers(0, len(pods) - 1), min_size=2, max_size=2, unique=True))
        if pods[a].ips and not pods[a].host_network and not pods[b].host_network:
            pods[b] = replace(pods[b], ips=pods[a].ips, ip_allocated=False)
    return pods


def _allocate(
    pods: list[Pod], nodes: list, pools: list, families: tuple[int, ...], services: list
) -> list[Pod]:
    """IPs for the pods that have none, chosen exactly as the loader chooses them."""
    taken: set[IP] = {ip for p in pods for ip in p.ips} | {ip for n in nodes for ip in n.ips}
    taken |= {ip for s in services for ip in s.cluster_ips}
    entries, _warnings = allocate_pod_ips(
        [PodEntry(p) for p in pods], nodes, pools, families, taken
    )
    return [e.pod for e in entries]


# --------------------------------------------------------------------------- NetworkPolicy


@st.composite
def _ip_block_peer(draw, families: tuple[int, ...], pods: list[Pod], nodes: list):
    family = draw(st.sampled_from(families))
    hosts = [f"{ip}/{ip.max_prefixlen}" for p in pods for ip in p.ips if ip.version == family]
    hosts += [f"{ip}/{ip.max_prefixlen}" for n in nodes for ip in n.ips if ip.version == family]
    choices = list(IP_BLOCKS[family]) + [(h, ()) for h in hosts]
    cidr, excepts = draw(st.sampled_from(choices))
    return peer(cidr=cidr, except_=excepts)


@st.composite
def _peer(draw, families, pods, nodes):
    form = draw(st.sampled_from(("pods", "namespaces", "both", "ipBlock")))
    if form == "ipBlock":
        return draw(_ip_block_peer(families, pods, nodes))
    pods_sel = draw(selectors(POD_LABELS)) if form in ("pods", "both") else None
    ns_sel = (
        draw(selectors(NAMESPACE_LABELS | _NS_NAME)) if form in ("namespaces", "both") else None
    )
    return peer(pods=pods_sel, namespaces=ns_sel)


@st.composite
def _policy_port(draw) -> PolicyPort:
    protocol = draw(st.sampled_from(PROTOCOLS))
    form = draw(st.sampled_from(("number", "number", "named", "range", "protocol", "empty")))
    if form == "number":
        return PolicyPort(protocol, draw(st.sampled_from(PORT_NUMBERS)))
    if form == "named":
        return PolicyPort(protocol, draw(st.sampled_from(PORT_NAMES)))
    if form == "range":
        lo = draw(st.sampled_from(PORT_NUMBERS))
        return PolicyPort(protocol, lo, lo + draw(st.sampled_from((0, 1, 100, 9000))))
    if form == "protocol":
        return PolicyPort(protocol)
    return PolicyPort()  # ports: [{}]: every TCP port


def _few(strategy: st.SearchStrategy, max_size: int = 2) -> st.SearchStrategy[list]:
    """A short list, empty about a quarter of the time (an empty list means "all" in a rule)."""
    return st.sampled_from((0, 1, 1, 1)).flatmap(
        lambda empty: (
            st.just([]) if not empty else st.lists(strategy, min_size=1, max_size=max_size)
        )
    )


@st.composite
def _rule(draw, families, pods, nodes):
    peers = draw(_few(_peer(families, pods, nodes)))
    ports = draw(_few(_policy_port()))
    return rule(*peers, ports=ports)


@st.composite
def _netpol(draw, index: int, namespaces, families, pods, nodes):
    # Mostly aimed at a pod (its namespace, a selector its labels satisfy), so policies isolate someone.
    aim = draw(st.sampled_from([None, *pods]))
    ns = aim.namespace if aim is not None else draw(st.sampled_from(namespaces))
    # None: the section is absent; []: present and empty (pure isolation when the type is set).
    rules = st.sampled_from((None, "list", "list", "list")).flatmap(
        lambda form: st.none() if form is None else _few(_rule(families, pods, nodes))
    )
    ingress, egress = draw(rules), draw(rules)
    types = draw(st.sampled_from((None, None, ("Ingress",), ("Egress",), ("Ingress", "Egress"))))
    select = draw(_selector_for(aim)) if aim is not None else draw(selectors(POD_LABELS))
    return netpol(f"{ns}/np{index}", select=select, ingress=ingress, egress=egress, types=types)


@st.composite
def _selector_for(draw, target: Pod) -> LabelSelector:
    """matchLabels on some of ``target``'s labels (the empty selector when it has none chosen)."""
    keys = (
        draw(st.lists(st.sampled_from(sorted(target.labels)), unique=True, max_size=2))
        if target.labels
        else []
    )
    return LabelSelector(tuple(Requirement(k, "In", (target.labels[k],)) for k in sorted(keys)))


# --------------------------------------------------------------------------- Services


@st.composite
def _service(draw, j: int, namespaces, plan: _Plan):
    """Service ``s<j>``: ClusterIP, NodePort (nodePorts ``30080 + 100j + i``) or LoadBalancer
    (LB IP ``198.51.100.<10+j>``), sometimes with an externalIP ``203.0.113.<50+j>``."""
    ns = draw(st.sampled_from(namespaces))
    kind = draw(st.sampled_from(("ClusterIP", "ClusterIP", "NodePort", "LoadBalancer")))
    ports, used = [], set()
    for n in range(draw(st.integers(1, 2))):
        number = draw(st.sampled_from(PORT_NUMBERS))
        protocol = draw(st.sampled_from(PROTOCOLS))
        if (number, protocol) in used:
            continue
        used.add((number, protocol))
        target = draw(st.sampled_from((None, *PORT_NAMES, *PORT_NUMBERS)))
        node_port = 30080 + 100 * j + n if kind != "ClusterIP" else None
        ports.append((f"p{n}", number, target, protocol, node_port))
    families = (
        plan.families if len(plan.families) == 1 or draw(st.booleans()) else plan.families[:1]
    )
    outside = {
        V4: (f"203.0.113.{50 + j}", f"198.51.100.{10 + j}"),
        V6: (f"2001:db8::{50 + j:x}", f"2001:db8:2::{10 + j:x}"),
    }
    external = [outside[f][0] for f in families] if draw(st.integers(0, 3)) == 0 else []
    return service(
        f"{ns}/s{j}",
        ip=[_service_ip(j, f) for f in families],
        ports=ports,
        selector=draw(_labels(POD_LABELS).filter(bool)),
        type=kind,
        etp=draw(st.sampled_from(("Cluster", "Local"))),
        itp=draw(st.sampled_from(("Cluster", "Cluster", "Local"))),
        publish_not_ready=draw(st.integers(0, 4)) == 0,
        external_ips=external,
        lb_ips=[outside[f][1] for f in families] if kind == "LoadBalancer" else None,
    )


# --------------------------------------------------------------------------- AdminNetworkPolicy


@st.composite
def _admin_peer(draw, direction: str, families) -> AdminPeer:
    forms = ("namespaces", "pods") + (("networks", "nodes") if direction == "Egress" else ())
    form = draw(st.sampled_from(forms + ("invalid",) if draw(st.integers(0, 15)) == 0 else forms))
    if form == "namespaces":
        return AdminPeer(namespaces=draw(selectors(NAMESPACE_LABELS | _NS_NAME)))
    if form == "pods":
        return AdminPeer(
            pod_namespaces=draw(selectors(NAMESPACE_LABELS)), pods=draw(selectors(POD_LABELS))
        )
    if form == "networks":
        family = draw(st.sampled_from(families))
        cidrs = draw(
            st.lists(
                st.sampled_from([c for c, _ in IP_BLOCKS[family]]),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
        return AdminPeer(networks=_nets(cidrs))
    if form == "nodes":
        return AdminPeer(nodes=draw(selectors(NODE_LABELS)))
    return AdminPeer()  # no field set (CRD version skew): must fail closed


@st.composite
def _admin_port(draw, named_ok: bool) -> AdminPort:
    protocol = draw(st.sampled_from(PROTOCOLS))
    form = draw(st.sampled_from(("number", "range", "named") if named_ok else ("number", "range")))
    if form == "number":
        return AdminPort(protocol, draw(st.sampled_from(PORT_NUMBERS)))
    if form == "range":
        lo = draw(st.sampled_from(PORT_NUMBERS))
        return AdminPort(protocol, lo, lo + draw(st.sampled_from((1, 100, 9000))))
    return AdminPort(name=draw(st.sampled_from(PORT_NAMES)))


@st.composite
def _admin_rule(draw, direction: str, families, baseline: bool) -> AdminRule:
    actions = ("Allow", "Deny") if baseline else ("Allow", "Deny", "Pass")
    peers = tuple(draw(st.lists(_admin_peer(direction, families), min_size=1, max_size=2)))
    named_ok = all(p.kind in ("namespaces", "pods") for p in peers)
    ports = draw(st.none() | st.lists(_admin_port(named_ok), min_size=1, max_size=2).map(tuple))
    return AdminRule(draw(st.sampled_from(actions)), peers, ports)


@st.composite
def _admin_policy(draw, name: str, priority: int | None, families) -> AdminNetworkPolicy:
    baseline = priority is None
    rules = {
        d: tuple(draw(st.lists(_admin_rule(d, families, baseline), max_size=2)))
        for d in ("Ingress", "Egress")
    }
    if draw(st.booleans()):
        subject = {"subject_namespaces": draw(selectors(NAMESPACE_LABELS | _NS_NAME))}
    else:
        subject = {
            "subject_pod_namespaces": draw(selectors(NAMESPACE_LABELS)),
            "subject_pods": draw(selectors(POD_LABELS)),
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


@st.composite
def _calico_entity(draw, families, with_ports: bool) -> EntityRule:
    """A rule's source or destination: selector or notSelector (maybe scoped by a namespaceSelector),
    nets or notNets, and (with a port protocol) ports or notPorts, numbers, ranges or names."""
    fields: dict = {}
    if draw(st.booleans()):
        fields["selector"] = _calico_selector(draw(_labels(POD_LABELS)))
    elif draw(st.booleans()):
        fields["not_selector"] = _calico_selector(draw(_labels(POD_LABELS).filter(bool)))
    if draw(st.integers(0, 3)) == 0:
        names = draw(
            st.lists(st.sampled_from(NAMESPACE_NAMES), min_size=1, max_size=2, unique=True)
        )
        fields["namespace_selector"] = " || ".join(
            f"projectcalico.org/name == '{n}'" for n in names
        )
    if draw(st.integers(0, 2)) == 0:
        family = draw(st.sampled_from(families))
        nets = _nets([draw(st.sampled_from([c for c, _ in IP_BLOCKS[family]]))])
        fields["not_nets" if draw(st.integers(0, 2)) == 0 else "nets"] = nets
    if with_ports and draw(st.booleans()):
        lo = draw(st.sampled_from(PORT_NUMBERS))
        ports = (draw(st.sampled_from(((lo, lo), (lo, lo + 100), "http", "dns"))),)
        fields["not_ports" if draw(st.integers(0, 2)) == 0 else "ports"] = ports
    return EntityRule(**fields)


@st.composite
def _calico_rule(draw, families) -> CalicoRule:
    protocol = draw(st.sampled_from((None, *PROTOCOLS, "ICMP")))
    return CalicoRule(
        draw(st.sampled_from(("Allow", "Deny", "Pass", "Log"))),
        protocol=protocol,
        not_protocol=draw(st.sampled_from((None, None, None, *PROTOCOLS)))
        if protocol is None
        else None,
        ip_version=draw(st.sampled_from((None, None, None, *families))),
        source_rule=draw(_calico_entity(families, False)),
        destination=draw(_calico_entity(families, protocol in PROTOCOLS)),
    )


@st.composite
def _calico_policy(draw, index: int, namespaces, families) -> CalicoPolicy:
    ns = draw(st.sampled_from((None, *namespaces)))  # None: a GlobalNetworkPolicy
    ingress = tuple(draw(st.lists(_calico_rule(families), max_size=2)))
    egress = tuple(draw(st.lists(_calico_rule(families), max_size=2)))
    types = tuple(t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules) or (
        "Ingress",
    )
    return CalicoPolicy(
        f"cp{index}",
        ns,
        namespace_selector=(
            draw(st.sampled_from((None, None, "has(team)", "team == 'a'"))) if ns is None else None
        ),
        tier=draw(st.sampled_from(("default", "security"))),
        order=draw(st.sampled_from((None, 10.0, 2000.0))),
        selector=_calico_selector(draw(_labels(POD_LABELS))),
        types=types,
        ingress=ingress,
        egress=egress,
    )


# --------------------------------------------------------------------------- NAT


@st.composite
def _masquerade(draw, families) -> tuple[MasqueradeConfig, list]:
    mode = draw(
        st.sampled_from(
            ("calico", "calico", "ip-masq-agent", "non-masquerade-cidr", "pod-network", "none")
        )
    )
    pools = []
    if mode == "calico" or draw(st.integers(0, 3)) == 0:
        for family in families:
            if draw(st.integers(0, 4)) == 0:
                continue  # no pool for this family
            cidr = str(POD_CIDRS[family]) if draw(st.integers(0, 3)) else _node_cidr(1, family)
            pools.append(
                ip_pool(
                    f"pool-v{family}",
                    cidr,
                    nat_outgoing=draw(st.booleans()),
                    ipip=draw(st.sampled_from(("Never", "Always", "CrossSubnet")))
                    if family == V4
                    else "Never",
                    node_selector=draw(st.sampled_from(("all()", "all()", "zone == 'a'"))),
                )
            )
    nets = (
        _nets(draw(st.sampled_from(NON_MASQUERADE)))
        if mode in ("ip-masq-agent", "non-masquerade-cidr")
        else ()
    )
    config = MasqueradeConfig(
        mode=mode,
        non_masquerade_cidrs=nets,
        masquerade_link_local=draw(st.booleans()),
        ipv6=draw(st.booleans()),
        exclude_host_ips=draw(st.booleans()),
    )
    return config, pools


# --------------------------------------------------------------------------- clusters


def clusters(*, duplicates: bool = False, calico: bool = True) -> st.SearchStrategy[Cluster]:
    """A small valid cluster with at least two live pods holding addresses (see the module docstring).

    ``duplicates`` lets two pod-network pods share an address now and then (for
    the unique-IPs property). ``calico`` allows Calico policies and tiers.
    """
    # An allocated pod on a node no IP pool selects gets no address; rarely, too few are left.
    return _clusters(duplicates, calico).filter(lambda c: len(endpoint_pods(c)) >= 2)


@st.composite
def _clusters(draw, duplicates: bool, calico: bool) -> Cluster:
    plan = draw(_plan())
    ns_names = draw(st.lists(st.sampled_from(NAMESPACE_NAMES), min_size=1, max_size=3, unique=True))
    namespaces = [namespace(n, **draw(_labels(NAMESPACE_LABELS))) for n in ns_names]
    nodes = [
        node(
            f"n{i}",
            [_node_ip(i, f) for f in plan.families],
            pod_cidr=[_node_cidr(i, f) for f in plan.node_families[i - 1]],
            labels=draw(_labels(NODE_LABELS)),
        )
        for i in range(1, plan.nodes + 1)
    ]
    masquerade, pools = draw(_masquerade(plan.families))
    services = [draw(_service(j, ns_names, plan)) for j in range(draw(st.integers(0, 2)))]
    pods = draw(_pods(plan, ns_names, duplicates=duplicates))
    pods = _allocate(pods, nodes, pools, plan.families, services)
    policies = [
        draw(_netpol(i, ns_names, plan.families, pods, nodes))
        for i in range(draw(st.sampled_from((0, 1, 2, 2, 3, 4))))
    ]
    admin: list[AdminNetworkPolicy] = []
    if draw(st.integers(0, 2)) == 0:
        priorities = draw(st.lists(st.integers(1, 20), max_size=2, unique=True))
        admin = [draw(_admin_policy(f"anp{p}", p, plan.families)) for p in priorities]
        if draw(st.booleans()):
            admin.append(draw(_admin_policy("default", None, plan.families)))
    calico_objects: list = []
    if calico and draw(st.integers(0, 4)) == 0:
        calico_objects = [
            draw(_calico_policy(i, ns_names, plan.families)) for i in range(draw(st.integers(1, 2)))
        ]
        calico_objects.append(Tier("security", 100.0, draw(st.sampled_from(("Deny", "Pass")))))
    return build_cluster(
        *namespaces,
        *nodes,
        *pods,
        *services,
        *policies,
        *admin,
        *calico_objects,
        *pools,
        pod_cidrs=[str(POD_CIDRS[f]) for f in plan.families],
        service_cidrs=[str(SERVICE_CIDRS[f]) for f in plan.families],
        masquerade=masquerade,
        encapsulation=draw(st.sampled_from(("overlay", "routed"))),
        endpoint_to_host=draw(st.sampled_from(("Accept", "Accept", "Drop"))),
        ipblock_matches_pods=draw(st.sampled_from((True, True, True, False))),
        # kubelet clusterDNS: without it (and without kube-dns) pods resolve through their node.
        cluster_dns=draw(st.sampled_from(((), [CLUSTER_DNS[plan.families[0]]]))),
    )


# --------------------------------------------------------------------------- packets


@dataclass(frozen=True)
class Probe:
    """A connection to replay: from a pod (``source`` a pod ref) or an outside host (an IP),
    to a pod's own address (``target`` a pod ref) or to an IP."""

    source: str | IP
    target: str | IP
    port: int
    protocol: str
    family: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}:{self.port}/{self.protocol} (IPv{self.family})"


def endpoint_pods(cluster: Cluster) -> list[Pod]:
    """Pods a probe may start or end at: live, with an address."""
    return [p for p in cluster.live_pods if p.ips]


def address(cluster: Cluster, p: Pod, family: int) -> IP | None:
    """The address a pod is reached at: its own, or its node's for a hostNetwork pod."""
    if p.host_network:
        n = cluster.node_by_name.get(p.node_name or "")
        return n.ip(family) if n is not None else None
    return p.ip(family)


def interesting_ports(cluster: Cluster) -> list[int]:
    """Every port a rule or container names, and the edges of every range (so boundaries are probed)."""
    ports = {*PORT_NUMBERS}
    for p in cluster.pods:
        ports.update(cp.container_port for cp in p.ports)
    for pol in cluster.policies:
        for r in pol.ingress + pol.egress:
            for pp in r.ports:
                if isinstance(pp.port, int):
                    ports.update((pp.port - 1, pp.port, pp.port + 1))
                if pp.end_port is not None:
                    ports.update((pp.end_port, pp.end_port + 1))
    for a in cluster.admin_policies:
        for r in a.ingress + a.egress:
            for ap in r.ports or ():
                if ap.port is not None:
                    ports.update((ap.port - 1, ap.port, (ap.end_port or ap.port) + 1))
    return sorted(p for p in ports if 1 <= p <= 65535)


def translated(cluster: Cluster) -> list[tuple[IP, int, str]]:
    """Every ``ip:port/protocol`` something DNATs: Service frontends and hostPorts."""
    out = list(service_rules.frontend_index(cluster))
    out += [(m.node_ip, m.host_port, m.protocol) for m in hostport_rules.host_ports(cluster)]
    return out


def _not_translated(cluster: Cluster, ip: IP, port: int, protocol: str) -> bool:
    return (ip, port, protocol) not in service_rules.frontend_index(cluster) and (
        hostport_rules.match_host_port(cluster, ip, port, protocol) is None
    )


@st.composite
def probes(draw, cluster: Cluster, *, outside: bool = True) -> Probe:
    """A packet from a live pod to a live pod's own address (now and then its own), or
    (``outside``) to an address no pod holds: an outside host, an empty spot of a pod
    range, an unused Service address, a node.

    The port is one a rule or container names (or a range edge) most of the
    time, else any port. Destinations that are node addresses never get a
    NodePort's or hostPort's port: that would be a translated path, not a direct one.
    """
    pods = endpoint_pods(cluster)
    src = draw(st.sampled_from(pods))
    client_families = [f for f in (V4, V6) if address(cluster, src, f) is not None]
    kinds: dict[str, list[tuple[str | IP, int]]] = {"pod": [], "self": [], "outside": []}
    for d in pods:
        for f in client_families:
            if address(cluster, d, f) is not None:
                kinds["self" if d is src else "pod"].append((d.ref, f))
    if outside:
        for f in client_families:
            kinds["outside"] += [(ip_address(t), f) for t in OUTSIDE[f]]
            kinds["outside"] += [(ip, f) for n in cluster.nodes for ip in n.ips if ip.version == f]
    # Mostly other pods; outside addresses often; a pod's packets to itself (exempt from policy) now and then.
    weights = ("pod",) * 5 + ("outside",) * 3 + ("self",)
    kind = draw(st.sampled_from([k for k in weights if kinds[k]]))
    target, family = draw(st.sampled_from(kinds[kind]))
    port = draw(st.sampled_from(interesting_ports(cluster)) | st.integers(1, 65535))
    protocol = draw(st.sampled_from(PROTOCOLS))
    ip = address(cluster, cluster.pod_by_ref[target], family) if isinstance(target, str) else target
    if not _not_translated(cluster, ip, port, protocol):
        port = next(p for p in range(1, 65536) if _not_translated(cluster, ip, p, protocol))
    return Probe(src.ref, target, port, protocol, family)


@st.composite
def translated_probes(draw, cluster: Cluster) -> Probe:
    """A packet to something that DNATs it: a Service frontend (ClusterIP, a NodePort on any
    node, an externalIP, a LoadBalancer IP) or a hostPort, from a live pod of that family or
    (now and then) from an outside host. The cluster must have one (see :func:`translated`)."""
    ip, port, protocol = draw(st.sampled_from(translated(cluster)))
    pods = [p.ref for p in endpoint_pods(cluster) if address(cluster, p, ip.version) is not None]
    outside = [ip_address(OUTSIDE_CLIENT[ip.version])]
    src = draw(st.sampled_from(pods * 3 + outside if pods else outside))
    return Probe(src, ip, port, protocol, ip.version)


@st.composite
def allocations(draw, cluster: Cluster) -> dict[tuple[str, int], IP]:
    """Another allocation the pools allow: each allocated address moved somewhere in its ranges.

    ``{(pod ref, family): address}`` for every allocated address, distinct and
    off every other pod's, node's and probe target's address. The candidates are
    the edges of every CIDR a rule or pool names (where verdicts change) and
    random addresses, all inside the pod's allocation ranges (what the encoder's
    unknowns range over).
    """
    from verifier.semantics.classes import cidrs
    from verifier.symbolic.encoder import allocation_ranges, reserved_addresses

    held = {ip for p in cluster.pods for ip in p.ips} | {ip for n in cluster.nodes for ip in n.ips}
    held |= {ip_address(t) for f in (V4, V6) for t in OUTSIDE[f]}
    out: dict[tuple[str, int], IP] = {}
    for p in cluster.live_pods:
        if not p.ip_allocated or p.host_network:
            continue
        for ip in p.ips:
            nets = allocation_ranges(cluster, p, ip.version)
            held |= {a for n in nets for a in reserved_addresses(cluster, n)}
            edges = {
                type(ip)(v)
                for c in cidrs(cluster)
                if c.version == ip.version
                for lo, hi in [(int(c.network_address), int(c.broadcast_address))]
                for v in (lo, lo + 1, hi, hi + 1)
                if v < 2**ip.max_prefixlen
            }
            inside = sorted(a for a in edges if any(a in n for n in nets))
            net = draw(st.sampled_from(nets))
            anywhere = st.integers(0, net.num_addresses - 1).map(
                lambda k, n=net: n.network_address + k
            )
            moved = draw(st.sampled_from(inside) | anywhere if inside else anywhere)
            out[(p.ref, ip.version)] = ip if moved in held else moved
            held.add(out[(p.ref, ip.version)])
    return out


@dataclass(frozen=True)
class Scenario:
    """A cluster, packets to probe it with, and (maybe) another allocation of its allocated addresses.

    Its repr is what a falsifying example prints.
    """

    cluster: Cluster
    probes: tuple[Probe, ...] = ()
    #: ``{(pod ref, family): address}``: where the allocated pods are in this scenario (else the loader's choice).
    allocation: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        probes = "".join(f"\n  probe {p}" for p in self.probes)
        moved = "".join(
            f"\n  allocation {ref} IPv{fam} {ip}"
            for (ref, fam), ip in self.allocation.items()
            if self.cluster.pod_by_ref[ref].ip(fam) != ip
        )
        return f"\n{describe(self.cluster)}{probes}{moved}\n"

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        # Hypothesis pretty-prints dataclasses field by field; a falsifying example should read like this.
        printer.text(repr(self))


@st.composite
def scenarios(
    draw,
    *,
    probes_per_cluster: int = 0,
    duplicates: bool = False,
    outside: bool = True,
    dnat: bool = False,
    reallocate: bool = False,
) -> Scenario:
    """A cluster (:func:`clusters`) with ``probes_per_cluster`` packets: direct ones (:func:`probes`),
    or with ``dnat`` packets to Service frontends and hostPorts (:func:`translated_probes`); with
    ``reallocate``, the allocated pods are moved (:func:`allocations`)."""
    if dnat:
        c = draw(clusters(duplicates=duplicates).filter(lambda c: bool(translated(c))))
        found = tuple(draw(translated_probes(c)) for _ in range(probes_per_cluster))
    else:
        c = draw(clusters(duplicates=duplicates))
        found = tuple(draw(probes(c, outside=outside)) for _ in range(probes_per_cluster))
    return Scenario(c, found, draw(allocations(c)) if reallocate else {})
