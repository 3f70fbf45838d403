"""hostPort: the CNI ``portmap`` plugin's DNAT on the pod's node (semantics.md §1.5).

A container port with ``hostPort`` makes the pod's node DNAT
``nodeIP:hostPort/protocol`` to ``podIP:containerPort``, for the node address
``hostIP`` names (every address of the node when unset), in the pod's own
address families only: an IPv4 node address maps to the pod's IPv4 address and
a family the pod has no IP in is not mapped. The source is preserved; portmap
source-NATs only connections from the node itself and the pod's own hairpin,
both of which the destination pod then sees as coming from its node. After the
DNAT the pod's ingress policy applies as to any pod-bound packet, on the
*container* port.

hostNetwork pods bind the node's ports directly (their hostPort equals the
container port): there is nothing to translate, so they have no mapping.

Like Service translation this is concrete: which mapping a packet hits depends
only on its destination, so the engine and the encoder loop over the result.

>>> from verifier.model import Cluster, Container, ContainerPort, Node, NodeAddress, Pod, ip_address
>>> n1 = Node("n1", addresses=(NodeAddress("InternalIP", "192.168.0.1"),))
>>> a = Pod(namespace="x", name="a", node_name="n1", ips=(ip_address("10.244.1.5"),),
...         containers=(Container("web", (ContainerPort(80, host_port=8080),)),))
>>> m = match_host_port(Cluster(nodes=(n1,), pods=(a,)), ip_address("192.168.0.1"), 8080, "TCP")
>>> str(m), m.target
('hostPort 192.168.0.1:8080/TCP of pod x/a -> 10.244.1.5:80', (IPv4Address('10.244.1.5'), 80))
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address

from ..model import IP, Cluster, ContainerPort, Pod
from ._cache import per_cluster

__all__ = ["HostPortMapping", "host_network_listener", "host_ports", "match_host_port"]

_ANY_ADDRESS = ("0.0.0.0", "::")


@dataclass(frozen=True, slots=True)
class HostPortMapping:
    """One portmap DNAT rule: ``node_ip:host_port/protocol`` on ``node`` -> the pod's container port."""

    node: str
    node_ip: IP
    host_port: int
    protocol: str
    pod: Pod
    port: ContainerPort

    @property
    def target(self) -> tuple[IP, int]:
        """The translated destination: the pod's IP of the node address's family, and the container port."""
        ip = self.pod.ip(self.node_ip.version)
        assert ip is not None  # host_ports() only maps families the pod has
        return ip, self.port.container_port

    def __str__(self) -> str:
        ip, port = self.target
        node_ip = f"[{self.node_ip}]" if self.node_ip.version == 6 else str(self.node_ip)
        return f"hostPort {node_ip}:{self.host_port}/{self.protocol} of pod {self.pod.ref} -> {ip}:{port}"


def _bound_addresses(port: ContainerPort, node_ips: tuple[IP, ...]) -> tuple[IP, ...]:
    if port.host_ip is None or port.host_ip in _ANY_ADDRESS:
        return node_ips
    wanted = ip_address(port.host_ip)
    return tuple(ip for ip in node_ips if ip == wanted)


@per_cluster
def host_ports(cluster: Cluster) -> tuple[HostPortMapping, ...]:
    """Every hostPort DNAT the nodes install, in pod order (live, scheduled, pod-network pods only)."""
    out: list[HostPortMapping] = []
    for pod in cluster.live_pods:
        if pod.host_network or pod.node_name is None:
            continue
        node = cluster.node_by_name.get(pod.node_name)
        if node is None:
            continue
        for port in pod.ports:
            if port.host_port is None:
                continue
            for node_ip in _bound_addresses(port, node.ips):
                if pod.ip(node_ip.version) is not None:  # same family only
                    out.append(
                        HostPortMapping(
                            node.name, node_ip, port.host_port, port.protocol, pod, port
                        )
                    )
    return tuple(out)


@per_cluster
def _index(cluster: Cluster) -> dict[tuple[IP, int, str], HostPortMapping]:
    out: dict[tuple[IP, int, str], HostPortMapping] = {}
    for m in host_ports(cluster):
        # The scheduler keeps (hostIP, hostPort, protocol) unique per node; if the
        # input breaks that, the first pod's rule wins, as the first-inserted chain would.
        out.setdefault((m.node_ip, m.host_port, m.protocol), m)
    return out


def match_host_port(
    cluster: Cluster, dst_ip: IP, dst_port: int, protocol: str
) -> HostPortMapping | None:
    """The hostPort mapping a packet to ``dst_ip:dst_port/protocol`` hits, or None.

    The DNAT happens on the node owning ``dst_ip`` (``mapping.node``), for any
    client: one on that node is translated before its packet leaves, one from
    elsewhere when the packet arrives.
    """
    return _index(cluster).get((dst_ip, dst_port, protocol))


@per_cluster
def _listeners(cluster: Cluster) -> dict[tuple[str, int, str], Pod]:
    out: dict[tuple[str, int, str], Pod] = {}
    for pod in cluster.live_pods:
        if pod.host_network and pod.node_name is not None:
            for port in pod.ports:
                out.setdefault((pod.node_name, port.container_port, port.protocol), pod)
    return out


def host_network_listeners(cluster: Cluster, node: str) -> list[tuple[int, str, Pod]]:
    """``(port, protocol, pod)`` for every port a hostNetwork pod on ``node`` answers on."""
    return [
        (port, proto, pod) for (n, port, proto), pod in _listeners(cluster).items() if n == node
    ]


def host_network_listener(cluster: Cluster, node: str, port: int, protocol: str) -> Pod | None:
    """The hostNetwork pod on ``node`` that declares ``port/protocol``: who answers on the node's address.

    The scheduler keeps a node's host ports unique (a hostNetwork pod's container
    ports are host ports), so there is at most one; with broken input the first wins.
    """
    return _listeners(cluster).get((node, port, protocol))
