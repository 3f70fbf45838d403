"""Tiered policy kinds: AdminNetworkPolicy, BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)
and Calico NetworkPolicy, GlobalNetworkPolicy and Tier (projectcalico.org/v3), validated as their CRDs do.

>>> from verifier.ingest.documents import parse_text
>>> from verifier.ingest.objects import read_header
>>> objs, _ = parse_text('''
... apiVersion: projectcalico.org/v3
... kind: GlobalNetworkPolicy
... metadata: {name: deny-b}
... spec:
...   selector: app == 'a'
...   ingress: [{action: Deny, source: {selector: app == 'b'}}]
... ''')
>>> p = read_calico_policy(read_header(objs[0], [], namespaced=False))
>>> p.types, p.ingress[0].action, p.ingress[0].source_rule.selector
(('Ingress',), 'Deny', "app == 'b'")
"""

from __future__ import annotations

from ..model import (
    PROTOCOLS,
    AdminNetworkPolicy,
    AdminPeer,
    AdminPort,
    AdminRule,
    CalicoPolicy,
    CalicoRule,
    EntityRule,
    LabelSelector,
    Tier,
)
from ..semantics.calico_selector import selector_error
from .labels import read_selector
from .objects import Header, read_cidrs
from .policies import read_masked_cidrs
from .reader import Reader, one_of
from .syntax import iana_svc_name_error, masked_cidr

__all__ = [
    "read_admin_network_policy",
    "read_baseline_admin_network_policy",
    "read_calico_policy",
    "read_tier",
]

ANP_ACTIONS = ("Allow", "Deny", "Pass")
BANP_ACTIONS = ("Allow", "Deny")
CALICO_ACTIONS = ("Allow", "Deny", "Pass", "Log")
CALICO_PROTOCOLS = ("TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite")
_NUMBERED = {6: "TCP", 17: "UDP", 132: "SCTP", 1: "ICMP", 58: "ICMPv6", 136: "UDPLite"}


# --------------------------------------------------------------------------- ANP / BANP


def read_admin_network_policy(h: Header) -> AdminNetworkPolicy:
    spec = h.root.map("spec", required=True) or h.root.map_or_empty("spec")
    priority = spec.int("priority", required=True, lo=0, hi=1000)
    return _admin(h, spec, priority, baseline=False, actions=ANP_ACTIONS)


def read_baseline_admin_network_policy(h: Header) -> AdminNetworkPolicy | None:
    spec = h.root.map("spec", required=True) or h.root.map_or_empty("spec")
    if h.name is not None and h.name != "default":
        # The CRD only admits the singleton "default" (checklist item 41).
        h.meta.error(
            "name", f"a BaselineAdminNetworkPolicy must be named 'default', got {h.name!r}"
        )
    return _admin(h, spec, None, baseline=True, actions=BANP_ACTIONS)


def _admin(
    h: Header, spec: Reader, priority: int | None, *, baseline: bool, actions: tuple[str, ...]
) -> AdminNetworkPolicy:
    subject = spec.map("subject", required=True)
    ns_sel = pod_ns = pods = None
    if subject is not None:
        chosen = [k for k in ("namespaces", "pods") if subject.has(k)]
        if len(chosen) != 1:
            subject.error(None, "set exactly one of 'namespaces' or 'pods'")
        elif chosen[0] == "namespaces":
            ns_sel = read_selector(subject, "namespaces")
        else:
            p = subject.map("pods")
            if p is not None:
                pod_ns, pods = _namespaced_pods(p)
    ingress = tuple(_admin_rule(r, h, "Ingress", actions) for r in spec.maps("ingress"))
    egress = tuple(_admin_rule(r, h, "Egress", actions) for r in spec.maps("egress"))
    for key, rules in (("ingress", ingress), ("egress", egress)):
        if len(rules) > 100:
            spec.error(key, f"at most 100 rules, got {len(rules)}")
    return AdminNetworkPolicy(
        h.name or "", priority, ns_sel, pod_ns, pods, ingress, egress, baseline, h.source
    )


def _admin_rule(r: Reader, h: Header, direction: str, actions: tuple[str, ...]) -> AdminRule:
    action = r.str("action", required=True, choices=actions) or "Deny"
    key = "from" if direction == "Ingress" else "to"
    peers = tuple(_admin_peer(p, direction) for p in r.maps(key))
    if not peers:
        r.error(key, "needs at least one peer")
    ports = None
    if r.get("ports") is not None:
        ports = tuple(p for p in (_admin_port(x) for x in r.maps("ports")) if p is not None)
    return AdminRule(action, peers, ports, r.str("name"), r.source(h.source))


def _admin_peer(p: Reader, direction: str) -> AdminPeer:
    allowed = (
        ("namespaces", "pods")
        if direction == "Ingress"
        else ("namespaces", "pods", "networks", "nodes")
    )
    for k in p.data:
        if k not in allowed:
            p.error(k, f"unknown {direction.lower()} peer field {k!r} (use {one_of(allowed)})")
    chosen = [k for k in allowed if p.has(k)]
    if len(chosen) > 1:
        p.error(None, f"set exactly one of {one_of(allowed)}")
        return AdminPeer()
    if not chosen:
        return AdminPeer()  # fails closed at evaluation (semantics.md §4.3)
    k = chosen[0]
    if k == "namespaces":
        return AdminPeer(namespaces=read_selector(p, "namespaces") or LabelSelector())
    if k == "nodes":
        return AdminPeer(nodes=read_selector(p, "nodes") or LabelSelector())
    if k == "networks":
        nets = tuple(masked_cidr(t) for t, _, _ in read_masked_cidrs(p, "networks"))
        return AdminPeer(networks=nets)  # type: ignore[arg-type]
    pods = p.map("pods")
    if pods is None:
        return AdminPeer()
    pod_ns, pod_sel = _namespaced_pods(pods)
    if pod_ns is None or pod_sel is None:
        return AdminPeer()  # reported; a peer matching nothing fails closed
    return AdminPeer(pod_namespaces=pod_ns, pods=pod_sel)


def _namespaced_pods(p: Reader) -> tuple[LabelSelector | None, LabelSelector | None]:
    """A NamespacedPod (subject or peer ``pods``): both selectors are required by the CRD."""
    namespaces = read_selector(p, "namespaceSelector")
    pods = read_selector(p, "podSelector")
    for key, value in (("namespaceSelector", namespaces), ("podSelector", pods)):
        if value is None and p.get(key) is None:  # absent or null; a wrong type is reported already
            p.error(key, "missing required field")
    return namespaces, pods


def _admin_port(p: Reader) -> AdminPort | None:
    chosen = [k for k in ("portNumber", "portRange", "namedPort") if p.has(k)]
    if len(chosen) != 1:
        p.error(None, "set exactly one of 'portNumber', 'portRange' or 'namedPort'")
        return None
    k = chosen[0]
    if k == "namedPort":
        name = p.str("namedPort", check=iana_svc_name_error)
        return AdminPort(name=name) if name else None
    sub = p.map(k)
    if sub is None:
        return None
    protocol = sub.str("protocol", default="TCP", choices=PROTOCOLS) or "TCP"
    if k == "portNumber":
        port = sub.port("port", required=True)
        return AdminPort(protocol, port) if port else None
    start, end = sub.port("start", required=True), sub.port("end", required=True)
    if start is not None and end is not None and start >= end:
        sub.error("end", f"must be greater than start ({start}), got {end}")
        return None
    return AdminPort(protocol, start, end) if start and end else None


# --------------------------------------------------------------------------- Calico


def read_tier(h: Header) -> Tier:
    spec = h.root.map_or_empty("spec")
    order = spec.get("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, (int, float))):
        spec.error("order", "expected a number")
        order = None
    action = spec.str("defaultAction", default="Deny", choices=("Deny", "Pass")) or "Deny"
    return Tier(h.name or "", float(order) if order is not None else None, action, h.source)


def read_calico_policy(h: Header) -> CalicoPolicy:
    """Calico NetworkPolicy (namespaced) or GlobalNetworkPolicy; ``types`` defaulted as Calico does (§5.3)."""
    spec = h.root.map_or_empty("spec")
    ingress = tuple(_calico_rule(r, h) for r in spec.maps("ingress"))
    egress = tuple(_calico_rule(r, h) for r in spec.maps("egress"))
    types = tuple(t for t, _p, _l in spec.strs("types")) if spec.get("types") else ()
    for t in types:
        if t not in ("Ingress", "Egress"):
            spec.error("types", f"must be 'Ingress' or 'Egress', got {t!r}")
    if not types:
        types = tuple(t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules) or (
            "Ingress",
        )
    order = spec.get("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, (int, float))):
        spec.error("order", "expected a number")
        order = None
    name = h.name or ""
    tier = spec.str("tier", default="default") or "default"
    if tier != "default" and name.startswith(f"{tier}."):
        name = name[len(tier) + 1 :]  # Calico names tiered policies "<tier>.<name>"
    return CalicoPolicy(
        name=name,
        namespace=h.namespace,
        tier=tier,
        order=float(order) if order is not None else None,
        selector=spec.str("selector", default="all()", check=selector_error) or "all()",
        namespace_selector=spec.str("namespaceSelector", check=selector_error)
        if h.namespace is None
        else None,
        types=types,
        ingress=ingress,
        egress=egress,
        source=h.source,
    )


def _protocol(r: Reader, key: str) -> str | None:
    value = r.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return _NUMBERED.get(value, str(value))
    return r.str(key, choices=CALICO_PROTOCOLS)


def _calico_rule(r: Reader, h: Header) -> CalicoRule:
    action = r.str("action", required=True, choices=CALICO_ACTIONS) or "Deny"
    ip_version = r.int("ipVersion")
    if ip_version not in (None, 4, 6):
        r.error("ipVersion", f"must be 4 or 6, got {ip_version}")
        ip_version = None
    protocol = _protocol(r, "protocol")
    rule = CalicoRule(
        action,
        protocol,
        _protocol(r, "notProtocol"),
        ip_version,
        _entity(r.map_or_empty("source")),
        _entity(r.map_or_empty("destination")),
        r.source(h.source),
    )
    if (rule.destination.ports or rule.source_rule.ports) and protocol not in (
        "TCP",
        "UDP",
        "SCTP",
        "UDPLite",
    ):
        r.error("protocol", "ports need a port-bearing protocol (TCP, UDP, SCTP)")
    return rule


def _entity(e: Reader) -> EntityRule:
    return EntityRule(
        nets=read_cidrs(e, "nets", per_family=None),
        not_nets=read_cidrs(e, "notNets", per_family=None),
        selector=e.str("selector", check=selector_error),
        not_selector=e.str("notSelector", check=selector_error),
        namespace_selector=e.str("namespaceSelector", check=selector_error),
        ports=_ports(e, "ports"),
        not_ports=_ports(e, "notPorts"),
    )


def _ports(e: Reader, key: str) -> tuple:
    out: list = []
    for value, i, line in e.items(key):
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
            out.append((value, value))
        elif isinstance(value, str) and ":" in value:
            lo, _, hi = value.partition(":")
            if lo.isdigit() and hi.isdigit() and 1 <= int(lo) <= int(hi) <= 65535:
                out.append((int(lo), int(hi)))
            else:
                e.item_error(
                    key, i, line, f"expected a port range 'lo:hi' within 1-65535, got {value!r}"
                )
        elif isinstance(value, str) and not iana_svc_name_error(value):
            out.append(value)
        else:
            e.item_error(
                key,
                i,
                line,
                f"expected a port number, a range 'lo:hi' or a port name, got {value!r}",
            )
    return tuple(out)
