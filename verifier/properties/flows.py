"""Flows between parties: what every property about connections shares.

A :class:`Party` is a set of sources or destinations that one formula covers:
a class of pods (:func:`~verifier.semantics.classes.pod_classes`), the
hostNetwork pods of one node, a node's host network, or the hosts outside the
cluster (within some ipBlocks, or anywhere). A *flow case* says "some member of
S opens a connection that some member of D receives, along some path": the
paths are the journey's (:mod:`verifier.semantics.journey`), the same the engine
walks, and each path's verdict is :func:`~verifier.semantics.journey.evaluate`
in the Z3 algebra. :func:`decode` reads a model back into a :class:`Witness`
and :func:`replay` has the engine walk it, branch by branch: a missing branch or
a different verdict is a :class:`~verifier.errors.SoundnessError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import SoundnessError
from ..model import IP, Cluster, IPBlock, Node, Pod
from ..semantics import journey
from ..semantics.addressing import host_address, outside_reaches_pods, outside_region
from ..semantics.algebra import Packet
from ..semantics.endpoint import ExternalEndpoint, NodeEndpoint, PodEndpoint
from ..semantics.journey import Path
from ..semantics.pipeline import Client
from ..symbolic.encoder import ConcretePacket, Encoder, allocation_ranges, instantiate, is_true
from ..symbolic.solver import Case
from ..trace import Branch, Decider, Trace, host_port

__all__ = [
    "POD",
    "NODE",
    "OUTSIDE",
    "Party",
    "FlowKey",
    "Witness",
    "pod_parties",
    "node_parties",
    "may_be",
    "outside_party",
    "split_pairs",
    "connects",
    "address",
    "paths_to",
    "flow_case",
    "prefer_declared_ports",
    "decode",
    "replay",
    "branch_of",
    "allowing_deciders",
    "allocation_labels",
    "allocation_for",
    "in_block",
]

POD = "pods"
NODE = "node"
OUTSIDE = "outside"


@dataclass(frozen=True, eq=False)
class Party:
    """Sources or destinations one formula covers.

    ``pods``: a class of pods the rules treat alike (pod-network pods, or the
    hostNetwork pods of one node); ``node``: one node's host network (kubelet,
    node daemons); ``outside``: hosts outside the cluster, within ``blocks``
    (None: anywhere outside) and not within ``excluded``.
    """

    kind: str
    pods: tuple[Pod, ...] = ()
    node: Node | None = None
    blocks: tuple[IPBlock, ...] | None = None
    excluded: tuple[IPBlock, ...] = ()

    @property
    def host_network(self) -> bool:
        return self.kind == POD and self.pods[0].host_network

    @property
    def node_name(self) -> str | None:
        """The node of a node party or of hostNetwork pods (None otherwise)."""
        if self.kind == NODE:
            return self.node.name
        if self.host_network:
            return self.pods[0].node_name
        return None

    def client(self, cluster: Cluster) -> Client:
        if self.kind == POD:
            return Client.of_pod(cluster, self.pods[0])
        if self.kind == NODE:
            return Client.of_node(self.node)
        return Client.outside()

    def __str__(self) -> str:
        if self.kind == POD:
            return ", ".join(p.ref for p in self.pods[:3]) + (" ..." if len(self.pods) > 3 else "")
        if self.kind == NODE:
            return f"node/{self.node.name}"
        inside = "anywhere" if self.blocks is None else " or ".join(map(str, self.blocks))
        return f"outside hosts ({inside})"


def pod_parties(cluster: Cluster, classes: Iterable[Sequence[Pod]]) -> list[Party]:
    """One party per class; a class mixing pods outside hosts can and cannot route to is split."""
    out = []
    for members in classes:
        groups: dict[bool, list[Pod]] = {}
        for p in members:
            groups.setdefault(p.host_network or outside_reaches_pods(cluster, p), []).append(p)
        out.extend(Party(POD, tuple(g)) for g in groups.values())
    return out


def node_parties(cluster: Cluster, family: int) -> list[Party]:
    return [Party(NODE, node=n) for n in cluster.nodes if n.ip(family) is not None]


def outside_party(
    blocks: Sequence[IPBlock] | None = None, excluded: Sequence[IPBlock] = ()
) -> Party:
    return Party(
        OUTSIDE, blocks=None if blocks is None else tuple(blocks), excluded=tuple(excluded)
    )


def source_part(party: Party) -> Party | None:
    """The members of ``party`` that may open a connection: implicit pods (the cluster DNS the
    loader adds when the input lacks it) are servers, never a source (None: nobody)."""
    if party.kind != POD or not any(p.implicit for p in party.pods):
        return party
    clients = tuple(p for p in party.pods if not p.implicit)
    return Party(POD, clients) if clients else None


def split_pairs(
    cluster: Cluster, sources: Sequence[Party], destinations: Sequence[Party]
) -> Iterator[tuple[Party, Party, bool]]:
    """Every (source, destination, same) pair, split where a node decides.

    A node (or a hostNetwork pod, which is its node for policy) reaching a pod
    on its own node is exempt from the pod's ingress policy (semantics.md §3.9),
    so a pod class is split into the pods on that node and the others; under
    DefaultEndpointToHostAction=Drop a pod cannot reach its own node (§5.6), so a
    source class is split likewise. ``same`` when the two are one class: a pod
    never pairs with itself. Two outside parties never pair: their traffic does
    not cross the cluster. Implicit pods (the cluster DNS the loader adds when the
    input lacks it) are servers: never a source.
    """
    drop = cluster.config.endpoint_to_host == "Drop"
    for listed in sources:
        src = source_part(listed)
        if src is None:
            continue
        for dst in destinations:
            if src.kind == OUTSIDE and dst.kind == OUTSIDE:
                continue  # between two hosts outside the cluster: not the cluster's traffic
            same = listed is dst
            if same and len(dst.pods) < 2:
                continue
            node = src.node_name
            if node is not None and dst.kind == POD and not dst.host_network:
                for part in _by_node(dst, node):
                    yield src, part, False
            elif drop and dst.node_name is not None and src.kind == POD and not src.host_network:
                for part in _by_node(src, dst.node_name):
                    yield part, dst, False
            else:
                yield src, dst, same


def _by_node(party: Party, node: str) -> list[Party]:
    here = tuple(p for p in party.pods if p.node_name == node)
    there = tuple(p for p in party.pods if p.node_name != node)
    if not here or not there:
        return [party]
    return [Party(POD, here), Party(POD, there)]


# --------------------------------------------------------------------------- formulas


def in_block(alg, ip, block: IPBlock):
    return alg.and_(
        alg.in_cidr(ip, block.cidr), *(alg.not_(alg.in_cidr(ip, e)) for e in block.except_)
    )


def receivers(cluster: Cluster, pods: Sequence[Pod], family: int) -> list[Pod]:
    """The pods that receive what is sent to their address: when two live pods share one
    (a unique-pod-ips violation), the first holder gets the packets (``Cluster.pod_by_ip``)."""
    return [p for p in pods if p.ip_allocated or cluster.pod_by_ip.get(p.ip(family)) is p]


def address(enc: Encoder, party: Party, ip: Any, *, receiving: bool = False) -> Any:
    """``ip`` is the address of a member of ``party`` (``receiving``: one that gets packets sent to it)."""
    alg = enc.alg
    if party.kind == POD and not party.host_network:
        return enc.one_of(
            ip, receivers(enc.cluster, party.pods, enc.family) if receiving else party.pods
        )
    if party.kind in (POD, NODE):
        node = (
            party.node
            if party.kind == NODE
            else enc.cluster.node_by_name.get(party.node_name or "")
        )
        own = (
            node.ip(enc.family)
            if node is not None
            else host_address(enc.cluster, party.pods[0], enc.family)
        )
        return alg.false if own is None else alg.eq(ip, alg.ip(own))
    fam = [b for b in (party.blocks or ()) if b.cidr.version == enc.family]
    if party.blocks is not None and not fam:
        return alg.false
    return alg.and_(
        outside_region(alg, enc.cluster, ip, enc.family),
        alg.true if party.blocks is None else alg.or_(*(in_block(alg, ip, b) for b in fam)),
        *(alg.not_(in_block(alg, ip, b)) for b in party.excluded if b.cidr.version == enc.family),
    )


def may_be(enc: Encoder, party: Party):
    """Which addresses a direct packet to ``party`` may have, as a predicate (for the direct guard)."""
    cluster, family = enc.cluster, enc.family
    if party.kind == POD and not party.host_network:
        concrete = {
            ip for p in party.pods if not p.ip_allocated and (ip := p.ip(family)) is not None
        }
        ranges = tuple(
            {n for p in party.pods if p.ip_allocated for n in allocation_ranges(cluster, p, family)}
        )
        return lambda ip: ip in concrete or any(ip.version == n.version and ip in n for n in ranges)
    if party.kind in (POD, NODE):
        node = party.node if party.kind == NODE else cluster.node_by_name.get(party.node_name or "")
        own = set(node.ips) if node is not None else set()
        return lambda ip: ip in own
    from ..semantics.algebra import CONCRETE

    return lambda ip: outside_region(CONCRETE, cluster, ip, family)


def _guard(enc: Encoder, client: Client, dst: Party, packet: Packet):
    """The direct guard for ``client`` towards ``dst``, built once per encoder, kind of client and party."""
    memo = enc.__dict__.setdefault("_guards", {})
    key = (client.kind == "external", id(dst), id(packet.dst_ip), id(packet.dst_port))
    found = memo.get(key)
    if found is None:
        found = memo[key] = (
            journey.direct_guard(enc.alg, enc.cluster, client, packet, may_be(enc, dst)),
            dst,
            packet,
        )
    return found[0]


def paths_to(
    enc: Encoder,
    client: Client,
    dst: Party,
    rep: Pod | None,
    packet: Packet,
    *,
    every_path: bool = False,
) -> list[tuple[Path, Any]]:
    """Every path ``client`` has to a member of ``dst`` (``rep`` stands for a pod class), with the
    condition on the post-translation ``packet`` that selects it."""
    alg, cluster = enc.alg, enc.cluster
    out: list[tuple[Path, Any]] = []
    guard = _guard(enc, client, dst, packet)
    if dst.kind == POD and not dst.host_network:
        if client.kind != "external" or outside_reaches_pods(cluster, rep):
            # Sent to a pod's address, a packet goes to the address's first holder: a pod
            # sharing an earlier holder's address receives only through a Service or hostPort.
            got = receivers(cluster, dst.pods, enc.family)
            owner = (
                guard
                if len(got) == len(dst.pods)
                else alg.and_(guard, enc.one_of(packet.dst_ip, got))
            )
            out.append((Path(PodEndpoint(rep), None, None), owner))
    elif dst.kind == POD:
        node = cluster.node_by_name.get(rep.node_name or "") or Node(
            rep.node_name or "<unscheduled>"
        )
        out.append((Path(NodeEndpoint(node, rep), None, None), guard))
    elif dst.kind == NODE:
        out.append((Path(NodeEndpoint(dst.node), None, None), guard))
    else:
        out.append((Path(ExternalEndpoint(None), None, None), guard))
    if dst.kind == POD and not dst.host_network:
        wanted = ("pod", rep.ref)
    elif dst.kind in (POD, NODE):
        wanted = ("node", dst.node_name)
    else:
        wanted = ("outside",)
    # Translated paths that add nothing to the direct one are left out, when every member
    # of the class receives what is sent to its own address (and no pod address may lie in
    # a Service range, where a client inside the cluster never reaches it directly).
    direct = (
        not every_path
        and bool(out)
        and dst.kind == POD
        and not dst.host_network
        and len(receivers(cluster, dst.pods, enc.family)) == len(dst.pods)
        and not journey.pods_in_service_ranges(cluster, enc.family)
    )
    for p in journey.translated_paths_to(cluster, client, enc.family, wanted):
        if direct and _like_direct(client, p):
            continue
        d = p.destination
        if dst.kind == POD and not dst.host_network:
            pod = p.backend_pod
            if not isinstance(d, PodEndpoint) or pod is None or pod.ref != rep.ref:
                continue
            pin: Any = alg.true  # address() pins the packet to a member of the class
        elif dst.kind in (POD, NODE):
            # A node's host network, where its hostNetwork pods listen.
            if not isinstance(d, NodeEndpoint) or d.node.name != dst.node_name:
                continue
            backend = p.backend_pod
            if (
                dst.kind == POD
                and backend is not None
                and all(q.ref != backend.ref for q in dst.pods)
            ):
                continue  # translated to another hostNetwork pod there: that pod's flow
            pin = alg.eq(packet.dst_ip, alg.ip(p.dst_ip))
        else:
            if not isinstance(d, ExternalEndpoint):
                continue
            pin = alg.eq(packet.dst_ip, alg.ip(p.dst_ip))
        cond = alg.and_(
            pin,
            alg.eq(packet.dst_port, alg.port(p.dst_port)),
            alg.eq(packet.protocol, alg.protocol(p.entry.protocol)),
        )
        out.append((p, cond))
    return out


def _like_direct(client: Client, p: Path) -> bool:
    """Does the translated path add nothing to the direct one? A pod's packet translated on its
    own node, before its egress policy, and not masqueraded meets exactly the rules the same packet
    sent to the backend's own address meets (the port is the backend's either way)."""
    return (
        client.kind == "pod"
        and not p.pre_dnat
        and p.masquerade_node is None
        and client.node is not None
        and (p.route_from is None or p.route_from.name == client.node.name)
        and isinstance(p.destination, PodEndpoint)
    )


@dataclass(frozen=True, eq=False)
class FlowKey:
    """What a flow case covers; ``paths`` hold each path's term, to tell which one a model took."""

    source: Party
    destination: Party
    same: bool
    paths: tuple[tuple[Path, Any], ...] = field(repr=False)
    #: Anything the property wants back with the witness.
    tag: Any = None


#: extra(path, term) -> the case's term for that path (e.g. "allowed, and not by N's rules")
Extra = Callable[[Path, Any], Any]


def flow_case(
    enc: Encoder,
    packet: Packet,
    src: Party,
    dst: Party,
    same: bool = False,
    *,
    condition: Any = True,
    extra: Extra | None = None,
    paths: Callable[[Path], bool] | None = None,
    tag: Any = None,
    every_path: bool = False,
) -> Case | None:
    """The case "a member of ``src`` opens ``packet`` to a member of ``dst`` along some path and
    ``extra`` holds", or None when it cannot happen on any path. ``every_path`` keeps the
    translated paths that add nothing to the direct one (for an ``extra`` that reads the
    entry, such as a claim about the port the client addresses)."""
    alg = enc.alg
    rep = (dst.pods[1] if same else dst.pods[0]) if dst.kind == POD else None
    client = src.client(enc.cluster)
    terms = []
    for path, cond in paths_to(enc, client, dst, rep, packet, every_path=every_path):
        if paths is not None and not paths(path):
            continue
        if cond is False:
            continue
        term = alg.and_(cond, enc.allowed(client, path, packet))
        if extra is not None and term is not False:
            term = extra(path, term)
        if term is not False:
            terms.append((path, term))
    if not terms:
        return None
    formula = alg.and_(
        condition,
        address(enc, src, packet.src_ip),
        address(enc, dst, packet.dst_ip),
        alg.not_(alg.eq(packet.src_ip, packet.dst_ip)) if same else alg.true,
        alg.or_(*(t for _, t in terms)),
    )
    if formula is False:
        return None
    return Case(FlowKey(src, dst, same, tuple(terms), tag), formula)


def prefer_declared_ports(enc: Encoder, packet: Packet) -> Callable[[Case], Any]:
    """A preference for :func:`~verifier.symbolic.solver.search`: examples on a port the destination
    declares (with its protocol), so a counterexample reads "reaches db on 5432/TCP", not "on 1/TCP"."""
    alg = enc.alg

    def wish(case: Case) -> Any:
        key = case.key if isinstance(case.key, FlowKey) else None
        if key is None:
            return None
        dst = key.destination
        ports = (
            [(p.container_port, p.protocol) for p in dst.pods[0].ports] if dst.kind == POD else []
        )
        if not ports:
            return alg.eq(packet.protocol, "TCP")
        return alg.or_(
            *(
                alg.and_(alg.eq(packet.dst_port, n), alg.eq(packet.protocol, proto))
                for n, proto in ports
            )
        )

    return wish


# --------------------------------------------------------------------------- witnesses


@dataclass(frozen=True)
class Witness:
    """One concrete flow a model picked: who sent what to whom, along which path."""

    #: The sending pod, node, or outside address.
    source: Pod | Node | IP
    #: The receiving pod or node, or the outside address.
    destination: Pod | Node | IP
    path: Path
    #: The packet after translation (what the destination receives).
    packet: ConcretePacket
    allocation: dict[tuple[str, int], IP]

    @property
    def target(self) -> IP:
        """What the client addresses: the destination address, a Service frontend or a hostPort."""
        return self.packet.dst_ip if self.path.entry is None else self.path.entry.ip

    @property
    def target_port(self) -> int:
        return self.packet.dst_port if self.path.entry is None else self.path.entry.port

    @property
    def source_label(self) -> str:
        return _label(self.source)

    @property
    def destination_label(self) -> str:
        return _label(self.destination)

    @property
    def pods(self) -> tuple[str, ...]:
        return tuple(x.ref for x in (self.source, self.destination) if isinstance(x, Pod))

    def describe(self) -> str:
        return (
            f"{self.source_label} -> {self.destination_label} "
            f"{self.packet.dst_port}/{self.packet.protocol} {self.path.describe()}"
        )


def _label(x: Pod | Node | IP) -> str:
    if isinstance(x, Pod):
        return x.ref
    if isinstance(x, Node):
        return f"node/{x.name}"
    return f"outside host {x}"


def _member(
    enc: Encoder, model, party: Party, ip: IP, exclude: Pod | None = None, receiving: bool = False
) -> Pod | Node | IP:
    if party.kind == OUTSIDE:
        return ip
    if party.kind == NODE:
        return party.node
    pods = [p for p in party.pods if p is not exclude]
    if receiving and not party.host_network:
        pods = receivers(enc.cluster, pods, enc.family) or pods
    found = enc.pod_at(model, ip, pods)
    return found if found is not None else pods[0]  # hostNetwork pods share their node's address


def decode(enc: Encoder, model, key: FlowKey, packet: Packet) -> Witness:
    """The members, path and packet a model picked for a flow case."""
    concrete = enc.concrete_packet(model, packet)
    path = next(p for p, t in key.paths if is_true(model, t))
    source = _member(enc, model, key.source, concrete.src_ip)
    exclude = source if key.same and isinstance(source, Pod) else None
    destination = _member(
        enc, model, key.destination, concrete.dst_ip, exclude, receiving=path.entry is None
    )
    return Witness(source, destination, path, concrete, enc.allocation(model))


def _source_arg(source: Pod | Node | IP):
    if isinstance(source, Pod):
        return source.ref
    if isinstance(source, Node):
        return f"node/{source.name}"
    return source


def branch_of(t: Trace, path: Path, dst_ip: IP, dst_port: int) -> Branch | None:
    """The branch of the engine's trace that walks ``path`` (to ``dst_ip:dst_port`` after translation)."""
    node = path.dnat_node.name if path.dnat_node is not None else None
    for b in t.branches:
        if b.node == node and b.ip == dst_ip and b.port == dst_port:
            return b
    return None


def replay(
    cluster: Cluster, w: Witness, *, expect_allowed: bool = True, what: str = "counterexample"
) -> tuple[Cluster, Trace]:
    """The engine's trace of the witness (on the cluster with the witness's allocation), checked
    branch by branch: the branch that walks the witness's path must exist and agree (a path
    claimed not to deliver may also be absent, when nothing is delivered)."""
    from ..engine import trace

    concrete = instantiate(cluster, w.allocation)
    t = trace(
        concrete,
        _source_arg(w.source),
        w.target,
        w.target_port,
        w.packet.protocol,
        family=w.packet.family,
    )
    branch = branch_of(t, w.path, w.packet.dst_ip, w.packet.dst_port)
    flow = f"{w.source_label} -> {w.target}:{w.target_port}/{w.packet.protocol}"
    if (
        branch is None
        and not expect_allowed
        and not any(
            b.reachable and (b.ip, b.port) == (w.packet.dst_ip, w.packet.dst_port)
            for b in t.branches
        )
    ):
        # The path does not exist for this packet (another entry takes the address first,
        # as a NodePort or a hostPort takes its port on a node's address): it does not
        # deliver there, whatever the packet meets instead.
        return concrete, t
    if branch is None:
        raise SoundnessError(
            f"{what}: Z3 says {flow} reaches {host_port(w.packet.dst_ip, w.packet.dst_port)} {w.path.describe()}, "
            f"the engine has no such path ({t.verdict}: {', '.join(f'{b.pod or b.ip} via {b.node}' for b in t.branches)})"
        )
    if branch.reachable != expect_allowed:
        raise SoundnessError(
            f"{what}: Z3 says {flow} {w.path.describe()} is {'allowed' if expect_allowed else 'denied'}, "
            f"the engine says {branch.verdict}"
        )
    return concrete, t


def allowing_deciders(t: Trace, w: Witness | None = None) -> tuple[Decider, ...]:
    """The policy rules that let the traced connection through (the objects at fault)."""
    branch = (
        branch_of(t, w.path, w.packet.dst_ip, w.packet.dst_port)
        if w is not None
        else t.decisive_branch
    )
    hops = t.hops + (branch.hops if branch else ())
    return tuple(
        d
        for h in hops
        if h.step in ("egress", "ingress") and h.outcome == "allowed"
        for d in h.deciders
    )


def allocation_labels(w: Witness, cluster: Cluster) -> dict[str, str]:
    """The addresses a flow counterexample gives allocated pods (see :func:`allocation_for`)."""
    ends = {p for p in w.pods if p in cluster.pod_by_ref}
    return allocation_for(cluster, w.allocation, ends)


def allocation_for(
    cluster: Cluster, allocation: dict[tuple[str, int], IP], refs: set[str]
) -> dict[str, str]:
    """``{pod: "10.244.0.5, fd00:10:244::5"}`` for the pods ``refs`` and every pod moved out of their way.

    A model may give a pod an address the loader gave another allocated pod
    (which the model puts elsewhere): that pod is listed too, so the cluster
    with these addresses filled in (:func:`~verifier.symbolic.encoder.instantiate`)
    replays the counterexample. Addresses are listed IPv4 first.
    """
    chosen = set(refs)
    while True:
        taken = {ip for (ref, _f), ip in allocation.items() if ref in chosen}
        moved = {
            ref
            for (ref, family), _ip in allocation.items()
            if ref not in chosen
            and ref in cluster.pod_by_ref
            and cluster.pod_by_ref[ref].ip(family) in taken
        }
        if not moved:
            break
        chosen |= moved
    out: dict[str, str] = {}
    for (ref, _family), ip in sorted(allocation.items(), key=lambda item: item[0][1]):
        if ref in chosen:
            out[ref] = f"{out[ref]}, {ip}" if ref in out else str(ip)
    return out


def connects(enc: Encoder, client, address, port: int, protocol: str):
    """Some path of the journey to ``address:port/protocol`` delivers, for the encoder's unknowns."""
    alg = enc.alg
    terms = []
    for path in journey.plan(enc.cluster, client, address, port, protocol).paths:
        if path.outcome != journey.FORWARD:
            continue
        dst = path.destination
        src_ip = (
            enc.client_ip(client, client.pod)
            if client.pod is not None
            else alg.ip(client.ip(enc.family))
        )
        dst_ip = enc.pod_ip(dst.pod) if isinstance(dst, PodEndpoint) else alg.ip(path.dst_ip)
        packet = Packet(enc.family, src_ip, dst_ip, alg.port(path.dst_port), alg.protocol(protocol))
        terms.append(enc.allowed(client, path, packet))
    return alg.or_(*terms)
