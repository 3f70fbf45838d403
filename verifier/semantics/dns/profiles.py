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
``nodelocal``
    NodeLocal DNSCache: kubelet's clusterDNS is the link-local ``169.254.20.10``
    (unless ``clusterDNS`` says otherwise), which node-local-dns answers on every
    node's host network. No pod receives the query, so only the client's egress
    decides: it must allow that address (an ipBlock) on 53.
``external``
    The resolver is outside the cluster, at ``clusterDNS`` (required): the lookup
    is a flow to an outside host, decided by the client's egress.
``assumed``
    Lookups are assumed to work.

The loader adds them to a cluster whose input has no Service at the cluster DNS
IPs (:func:`verifier.semantics.infrastructure.with_implicit_infrastructure`), so
the engine and the encoder check the lookup against the same pods. Their source
is ``<implicit: cluster DNS, PROFILE profile>``.

>>> from verifier.model import Cluster, Node, ip_network
>>> c = with_cluster_dns(Cluster(nodes=(Node("n1", pod_cidrs=(ip_network("10.244.1.0/24"),)),)),
...                      (ip_network("10.96.0.10/32").network_address,))
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
    ip_address,
)
from .. import ipam, journey
from .._cache import per_cluster
from ..pipeline import Client

__all__ = [
    "ADDRESS_PROFILES",
    "DNS_PROFILES",
    "NODE_LOCAL_DNS",
    "DNS_SERVICES",
    "implicit_source",
    "lookup_assumed",
    "with_cluster_dns",
]

#: The profiles ``ClusterNetwork.dnsProfile`` accepts.
DNS_PROFILES = ("coredns", "openshift", "nodelocal", "external", "assumed")

#: Profiles whose resolver no pod runs: a lookup is a flow to its address, decided by egress.
ADDRESS_PROFILES = ("nodelocal", "external")

#: The address node-local-dns listens on (its default ``-localip``).
NODE_LOCAL_DNS = ip_address("169.254.20.10")

#: The DNS Service each profile deploys.
DNS_SERVICES = {"coredns": "kube-system/kube-dns", "openshift": "openshift-dns/dns-default"}


def implicit_source(profile: str) -> Source:
    """Where the made-up objects of ``profile`` say they come from (traces show it)."""
    return Source(f"<implicit: cluster DNS, {profile} profile>")


def lookup_assumed(cluster: Cluster, client: Client, server: IP) -> bool:
    """Is a lookup to ``server`` assumed to work rather than checked as a flow? When no DNS
    pods stand behind it: a server of a family the client lacks, or an address no Service
    with backends holds (a cluster built without its implicit infrastructure, or an input
    showing the DNS Service but not its pods)."""
    if server.version not in client.families:
        return True
    if cluster.config.dns_profile in ADDRESS_PROFILES and not any(
        server in s.cluster_ips for s in cluster.services
    ):
        return False  # a flow to the resolver's address itself
    return not any(
        p.backend_pod is not None
        for p in journey.plan(cluster, client, server, 53, "UDP").paths
        if p.entry is not None
    )


@per_cluster
def with_cluster_dns(cluster: Cluster, dns_ips: tuple[IP, ...]) -> Cluster:
    """``cluster`` plus the DNS Service and pods of its profile at ``dns_ips`` (itself for ``assumed``)."""
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
    # DNS pods the input shows (without their Service) serve: only the Service is made up.
    if any(
        p.namespace == namespace and all(p.labels.get(k) == v for k, v in labels.items())
        for p in cluster.pods
    ):
        placed = []
    taken = {ip for p in cluster.pods for ip in p.ips} | set(
        ipam.named_by_endpoints(cluster.endpoint_slices)
    )
    pods = []
    for pod_name, node in placed:
        ips = tuple(
            a for fam in cluster.families if (a := _free(cluster, node, fam, taken)) is not None
        )
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
                owner="Deployment/coredns" if profile == "coredns" else "DaemonSet/dns-default",
                source=source,
            )
        )
    service = Service(
        namespace=namespace,
        name=name,
        selector=labels,
        cluster_ips=dns_ips,
        ip_families=tuple(ip.version for ip in dns_ips),
        ip_family_policy="PreferDualStack" if len(dns_ips) > 1 else "SingleStack",
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


def _free(cluster: Cluster, node, family: int, taken: set) -> IP | None:
    """The highest address the node's IPAM may hand out (:func:`verifier.semantics.ipam.ranges`)
    that nothing holds: the loader allocates from the bottom, so they rarely meet."""
    for cidr in ipam.ranges(node, cluster.ip_pools, family, cluster.config.pod_cidrs):
        reserved = set(ipam.reserved(cidr, cluster.ip_pools))
        candidate = cidr.broadcast_address
        for _ in range(min(cidr.num_addresses, 4096)):
            if candidate not in taken and candidate not in reserved:
                return candidate
            candidate -= 1
    return None
