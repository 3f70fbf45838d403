"""The properties are sound on generated clusters: a proof is never contradicted, a violation is real.

For random small clusters (:mod:`tests.strategies`), each property's ``check``
runs with a 10 s solver timeout. Then, independently of the property's code:

* HOLDS: random concrete packets and pod pairs never contradict the claim
  (checked with the engine, the pipeline or the model directly, on the
  loader's allocation and, for the flow properties, on another allocation of
  the allocated pods: a proof covers every allocation the pools allow);
  conversely, a contradiction found that way means the result must be VIOLATED;
* VIOLATED: every counterexample carries the evidence its replay produced
  (traces with the claimed verdicts, or the duplicated address) and it holds
  on the cluster with the counterexample's allocation;
* UNKNOWN: only with a reason.

Further down: a replay that disagrees raises :class:`SoundnessError` and is
never reported as a result, and a solver that gives up yields UNKNOWN, never HOLDS.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import ip_address, ip_network

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import cluster as build_cluster
from tests.builders import netpol, node, peer, pod, rule, service
from tests.engine.support import render
from tests.strategies import (
    Scenario,
    address,
    endpoint_pods,
    examples,
    interesting_ports,
    scenarios,
    translated,
)
from verifier.engine import trace
from verifier.errors import SoundnessError
from verifier.model import PROTOCOLS, Cluster, Labels, MasqueradeConfig, Pod
from verifier.properties import (
    dns_resolution,
    dual_stack,
    isolation,
    nat_free,
    service_resolution,
    unique_ips,
)
from verifier.properties.invariants import Invariant, Selector, check_invariant
from verifier.properties.result import PropertyResult, Status
from verifier.semantics import dns as dns_rules
from verifier.semantics import policy as policy_rules
from verifier.semantics import services as service_rules
from verifier.semantics.algebra import CONCRETE, Packet
from verifier.semantics.endpoint import PodEndpoint
from verifier.semantics.pipeline import Client, flow
from verifier.semantics.selectors import matches
from verifier.symbolic.encoder import instantiate
from verifier.trace import Trace, Verdict

TIMEOUT = 10.0
SETTINGS = settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def run(check, cluster: Cluster, *args) -> PropertyResult:
    result = check(cluster, *args, timeout=TIMEOUT, max_counterexamples=3)
    assert result.status is not Status.UNKNOWN or result.reason, (
        f"{result.name}: UNKNOWN without a reason"
    )
    return result


def show(result: PropertyResult) -> str:
    lines = [f"{result.name}: {result.status} {result.reason or ''}"]
    lines += [f"  counterexample: {cx.summary}" for cx in result.counterexamples]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the packets


def pod_network(cluster: Cluster) -> list[Pod]:
    return [p for p in endpoint_pods(cluster) if not p.host_network]


def families(cluster: Cluster, a: Pod, b: Pod) -> list[int]:
    """The families both ends have an address in."""
    return [
        f
        for f in (4, 6)
        if address(cluster, a, f) is not None and address(cluster, b, f) is not None
    ]


def packets(scenario: Scenario) -> list[tuple[int, str]]:
    """The drawn probes' ports and protocols, applied to every pair a check looks at."""
    return list(dict.fromkeys((p.port, p.protocol) for p in scenario.probes)) or [(80, "TCP")]


def worlds(scenario: Scenario) -> list[Cluster]:
    """The concrete clusters a proof covers that the checks look at: the loader's allocation,
    and the scenario's other allocation of the allocated pods (when it moved any)."""
    moved = instantiate(scenario.cluster, scenario.allocation)
    changed = any(p.ips != q.ips for p, q in zip(scenario.cluster.pods, moved.pods, strict=True))
    return [scenario.cluster, moved] if changed else [scenario.cluster]


def direct(
    cluster: Cluster, src: Pod, dst: Pod, family: int, port: int, protocol: str
) -> Trace | None:
    """The engine's trace of ``src`` -> ``dst``'s own address; None when that address DNATs the port."""
    ip = address(cluster, dst, family)
    if (ip, port, protocol) in translated(cluster):
        return None
    return trace(cluster, src, ip, port, protocol)


def allocation_of(cx, cluster: Cluster) -> dict:
    """A counterexample's allocation (``{ref: "ip"}`` or ``{ref: "ip4, ip6"}``) as :func:`instantiate` takes it."""
    return {
        (ref, ip.version): ip
        for ref, text in cx.allocation.items()
        if ref in cluster.pod_by_ref
        for ip in map(ip_address, text.split(", "))
    }


def reproduced(cluster: Cluster, cx, t: Trace) -> None:
    """Tracing ``t``'s connection again, on the cluster with ``cx``'s allocation, gives ``t``'s verdict."""
    world = instantiate(cluster, allocation_of(cx, cluster))
    try:
        target = ip_address(t.destination)
    except ValueError:
        target = t.destination
    again = trace(world, t.source, target, t.port, t.protocol, family=t.family)
    assert again.verdict is t.verdict, (
        f"{cx.summary}: the counterexample's trace says {t.verdict}, tracing it again with its allocation "
        f"{cx.allocation} says:\n{render(again)}"
    )


# --------------------------------------------------------------------------- unique pod IPs


def address_clashes(cluster: Cluster) -> list[str]:
    """Addresses held twice among live pod-network pods, or also by a Service or a node."""
    holders: dict = {}
    for p in cluster.live_pods:
        if not p.host_network:
            for ip in p.ips:
                holders.setdefault(ip, []).append(p.ref)
    clashes = [f"{ip} held by {refs}" for ip, refs in holders.items() if len(refs) > 1]
    others = {ip: f"Service {s.ref}" for s in cluster.services for ip in s.cluster_ips}
    others |= {ip: f"node {n.name}" for n in cluster.nodes for ip in n.ips}
    clashes += [
        f"{ip} held by {refs} and {others[ip]}" for ip, refs in holders.items() if ip in others
    ]
    return clashes


@SETTINGS
@given(scenarios(duplicates=True))
def test_unique_pod_ips(scenario):
    c = scenario.cluster
    result = run(unique_ips.check, c)
    clashes = address_clashes(c)
    if result.status is Status.HOLDS:
        assert not clashes, f"unique-pod-ips HOLDS, yet on the loader's allocation: {clashes}"
    if clashes:
        assert result.status is Status.VIOLATED, f"{clashes}, but {show(result)}"
    for cx in result.counterexamples:
        ip = ip_address(cx.details["ip"])
        concrete = instantiate(c, allocation_of(cx, c))
        for ref in cx.pods:
            assert ip in concrete.pod_by_ref[ref].ips, f"{cx.summary}: {ref} does not hold {ip}"
        if len(cx.pods) == 1:  # a pod on a Service's or a node's address
            owners = {a for s in c.services for a in s.cluster_ips} | {
                a for n in c.nodes for a in n.ips
            }
            assert ip in owners, cx.summary


# --------------------------------------------------------------------------- NAT-free


def snat_pairs(cluster: Cluster, port: int, protocol: str) -> list[str]:
    """Every pod pair whose packets the pipeline source-NATs (it does not depend on port or policy)."""
    out = []
    for s in pod_network(cluster):
        for d in pod_network(cluster):
            for f in families(cluster, s, d):
                if s is d:
                    continue
                pkt = Packet(f, s.ip(f), d.ip(f), port, protocol)
                if (
                    flow(CONCRETE, cluster, Client.of_pod(cluster, s), PodEndpoint(d), pkt).snat
                    is True
                ):
                    out.append(f"{s.ref} -> {d.ref} (IPv{f})")
    return out


@SETTINGS
@given(scenarios(probes_per_cluster=1, reallocate=True))
def test_nat_free_pod_to_pod(scenario):
    c = scenario.cluster
    result = run(nat_free.check, c)
    natted = [
        pair for world in worlds(scenario) for pair in snat_pairs(world, *packets(scenario)[0])
    ]
    if result.status is Status.HOLDS:
        assert not natted, f"nat-free HOLDS, yet the pipeline source-NATs {natted}"
    if natted:
        assert result.status is Status.VIOLATED, f"{natted} are source-NATed, but {show(result)}"
    for cx in result.counterexamples:
        (t,) = cx.traces
        # The replay runs without the policies: NAT does not depend on them.
        reproduced(replace(c, policies=(), admin_policies=(), calico_policies=()), cx, t)
        src, dst = cx.pods
        concrete = instantiate(c, allocation_of(cx, c))
        pkt = cx.packet
        decision = flow(
            CONCRETE,
            concrete,
            Client.of_pod(concrete, concrete.pod_by_ref[src]),
            PodEndpoint(concrete.pod_by_ref[dst]),
            Packet(pkt.family, pkt.src_ip, pkt.dst_ip, pkt.dst_port, pkt.protocol),
        )
        assert decision.snat is True, f"{cx.summary}: the pipeline does not NAT {pkt}"
        assert t.source == src and t.destination == str(pkt.dst_ip), render(t)
        masqueraded = any(h.step == "snat" and h.outcome == "masquerade" for h in t.all_hops)
        assert masqueraded, f"{cx.summary}: the replay shows no SNAT:\n{render(t)}"


# --------------------------------------------------------------------------- isolation


def host_network_leaks(cluster: Cluster, port: int, protocol: str) -> list[str]:
    """Packets from a pod to a hostNetwork pod a policy selects that get there although no rule of it allows them."""
    out = []
    for pol in cluster.policies:
        if "Ingress" not in pol.policy_types:
            continue
        for h in endpoint_pods(cluster):
            if (
                not h.host_network
                or h.namespace != pol.namespace
                or not matches(pol.pod_selector, h.labels)
            ):
                continue
            for s in pod_network(cluster):
                for f in families(cluster, s, h):
                    t = direct(cluster, s, h, f, port, protocol)
                    if t is None or not t.reachable:
                        continue
                    client = Client.of_pod(cluster, s)
                    pkt = Packet(f, s.ip(f), address(cluster, h, f), port, protocol)
                    rules = (
                        policy_rules.rule_matches(
                            CONCRETE, cluster, pol, r, client.endpoint, s.ip(f), PodEndpoint(h), pkt
                        )
                        for r in pol.ingress
                    )
                    if not any(rules):
                        out.append(f"{s.ref} -> {h.ref} {port}/{protocol} (IPv{f}) past {pol.ref}")
    return out


def ipblock_dependent(cluster: Cluster, port: int, protocol: str) -> list[str]:
    """Pod-to-pod packets allowed when ipBlocks match pod IPs and denied when they do not."""
    strict = replace(cluster, config=replace(cluster.config, ipblock_matches_pods=False))
    out = []
    for s in pod_network(cluster):
        for d in pod_network(cluster):
            for f in families(cluster, s, d):
                if s is d:
                    continue
                t = direct(cluster, s, d, f, port, protocol)
                if (
                    t is not None
                    and t.reachable
                    and not direct(strict, s, d, f, port, protocol).reachable
                ):
                    out.append(f"{s.ref} -> {d.ref} {port}/{protocol} (IPv{f})")
    return out


@SETTINGS
@given(scenarios(probes_per_cluster=2, reallocate=True))
def test_isolation(scenario):
    c = scenario.cluster
    result = run(isolation.check, c)
    found = [
        fault
        for world in worlds(scenario)
        for port, protocol in packets(scenario)
        for fault in host_network_leaks(world, port, protocol)
        + ipblock_dependent(world, port, protocol)
    ]
    if result.status is Status.HOLDS:
        assert not found, f"isolation HOLDS, yet {found}"
    if found:
        assert result.status is Status.VIOLATED, f"{found}, but {show(result)}"
    for cx in result.counterexamples:
        assert cx.traces and cx.traces[0].reachable, f"{cx.summary}: the replay does not deliver it"
        reproduced(c, cx, cx.traces[0])
        if len(cx.traces) == 2:  # ipBlock-dependent: the second replay is the strict profile
            assert not cx.traces[1].reachable, (
                f"{cx.summary}: the strict profile delivers it too:\n{render(cx.traces[1])}"
            )


# --------------------------------------------------------------------------- service resolution


def selected(cluster: Cluster, svc, p: Pod, family: int) -> bool:
    """Does the Service's selector pick ``p`` (live, of its namespace, with an address of ``family``)?"""
    labels = svc.selector or {}
    return (
        not p.terminal
        and p.namespace == svc.namespace
        and address(cluster, p, family) is not None
        and all(p.labels.get(k) == v for k, v in labels.items())
    )


def service_faults(cluster: Cluster) -> list[str]:
    """What a client of each Service port sees: no endpoint, a foreign backend, a wrong port, a collision.

    kube-proxy's REJECT (no endpoint anywhere) is a fault; a DROP for a client on
    a node without a local endpoint (internalTrafficPolicy: Local) is that policy
    working as designed.
    """
    out = []
    for (ip, port, protocol), fronts in service_rules.frontend_index(cluster).items():
        if len({f.service.ref for f in fronts}) > 1:
            out.append(
                f"{ip}:{port}/{protocol} shared by {sorted({f.service.ref for f in fronts})}"
            )
    for svc in cluster.services:
        for vip in svc.cluster_ips:
            fam = vip.version
            for sp in svc.ports:
                target = sp.target
                for p in cluster.live_pods:
                    named = isinstance(target, str)
                    if (
                        named
                        and selected(cluster, svc, p, fam)
                        and p.ready
                        and p.named_port(target, sp.protocol) is None
                    ):
                        out.append(f"{p.ref} lacks {target}/{sp.protocol} of {svc.ref}")
                clients = [p for p in pod_network(cluster) if p.ip(fam) is not None]
                if not clients:
                    continue
                t = trace(cluster, clients[0], vip, sp.port, sp.protocol)
                if any(h.step == "service" and h.outcome == "reject" for h in t.hops):
                    out.append(f"{svc.ref} {vip}:{sp.port}/{sp.protocol}: rejected, no endpoint")
                for b in t.branches:
                    # Several hostNetwork pods share their node's address: any of them may be the backend.
                    holders = [p for p in cluster.live_pods if address(cluster, p, fam) == b.ip]
                    if not any(
                        selected(cluster, svc, p, fam)
                        and b.port
                        == (
                            p.named_port(target, sp.protocol) if isinstance(target, str) else target
                        )
                        for p in holders
                    ):
                        out.append(f"{svc.ref} {vip}:{sp.port} DNATs to {b.ip}:{b.port}")
    return out


@SETTINGS
@given(scenarios())
def test_service_resolution(scenario):
    c = scenario.cluster
    result = run(service_resolution.check, c)
    faults = service_faults(c)
    if result.status is Status.HOLDS:
        assert not faults, f"service-resolution HOLDS, yet {faults}"
    if faults:
        assert result.status is Status.VIOLATED, f"{faults}, but {show(result)}"
    for cx in result.counterexamples:
        if "both answer" not in cx.summary and pod_network(c):
            assert cx.traces, f"{cx.summary}: no replay"
        for t in cx.traces:
            reproduced(c, cx, t)


# --------------------------------------------------------------------------- DNS resolution


def dns_faults(cluster: Cluster) -> list[str]:
    """Service names that a pod using the cluster DNS does not resolve to the Service's own name."""
    zone = cluster.config.cluster_domain
    out = []
    for p in cluster.live_pods:
        if not dns_rules.resolver_config(cluster, p).uses_cluster_dns:
            continue
        for svc in cluster.services:
            qtype = "AAAA" if svc.cluster_ips and svc.cluster_ips[0].version == 6 else "A"
            for typed in (f"{svc.name}.{svc.namespace}", f"{svc.name}.{svc.namespace}.svc"):
                res = dns_rules.resolve(cluster, p, typed, qtype)
                if res.answered_by != f"{svc.name}.{svc.namespace}.svc.{zone}.":
                    out.append(f"{p.ref} resolves {typed} {qtype} by {res.answered_by}")
    return out


@SETTINGS
@given(scenarios())
def test_dns_resolution(scenario):
    c = scenario.cluster
    result = run(dns_resolution.check, c)
    faults = dns_faults(c)
    if result.status is Status.HOLDS:
        assert not faults, f"dns-resolution HOLDS, yet {faults}"
    if faults:
        assert result.status is Status.VIOLATED, f"{faults}, but {show(result)}"


# --------------------------------------------------------------------------- dual stack


def dual_stack_faults(cluster: Cluster, port: int, protocol: str) -> list[str]:
    out = [f"{p.ref} has {p.families}" for p in pod_network(cluster) if len(p.families) < 2]
    out += [
        f"node {n.name} podCIDRs {n.pod_cidrs}"
        for n in cluster.nodes
        if n.pod_cidrs and len({x.version for x in n.pod_cidrs}) < 2
    ]
    out += [
        f"{s.ref} ({s.ip_family_policy}) has {s.cluster_ips}"
        for s in cluster.services
        if s.ip_family_policy != "SingleStack" and len({ip.version for ip in s.cluster_ips}) < 2
    ]
    twins = [p for p in pod_network(cluster) if len(p.families) == 2]
    for s in twins:
        for d in twins:
            if s is not d:
                t4, t6 = (trace(cluster, s, d, port, protocol, family=f) for f in (4, 6))
                if t4.reachable != t6.reachable:
                    out.append(
                        f"{s.ref} -> {d.ref} {port}/{protocol}: IPv4 {t4.verdict}, IPv6 {t6.verdict}"
                    )
    return out


@SETTINGS
@given(scenarios(probes_per_cluster=2))
def test_dual_stack_coverage(scenario):
    c = scenario.cluster
    result = run(dual_stack.check, c)
    if not c.dual_stack:
        assert result.status is Status.HOLDS, show(result)
        return
    faults = [
        f for port, protocol in packets(scenario) for f in dual_stack_faults(c, port, protocol)
    ]
    if result.status is Status.HOLDS:
        assert not faults, f"dual-stack-coverage HOLDS, yet {faults}"
    if faults:
        assert result.status is Status.VIOLATED, f"{faults}, but {show(result)}"
    for cx in result.counterexamples:
        for t in cx.traces:
            reproduced(c, cx, t)
        if cx.traces:
            t4, t6 = cx.traces
            works, fails = (
                (t6, t4) if cx.summary.endswith("over IPv6 but not over IPv4") else (t4, t6)
            )
            assert works.reachable, (
                f"{cx.summary}: the working family's replay says {works.verdict}"
            )
            # The failing family delivers nothing, or delivers elsewhere (a frontend of that
            # family only takes the address: a NodePort or a hostPort bound to one family).
            got = {_receiver(b) for b in works.branches if b.reachable}
            assert not any(b.reachable and _receiver(b) in got for b in fails.branches), (
                f"{cx.summary}: both replays deliver to {got}"
            )


def _receiver(branch) -> str:
    """Who a branch delivers to, whatever the family: the pod, else the host network's text."""
    return branch.pod or branch.hops[-1].detail.split(" (")[0]


# --------------------------------------------------------------------------- user invariants


@st.composite
def selectors_for(draw, cluster: Cluster) -> Selector:
    """An invariant selector: a namespace, or labels of some pod (so it matches someone)."""
    p = draw(st.sampled_from(endpoint_pods(cluster)))
    if draw(st.booleans()):
        return Selector(namespace=p.namespace)
    keys = draw(st.lists(st.sampled_from(sorted(p.labels) or ["app"]), unique=True, max_size=2))
    return Selector(pods=Labels({k: p.labels[k] for k in keys if k in p.labels}))


@st.composite
def isolation_claims(draw) -> tuple[Scenario, Invariant]:
    s = draw(scenarios(probes_per_cluster=2, reallocate=True))
    c = s.cluster
    port = draw(st.none() | st.sampled_from(interesting_ports(c)))
    protocol = draw(st.none() | st.sampled_from(PROTOCOLS))
    inv = Invariant(
        "generated",
        "isolated",
        (draw(selectors_for(c)),),
        (draw(selectors_for(c)),),
        port,
        protocol,
    )
    return s, inv


def _chosen(cluster: Cluster, selectors, pods) -> list[Pod]:
    return [p for p in pods if any(sel.matches_pod(cluster, p) for sel in selectors)]


def counted(cluster: Cluster, s: Pod, d: Pod, family: int, dnat_node: str | None = None) -> bool:
    """Does a connection ``s`` -> ``d`` count against an invariant (module docstring of invariants)?

    Not a pod to its own network namespace, and not the node exception: a
    hostNetwork source *is* its node, so pods on that node count only when the
    packet was translated on another node.
    """
    if address(cluster, s, family) == address(cluster, d, family):
        return False
    return not (s.host_network and d.node_name == s.node_name and dnat_node in (None, s.node_name))


def isolation_breaches(cluster: Cluster, inv: Invariant, port: int, protocol: str) -> list[str]:
    """Packets from the invariant's sources that the engine delivers to its destinations, directly or DNATed."""
    port, protocol = inv.port or port, inv.protocol or protocol
    sources = _chosen(cluster, inv.sources, endpoint_pods(cluster))
    targets = _chosen(cluster, inv.destinations, endpoint_pods(cluster))
    out = []
    for s in sources:
        for d in targets:
            for f in families(cluster, s, d):
                t = direct(cluster, s, d, f, port, protocol) if counted(cluster, s, d, f) else None
                if t is not None and t.reachable:
                    out.append(f"{s.ref} -> {d.ref} {port}/{protocol} (IPv{f})")
        for ip, front_port, front_protocol in translated(cluster):
            if (
                address(cluster, s, ip.version) is None
                or (inv.protocol or front_protocol) != front_protocol
            ):
                continue
            t = trace(cluster, s, ip, front_port, front_protocol)
            at = cluster.node_by_ip.get(ip)  # a NodePort or hostPort: translated on that node
            for b in t.branches:
                hit = [
                    d
                    for d in targets
                    if address(cluster, d, ip.version) == b.ip
                    and counted(cluster, s, d, ip.version, at.name if at else None)
                ]
                if b.reachable and hit and (inv.port is None or b.port == inv.port):
                    out.append(
                        f"{s.ref} -> {ip}:{front_port}/{front_protocol} -> {hit[0].ref}:{b.port}"
                    )
    return out


@SETTINGS
@given(isolation_claims())
def test_isolated_invariants(claim):
    scenario, inv = claim
    c = scenario.cluster
    result = run(check_invariant, c, inv)
    breaches = [
        b
        for world in worlds(scenario)
        for port, protocol in packets(scenario)
        for b in isolation_breaches(world, inv, port, protocol)
    ]
    assert result.status is not Status.HOLDS or not breaches, (
        f"{inv.describe()} HOLDS, yet {breaches}"
    )
    if breaches:
        assert result.status is Status.VIOLATED, f"{inv.describe()}: {breaches}, but {show(result)}"
    sources = {p.ref for p in _chosen(c, inv.sources, c.pods)}
    targets = {p.ref for p in _chosen(c, inv.destinations, c.pods)}
    for cx in result.counterexamples:
        (t,) = cx.traces
        reproduced(c, cx, t)
        assert t.reachable, f"{cx.summary}: the replay says\n{render(t)}"
        assert cx.pods[0] in sources and cx.pods[-1] in targets, (
            f"{cx.summary}: {cx.pods} vs {inv.describe()}"
        )


# --------------------------------------------------------------------------- a replay that disagrees


def forged(verdict_of):
    """An engine whose traces say ``verdict_of(original verdict)`` on every branch and overall."""

    def engine(*args, **kwargs) -> Trace:
        t = trace(*args, **kwargs)
        branches = tuple(replace(b, verdict=verdict_of(b.verdict)) for b in t.branches)
        return replace(t, branches=branches, verdict=verdict_of(t.verdict))

    return engine


def flipped(v: Verdict) -> Verdict:
    return Verdict.DENIED if v.reachable else Verdict.ALLOWED


def lie(monkeypatch, engine) -> None:
    """Every replay goes through ``engine`` (every replay imports ``verifier.engine.trace`` when it runs)."""
    monkeypatch.setattr("verifier.engine.trace", engine)


def two_pods(*objects, **config) -> Cluster:
    """x/a (10.244.1.10) on n1, x/b (10.244.2.10) on n2, plus ``objects``."""
    return build_cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        node("n2", "192.168.0.2", pod_cidr="10.244.2.0/24"),
        pod("x/a", ip="10.244.1.10", node="n1", ports=[("http", 80)]),
        pod("x/b", ip="10.244.2.10", node="n2", ports=[("http", 80)]),
        *objects,
        **config,
    )


#: x/b admits pods only through an ipBlock over the pod CIDR: isolation (ipBlock-dependent) is violated.
IPBLOCK_ONLY = netpol(
    "x/b-from-cidr", select={"app": "b"}, ingress=[rule(peer(cidr="10.244.0.0/16"))]
)
A_TO_B = Invariant(
    "a is isolated from b",
    "isolated",
    (Selector(pods=Labels({"app": "a"})),),
    (Selector(pods=Labels({"app": "b"})),),
)


def violated(check, cluster: Cluster, *args) -> PropertyResult:
    result = run(check, cluster, *args)
    assert result.status is Status.VIOLATED and result.counterexamples, show(result)
    return result


def test_an_isolation_replay_that_disagrees_raises(monkeypatch):
    c = two_pods(IPBLOCK_ONLY)
    violated(isolation.check, c)
    lie(monkeypatch, forged(flipped))
    with pytest.raises(
        SoundnessError,
        match=r"isolation \(ipBlock\): Z3 says x/a -> 10\.244\.2\.10:\d+/\w+ directly to the pod IP is allowed, "
        r"the engine says DENIED",
    ):
        isolation.check(c, timeout=TIMEOUT)


def test_a_host_network_replay_that_disagrees_raises(monkeypatch):
    h = pod("x/h", ip="192.168.0.2", node="n2", host_network=True)
    c = two_pods(h, netpol("x/isolate-h", select={"app": "h"}, ingress=[]))
    assert "runs on the host network" in violated(isolation.check, c).counterexamples[0].summary
    lie(monkeypatch, forged(flipped))
    # Either pod is a witness (x/b from h's own node, x/a from n1): Z3's model picks one.
    with pytest.raises(
        SoundnessError,
        match=r"isolation \(hostNetwork\): Z3 says (x/[ab]|node/n1|outside host \S+) -> 192\.168\.0\.2:\d+/\w+ .* is allowed",
    ):
        isolation.check(c, timeout=TIMEOUT)


def test_an_invariant_replay_that_disagrees_raises(monkeypatch):
    c = two_pods()
    violated(check_invariant, c, A_TO_B)
    lie(monkeypatch, forged(flipped))
    with pytest.raises(
        SoundnessError, match=r"invariant 'a is isolated from b': Z3 says x/a -> 10\.244\.2\.10"
    ):
        check_invariant(c, A_TO_B, timeout=TIMEOUT)


def test_a_dual_stack_replay_that_disagrees_raises(monkeypatch):
    c = build_cluster(
        node(
            "n1", ["192.168.0.1", "fd00:192::1"], pod_cidr=["10.244.1.0/24", "fd00:10:244:1::/64"]
        ),
        pod("x/a", ip=["10.244.1.10", "fd00:10:244:1::a"], node="n1"),
        pod("x/b", ip=["10.244.1.11", "fd00:10:244:1::b"], node="n1"),
        netpol("x/b-from-v4", select={"app": "b"}, ingress=[rule(peer(cidr="10.244.0.0/16"))]),
        pod_cidrs=["10.244.0.0/16", "fd00:10:244::/48"],
        service_cidrs=["10.96.0.0/12", "fd00:10:96::/112"],
    )
    violated(dual_stack.check, c)
    lie(monkeypatch, forged(lambda v: Verdict.DENIED))  # the same verdict in both families
    with pytest.raises(
        SoundnessError,
        match=r"dual-stack \(IPv4\): Z3 says x/a -> 10\.244\.1\.11:\d+/\w+ directly to the pod IP is allowed, the engine says DENIED",
    ):
        dual_stack.check(c, timeout=TIMEOUT)


def test_a_service_resolution_replay_that_disagrees_raises(monkeypatch):
    c = two_pods(service("x/web", ip="10.96.0.10", ports=[("http", 80)]))  # selects app=web: nobody
    violated(service_resolution.check, c)
    lie(monkeypatch, forged(lambda v: Verdict.ALLOWED))
    with pytest.raises(
        SoundnessError,
        match=r"service-resolution: x/web port http:80/TCP has no endpoint, the engine says ALLOWED",
    ):
        service_resolution.check(c, timeout=TIMEOUT)


def test_a_nat_free_replay_that_disagrees_raises(monkeypatch):
    c = two_pods(
        masquerade=MasqueradeConfig(
            "ip-masq-agent", non_masquerade_cidrs=(ip_network("10.244.1.0/24"),)
        )
    )
    violated(nat_free.check, c)

    def no_nat(*args, **kwargs) -> Trace:
        t = trace(*args, **kwargs)
        keep = lambda hops: tuple(h for h in hops if h.step != "snat")  # noqa: E731
        return replace(
            t, hops=keep(t.hops), branches=tuple(replace(b, hops=keep(b.hops)) for b in t.branches)
        )

    lie(monkeypatch, no_nat)
    with pytest.raises(
        SoundnessError,
        match=r"nat-free-pod-to-pod: Z3 says x/a -> 10\.244\.2\.10 is source-NATed, the engine's trace shows no masquerade",
    ):
        nat_free.check(c, timeout=TIMEOUT)


def test_a_unique_ips_replay_that_disagrees_raises(monkeypatch):
    c = two_pods(pod("y/dup", ip="10.244.1.10", node="n1"))
    violated(unique_ips.check, c)
    monkeypatch.setattr(
        "verifier.symbolic.encoder.instantiate",
        lambda cluster, allocation: replace(cluster, pods=()),
    )
    with pytest.raises(
        SoundnessError,
        match=r"unique-pod-ips: Z3 says \['x/a', 'y/dup'\] share 10\.244\.1\.10, the model says \[\]",
    ):
        unique_ips.check(c, timeout=TIMEOUT)


@SETTINGS
@given(isolation_claims())
def test_a_lying_engine_never_yields_a_violation(claim):
    """Whatever the cluster: with every replay contradicted, a flow property raises or proves, never reports."""
    scenario, inv = claim
    c = scenario.cluster
    honest = {
        "isolation": run(isolation.check, c).status,
        "invariant": run(check_invariant, c, inv).status,
    }
    with pytest.MonkeyPatch.context() as m:
        lie(m, forged(flipped))
        for name, check, args in (
            ("isolation", isolation.check, ()),
            ("invariant", check_invariant, (inv,)),
        ):
            if honest[name] is Status.VIOLATED:
                with pytest.raises(SoundnessError):
                    check(c, *args, timeout=TIMEOUT)
            else:  # nothing was replayed: the lie changes nothing
                assert run(check, c, *args).status is honest[name]


# --------------------------------------------------------------------------- a solver that gives up

ALL_CHECKS = (
    ("unique-pod-ips", unique_ips.check),
    ("nat-free-pod-to-pod", nat_free.check),
    ("isolation", isolation.check),
    ("service-resolution", service_resolution.check),
    ("dns-resolution", dns_resolution.check),
    ("dual-stack-coverage", dual_stack.check),
)


def solver_calls(monkeypatch, answer) -> list:
    """Make every solver query answer ``answer(solver, query)``; returns the list of queries asked."""
    from verifier.symbolic import solver as solver_module

    calls: list = []

    def check(self, *query):
        calls.append(query)
        return answer(self, query)

    monkeypatch.setattr(solver_module.Solver, "check", check)
    return calls


def given_up(_solver, _query):
    from verifier.symbolic.solver import Answer
    from verifier.symbolic.solver import Status as SolverStatus

    return Answer(SolverStatus.UNKNOWN, None, "canceled by the test", 0.0)


@SETTINGS
@given(isolation_claims())
def test_a_solver_that_gives_up_is_unknown_never_holds(claim):
    scenario, inv = claim
    checks = [*ALL_CHECKS, ("invariant", lambda c, **kw: check_invariant(c, inv, **kw))]
    for name, check in checks:
        with pytest.MonkeyPatch.context() as m:
            calls = solver_calls(m, given_up)
            result = check(scenario.cluster, timeout=TIMEOUT, max_counterexamples=3)
        if calls:
            assert result.status is Status.UNKNOWN, (
                f"{name}: the solver gave up, yet {show(result)}"
            )
            assert "canceled by the test" in result.reason, (
                f"{name}: the reason is lost: {result.reason!r}"
            )
            assert not result.counterexamples
        else:  # nothing to prove: no query was needed
            assert result.status is Status.HOLDS, f"{name}: no query, yet {show(result)}"


def test_z3_resource_limits_make_every_property_unknown(monkeypatch):
    """Z3 itself gives up (a resource limit of 1): its reason is reported, for every property and an invariant."""
    from verifier.symbolic import solver as solver_module

    real_init = solver_module.Solver.__init__

    def starved(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self._solver.set("rlimit", 1)

    monkeypatch.setattr(solver_module.Solver, "__init__", starved)
    c = two_pods(
        IPBLOCK_ONLY,
        pod("y/dup", ip="10.244.1.10", node="n1"),
        service("x/web", ip="10.96.0.10", ports=[("http", 80)]),
        service("com/example", ip="10.96.0.20"),  # shadows the outside name example.com
        masquerade=MasqueradeConfig(
            "ip-masq-agent", non_masquerade_cidrs=(ip_network("10.244.1.0/24"),)
        ),
        pod_cidrs=[
            "10.244.0.0/16",
            "fd00:10:244::/48",
        ],  # dual-stack on paper: the coverage check runs
        cluster_dns="10.96.0.2",
        external_names={"example.com": ["93.184.216.34"]},
    )
    results = {name: check(c, timeout=TIMEOUT) for name, check in ALL_CHECKS}
    results["invariant"] = check_invariant(c, A_TO_B, timeout=TIMEOUT)
    assert {name: r.status for name, r in results.items()} == dict.fromkeys(results, Status.UNKNOWN)
    for name, r in results.items():
        # Z3's own reason: its resource limit (seen as "canceled" when it hits in the SAT core).
        assert "max. resource limit exceeded" in r.reason or "canceled" in r.reason, (
            f"{name}: {r.reason!r}"
        )


def test_a_timeout_is_unknown_with_its_reason():
    """The wrapper's own contract: a query Z3 cannot finish in time is UNKNOWN, with Z3's reason."""
    import z3

    from verifier.symbolic.solver import Solver
    from verifier.symbolic.solver import Status as SolverStatus

    x, y = z3.BitVecs("x y", 64)
    answer = Solver(timeout=0.001).check(
        x * y == 0xFFFF_FFFB_0000_0019, z3.UGT(x, 1), z3.UGT(y, 1), z3.ULT(x, y)
    )
    assert (answer.status, answer.model, answer.reason) == (SolverStatus.UNKNOWN, None, "timeout")
