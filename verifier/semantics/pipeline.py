"""One connection through the data path, after Service DNAT (semantics.md §10 steps 3-6).

:func:`flow` composes the rules (egress policy, routing, source NAT, ingress
policy) for one client and one destination, in the algebra. The engine calls it
with concrete values and turns the pieces into hops; the Z3 encoder calls it
with a symbolic packet and asks for :meth:`FlowDecision.allowed`. Neither
re-states the order of the steps.

>>> from verifier.model import Cluster, Pod, ip_address
>>> from verifier.semantics.algebra import CONCRETE, Packet
>>> a = Pod(namespace="x", name="a", ips=(ip_address("10.244.0.5"),), node_name="n1")
>>> b = Pod(namespace="x", name="b", ips=(ip_address("10.244.0.6"),), node_name="n1")
>>> c = Cluster(pods=(a, b))
>>> f = flow(CONCRETE, c, Client.of_pod(c, a), PodEndpoint(b), Packet(4, a.ips[0], b.ips[0], 80, "TCP"))
>>> f.allowed(CONCRETE), f.route.kind
(True, 'local')
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import IP, Cluster, Node, Pod
from . import policy
from .addressing import (
    Route,
    endpoint_for_ip,
    endpoint_of_pod,
    host_address,
    outside_reaches_pods,
    route,
    snat_applies,
)
from .algebra import Algebra, Packet, Term
from .endpoint import Endpoint, ExternalEndpoint, NodeEndpoint, PodEndpoint

__all__ = ["Client", "FlowDecision", "flow", "transit"]


@dataclass(frozen=True, slots=True)
class Client:
    """Who opens the connection: a pod, a node (kubelet, host processes) or an outside host."""

    label: str
    endpoint: Endpoint
    #: The node the packet starts on (None for an outside host).
    node: Node | None
    ips: tuple[IP, ...]
    pod: Pod | None = None

    @property
    def kind(self) -> str:
        if isinstance(self.endpoint, PodEndpoint):
            return "pod"
        if isinstance(self.endpoint, NodeEndpoint):
            return "node"
        return "external"

    def ip(self, family: int) -> IP | None:
        return next((a for a in self.ips if a.version == family), None)

    @property
    def families(self) -> tuple[int, ...]:
        return tuple(a.version for a in self.ips)

    @classmethod
    def of_pod(cls, cluster: Cluster, pod: Pod) -> Client:
        endpoint = endpoint_of_pod(cluster, pod)
        node = cluster.node_by_name.get(pod.node_name or "")
        ips = tuple(ip for f in pod.families if (ip := host_address(cluster, pod, f)) is not None)
        if pod.host_network and node is not None:
            ips = node.ips or ips
        return cls(pod.ref, endpoint, node, ips, pod)

    @classmethod
    def of_node(cls, node: Node) -> Client:
        return cls(f"node/{node.name}", NodeEndpoint(node), node, node.ips)

    @classmethod
    def outside(cls, ip: IP | None = None) -> Client:
        """A host outside the cluster; ``ip`` None when its address is symbolic."""
        label = "outside host" if ip is None else str(ip)
        return cls(label, ExternalEndpoint(ip), None, () if ip is None else (ip,))

    @classmethod
    def of_ip(cls, cluster: Cluster, ip: IP) -> Client:
        endpoint = endpoint_for_ip(cluster, ip)
        if isinstance(endpoint, PodEndpoint):
            return cls.of_pod(cluster, endpoint.pod)
        if isinstance(endpoint, NodeEndpoint):
            return cls(f"node/{endpoint.node.name}", endpoint, endpoint.node, (ip,))
        return cls.outside(ip)


@dataclass(frozen=True, slots=True)
class FlowDecision:
    """Every rule's say on one flow; :meth:`allowed` combines them."""

    egress: policy.Decision | None
    #: Felix DefaultEndpointToHostAction=Drop stops a pod talking to its own node.
    host_blocked: bool
    route: Route
    #: Does a node source-NAT the packet (NAT outgoing / masquerade)? A term.
    snat: Term
    #: The node whose address replaces the source when ``snat`` (or kube-proxy) applies.
    snat_node: Node | None
    #: kube-proxy masquerade that the destination sees (a Service path, concrete).
    masquerade_seen: bool
    ingress: policy.Decision | None
    #: The destination's decision when the source was NATed to ``snat_node``.
    ingress_natted: policy.Decision | None

    def allowed(self, alg: Algebra) -> Term:
        if self.host_blocked or self.route.kind == "none":
            return alg.false
        egress_ok = alg.true if self.egress is None else self.egress.allowed(alg)
        if self.ingress is None:
            return egress_ok
        direct = self.ingress.allowed(alg)
        if self.ingress_natted is None:
            return alg.and_(egress_ok, direct)
        return alg.and_(egress_ok, alg.ite(self.snat, self.ingress_natted.allowed(alg), direct))


def flow(
    alg: Algebra,
    cluster: Cluster,
    client: Client,
    destination: Endpoint,
    packet: Packet,
    *,
    via_service: bool = False,
    masquerade_node: Node | None = None,
    egress_checked: bool = False,
    from_node: Node | None = None,
) -> FlowDecision:
    """The decisions for ``client`` -> ``destination`` on the post-DNAT ``packet``.

    ``masquerade_node`` is the node where kube-proxy masquerades this Service
    flow (None when it does not); ``from_node`` is where the packet is routed
    from when that is not the client's node (a NodePort DNATed on another node);
    ``egress_checked`` when the client's egress policy already saw the packet.
    """
    family = packet.family
    egress = None
    if not egress_checked:
        egress = policy.egress(
            alg, cluster, client.endpoint, destination, packet, via_service=via_service
        )
    host_blocked = (
        not egress_checked
        and isinstance(client.endpoint, PodEndpoint)
        and isinstance(destination, NodeEndpoint)
        and client.node is not None
        and destination.node.name == client.node.name
        and cluster.config.endpoint_to_host == "Drop"
    )
    r, snat, snat_node, masquerade_seen = transit(
        alg,
        cluster,
        client,
        destination,
        packet,
        masquerade_node=masquerade_node,
        from_node=from_node,
    )

    ingress = ingress_natted = None
    if isinstance(destination, PodEndpoint):
        ingress = policy.ingress(
            alg, cluster, client.endpoint, destination, packet, via_service=via_service
        )
        if snat_node is not None and snat is not alg.false and snat_node.ip(family) is not None:
            natted = packet.with_(src_ip=alg.ip(snat_node.ip(family)))
            ingress_natted = policy.ingress(
                alg, cluster, NodeEndpoint(snat_node), destination, natted, via_service=via_service
            )
    return FlowDecision(
        egress, host_blocked, r, snat, snat_node, masquerade_seen, ingress, ingress_natted
    )


def transit(
    alg: Algebra,
    cluster: Cluster,
    client: Client,
    destination: Endpoint,
    packet: Packet,
    *,
    masquerade_node: Node | None = None,
    from_node: Node | None = None,
) -> tuple[Route, Term, Node | None, bool]:
    """Between the two policies: the route (§8.3) and the source NAT (§6.6, §8.2) of one flow.

    Returns the route, whether a node rewrites the source (a term), that node, and
    whether it is kube-proxy's Service masquerade. (What :func:`flow` composes with
    the policies; NAT alone is what ``nat-free-pod-to-pod`` asks about.)
    """
    family = packet.family
    start = from_node or client.node
    start_name = start.name if start else (client.pod.node_name if client.pod else None)
    dst_ip = packet.dst_ip
    outside = client.kind == "external" and from_node is None
    if _symbolic(dst_ip):
        r = _route_symbolic(cluster, start_name, destination, outside)
    else:
        r = route(cluster, start_name, destination, dst_ip, from_outside=outside)

    # Source NAT: kube-proxy's Service masquerade (concrete), else NAT outgoing (a term).
    snat: Term = alg.false
    snat_node: Node | None = None
    masquerade_seen = False
    if masquerade_node is not None:
        to_node = destination.pod.node_name if isinstance(destination, PodEndpoint) else None
        # Policy runs before masquerade on the masquerading node (semantics.md §6.6),
        # so only a backend on another node sees the node's address.
        if to_node != masquerade_node.name and masquerade_node.ip(family) is not None:
            snat, snat_node, masquerade_seen = alg.true, masquerade_node, True
    elif (
        client.pod is not None
        and not client.pod.host_network
        and r.kind in ("remote", "node", "external")
    ):
        snat = snat_applies(alg, cluster, client.pod, packet.src_ip, dst_ip, family)
        snat_node = client.node
    return r, snat, snat_node, masquerade_seen


def _symbolic(value) -> bool:
    return not hasattr(value, "version")


def _route_symbolic(
    cluster: Cluster, start: str | None, destination: Endpoint, outside: bool
) -> Route:
    """Routing when the destination address is an unknown: decided by who owns it.

    (An unknown outside address is never a pod's or in a Service range: callers
    constrain it to the region outside the cluster.)
    """
    if (
        outside
        and isinstance(destination, PodEndpoint)
        and not outside_reaches_pods(cluster, destination.pod)
    ):
        return Route(
            "none",
            reason="hosts outside the cluster have no route to pod addresses on an overlay network",
        )
    if isinstance(destination, PodEndpoint):
        to = destination.pod.node_name
        if start is not None and to == start:
            return Route("local", to)
        return Route("remote", to, cluster.config.encapsulation)
    if isinstance(destination, NodeEndpoint):
        return Route("node", destination.node.name)
    return Route("external")
