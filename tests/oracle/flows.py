"""Every concrete connection of a small cluster, through the engine's single-flow ``trace`` and nothing else.

A :class:`FlowTable` holds, for every (source, target address, port, protocol)
the oracle enumerates, the branches the engine says are ALLOWED. Sources are
every live pod (hostNetwork ones too), every node and every sampled outside
address; targets every pod IP, node IP, Service clusterIP / externalIP /
LoadBalancer IP and sampled outside address. Service frontends (NodePorts on
every node IP, ports of every VIP) and hostPorts are covered because every
port any object names is tried on every target (:func:`ports_by_protocol`).

What to try is computed from the model objects here, never from netverify's
semantics: the only call into the code under test is ``verifier.engine.trace``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from verifier.engine import trace
from verifier.errors import UsageError
from verifier.model import Cluster, Node, Pod

__all__ = [
    "Source",
    "Flow",
    "FlowTable",
    "Crash",
    "sources",
    "ports_by_protocol",
    "outside_samples",
    "named_cidrs",
    "trace_flow",
    "STATS",
]

PROTOCOLS = ("TCP", "UDP", "SCTP")
#: A port no object of a generated cluster names.
UNRELATED_PORT = 12345
FIXED_OUTSIDE = ("8.8.8.8", "2001:db8::1")

#: Ranges some implementation treats specially (ip-masq-agent defaults and reserved ranges,
#: link-local): outside addresses on either side of them are kept apart when sampling.
SPECIAL_RANGES = tuple(
    ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "240.0.0.0/4",
        "fe80::/10",
        "fd00::/8",
        "2001:db8::/32",
    )
)

#: Counters a run reports at its end (per process).
STATS = {"clusters": 0, "flows": 0, "skipped": 0}


@dataclass(frozen=True)
class Source:
    """A client: ``kind`` pod / node / outside; ``ref`` the pod ref, node name or address."""

    kind: str
    ref: str
    #: What ``trace`` is given: a Pod, ``"node/NAME"`` or an address.
    given: object
    #: The node the client sits on (pods and nodes).
    node: str | None
    host_network: bool = False

    def __str__(self) -> str:
        if self.kind == "node":
            return f"node/{self.ref}"
        if self.kind == "outside":
            return f"outside host {self.ref}"
        return self.ref + (" (hostNetwork)" if self.host_network else "")


@dataclass(frozen=True)
class Branch:
    """An ALLOWED branch: the backend pod (None for a node or outside delivery) and the delivered address."""

    pod: str | None
    ip: object
    port: int | None
    masquerade: bool = False
    #: The node that translated the packet, when the engine says (one branch per such node).
    node: str | None = None


@dataclass(frozen=True)
class Flow:
    source: Source
    target: object  # an address
    port: int
    protocol: str
    verdict: str
    allowed: tuple[Branch, ...]
    #: Did some branch (allowed or not) show an ``snat`` hop with outcome ``masquerade``?
    masquerade: bool = False

    def __str__(self) -> str:
        target = f"[{self.target}]" if self.target.version == 6 else str(self.target)
        return f"{self.source} -> {target}:{self.port}/{self.protocol}"


@dataclass(frozen=True)
class Crash:
    """``trace`` raised something else than UsageError."""

    flow: str
    error: str


@dataclass
class FlowTable:
    cluster: Cluster
    flows: list[Flow] = field(default_factory=list)
    crashes: list[Crash] = field(default_factory=list)
    skipped: int = 0
    seconds: float = 0.0
    index: dict = field(default_factory=dict)

    def get(self, source: Source, target, port: int, protocol: str) -> Flow | None:
        return self.index.get((source.kind, source.ref, target, port, protocol))

    def add(self, f: Flow) -> None:
        self.flows.append(f)
        self.index[(f.source.kind, f.source.ref, f.target, f.port, f.protocol)] = f


# --------------------------------------------------------------------------- what to try


def sources(
    c: Cluster, outside: Iterable = (), *, pods: bool = True, nodes: bool = True
) -> list[Source]:
    out: list[Source] = []
    if pods:
        for p in c.live_pods:
            # The implicit DNS pods serve; no statement takes them as clients (issue 10).
            if p.ips and p.node_name in c.node_by_name and not p.implicit:
                out.append(Source("pod", p.ref, p, p.node_name, p.host_network))
    if nodes:
        out += [Source("node", n.name, f"node/{n.name}", n.name) for n in c.nodes if n.ips]
    out += [Source("outside", str(ip), ip, None) for ip in outside]
    return out


def source_ip(c: Cluster, s: Source, family: int):
    """The address ``s`` sends from in ``family`` (None when it has none)."""
    if s.kind == "outside":
        return s.given if s.given.version == family else None
    if s.kind == "node":
        n = c.node_by_name[s.ref]
        return n.ip(family)
    p = c.pod_by_ref[s.ref]
    if p.host_network:
        n = c.node_by_name.get(p.node_name or "")
        return n.ip(family) if n is not None else None
    return p.ip(family)


def _add_range(
    out: dict[str, set[int]], protocol: str | None, lo: int, hi: int | None = None
) -> None:
    hi = lo if hi is None else hi
    for proto in (protocol,) if protocol in PROTOCOLS else PROTOCOLS:
        # Every class of ports these bounds draw has a representative: lo, hi, and both sides.
        out[proto].update(p for p in (lo - 1, lo, hi, hi + 1) if 1 <= p <= 65535)


def ports_by_protocol(c: Cluster) -> dict[str, list[int]]:
    """For each protocol: every port number an object names with it (container ports, hostPorts,
    Service ports, targetPorts, nodePorts, policy ports and ranges, each with its neighbours), 1,
    and one unrelated port. Port numbers named without a protocol count for every protocol."""
    out: dict[str, set[int]] = {p: {1, UNRELATED_PORT} for p in PROTOCOLS}
    for p in c.pods:
        for cp in p.ports:
            _add_range(out, cp.protocol, cp.container_port)
            if cp.host_port:
                _add_range(out, cp.protocol, cp.host_port)
    for s in c.services:
        for sp in s.ports:
            _add_range(out, sp.protocol, sp.port)
            if isinstance(sp.target_port, int):
                _add_range(out, sp.protocol, sp.target_port)
            if sp.node_port:
                _add_range(out, sp.protocol, sp.node_port)
    for pol in c.policies:
        for r in pol.ingress + pol.egress:
            for pp in r.ports:
                if isinstance(pp.port, int):
                    _add_range(out, pp.protocol, pp.port, pp.end_port)
    for a in c.admin_policies:
        for r in a.ingress + a.egress:
            for ap in r.ports or ():
                if ap.port is not None:
                    _add_range(out, ap.protocol, ap.port, ap.end_port)
    for cp in c.calico_policies:
        for r in cp.ingress + cp.egress:
            for e in (r.source_rule, r.destination):
                for rng in e.ports + e.not_ports:
                    if isinstance(rng, tuple):
                        _add_range(out, r.protocol, rng[0], rng[1])
    if c.config.cluster_dns or any(s.ref == "kube-system/kube-dns" for s in c.services):
        _add_range(out, "UDP", 53)
        _add_range(out, "TCP", 53)
    return {k: sorted(v) for k, v in out.items()}


def named_cidrs(c: Cluster, extra: Iterable = ()) -> list:
    """Every CIDR an object names: ipBlocks and their excepts, ANP networks, Calico nets, NAT
    exemptions, loadBalancerSourceRanges."""
    out = list(extra)
    for pol in c.policies:
        for r in pol.ingress + pol.egress:
            for pe in r.peers:
                if pe.ip_block is not None:
                    out.append(pe.ip_block.cidr)
                    out.extend(pe.ip_block.except_)
    for a in c.admin_policies:
        for r in a.ingress + a.egress:
            for pe in r.peers:
                out.extend(pe.networks)
    for cp in c.calico_policies:
        for r in cp.ingress + cp.egress:
            for e in (r.source_rule, r.destination):
                out.extend(e.nets + e.not_nets)
    out.extend(c.config.masquerade.non_masquerade_cidrs)
    for svc in c.services:
        out.extend(svc.load_balancer_source_ranges)
    return list(dict.fromkeys(out))


def _addr(version: int, value: int):
    return IPv4Address(value) if version == 4 else IPv6Address(value)


def cluster_ranges(c: Cluster) -> list:
    """What is not outside: pod ranges (pools, podCIDRs, cluster CIDRs) and Service ranges."""
    nets = list(c.pod_cidrs) + list(c.service_cidrs)
    nets += [
        ip_network(n)
        for n in ("10.244.0.0/16", "fd00:10:244::/48", "10.96.0.0/12", "fd00:10:96::/112")
    ]
    return nets


def is_outside(c: Cluster, ip) -> bool:
    """An address no pod, node or Service of the cluster holds or may hold."""
    if any(ip in n for n in cluster_ranges(c) if n.version == ip.version):
        return False
    if ip in c.node_by_ip or ip in c.pod_by_ip:
        return False
    if any(ip in p.ips for p in c.pods):
        return False
    for s in c.services:
        if ip in s.cluster_ips or ip in s.external_ips or ip in s.load_balancer_ips:
            return False
    return not ip.is_unspecified and not (ip.version == 4 and int(ip) == 2**32 - 1)


def outside_samples(c: Cluster, extra_cidrs: Iterable = (), *, dedupe: bool = True) -> list:
    """Outside addresses at every boundary: the first and last address of every CIDR an object
    (or an invariant: ``extra_cidrs``) names and of each except, one address just outside each,
    and fixed hosts (8.8.8.8, 2001:db8::1). Only the cluster's families, only addresses
    :func:`is_outside`. With ``dedupe``, one address per class of addresses no CIDR of the
    cluster tells apart (same membership in every named CIDR, cluster range and special range)."""
    fams = set(c.families)
    cidrs = named_cidrs(c, extra_cidrs)
    candidates: list = [ip_address(a) for a in FIXED_OUTSIDE]
    for net in cidrs:
        lo, hi = int(net.network_address), int(net.broadcast_address)
        for v in (lo - 1, lo, hi, hi + 1):
            if 0 <= v < 2**net.max_prefixlen:
                candidates.append(_addr(net.version, v))
    samples = [ip for ip in dict.fromkeys(candidates) if ip.version in fams and is_outside(c, ip)]
    if not dedupe:
        return samples
    telling = cidrs + cluster_ranges(c) + list(SPECIAL_RANGES)
    known = [ip for n in c.nodes for ip in n.ips] + [ip for p in c.pods for ip in p.ips]
    known += [ip for s in c.services for ip in s.cluster_ips + s.external_ips + s.load_balancer_ips]
    out: dict = {}
    for ip in samples:
        sig = (ip.version, tuple(ip in n for n in telling if n.version == ip.version), ip in known)
        out.setdefault(sig, ip)
    # 8.8.8.8 and 2001:db8::1 are always tried as themselves (readable examples).
    for a in FIXED_OUTSIDE:
        ip = ip_address(a)
        if ip in samples and ip not in out.values():
            out[("fixed", a)] = ip
    return list(out.values())


def targets(c: Cluster, outside: Iterable) -> list:
    """Every address a client may send to: pod IPs, node IPs, Service VIPs / externalIPs / LB IPs, outside hosts."""
    out: list = []
    out += [ip for p in c.live_pods if not p.host_network for ip in p.ips]
    out += [ip for n in c.nodes for ip in n.ips]
    for s in c.services:
        out += list(s.cluster_ips) + list(s.external_ips) + list(s.load_balancer_ips)
    out += list(outside)
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- tracing


def trace_flow(c: Cluster, s: Source, target, port: int, protocol: str):
    """The engine's trace of one flow (the source given as ``trace`` accepts it)."""
    given = s.given
    if s.kind == "pod":
        given = c.pod_by_ref[s.ref]  # the pod of *this* cluster (allocations differ)
    return trace(c, given, target, port, protocol)


def _record(s: Source, target, port: int, protocol: str, t) -> Flow:
    allowed = []
    masq = False
    for b in t.branches:
        hit = any(h.step == "snat" and h.outcome == "masquerade" for h in b.hops)
        masq = masq or hit
        if b.reachable:
            node = getattr(b, "node", None)
            # Sent straight to a node's address, a packet reaches the node's host network: the
            # engine may name the hostNetwork pod declaring the port, the oracle counts the node.
            direct_to_node = node is None and any(
                h.step == "deliver" and h.detail.startswith("delivered to the host network")
                for h in b.hops
            )
            allowed.append(Branch(None if direct_to_node else b.pod, b.ip, b.port, hit, node))
    return Flow(s, target, port, protocol, t.verdict.value, tuple(allowed), masq)


Focus = Callable[[Source, object, int, str], bool]


def enumerate_flows(
    c: Cluster,
    srcs: list[Source],
    tgts: list,
    ports: dict[str, list[int]],
    *,
    focus: Focus | None = None,
    outside_targets: bool = True,
) -> FlowTable:
    """Trace every (source, target, port, protocol) (those ``focus`` accepts)."""
    table = FlowTable(c)
    start = time.perf_counter()
    outside = {t for t in tgts if is_outside(c, t)}
    for s in srcs:
        for target in tgts:
            fam = target.version
            if source_ip(c, s, fam) is None:
                continue
            if s.kind == "outside" and target in outside:
                continue  # outside to outside never touches the cluster
            if not outside_targets and target in outside:
                continue
            for protocol in PROTOCOLS:
                for port in ports[protocol]:
                    if focus is not None and not focus(s, target, port, protocol):
                        continue
                    try:
                        t = trace_flow(c, s, target, port, protocol)
                    except UsageError:
                        table.skipped += 1
                        continue
                    except Exception as e:  # noqa: BLE001 - every other exception is a finding
                        table.crashes.append(
                            Crash(f"{s} -> {target}:{port}/{protocol}", f"{type(e).__name__}: {e}")
                        )
                        continue
                    table.add(_record(s, target, port, protocol, t))
    table.seconds = time.perf_counter() - start
    STATS["flows"] += len(table.flows)
    STATS["skipped"] += table.skipped
    return table


def render(t) -> str:
    """A trace as a reader wants it in a failure message: shared hops, then each branch."""
    lines = [f"    {t.summary}"]
    lines += [f"      {h}" for h in t.hops]
    for b in t.branches:
        lines.append(f"      branch {b.pod or b.ip}:{b.port} {b.verdict}")
        lines += [f"        {h}" for h in b.hops]
    return "\n".join(lines)
