"""The EndpointSlice controller: which endpoints a Service has (semantics.md §6.3, §9.2).

:func:`service_endpoints` reads the EndpointSlices in the input when there are
any (a cluster dump's slices are what kube-proxy and CoreDNS really read), and
otherwise generates them from the selector exactly as the controller would.

>>> from verifier.model import Cluster, Labels, Pod, Service, ip_address
>>> p = Pod(namespace="x", name="a", labels=Labels({"app": "a"}), ips=(ip_address("10.244.0.9"),))
>>> s = Service(namespace="x", name="a", selector=Labels({"app": "a"}), ip_families=(4,))
>>> [str(e.ip) for e in service_endpoints(Cluster(pods=(p,), services=(s,)), s, 4)]
['10.244.0.9']
"""

from __future__ import annotations

from dataclasses import dataclass

from ...model import IP, Cluster, EndpointPort, EndpointSlice, Pod, Service, ServicePort, Source
from .._cache import per_cluster
from ..selectors import matches, selector_from_labels

__all__ = [
    "GENERATED",
    "ServiceEndpoint",
    "families_of",
    "generated_endpoints",
    "service_endpoints",
]

#: ``ServiceEndpoint.origin`` of endpoints made from the selector (no EndpointSlice in the input).
GENERATED = "generated from selector"


# --------------------------------------------------------------------------- endpoints


@dataclass(frozen=True, slots=True)
class ServiceEndpoint:
    """One endpoint of a Service in one family, as kube-proxy and CoreDNS read it.

    ``ports`` are the endpoint ports as published: the slice's ports, or for a
    generated endpoint the service ports that resolve on the pod (a named
    ``targetPort`` the pod lacks is left out, as the controller does).
    """

    ip: IP
    ports: tuple[EndpointPort, ...]
    ready: bool
    serving: bool
    terminating: bool
    hostname: str | None = None
    node_name: str | None = None
    #: The backing pod (by targetRef, else by IP); None for manual addresses.
    pod: Pod | None = None
    #: The EndpointSlice it was read from; None when generated from the selector.
    slice: EndpointSlice | None = None

    @property
    def generated(self) -> bool:
        return self.slice is None

    @property
    def origin(self) -> str:
        """``EndpointSlice ns/name`` or ``generated from selector``."""
        return GENERATED if self.slice is None else f"EndpointSlice {self.slice.ref}"

    @property
    def source(self) -> Source | None:
        """Where the endpoint was written: its slice, else the pod it was generated from."""
        if self.slice is not None:
            return self.slice.source
        return self.pod.source if self.pod is not None else None

    def port_for(self, service_port: ServicePort) -> int | None:
        """The endpoint port kube-proxy uses for ``service_port`` (same name and protocol), or None.

        >>> from ipaddress import ip_address
        >>> e = ServiceEndpoint(ip_address("10.0.0.1"), (EndpointPort(8080, "TCP", "http"),), True, True, False)
        >>> e.port_for(ServicePort(80, name="http")), e.port_for(ServicePort(80, "UDP", name="http"))
        (8080, None)
        """
        # An unnamed service port is matched by the empty name; the model keeps
        # an absent name as None, so compare both ways as "".
        want = service_port.name or ""
        for p in self.ports:
            if (p.name or "") == want and p.protocol == service_port.protocol and p.port:
                return p.port
        return None


def families_of(service: Service) -> tuple[int, ...]:
    """The address families a Service has endpoints (and EndpointSlices) for.

    ``ipFamilies``; for legacy objects without it, the family of the clusterIP;
    for a headless Service without either, both (the EndpointSlice
    controller's ``getAddressTypesForService``). ExternalName Services have none.

    >>> families_of(Service(namespace="x", name="h", headless=True))
    (4, 6)
    """
    if service.type == "ExternalName":
        return ()
    if service.ip_families:
        return service.ip_families
    if service.cluster_ips:
        return (service.cluster_ips[0].version,)
    return (4, 6)


def _find_port(pod: Pod, service_port: ServicePort) -> int | None:
    """Kubernetes' ``FindPort``: a numeric targetPort as is, a name on the pod (name and protocol)."""
    target = service_port.target
    if isinstance(target, int):
        return target
    return pod.named_port(target, service_port.protocol)


def _slices_of(cluster: Cluster, service: Service) -> tuple[EndpointSlice, ...]:
    """The input's slices for ``service``; slices mirrored from legacy Endpoints only if nothing else."""
    slices = cluster.slices_by_service.get(service.ref, ())
    current = tuple(s for s in slices if not s.legacy)
    return current or slices


def _from_slices(
    cluster: Cluster, slices: tuple[EndpointSlice, ...], family: int
) -> tuple[ServiceEndpoint, ...]:
    out = []
    for sl in slices:
        if sl.family != family:  # the other family, or FQDN slices kube-proxy ignores
            continue
        for ep in sl.endpoints:
            if not ep.addresses:
                continue
            # Consumers use only the first address (discovery/v1 Endpoint.addresses).
            ip = ep.addresses[0]
            if ip.version != family:
                continue
            pod = cluster.pod_by_ref.get(ep.target_pod) if ep.target_pod else None
            if pod is None:
                pod = cluster.pod_by_ip.get(ip)
            out.append(
                ServiceEndpoint(
                    ip=ip,
                    ports=sl.ports,
                    ready=ep.ready,
                    serving=ep.serving,
                    terminating=ep.terminating,
                    hostname=ep.hostname,
                    node_name=ep.node_name,
                    pod=pod,
                    slice=sl,
                )
            )
    return tuple(out)


def _generated(cluster: Cluster, service: Service, family: int) -> tuple[ServiceEndpoint, ...]:
    """The EndpointSlice controller's ``podToEndpoint`` for every matching pod (§6.3)."""
    # An empty selector means "no automatic endpoints", same as no selector (§2.3).
    if service.type == "ExternalName" or not service.selector or family not in families_of(service):
        return ()
    selector = selector_from_labels(service.selector)
    out = []
    for pod in _labelled(cluster, service.namespace, *service.selector.items()):
        if pod.terminal or not matches(selector, pod.labels):
            continue
        ip = pod.ip(family)  # hostNetwork pods carry their node's IPs in the model
        if ip is None:
            continue
        serving = pod.ready
        ports = tuple(
            EndpointPort(number, sp.protocol, sp.name)
            for sp in service.ports
            if (number := _find_port(pod, sp)) is not None
        )
        out.append(
            ServiceEndpoint(
                ip=ip,
                ports=ports,
                # "ready" is never true for a terminating pod unless the Service
                # publishes not-ready addresses (podToEndpoint).
                ready=service.publish_not_ready_addresses or (serving and not pod.terminating),
                serving=serving,
                terminating=pod.terminating,
                hostname=pod.hostname if pod.hostname and pod.subdomain == service.name else None,
                node_name=pod.node_name,
                pod=pod,
            )
        )
    return tuple(out)


def _labelled(cluster: Cluster, namespace: str, *labels: tuple[str, str]) -> list[Pod]:
    """The pods of ``namespace`` carrying every one of ``labels``, in the namespace's order
    (a superset is fine: the selector still decides)."""
    if not labels:
        return list(cluster.pods_by_namespace.get(namespace, ()))
    index = _label_index(cluster, namespace)
    found = sorted((index.get(label, {}) for label in labels), key=len)
    smallest, others = found[0], found[1:]
    return [p for k, p in smallest.items() if all(k in other for other in others)]


@per_cluster
def _label_index(cluster: Cluster, namespace: str) -> dict[tuple[str, str], dict[int, Pod]]:
    """``(key, value)`` -> the pods of ``namespace`` labelled so (by identity), in order."""
    out: dict[tuple[str, str], dict[int, Pod]] = {}
    for pod in cluster.pods_by_namespace.get(namespace, ()):
        for label in pod.labels.items():
            out.setdefault(label, {})[id(pod)] = pod
    return out


def generated_endpoints(
    cluster: Cluster, service: Service, family: int
) -> tuple[ServiceEndpoint, ...]:
    """The endpoints the EndpointSlice controller would publish from the selector, ignoring input slices.

    Use it to compare what the selector selects with what the slices say.

    >>> from verifier.model import Labels, ip_address
    >>> p = Pod(namespace="x", name="a", labels=Labels({"app": "a"}), ips=(ip_address("10.244.0.9"),))
    >>> s = Service(namespace="x", name="a", selector=Labels({"app": "a"}), ip_families=(4,))
    >>> [e.pod.ref for e in generated_endpoints(Cluster(pods=(p,), services=(s,)), s, 4)]
    ['x/a']
    """
    return _generated(cluster, service, family)


@per_cluster
def service_endpoints(
    cluster: Cluster, service: Service, family: int
) -> tuple[ServiceEndpoint, ...]:
    """The endpoints of ``service`` for ``family`` (4 or 6).

    When the input holds EndpointSlices for the Service (label
    ``kubernetes.io/service-name``), they are the truth, for every family: a
    cluster dump's slices say what kube-proxy and CoreDNS really read. Slices
    mirrored from legacy Endpoints objects count only when no real slice exists.
    Otherwise the endpoints are generated from the selector as the controller
    would (§6.3); a Service without selector and without slices has none.
    Endpoints are returned in input order, ready or not (see :func:`candidates`).

    >>> from verifier.model import Labels, ip_address
    >>> p = Pod(namespace="x", name="a", labels=Labels({"app": "a"}), ips=(ip_address("10.244.0.9"),))
    >>> s = Service(namespace="x", name="a", selector=Labels({"app": "a"}), ip_families=(4,))
    >>> [(str(e.ip), e.origin) for e in service_endpoints(Cluster(pods=(p,), services=(s,)), s, 4)]
    [('10.244.0.9', 'generated from selector')]
    """
    slices = _slices_of(cluster, service)
    if slices:
        return _from_slices(cluster, slices, family)
    return _generated(cluster, service, family)
