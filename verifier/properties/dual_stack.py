"""Property *dual-stack-coverage*: in a dual-stack cluster, both families work alike.

Only checked when the cluster runs both IPv4 and IPv6. Formally:

1. every live pod-network pod has an address of each family; every node with
   podCIDRs has one of each family; every PreferDualStack/RequireDualStack
   Service has a cluster IP of each family (unless headless), and its IPv6
   endpoints cover the same pods as its IPv4 endpoints;
2. for every pair of dual-stack pods p != q, every port and protocol, and every
   way p addresses q that exists in both families (q's own address, the same
   port of a dual-stack Service through the same kind of frontend and node, a
   hostPort): allowed_4(p -> q) <=> allowed_6(p -> q), for every allocation;
3. for every pod p and every outside host known with both families
   (``ClusterNetwork.externalNames``), every port and protocol:
   allowed_4(p -> host) <=> allowed_6(p -> host).

A violation is a pod, node or Service missing a family, or a flow that works in
one family and not in the other (typically an ipBlock for one family only).
"""

from __future__ import annotations

from typing import Any

from ..errors import SoundnessError
from ..model import Cluster, Pod
from ..semantics import journey
from ..semantics import services as svc_rules
from ..semantics.addressing import host_address
from ..semantics.algebra import Packet
from ..semantics.classes import may_hold_pod_address, pod_classes, pod_snat_possible
from ..semantics.endpoint import ExternalEndpoint
from ..semantics.pipeline import Client
from ..semantics.policy import applicable_tiers
from ..symbolic.encoder import Encoder, fresh, instantiate, is_true
from ..symbolic.solver import Case
from ..trace import Decider
from . import flows
from .driver import Query, prove
from .result import Counterexample, PropertyResult, Status

NAME = "dual-stack-coverage"
#: Skip the pod pairs on whose paths no rule reads the address family (their two verdicts are
#: one formula). An optimisation, never a semantics: the oracle turns it off and compares.
FAMILY_BLIND_SHORTCUT = True
STATEMENT = (
    "every pod, node and dual-stack Service has both address families, every dual-stack Service's "
    "ready endpoints are the same pods in both, and every flow allowed in one family is allowed in "
    "the other (pod to pod, directly and through dual-stack Services, and to dual-stack outside hosts)"
)


def check(
    cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3
) -> PropertyResult:
    if not cluster.dual_stack:
        return PropertyResult(NAME, NAME, Status.HOLDS, "single-stack cluster: nothing to cover")
    enc4, enc6 = Encoder(cluster, 4), Encoder(cluster, 6)
    port, proto = fresh("ds.dport", 16), fresh("ds.proto", 2)
    alg = enc4.alg
    background = (alg.not_(alg.eq(port, 0)), alg.in_range(proto, 0, 2))

    def cases() -> list[Case]:
        return (
            _coverage_cases(cluster)
            + _pod_twins(cluster, enc4, enc6, port, proto)
            + _external_twins(cluster, enc4, enc6, port, proto)
        )

    query = Query(
        "IPv4/IPv6",
        (enc4, enc6),
        cases,
        lambda case, model: _explain(cluster, enc4, enc6, case.key, model, port, proto),
        background=background,
    )
    return prove(NAME, NAME, STATEMENT, [query], timeout=timeout, limit=max_counterexamples)


# --------------------------------------------------------------------------- 1. addresses


def _coverage_cases(cluster: Cluster) -> list[Case]:
    cases: list[Case] = []
    for pod in cluster.live_pods:
        if not pod.host_network and not pod.implicit and pod.ips and len(pod.families) < 2:
            cases.append(Case(("pod", pod), True))
    for node in cluster.nodes:
        if node.pod_cidrs and len({c.version for c in node.pod_cidrs}) < 2:
            cases.append(Case(("node", node), True))
    for svc in cluster.services:
        if (
            svc.source.implicit
            or svc.ip_family_policy not in ("PreferDualStack", "RequireDualStack")
            or svc.type == "ExternalName"
        ):
            continue
        if not svc.headless and len({ip.version for ip in svc.cluster_ips}) < 2:
            cases.append(Case(("service-ips", svc), True))
        by_family = {
            fam: {
                e.pod.ref
                for e in svc_rules.service_endpoints(cluster, svc, fam)
                if e.pod is not None and e.ready
            }
            for fam in (4, 6)
        }
        missing = by_family[4] ^ by_family[6]
        if missing:
            cases.append(Case(("service-endpoints", svc, tuple(sorted(missing)), by_family), True))
    return cases


# --------------------------------------------------------------------------- 2. pod-to-pod twins


def _xor(alg, a: Any, b: Any) -> Any:
    return alg.or_(alg.and_(a, alg.not_(b)), alg.and_(alg.not_(a), b))


def _same_pod(enc4: Encoder, enc6: Encoder, ip4, ip6, pods) -> Any:
    """(ip4, ip6) are the two addresses of one pod of ``pods`` (its node's for a hostNetwork pod)."""
    alg = enc4.alg
    return alg.or_(
        *(alg.and_(alg.eq(ip4, _address(enc4, p)), alg.eq(ip6, _address(enc6, p))) for p in pods)
    )


def _address(enc: Encoder, pod: Pod) -> Any:
    if pod.host_network:
        return enc.alg.ip(host_address(enc.cluster, pod, enc.family))
    return enc.pod_ip(pod)


def _receivers(cluster: Cluster, pods) -> list[Pod]:
    """The pods that get what is sent to their addresses, in both families (see flows.receivers);
    a hostNetwork pod gets what is sent to its node's."""
    both = set(p.ref for p in flows.receivers(cluster, pods, 4)) & set(
        p.ref for p in flows.receivers(cluster, pods, 6)
    )
    return [p for p in pods if p.host_network or p.ref in both]


def _frontend(e: journey.Entry) -> tuple:
    """What a frontend is, whatever its family: the same frontend in the other family is its twin."""
    if e.kind == journey.HOST_PORT:
        return (e.kind, e.target.pod.ref, e.port, e.protocol, e.node)
    t = e.target
    return (e.kind, t.service.ref, t.service_port, e.node)


def _route(path: journey.Path) -> tuple:
    """What a path is, whatever its family: the same route in the other family is its twin."""
    if path.entry is None:
        return ("direct",)
    return (*_frontend(path.entry), path.dnat_node.name if path.dnat_node else None)


def _pod_twins(cluster, enc4, enc6, port, proto) -> list[Case]:
    alg = enc4.alg
    # Pod-network pods with both families, and hostNetwork pods whose node has both.
    pods = [
        p for p in cluster.live_pods if all(host_address(cluster, p, f) is not None for f in (4, 6))
    ]
    parties = flows.pod_parties(cluster, pod_classes(cluster, pods))
    # NAT, and kube-proxy's Service range shadowing the pod addresses inside it (a client in
    # the cluster never reaches them directly), may treat the two families apart whatever
    # the rules say: then no pair is family-blind.
    every_pair = pod_snat_possible(cluster) or any(
        journey.pods_in_service_ranges(cluster, f) for f in (4, 6)
    )
    asymmetric = _translated_apart(cluster)
    specific: dict[tuple[str, str], bool] = {}

    def family_specific(pod: Pod, direction: str) -> bool:
        key = (pod.ref, direction)
        if key not in specific:
            specific[key] = every_pair or _family_specific(cluster, pod, direction)
        return specific[key]

    # Each family's packet has its own destination port: on a translated route the client
    # sends to the route's port and each family carries on to its own backend's port
    # (EndpointSlices are per family); on the direct route the two ports are one.
    port6 = fresh("ds.dport6", 16)
    p4 = Packet(4, fresh("ds.src4", 32), fresh("ds.dst4", 32), port, proto)
    p6 = Packet(6, fresh("ds.src6", 128), fresh("ds.dst6", 128), port6, proto)
    fronts: dict[tuple[int, bool], dict[tuple, journey.Entry]] = {}

    def frontends(family: int, client: Client) -> dict[tuple, journey.Entry]:
        """The frontends of ``family`` that ``client`` may address, by twin key."""
        key = (family, client.kind == "external")
        if key not in fronts:
            found = journey.entries(cluster, client, family).values()
            fronts[key] = {_frontend(e): e for e in found}
        return fronts[key]

    cases = []
    entry_ports: dict = {}
    filtered: dict = {}
    clients: dict[str, Client] = {}  # pairs split by node share their source's client
    for src, dst, same in flows.split_pairs(cluster, parties, parties):
        first = src.pods[0]
        client = clients.get(first.ref) or clients.setdefault(first.ref, src.client(cluster))
        rep = dst.pods[1] if same else dst.pods[0]
        if FAMILY_BLIND_SHORTCUT and not (
            family_specific(src.pods[0], "Egress")
            or family_specific(rep, "Ingress")
            or _entries_differ(enc4, enc6, client, dst, entry_ports)
            or _filtered(cluster, client, dst, filtered)
            or any(p.ref in asymmetric for p in dst.pods)
        ):
            continue  # every rule on every path is blind to the family: both verdicts are one formula
        # Every path, those a reachability question may leave out as no different from the
        # direct one included: a Service route is compared as a route (its target port or its
        # masquerade may be another in the other family).
        by_route: dict[int, dict[tuple, tuple]] = {4: {}, 6: {}}
        for enc, packet in ((enc4, p4), (enc6, p6)):
            for path, cond in flows.paths_to(enc, client, dst, rep, packet, every_path=True):
                by_route[enc.family].setdefault(_route(path), (path, cond))
        # One case per pair: the routes on which the families differ, the direct one first.
        routes = []
        for route in dict.fromkeys([*by_route[4], *by_route[6]]):
            (path4, cond4), (path6, cond6) = (by_route[f].get(route, (None, None)) for f in (4, 6))
            if path4 is None or path6 is None:
                # A frontend both families have that leads to the pod in one family only (its
                # EndpointSlices differ: another node for a Local policy, another readiness):
                # the other family's way never reaches it there.
                present = path4 or path6
                other = 6 if path4 is not None else 4
                twin = frontends(other, client).get(_frontend(present.entry))
                if twin is None:
                    continue  # no such frontend in the other family: nothing to compare
                enc, cond, packet, var = (
                    (enc4, cond4, p4, port) if path4 is not None else (enc6, cond6, p6, port6)
                )
                a = _reaches(enc, client, dst, present, cond, packet)
                differ = alg.and_(alg.eq(var, alg.port(present.dst_port)), a)
                if differ is not False:
                    routes.append((path4, path6, a if path4 is not None else False, differ, twin))
                continue
            a4 = _reaches(enc4, client, dst, path4, cond4, p4)
            a6 = _reaches(enc6, client, dst, path6, cond6, p6)
            if path4.entry is None:
                same_port = alg.eq(port, port6)
            else:  # the route's own ports: no family may opt out by another port
                same_port = alg.and_(
                    alg.eq(port, alg.port(path4.dst_port)), alg.eq(port6, alg.port(path6.dst_port))
                )
            differ = alg.and_(same_port, _xor(alg, a4, a6))
            if differ is not False:
                routes.append((path4, path6, a4, differ, None))
        if not routes:
            continue
        # Where the packet ends: sent to a pod's own address, only a pod that receives there
        # (the first holder of an address two pods claim); translated, the pod the route
        # leads to, whoever else holds its address (oracle seed 57547: a hostPort to the second
        # holder was never compared).
        pins = {
            True: _same_pod(enc4, enc6, p4.dst_ip, p6.dst_ip, _receivers(cluster, dst.pods)),
            False: _same_pod(enc4, enc6, p4.dst_ip, p6.dst_ip, dst.pods),
        }
        routes = [
            (*r[:3], alg.and_(pins[(r[0] or r[1]).entry is None], r[3]), *r[4:]) for r in routes
        ]
        formula = alg.and_(
            alg.not_(alg.eq(port6, 0)),
            _same_pod(enc4, enc6, p4.src_ip, p6.src_ip, src.pods),
            alg.not_(alg.eq(p4.src_ip, p4.dst_ip)) if same else alg.true,
            alg.or_(*(r[3] for r in routes)),
        )
        if formula is not False:
            cases.append(Case(("pods", src, dst, same, p4, p6, tuple(routes)), formula))
    return cases


def _translated_apart(cluster: Cluster) -> frozenset[str]:
    """The pods a dual-stack Service port may translate to differently in the two families:
    another target port, a backend in one family's candidates only, or on another node for a
    Local traffic policy (EndpointSlices are per family, and a selector-less Service's are
    written by hand). The Service route to them is not family-blind, whatever the policies say."""
    by_family: dict[int, set[tuple]] = {4: set(), 6: set()}
    for svc in cluster.services:
        if set(svc.ip_families) != {4, 6}:
            continue
        for sp in svc.ports:
            for family, seen in by_family.items():
                seen.update(
                    (b.pod.ref, svc.ref, sp.port, sp.protocol, b.port, b.node_name)
                    for b in svc_rules.candidates(cluster, svc, sp, family)
                    if b.pod is not None
                )
    return frozenset(key[0] for key in by_family[4] ^ by_family[6])


def _filtered(cluster: Cluster, client: Client, dst: flows.Party, memo: dict) -> bool:
    """May a path to ``dst`` pass a rule of its own that reads the client's address?

    loadBalancerSourceRanges, which kube-proxy applies per family (journey.entry_source_ranges):
    a LoadBalancer IP guarded by ranges of its family may lead to one of ``dst``'s pods.
    ``memo`` keeps the answer per destination and kind of client.
    """
    key = (id(dst), client.kind == "external")
    if key not in memo:
        wanted = {("node", p.node_name) if p.host_network else ("pod", p.ref) for p in dst.pods}
        memo[key] = (
            dst,
            any(
                journey.entry_source_ranges(e)
                for family in (4, 6)
                for w in wanted
                for e in journey.entries_reaching(cluster, family, client.kind == "external").get(
                    w, ()
                )
            ),
        )
    return memo[key][1]


def _reaches(enc: Encoder, client: Client, dst: flows.Party, path: journey.Path, cond, packet):
    """``path`` carries ``packet`` to ``dst``. Sent to a hostNetwork pod's node address, a packet
    also reaches it when a frontend at that address (a NodePort of one family only) translates
    it to the pod: the address the client uses is what both families are compared on."""
    alg = enc.alg
    direct = alg.and_(cond, enc.allowed(client, path, packet))
    if path.entry is not None or dst.kind != flows.POD or not dst.host_network:
        return direct
    node = dst.pods[0].node_name
    through = []
    for p in journey.translated_paths_to(enc.cluster, client, enc.family, ("node", node)):
        e = p.entry
        if e.node != node or e.kind == journey.HOST_PORT:
            continue
        # The backend's packet is concrete; the client's port and protocol pick the entry.
        inner = packet.with_(dst_ip=alg.ip(p.dst_ip), dst_port=alg.port(p.dst_port))
        through.append(
            alg.and_(
                alg.eq(packet.dst_port, alg.port(e.port)),
                alg.eq(packet.protocol, alg.protocol(e.protocol)),
                enc.allowed(client, p, inner),
            )
        )
    return alg.or_(direct, *through)


def _entries_differ(
    enc4: Encoder, enc6: Encoder, client: Client, dst: flows.Party, memo: dict
) -> bool:
    """Do the two families translate different ports at ``dst``'s own addresses?

    A frontend of one family only (a single-stack Service's NodePort on a node's
    address, where hostNetwork pods listen) takes a port the other family delivers
    directly, whatever the policies say. ``memo`` keeps the answer per destination
    and kind of client (every pair with that destination shares it).
    """
    key = (id(dst), client.kind == "external")
    if key not in memo:
        # The party is kept with its answer, so its id() is never reused for another.
        memo[key] = (dst, _ports_at(enc4, client, dst) != _ports_at(enc6, client, dst))
    return memo[key][1]


def _ports_at(enc: Encoder, client: Client, dst: flows.Party) -> frozenset[tuple[int, str]]:
    """The (port, protocol) of every entry ``client`` may address at ``dst``'s addresses."""
    may_be = flows.may_be(enc, dst)
    return frozenset(
        (port, protocol)
        for ip, keys in journey.entries_at(enc.cluster, client, enc.family).items()
        if may_be(ip)
        for (_ip, port, protocol) in keys
    )


def _family_specific(cluster: Cluster, pod: Pod, direction: str) -> bool:
    """Can a rule applying to ``pod`` treat a cluster address's IPv4 and IPv6 forms differently?

    Selectors, ports and protocols read the same in both families; only address
    rules (ipBlocks, ANP networks and nodes, Calico nets and notNets) and an
    ``ipVersion`` can, and NAT (checked by the caller). An address rule counts
    when it may hold a pod's address or a node's (through a masquerading Service
    path, or to another node's NodePort, the other end is a node address).
    """

    def cluster_address(net, excepts=()) -> bool:
        if may_hold_pod_address(cluster, net, excepts):
            return True
        nodes = (ip for n in cluster.nodes for ip in n.ips if ip.version == net.version)
        return any(ip in net and not any(ip in e for e in excepts) for ip in nodes)

    for _name, _default, policies in applicable_tiers(cluster, pod, direction):
        for p in policies:
            for rule in p.rules(direction):
                for peer in getattr(rule, "peers", ()):
                    block = getattr(peer, "ip_block", None)
                    if block is not None and cluster_address(block.cidr, block.except_):
                        return True
                    if any(cluster_address(n) for n in getattr(peer, "networks", ())):
                        return True
                    if getattr(peer, "nodes", None) is not None:
                        return True
                if getattr(rule, "ip_version", None) is not None:
                    return True
                for e in (getattr(rule, "source_rule", None), getattr(rule, "destination", None)):
                    if e is not None and any(cluster_address(n) for n in e.nets + e.not_nets):
                        return True
    return False


# --------------------------------------------------------------------------- 3. outside twins


def _external_twins(cluster, enc4, enc6, port, proto) -> list[Case]:
    alg = enc4.alg
    hosts = [
        (name, ips)
        for name, ips in cluster.config.external_names
        if {ip.version for ip in ips} == {4, 6}
    ]
    if not hosts:
        return []
    pods = [
        p
        for p in cluster.live_pods
        if not p.host_network and not p.implicit and len(p.families) == 2
    ]
    classes = pod_classes(cluster, pods)
    cases = []
    for name, ips in hosts:
        ip4 = next(ip for ip in ips if ip.version == 4)
        ip6 = next(ip for ip in ips if ip.version == 6)
        for src in classes:
            client = Client.of_pod(cluster, src[0])
            p4 = Packet(4, fresh("dx.src4", 32), ip4, port, proto)
            p6 = Packet(6, fresh("dx.src6", 128), ip6, port, proto)
            path4 = journey.Path(ExternalEndpoint(ip4), ip4, None)
            path6 = journey.Path(ExternalEndpoint(ip6), ip6, None)
            a4 = alg.and_(
                journey.direct_guard(alg, cluster, client, p4), enc4.allowed(client, path4, p4)
            )
            a6 = alg.and_(
                journey.direct_guard(alg, cluster, client, p6), enc6.allowed(client, path6, p6)
            )
            if isinstance(a4, bool) and isinstance(a6, bool) and a4 == a6:
                continue
            formula = alg.and_(_same_pod(enc4, enc6, p4.src_ip, p6.src_ip, src), _xor(alg, a4, a6))
            if formula is not False:
                cases.append(Case(("external", name, ip4, ip6, tuple(src), p4, p6), formula))
    return cases


# --------------------------------------------------------------------------- explanations


def _delivers(cluster: Cluster, w: flows.Witness, expected: bool, what: str):
    """The engine's trace of ``w`` (sent to a hostNetwork pod's node address), checked: some
    branch delivers to that node's host network iff ``expected``."""
    from ..engine import trace

    t = trace(
        instantiate(cluster, w.allocation),
        w.source.ref,
        w.packet.dst_ip,
        w.packet.dst_port,
        w.packet.protocol,
        family=w.packet.family,
    )
    node = cluster.node_by_name.get(getattr(w.destination, "node_name", None) or "")
    own = set(node.ips) if node is not None else set()
    delivered = any(
        b.reachable
        and b.ip in own
        and any(h.detail.startswith("delivered to the host network") for h in b.hops)
        for b in t.branches
    )
    if delivered != expected:
        raise SoundnessError(
            f"{what}: Z3 says {w.source.ref} -> {w.packet.dst_ip}:{w.packet.dst_port}/"
            f"{w.packet.protocol} {'reaches' if expected else 'does not reach'} the host network "
            f"of node {node.name if node else '?'}, the engine says {t.verdict}"
        )
    return t


def _explain(cluster, enc4, enc6, key, model, port, proto) -> Counterexample:
    kind = key[0]
    if kind == "pod":
        pod = key[1]
        node = cluster.node_by_name.get(pod.node_name or "")
        have = "/".join(f"IPv{f}" for f in pod.families)
        objs = [Decider.of(pod)] + (
            [Decider.of(node, part="spec.podCIDRs")]
            if node is not None and len(node.pod_cidrs) < 2
            else []
        )
        return Counterexample(
            f"{pod.ref} has only {have} in a dual-stack cluster: it is unreachable over the other family",
            pods=(pod.ref,),
            objects=tuple(objs),
        )
    if kind == "node":
        node = key[1]
        have = ", ".join(map(str, node.pod_cidrs))
        return Counterexample(
            f"node {node.name} has podCIDRs {have} only: its pods get a single family",
            objects=(Decider.of(node, part="spec.podCIDRs"),),
        )
    if kind == "service-ips":
        svc = key[1]
        return Counterexample(
            f"Service {svc.ref} is {svc.ip_family_policy} but has cluster IPs {', '.join(map(str, svc.cluster_ips))}",
            objects=(Decider.of(svc, part="spec.ipFamilies"),),
        )
    if kind == "service-endpoints":
        svc, missing, by_family = key[1], key[2], key[3]
        only4 = [m for m in missing if m in by_family[4]]
        detail = (
            f"{', '.join(only4)} only in its IPv4 endpoints"
            if only4
            else f"{', '.join(missing)} only in its IPv6 endpoints"
        )
        return Counterexample(
            f"Service {svc.ref} ({svc.ip_family_policy}) reaches {detail}: its two families lead to different pods",
            pods=tuple(missing),
            objects=(Decider.of(svc),),
        )
    from ..engine import trace

    alloc = {**enc4.allocation(model), **enc6.allocation(model)}
    concrete = instantiate(cluster, alloc)
    delivered: dict[int, int | None] | None = None
    if kind == "pods":
        _, src, dst, same, p4, p6, routes = key
        path4, path6, a4, _differ, twin = next(r for r in routes if is_true(model, r[3]))
        s4, s6 = enc4.concrete_packet(model, p4), enc6.concrete_packet(model, p6)
        port_v, proto_v = s4.dst_port, s4.protocol
        present = path4 if path4 is not None else path6
        sent_present = s4 if path4 is not None else s6
        source = enc4.pod_at(model, s4.src_ip, src.pods) or src.pods[0]
        dest = (
            enc4.pod_at(model, s4.dst_ip, [d for d in dst.pods if d is not source]) or dst.pods[0]
        )
        for path, sent in ((path4, s4), (path6, s6)):
            if path is not None and path.entry is not None and sent.dst_port != path.dst_port:
                # A witness off its own route would replay as "not delivered" whatever happens.
                raise SoundnessError(
                    f"dual-stack: Z3's IPv{sent.family} packet goes to port {sent.dst_port}, "
                    f"its route {path.describe()} to port {path.dst_port}"
                )
        works4 = is_true(model, a4)
        if twin is not None:
            # The frontend leads to ``dest`` in one family only: that family's trace delivers
            # there, the other family's trace of the twin frontend nowhere near it.
            w = flows.Witness(source, dest, present, sent_present, alloc)
            label = f"dual-stack (IPv{present.entry.family})"
            t_present = flows.replay(cluster, w, expect_allowed=True, what=label)[1]
            t_twin = trace(
                concrete, source.ref, str(twin.ip), twin.port, twin.protocol, family=twin.family
            )
            if any(b.reachable and b.pod == dest.ref for b in t_twin.branches):
                raise SoundnessError(
                    f"dual-stack: Z3 says {source.ref} never reaches {dest.ref} through "
                    f"{twin.ip}:{twin.port}/{twin.protocol}, the engine delivers there"
                )
            t4, t6 = (t_present, t_twin) if path4 is not None else (t_twin, t_present)
        elif present.entry is None and dest.host_network:
            w4 = flows.Witness(source, dest, path4, s4, alloc)
            w6 = flows.Witness(source, dest, path6, s6, alloc)
            # Compared on the node address the client uses (see _reaches): the engine must
            # deliver to the node's host network in one family, and not in the other.
            t4 = _delivers(cluster, w4, works4, "dual-stack (IPv4)")
            t6 = _delivers(cluster, w6, not works4, "dual-stack (IPv6)")
        else:
            w4 = flows.Witness(source, dest, path4, s4, alloc)
            w6 = flows.Witness(source, dest, path6, s6, alloc)
            t4 = flows.replay(cluster, w4, expect_allowed=works4, what="dual-stack (IPv4)")[1]
            t6 = flows.replay(cluster, w6, expect_allowed=not works4, what="dual-stack (IPv6)")[1]
        target = dest.ref if present.entry is None else f"{dest.ref} {present.describe()}"
        if present.entry is not None:
            # The route names the port the client uses; the backend's may differ by family.
            delivered = {
                4: path4.dst_port if path4 is not None else None,
                6: path6.dst_port if path6 is not None else None,
            }
        ok4 = works4
    else:
        _, name, ip4, ip6, src, p4, p6 = key
        s4 = enc4.concrete_packet(model, p4)
        port_v, proto_v = s4.dst_port, s4.protocol
        source = enc4.pod_at(model, s4.src_ip, src) or src[0]
        t4 = trace(concrete, source.ref, ip4, port_v, proto_v)
        t6 = trace(concrete, source.ref, ip6, port_v, proto_v)
        target = f"{name} ({ip4} / {ip6})"
        if t4.reachable == t6.reachable:
            raise SoundnessError(
                f"dual-stack: Z3 says {source.ref} -> {target} differs by family, the engine says {t4.verdict} / {t6.verdict}"
            )
        ok4 = t4.reachable
    works, fails = ("IPv4", "IPv6") if ok4 else ("IPv6", "IPv4")
    bad = t6 if ok4 else t4
    good = t4 if ok4 else t6
    # At fault (first, where CI annotations point): the rule that allows the flow in one
    # family only, at the step that denies the other family (the rule that needs its
    # twin); then what denies the other family.
    denied_at = {h.step for h in bad.all_hops if h.outcome == "denied"}
    allowing = [
        d
        for h in good.all_hops
        if h.outcome == "allowed"
        for d in h.deciders
        if h.step in denied_at
    ]
    if not allowing:
        allowing = [d for h in good.all_hops if h.outcome == "allowed" for d in h.deciders]
    deciders = tuple(allowing) + tuple(
        d for h in bad.all_hops if h.outcome == "denied" for d in h.deciders
    )
    if delivered is None:
        summary = (
            f"{source.ref} -> {target} {port_v}/{proto_v} works over {works} but not over {fails}"
        )
    elif delivered[4] == delivered[6]:
        summary = f"{source.ref} -> {target} works over {works} but not over {fails}"
    else:
        to = {
            f"IPv{f}": f" (to port {p})"
            if p is not None
            else f" (its IPv{f} endpoints never lead to {dest.ref})"
            for f, p in delivered.items()
        }
        summary = f"{source.ref} -> {target} works over {works}{to[works]} but not over {fails}{to[fails]}"
    return Counterexample(
        summary=summary,
        pods=(source.ref,) + ((dest.ref,) if kind == "pods" else ()),
        objects=tuple(dict.fromkeys(deciders)),
        traces=(t4, t6),
        allocation=flows.allocation_for(
            cluster, alloc, {source.ref} | ({dest.ref} if kind == "pods" else set())
        ),
    )
