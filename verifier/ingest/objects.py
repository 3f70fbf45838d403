"""Object headers and the cluster-scoped kinds: Namespace, Node, ServiceCIDR, Calico IPPool.

Every converter starts with :func:`read_header`, which reads ``metadata`` and
gives the :class:`Origin` that later problems of the object are blamed on.

>>> from verifier.ingest.documents import parse_text
>>> objs, _ = parse_text("apiVersion: v1\\nkind: Namespace\\nmetadata: {name: shop, labels: {team: a}}\\n")
>>> problems = []
>>> read_namespace(read_header(objs[0], problems, namespaced=False)).labels
Labels({'team': 'a', 'kubernetes.io/metadata.name': 'shop'})
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Problem
from ..model import IPPool, Labels, Namespace, Network, Node, NodeAddress, ServiceCIDR
from ..semantics.calico_selector import selector_error
from .documents import RawObject
from .labels import read_labels
from .reader import Origin, Reader
from .syntax import cidr_error, dns_label_error, dns_subdomain_error, ip_error, parse_cidr

__all__ = [
    "NAMESPACE_NAME_LABEL",
    "Header",
    "read_cidrs",
    "read_header",
    "read_ip_pool",
    "read_namespace",
    "read_node",
    "read_service_cidr",
]

#: Set by the control plane on every namespace (semantics.md §2.4).
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

#: Kinds whose names must be DNS labels (they appear as one label in DNS names).
_LABEL_NAMED = {"Namespace", "Service"}


@dataclass
class Header:
    """What every object has: its body and metadata readers, name, namespace and labels."""

    raw: RawObject
    root: Reader
    meta: Reader
    name: str | None
    namespace: str | None
    labels: Labels
    origin: Origin

    @property
    def source(self):
        return self.raw.source


def read_header(
    raw: RawObject, problems: list[Problem], *, namespaced: bool, default_namespace: str = "default"
) -> Header:
    """Read ``metadata``; objects without ``metadata.namespace`` go to ``default_namespace``.

    That is ``default``, or the namespace given with ``-n`` (as ``kubectl apply -n``).
    """
    origin = Origin(raw.source.file, raw.kind, problems=problems)
    root = Reader(raw.body, "", origin, located=raw.located)
    meta = root.map_or_empty("metadata", required=True)
    check = dns_label_error if raw.kind in _LABEL_NAMED else dns_subdomain_error
    # Without metadata, "metadata: missing required field" says it all.
    name = meta.str("name", required=meta.present, check=check)
    if name is None and isinstance(meta.get("name"), str):
        origin.name = meta.get("name")  # invalid, but still the best way to name the object
    origin.name = origin.name or name
    namespace = None
    if namespaced:
        namespace = meta.str("namespace", check=dns_label_error) or default_namespace
        origin.namespace = namespace
    labels = read_labels(meta)
    return Header(raw, root, meta, name, namespace, labels, origin)


def read_cidrs(reader: Reader, key: str, *, per_family: int | None = 1) -> tuple[Network, ...]:
    """A list of CIDRs; ``per_family`` limits how many of each family may be listed."""
    out: list[Network] = []
    for text, i, line in reader.strs(key, check=cidr_error):
        net = parse_cidr(text)
        if per_family is not None and sum(1 for n in out if n.version == net.version) >= per_family:
            reader.item_error(
                key, i, line, f"at most {per_family} IPv{net.version} CIDR allowed, got {text} too"
            )
            continue
        out.append(net)
    return tuple(out)


# --------------------------------------------------------------------------- Namespace


def read_namespace(h: Header) -> Namespace:
    labels = dict(h.labels)
    if h.name:
        labels[NAMESPACE_NAME_LABEL] = h.name  # set by the API server, whatever was written
    return Namespace(h.name or "", Labels(labels), h.source)


# --------------------------------------------------------------------------- Node

_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_IP_ADDRESS_TYPES = ("InternalIP", "ExternalIP")


def read_node(h: Header) -> Node:
    spec = h.root.map_or_empty("spec")
    status = h.root.map_or_empty("status")
    pod_cidr = spec.str("podCIDR", check=cidr_error)
    cidrs = read_cidrs(spec, "podCIDRs")
    if not cidrs and pod_cidr:
        cidrs = (parse_cidr(pod_cidr),)
    elif pod_cidr and cidrs and str(cidrs[0]) != pod_cidr:
        spec.error("podCIDRs", f"podCIDRs[0] ({cidrs[0]}) must equal podCIDR ({pod_cidr})")
    addresses = []
    for a in status.maps("addresses"):
        kind = a.str("type", required=True)
        check = ip_error if kind in _IP_ADDRESS_TYPES else None
        address = a.str("address", required=True, check=check)
        if kind and address:
            addresses.append(NodeAddress(kind, address))
    taints = []
    for t in spec.maps("taints"):
        key = t.str("key", required=True)
        value = t.str("value", default="")
        effect = t.str("effect", required=True, choices=_TAINT_EFFECTS)
        if key and effect in ("NoSchedule", "NoExecute"):
            taints.append((key, value or "", effect))
    return Node(
        name=h.name or "",
        labels=h.labels,
        pod_cidrs=cidrs,
        addresses=tuple(addresses),
        unschedulable=spec.bool("unschedulable"),
        taints=tuple(taints),
        source=h.source,
    )


# --------------------------------------------------------------------------- ServiceCIDR


def read_service_cidr(h: Header) -> ServiceCIDR:
    spec = h.root.map("spec", required=True)
    cidrs: tuple[Network, ...] = ()
    if spec is not None:
        cidrs = read_cidrs(spec, "cidrs")
        if not cidrs and not spec.items("cidrs"):
            spec.error("cidrs", "at least one CIDR is required")
    return ServiceCIDR(h.name or "", cidrs, h.source)


# --------------------------------------------------------------------------- Calico IPPool

_ENCAP_MODES = ("Never", "Always", "CrossSubnet")
_ALLOWED_USES = ("Workload", "Tunnel", "LoadBalancer")


def read_ip_pool(h: Header) -> IPPool | None:
    """A Calico IPPool (crd.projectcalico.org/v1 or projectcalico.org/v3), validated as Calico does."""
    spec = h.root.map("spec", required=True)
    if spec is None:
        return None
    cidr_text = spec.str("cidr", required=True, check=cidr_error)
    cidr = parse_cidr(cidr_text) if cidr_text else None
    ipip = spec.str("ipipMode", default="Never", choices=_ENCAP_MODES)
    vxlan = spec.str("vxlanMode", default="Never", choices=_ENCAP_MODES)
    if ipip != "Never" and vxlan != "Never":
        spec.error("vxlanMode", "ipipMode and vxlanMode cannot both be enabled")
    if cidr is not None and cidr.version == 6 and ipip != "Never":
        spec.error("ipipMode", "IPIP is IPv4 only; an IPv6 pool needs ipipMode: Never")
    block_size = None
    if cidr is not None:
        lo, hi = (20, 32) if cidr.version == 4 else (116, 128)
        block_size = spec.int("blockSize", default=26 if cidr.version == 4 else 122, lo=lo, hi=hi)
        if block_size is not None and block_size < cidr.prefixlen:
            spec.error("blockSize", f"blockSize /{block_size} is larger than the pool {cidr}")
            block_size = None
    selector = spec.str("nodeSelector", default="all()", check=selector_error)
    uses = tuple(u for u, _, _ in spec.strs("allowedUses", check=_allowed_use_error)) or (
        "Workload",
        "Tunnel",
    )
    if cidr is None:
        return None
    return IPPool(
        name=h.name or "",
        cidr=cidr,
        nat_outgoing=spec.bool("natOutgoing"),
        ipip_mode=ipip or "Never",
        vxlan_mode=vxlan or "Never",
        disabled=spec.bool("disabled"),
        node_selector=selector or "all()",
        block_size=block_size,
        allowed_uses=uses,
        source=h.source,
    )


def _allowed_use_error(value: str) -> str | None:
    return (
        None
        if value in _ALLOWED_USES
        else f"allowedUses entries must be one of {', '.join(_ALLOWED_USES)}, got {value!r}"
    )
