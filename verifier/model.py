"""The typed cluster model: frozen values, each knowing where it came from.

Everything downstream (semantics, engine, Z3 encoder, reports) reads this model
and nothing else; ``verifier.ingest`` is the only code that builds it from
Kubernetes objects. The model holds *defaulted* values (``policyTypes`` filled
in, protocols defaulted to TCP, ``targetPort`` defaulted to ``port``...), so
the semantics never re-implement API-server defaulting.

>>> pod = Pod(namespace="shop", name="web-0", labels=Labels({"app": "web"}),
...           ips=(ip_address("10.0.0.5"),))
>>> pod.ref, pod.ip(4)
('shop/web-0', IPv4Address('10.0.0.5'))
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

__all__ = [
    "same_value",
    "IP",
    "Network",
    "ip_address",
    "ip_network",
    "PROTOCOLS",
    "Source",
    "Labels",
    "Requirement",
    "LabelSelector",
    "Namespace",
    "NodeAddress",
    "Node",
    "ContainerPort",
    "Container",
    "DNSConfig",
    "Pod",
    "ServicePort",
    "Service",
    "EndpointPort",
    "Endpoint",
    "EndpointSlice",
    "IPBlock",
    "Peer",
    "PolicyPort",
    "PolicyRule",
    "NetworkPolicy",
    "Tier",
    "CalicoPolicy",
    "CalicoRule",
    "EntityRule",
    "AdminNetworkPolicy",
    "AdminRule",
    "AdminPort",
    "AdminPeer",
    "IPPool",
    "ServiceCIDR",
    "MasqueradeConfig",
    "ClusterNetwork",
    "Inference",
    "Ignore",
    "OperatorWorkload",
    "Cluster",
]

IP = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

#: The transport protocols NetworkPolicy and Services speak of.
PROTOCOLS = ("TCP", "UDP", "SCTP")


def ip_address(text: str | int | IP) -> IP:
    return ipaddress.ip_address(text)


def ip_network(text: str | Network) -> Network:
    """A network; host bits must be zero (Kubernetes validation rejects them)."""
    return ipaddress.ip_network(text, strict=True)


# --------------------------------------------------------------------------- provenance


@dataclass(frozen=True, slots=True)
class Source:
    """Where an object (or part of one) was written: ``file:line``.

    ``document`` is the 0-based index of the YAML document in the file and
    ``item`` the 0-based index in a ``kind: List`` (``None`` outside lists).
    Objects netverify made up (pods expanded from a Deployment, default
    nodes) point at the object they were derived from, with ``derived`` saying how.
    """

    file: str
    line: int | None = None
    document: int | None = None
    item: int | None = None
    derived: str | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"

    @property
    def implicit(self) -> bool:
        """Made up for what every cluster runs and the input did not show (the cluster DNS, the
        API server: :mod:`verifier.semantics.infrastructure`)."""
        return self.file.startswith("<implicit")

    def at(self, line: int | None) -> Source:
        """The same object, pointing at a more specific line (a rule, a field)."""
        if line is None:
            return self
        return Source(self.file, line, self.document, self.item, self.derived)


UNKNOWN_SOURCE = Source("<unknown>")


# --------------------------------------------------------------------------- labels


def same_value(a: Any, b: Any) -> bool:
    """Are ``a`` and ``b`` the same model value, wherever each was written?

    Model objects compare their sources too (two identical rules on different
    lines are two rules); this asks whether they *mean* the same: every field,
    recursively, with any two :class:`Source` values taken as equal.

    >>> a = Source("old.yaml", 3)
    >>> same_value(Namespace("x", source=a), Namespace("x", source=Source("new.yaml", 9)))
    True
    """
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is Source:
        return True
    names = getattr(type(a), "__dataclass_fields__", None)
    if names is not None:
        return all(
            name == "source" or same_value(getattr(a, name), getattr(b, name)) for name in names
        )
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(map(same_value, a, b))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return a == b


class Labels(Mapping[str, str]):
    """An immutable, hashable label map.

    >>> Labels({"app": "web"})["app"]
    'web'
    """

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping[str, str] | None = None, /):
        self._items: dict[str, str] = dict(items or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Labels):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Labels({self._items!r})"

    def __str__(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self._items.items()))


@dataclass(frozen=True, slots=True)
class Requirement:
    """One label requirement: ``key operator values`` (In, NotIn, Exists, DoesNotExist)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.operator == "Exists":
            return self.key
        if self.operator == "DoesNotExist":
            return f"!{self.key}"
        if self.operator == "In" and len(self.values) == 1:
            return f"{self.key}={self.values[0]}"
        op = "in" if self.operator == "In" else "notin"
        return f"{self.key} {op} ({','.join(self.values)})"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A LabelSelector: the AND of its requirements (matchLabels become ``In``).

    An empty selector (no requirements) matches everything in scope. A *null*
    selector is represented by ``None`` in the field that holds it, because its
    meaning depends on the field (see semantics.md §2.3).
    """

    requirements: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements) or "<all>"


# --------------------------------------------------------------------------- core objects


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Labels = Labels()
    source: Source = UNKNOWN_SOURCE
    #: True when no Namespace object was in the input and netverify made one up.
    implicit: bool = False

    kind = "Namespace"

    @property
    def ref(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class NodeAddress:
    type: str  # InternalIP, ExternalIP, Hostname, ...
    address: str


@functools.lru_cache(maxsize=1 << 16)
def _node_ips(addresses: tuple[NodeAddress, ...]) -> tuple[IP, ...]:
    # Memoised: every route and masquerade decision asks for a node's addresses.
    out: list[IP] = []
    for wanted in ("InternalIP", "ExternalIP"):
        for a in addresses:
            if a.type == wanted:
                try:
                    ip = ip_address(a.address)
                except ValueError:
                    continue
                if ip not in out:
                    out.append(ip)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    labels: Labels = Labels()
    pod_cidrs: tuple[Network, ...] = ()
    addresses: tuple[NodeAddress, ...] = ()
    unschedulable: bool = False
    #: Taints with effect NoSchedule/NoExecute, as (key, value, effect).
    taints: tuple[tuple[str, str, str], ...] = ()
    source: Source = UNKNOWN_SOURCE
    implicit: bool = False

    kind = "Node"

    @property
    def ref(self) -> str:
        return self.name

    @property
    def ips(self) -> tuple[IP, ...]:
        """The node's IP addresses (InternalIP first, then ExternalIP), parsed."""
        return _node_ips(self.addresses)

    def ip(self, family: int) -> IP | None:
        """The node's primary address of ``family`` (InternalIP preferred)."""
        return next((a for a in self.ips if a.version == family), None)

    def pod_cidr(self, family: int) -> Network | None:
        return next((c for c in self.pod_cidrs if c.version == family), None)


@dataclass(frozen=True, slots=True)
class ContainerPort:
    container_port: int
    protocol: str = "TCP"
    name: str | None = None
    host_port: int | None = None
    host_ip: str | None = None


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    ports: tuple[ContainerPort, ...] = ()
    #: "container", or "init" for a restartable init (sidecar) container. Plain
    #: init containers are dropped at ingest: they never serve traffic.
    role: str = "container"


@dataclass(frozen=True, slots=True)
class DNSConfig:
    nameservers: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    options: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    labels: Labels = Labels()
    node_name: str | None = None
    host_network: bool = False
    containers: tuple[Container, ...] = ()
    #: status.podIPs, at most one per family, primary first.
    ips: tuple[IP, ...] = ()
    #: Pending, Running, Succeeded, Failed, Unknown
    phase: str = "Running"
    ready: bool = True
    terminating: bool = False
    hostname: str | None = None
    subdomain: str | None = None
    dns_policy: str = "ClusterFirst"
    dns_config: DNSConfig | None = None
    #: The controller this pod belongs to, as "Kind/name" (same namespace).
    owner: str | None = None
    #: True when the input had no IP for this pod and netverify chose one from
    #: the node's podCIDR / IP pool. The symbolic layer treats such IPs as unknowns.
    ip_allocated: bool = False
    source: Source = UNKNOWN_SOURCE
    #: spec.serviceAccountName.
    service_account: str = "default"
    #: Why the pod talks to the API server (its ServiceAccount's bindings and mounted token, or
    #: an annotation: verifier.ingest.rbac), None when nothing in the input says it does.
    api_client: str | None = None

    kind = "Pod"

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def terminal(self) -> bool:
        """Succeeded/Failed pods have released their IP (semantics.md §1.4)."""
        return self.phase in ("Succeeded", "Failed")

    @property
    def implicit(self) -> bool:
        """A pod of what every cluster runs that the input did not show (the cluster DNS's):
        a server only, never the client of a flow netverify checks or reports."""
        return self.source.implicit

    def ip(self, family: int) -> IP | None:
        return next((a for a in self.ips if a.version == family), None)

    @property
    def families(self) -> tuple[int, ...]:
        return tuple(a.version for a in self.ips)

    @property
    def ports(self) -> Iterator[ContainerPort]:
        """Every declared container port: regular containers first, then sidecars."""
        for role in ("container", "init"):
            for c in self.containers:
                if c.role == role:
                    yield from c.ports

    def named_port(self, name: str, protocol: str) -> int | None:
        """The containerPort named ``name`` with ``protocol``, as Kubernetes' FindPort does."""
        for p in self.ports:
            if p.name == name and p.protocol == protocol:
                return p.container_port
        return None

    def declares_port(self, port: int, protocol: str) -> bool:
        return any(p.container_port == port and p.protocol == protocol for p in self.ports)


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int
    protocol: str = "TCP"
    name: str | None = None
    #: An int, or a port name resolved per backend pod.
    target_port: int | str | None = None
    node_port: int | None = None
    app_protocol: str | None = None

    @property
    def target(self) -> int | str:
        return self.port if self.target_port is None else self.target_port

    def __str__(self) -> str:
        label = f"{self.name}:" if self.name else ""
        return f"{label}{self.port}/{self.protocol}"


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    #: ClusterIP, NodePort, LoadBalancer, ExternalName
    type: str = "ClusterIP"
    #: None when the Service has no selector (endpoints are managed by hand).
    selector: Labels | None = None
    #: Empty for headless and ExternalName Services.
    cluster_ips: tuple[IP, ...] = ()
    headless: bool = False
    ip_families: tuple[int, ...] = ()
    ip_family_policy: str = "SingleStack"
    ports: tuple[ServicePort, ...] = ()
    external_name: str | None = None
    external_ips: tuple[IP, ...] = ()
    load_balancer_ips: tuple[IP, ...] = ()
    #: spec.loadBalancerSourceRanges: who may use the LoadBalancer IPs (kube-proxy drops the rest).
    load_balancer_source_ranges: tuple[Network, ...] = ()
    external_traffic_policy: str = "Cluster"
    internal_traffic_policy: str = "Cluster"
    session_affinity: str = "None"
    publish_not_ready_addresses: bool = False
    allocate_load_balancer_node_ports: bool = True
    source: Source = UNKNOWN_SOURCE
    #: Lines of each entry of spec.ports, parallel to ``ports``.
    port_sources: tuple[Source, ...] = ()

    kind = "Service"

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def cluster_ip(self, family: int) -> IP | None:
        """The Service's cluster IP of ``family`` (None for headless, ExternalName or the other family)."""
        return next((a for a in self.cluster_ips if a.version == family), None)


@dataclass(frozen=True, slots=True)
class EndpointPort:
    port: int | None
    protocol: str = "TCP"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    addresses: tuple[IP, ...]
    #: EndpointConditions; nil ready/serving read as true, nil terminating as false.
    ready: bool = True
    serving: bool = True
    terminating: bool = False
    hostname: str | None = None
    node_name: str | None = None
    #: "ns/name" of the target Pod, if any.
    target_pod: str | None = None


@dataclass(frozen=True, slots=True)
class EndpointSlice:
    namespace: str
    name: str
    service_name: str | None
    #: IPv4, IPv6 or FQDN
    address_type: str
    ports: tuple[EndpointPort, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    #: True for slices built from legacy Endpoints objects.
    legacy: bool = False
    source: Source = UNKNOWN_SOURCE

    kind = "EndpointSlice"

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def family(self) -> int | None:
        return {"IPv4": 4, "IPv6": 6}.get(self.address_type)


# --------------------------------------------------------------------------- NetworkPolicy


@dataclass(frozen=True, slots=True)
class IPBlock:
    cidr: Network
    except_: tuple[Network, ...] = ()

    @property
    def version(self) -> int:
        """The block's address family (4 or 6), as a network's."""
        return self.cidr.version

    def __contains__(self, ip: object) -> bool:
        """``ip in block``: in the CIDR and in none of its excepts.

        >>> ip_address("10.0.2.5") in IPBlock(ip_network("10.0.0.0/16"), (ip_network("10.0.1.0/24"),))
        True
        """
        return (
            getattr(ip, "version", None) == self.cidr.version
            and ip in self.cidr
            and not any(ip in e for e in self.except_)
        )

    def __str__(self) -> str:
        if not self.except_:
            return str(self.cidr)
        return f"{self.cidr} except {', '.join(map(str, self.except_))}"


@dataclass(frozen=True, slots=True)
class Peer:
    """One ``from``/``to`` entry. ``None`` selectors are *absent*, not empty."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None
    source: Source = UNKNOWN_SOURCE

    def __str__(self) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block}"
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaces [{self.namespace_selector}]")
        if self.pod_selector is not None:
            parts.append(f"pods [{self.pod_selector}]")
        return " and ".join(parts)


@dataclass(frozen=True, slots=True)
class PolicyPort:
    protocol: str = "TCP"
    #: None = every port of the protocol; an int, or a named port.
    port: int | str | None = None
    end_port: int | None = None

    def __str__(self) -> str:
        if self.port is None:
            return f"*/{self.protocol}"
        if self.end_port is not None:
            return f"{self.port}-{self.end_port}/{self.protocol}"
        return f"{self.port}/{self.protocol}"


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One ingress or egress rule. Empty ``peers`` = every peer; empty ``ports`` = every port."""

    peers: tuple[Peer, ...] = ()
    ports: tuple[PolicyPort, ...] = ()
    source: Source = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector = LabelSelector()
    #: Defaulted as the API server does: Ingress, plus Egress iff egress rules exist.
    policy_types: tuple[str, ...] = ("Ingress",)
    ingress: tuple[PolicyRule, ...] = ()
    egress: tuple[PolicyRule, ...] = ()
    source: Source = UNKNOWN_SOURCE

    kind = "NetworkPolicy"

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: str) -> tuple[PolicyRule, ...]:
        return self.ingress if direction == "Ingress" else self.egress


# --------------------------------------------------------------------------- tiered policy
# AdminNetworkPolicy / BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)
# and Calico NetworkPolicy / GlobalNetworkPolicy / Tier (projectcalico.org/v3):
# ordered rules with actions, evaluated tier by tier (semantics.md §4, §5).


@dataclass(frozen=True, slots=True)
class AdminPeer:
    """One ANP/BANP peer: exactly one of namespaces, pods (namespace + pod selector), networks, nodes.

    A peer with nothing set (CRD version skew) is ``kind == "invalid"`` and must fail closed.
    """

    namespaces: LabelSelector | None = None
    pod_namespaces: LabelSelector | None = None
    pods: LabelSelector | None = None
    networks: tuple[Network, ...] = ()
    nodes: LabelSelector | None = None

    @property
    def kind(self) -> str:
        if self.namespaces is not None:
            return "namespaces"
        if self.pods is not None:
            return "pods"
        if self.networks:
            return "networks"
        if self.nodes is not None:
            return "nodes"
        return "invalid"

    def __str__(self) -> str:
        if self.kind == "namespaces":
            return f"namespaces [{self.namespaces}]"
        if self.kind == "pods":
            return f"pods [{self.pods}] in namespaces [{self.pod_namespaces}]"
        if self.kind == "networks":
            return "networks " + ", ".join(map(str, self.networks))
        if self.kind == "nodes":
            return f"nodes [{self.nodes}]"
        return "<invalid peer>"


@dataclass(frozen=True, slots=True)
class AdminPort:
    """``portNumber`` (end_port None), ``portRange`` (port..end_port) or ``namedPort`` (name)."""

    protocol: str = "TCP"
    port: int | None = None
    end_port: int | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AdminRule:
    action: str  # Allow, Deny, Pass
    peers: tuple[AdminPeer, ...] = ()
    #: None = every port of every protocol.
    ports: tuple[AdminPort, ...] | None = None
    name: str | None = None
    source: Source = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class AdminNetworkPolicy:
    """An AdminNetworkPolicy (``priority`` set) or the BaselineAdminNetworkPolicy (``baseline``)."""

    name: str
    priority: int | None = None
    #: Subject: ``namespaces`` selector, or ``pods`` = (namespace selector, pod selector).
    subject_namespaces: LabelSelector | None = None
    subject_pod_namespaces: LabelSelector | None = None
    subject_pods: LabelSelector | None = None
    ingress: tuple[AdminRule, ...] = ()
    egress: tuple[AdminRule, ...] = ()
    baseline: bool = False
    source: Source = UNKNOWN_SOURCE

    @property
    def kind(self) -> str:
        return "BaselineAdminNetworkPolicy" if self.baseline else "AdminNetworkPolicy"

    @property
    def namespace(self) -> None:
        return None

    @property
    def ref(self) -> str:
        return self.name

    def rules(self, direction: str) -> tuple[AdminRule, ...]:
        return self.ingress if direction == "Ingress" else self.egress


@dataclass(frozen=True, slots=True)
class EntityRule:
    """A Calico rule's ``source`` or ``destination``; every field present must match."""

    nets: tuple[Network, ...] = ()
    not_nets: tuple[Network, ...] = ()
    selector: str | None = None
    not_selector: str | None = None
    namespace_selector: str | None = None
    #: Port numbers as (lo, hi) ranges, or names.
    ports: tuple[tuple[int, int] | str, ...] = ()
    not_ports: tuple[tuple[int, int] | str, ...] = ()


@dataclass(frozen=True, slots=True)
class CalicoRule:
    action: str  # Allow, Deny, Pass, Log
    protocol: str | None = None
    not_protocol: str | None = None
    ip_version: int | None = None
    source_rule: EntityRule = EntityRule()
    destination: EntityRule = EntityRule()
    source: Source = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class CalicoPolicy:
    """A Calico NetworkPolicy (``namespace`` set) or GlobalNetworkPolicy (``namespace`` None)."""

    name: str
    namespace: str | None = None
    tier: str = "default"
    #: None = applied last ("infinite" order).
    order: float | None = None
    selector: str = "all()"
    #: GlobalNetworkPolicy only: restricts to pods of matching namespaces.
    namespace_selector: str | None = None
    types: tuple[str, ...] = ("Ingress",)
    ingress: tuple[CalicoRule, ...] = ()
    egress: tuple[CalicoRule, ...] = ()
    source: Source = UNKNOWN_SOURCE

    @property
    def kind(self) -> str:
        return "NetworkPolicy.projectcalico.org" if self.namespace else "GlobalNetworkPolicy"

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def rules(self, direction: str) -> tuple[CalicoRule, ...]:
        return self.ingress if direction == "Ingress" else self.egress


@dataclass(frozen=True, slots=True)
class Tier:
    """A Calico Tier: policies grouped and ordered; ``default_action`` at the end of an applicable tier."""

    name: str
    order: float | None = None
    default_action: str = "Deny"
    source: Source = UNKNOWN_SOURCE

    kind = "Tier"

    @property
    def ref(self) -> str:
        return self.name


# --------------------------------------------------------------------------- addressing


@dataclass(frozen=True, slots=True)
class IPPool:
    """A Calico IPPool (crd.projectcalico.org/v1 or projectcalico.org/v3)."""

    name: str
    cidr: Network
    nat_outgoing: bool = False
    ipip_mode: str = "Never"
    vxlan_mode: str = "Never"
    disabled: bool = False
    #: Calico selector expression over node labels; "all()" by default.
    node_selector: str = "all()"
    block_size: int | None = None
    allowed_uses: tuple[str, ...] = ("Workload", "Tunnel")
    source: Source = UNKNOWN_SOURCE

    kind = "IPPool"

    @property
    def ref(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class ServiceCIDR:
    name: str
    cidrs: tuple[Network, ...]
    source: Source = UNKNOWN_SOURCE

    kind = "ServiceCIDR"

    @property
    def ref(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class MasqueradeConfig:
    """Which SNAT rule a node applies to pod traffic (semantics.md §8.2).

    ``mode``: ``calico`` (IPPool natOutgoing, exemptions = every pool),
    ``ip-masq-agent`` (exemptions = ``non_masquerade_cidrs``), ``non-masquerade-cidr``
    (kubelet flag, one CIDR), ``pod-network`` (flannel style, exemptions = cluster
    pod CIDRs) or ``none``.
    """

    mode: str = "calico"
    non_masquerade_cidrs: tuple[Network, ...] = ()
    masquerade_link_local: bool = False
    #: ip-masq-agent only touches IPv6 with --enable-ipv6.
    ipv6: bool = False
    #: Felix natOutgoingExclusions: IPPoolsOnly or IPPoolsAndHostIPs.
    exclude_host_ips: bool = False


@dataclass(frozen=True, slots=True)
class ClusterNetwork:
    """What the Kubernetes API does not show; read from a ``netverify.dev/v1alpha1``
    ``ClusterNetwork`` object in the input, with documented defaults."""

    cluster_domain: str = "cluster.local"
    service_cidrs: tuple[Network, ...] = (ip_network("10.96.0.0/12"),)
    #: The cluster's pod CIDRs (kube-controller-manager --cluster-cidr).
    pod_cidrs: tuple[Network, ...] = (ip_network("10.244.0.0/16"),)
    #: "overlay" or "routed" when no IPPool says.
    encapsulation: str = "overlay"
    #: Can hosts outside the cluster route to pod IPs? None: decided by the pools/encapsulation.
    pods_routable_from_outside: bool | None = None
    masquerade: MasqueradeConfig = MasqueradeConfig()
    #: kubelet clusterDNS; empty = the ClusterIPs of kube-system/kube-dns when present.
    cluster_dns: tuple[IP, ...] = ()
    node_search: tuple[str, ...] = ()
    node_nameservers: tuple[str, ...] = ()
    #: CoreDNS "pods" mode: insecure, verified or disabled.
    dns_pods: str = "insecure"
    #: The cluster DNS a lookup goes to when the input has none: coredns, openshift or
    #: assumed (see verifier.semantics.dns.profiles).
    dns_profile: str = "coredns"
    #: Where kube-apiserver runs, for the implicit ``default/kubernetes`` Service; empty: the
    #: control-plane nodes (see verifier.semantics.infrastructure).
    api_server_addresses: tuple[IP, ...] = ()
    #: Do ipBlocks match pod IPs? "calico" (by IP, reference) or "cilium" (never).
    ipblock_matches_pods: bool = True
    #: Felix DefaultEndpointToHostAction: Accept (reference) or Drop.
    endpoint_to_host: str = "Accept"
    node_port_range: tuple[int, int] = (30000, 32767)
    #: Names outside the cluster that the upstream resolver answers, name -> IPs.
    external_names: tuple[tuple[str, tuple[IP, ...]], ...] = ()
    source: Source = UNKNOWN_SOURCE

    kind = "ClusterNetwork"


@dataclass(frozen=True, slots=True)
class Inference:
    """Something the loader read from the evidence because no configuration said it.

    ``what`` names the :class:`ClusterNetwork` field (``serviceCIDRs``, ``podCIDRs``,
    ``clusterDomain``) or ``families``, so a user who disagrees knows what to pin;
    ``value`` is what was inferred and ``evidence`` what it was inferred from.

    >>> str(Inference("serviceCIDRs", "172.20.0.0/16", "the cluster IPs of 3 Services"))
    'serviceCIDRs: 172.20.0.0/16 (from the cluster IPs of 3 Services)'
    """

    what: str
    value: str
    evidence: str
    #: The object that decided it, when one did.
    source: Source | None = None

    def __str__(self) -> str:
        return f"{self.what}: {self.value} (from {self.evidence})"

    def to_dict(self) -> dict[str, str]:
        return {"what": self.what, "value": self.value, "evidence": self.evidence}


@dataclass(frozen=True, slots=True)
class Ignore:
    """The ``netverify.dev/ignore`` annotation of one object: the properties whose
    counterexamples about it are known and accepted (``*``: every property).

    A workload's entry merges its own annotation and its pod template's, which its
    pods carry.

    >>> Ignore("Service", "monitoring", "prometheus-k8s", frozenset({"service-resolution"})).covers("isolation")
    False
    """

    kind: str
    namespace: str | None
    name: str
    properties: frozenset[str]
    #: ``netverify.dev/ignore-reason``, when written.
    reason: str | None = None
    source: Source = UNKNOWN_SOURCE

    @property
    def ref(self) -> str:
        return (
            f"{self.kind} {self.namespace}/{self.name}"
            if self.namespace
            else f"{self.kind} {self.name}"
        )

    def covers(self, prop: str) -> bool:
        return "*" in self.properties or prop in self.properties


@dataclass(frozen=True, slots=True)
class OperatorWorkload:
    """A custom resource whose operator creates pods (a ``monitoring.coreos.com/v1``
    ``Prometheus``, ...): those pods are never in a repository of manifests.

    ``pod_labels`` are the labels the operator gives them (see
    :mod:`verifier.ingest.operators`).
    """

    api_version: str
    kind: str
    namespace: str
    name: str
    pod_labels: Labels = Labels()
    source: Source = UNKNOWN_SOURCE

    def __str__(self) -> str:
        return f"{self.api_version} {self.kind} {self.name}"

    def makes_pods_for(self, namespace: str, selector: Mapping[str, str] | None) -> bool:
        """Would a Service of ``namespace`` with ``selector`` select the pods this resource makes?"""
        return (
            bool(selector)
            and namespace == self.namespace
            and all(self.pod_labels.get(k) == v for k, v in (selector or {}).items())
        )


# --------------------------------------------------------------------------- the cluster


@dataclass(frozen=True)
class Cluster:
    """A whole cluster state. Build it with :func:`verifier.load`.

    Collections are tuples in input order; the ``*_by_*`` indexes are computed once.
    """

    namespaces: tuple[Namespace, ...] = ()
    nodes: tuple[Node, ...] = ()
    pods: tuple[Pod, ...] = ()
    services: tuple[Service, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    policies: tuple[NetworkPolicy, ...] = ()
    #: AdminNetworkPolicies and the BaselineAdminNetworkPolicy.
    admin_policies: tuple[AdminNetworkPolicy, ...] = ()
    #: Calico NetworkPolicies and GlobalNetworkPolicies (projectcalico.org/v3).
    calico_policies: tuple[CalicoPolicy, ...] = ()
    tiers: tuple[Tier, ...] = ()
    ip_pools: tuple[IPPool, ...] = ()
    service_cidr_objects: tuple[ServiceCIDR, ...] = ()
    config: ClusterNetwork = ClusterNetwork()
    #: Kinds that were in the input but mean nothing to the network model, with counts.
    skipped: tuple[tuple[str, int], ...] = ()
    #: Non-fatal findings from loading (missing namespaces, ...).
    warnings: tuple = ()
    #: The objects that were skipped, as (kind, "ns/name", source), for ``-v``.
    skipped_objects: tuple = field(default=(), repr=False)
    #: What ``config`` holds because the evidence showed it, not because a
    #: ClusterNetwork or ServiceCIDR object said it (see docs/cluster-network.md).
    inferred: tuple[Inference, ...] = ()
    #: Objects annotated ``netverify.dev/ignore`` (see :class:`Ignore`).
    ignores: tuple[Ignore, ...] = ()
    #: Custom resources whose operator makes pods the input does not hold.
    operator_workloads: tuple[OperatorWorkload, ...] = ()

    # ----- lookups

    @cached_property
    def ignore_by_object(self) -> dict[tuple[str, str | None, str], Ignore]:
        """``(kind, namespace, name)`` -> the object's ``netverify.dev/ignore`` annotation."""
        return {(i.kind, i.namespace, i.name): i for i in self.ignores}

    @cached_property
    def namespace_by_name(self) -> dict[str, Namespace]:
        return {n.name: n for n in self.namespaces}

    @cached_property
    def node_by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    @cached_property
    def pod_by_ref(self) -> dict[str, Pod]:
        return {p.ref: p for p in self.pods}

    @cached_property
    def service_by_ref(self) -> dict[str, Service]:
        return {s.ref: s for s in self.services}

    @cached_property
    def pods_by_namespace(self) -> dict[str, tuple[Pod, ...]]:
        out: dict[str, list[Pod]] = {}
        for p in self.pods:
            out.setdefault(p.namespace, []).append(p)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def slices_by_service(self) -> dict[str, tuple[EndpointSlice, ...]]:
        out: dict[str, list[EndpointSlice]] = {}
        for s in self.endpoint_slices:
            if s.service_name:
                out.setdefault(f"{s.namespace}/{s.service_name}", []).append(s)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def policies_by_namespace(self) -> dict[str, tuple[NetworkPolicy, ...]]:
        out: dict[str, list[NetworkPolicy]] = {}
        for p in self.policies:
            out.setdefault(p.namespace, []).append(p)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def pod_by_ip(self) -> dict[IP, Pod]:
        """IP -> the live pod-network pod holding it (hostNetwork pods hold their node's IPs)."""
        out: dict[IP, Pod] = {}
        for p in self.live_pods:
            if not p.host_network:
                for ip in p.ips:
                    out.setdefault(ip, p)
        return out

    @cached_property
    def node_by_ip(self) -> dict[IP, Node]:
        out: dict[IP, Node] = {}
        for n in self.nodes:
            for ip in n.ips:
                out.setdefault(ip, n)
        return out

    @cached_property
    def live_pods(self) -> tuple[Pod, ...]:
        """Pods that hold their IP: not terminal (semantics.md §1.4)."""
        return tuple(p for p in self.pods if not p.terminal)

    @cached_property
    def service_cidrs(self) -> tuple[Network, ...]:
        """ServiceCIDR objects when present, else the ClusterNetwork configuration."""
        if self.service_cidr_objects:
            return tuple(c for s in self.service_cidr_objects for c in s.cidrs)
        return self.config.service_cidrs

    @cached_property
    def pod_cidrs(self) -> tuple[Network, ...]:
        """Every range pods take addresses from: IP pools, node podCIDRs, cluster CIDRs."""
        return tuple(
            dict.fromkeys(
                (
                    *(p.cidr for p in self.ip_pools if "Workload" in p.allowed_uses),
                    *(c for n in self.nodes for c in n.pod_cidrs),
                    *self.config.pod_cidrs,
                )
            )
        )

    @cached_property
    def families(self) -> tuple[int, ...]:
        """The address families the cluster runs (4, 6 or both)."""
        fams = {c.version for c in self.pod_cidrs} | {a.version for p in self.pods for a in p.ips}
        return tuple(sorted(fams)) or (4,)

    @property
    def dual_stack(self) -> bool:
        return len(self.families) == 2

    # ----- lookups by name (the model imports nothing above it: the engine, proofs and
    # matrix are verifier.trace / verifier.check / verifier.matrix)

    def workload_pods(self, ref: str) -> tuple[Pod, ...]:
        """The live pods of the workload ``"ns/name"`` (Deployment, StatefulSet, DaemonSet, ...), by name.

        Matches pods owned by ``<Kind>/name`` or by a ReplicaSet ``name-<hash>``.
        """
        ns, _, name = ref.partition("/")
        out = []
        for p in self.pods_by_namespace.get(ns, ()):
            kind, _, owner = (p.owner or "").partition("/")
            if p.terminal or not owner:
                continue
            if owner == name or (kind == "ReplicaSet" and owner.rsplit("-", 1)[0] == name):
                out.append(p)
        return tuple(sorted(out, key=lambda p: p.name))

    def pod(self, ref: str) -> Pod:
        """The pod ``"namespace/name"``; raises :class:`~verifier.errors.UsageError`."""
        from .errors import UsageError

        try:
            return self.pod_by_ref[ref]
        except KeyError:
            ns = ref.split("/", 1)[0] if "/" in ref else None
            if ns is None:
                raise UsageError(f"pod must be given as namespace/name, got {ref!r}") from None
            names = sorted(p.name for p in self.pods_by_namespace.get(ns, ()))
            if not names:
                known = ", ".join(sorted(self.pods_by_namespace)) or "none"
                raise UsageError(
                    f"unknown pod {ref!r}: no pods in namespace {ns!r} (namespaces with pods: {known})"
                ) from None
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            raise UsageError(f"unknown pod {ref!r} (pods in {ns}: {shown})") from None
