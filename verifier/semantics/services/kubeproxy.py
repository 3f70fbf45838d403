"""kube-proxy (iptables mode, ``masqueradeAll=false``): frontends, endpoint choice, DNAT and masquerade (semantics.md §6.4-6.5).

* :func:`candidates`: the endpoints kube-proxy may pick for one service port (§6.4).
* :func:`frontends` / :func:`frontend_index`: every ``address:port/protocol``
  a Service answers on (ClusterIP, NodePort, externalIP, LoadBalancer).
* :func:`translate`: kube-proxy's verdict on one connection: REJECT, DROP or
  DNAT to the candidate backends, each with its masquerade flag (§6.5).

>>> from verifier.model import Cluster, Pod, Service, ServicePort, Labels, ip_address
>>> web = Pod(namespace="x", name="web", labels=Labels({"app": "web"}), node_name="n1",
...           ips=(ip_address("10.244.1.5"),))
>>> svc = Service(namespace="x", name="web", selector=Labels({"app": "web"}),
...               cluster_ips=(ip_address("10.96.0.20"),), ip_families=(4,),
...               ports=(ServicePort(80, target_port=8080),))
>>> c = Cluster(pods=(web,), services=(svc,))
>>> t = translate(c, "pod", "n1", ip_address("10.96.0.20"), 80, "TCP")
>>> t.outcome, [(str(b.ip), b.port, b.masquerade) for b in t.backends]
('DNAT', [('10.244.1.5', 8080, False)])
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...model import IP, Cluster, Pod, Service, ServicePort, Source
from .._cache import per_cluster
from ..addressing import in_pod_ranges
from .endpointslices import ServiceEndpoint, service_endpoints

__all__ = [
    "CLIENT_KINDS",
    "CLUSTER_IP",
    "DNAT",
    "DROP",
    "EXTERNAL_IP",
    "LOAD_BALANCER",
    "NODE_PORT",
    "REJECT",
    "Backend",
    "Frontend",
    "Translation",
    "candidates",
    "frontend_index",
    "frontends",
    "in_service_range",
    "unserved",
    "match_frontend",
    "port_source",
    "service_ranges",
    "translate",
]

# Frontend kinds.
CLUSTER_IP = "ClusterIP"
NODE_PORT = "NodePort"
EXTERNAL_IP = "ExternalIP"
LOAD_BALANCER = "LoadBalancer"

# Translation outcomes (semantics.md §6.5).
DNAT = "DNAT"  # rewritten to one of ``backends``
REJECT = "REJECT"  # no usable endpoint at all: ICMP port-unreachable / TCP RST
DROP = "DROP"  # a Local traffic policy and no local endpoint: the client times out

#: How :func:`translate` may be told who sent the packet. ``remote`` = the packet
#: arrived from elsewhere in the cluster; the source address decides (pod range or not).
CLIENT_KINDS = ("pod", "node", "external", "remote")


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True, slots=True)
class Backend:
    """An endpoint kube-proxy may DNAT to: ``ip:port`` (the resolved target port)."""

    ip: IP
    port: int
    pod: Pod | None
    node_name: str | None
    endpoint: ServiceEndpoint
    #: Set by :func:`translate`: does kube-proxy masquerade a connection to this backend?
    masquerade: bool = False
    masquerade_reason: str | None = None

    def __str__(self) -> str:
        who = self.pod.ref if self.pod is not None else str(self.ip)
        return f"{who} {self.ip}:{self.port}"


@per_cluster
def _candidates(
    cluster: Cluster,
    service: Service,
    service_port: ServicePort,
    family: int,
    node_name: str | None,
    local: bool,
) -> tuple[Backend, ...]:
    usable: dict[tuple[IP, int], ServiceEndpoint] = {}
    for ep in service_endpoints(cluster, service, family):
        port = ep.port_for(service_port)
        if port is None:
            continue
        key = (ep.ip, port)
        # kube-proxy de-duplicates ip:port across slices, preferring the copy
        # that is local to the node it runs on (EndpointSliceCache.addEndpoints).
        if key not in usable or (node_name is not None and ep.node_name == node_name):
            usable[key] = ep
    pool = [(k, e) for k, e in usable.items() if not local or e.node_name == node_name]
    # Ready endpoints; if there are none, fall back to serving-and-terminating
    # ones. For the Local set the fallback is computed on the local endpoints
    # alone (pkg/proxy/topology.go CategorizeEndpoints).
    chosen = [(k, e) for k, e in pool if e.ready] or [
        (k, e) for k, e in pool if e.serving and e.terminating
    ]
    return tuple(Backend(ip, port, e.pod, e.node_name, e) for (ip, port), e in chosen)


def candidates(
    cluster: Cluster,
    service: Service,
    service_port: ServicePort,
    family: int,
    *,
    node_name: str | None = None,
    local: bool = False,
) -> tuple[Backend, ...]:
    """The endpoints kube-proxy may choose for one service port and family (§6.4).

    Ready endpoints that have a port for ``service_port``; if there are none
    anywhere, the serving-and-terminating ones. ``local=True`` restricts the
    set to endpoints on ``node_name`` first (the Local traffic-policy set, with
    its own fallback). The choice among candidates is nondeterministic.

    >>> from verifier.model import Labels, ip_address
    >>> old = Pod(namespace="x", name="old", labels=Labels({"app": "a"}), ips=(ip_address("10.244.0.9"),),
    ...           terminating=True)
    >>> s = Service(namespace="x", name="a", selector=Labels({"app": "a"}), ip_families=(4,),
    ...             ports=(ServicePort(80),))
    >>> [str(b) for b in candidates(Cluster(pods=(old,), services=(s,)), s, s.ports[0], 4)]
    ['x/old 10.244.0.9:80']
    """
    if local and node_name is None:
        raise ValueError("candidates(local=True) needs the node_name the Local set is computed for")
    return _candidates(cluster, service, service_port, family, node_name, local)


# --------------------------------------------------------------------------- frontends


def port_source(service: Service, service_port: ServicePort) -> Source:
    """The line of ``service_port`` in the Service manifest (the Service's own line if unknown)."""
    for sp, src in zip(service.ports, service.port_sources, strict=False):
        if sp == service_port:
            return src
    return service.source


@dataclass(frozen=True, slots=True)
class Frontend:
    """One ``ip:port/protocol`` a Service answers on."""

    ip: IP
    port: int
    protocol: str
    service: Service
    service_port: ServicePort
    #: ClusterIP, NodePort, ExternalIP or LoadBalancer.
    kind: str
    #: The node whose address this is (NodePort only).
    node: str | None = None

    @property
    def family(self) -> int:
        return self.ip.version

    @property
    def source(self) -> Source:
        return port_source(self.service, self.service_port)

    def __str__(self) -> str:
        ip = f"[{self.ip}]" if self.ip.version == 6 else str(self.ip)
        return f"{self.kind} {ip}:{self.port}/{self.protocol} of Service {self.service.ref}"


@per_cluster
def frontends(cluster: Cluster) -> tuple[Frontend, ...]:
    """Every address a Service answers on, in input order.

    kube-proxy programs each family separately and only for Services with a
    ClusterIP of that family, so a Service's NodePort, externalIPs and
    LoadBalancer IPs exist per family of its ClusterIPs (node IPs, externalIPs
    and LB IPs of another family are ignored). NodePorts are opened on every
    node IP. A LoadBalancer with ``allocateLoadBalancerNodePorts: false`` has a
    NodePort only if one was set explicitly (the API honours it). Headless and
    ExternalName Services have no frontends.

    >>> from verifier.model import ip_address
    >>> s = Service(namespace="x", name="a", cluster_ips=(ip_address("10.96.0.5"),), ports=(ServicePort(80),))
    >>> [str(f) for f in frontends(Cluster(services=(s,)))]
    ['ClusterIP 10.96.0.5:80/TCP of Service x/a']
    """
    out: list[Frontend] = []
    for svc in cluster.services:
        if svc.type == "ExternalName" or svc.headless:
            continue
        node_ports = svc.type in ("NodePort", "LoadBalancer")
        for vip in svc.cluster_ips:
            fam = vip.version
            for sp in svc.ports:
                out.append(Frontend(vip, sp.port, sp.protocol, svc, sp, CLUSTER_IP))
                if node_ports and sp.node_port:
                    for node in cluster.nodes:
                        for nip in node.ips:
                            if nip.version == fam:
                                out.append(
                                    Frontend(
                                        nip,
                                        sp.node_port,
                                        sp.protocol,
                                        svc,
                                        sp,
                                        NODE_PORT,
                                        node.name,
                                    )
                                )
                for eip in svc.external_ips:
                    if eip.version == fam:
                        out.append(Frontend(eip, sp.port, sp.protocol, svc, sp, EXTERNAL_IP))
                if svc.type == "LoadBalancer":
                    for lip in svc.load_balancer_ips:
                        if lip.version == fam:
                            out.append(Frontend(lip, sp.port, sp.protocol, svc, sp, LOAD_BALANCER))
    return tuple(out)


@per_cluster
def frontend_index(cluster: Cluster) -> dict[tuple[IP, int, str], tuple[Frontend, ...]]:
    """``(ip, port, protocol) -> frontends`` (several only when Services collide).

    >>> from verifier.model import ip_address
    >>> s = Service(namespace="x", name="a", cluster_ips=(ip_address("10.96.0.5"),), ports=(ServicePort(80),))
    >>> list(frontend_index(Cluster(services=(s,))))
    [(IPv4Address('10.96.0.5'), 80, 'TCP')]
    """
    out: dict[tuple[IP, int, str], list[Frontend]] = {}
    for f in frontends(cluster):
        out.setdefault((f.ip, f.port, f.protocol), []).append(f)
    return {k: tuple(v) for k, v in out.items()}


def match_frontend(
    cluster: Cluster, dst_ip: IP, dst_port: int, protocol: str, node: str | None = None
) -> tuple[Frontend, ...]:
    """The frontends kube-proxy on ``node`` matches for this destination, the one it uses first.

    ClusterIP, externalIP and LB rules come before the NodePort jump in the
    ``KUBE-SERVICES`` chain; NodePorts match only a local address of ``node``.
    More than one entry means Services collide on this address (the order
    among them is unspecified; the first is used).

    >>> from verifier.model import ip_address
    >>> match_frontend(Cluster(), ip_address("10.96.0.5"), 80, "TCP")
    ()
    """
    found = frontend_index(cluster).get((dst_ip, dst_port, protocol), ())
    vips = tuple(f for f in found if f.kind != NODE_PORT)
    node_ports = tuple(
        f for f in found if f.kind == NODE_PORT and node is not None and f.node == node
    )
    return vips + node_ports


# --------------------------------------------------------------------------- kube-proxy


@dataclass(frozen=True, slots=True)
class Translation:
    """kube-proxy's decision on one connection to a Service address (§6.5)."""

    #: DNAT, REJECT or DROP.
    outcome: str
    #: One sentence saying why (which rule of §6.5 applied).
    reason: str
    frontend: Frontend
    #: DNAT only: the backends one of which is chosen, each with its masquerade flag.
    backends: tuple[Backend, ...] = ()
    #: The node whose kube-proxy translated (None: unknown, e.g. an LB picking a node).
    node: str | None = None
    #: How kube-proxy classified the source: pod (local-traffic detector), node or external.
    client_kind: str = "pod"
    #: The endpoint set used: "Cluster" or "Local".
    policy: str = "Cluster"
    #: Other Services' frontends on the same ip:port/protocol (a collision).
    conflicts: tuple[Frontend, ...] = ()

    @property
    def service(self) -> Service:
        return self.frontend.service

    @property
    def service_port(self) -> ServicePort:
        return self.frontend.service_port

    @property
    def family(self) -> int:
        return self.frontend.family

    @property
    def session_affinity(self) -> str:
        """``None`` or ``ClientIP``; affinity pins a client to one backend but changes no verdict."""
        return self.service.session_affinity

    @property
    def sources(self) -> tuple[Source, ...]:
        """The manifest lines that decided: the service port, then each backend's slice or pod."""
        out = [self.frontend.source]
        for b in self.backends:
            src = b.endpoint.source
            if src is not None and src not in out:
                out.append(src)
        return tuple(out)

    def __str__(self) -> str:
        if self.outcome != DNAT:
            return f"{self.outcome}: {self.reason}"
        return f"DNAT {self.frontend} -> " + ", ".join(str(b) for b in self.backends)


def _local_set(
    cluster: Cluster, service: Service, service_port: ServicePort, family: int, node: str | None
) -> tuple[Backend, ...]:
    if node is not None:
        return candidates(cluster, service, service_port, family, node_name=node, local=True)
    # No node given (an outside client reaching an LB or VIP through "some"
    # node): a load balancer health-checks eTP=Local nodes and only sends to
    # nodes with local endpoints, so every node's local set is reachable.
    out: dict[tuple[IP, int], Backend] = {}
    names = {e.node_name for e in service_endpoints(cluster, service, family) if e.node_name}
    for name in sorted(names):
        for b in candidates(cluster, service, service_port, family, node_name=name, local=True):
            out.setdefault((b.ip, b.port), b)
    return tuple(out.values())


def _classify(cluster: Cluster, client_kind: str, node: str | None, client_ip: IP | None) -> str:
    """Map the caller's client kind to what kube-proxy on ``node`` sees: pod, node or external."""
    if client_kind not in CLIENT_KINDS:
        raise ValueError(
            f"client_kind must be one of {', '.join(CLIENT_KINDS)}, got {client_kind!r}"
        )
    if client_kind != "remote":
        return client_kind
    # A packet that arrived from elsewhere: kube-proxy's local-traffic detector
    # (by cluster CIDR) recognises pod sources anywhere in the cluster; the
    # node's own addresses are "LOCAL"; everything else (other nodes included) is external.
    if client_ip is None:
        return "external"
    if client_ip in cluster.pod_by_ip or in_pod_ranges(cluster, client_ip):
        return "pod"
    owner = cluster.node_by_name.get(node or "")
    if owner is not None and client_ip in owner.ips:
        return "node"
    return "external"


def _hairpin(
    backends: tuple[Backend, ...], masquerade: bool, reason: str | None, client_ip: IP | None
) -> tuple[Backend, ...]:
    out = []
    for b in backends:
        if client_ip is not None and b.ip == client_ip:
            # The endpoint chain's "-s <endpoint IP> -j KUBE-MARK-MASQ": a pod
            # reaching itself through its Service must see a foreign source.
            out.append(
                replace(
                    b,
                    masquerade=True,
                    masquerade_reason="hairpin: the chosen backend is the client itself",
                )
            )
        else:
            out.append(
                replace(b, masquerade=masquerade, masquerade_reason=reason if masquerade else None)
            )
    return tuple(out)


def translate(
    cluster: Cluster,
    client_kind: str,
    client_node: str | None,
    dst_ip: IP,
    dst_port: int,
    protocol: str,
    *,
    client_ip: IP | None = None,
) -> Translation | None:
    """What kube-proxy (iptables, ``masqueradeAll=false``) does with a new connection (§6.5).

    Args:
        client_kind: ``pod`` (a pod-network pod), ``node`` (a host process or a
            hostNetwork pod on ``client_node``), ``external`` (an outside host),
            or ``remote``: the packet arrived at ``client_node`` from elsewhere
            and ``client_ip`` decides (a pod address counts as ``pod``, the
            node's own as ``node``, anything else, other nodes included, as
            ``external``).
        client_node: the node whose kube-proxy sees the packet first: the
            client's own node for pods and host processes, the receiving node
            for everything arriving from outside or from another node. NodePorts
            match only that node's own addresses, so a connection to a *remote*
            node's NodePort returns None here and is translated on arrival
            (call again with that node and ``client_kind="remote"``).
        client_ip: the source address, for hairpin detection.

    Returns None when the destination is no Service frontend (plain routing).

    >>> from verifier.model import Labels, ip_address
    >>> s = Service(namespace="x", name="a", selector=Labels({"app": "a"}), ip_families=(4,),
    ...             cluster_ips=(ip_address("10.96.0.5"),), ports=(ServicePort(80),))
    >>> translate(Cluster(services=(s,)), "pod", "n1", ip_address("10.96.0.5"), 80, "TCP").outcome
    'REJECT'
    """
    kind = _classify(cluster, client_kind, client_node, client_ip)
    matched = match_frontend(cluster, dst_ip, dst_port, protocol, client_node)
    if not matched:
        return None
    fe, conflicts = matched[0], matched[1:]
    svc, sp, fam = fe.service, fe.service_port, fe.family

    def result(
        outcome: str, reason: str, backends: tuple[Backend, ...] = (), policy: str = "Cluster"
    ) -> Translation:
        return Translation(outcome, reason, fe, backends, client_node, kind, policy, conflicts)

    everywhere = candidates(cluster, svc, sp, fam, node_name=client_node)
    if not everywhere:
        # hasEndpoints is false: REJECT for every kind of frontend, before any traffic policy.
        return result(
            REJECT,
            f"Service {svc.ref} port {sp} has no ready (or serving-terminating) IPv{fam} endpoint: connection refused",
        )

    if fe.kind == CLUSTER_IP:
        if svc.internal_traffic_policy == "Local":
            chosen = _local_set(cluster, svc, sp, fam, client_node)
            if not chosen:
                return result(
                    DROP,
                    f"internalTrafficPolicy: Local and no endpoint of {svc.ref} port {sp} on node {client_node}: "
                    "the connection times out although other nodes have endpoints",
                    policy="Local",
                )
            policy, why = "Local", "internalTrafficPolicy: Local: endpoints on this node only"
        else:
            chosen, policy, why = everywhere, "Cluster", "internalTrafficPolicy: Cluster"
        if kind == "pod":
            return result(DNAT, why, _hairpin(chosen, False, None, client_ip), policy)
        # "! -s <cluster CIDR> -j KUBE-MARK-MASQ": off-pod-network sources are
        # masqueraded so replies come back through this node.
        masq = "source outside the pod network (kube-proxy masquerades off-cluster traffic to a ClusterIP)"
        return result(DNAT, why, _hairpin(chosen, True, masq, client_ip), policy)

    # NodePort, externalIP, LoadBalancer IP: the external traffic policy governs.
    if svc.external_traffic_policy != "Local":
        masq = f"externalTrafficPolicy: Cluster: {fe.kind} traffic is always masqueraded"
        return result(
            DNAT, "externalTrafficPolicy: Cluster", _hairpin(everywhere, True, masq, client_ip)
        )
    if kind == "pod":
        why = "externalTrafficPolicy: Local, pod source: kube-proxy short-circuits to the Cluster endpoints, no masquerade"
        return result(DNAT, why, _hairpin(everywhere, False, None, client_ip))
    if kind == "node":
        masq = "externalTrafficPolicy: Local, source is the node itself (its own address would be the source)"
        return result(
            DNAT,
            "externalTrafficPolicy: Local, traffic from the node: Cluster endpoints",
            _hairpin(everywhere, True, masq, client_ip),
        )
    local = _local_set(cluster, svc, sp, fam, client_node)
    if not local:
        return result(
            DROP,
            f"externalTrafficPolicy: Local and no endpoint of {svc.ref} port {sp} on node {client_node}: dropped",
            policy="Local",
        )
    why = "externalTrafficPolicy: Local: a local endpoint, the client's source address is preserved"
    if client_node is None:
        why += " (assumes the load balancer only sends to nodes with local endpoints)"
    return result(DNAT, why, _hairpin(local, False, None, client_ip), "Local")


# --------------------------------------------------------------------------- lookups


@per_cluster
def service_ranges(cluster: Cluster) -> tuple:
    """The Service CIDRs, plus (as single addresses) every ClusterIP that lies outside them."""
    import ipaddress

    nets = list(cluster.service_cidrs)
    for svc in cluster.services:
        for ip in svc.cluster_ips:
            if not any(ip.version == n.version and ip in n for n in nets):
                nets.append(ipaddress.ip_network(ip))
    return tuple(nets)


@per_cluster
def _service_by_cluster_ip(cluster: Cluster) -> dict:
    return {ip: svc for svc in cluster.services for ip in svc.cluster_ips}


def unserved(
    cluster: Cluster, ip: IP, port: int, protocol: str
) -> tuple[Service | None, str] | None:
    """Why a packet to a Service-range ``ip`` on a port no frontend matched is never delivered.

    Returns the Service holding ``ip`` (None when the address is unallocated) and
    the reason, or None when ``ip`` is outside every Service range. nftables
    kube-proxy rejects such a packet; iptables leaves it un-translated and the
    virtual address answers nowhere (semantics.md §6.5, last row).

    >>> from ipaddress import ip_address
    >>> unserved(Cluster(), ip_address("10.96.0.5"), 80, "TCP")[1]
    '10.96.0.5 is in the Service range 10.96.0.0/12 but no Service holds it: never delivered'
    """
    if not in_service_range(cluster, ip):
        return None
    svc = _service_by_cluster_ip(cluster).get(ip)
    shown = f"[{ip}]" if ip.version == 6 else str(ip)
    if svc is None:
        net = next(n for n in service_ranges(cluster) if n.version == ip.version and ip in n)
        return None, f"{ip} is in the Service range {net} but no Service holds it: never delivered"
    exposed = ", ".join(
        f"{sp.name + ' ' if sp.name else ''}{sp.port}/{sp.protocol}" for sp in svc.ports
    )
    return svc, (
        f"{shown} is Service {svc.ref}'s ClusterIP, which defines no port {port}/{protocol} "
        f"(it exposes {exposed or 'no ports'}): never delivered"
    )


def in_service_range(cluster: Cluster, ip: IP) -> bool:
    """Is ``ip`` inside the Service CIDRs, allocated or not?

    >>> from ipaddress import ip_address
    >>> in_service_range(Cluster(), ip_address("10.96.0.5"))
    True
    """
    return any(ip.version == net.version and ip in net for net in service_ranges(cluster))
