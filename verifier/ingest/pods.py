"""Pods, and the pod specs that workload templates share with them.

:func:`read_pod_spec` reads a ``PodSpec`` wherever it is (``spec`` of a Pod,
``spec.template.spec`` of a Deployment) into a :class:`PodSpecInfo`, which also
keeps what scheduling needs but the model does not (nodeSelector,
tolerations). :func:`read_pod` adds metadata and status. The result is a
:class:`PodEntry`: the model Pod plus that scheduling information, finished
by the topology and allocation stages.

>>> from verifier.ingest.documents import parse_text
>>> from verifier.ingest.objects import read_header
>>> objs, _ = parse_text('''
... kind: Pod
... metadata: {name: a, namespace: x}
... spec:
...   containers: [{name: c, ports: [{containerPort: 80, name: http}]}]
... ''')
>>> entry = read_pod(read_header(objs[0], [], namespaced=True))
>>> entry.pod.named_port("http", "TCP"), entry.pod.phase
(80, 'Running')
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import (
    IP,
    PROTOCOLS,
    Container,
    ContainerPort,
    DNSConfig,
    Labels,
    Pod,
)
from .objects import Header
from .rbac import read_annotation
from .reader import Reader
from .syntax import (
    dns_label_error,
    dns_subdomain_error,
    iana_svc_name_error,
    ip_error,
    label_key_error,
    label_value_error,
    parse_ip,
)

__all__ = ["PodEntry", "PodSpecInfo", "Toleration", "read_owner", "read_pod", "read_pod_spec"]

NO_LABELS = Labels()
DNS_POLICIES = ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
_TOLERATION_OPERATORS = ("Equal", "Exists")
_TOLERATION_EFFECTS = ("", "NoSchedule", "PreferNoSchedule", "NoExecute")


@dataclass(frozen=True, slots=True)
class Toleration:
    """``key operator value : effect``; empty key with Exists tolerates every taint."""

    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""

    def tolerates(self, key: str, value: str, effect: str) -> bool:
        if self.effect and self.effect != effect:
            return False
        if self.operator == "Exists":
            return not self.key or self.key == key
        return self.key == key and self.value == value


@dataclass(frozen=True)
class PodSpecInfo:
    containers: tuple[Container, ...] = ()
    host_network: bool = False
    node_name: str | None = None
    hostname: str | None = None
    subdomain: str | None = None
    dns_policy: str = "ClusterFirst"
    dns_config: DNSConfig | None = None
    node_selector: Labels = NO_LABELS
    tolerations: tuple[Toleration, ...] = ()
    service_account: str = "default"
    #: automountServiceAccountToken (None: unset, the ServiceAccount decides).
    automount_token: bool | None = None


@dataclass(frozen=True)
class PodEntry:
    """A pod under construction: the model Pod and what placing it needs."""

    pod: Pod
    node_selector: Labels = NO_LABELS
    tolerations: tuple[Toleration, ...] = ()
    #: status.hostIP/hostIPs: the node's addresses, when the input knew them.
    host_ips: tuple[IP, ...] = ()
    #: True for pods made up from a workload template.
    expanded: bool = False
    #: automountServiceAccountToken of the pod spec, and the netverify.dev/api-client
    #: annotation (verifier.ingest.rbac decides with them whether the pod is an API client).
    automount_token: bool | None = None
    api_annotation: bool | None = None


# --------------------------------------------------------------------------- spec


def read_pod_spec(spec: Reader) -> PodSpecInfo:
    """Read a PodSpec; every problem is reported with its full path (``spec.template.spec...``)."""
    host_network = spec.bool("hostNetwork")
    containers: list[Container] = []
    port_names: dict[str, str] = {}
    raw = spec.get("containers")
    if spec.present and (raw is None or raw == []):
        spec.error("containers" if raw is not None else None, "a pod needs at least one container")
    for c in spec.maps("containers"):
        container = _read_container(c, "container", host_network, port_names)
        if container is not None:
            containers.append(container)
    for c in spec.maps("initContainers"):
        # Only restartable init containers (sidecars) keep running and serve traffic.
        sidecar = c.str("restartPolicy", choices=("Always",)) == "Always"
        container = _read_container(c, "init", host_network, port_names)
        if container is not None and sidecar:
            containers.append(container)
    dns_policy = spec.str("dnsPolicy", default="ClusterFirst", choices=DNS_POLICIES)
    dns_config = _read_dns_config(spec)
    if dns_policy == "None" and (dns_config is None or not dns_config.nameservers):
        spec.error("dnsConfig", "dnsPolicy None needs at least one dnsConfig.nameservers entry")
    return PodSpecInfo(
        containers=tuple(containers),
        host_network=host_network,
        node_name=spec.str("nodeName", check=dns_subdomain_error) or None,
        hostname=spec.str("hostname", check=dns_label_error) or None,
        subdomain=spec.str("subdomain", check=dns_label_error) or None,
        dns_policy=dns_policy or "ClusterFirst",
        dns_config=dns_config,
        node_selector=Labels(
            spec.str_map("nodeSelector", check_key=label_key_error, check_value=label_value_error)
        ),
        tolerations=tuple(_read_toleration(t) for t in spec.maps("tolerations")),
        service_account=spec.str("serviceAccountName") or spec.str("serviceAccount") or "default",
        automount_token=(
            spec.bool("automountServiceAccountToken")
            if spec.has("automountServiceAccountToken")
            else None
        ),
    )


def _read_container(
    c: Reader, role: str, host_network: bool, port_names: dict[str, str]
) -> Container | None:
    name = c.str("name", required=True, check=dns_label_error)
    ports: list[ContainerPort] = []
    for p in c.maps("ports"):
        number = p.port("containerPort", required=True)
        port_name = p.str("name", check=iana_svc_name_error) or None
        protocol = p.str("protocol", default="TCP", choices=PROTOCOLS) or "TCP"
        host_port = p.port("hostPort")
        host_ip = p.str("hostIP", check=ip_error) or None
        if port_name is not None:
            if port_name in port_names:
                p.error(
                    "name", f"port name {port_name!r} is already used at {port_names[port_name]}"
                )
            else:
                port_names[port_name] = p.field("name")
        if host_network and number is not None:
            # semantics.md §1.3: on the host network hostPort is containerPort.
            if host_port is None:
                host_port = number
            elif host_port != number:
                p.error(
                    "hostPort",
                    f"hostNetwork pods must use hostPort == containerPort ({number}), got {host_port}",
                )
        if number is not None:
            ports.append(ContainerPort(number, protocol, port_name, host_port, host_ip))
    if name is None:
        return None
    return Container(name, tuple(ports), role)


def _read_dns_config(spec: Reader) -> DNSConfig | None:
    cfg = spec.map("dnsConfig")
    if cfg is None:
        return None
    nameservers = tuple(v for v, _, _ in cfg.strs("nameservers", check=ip_error))
    if len(nameservers) > 3:
        cfg.error("nameservers", f"at most 3 nameservers are allowed, got {len(nameservers)}")
    searches = tuple(v for v, _, _ in cfg.strs("searches", check=_search_error))
    if len(searches) > 32:
        cfg.error("searches", f"at most 32 search domains are allowed, got {len(searches)}")
    options = []
    for o in cfg.maps("options"):
        name = o.str("name", required=True, nonempty=True)
        value = o.str("value")
        if name:
            options.append((name, value))
    return DNSConfig(nameservers, searches, tuple(options))


def _search_error(value: str) -> str | None:
    return dns_subdomain_error(value.rstrip(".").lower()) if value != "." else None


def _read_toleration(t: Reader) -> Toleration:
    key = t.str("key", default="", check=label_key_error) or ""
    operator = t.str("operator", default="Equal", choices=_TOLERATION_OPERATORS) or "Equal"
    value = t.str("value", default="") or ""
    effect = t.str("effect", default="", choices=_TOLERATION_EFFECTS) or ""
    if operator == "Exists" and value:
        t.error("value", "must be empty when operator is Exists")
    if not key and operator != "Exists":
        t.error("operator", "an empty key needs operator Exists")
    return Toleration(key, operator, value, effect)


# --------------------------------------------------------------------------- Pod


def read_owner(meta: Reader) -> str | None:
    """The controlling owner as ``Kind/name`` (the ``controller: true`` reference, else the first)."""
    owners = []
    for ref in meta.maps("ownerReferences"):
        kind = ref.str("kind", required=True)
        name = ref.str("name", required=True)
        if kind and name:
            owners.append((ref.bool("controller"), f"{kind}/{name}"))
    controllers = [o for c, o in owners if c]
    return (controllers or [o for _, o in owners] or [None])[0]


def read_pod(h: Header) -> PodEntry:
    """A Pod object: spec, ownership and status (IPs, phase, readiness, termination)."""
    spec_reader = h.root.map_or_empty("spec", required=True)
    spec = read_pod_spec(spec_reader)
    status = h.root.map_or_empty("status")
    ips = _read_pod_ips(status)
    phase = status.str("phase", default="Running", choices=PHASES) or "Running"
    ready = _read_ready(status, phase)
    host_ips = _read_host_ips(status)
    pod = Pod(
        namespace=h.namespace or "default",
        name=h.name or "",
        labels=h.labels,
        node_name=spec.node_name,
        host_network=spec.host_network,
        containers=spec.containers,
        ips=ips,
        phase=phase,
        ready=ready,
        terminating=h.meta.has("deletionTimestamp"),
        hostname=spec.hostname,
        subdomain=spec.subdomain,
        dns_policy=spec.dns_policy,
        dns_config=spec.dns_config,
        owner=read_owner(h.meta),
        source=h.source,
        service_account=spec.service_account,
    )
    return PodEntry(
        pod,
        spec.node_selector,
        spec.tolerations,
        host_ips,
        automount_token=spec.automount_token,
        api_annotation=read_annotation(h.meta),
    )


def _read_pod_ips(status: Reader) -> tuple[IP, ...]:
    """status.podIPs (or podIP alone): at most one per family, podIPs[0] == podIP (semantics.md §1.1)."""
    primary_text = status.str("podIP", check=ip_error)
    primary = parse_ip(primary_text) if primary_text else None
    ips: list[IP] = []
    for entry in status.maps("podIPs"):
        text = entry.str("ip", required=True, check=ip_error)
        ip = parse_ip(text) if text else None
        if ip is None:
            continue
        if any(other.version == ip.version for other in ips):
            entry.error(
                "ip", f"a pod has at most one IPv{ip.version} address, got {ips[0]} and {ip}"
            )
            continue
        ips.append(ip)
    if primary is not None:
        if not ips:
            ips = [primary]
        elif ips[0] != primary:
            status.error("podIPs", f"podIPs[0] ({ips[0]}) must equal podIP ({primary})")
    return tuple(ips)


def _read_host_ips(status: Reader) -> tuple[IP, ...]:
    out: list[IP] = []
    text = status.str("hostIP", check=ip_error)
    if text:
        out.append(parse_ip(text))
    for entry in status.maps("hostIPs"):
        t = entry.str("ip", check=ip_error)
        ip = parse_ip(t) if t else None
        if ip is not None and ip not in out:
            out.append(ip)
    return tuple(out)


def _read_ready(status: Reader, phase: str) -> bool:
    """The Ready condition; a pod written without status is assumed running and ready."""
    for cond in status.maps("conditions"):
        if cond.get("type") == "Ready":
            return cond.str("status", choices=("True", "False", "Unknown")) == "True"
    if status.has("conditions") or status.has("phase"):
        return phase == "Running" and not status.has("conditions")
    return True
