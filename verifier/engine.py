"""The concrete reference forwarding engine (semantics.md §10).

It replays one connection attempt through the rules in ``verifier.semantics``
with the :class:`~verifier.semantics.algebra.Concrete` algebra and records every
decision as a :class:`~verifier.trace.Hop`: name resolution, Service DNAT, the
source's egress policy, routing, source NAT, the destination's ingress policy,
delivery. It is the project's ground truth: every Z3 counterexample is replayed
here before it is shown.

>>> from verifier.model import Cluster, Pod, Labels, ip_address
>>> a = Pod(namespace="x", name="a", ips=(ip_address("10.244.0.5"),), node_name="n1")
>>> b = Pod(namespace="x", name="b", ips=(ip_address("10.244.0.6"),), node_name="n1")
>>> t = trace(Cluster(pods=(a, b)), "x/a", "x/b", 80)
>>> t.verdict.value, [h.step for h in t.all_hops]
('ALLOWED', ['egress', 'route', 'snat', 'ingress', 'deliver'])
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from .errors import SoundnessError, UsageError
from .model import IP, Cluster, Node, Pod
from .query import (
    check_protocol,
    check_query,
    client_for,
    host_port,
    ip_literal,
    pod_or_workload,
    resolve_port,
)
from .semantics import journey
from .semantics import policy as policy_rules
from .semantics import services as service_rules
from .semantics.algebra import CONCRETE, Packet
from .semantics.dns.profiles import ADDRESS_PROFILES, lookup_assumed
from .semantics.endpoint import NodeEndpoint, PodEndpoint
from .semantics.pipeline import Client
from .trace import Branch, Decider, Hop, PacketView, Trace, Verdict

__all__ = ["trace"]


# --------------------------------------------------------------------------- the pipeline


def trace(
    cluster: Cluster,
    source: str | Pod | Node | IP,
    destination: str | Pod | IP,
    port: int | str | None = None,
    protocol: str = "TCP",
    *,
    family: int | None = None,
) -> Trace:
    """Replay one connection from ``source`` to ``destination`` and explain the outcome.

    ``destination`` is a pod (``ns/name``), an IP (pod, Service VIP, node IP for a
    NodePort, external), or a DNS name as the source pod would type it.
    ``port`` may be a number or a port name (a Service port or container port name).
    """
    protocol = protocol.upper()
    check_protocol(protocol)
    client = client_for(cluster, source)
    hops: list[Hop] = []
    notes: list[str] = []
    for given in (source, destination):
        if (
            isinstance(given, str)
            and "/" in given
            and not given.startswith("node/")
            and given not in cluster.pod_by_ref
        ):
            pods = cluster.workload_pods(given)
            if pods:
                notes.append(f"{given} is a workload: using its pod {pods[0].ref}")
    dst_label = destination.ref if isinstance(destination, Pod) else str(destination)

    seen: dict = {}  # the address the client sends to, and the nameserver its lookup went to

    def finish(
        verdict: Verdict, branches: tuple[Branch, ...] = (), fam: int | None = family, p=port
    ) -> Trace:
        return Trace(
            client.label,
            dst_label,
            p,
            protocol,
            fam,
            tuple(hops),
            branches,
            verdict,
            tuple(notes),
            seen.get("address"),
            seen.get("nameserver"),
            seen.get("resolved_by"),
        )

    # 1. what address does the client use?
    target_pod: Pod | None = None
    dst_ip: IP | None = None
    if isinstance(destination, Pod):
        target_pod = destination
    elif isinstance(destination, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        dst_ip = destination
    else:
        text = str(destination)
        dst_ip = ip_literal(text)
        if dst_ip is None and "/" in text:
            target_pod = pod_or_workload(cluster, text)
    if target_pod is not None:
        fam = family or next((f for f in client.families if target_pod.ip(f) is not None), None)
        if fam is None or target_pod.ip(fam) is None:
            hops.append(
                Hop(
                    "route",
                    "no address",
                    f"{target_pod.ref} has no IP of a family {client.label} uses",
                )
            )
            return finish(Verdict.NO_ROUTE)
        dst_ip = target_pod.ip(fam)
    elif dst_ip is None:
        resolved = _resolve_name(
            cluster, client, str(destination), family, protocol, hops, notes, seen
        )
        if isinstance(resolved, Verdict):
            return finish(resolved)
        if resolved is _UPSTREAM:
            return _every_outside_address(
                cluster, client, port, protocol, family, hops, notes, finish
            )
        dst_ip = resolved
    fam = dst_ip.version
    if client.ip(fam) is None:
        hops.append(Hop("route", "no address", f"{client.label} has no IPv{fam} address"))
        return finish(Verdict.NO_ROUTE, fam=fam)

    # 2. which port?
    number = _port_number(cluster, port, protocol, dst_ip, target_pod)
    if number is None:
        what = "a port" if port is None else f"port {port!r}"
        hops.append(
            Hop("service", "no such port", f"nothing at {dst_ip} declares {what} for {protocol}")
        )
        return finish(Verdict.NO_SUCH_PORT, fam=fam)
    check_query(number, protocol)

    seen["address"] = dst_ip  # the connection is attempted
    branches = _connect(cluster, client, dst_ip, number, protocol, hops)
    if isinstance(branches, Verdict):
        return finish(branches, fam=fam, p=number)
    return finish(_overall(branches), branches, fam=fam, p=number)


#: What _resolve_name returns for a public name whose address the input does not say.
_UPSTREAM = object()


def _every_outside_address(cluster, client, port, protocol, family, hops, notes, finish) -> Trace:
    """A connection to an undeclared outside name, decided for every address it may resolve to.

    Z3 (verifier.upstream) picks one outside address the connection is allowed to
    and one it is denied to; each is traced here like any address, and must agree.
    """
    from .upstream import outside_examples

    fam = family or client.families[0]
    if port is None or not str(port).isdigit():
        what = "a port" if port is None else f"port {port!r}"
        hops.append(
            Hop("service", "no such port", f"an outside host declares no {what}: give a number")
        )
        return finish(Verdict.NO_SUCH_PORT, fam=fam)
    number = int(port)
    check_query(number, protocol)
    examples = outside_examples(cluster, client.pod, number, protocol, fam)
    branches: list[Branch] = []
    for ip, allowed in ((examples.allowed, True), (examples.denied, False)):
        if ip is None:
            continue
        found = _connect(cluster, client, ip, number, protocol, [])
        got = _overall(found) if not isinstance(found, Verdict) else found
        if got.reachable != allowed:
            raise SoundnessError(
                f"Z3 says {client.label} -> {ip}:{number}/{protocol} is "
                f"{'allowed' if allowed else 'denied'}, the engine says {got}"
            )
        branches.extend(found if not isinstance(found, Verdict) else ())
    if examples.unknown is not None:
        notes.append(f"the solver gave up deciding every outside address ({examples.unknown})")
        return finish(Verdict.DEPENDS, tuple(branches), fam=fam, p=number)
    if examples.allowed is not None and examples.denied is not None:
        verdict = Verdict.DEPENDS
        notes.append(
            f"allowed to some outside addresses (e.g. {examples.allowed}) and denied to others "
            f"(e.g. {examples.denied}): the answer depends on where the name points"
        )
    else:
        verdict = Verdict.ALLOWED if examples.allowed is not None else Verdict.DENIED
        notes.append(f"{'allowed' if verdict.reachable else 'denied'} to every outside address")
    return finish(verdict, tuple(branches), fam=fam, p=number)


def _overall(branches: tuple[Branch, ...]) -> Verdict:
    if any(b.reachable for b in branches):
        return Verdict.ALLOWED
    return branches[0].verdict if branches else Verdict.NO_ROUTE


def _port_number(
    cluster: Cluster, port: int | str | None, protocol: str, dst_ip: IP, target_pod: Pod | None
) -> int | None:
    """A numeric port; names resolve on the Service at ``dst_ip`` first, then on the pod."""
    if isinstance(port, int):
        return port
    if port is not None and str(port).isdigit():
        return int(port)
    owner = target_pod or cluster.pod_by_ip.get(dst_ip)
    for frontend in service_rules.frontends(cluster):
        if frontend.ip == dst_ip and frontend.protocol == protocol:
            if port is None or frontend.service_port.name == port:
                return frontend.port
    if port is None:
        if owner is not None:
            first = next((p for p in owner.ports if p.protocol == protocol), None)
            return None if first is None else first.container_port
        return None
    return resolve_port(port, protocol, owner)


# --------------------------------------------------------------------------- DNS


def _resolve_name(
    cluster: Cluster,
    client: Client,
    name: str,
    family: int | None,
    protocol: str,
    hops: list[Hop],
    notes: list[str],
    seen: dict,
) -> IP | Verdict | object:
    """Resolve ``name`` as the client's stub resolver would, checking the DNS flow itself
    (``_UPSTREAM``: a public name whose address the input does not give)."""
    from .semantics import dns as dns_rules

    if client.pod is None:
        raise UsageError("only pods resolve names; give an IP for node or external clients")
    conf = dns_rules.resolver_config(cluster, client.pod)
    if conf.cluster_dns_server is not None:
        blocked = _dns_flow(cluster, client, conf, hops, notes, seen)
        if blocked is not None:
            return blocked
    families = (family,) if family else client.families
    last = None
    for fam in families:
        qtype = "A" if fam == 4 else "AAAA"
        res = dns_rules.resolve(cluster, client.pod, name, qtype)
        last = res
        addresses = [r for r in res.answers if r.type == qtype]
        if addresses:
            seen["resolved_by"] = res.answered_by
            ip = ipaddress.ip_address(addresses[0].data)
            hops.append(
                Hop(
                    "resolve",
                    "resolved",
                    f"{name} {qtype} -> {', '.join(r.data for r in addresses)} via {res.answered_by}",
                    tuple(_record_deciders(res)),
                )
            )
            return ip
    assert last is not None
    if dns_rules.undeclared_upstream(cluster, name):
        hops.append(
            Hop(
                "resolve",
                "upstream",
                f"{name} is outside the cluster and not declared in ClusterNetwork.externalNames: "
                "it resolves upstream to an address the input does not give, so every address "
                "outside the cluster is considered (pin it with externalNames: "
                f"{{{name.rstrip('.')}: [<address>]}})",
            )
        )
        return _UPSTREAM
    tried = ", ".join(f"{a.query_name} ({a.rcode})" for a in last.candidates)
    if last.rcode == "NOERROR":  # e.g. an ExternalName whose target has no address upstream
        outcome, why = "nodata", f"{last.answered_by} answers with no {last.qtype} address"
    else:
        outcome, why = last.rcode.lower(), f"no {last.qtype} record ({last.rcode})"
    hops.append(
        Hop(
            "resolve", outcome, f"{name} does not resolve from {client.label}: {why}; tried {tried}"
        )
    )
    return Verdict.NXDOMAIN


def _record_deciders(res) -> list[Decider]:
    """The objects behind the answer's records (Service, EndpointSlice, Pod), once each."""
    return list(
        dict.fromkeys(
            Decider.of(r.origin, source=r.source) for r in res.answers if r.origin is not None
        )
    )


def _dns_flow(
    cluster: Cluster, client: Client, conf, hops: list[Hop], notes: list[str], seen: dict
) -> Verdict | None:
    """The DNS query is a flow client -> nameserver:53/UDP; policy must allow it."""
    server = conf.cluster_dns_server
    if lookup_assumed(cluster, client, server):
        note = "no cluster DNS pods in the input: a working cluster DNS is assumed"
        notes.append(note)
        hops.append(Hop("dns-query", "assumed", note))
        return None
    seen["nameserver"] = server
    sub: list[Hop] = []
    branches = _connect(cluster, client, server, 53, "UDP", sub)
    if isinstance(branches, Verdict) or not any(b.reachable for b in branches):
        detail = (
            f"the DNS query {client.label} -> {server}:53/UDP is not allowed"
            + dns_requirement(cluster, server, () if isinstance(branches, Verdict) else branches)
        )
        reasons = (
            [] if isinstance(branches, Verdict) else [b for b in branches if not b.reachable][:1]
        )
        # The query's own path, up to the hop that stopped it, then the verdict on the query.
        blocking = [h for b in reasons for h in b.hops]
        deciders = tuple(d for h in blocking if h.outcome == "denied" for d in h.deciders)
        hops.extend(sub)
        hops.extend(blocking)
        hops.append(Hop("dns-query", "blocked", detail, deciders))
        return Verdict.DNS_BLOCKED
    ok = next(b for b in branches if b.reachable)
    hops.append(
        Hop("dns-query", "allowed", f"DNS query to {server}:53/UDP reaches {ok.pod or ok.ip}")
    )
    return None


def dns_requirement(cluster: Cluster, server: IP, branches: tuple[Branch, ...]) -> str:
    """Which DNS the lookup went to (the input's, or the profile's made-up one) and what a
    policy must allow for it: the DNS pods on the port they listen on."""
    owner = next((s for s in cluster.services if server in s.cluster_ips), None)
    profile = cluster.config.dns_profile
    if owner is None and profile in ADDRESS_PROFILES:
        which = (
            "NodeLocal DNSCache on every node's host network"
            if profile == "nodelocal"
            else "a resolver outside the cluster"
        )
        return (
            f"; the cluster DNS is {which} ({profile} profile): egress must allow "
            f"{server}/{server.max_prefixlen} on 53/UDP and 53/TCP"
        )
    if owner is None:
        return ""
    implicit = owner.source.implicit
    which = (
        f"{owner.ref} of the {cluster.config.dns_profile} profile (assumed: the input has no "
        "cluster DNS; ClusterNetwork.dnsProfile chooses another)"
        if implicit
        else f"{owner.ref}"
    )
    ports = sorted({b.port for b in branches if b.port is not None})
    selector = ", ".join(f"{k}={v}" for k, v in (owner.selector or {}).items())
    port_text = "/".join(map(str, ports)) or "53"
    return (
        f"; the cluster DNS is {which}: egress must allow its pods ({owner.namespace}, "
        f"{selector or 'its endpoints'}) on {port_text}/UDP and {port_text}/TCP"
    )


# --------------------------------------------------------------------------- Service + path


def _connect(
    cluster: Cluster, client: Client, dst_ip: IP, port: int, protocol: str, hops: list[Hop]
) -> tuple[Branch, ...] | Verdict:
    """The journey (semantics.journey.plan) turned into hops: the translation, then one branch per path."""
    src_ip = client.ip(dst_ip.version)
    before = PacketView(src_ip, dst_ip, port, protocol)
    j = journey.plan(cluster, client, dst_ip, port, protocol)
    if j.entry is None:
        p = j.paths[0]
        if p.outcome == journey.NO_SERVICE_PORT:
            svc = service_rules.unserved(cluster, dst_ip, port, protocol)[0]
            deciders = () if svc is None else (Decider.of(svc, part="spec.ports"),)
            hop = Hop("service", "no port", p.reason or "", deciders, before)
            return (Branch((hop,), Verdict.NO_SERVICE_PORT, None, dst_ip, port),)
        if p.outcome != journey.FORWARD:
            return (
                Branch(
                    (Hop("route", "no route", p.reason or "no route", (), before),),
                    Verdict.NO_ROUTE,
                    None,
                    dst_ip,
                    port,
                ),
            )
        return (_path(cluster, client, src_ip, p, protocol),)
    first = j.paths[0]
    if first.pre_dnat:
        # Translated on arrival at another node: the client's egress policy saw the node's
        # address (the same packet for every path through this entry).
        pkt = Packet(dst_ip.version, src_ip, dst_ip, port, protocol)
        decision = policy_rules.egress(
            CONCRETE, cluster, client.endpoint, NodeEndpoint(first.dnat_node), pkt
        )
        hop = _policy_hop(decision, before)
        if hop is not None:
            hops.append(hop)
        if not decision.allowed(CONCRETE):
            # Stopped before the translation: every path through the entry is denied.
            return tuple(
                Branch(
                    (),
                    Verdict.DENIED,
                    _label(p.backend_pod),
                    p.dst_ip,
                    p.dst_port,
                    _node_name(p.dnat_node),
                )
                for p in j.paths
            )
    shared = len(j.translations) == 1
    # Say where the translation happened unless it is the client's own node.
    elsewhere = (
        client.node is None or first.dnat_node is None or first.dnat_node.name != client.node.name
    )
    if shared:
        hops.append(_translation_hop(j.entry, *j.translations[0], before, elsewhere))
        if j.outcome != journey.FORWARD:
            return Verdict.NO_ENDPOINTS
    branches = []
    for p in j.paths:
        prefix = (
            ()
            if shared
            else (
                _translation_hop(
                    j.entry, p.dnat_node, p.translation or j.entry.target, before, True
                ),
            )
        )
        if p.outcome != journey.FORWARD:
            branches.append(
                Branch(prefix, Verdict.NO_ENDPOINTS, None, dst_ip, port, _node_name(p.dnat_node))
            )
            continue
        b = _path(cluster, client, src_ip, p, protocol)
        branches.append(replace(b, hops=prefix + b.hops))
    return tuple(branches)


def _label(pod: Pod | None) -> str | None:
    return pod.ref if pod is not None else None


def _node_name(node: Node | None) -> str | None:
    return node.name if node is not None else None


def _translation_hop(
    entry: journey.Entry, node: Node | None, translation, before: PacketView, show_node: bool
) -> Hop:
    """The hop saying what kube-proxy (or portmap) on ``node`` did with the packet."""
    where = f" on node {node.name}" if node is not None and show_node else ""
    if entry.kind == journey.HOST_PORT:
        m = entry.target
        decider = Decider.of(m.pod, part=f"hostPort {m.host_port}/{m.protocol}")
        return Hop("service", "dnat", f"{m}{where}", (decider,), before)
    t = translation
    deciders = (
        Decider.of(
            t.service,
            part=f"port {t.service_port}",
            source=service_rules.port_source(t.service, t.service_port),
        ),
    )
    if t.outcome != "DNAT":
        return Hop("service", t.outcome.lower(), t.reason + where, deciders, before)
    targets = ", ".join(host_port(b.pod.ref if b.pod else b.ip, b.port) for b in t.backends)
    ip = f"[{entry.ip}]" if entry.ip.version == 6 else str(entry.ip)
    return Hop(
        "service",
        "dnat",
        f"{t.frontend.kind} {ip}:{entry.port}/{entry.protocol} of Service {t.service.ref}{where} -> {targets}",
        deciders,
        before,
    )


def _with_assumption(
    cluster: Cluster, hop: Hop | None, decision: policy_rules.Decision, other, other_ip: IP
) -> Hop | None:
    """Say so when an allow rests on an ipBlock matching a pod address: plugin-dependent (semantics.md §3.6).

    Only when every allowing rule matched the pod through an ipBlock alone.
    """
    clause = (
        decision.first_match()
        if hop is not None and hop.outcome == "allowed" and other is not None
        else None
    )
    if clause is None:
        return hop
    allowing = [c for c in decision.clauses if c.condition is True and c.action == "Allow"]
    peers = [
        policy_rules.ipblock_assumption(cluster, c, other, other_ip, other_ip.version)
        for c in allowing
    ]
    if not peers or not all(peers) or clause not in allowing:
        return hop
    peer = peers[allowing.index(clause)]
    note = (
        f"; assumes ipBlock {peer.ip_block} matches the pod address {other_ip} of {other.pod.ref} "
        "(Calico matches by IP, a Cilium-like plugin would not: semantics.md §3.6, §11 row 2)"
    )
    return replace(hop, detail=hop.detail + note)


def _host_network_hop(cluster: Cluster, pod: Pod, direction: str, packet: PacketView) -> Hop | None:
    """Say so when policies select a hostNetwork pod: the profile decides they do not apply.

    Kubernetes leaves policy for hostNetwork pods undefined; the reference profile
    (semantics.md §3.9, §11 row 4) treats their traffic as the node's, so the selecting
    policies are named, not enforced.
    """
    selecting = policy_rules.selecting_host_network(cluster, pod, direction)
    if not selecting:
        return None
    names = ", ".join(p.ref for p in selecting)
    return Hop(
        direction.lower(),
        "not applied",
        f"{pod.ref} runs in the host network: {names} {'selects' if len(selecting) == 1 else 'select'} "
        f"it for {direction}, but the reference "
        "profile does not apply pod policy to hostNetwork pods (their traffic is the node's; "
        "semantics.md §3.9)",
        tuple(Decider.of(p) for p in selecting),
        packet,
    )


def _policy_hop(decision: policy_rules.Decision, packet: PacketView) -> Hop | None:
    """The hop for one direction's policy decision, naming the rule (or tier default) that decided."""
    if decision.pod is None:
        return None
    step = decision.direction.lower()
    where = decision.pod.ref
    if decision.exemption is not None:
        return Hop(
            step, "allowed", f"{where}: policy does not apply ({decision.exemption})", (), packet
        )
    if not decision.tiers:
        return Hop(
            step,
            "allowed",
            f"{where} is not {step}-isolated: no NetworkPolicy selects it for {decision.direction}",
            (),
            packet,
        )
    allowed, clause, tier = decision.explain()
    outcome = "allowed" if allowed else "denied"
    if clause is not None:
        d = Decider.of(clause.policy, part=f"{step}[{clause.index}]", source=clause.rule.source)
        verb = {"Allow": "allowed", "Deny": "denied", "Pass": "passed"}[clause.action]
        return Hop(
            step, outcome, f"{where}: {verb} by {clause.policy.kind} {clause.name}", (d,), packet
        )
    if tier is not None:
        names = ", ".join(p.ref for p in tier.policies)
        deciders = tuple(Decider.of(p) for p in tier.policies)
        if tier.name == policy_rules.DEFAULT_TIER[0]:
            detail = f"{where} is {step}-isolated by {names} and no rule allows this packet"
        else:
            detail = f"{where}: no rule of tier {tier.name} ({names}) matches; the tier's default is Deny"
        return Hop(step, "denied", detail, deciders, packet)
    passed = ", ".join(t.name for t in decision.tiers)
    return Hop(
        step,
        "allowed",
        f"{where}: every applicable tier ({passed}) passed; the namespace profile allows",
        (),
        packet,
    )


def _path(cluster: Cluster, client: Client, src_ip: IP, p: journey.Path, protocol: str) -> Branch:
    """Egress policy -> route -> SNAT -> ingress policy -> delivery along one path (semantics.journey.evaluate)."""
    hops: list[Hop] = []
    destination = p.destination
    dst_ip, port = p.dst_ip, p.dst_port
    backend = p.backend
    pod = p.backend_pod
    pod_label = pod.ref if pod is not None else None
    pkt = Packet(dst_ip.version, src_ip, dst_ip, port, protocol)
    view = PacketView(src_ip, dst_ip, port, protocol)
    decision = journey.evaluate(CONCRETE, cluster, client, p, pkt)
    f = decision.flow

    def done(verdict: Verdict) -> Branch:
        if verdict.reachable != decision.allowed(CONCRETE):  # the hops and the rule must agree
            raise AssertionError(f"engine hops disagree with semantics.journey.evaluate for {view}")
        return Branch(tuple(hops), verdict, pod_label, dst_ip, port, _node_name(p.dnat_node))

    if decision.source_admitted is not None:
        svc = p.entry.target.service
        ranges = ", ".join(map(str, journey.source_ranges(p) or ()))
        firewall = (Decider.of(svc, part="spec.loadBalancerSourceRanges"),)
        if not decision.source_admitted:
            hops.append(
                Hop(
                    "service",
                    "dropped",
                    f"source {src_ip} is outside loadBalancerSourceRanges ({ranges}) of Service "
                    f"{svc.ref}: kube-proxy drops it",
                    firewall,
                    view,
                )
            )
            return done(Verdict.DENIED)
        hops.append(
            Hop(
                "service",
                "admitted",
                f"source {src_ip} is inside loadBalancerSourceRanges ({ranges}) of Service {svc.ref}",
                firewall,
            )
        )
    if client.pod is not None and client.pod.host_network:
        hop = _host_network_hop(cluster, client.pod, "Egress", view)
        if hop is not None:
            hops.append(hop)
    if f.egress is not None:
        hop = _with_assumption(cluster, _policy_hop(f.egress, view), f.egress, destination, dst_ip)
        if hop is not None:
            hops.append(hop)
        if not f.egress.allowed(CONCRETE):
            return done(Verdict.DENIED)
    if f.host_blocked:
        hops.append(
            Hop(
                "egress", "denied", "pod to its own node: Felix DefaultEndpointToHostAction is Drop"
            )
        )
        return done(Verdict.DENIED)

    r = f.route
    if r.kind == "none":
        hops.append(Hop("route", "no route", r.reason or f"no route to {dst_ip}", (), view))
        return done(Verdict.NO_ROUTE)
    from_node = p.route_from or client.node
    hops.append(
        Hop(
            "route",
            r.kind,
            _route_detail(r, _node_name(from_node), destination),
            tuple(Decider.of(x) for x in [r.pool] if x),
            view,
        )
    )

    seen_ip = src_ip
    if f.snat is True and f.snat_node is not None:
        seen_ip = f.snat_node.ip(dst_ip.version)
        if f.masquerade_seen:
            why = f"kube-proxy masquerades ({backend.masquerade_reason})"
        elif r.kind == "remote":
            why = f"pod-to-pod traffic is source-NATed ({cluster.config.masquerade.mode}): this breaks the NAT-free pod network"
        else:
            why = f"NAT outgoing ({cluster.config.masquerade.mode})"
        hops.append(
            Hop(
                "snat",
                "masquerade",
                f"{why}: source becomes node {f.snat_node.name} {seen_ip}",
                tuple(_nat_deciders(cluster, client, src_ip)),
            )
        )
    elif p.masquerade_node is not None:
        hops.append(
            Hop(
                "snat",
                "masquerade-after-policy",
                f"kube-proxy masquerades ({backend.masquerade_reason}) after policy on node {p.masquerade_node.name}: the backend there sees the original source",
            )
        )
    else:
        hops.append(Hop("snat", "none", "source address preserved"))

    ingress = f.ingress_natted if (f.snat is True and f.ingress_natted is not None) else f.ingress
    if ingress is not None:
        seen = client.endpoint if seen_ip == src_ip else None  # a node address after SNAT
        hop = _with_assumption(
            cluster,
            _policy_hop(ingress, PacketView(seen_ip, dst_ip, port, protocol)),
            ingress,
            seen,
            seen_ip,
        )
        if hop is not None:
            hops.append(hop)
        if not ingress.allowed(CONCRETE):
            return done(Verdict.DENIED)
    if isinstance(destination, NodeEndpoint) and destination.pod is not None:
        hop = _host_network_hop(
            cluster, destination.pod, "Ingress", PacketView(seen_ip, dst_ip, port, protocol)
        )
        if hop is not None:
            hops.append(hop)
    if isinstance(destination, PodEndpoint):
        target = destination.pod
        listening = (
            ""
            if target.declares_port(port, protocol)
            else f" (note: no container of {target.ref} declares {port}/{protocol})"
        )
        hops.append(
            Hop(
                "deliver",
                "delivered",
                f"delivered to {target.ref} {host_port(dst_ip, port)}/{protocol}{listening}",
                (Decider.of(target),),
            )
        )
    elif isinstance(destination, NodeEndpoint):
        who = f" ({pod.ref}, hostNetwork)" if pod is not None else ""
        hops.append(
            Hop(
                "deliver",
                "delivered",
                f"delivered to the host network of node {destination.node.name}{who}",
            )
        )
    else:
        hops.append(Hop("deliver", "left cluster", f"leaves the cluster towards {dst_ip}"))
    return done(Verdict.ALLOWED)


def _nat_deciders(cluster: Cluster, client: Client, src_ip: IP) -> list[Decider]:
    from .semantics.addressing import pool_of

    pool = pool_of(cluster, src_ip)
    if pool is not None and pool.nat_outgoing and cluster.config.masquerade.mode == "calico":
        return [Decider.of(pool, part="natOutgoing")]
    if cluster.config.source.file != "<unknown>":
        return [
            Decider("ClusterNetwork", "cluster", part="masquerade", source=cluster.config.source)
        ]
    return []


def _route_detail(r, from_node, destination) -> str:
    if r.kind == "local":
        return f"same node {r.to_node}: delivered over the node's bridge/veth"
    if r.kind == "remote":
        how = (
            "encapsulated" if r.encapsulation in ("IPIP", "VXLAN", "overlay") else "routed natively"
        )
        return f"node {from_node} -> node {r.to_node}, {how} ({r.encapsulation}); inner addresses unchanged"
    if r.kind == "node":
        return f"to the host network of node {r.to_node}"
    return f"leaves node {from_node} towards the outside"
