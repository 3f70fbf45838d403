"""Services, EndpointSlices and legacy Endpoints (semantics.md §6.1-6.3, §9.2).

A Service's address families and cluster IPs depend on the whole cluster
(its service CIDRs, the IPs other Services hold), so :func:`read_service`
returns a :class:`ServiceEntry` with the fields as written; :mod:`.allocate`
applies the API server's family defaulting and allocates missing IPs.

>>> from verifier.ingest.documents import parse_text
>>> from verifier.ingest.objects import read_header
>>> objs, _ = parse_text("kind: Service\\nmetadata: {name: web}\\nspec: {ports: [{port: 80}], selector: {app: web}}")
>>> e = read_service(read_header(objs[0], [], namespaced=True))
>>> e.service.ports[0].target, e.service.selector
(80, Labels({'app': 'web'}))
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import (
    IP,
    PROTOCOLS,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    Labels,
    Service,
    ServicePort,
)
from .objects import Header
from .reader import Reader
from .syntax import (
    dns_label_error,
    dns_subdomain_error,
    iana_svc_name_error,
    ip_error,
    label_key_error,
    label_value_error,
    masked_cidr,
    masked_cidr_error,
    parse_ip,
)

__all__ = [
    "FAMILY_NAMES",
    "SERVICE_NAME_LABEL",
    "ServiceEntry",
    "read_endpoint_slice",
    "read_endpoints",
    "read_service",
]

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
FAMILY_POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")
FAMILY_NAMES = {"IPv4": 4, "IPv6": 6}
ADDRESS_TYPES = ("IPv4", "IPv6", "FQDN")
#: Links an EndpointSlice to its Service (semantics.md §6.2).
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass
class ServiceEntry:
    """A Service as written; ``service`` has its final fields except families and cluster IPs."""

    service: Service
    spec: Reader
    #: spec.ipFamilyPolicy as written (None: unset).
    policy: str | None
    #: spec.ipFamilies as written.
    families: tuple[int, ...]
    #: spec.clusterIPs (or clusterIP) as written, without "None".
    ips: tuple[IP, ...]

    @property
    def needs_ips(self) -> bool:
        s = self.service
        return s.type != "ExternalName" and not s.headless


# --------------------------------------------------------------------------- Service


def read_service(h: Header) -> ServiceEntry:
    spec = h.root.map_or_empty("spec", required=True)
    kind = spec.str("type", default="ClusterIP", choices=SERVICE_TYPES) or "ClusterIP"
    selector = Labels(
        spec.str_map("selector", check_key=label_key_error, check_value=label_value_error)
    )
    headless, ips = _read_cluster_ips(spec, kind)
    families = _read_families(spec, ips)
    policy = spec.str("ipFamilyPolicy", choices=FAMILY_POLICIES)
    ports, port_sources = _read_ports(spec, h, kind, headless)
    external_name = None
    if kind == "ExternalName":
        external_name = spec.str("externalName", required=True, check=_external_name_error)
    service = Service(
        namespace=h.namespace or "default",
        name=h.name or "",
        type=kind,
        # An empty selector also means "endpoints are managed by hand" (semantics.md §2.3).
        selector=selector if selector and kind != "ExternalName" else None,
        headless=headless,
        ports=ports,
        external_name=external_name,
        external_ips=_read_ip_list(spec, "externalIPs"),
        load_balancer_ips=_read_lb_ips(h.root),
        load_balancer_source_ranges=_read_source_ranges(spec),
        external_traffic_policy=spec.str(
            "externalTrafficPolicy", default="Cluster", choices=("Cluster", "Local")
        )
        or "Cluster",
        internal_traffic_policy=spec.str(
            "internalTrafficPolicy", default="Cluster", choices=("Cluster", "Local")
        )
        or "Cluster",
        session_affinity=spec.str("sessionAffinity", default="None", choices=("None", "ClientIP"))
        or "None",
        publish_not_ready_addresses=spec.bool("publishNotReadyAddresses"),
        allocate_load_balancer_node_ports=spec.bool("allocateLoadBalancerNodePorts", default=True),
        source=h.source,
        port_sources=port_sources,
    )
    return ServiceEntry(service, spec, policy, families, ips)


def _read_cluster_ips(spec: Reader, kind: str) -> tuple[bool, tuple[IP, ...]]:
    """(headless, requested IPs) from clusterIP / clusterIPs (semantics.md §6.2)."""
    single = spec.str("clusterIP")
    listed = spec.strs("clusterIPs")
    if single and listed and listed[0][0] != single:
        spec.error("clusterIPs", f"clusterIPs[0] ({listed[0][0]}) must equal clusterIP ({single})")
    texts = [t for t, _, _ in listed] or ([single] if single else [])
    if kind == "ExternalName":
        if texts:
            spec.error("clusterIP", "must be empty for an ExternalName Service")
        return False, ()
    if "None" in texts:
        if len(texts) > 1:
            spec.error("clusterIPs", "'None' (headless) must be the only entry")
        return True, ()
    ips: list[IP] = []
    for i, text in enumerate(texts):
        message = None
        ip = parse_ip(text) if text else None
        if text and ip is None:
            message = f"{text!r} is not a valid IP address (or 'None' for a headless Service)"
        elif ip is not None and any(o.version == ip.version for o in ips):
            message = f"at most one IPv{ip.version} cluster IP, got {ips[0]} and {ip}"
        elif ip is not None:
            ips.append(ip)
        if message and listed:
            spec.item_error("clusterIPs", i, listed[i][2], message)
        elif message:
            spec.error("clusterIP", message)
    return False, tuple(ips)


def _read_families(spec: Reader, ips: tuple[IP, ...]) -> tuple[int, ...]:
    families: list[int] = []
    for text, i, line in spec.strs("ipFamilies"):
        family = FAMILY_NAMES.get(text)
        if family is None:
            spec.item_error("ipFamilies", i, line, f"must be 'IPv4' or 'IPv6', got {text!r}")
        elif family in families:
            spec.item_error("ipFamilies", i, line, f"{text} is listed twice")
        else:
            families.append(family)
    for i, (family, ip) in enumerate(zip(families, ips, strict=False)):
        if family != ip.version:
            spec.error(
                "ipFamilies",
                f"ipFamilies[{i}] is IPv{family} but clusterIPs[{i}] ({ip}) is IPv{ip.version}",
            )
            return ()  # reported; the cluster IPs say which families the Service has
    return tuple(families)


def _read_ports(spec: Reader, h: Header, kind: str, headless: bool):
    ports: list[ServicePort] = []
    sources = []
    raw = spec.get("ports")
    entries = spec.maps("ports")
    if spec.present and (raw is None or raw == []) and kind != "ExternalName" and not headless:
        spec.error("ports" if raw is not None else None, "a Service needs at least one port")
    names: dict[str, str] = {}
    seen: dict[tuple[int, str], str] = {}
    for p in entries:
        name = p.str("name", check=dns_label_error) or None
        if name is None and len(entries) > 1:
            p.error("name", "required when a Service has more than one port")
        elif name is not None:
            if name in names:
                p.error("name", f"port name {name!r} is already used by {names[name]}")
            names[name] = p.path
        protocol = p.str("protocol", default="TCP", choices=PROTOCOLS) or "TCP"
        number = p.port("port", required=True)
        target = _read_target_port(p)
        node_port = p.port("nodePort")
        if node_port is not None and kind not in ("NodePort", "LoadBalancer"):
            p.error(
                "nodePort",
                f"only NodePort and LoadBalancer Services have node ports, this one is {kind}",
            )
            node_port = None
        if number is None:
            continue
        if (number, protocol) in seen:
            p.error("port", f"{number}/{protocol} is already used by {seen[(number, protocol)]}")
            continue
        seen[(number, protocol)] = p.path
        # The API server defaults targetPort to port; the model holds defaulted values.
        target = number if target is None else target
        ports.append(
            ServicePort(number, protocol, name, target, node_port, p.str("appProtocol") or None)
        )
        sources.append(p.source(h.source))
    return tuple(ports), tuple(sources)


def _read_target_port(p: Reader) -> int | str | None:
    target = p.int_or_str("targetPort")
    if isinstance(target, int):
        if target == 0:
            return None  # the API server defaults 0 to ``port``
        if not 1 <= target <= 65535:
            p.error("targetPort", f"must be between 1 and 65535, got {target}")
            return None
    elif isinstance(target, str):
        if target == "":
            return None
        message = iana_svc_name_error(target)
        if message:
            p.error("targetPort", message)
            return None
    return target


def _external_name_error(value: str) -> str | None:
    if parse_ip(value) is not None:
        return None  # valid (if useless): DNS answers NXDOMAIN, semantics.md §12 item 61
    return dns_subdomain_error(value.rstrip("."))


def _read_ip_list(spec: Reader, key: str) -> tuple[IP, ...]:
    return tuple(dict.fromkeys(parse_ip(t) for t, _, _ in spec.strs(key, check=ip_error)))


def _read_source_ranges(spec: Reader) -> tuple:
    """spec.loadBalancerSourceRanges, as kube-proxy reads them (the API server, like Go's
    ParseCIDR, keeps the network of an address with host bits set)."""
    listed = spec.strs("loadBalancerSourceRanges", check=masked_cidr_error)
    return tuple(dict.fromkeys(n for t, _, _ in listed if (n := masked_cidr(t)) is not None))


def _read_lb_ips(root: Reader) -> tuple[IP, ...]:
    status = root.map("status")
    lb = status.map("loadBalancer") if status else None
    if lb is None:
        return ()
    out: list[IP] = []
    for ingress in lb.maps("ingress"):
        text = ingress.str("ip", check=ip_error)
        if text and parse_ip(text) not in out:
            out.append(parse_ip(text))
    return tuple(out)


# --------------------------------------------------------------------------- EndpointSlice


def read_endpoint_slice(h: Header) -> EndpointSlice:
    """An EndpointSlice (discovery.k8s.io/v1, or v1beta1 whose nodeName lived in ``topology``)."""
    root = h.root
    address_type = root.str("addressType", required=True, choices=ADDRESS_TYPES) or "IPv4"
    family = FAMILY_NAMES.get(address_type)
    endpoints = []
    for e in root.maps("endpoints"):
        addresses = _read_addresses(e, family)
        cond = e.map_or_empty("conditions")
        node_name = e.str("nodeName", check=dns_subdomain_error)
        if node_name is None:
            topology = e.map("topology")
            hostname = topology.get("kubernetes.io/hostname") if topology else None
            node_name = hostname if isinstance(hostname, str) else None
        if family is None:
            continue  # FQDN endpoints carry no IPs; kube-proxy ignores them
        endpoints.append(
            Endpoint(
                addresses=addresses,
                # nil ready/serving read as true, nil terminating as false (semantics.md §6.3)
                ready=cond.bool("ready", True),
                serving=cond.bool("serving", True),
                terminating=cond.bool("terminating", False),
                hostname=e.str("hostname", check=dns_label_error),
                node_name=node_name,
                target_pod=_read_target_pod(e, h.namespace),
            )
        )
    ports = []
    for p in root.maps("ports"):
        name = p.str("name", default="")
        ports.append(
            EndpointPort(
                port=p.port("port"),
                protocol=p.str("protocol", default="TCP", choices=PROTOCOLS) or "TCP",
                name=name or None,
            )
        )
    return EndpointSlice(
        namespace=h.namespace or "default",
        name=h.name or "",
        service_name=h.labels.get(SERVICE_NAME_LABEL),
        address_type=address_type,
        ports=tuple(ports),
        endpoints=tuple(endpoints),
        source=h.source,
    )


def _read_addresses(e: Reader, family: int | None) -> tuple[IP, ...]:
    raw = e.get("addresses")
    if raw is None or raw == []:
        e.error("addresses" if raw is not None else None, "an endpoint needs at least one address")
    entries = e.strs("addresses")
    out: list[IP] = []
    for text, i, line in entries:
        if family is None:
            continue
        ip = parse_ip(text)
        if ip is None:
            e.item_error("addresses", i, line, f"{text!r} is not a valid IP address")
        elif ip.version != family:
            e.item_error(
                "addresses",
                i,
                line,
                f"{ip} is not an IPv{family} address (addressType is IPv{family})",
            )
        else:
            out.append(ip)
    return tuple(out)


def _read_target_pod(e: Reader, namespace: str | None) -> str | None:
    ref = e.map("targetRef")
    if ref is None:
        return None
    kind = ref.str("kind")
    name = ref.str("name")
    ns = ref.str("namespace") or namespace
    return f"{ns}/{name}" if kind == "Pod" and name else None


# --------------------------------------------------------------------------- Endpoints


def read_endpoints(h: Header) -> list[EndpointSlice]:
    """Legacy v1 Endpoints as EndpointSlices (``legacy=True``), one per subset and family.

    ``addresses`` are ready endpoints, ``notReadyAddresses`` neither ready nor serving.
    """
    slices: list[EndpointSlice] = []
    for subset in h.root.maps("subsets"):
        ports = tuple(
            EndpointPort(
                port=p.port("port", required=True),
                protocol=p.str("protocol", default="TCP", choices=PROTOCOLS) or "TCP",
                name=p.str("name") or None,
            )
            for p in subset.maps("ports")
        )
        by_family: dict[int, list[Endpoint]] = {}
        for key, ready in (("addresses", True), ("notReadyAddresses", False)):
            for a in subset.maps(key):
                text = a.str("ip", required=True, check=ip_error)
                if not text:
                    continue
                ip = parse_ip(text)
                by_family.setdefault(ip.version, []).append(
                    Endpoint(
                        addresses=(ip,),
                        ready=ready,
                        serving=ready,
                        hostname=a.str("hostname", check=dns_label_error),
                        node_name=a.str("nodeName"),
                        target_pod=_read_target_pod(a, h.namespace),
                    )
                )
        for family, endpoints in sorted(by_family.items()):
            slices.append(
                EndpointSlice(
                    namespace=h.namespace or "default",
                    name=h.name or "",
                    service_name=h.name,
                    address_type=f"IPv{family}",
                    ports=ports,
                    endpoints=tuple(endpoints),
                    legacy=True,
                    source=subset.source(h.source),
                )
            )
    if len(slices) > 1:
        # Distinct names, so every slice has its own identity ("web-0", "web-1", ...).
        slices = [
            EndpointSlice(
                s.namespace,
                f"{s.name}-{i}",
                s.service_name,
                s.address_type,
                s.ports,
                s.endpoints,
                True,
                s.source,
            )
            for i, s in enumerate(slices)
        ]
    return slices
