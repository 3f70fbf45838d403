"""The journey of a packet: every way a client's connection can go, written once (semantics.md §10).

A client (a pod, a hostNetwork pod, a node, or an outside host) sends to an
address, port and protocol. What happens next is decided here and nowhere else:

* which **entry** the packet hits (:func:`entries`): a Service frontend
  (ClusterIP, NodePort, externalIP, LoadBalancer IP) or a hostPort, with the
  Service first where both claim one ``ip:port/protocol``; or none, and the
  packet goes to its destination address directly;
* which node **translates** it: the client's own node for what the client's
  kube-proxy (or portmap) captures; the node owning the address for another
  node's NodePort or hostPort, translated on arrival after the client's egress
  policy saw the untranslated packet; for an outside host reaching an
  externalIP or LoadBalancer IP, *any* node the network delivers it to (a
  nondeterministic choice, one path per node);
* the translation's outcome (REJECT, DROP or DNAT to each candidate backend),
  the node that **masquerades** (kube-proxy) and the node the packet is routed
  from afterwards;
* whether the destination can be **routed to** at all (the route step of
  :func:`~verifier.semantics.pipeline.flow`): outside hosts have no entry at
  ClusterIPs and reach pod IPs only when the pod network is routed
  (:func:`~verifier.semantics.addressing.outside_reaches_pods`); an address in a
  Service range that no frontend answers is never delivered.

:func:`plan` answers for one concrete destination (the engine's question);
:func:`entries` lists what a client can address, so the Z3 encoder and the
properties enumerate the same paths; :func:`evaluate` runs the rules along one
path (the client's egress policy on the untranslated packet where it applies,
then :func:`~verifier.semantics.pipeline.flow`) in any algebra; and
:func:`direct_guard` says, in the algebra, when a packet to a symbolic address
hits no entry and goes directly.

>>> from verifier.model import Cluster, Pod, Service, ServicePort, Labels, ip_address
>>> web = Pod(namespace="x", name="web", labels=Labels({"app": "web"}), node_name="n1",
...           ips=(ip_address("10.244.1.5"),))
>>> a = Pod(namespace="x", name="a", node_name="n1", ips=(ip_address("10.244.1.6"),))
>>> svc = Service(namespace="x", name="web", selector=Labels({"app": "web"}),
...               cluster_ips=(ip_address("10.96.0.20"),), ip_families=(4,),
...               ports=(ServicePort(80, target_port=8080),))
>>> c = Cluster(pods=(web, a), services=(svc,))
>>> j = plan(c, Client.of_pod(c, a), ip_address("10.96.0.20"), 80, "TCP")
>>> j.outcome, [(str(p.dst_ip), p.dst_port, str(p.destination)) for p in j.paths]
('forward', [('10.244.1.5', 8080, 'x/web')])
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from ..model import IP, Cluster, Node
from . import policy
from ._cache import per_cluster
from .addressing import endpoint_for_ip, endpoint_of_backend
from .algebra import Algebra, Packet, Term
from .endpoint import Endpoint, NodeEndpoint, PodEndpoint
from .hostports import HostPortMapping, host_network_listener, host_ports
from .pipeline import Client, FlowDecision, flow
from .services import (
    CLUSTER_IP,
    DNAT,
    LOAD_BALANCER,
    NODE_PORT,
    Backend,
    Frontend,
    Translation,
    frontend_index,
    service_endpoints,
    service_ranges,
    translate,
    unserved,
)

__all__ = [
    "FORWARD",
    "NO_ROUTE",
    "NO_SERVICE_PORT",
    "HOST_PORT",
    "Entry",
    "Path",
    "Journey",
    "PathDecision",
    "entries",
    "entries_at",
    "entries_reaching",
    "plan",
    "evaluate",
    "direct_guard",
    "translated_paths",
    "translated_paths_to",
    "destination_key",
    "source_ranges",
    "entry_source_ranges",
]

#: Journey outcomes besides the Service ones (services.REJECT, services.DROP).
FORWARD = "forward"
NO_ROUTE = "NO_ROUTE"
#: A Service-range address on a port/protocol no Service port defines (services.unserved).
NO_SERVICE_PORT = "NO_SERVICE_PORT"
#: Entry kind of a hostPort (Service entries use the frontend kinds).
HOST_PORT = "hostPort"


@dataclass(frozen=True, slots=True)
class Entry:
    """An ``ip:port/protocol`` that some node translates: a Service frontend or a hostPort."""

    ip: IP
    port: int
    protocol: str
    #: ClusterIP, NodePort, ExternalIP, LoadBalancer or hostPort.
    kind: str
    #: The Service frontend, or the hostPort mapping.
    target: Frontend | HostPortMapping
    #: The node owning the address (NodePort and hostPort), else None.
    node: str | None = None

    @property
    def family(self) -> int:
        return self.ip.version

    def __str__(self) -> str:
        if self.kind == HOST_PORT:
            return str(self.target)
        return str(self.target)


@dataclass(frozen=True, slots=True)
class Path:
    """One way a packet goes: what the client addressed, where it was translated, who receives it.

    ``dst_ip``/``dst_port`` are the destination after translation (the
    backend; for a direct path the address itself, or None when the caller's
    destination is symbolic).
    """

    destination: Endpoint
    dst_ip: IP | None
    dst_port: int | None
    #: None for a direct path.
    entry: Entry | None = None
    #: kube-proxy's decision (Service entries), for the explanation.
    translation: Translation | None = None
    backend: Backend | None = None
    #: The node that translated (None: a direct path).
    dnat_node: Node | None = None
    #: Translated on arrival at another node: the client's egress policy saw the entry address.
    pre_dnat: bool = False
    #: kube-proxy masquerades here (the destination sees this node unless it runs on it).
    masquerade_node: Node | None = None
    #: Where the (translated) packet is routed from; None: the client's own node.
    route_from: Node | None = None
    #: FORWARD, or why the packet stops (services.REJECT, services.DROP, NO_ROUTE, NO_SERVICE_PORT).
    outcome: str = FORWARD
    reason: str | None = None

    @property
    def via_service(self) -> bool:
        return self.entry is not None and self.entry.kind != HOST_PORT

    @property
    def kind(self) -> str:
        return "direct" if self.entry is None else self.entry.kind

    @property
    def backend_pod(self):
        return (
            self.backend.pod if self.backend is not None else getattr(self.destination, "pod", None)
        )

    def describe(self) -> str:
        if self.entry is None:
            d = self.destination
            if isinstance(d, PodEndpoint):
                return "directly to the pod IP"
            if isinstance(d, NodeEndpoint):
                return f"directly to node {d.node.name}'s address"
            return "directly to the outside address"
        e = self.entry
        ip = f"[{e.ip}]" if e.ip.version == 6 else str(e.ip)
        if e.kind == HOST_PORT:
            return f"through hostPort {ip}:{e.port}/{e.protocol} on node {e.node}"
        # A NodePort names its node; say where an externalIP or LB address was translated.
        shown = self.dnat_node is not None and e.kind in ("ExternalIP", "LoadBalancer")
        where = f" (translated on node {self.dnat_node.name})" if shown else ""
        return (
            f"through {e.kind} {ip}:{e.port}/{e.protocol} of Service {e.target.service.ref}{where}"
        )


@dataclass(frozen=True, slots=True)
class Journey:
    """Every path a client's packet to one ``ip:port/protocol`` may take."""

    entry: Entry | None
    #: FORWARD when some path carries the packet on; else the reason it stops everywhere.
    outcome: str
    paths: tuple[Path, ...]
    #: (translating node, kube-proxy's Translation or the hostPort mapping), in path order.
    translations: tuple[tuple[Node | None, Any], ...] = ()
    reason: str | None = None


# --------------------------------------------------------------------------- what a client can address


@per_cluster
def _service_entries(cluster: Cluster, family: int) -> dict[tuple[IP, int, str], Entry]:
    """Every Service entry of ``family``: a VIP kind before a NodePort on the same address."""
    out: dict[tuple[IP, int, str], Entry] = {}
    for key, fronts in frontend_index(cluster).items():
        if key[0].version != family:
            continue
        vips = [f for f in fronts if f.kind != NODE_PORT]
        first = vips[0] if vips else fronts[0]
        out[key] = Entry(first.ip, first.port, first.protocol, first.kind, first, first.node)
    return out


@per_cluster
def _host_port_entries(cluster: Cluster, family: int) -> dict[tuple[IP, int, str], Entry]:
    out: dict[tuple[IP, int, str], Entry] = {}
    for m in host_ports(cluster):
        if m.node_ip.version == family:
            # The scheduler keeps (hostIP, hostPort, protocol) unique per node; if the
            # input breaks that, the first pod's rule wins (hostports.match_host_port).
            out.setdefault(
                (m.node_ip, m.host_port, m.protocol),
                Entry(m.node_ip, m.host_port, m.protocol, HOST_PORT, m, m.node),
            )
    return out


def entries(cluster: Cluster, client: Client, family: int) -> dict[tuple[IP, int, str], Entry]:
    """What ``client`` can address that some node translates, keyed by ``(ip, port, protocol)``.

    Services win over hostPorts on the same address (kube-proxy's chains come
    first). Outside hosts have no route to ClusterIPs, so those are not theirs.

    >>> from verifier.model import Cluster
    >>> entries(Cluster(), Client.outside(), 4)
    {}
    """
    return _entries(cluster, family, client.kind == "external")


@per_cluster
def _entries(cluster: Cluster, family: int, outside: bool) -> dict[tuple[IP, int, str], Entry]:
    out = dict(_host_port_entries(cluster, family))
    for key, e in _service_entries(cluster, family).items():
        if outside and e.kind == CLUSTER_IP:
            continue
        out[key] = e
    return out


def entries_at(
    cluster: Cluster, client: Client, family: int
) -> dict[IP, list[tuple[IP, int, str]]]:
    """The keys of :func:`entries`, grouped by address."""
    return _entries_at(cluster, family, client.kind == "external")


@per_cluster
def _entries_at(
    cluster: Cluster, family: int, outside: bool
) -> dict[IP, list[tuple[IP, int, str]]]:
    """The keys of :func:`entries`, grouped by address."""
    out: dict[IP, list[tuple[IP, int, str]]] = {}
    for key in _entries(cluster, family, outside):
        out.setdefault(key[0], []).append(key)
    return out


# --------------------------------------------------------------------------- one destination


def plan(cluster: Cluster, client: Client, dst_ip: IP, dst_port: int, protocol: str) -> Journey:
    """Every path a packet from ``client`` to ``dst_ip:dst_port/protocol`` may take (concrete).

    >>> from verifier.model import Cluster, ip_address
    >>> plan(Cluster(), Client.outside(ip_address("203.0.113.9")), ip_address("10.96.0.1"), 443, "TCP").entry is None
    True
    """
    entry = entries(cluster, client, dst_ip.version).get((dst_ip, dst_port, protocol))
    if entry is not None:
        return _translated(cluster, client, entry)
    destination = endpoint_for_ip(cluster, dst_ip)
    # Inside the cluster the Service range is kube-proxy's: a port no Service defines
    # there is never delivered. Outside hosts have no route to it at all (addressing.route).
    stop = unserved(cluster, dst_ip, dst_port, protocol) if client.kind != "external" else None
    if stop is not None:
        _svc, why = stop
        path = Path(destination, dst_ip, dst_port, outcome=NO_SERVICE_PORT, reason=why)
        return Journey(None, NO_SERVICE_PORT, (path,), reason=why)
    if isinstance(destination, NodeEndpoint) and destination.pod is None:
        # Name who answers on the node's address (display only: policy sees the node).
        listener = host_network_listener(cluster, destination.node.name, dst_port, protocol)
        if listener is not None:
            destination = NodeEndpoint(destination.node, listener)
    return Journey(None, FORWARD, (Path(destination, dst_ip, dst_port),))


def _translating_nodes(cluster: Cluster, client: Client, entry: Entry) -> list[Node | None]:
    """Where the packet is translated: the client's node, the entry's node, or any receiving node."""
    if entry.node is not None:  # NodePort, hostPort: the node owning the address
        return [cluster.node_by_name.get(entry.node) or Node(entry.node)]
    if client.node is not None:
        return [client.node]
    # An outside host reaching an externalIP or LoadBalancer IP: whichever node the
    # network hands it to. A load balancer of an eTP=Local Service health-checks the
    # nodes and only sends to those with local endpoints (translate() drops at the others).
    return list(cluster.nodes) or [None]


def _translated(cluster: Cluster, client: Client, entry: Entry) -> Journey:
    family = entry.family
    paths: list[Path] = []
    translations: list[tuple[Node | None, Any]] = []
    for at in _translating_nodes(cluster, client, entry):
        here = client.node is not None and at is not None and at.name == client.node.name
        pre_dnat = not here and client.kind != "external"
        if entry.kind == HOST_PORT:
            m: HostPortMapping = entry.target
            ip, port = m.target
            translations.append((at, m))
            paths.append(
                Path(
                    PodEndpoint(m.pod),
                    ip,
                    port,
                    entry,
                    None,
                    None,
                    at,
                    pre_dnat,
                    None,
                    at,
                )
            )
            continue
        kind = client.kind if here or client.kind == "external" else "remote"
        t = translate(
            cluster,
            kind,
            at.name if at is not None else None,
            entry.ip,
            entry.port,
            entry.protocol,
            client_ip=client.ip(family),
        )
        if t is None:  # pragma: no cover - entries() only lists what translate() matches
            raise AssertionError(f"no translation for {entry} on {at}")
        if (
            entry.kind == "LoadBalancer"
            and client.kind == "external"
            and t.policy == "Local"
            and t.outcome != DNAT
        ):
            continue  # the load balancer does not send to nodes without local endpoints
        translations.append((at, t))
        if t.outcome != DNAT:
            paths.append(
                Path(
                    endpoint_for_ip(cluster, entry.ip),
                    entry.ip,
                    entry.port,
                    entry,
                    t,
                    None,
                    at,
                    pre_dnat,
                    outcome=t.outcome,
                    reason=t.reason,
                )
            )
            continue
        for b in t.backends:
            destination = endpoint_of_backend(cluster, b.pod, b.ip)
            paths.append(
                Path(
                    destination,
                    b.ip,
                    b.port,
                    entry,
                    t,
                    b,
                    at,
                    pre_dnat,
                    at if b.masquerade else None,
                    at,
                )
            )
    if not translations:  # an eTP=Local load balancer with no local endpoint anywhere
        t = translate(cluster, "external", None, entry.ip, entry.port, entry.protocol)
        translations.append((None, t))
        paths.append(
            Path(
                endpoint_for_ip(cluster, entry.ip),
                entry.ip,
                entry.port,
                entry,
                t,
                outcome=t.outcome,
                reason=t.reason,
            )
        )
    outcome = FORWARD if any(p.outcome == FORWARD for p in paths) else paths[0].outcome
    return Journey(
        entry,
        outcome,
        tuple(paths),
        tuple(translations),
        None if outcome == FORWARD else paths[0].reason,
    )


def translated_paths(cluster: Cluster, client: Client, family: int) -> tuple[Path, ...]:
    """Every path through an entry ``client`` can address that carries the packet on (computed once
    per kind of client, node and address)."""
    memo = _paths_memo(cluster)
    key = (client.kind, client.node.name if client.node else None, client.ip(family), family)
    found = memo.get(key)
    if found is None:
        out: list[Path] = []
        for entry in entries(cluster, client, family).values():
            out.extend(p for p in _translated(cluster, client, entry).paths if p.outcome == FORWARD)
        found = memo[key] = tuple(out)
    return found


def destination_key(destination: Endpoint) -> tuple:
    """Who receives: a pod, a node's host network, or the outside (for indexing paths)."""
    if isinstance(destination, PodEndpoint):
        return ("pod", destination.pod.ref)
    if isinstance(destination, NodeEndpoint):
        return ("node", destination.node.name)
    return ("outside",)


def translated_paths_to(
    cluster: Cluster, client: Client, family: int, destination: tuple
) -> tuple[Path, ...]:
    """:func:`translated_paths` that end at ``destination`` (a :func:`destination_key`).

    Only the entries that may lead there are translated (:func:`entries_reaching`),
    unless every path of the client is known already.
    """
    memo = _paths_memo(cluster)
    client_key = (client.kind, client.node.name if client.node else None, client.ip(family), family)
    every = memo.get(client_key)
    if every is not None:
        index = memo.get(("by destination", *client_key))
        if index is None:
            grouped: dict[tuple, list[Path]] = {}
            for p in every:
                grouped.setdefault(destination_key(p.destination), []).append(p)
            index = memo[("by destination", *client_key)] = {
                k: tuple(v) for k, v in grouped.items()
            }
        return index.get(destination, ())
    key = ("to", *client_key, destination)
    found = memo.get(key)
    if found is None:
        found = memo[key] = tuple(
            p
            for entry in entries_reaching(cluster, family, client.kind == "external").get(
                destination, ()
            )
            for p in _translated(cluster, client, entry).paths
            if p.outcome == FORWARD and destination_key(p.destination) == destination
        )
    return found


@per_cluster
def entries_reaching(cluster: Cluster, family: int, outside: bool) -> dict[tuple, list[Entry]]:
    """destination key -> the entries (in :func:`entries` order) whose translation may deliver
    there: a hostPort to its pod; a Service address to any endpoint of any Service with a
    frontend at that address, port and protocol (kube-proxy's match decides which)."""
    reaching: dict[str, set[tuple]] = {}
    for svc in cluster.services:
        reaching[svc.ref] = {
            destination_key(endpoint_of_backend(cluster, ep.pod, ep.ip))
            for ep in service_endpoints(cluster, svc, family)
        }
    fronts = frontend_index(cluster)
    out: dict[tuple, list[Entry]] = {}
    for key, entry in _entries(cluster, family, outside).items():
        if entry.kind == HOST_PORT:
            ends = {destination_key(PodEndpoint(entry.target.pod))}
        else:
            ends = set().union(*(reaching[f.service.ref] for f in fronts.get(key, ())))
        for end in ends:
            out.setdefault(end, []).append(entry)
    return out


@per_cluster
def _paths_memo(cluster: Cluster) -> dict:
    return {}


# --------------------------------------------------------------------------- the rules along a path


@dataclass(frozen=True, slots=True)
class PathDecision:
    """Every rule's say along one path: the egress policy on the untranslated packet, then the flow."""

    path: Path
    #: The client's egress decision on the packet to the entry (translated on arrival elsewhere).
    pre_dnat_egress: policy.Decision | None
    flow: FlowDecision | None
    #: Does the Service's loadBalancerSourceRanges admit the source? None: no firewall here.
    source_admitted: Term | None = None

    def allowed(self, alg: Algebra) -> Term:
        if self.path.outcome != FORWARD or self.flow is None:
            return alg.false
        firewall = alg.true if self.source_admitted is None else self.source_admitted
        first = alg.true if self.pre_dnat_egress is None else self.pre_dnat_egress.allowed(alg)
        return alg.and_(firewall, first, self.flow.allowed(alg))


def source_ranges(path: Path) -> tuple | None:
    """The loadBalancerSourceRanges guarding ``path``, or None when nothing filters its sources.

    kube-proxy puts a firewall chain in front of a LoadBalancer IP whose Service lists
    source ranges of the IP's family, and drops every other source (semantics.md §6.2);
    ranges of the other family only are ignored, as kube-proxy filters them per family.
    """
    if path.entry is None or path.outcome != FORWARD:
        return None
    return entry_source_ranges(path.entry) or None


def entry_source_ranges(entry: Entry) -> tuple:
    """The loadBalancerSourceRanges of ``entry``'s own family when it is a LoadBalancer IP
    (kube-proxy filters each family by its own ranges), else ()."""
    if entry.kind != LOAD_BALANCER:
        return ()
    ranges = entry.target.service.load_balancer_source_ranges
    return tuple(n for n in ranges if n.version == entry.family)


def pre_dnat_packet(path: Path, packet: Packet, alg: Algebra) -> Packet:
    """The packet as the client sent it: to the entry's address and port."""
    assert path.entry is not None
    return packet.with_(dst_ip=alg.ip(path.entry.ip), dst_port=alg.port(path.entry.port))


def evaluate(
    alg: Algebra, cluster: Cluster, client: Client, path: Path, packet: Packet
) -> PathDecision:
    """The rules along ``path`` for the post-translation ``packet`` (its ``dst_ip``/``dst_port``
    are the backend's on a translated path)."""
    if path.outcome != FORWARD:
        return PathDecision(path, None, None)
    pre = None
    if path.pre_dnat:
        node = path.dnat_node
        pre = policy.egress(
            alg,
            cluster,
            client.endpoint,
            NodeEndpoint(node) if node is not None else path.destination,
            pre_dnat_packet(path, packet, alg),
        )
    decision = flow(
        alg,
        cluster,
        client,
        path.destination,
        packet,
        via_service=path.via_service,
        masquerade_node=path.masquerade_node,
        egress_checked=path.pre_dnat,
        from_node=path.route_from,
    )
    ranges = source_ranges(path)
    admitted = None if ranges is None else alg.or_(*(alg.in_cidr(packet.src_ip, n) for n in ranges))
    return PathDecision(path, pre, decision, admitted)


@per_cluster
def pods_in_service_ranges(cluster: Cluster, family: int) -> bool:
    """May some pod's address of ``family`` lie in a Service range? A client inside the cluster
    then reaches that pod only through a Service (:func:`direct_guard`), never at its address."""
    ranges = [n for n in service_ranges(cluster) if n.version == family]
    return any(
        n.overlaps(r) for n in cluster.pod_cidrs if n.version == family for r in ranges
    ) or any(
        ip in r
        for p in cluster.live_pods
        for ip in p.ips
        for r in ranges
        if ip.version == r.version
    )


def direct_guard(
    alg: Algebra, cluster: Cluster, client: Client, packet: Packet, may_be=None
) -> Term:
    """The packet hits no entry of ``client``: it goes to its destination address directly
    (never, for a client inside the cluster, to an address in a Service range: kube-proxy's).

    ``may_be(ip)`` says whether the destination can have address ``ip`` (an
    optimisation: entries at addresses it cannot have are left out; None: all).
    """
    terms = []
    if isinstance(packet.dst_ip, (IPv4Address, IPv6Address)):
        # A concrete destination hits only the entries at its own address.
        keys = _entries_at(cluster, packet.family, client.kind == "external").get(packet.dst_ip, ())
    else:
        keys = entries(cluster, client, packet.family)
    for ip, port, protocol in keys:
        if may_be is not None and not may_be(ip):
            continue
        terms.append(
            alg.and_(
                alg.eq(packet.dst_ip, alg.ip(ip)),
                alg.eq(packet.dst_port, alg.port(port)),
                alg.eq(packet.protocol, alg.protocol(protocol)),
            )
        )
    if client.kind != "external":
        # Inside the cluster the Service range is kube-proxy's: an address there that no entry
        # matched is never delivered, even one a pod holds (services.unserved, as plan() says).
        terms.extend(
            alg.in_cidr(packet.dst_ip, n)
            for n in service_ranges(cluster)
            if n.version == packet.family
        )
    return alg.not_(alg.or_(*terms))
