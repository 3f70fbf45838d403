"""The cluster DNS a profile deploys, for inputs that do not show one.

A name lookup is a flow like any other: the pod's egress policy must let its
query reach the DNS pods, and the DNS pods' ingress must accept it. A
repository of manifests rarely holds the cluster DNS, so when the input has no
DNS pods behind the nameserver, the lookup is checked against the DNS that
``ClusterNetwork.dnsProfile`` says the cluster runs:

``coredns`` (default)
    Service ``kube-system/kube-dns`` at the cluster DNS IP, 53/UDP and 53/TCP,
    backed by two pods ``kube-system/coredns-*`` labelled ``k8s-app=kube-dns``
    that listen on 53.
``openshift``
    Service ``openshift-dns/dns-default`` at the cluster DNS IP, 53/UDP and 53/TCP
    to port 5353 of one pod per node labelled
    ``dns.operator.openshift.io/daemonset-dns=default``.
``assumed``
    Lookups are assumed to work.

The made-up objects exist only for the lookup (:func:`with_cluster_dns` returns
a copy of the cluster that has them): they are servers, never clients, so they
add no flow anyone else could be charged with. Their source is
``<implicit: cluster DNS, PROFILE profile>``.

>>> from verifier.model import Cluster, Node, ip_network
>>> c = with_cluster_dns(Cluster(nodes=(Node("n1", pod_cidrs=(ip_network("10.244.1.0/24"),)),)),
...                      ip_network("10.96.0.10/32").network_address)
>>> [s.ref for s in c.services], [(p.ref, str(p.ips[0])) for p in c.pods]
(['kube-system/kube-dns'], [('kube-system/coredns-0', '10.244.1.254'), ('kube-system/coredns-1', '10.244.1.253')])
"""

from __future__ import annotations

from dataclasses import replace
from itertools import cycle

from ...model import (
    IP,
    Cluster,
    Container,
    ContainerPort,
    Labels,
    Namespace,
    Pod,
    Service,
    ServicePort,
    Source,
)
from .._cache import per_cluster

__all__ = ["DNS_PROFILES", "DNS_SERVICES", "implicit_source", "with_cluster_dns"]

#: The profiles ``ClusterNetwork.dnsProfile`` accepts.
DNS_PROFILES = ("coredns", "openshift", "assumed")

#: The DNS Service each profile deploys.
DNS_SERVICES = {"coredns": "kube-system/kube-dns", "openshift": "openshift-dns/dns-default"}


def implicit_source(profile: str) -> Source:
    """Where the made-up objects of ``profile`` say they come from (traces show it)."""
    return Source(f"<implicit: cluster DNS, {profile} profile>")


@per_cluster
def with_cluster_dns(cluster: Cluster, dns_ip: IP) -> Cluster:
    """``cluster`` plus the DNS Service and pods of its profile at ``dns_ip`` (itself for ``assumed``)."""
    profile = cluster.config.dns_profile
    if profile not in DNS_SERVICES:
        return cluster
    source = implicit_source(profile)
    namespace, name = DNS_SERVICES[profile].split("/")
    if profile == "coredns":
        labels = Labels({"k8s-app": "kube-dns"})
        listen = 53
        nodes = list(cluster.nodes[:2]) or []
        names = [f"coredns-{i}" for i in range(2)]
        placed = list(zip(names, cycle(nodes), strict=False)) if nodes else []
    else:
        labels = Labels({"dns.operator.openshift.io/daemonset-dns": "default"})
        listen = 5353
        placed = [(f"dns-default-{n.name}", n) for n in cluster.nodes]
    ports = (
        ContainerPort(listen, "UDP", "dns"),
        ContainerPort(listen, "TCP", "dns-tcp"),
    )
    taken = {ip for p in cluster.pods for ip in p.ips}
    pods = []
    for pod_name, node in placed:
        ips = tuple(a for fam in cluster.families if (a := _free(node, fam, taken)) is not None)
        taken.update(ips)
        pods.append(
            Pod(
                namespace=namespace,
                name=pod_name,
                labels=labels,
                node_name=node.name,
                containers=(Container("dns", ports),),
                ips=ips,
                dns_policy="Default",
                source=source,
            )
        )
    service = Service(
        namespace=namespace,
        name=name,
        selector=labels,
        cluster_ips=(dns_ip,),
        ip_families=(dns_ip.version,),
        ports=(
            ServicePort(53, "UDP", "dns", "dns"),
            ServicePort(53, "TCP", "dns-tcp", "dns-tcp"),
        ),
        source=source,
    )
    namespaces = cluster.namespaces
    if namespace not in {n.name for n in namespaces}:
        ns_labels = Labels({"kubernetes.io/metadata.name": namespace})
        namespaces = (*namespaces, Namespace(namespace, ns_labels, source, implicit=True))
    return replace(
        cluster,
        namespaces=namespaces,
        pods=(*cluster.pods, *pods),
        services=(*cluster.services, service),
    )


def _free(node, family: int, taken: set) -> IP | None:
    """The highest address of the node's podCIDR of ``family`` that no pod holds."""
    cidr = node.pod_cidr(family)
    if cidr is None:
        return None
    candidate = cidr.broadcast_address - 1
    while candidate in taken and candidate > cidr.network_address:
        candidate -= 1
    return candidate if candidate > cidr.network_address else None
