"""What every cluster runs, whether or not the input shows it: the cluster DNS and the API server.

A repository of manifests holds the applications, not the cluster they are
deployed to; yet the two most common policy mistakes are about that cluster: a
default-deny egress that blocks name lookups, and an operator whose egress
cannot reach the Kubernetes API. So, when the input lacks them, the cluster gets
what a real one has, marked implicit (their source is ``<implicit: ...>``):

* **the cluster DNS** of ``ClusterNetwork.dnsProfile`` at the cluster DNS IPs
  (:func:`verifier.semantics.dns.profiles.with_cluster_dns`), unless a Service
  already holds one of those IPs;
* **the API server**: Service ``default/kubernetes`` (the first address of the
  primary service range, 443/TCP ``https``, no selector) and its EndpointSlice
  ``default/kubernetes`` naming the API servers on 6443: the addresses
  ``ClusterNetwork.apiServerAddresses`` gives, else the control-plane nodes'
  (``node-role.kubernetes.io/control-plane`` or ``/master``), else
  :data:`ASSUMED_API_SERVER` (a managed control plane outside the nodes),
  unless the input has a ``default/kubernetes`` Service.

Nothing else is made up: these objects add servers, never a flow the input's
own workloads would be charged with. The loader applies this once, so the
engine, the encoder and every property see the same cluster.

>>> from verifier.model import Cluster, Node, ip_network
>>> c = with_implicit_infrastructure(
...     Cluster(nodes=(Node("n1", pod_cidrs=(ip_network("10.244.1.0/24"),)),)))
>>> sorted(s.ref for s in c.services)
['default/kubernetes', 'kube-system/kube-dns']
>>> [str(e.addresses[0]) for e in c.slices_by_service["default/kubernetes"][0].endpoints]
['192.168.0.10']
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address

from ..model import (
    IP,
    Cluster,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    Labels,
    Namespace,
    Node,
    Service,
    ServicePort,
    Source,
)
from .dns.profiles import DNS_SERVICES, with_cluster_dns
from .dns.resolver import cluster_dns_ips

__all__ = [
    "API_SERVER_PORT",
    "ASSUMED_API_SERVER",
    "API_SERVER_SOURCE",
    "api_server_addresses",
    "with_implicit_infrastructure",
]

#: Where kube-apiserver listens (``--secure-port``) behind ``kubernetes:443``.
API_SERVER_PORT = 6443
#: The API server of a cluster whose input shows neither it nor a control-plane node:
#: a managed control plane outside the nodes (per family).
ASSUMED_API_SERVER = {4: IPv4Address("192.168.0.10"), 6: IPv6Address("fd00:192:168::10")}
API_SERVER_SOURCE = Source("<implicit: API server>")
_CONTROL_PLANE = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")


def with_implicit_infrastructure(cluster: Cluster) -> Cluster:
    """``cluster`` with the cluster DNS and the API server it lacks (see the module docstring)."""
    dns = cluster_dns_ips(cluster)
    if cluster.config.dns_profile in DNS_SERVICES and not any(
        ip in s.cluster_ips for s in cluster.services for ip in dns
    ):
        cluster = with_cluster_dns(cluster, dns)
    if "default/kubernetes" not in cluster.service_by_ref:
        cluster = _with_api_server(cluster)
    return cluster


def api_server_addresses(cluster: Cluster, family: int) -> tuple[tuple[IP, str], ...]:
    """The API servers' addresses of ``family``, each with where it comes from."""
    given = tuple(ip for ip in cluster.config.api_server_addresses if ip.version == family)
    if given:
        return tuple((ip, "ClusterNetwork.apiServerAddresses") for ip in given)
    nodes = [n for n in cluster.nodes if _control_plane(n) and n.ip(family) is not None]
    if nodes:
        return tuple((n.ip(family), f"control-plane node {n.name}") for n in nodes)  # type: ignore[misc]
    return ((ASSUMED_API_SERVER[family], "assumed: no control-plane node in the input"),)


def _control_plane(node: Node) -> bool:
    return any(label in node.labels for label in _CONTROL_PLANE)


def _with_api_server(cluster: Cluster) -> Cluster:
    family = cluster.families[0]
    cidr = next((n for n in cluster.service_cidrs if n.version == family), None)
    if cidr is None:
        return cluster
    service = Service(
        namespace="default",
        name="kubernetes",
        cluster_ips=(cidr.network_address + 1,),
        ip_families=(family,),
        ports=(ServicePort(443, "TCP", "https", API_SERVER_PORT),),
        source=API_SERVER_SOURCE,
    )
    endpoints = tuple(
        Endpoint((ip,), node_name=_node_of(cluster, ip))
        for ip, _why in api_server_addresses(cluster, family)
    )
    endpoint_slice = EndpointSlice(
        "default",
        "kubernetes",
        "kubernetes",
        f"IPv{family}",
        ports=(EndpointPort(API_SERVER_PORT, "TCP", "https"),),
        endpoints=endpoints,
        source=API_SERVER_SOURCE,
    )
    namespaces = cluster.namespaces
    if "default" not in {n.name for n in namespaces}:
        labels = Labels({"kubernetes.io/metadata.name": "default"})
        namespaces = (*namespaces, Namespace("default", labels, API_SERVER_SOURCE, implicit=True))
    return replace(
        cluster,
        namespaces=namespaces,
        services=(*cluster.services, service),
        endpoint_slices=(*cluster.endpoint_slices, endpoint_slice),
    )


def _node_of(cluster: Cluster, ip: IP) -> str | None:
    return next((n.name for n in cluster.nodes if ip in n.ips), None)
