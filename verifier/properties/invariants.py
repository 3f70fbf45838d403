"""User invariants: what a team declares its policies must guarantee, checked with Z3.

The file format is :mod:`verifier.ingest.invariants`. Meaning, for every
address family, every packet and every allocation of the addresses netverify
chose:

* ``isolated {from: S, to: D}``: no source in S opens a connection that a
  destination in D receives, directly or through any Service frontend or
  hostPort, from wherever the packet is translated;
* ``only {from: S, to: D, port, protocol}``: no source outside S does so on
  ``port``/``protocol``;
* ``reach``: the connection from one pod (or ``node/NAME``, or an IP) to a pod,
  IP or DNS name is allowed (``expect: allow``) or denied (``expect: deny``).

Sources and destinations: the pods a pod selector matches (hostNetwork pods
too: a hostNetwork pod is reached on its node's host network); for an
``ipBlock`` selector, the hosts outside the cluster whose address lies in it and
the nodes whose address does. The sources of ``only`` are everything S does not
list: the other pods, every node, and every outside host outside S's ipBlocks.
``port`` is either the port the client sends to or the one the destination
receives (through a Service they differ: a claim about either counts the flow);
``protocol`` is the same on both sides.

Not counted: a pod reaching itself, and a node (or a hostNetwork pod, which
*is* its node for policy) reaching its own host network; a node reaching a pod
of its own node, unless the packet comes back from another node (another
node's NodePort or hostPort): no NetworkPolicy can block a node's own traffic
to its pods (kubelet probes, node daemons; semantics.md §3.4, §3.9).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import UsageError
from ..ingest.invariants import KINDS, Invariant, Selector, load_invariants, parse_invariants
from ..model import Cluster, IPBlock, Node, Pod
from ..semantics.classes import pod_classes
from ..symbolic.encoder import Encoder, instantiate
from ..symbolic.solver import Case
from ..trace import Decider, host_port
from . import flows
from .driver import Query, prove
from .result import Counterexample, PropertyResult

__all__ = [
    "KINDS",
    "Selector",
    "Invariant",
    "load_invariants",
    "parse_invariants",
    "check_invariant",
]


def check_invariant(
    cluster: Cluster, invariant: Invariant, *, timeout: float = 60.0, max_counterexamples: int = 3
) -> PropertyResult:
    """Prove one invariant, or find up to ``max_counterexamples`` flows that break it."""
    if invariant.kind == "reach":
        queries = [_reach_query(cluster, invariant)]
    else:
        queries = [_flows_query(cluster, invariant, family) for family in cluster.families]
    return prove(
        "invariant",
        invariant.name,
        invariant.describe(),
        queries,
        timeout=timeout,
        limit=1 if invariant.kind == "reach" else max_counterexamples,
        source=invariant.source,
    )


# --------------------------------------------------------------------------- isolated / only


def _matching(cluster: Cluster, selectors: Iterable[Selector], pods: Iterable[Pod]) -> list[Pod]:
    sels = [s for s in selectors if s.ip_block is None]
    return [p for p in pods if any(s.matches_pod(cluster, p) for s in sels)]


def _by_role(classes: list[list[Pod]], src_pods: set[int], dst_pods: set[int]) -> list[list[Pod]]:
    """Split classes so every member plays the same role in the invariant (source, destination, both)."""
    out: list[list[Pod]] = []
    for members in classes:
        parts: dict[tuple[bool, bool], list[Pod]] = {}
        for p in members:
            parts.setdefault((id(p) in src_pods, id(p) in dst_pods), []).append(p)
        out.extend(parts.values())
    return out


def _blocks(selectors: Iterable[Selector], family: int) -> list[IPBlock]:
    return [
        s.ip_block
        for s in selectors
        if s.ip_block is not None and s.ip_block.cidr.version == family
    ]


def _in_blocks(ip, blocks: list[IPBlock]) -> bool:
    return any(ip in b.cidr and not any(ip in e for e in b.except_) for b in blocks)


def _flows_query(cluster: Cluster, inv: Invariant, family: int) -> Query:
    enc = Encoder(cluster, family)
    packet = enc.packet("inv")

    def cases() -> list[Case]:
        alg = enc.alg
        live = [p for p in cluster.live_pods if p.ip(family) is not None]
        dst_pods = set(map(id, _matching(cluster, inv.destinations, live)))
        listed = set(map(id, _matching(cluster, inv.sources, live)))
        src_pods = listed if inv.kind == "isolated" else set(map(id, live)) - listed
        involved = [p for p in live if id(p) in src_pods | dst_pods]
        parties = flows.pod_parties(
            cluster, _by_role(pod_classes(cluster, involved), src_pods, dst_pods)
        )
        sources = [c for c in parties if id(c.pods[0]) in src_pods]
        destinations = [c for c in parties if id(c.pods[0]) in dst_pods]
        src_blocks, dst_blocks = _blocks(inv.sources, family), _blocks(inv.destinations, family)
        nodes = [n for n in cluster.nodes if n.ip(family) is not None]
        if inv.kind == "isolated":
            sources += [
                flows.Party(flows.NODE, node=n)
                for n in nodes
                if _in_blocks(n.ip(family), src_blocks)
            ]
            if src_blocks:
                sources.append(flows.outside_party(src_blocks))
        else:
            sources += [
                flows.Party(flows.NODE, node=n)
                for n in nodes
                if not _in_blocks(n.ip(family), src_blocks)
            ]
            sources.append(flows.outside_party(None, src_blocks))
        destinations += [
            flows.Party(flows.NODE, node=n) for n in nodes if _in_blocks(n.ip(family), dst_blocks)
        ]
        if dst_blocks:
            destinations.append(flows.outside_party(dst_blocks))
        cond = (
            alg.true
            if inv.protocol is None
            else alg.eq(packet.protocol, alg.protocol(inv.protocol))
        )
        port_ok = None
        if inv.port is not None:
            # The port the client sends to, or the one the destination receives: through a
            # Service they differ, and a claim about either must not miss the flow.
            at_destination = alg.eq(packet.dst_port, alg.port(inv.port))

            def port_ok(path, term):
                entry = path.entry
                return (
                    term
                    if entry is not None and entry.port == inv.port
                    else alg.and_(term, at_destination)
                )

        out = []
        for src, dst, same in flows.split_pairs(cluster, sources, destinations):
            keep = _not_own_node(src, dst)
            case = flows.flow_case(
                enc,
                packet,
                src,
                dst,
                same,
                condition=cond,
                paths=keep,
                extra=port_ok,
                every_path=inv.port is not None,
            )
            if case is not None:
                out.append(case)
        return out

    def explain(case: Case, model) -> Counterexample:
        w = flows.decode(enc, model, case.key, packet)
        _, t = flows.replay(cluster, w, what=f"invariant {inv.name!r}")
        deciders = flows.allowing_deciders(t, w)
        both_pods = len(w.pods) == 2
        because = (
            f"; allowed by {', '.join(d.ref for d in deciders)}"
            if deciders
            else ("; no policy isolates these pods" if both_pods else "; no policy applies")
        )
        fallback = (
            Decider.of(w.destination)
            if isinstance(w.destination, (Pod, Node))
            else Decider("Invariant", inv.name, source=inv.source)
        )
        return Counterexample(
            summary=f"{w.source_label} reaches {w.destination_label} on {w.packet.dst_port}/{w.packet.protocol} {w.path.describe()}{because}",
            packet=w.packet,
            pods=w.pods,
            objects=deciders or (fallback,),
            traces=(t,),
            allocation=flows.allocation_labels(w, cluster),
            details={"invariant": inv.name, "path": w.path.describe()},
        )

    return Query(f"IPv{family}", (enc,), cases, explain, flows.prefer_declared_ports(enc, packet))


def _not_own_node(src: flows.Party, dst: flows.Party):
    """The node exception: a node reaching its own pods counts only from elsewhere (through
    another node's NodePort or hostPort); reaching its own host network is reaching itself."""
    node = src.node_name
    if node is None:
        return None
    if dst.kind == flows.POD and not dst.host_network:
        if not all(p.node_name == node for p in dst.pods):
            return None
        return lambda path: path.dnat_node is not None and path.dnat_node.name != node
    if dst.node_name != node:
        return None
    return lambda path: False


# --------------------------------------------------------------------------- reach


def _reach_query(cluster: Cluster, inv: Invariant) -> Query:
    """``reach``: the engine plans the connection (DNS is concrete); Z3 decides each path for every allocation."""
    from ..engine import trace
    from ..query import client_for

    protocol = inv.protocol or "TCP"
    try:
        t = trace(cluster, inv.client, inv.target, inv.port, protocol)
        client = client_for(cluster, inv.client)
    except UsageError as e:
        raise UsageError(f"invariant {inv.name!r}: {e}") from None
    family = t.family or (client.families[0] if client.families else 4)
    enc = Encoder(cluster, family)
    alg = enc.alg

    def reachable():
        if t.address is None or t.port is None or not isinstance(t.port, int):
            return (
                alg.false
            )  # the name does not resolve, or no such port: the same in every allocation
        terms = [flows.connects(enc, client, t.address, t.port, protocol)]
        if t.nameserver is not None:
            terms.append(flows.connects(enc, client, t.nameserver, 53, "UDP"))
        return alg.and_(*terms)

    def cases() -> list[Case]:
        ok = reachable()
        return [Case("reach", alg.not_(ok) if inv.expect_allow else ok)]

    def explain(case: Case, model) -> Counterexample:
        from ..errors import SoundnessError

        allocation = enc.allocation(model)
        concrete = instantiate(cluster, allocation)
        t2 = trace(concrete, inv.client, inv.target, inv.port, protocol)
        if t2.reachable == inv.expect_allow:
            raise SoundnessError(
                f"invariant {inv.name!r}: Z3 says {inv.client} -> {host_port(inv.target, inv.port)}/{protocol} is "
                f"{'not ' if inv.expect_allow else ''}reachable, the engine says {t2.verdict}"
            )
        verdict = "is not reachable" if inv.expect_allow else "is reachable"
        if inv.expect_allow:
            deciders = tuple(
                d
                for h in t2.all_hops
                if h.outcome in ("denied", "nxdomain", "blocked", "reject", "drop")
                for d in h.deciders
            )
        else:
            deciders = flows.allowing_deciders(t2)
        return Counterexample(
            summary=f"{host_port(inv.target, inv.port)}/{protocol} {verdict} from {inv.client} ({t2.verdict})",
            pods=(inv.client,) if inv.client in cluster.pod_by_ref else (),
            objects=deciders,
            traces=(t2,),
            # Every pod the verdict depends on: the client and each backend it may reach.
            allocation=flows.allocation_for(
                cluster,
                allocation,
                ({inv.client, str(inv.target)} | {b.pod for b in t2.branches if b.pod})
                & set(cluster.pod_by_ref),
            ),
            details={"invariant": inv.name},
        )

    return Query(f"IPv{family}", (enc,), cases, explain)
