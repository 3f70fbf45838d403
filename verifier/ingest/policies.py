"""NetworkPolicy (networking.k8s.io/v1), defaulted and validated as the API server does (semantics.md §3).

Every rule and peer keeps its own source line, so a trace can name the exact
rule that allowed a packet.

>>> from verifier.ingest.documents import parse_text
>>> from verifier.ingest.objects import read_header
>>> objs, _ = parse_text('''
... kind: NetworkPolicy
... metadata: {name: p, namespace: x}
... spec:
...   egress: [{to: [{podSelector: {}}]}]
... ''')
>>> pol = read_network_policy(read_header(objs[0], [], namespaced=True))
>>> pol.policy_types, str(pol.egress[0].peers[0]), pol.egress[0].source.line
(('Ingress', 'Egress'), 'pods [<all>]', 5)
"""

from __future__ import annotations

from ..model import (
    PROTOCOLS,
    IPBlock,
    LabelSelector,
    Network,
    NetworkPolicy,
    Peer,
    PolicyPort,
    PolicyRule,
    Source,
)
from .labels import read_selector
from .objects import Header
from .reader import Reader, one_of
from .syntax import host_bits_warning, iana_svc_name_error, masked_cidr, masked_cidr_error

__all__ = ["read_masked_cidrs", "read_network_policy", "read_ip_block", "reject_unknown"]

POLICY_TYPES = ("Ingress", "Egress")
_PEER_FIELDS = ("podSelector", "namespaceSelector", "ipBlock")
_PORT_FIELDS = ("protocol", "port", "endPort")
_RULE_FIELDS = {"Ingress": ("from", "ports"), "Egress": ("to", "ports")}
_EMPTY = LabelSelector()


def read_network_policy(h: Header) -> NetworkPolicy:
    spec = h.root.map("spec")
    if spec is None:
        if not h.root.has("spec"):
            h.root.warn(
                None,
                "no spec: the policy selects every pod of its namespace and denies all ingress",
            )
        spec = h.root.map_or_empty("spec")
    pod_selector = read_selector(spec, "podSelector")
    ingress = _read_rules(spec, "ingress", "Ingress", h.source)
    egress = _read_rules(spec, "egress", "Egress", h.source)
    types = _read_policy_types(spec)
    return NetworkPolicy(
        namespace=h.namespace or "default",
        name=h.name or "",
        pod_selector=pod_selector if pod_selector is not None else _EMPTY,
        policy_types=types,
        ingress=ingress,
        egress=egress,
        source=h.source,
    )


def _read_policy_types(spec: Reader) -> tuple[str, ...]:
    """policyTypes; when empty, ``[Ingress]`` plus ``Egress`` iff spec.egress is non-empty (§3.2)."""
    types: list[str] = []
    for text, i, line in spec.strs("policyTypes"):
        if text not in POLICY_TYPES:
            spec.item_error("policyTypes", i, line, f"must be {one_of(POLICY_TYPES)}, got {text!r}")
        elif text in types:
            spec.item_error("policyTypes", i, line, f"{text} is listed twice")
        else:
            types.append(text)
    if types:
        return tuple(types)
    egress = spec.get("egress")
    return ("Ingress", "Egress") if isinstance(egress, list) and egress else ("Ingress",)


def _read_rules(spec: Reader, key: str, direction: str, source: Source) -> tuple[PolicyRule, ...]:
    peers_key, _ = _RULE_FIELDS[direction]
    rules = []
    for r in spec.maps(key):
        reject_unknown(r, _RULE_FIELDS[direction], f"{direction.lower()} rules have")
        peers = tuple(
            p for p in (_read_peer(peer, source) for peer in r.maps(peers_key)) if p is not None
        )
        ports = tuple(p for p in (_read_port(port) for port in r.maps("ports")) if p is not None)
        rules.append(PolicyRule(peers, ports, r.source(source)))
    return tuple(rules)


def _read_peer(r: Reader, source: Source) -> Peer | None:
    reject_unknown(r, _PEER_FIELDS, "a peer has")
    pod_selector = read_selector(r, "podSelector")
    namespace_selector = read_selector(r, "namespaceSelector")
    ip_block = read_ip_block(r)
    if (
        ip_block is None
        and not r.has("ipBlock")
        and pod_selector is None
        and namespace_selector is None
    ):
        r.error(None, f"a peer must set {one_of(_PEER_FIELDS)}")
        return None
    if r.has("ipBlock") and (r.has("podSelector") or r.has("namespaceSelector")):
        r.error(
            "ipBlock", "may not be combined with podSelector or namespaceSelector in the same peer"
        )
        return None
    if r.has("ipBlock") and ip_block is None:
        return None
    return Peer(pod_selector, namespace_selector, ip_block, r.source(source))


def read_ip_block(r: Reader) -> IPBlock | None:
    """ipBlock: a CIDR and excepts strictly inside it, of the same family (§3.6)."""
    b = r.map("ipBlock")
    if b is None:
        return None
    reject_unknown(b, ("cidr", "except"), "an ipBlock has")
    text = b.str("cidr", required=True, check=masked_cidr_error)
    cidr = masked_cidr(text) if text else None
    warning = host_bits_warning(text) if text else None
    if warning:
        b.warn("cidr", warning)
    excepts: list[Network] = []
    for value, i, line in read_masked_cidrs(b, "except"):
        net = masked_cidr(value)
        if cidr is None:
            continue
        if net.version != cidr.version:
            b.item_error(
                "except",
                i,
                line,
                f"{net} is IPv{net.version} but the cidr {cidr} is IPv{cidr.version}",
            )
        elif not (net.prefixlen > cidr.prefixlen and net.subnet_of(cidr)):
            b.item_error("except", i, line, f"{net} must be strictly inside the cidr {cidr}")
        else:
            excepts.append(net)
    if cidr is None:
        return None
    return IPBlock(cidr, tuple(excepts))


def read_masked_cidrs(r: Reader, key: str) -> list[tuple[str, int, int | None]]:
    """The CIDRs of list ``key`` as (text, index, line); host bits set are a warning, not an error."""
    entries = r.strs(key, check=masked_cidr_error)
    for text, i, line in entries:
        message = host_bits_warning(text)
        if message:
            r.item_error(key, i, line, message, severity="warning")
    return entries


def _read_port(p: Reader) -> PolicyPort | None:
    """A NetworkPolicyPort: protocol defaults to TCP; endPort needs a numeric port <= it (§3.7)."""
    reject_unknown(p, _PORT_FIELDS, "a port has")
    protocol = p.str("protocol", default="TCP", choices=PROTOCOLS)
    port = p.int_or_str("port")
    ok = protocol is not None
    if isinstance(port, int) and not 1 <= port <= 65535:
        p.error("port", f"must be between 1 and 65535, got {port}")
        ok = False
    elif isinstance(port, str):
        message = iana_svc_name_error(port)
        if message:
            p.error("port", message)
            ok = False
    end_port = p.port("endPort")
    if p.has("endPort") and end_port is None:
        ok = False
    if end_port is not None:
        if port is None:
            p.error("endPort", "needs a numeric port to start the range")
            ok = False
        elif isinstance(port, str):
            p.error("endPort", f"cannot be used with the named port {port!r}")
            ok = False
        elif end_port < port:
            p.error("endPort", f"must be at least port ({port}), got {end_port}")
            ok = False
    if not ok:
        return None
    return PolicyPort(protocol, port, end_port)


def reject_unknown(r: Reader, known: tuple[str, ...], what: str) -> None:
    """Unknown fields are errors here: ``ingress: [{to: ...}]`` must not read as "allow all"."""
    for name in r.data:
        if name not in known:
            r.error(name, f"unknown field {name!r} ({what} {one_of(known)})")
