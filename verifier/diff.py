"""What a change opens up: the flows newly allowed and newly denied between two cluster states.

For the pods and nodes present in both states (by name) and the hosts outside
the cluster, Z3 looks for a packet that one state delivers and the other does
not, along each way the client can address the destination (its address, a
Service frontend, a hostPort: the journey's paths, the same in both states or
new in one). Outside hosts are split into the address ranges the policies of
either state tell apart, so each change names the outside addresses it
concerns. Each difference found is described by the full set of ports that
changed (port-set algebra, cross-checked against the Z3 witness: ports are
those the destination receives, after a Service's translation) and replayed by
the engine in both states. Pods that exist in only one state are listed
separately.

>>> from verifier.model import Cluster, Pod, NetworkPolicy, ip_address
>>> a = Pod(namespace="x", name="a", ips=(ip_address("10.244.0.5"),), node_name="n1")
>>> b = Pod(namespace="x", name="b", ips=(ip_address("10.244.0.6"),), node_name="n1")
>>> old, new = Cluster(pods=(a, b)), Cluster(pods=(a, b), policies=(NetworkPolicy(namespace="x", name="deny"),))
>>> d = diff(old, new)
>>> [(c.change, c.source, c.destination, str(c.ports)) for c in d.changes]
[('denied', 'x/a', 'x/b', 'all'), ('denied', 'x/b', 'x/a', 'all')]
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field, replace
from typing import Any

from ._callable import callable_module
from .errors import SoundnessError
from .model import Cluster, IPBlock, Node, Pod, same_value
from .properties import flows
from .properties.driver import background_error
from .query import workload
from .semantics import hostports, journey
from .semantics.addressing import endpoint_of_pod
from .semantics.algebra import CONCRETE, Packet
from .semantics.classes import cidrs, nodes_matter, pod_classes
from .semantics.journey import Path
from .semantics.pipeline import Client
from .semantics.policy import isolating_policies, peer_in_scope, peer_matches, selects
from .semantics.portset import ANY_PORT, ANY_PROTOCOL, EMPTY, PortSet, PortSetAlgebra
from .semantics.services import service_ranges
from .symbolic.encoder import Encoder, allocation_ranges, fresh, instantiate
from .symbolic.solver import Case, Solver, search
from .symbolic.solver import Status as SolverStatus
from .trace import Trace

__all__ = ["FlowChange", "Diff", "diff"]

_PORTS = PortSetAlgebra()


@dataclass(frozen=True)
class FlowChange:
    """A set of flows between two workloads that one state allows and the other does not."""

    change: str  # "allowed" (newly allowed) or "denied" (newly denied)
    source: str  # workload: "ns/Kind/name" or "ns/pod"
    destination: str
    ports: PortSet
    example: Any  # ConcretePacket
    #: The example's two ends: pods (ns/name), nodes (node/NAME) or outside addresses.
    example_pods: tuple[str, str]
    old_trace: Trace
    new_trace: Trace
    #: The outside addresses the change concerns (when one end is ``outside``): ranges outside
    #: the cluster's pod, Service and node addresses (``ip in block`` tests one).
    addresses: tuple[IPBlock, ...] = ()
    #: How the client addresses the destination, when not directly (a Service frontend, a hostPort).
    via: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": "newly-allowed" if self.change == "allowed" else "newly-denied",
            "source": self.source,
            "destination": self.destination,
            "ports": self.ports.to_list(),
            "addresses": [str(n) for n in self.addresses],
            "via": self.via,
            "example": {
                **self.example.to_dict(),
                "source_pod": self.example_pods[0],
                "destination_pod": self.example_pods[1],
            },
            "old": self.old_trace.to_dict(),
            "new": self.new_trace.to_dict(),
        }


@dataclass(frozen=True)
class Diff:
    changes: tuple[FlowChange, ...]
    added_pods: tuple[str, ...] = ()
    removed_pods: tuple[str, ...] = ()
    status: str = "complete"  # or "unknown: <reason>" when the solver gave up
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def newly_allowed(self) -> tuple[FlowChange, ...]:
        return tuple(c for c in self.changes if c.change == "allowed")

    @property
    def newly_denied(self) -> tuple[FlowChange, ...]:
        return tuple(c for c in self.changes if c.change == "denied")

    def frame(self):
        """One row per changed workload pair: change, source, destination, ports, an example (pandas)."""
        import pandas as pd

        columns = ["change", "source", "destination", "ports", "example", "before", "after"]
        rows = [
            [
                "newly allowed" if c.change == "allowed" else "newly denied",
                c.source,
                c.destination,
                str(c.ports),
                f"{c.example_pods[0]} -> {c.example_pods[1]} {c.example.dst_port}/{c.example.protocol}",
                c.old_trace,
                c.new_trace,
            ]
            for c in self.changes
        ]
        return pd.DataFrame(rows, columns=columns, dtype=object)

    def _repr_html_(self) -> str:
        return self.frame().drop(columns=["before", "after"]).to_html()

    def __repr__(self) -> str:
        return (
            f"<Diff {len(self.newly_allowed)} newly allowed, {len(self.newly_denied)} newly denied, "
            f"{self.status}>"
        )

    def __str__(self) -> str:
        """The text ``netverify diff`` prints."""
        from .report.text import format_diff

        return format_diff(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "newly_allowed": [c.to_dict() for c in self.newly_allowed],
            "newly_denied": [c.to_dict() for c in self.newly_denied],
            "added_pods": list(self.added_pods),
            "removed_pods": list(self.removed_pods),
            "status": self.status,
            "seconds": round(self.seconds, 4),
        }


def diff(old: Cluster, new: Cluster, *, timeout: float = 60.0, limit: int = 200) -> Diff:
    """The flows between pods present in both states that changed verdict.

    ``status`` says whether the list is the whole answer: ``"complete"``;
    ``"unknown: <reason>"`` when the solver gave up (a timeout...), so changes
    may be missing; ``"truncated: ..."`` when the search stopped at ``limit``
    changes (class-pair witnesses, before they are merged per workload pair).
    An unknown outranks a truncation.
    """
    start = time.perf_counter()
    # The implicit DNS pods are destinations only (flows.source_part): a change that starts
    # blocking lookups is newly denied to them.
    old_refs = {p.ref for p in old.live_pods}
    new_refs = {p.ref for p in new.live_pods}
    common = sorted(old_refs & new_refs)
    changes: list[FlowChange] = []
    unknown: str | None = None
    truncated = False
    touched = _touched(old, new)
    for family in sorted(set(old.families) & set(new.families)):
        room = limit - len(changes)
        if room <= 0:  # the limit is reached: this family is not searched at all
            truncated = True
            break
        found, reason = _family_diff(old, new, common, family, timeout, room, touched)
        changes.extend(found)
        if reason and unknown is None:
            unknown = reason
        if len(found) >= room:  # the search stopped at the limit: there may be more
            truncated = True
    if unknown is not None:
        status = f"unknown: {unknown}"
    elif truncated:
        status = (
            f"truncated: stopped after {len(changes)} changes (--limit {limit}); there may be more"
        )
    else:
        status = "complete"
    merged = _merge(changes)
    return Diff(
        tuple(merged),
        tuple(sorted(new_refs - old_refs)),
        tuple(sorted(old_refs - new_refs)),
        status,
        time.perf_counter() - start,
    )


OUTSIDE = "outside"


def _atoms(old: Cluster, new: Cluster, family: int) -> list[IPBlock]:
    """The outside address ranges no rule of either state tells apart, each as a CIDR with excepts.

    Every CIDR a rule, pool or the address plan names (plus node addresses)
    splits the address space; CIDRs nest or are disjoint, so each range is one
    CIDR minus its largest sub-CIDRs. Ranges inside the pod or Service ranges
    are not outside the cluster.
    """
    nets = {n for c in (old, new) for n in cidrs(c) if n.version == family}
    inside = {
        n for c in (old, new) for n in (*c.pod_cidrs, *service_ranges(c)) if n.version == family
    }
    inside |= {
        ipaddress.ip_network(ip)
        for c in (old, new)
        for n in c.nodes
        for ip in n.ips
        if ip.version == family
    }
    nets |= inside
    nets.add(ipaddress.ip_network("0.0.0.0/0" if family == 4 else "::/0"))
    out = []
    for net in sorted(nets, key=lambda n: (n.prefixlen, int(n.network_address))):
        if any(net.subnet_of(i) for i in inside):
            continue
        children = [c for c in nets if c != net and c.subnet_of(net)]
        top = [c for c in children if not any(c != o and c.subnet_of(o) for o in children)]
        if sum(c.num_addresses for c in top) >= net.num_addresses:
            continue  # nothing of it is left between its sub-ranges
        # The cluster's own ranges are never outside: leave them out of the block's excepts
        # (flows.address() excludes them anyway), so it reads "0.0.0.0/0 except 203.0.113.0/24".
        shown = sorted((c for c in top if c not in inside), key=lambda n: int(n.network_address))
        out.append(IPBlock(net, tuple(shown)))
    return out


@dataclass(frozen=True, eq=False)
class _Side:
    """One end of a flow in both states: the same pods, node or outside range, as each state has it."""

    label: str
    old: flows.Party
    new: flows.Party


def _route(path: Path) -> tuple:
    """A path as both states can have it: what the client addresses (the same kind of frontend
    of the same Service at the same port, or the same hostPort) and the node that translates.

    The port is the one addressed: a NodePort stays the same route when the Service port
    behind it is renumbered or renamed."""
    e = path.entry
    node = path.dnat_node.name if path.dnat_node else None
    if e is None:
        return ("direct",)
    owner = e.target.pod.ref if e.kind == journey.HOST_PORT else e.target.service.ref
    return (e.kind, owner, e.port, e.protocol, e.node, node)


#: What a Cluster says about the network besides its NetworkPolicies (the other fields only
#: describe the input: warnings, skipped kinds, inferences, ignores).
_NETWORK_FIELDS = (
    "namespaces",
    "nodes",
    "pods",
    "services",
    "endpoint_slices",
    "admin_policies",
    "calico_policies",
    "tiers",
    "ip_pools",
    "service_cidr_objects",
    "config",
    "operator_workloads",
)


@dataclass(frozen=True)
class _Reach:
    """What a change of NetworkPolicies does in one direction.

    ``selected``: the pods a changed (added, removed) policy of this direction selects;
    ``isolation``: those of them isolated in one state only; ``peers``: the pods a
    changed rule's selector peers match (None: a changed rule has an ipBlock or no peer,
    so it may match anyone, nodes and outside hosts included).
    """

    selected: frozenset[str]
    isolation: frozenset[str]
    peers: frozenset[str] | None

    def may_change(self, local: _Side, other: _Side) -> bool:
        """Can the decision of ``local``'s policies on flows with ``other`` differ?

        Only for a selected pod; then when its isolation changed, else when a changed
        rule may match ``other`` (the others are in both states alike, and a tier's
        verdict is its first matching rule: a rule that matches no peer changes nothing).
        """
        if not _selected(local, self.selected):
            return False
        return (
            _selected(local, self.isolation) or self.peers is None or _selected(other, self.peers)
        )


@dataclass(frozen=True)
class _Touched:
    """What a change of NetworkPolicies only may change: egress at sources, ingress at destinations."""

    egress: _Reach
    ingress: _Reach

    def may_change(self, src: _Side, dst: _Side) -> bool:
        return self.egress.may_change(src, dst) or self.ingress.may_change(dst, src)


def _pairs(pods: list[_Side], others: list[_Side], touched: _Touched | None):
    """The (source, destination) pairs to search, in a fixed order: pod to pod, pod to node
    or outside, node or outside to pod, then node or outside to node and node to outside
    (a Service's NodePort or externalIP changes those); with ``touched``, only those the
    change may concern, found from the pods it selects (not by testing every pair: policies
    never apply between hosts)."""
    if touched is None:
        yield from ((s, d) for s in pods for d in pods)
        yield from ((s, d) for s in pods for d in others)
        yield from ((s, d) for s in others for d in pods)
        yield from (
            (s, d)
            for s in others
            for d in others
            if not (s.new.kind == flows.OUTSIDE and d.new.kind == flows.OUTSIDE)
        )
        return
    ends = pods + others
    position = {id(side): k for k, side in enumerate(ends)}
    chosen: set[tuple[int, int]] = set()
    for s in pods:
        if _selected(s, touched.egress.selected):
            chosen.update(
                (position[id(s)], position[id(d)]) for d in ends if touched.egress.may_change(s, d)
            )
    for d in pods:
        if _selected(d, touched.ingress.selected):
            chosen.update(
                (position[id(s)], position[id(d)]) for s in ends if touched.ingress.may_change(d, s)
            )
    n = len(pods)
    # The order of the full search: pods x pods, pods x others, others x pods.
    for i, j in sorted(chosen, key=lambda ij: (ij[0] >= n, ij[1] >= n, ij)):
        yield ends[i], ends[j]


def _selected(side: _Side, refs: frozenset[str]) -> bool:
    return side.new.kind == flows.POD and any(p.ref in refs for p in side.new.pods)


def _touched(old: Cluster, new: Cluster) -> _Touched | None:
    """When the two states differ in NetworkPolicies only (the usual pull request): which
    flows the change may concern (:class:`_Reach`); None when anything else differs.

    Every rule on a flow's way is the same in both states except the egress policies of
    its client and the ingress policies of the pod it reaches (semantics.md §3.3: a
    NetworkPolicy applies to the pods it selects, nowhere else), so a flow between pods
    none of whose policies changed keeps its verdict; so does one whose policies changed
    only in rules that match neither state's peer: only the others are searched.
    """
    if not all(same_value(getattr(old, f), getattr(new, f)) for f in _NETWORK_FIELDS):
        return None
    before: dict[tuple[str, str], list] = {}
    after: dict[tuple[str, str], list] = {}
    for state, policies in ((before, old.policies), (after, new.policies)):
        for p in policies:
            state.setdefault((p.namespace, p.name), []).append(p)
    changed = [
        policy
        for key in before.keys() | after.keys()
        if not same_value(before.get(key), after.get(key))
        for policy in before.get(key, []) + after.get(key, [])
    ]
    return _Touched(*(_reach(old, new, changed, d) for d in ("Egress", "Ingress")))


def _reach(old: Cluster, new: Cluster, changed: list, direction: str) -> _Reach:
    selected: set[str] = set()
    peers: set[str] | None = set()
    for policy in changed:
        if direction not in policy.policy_types:
            continue
        selected.update(
            p.ref for p in new.pods_by_namespace.get(policy.namespace, ()) if selects(policy, p)
        )
        for rule in policy.rules(direction):
            if peers is None:
                break
            if not rule.peers or any(peer.ip_block is not None for peer in rule.peers):
                peers = None
                break
            for peer in rule.peers:
                peers.update(
                    p.ref
                    for ns in new.pods_by_namespace
                    if peer_in_scope(new, policy, peer, ns)
                    for p in new.pods_by_namespace[ns]
                    if peer_matches(CONCRETE, new, policy, peer, endpoint_of_pod(new, p), None, 0)
                )
    isolation = {
        ref
        for ref in selected
        if bool(isolating_policies(old, old.pod_by_ref[ref], direction))
        != bool(isolating_policies(new, new.pod_by_ref[ref], direction))
    }
    return _Reach(
        frozenset(selected), frozenset(isolation), None if peers is None else frozenset(peers)
    )


def _family_diff(
    old: Cluster,
    new: Cluster,
    common: list[str],
    family: int,
    timeout: float,
    limit: int,
    touched: _Touched | None = None,
):
    enc_old, enc_new = Encoder(old, family, prefix="old."), Encoder(new, family, prefix="new.")
    solver = Solver(timeout=timeout)
    solver.add(*enc_old.constraints, *enc_new.constraints, *_same_addresses(enc_old, enc_new))
    bg = solver.check()
    if bg.status is SolverStatus.UNSAT:
        raise background_error((enc_old, enc_new), timeout)
    if bg.status is SolverStatus.UNKNOWN:
        return [], f"the solver gave up on the address plan ({bg.reason})"
    alg = enc_new.alg
    port, proto = fresh("diff.dport", 16), fresh("diff.proto", 2)
    solver.add(alg.not_(alg.eq(port, 0)), alg.in_range(proto, 0, 2))
    po = Packet(
        family, fresh("diff.osrc", enc_old.width), fresh("diff.odst", enc_old.width), port, proto
    )
    pn = Packet(
        family, fresh("diff.nsrc", enc_new.width), fresh("diff.ndst", enc_new.width), port, proto
    )
    pods, nodes, outside = _sides(old, new, common, family)
    # Paths like the direct one may be left out only when no path can come or go.
    every_path = touched is None
    cases = []
    for src, dst in _pairs(pods, nodes + outside, touched):
        if flows.source_part(src.new) is None:
            continue  # the implicit DNS pods serve; they are never a source
        # A node reaching its own address (its NodePorts) is a flow like any other.
        same = src is dst and src.new.kind != flows.NODE
        if same:
            # A pod reaching itself through a Service or hostPort is policed (semantics.md
            # §11 row 12): its own flows can change too; a hostNetwork pod's, when a NodePort
            # that sent it back to itself comes or goes.
            # The path through a Service depends on the client's node (where it is DNATed,
            # whether it comes back to itself there): one case per node of the class.
            for part in _by_node(src):
                cases.extend(_cases(enc_old, enc_new, po, pn, part, part, "hairpin"))
        if same and len(src.new.pods) < 2:
            continue
        for part_src, part_dst in _node_split(new, old, src, dst):
            cases.extend(
                _cases(enc_old, enc_new, po, pn, part_src, part_dst, same, every_path=every_path)
            )
    result = search(solver, cases, limit)
    reason = (
        result.reason
        if result.status is SolverStatus.UNKNOWN or (result.reason and result.hits)
        else None
    )
    out = []
    for case, model in result.hits:
        change, why = _every_port(old, new, enc_old, enc_new, solver, case, model, po, pn)
        out.append(change)
        reason = reason or why
    return out, reason


#: How many other allocations or members :func:`_every_port` looks at before it calls the ports incomplete.
_PORT_ROUNDS = 32


def _every_port(old, new, enc_old, enc_new, solver, case, model, po, pn):
    """The change for one case, with every port it concerns: the port-set algebra gives the ports
    for the witness's two ends and allocation; Z3 then looks for a port outside them for other
    members or allocations, until there is none (or it gives up: the second value says why)."""
    change = _explain(old, new, enc_old, enc_new, case.key, model, po, pn)
    ports = change.ports
    for _ in range(_PORT_ROUNDS):
        answer = solver.check(
            case.formula, enc_new.alg.not_(_port_set_term(enc_new.alg, ports, pn))
        )
        if answer.status is SolverStatus.UNSAT:
            return replace(change, ports=ports), None
        if answer.status is SolverStatus.UNKNOWN:
            return replace(
                change, ports=ports
            ), f"ports of {change.source} -> {change.destination}: {answer.reason}"
        more = _explain(old, new, enc_old, enc_new, case.key, answer.model, po, pn)
        ports = _PORTS.or_(ports, more.ports)
    return replace(
        change, ports=ports
    ), f"ports of {change.source} -> {change.destination}: more than {_PORT_ROUNDS} port sets"


def _port_set_term(alg, ports: PortSet, packet: Packet):
    """``packet``'s port and protocol lie in ``ports``, as a Z3 term."""
    terms = []
    for protocol, ranges in ports.items():
        within = alg.or_(*(alg.in_range(packet.dst_port, lo, hi) for lo, hi in ranges))
        terms.append(alg.and_(alg.eq(packet.protocol, alg.protocol(protocol)), within))
    return alg.or_(*terms)


def _sides(old: Cluster, new: Cluster, common: list[str], family: int):
    """Pod classes uniform in both states, nodes of both states, outside ranges."""
    pods_new = [
        new.pod_by_ref[r]
        for r in common
        if new.pod_by_ref[r].ip(family) and old.pod_by_ref[r].ip(family)
    ]
    by_node = (
        nodes_matter(old)
        or nodes_matter(new)
        or any(old.pod_by_ref[p.ref].node_name != p.node_name for p in pods_new)
    )
    old_class = {
        p.ref: i
        for i, c in enumerate(
            pod_classes(old, [old.pod_by_ref[q.ref] for q in pods_new], by_node=by_node)
        )
        for p in c
    }
    groups: dict[Any, list[Pod]] = {}
    for i, c in enumerate(pod_classes(new, pods_new, by_node=by_node)):
        for p in c:
            # Changes are reported per workload pair, so a class never spans two workloads.
            groups.setdefault((old_class[p.ref], i, workload(p)), []).append(p)
    pods = []
    for members in groups.values():
        for part in flows.pod_parties(new, [members]):
            olds = tuple(old.pod_by_ref[p.ref] for p in part.pods)
            if len(flows.pod_parties(old, [olds])) != 1:  # routable from outside in one state only
                for p, q in zip(part.pods, olds, strict=True):
                    pods.append(
                        _Side(
                            workload(p), flows.Party(flows.POD, (q,)), flows.Party(flows.POD, (p,))
                        )
                    )
                continue
            pods.append(_Side(workload(part.pods[0]), flows.Party(flows.POD, olds), part))
    nodes = [
        _Side(
            f"node/{n.name}",
            flows.Party(flows.NODE, node=old.node_by_name[n.name]),
            flows.Party(flows.NODE, node=n),
        )
        for n in new.nodes
        if n.name in old.node_by_name
        and n.ip(family) is not None
        and old.node_by_name[n.name].ip(family) is not None
    ]
    outside = [
        _Side(OUTSIDE, flows.outside_party((b,)), flows.outside_party((b,)))
        for b in _atoms(old, new, family)
    ]
    return pods, nodes, outside


def _node_split(new: Cluster, old: Cluster, src: _Side, dst: _Side):
    """The pairs split where a node decides (the node exception, DefaultEndpointToHostAction), alike in both states."""
    splits_new = list(flows.split_pairs(new, [src.new], [dst.new]))
    if (
        len(splits_new) == 1
        and not any(
            p.node_name != o.node_name for p, o in zip(src.new.pods, src.old.pods, strict=True)
        )
        and not any(
            p.node_name != o.node_name for p, o in zip(dst.new.pods, dst.old.pods, strict=True)
        )
    ):
        olds = list(flows.split_pairs(old, [src.old], [dst.old]))
        if len(olds) == 1:
            yield src, dst
            return
    # Split into single pods wherever either state's nodes decide: exact, and rare.
    for s in _singles(src):
        for d in _singles(dst):
            if (
                s.new.kind == flows.POD
                and d.new.kind == flows.POD
                and s.new.pods[0].ref == d.new.pods[0].ref
            ):
                continue
            yield s, d


def _by_node(side: _Side) -> list[_Side]:
    """A pod class's members grouped by their node in both states (one group when they share one)."""
    if side.new.kind != flows.POD or len(side.new.pods) == 1:
        return [side]
    groups: dict[tuple, list[tuple[Pod, Pod]]] = {}
    for o, n in zip(side.old.pods, side.new.pods, strict=True):
        groups.setdefault((o.node_name, n.node_name), []).append((o, n))
    if len(groups) == 1:
        return [side]
    return [
        _Side(
            side.label,
            flows.Party(flows.POD, tuple(o for o, _ in members)),
            flows.Party(flows.POD, tuple(n for _, n in members)),
        )
        for members in groups.values()
    ]


def _singles(side: _Side) -> list[_Side]:
    if side.new.kind != flows.POD or len(side.new.pods) == 1:
        return [side]
    return [
        _Side(side.label, flows.Party(flows.POD, (o,)), flows.Party(flows.POD, (n,)))
        for o, n in zip(side.old.pods, side.new.pods, strict=True)
    ]


def _cases(
    enc_old, enc_new, po, pn, src: _Side, dst: _Side, same: bool | str, every_path: bool = True
) -> list[Case]:
    """The changes between ``src`` and ``dst``, route by route; ``same`` when they are one class
    (two different members), ``"hairpin"`` for each member reaching itself through an entry.

    ``every_path``: also the Service paths that meet the rules the direct one meets
    (:func:`flows.paths_to` leaves them out): one that exists in one state only (a Service
    added or removed) is a change of its own. Only when both states have the same Services
    and nodes can they be left out."""
    alg = enc_new.alg
    hairpin = same == "hairpin"

    def routes(enc, party_src, party_dst, packet):
        client = party_src.client(enc.cluster)
        rep = (
            (party_dst.pods[1] if same is True else party_dst.pods[0])
            if party_dst.kind == flows.POD
            else None
        )
        out = {}
        for path, cond in flows.paths_to(
            enc, client, party_dst, rep, packet, every_path=hairpin or every_path
        ):
            if hairpin and path.entry is None:
                continue  # a pod's packets to its own address are never policed
            if party_dst.kind == flows.NODE and path.entry is not None and path.backend_pod:
                continue  # translated to a hostNetwork pod there: listed under that pod
            if path.entry is None:
                cond = alg.and_(cond, _attributed(alg, enc.cluster, party_dst, packet))
            out.setdefault(_route(path), (path, alg.and_(cond, enc.allowed(client, path, packet))))
        return out

    olds = routes(enc_old, src.old, dst.old, po)
    news = routes(enc_new, src.new, dst.new, pn)
    if hairpin:
        pinned = alg.and_(
            _pinned(enc_old, enc_new, src, po.src_ip, pn.src_ip),
            alg.eq(po.dst_ip, po.src_ip),
            alg.eq(pn.dst_ip, pn.src_ip),
        )
    else:
        pinned = alg.and_(
            _pinned(enc_old, enc_new, src, po.src_ip, pn.src_ip),
            _pinned(enc_old, enc_new, dst, po.dst_ip, pn.dst_ip),
            alg.not_(alg.eq(pn.src_ip, pn.dst_ip)) if same else alg.true,
        )
    if pinned is False:
        return []
    cases = []
    for key in dict.fromkeys([*news, *olds]):
        path_old, a_old = olds.get(key, (None, False))
        path_new, a_new = news.get(key, (None, False))
        for change, formula in (
            ("allowed", alg.and_(a_new, alg.not_(a_old))),
            ("denied", alg.and_(a_old, alg.not_(a_new))),
        ):
            if formula is False:
                continue
            f = alg.and_(pinned, formula)
            if f is not False:
                cases.append(Case((change, src, dst, same, path_old, path_new), f))
    return cases


def _attributed(alg, cluster: Cluster, party: flows.Party, packet) -> Any:
    """A packet sent straight to a node's address is the flow of the hostNetwork pod answering
    on its port there (:func:`verifier.semantics.hostports.host_network_listener`), else of the
    node: the condition that ``party`` is the one it is listed under."""
    if party.kind != flows.NODE and not party.host_network:
        return alg.true
    refs = None if party.kind == flows.NODE else {p.ref for p in party.pods}
    listened = alg.or_(
        *(
            alg.and_(
                alg.eq(packet.dst_port, alg.port(port)),
                alg.eq(packet.protocol, alg.protocol(proto)),
            )
            for port, proto, pod in hostports.host_network_listeners(cluster, party.node_name or "")
            if refs is None or pod.ref in refs
        )
    )
    return alg.not_(listened) if party.kind == flows.NODE else listened


def _pinned(
    enc_old: Encoder, enc_new: Encoder, side: _Side, ip_old, ip_new, receiving: bool = False
) -> Any:
    """:func:`_pin`, built once per side, pair of addresses and role."""
    memo = enc_new.__dict__.setdefault("_pins", {})
    key = (id(side), id(ip_old), id(ip_new), receiving)
    if key not in memo:
        memo[key] = (_pin(enc_old, enc_new, side, ip_old, ip_new, receiving), side, ip_old, ip_new)
    return memo[key][0]


def _pin(
    enc_old: Encoder, enc_new: Encoder, side: _Side, ip_old, ip_new, receiving: bool = False
) -> Any:
    """The old and new addresses belong to the same member of ``side`` (an outside host keeps its address)."""
    alg = enc_new.alg
    if side.new.kind == flows.OUTSIDE:
        return alg.and_(
            alg.eq(ip_old, ip_new),
            flows.address(enc_old, side.old, ip_old),
            flows.address(enc_new, side.new, ip_new),
        )
    if side.new.kind == flows.NODE or side.new.host_network:
        return alg.and_(
            flows.address(enc_old, side.old, ip_old), flows.address(enc_new, side.new, ip_new)
        )
    # A pod that shares its address with an earlier holder receives nothing sent to it.
    keep_old = {
        p.ref
        for p in (
            flows.receivers(enc_old.cluster, side.old.pods, enc_old.family)
            if receiving
            else side.old.pods
        )
    }
    keep_new = {
        p.ref
        for p in (
            flows.receivers(enc_new.cluster, side.new.pods, enc_new.family)
            if receiving
            else side.new.pods
        )
    }
    terms = []
    for o, n in zip(side.old.pods, side.new.pods, strict=True):
        if o.ref in keep_old and n.ref in keep_new:
            terms.append(
                alg.and_(alg.eq(ip_old, enc_old.pod_ip(o)), alg.eq(ip_new, enc_new.pod_ip(n)))
            )
    return alg.or_(*terms)


def _same_addresses(enc_old: Encoder, enc_new: Encoder) -> list[Any]:
    """A pod the IPAM may place alike in both states keeps its address: the change does not re-allocate it.

    Each state has its own unknowns (a pod the change moves to another node gets
    an address from that node's ranges); where both states allow the same
    ranges, the two unknowns are one address.
    """
    same = []
    for (ref, fam), var_old in enc_old.allocated.items():
        var_new = enc_new.allocated.get((ref, fam))
        if var_new is None:
            continue
        ranges_old = allocation_ranges(enc_old.cluster, enc_old.cluster.pod_by_ref[ref], fam)
        ranges_new = allocation_ranges(enc_new.cluster, enc_new.cluster.pod_by_ref[ref], fam)
        if ranges_old == ranges_new:
            same.append(enc_new.alg.eq(var_old, var_new))
    return same


def _ports(cluster: Cluster, client: Client, path: Path, src_ip, dst_ip, family: int) -> PortSet:
    """Every port and protocol the path delivers, for these two concrete addresses."""
    alg = _PORTS
    if path.entry is None:
        pkt = Packet(family, src_ip, dst_ip, ANY_PORT, ANY_PROTOCOL)
        guard = journey.direct_guard(alg, cluster, client, pkt)
        return alg.and_(
            guard, journey.evaluate(alg, cluster, client, _concrete(path, dst_ip), pkt).allowed(alg)
        )
    pkt = Packet(family, src_ip, dst_ip, ANY_PORT, ANY_PROTOCOL)
    only = alg.and_(alg.eq(ANY_PORT, path.dst_port), alg.eq(ANY_PROTOCOL, path.entry.protocol))
    return alg.and_(only, journey.evaluate(alg, cluster, client, path, pkt).allowed(alg))


def _concrete(path: Path, dst_ip) -> Path:
    """A direct path to a symbolic outside address, made concrete."""
    from dataclasses import replace

    from .semantics.endpoint import ExternalEndpoint

    if isinstance(path.destination, ExternalEndpoint) and path.destination.ip is None:
        return replace(path, destination=ExternalEndpoint(dst_ip), dst_ip=dst_ip)
    return path


def _end(enc: Encoder, model, side: flows.Party, ip, exclude=None, receiving: bool = False):
    if side.kind == flows.OUTSIDE:
        return ip
    if side.kind == flows.NODE:
        return side.node
    pods = [p for p in side.pods if exclude is None or p.ref != exclude]
    if receiving and not side.host_network:
        pods = flows.receivers(enc.cluster, pods, enc.family) or pods
    return enc.pod_at(model, ip, pods) or pods[0]


def _explain(old, new, enc_old, enc_new, key, model, po, pn) -> FlowChange:
    change, src, dst, same, path_old, path_new = key
    concrete = enc_new.concrete_packet(model, pn)
    old_packet = enc_old.concrete_packet(model, po)
    alloc_old, alloc_new = enc_old.allocation(model), enc_new.allocation(model)
    source = _end(enc_new, model, src.new, concrete.src_ip)
    if same == "hairpin":
        dest = source
    else:
        dest = _end(
            enc_new,
            model,
            dst.new,
            concrete.dst_ip,
            source.ref if same and isinstance(source, Pod) else None,
            receiving=(path_new or path_old).entry is None,
        )
    old_c, new_c = instantiate(old, alloc_old), instantiate(new, alloc_new)
    path_old = _as_taken_by(old_c, path_old, src.old, source)
    path_new = _as_taken_by(new_c, path_new, src.new, source)
    t_old = _replay(
        old_c,
        source,
        dest,
        path_old or path_new,
        old_packet,
        alloc_old,
        expect=change == "denied",
        present=path_old is not None,
    )
    t_new = _replay(
        new_c,
        source,
        dest,
        path_new or path_old,
        concrete,
        alloc_new,
        expect=change == "allowed",
        present=path_new is not None,
    )

    def ports(cluster, path, packet, party):
        if path is None:  # no such path on this side (a Service added or removed)
            return EMPTY
        s = flows._source_arg(source)
        from .query import client_for
        from .semantics.addressing import endpoint_of_pod

        if path.entry is None and isinstance(dest, Pod):
            # A class's path names one member; the model may have picked another (the
            # class's source among them, so the member would be "itself").
            path = replace(path, destination=endpoint_of_pod(cluster, cluster.pod_by_ref[dest.ref]))
        delivered = _ports(
            cluster, client_for(cluster, s), path, packet.src_ip, packet.dst_ip, packet.family
        )
        if path.entry is not None:
            return delivered
        any_packet = Packet(packet.family, packet.src_ip, packet.dst_ip, ANY_PORT, ANY_PROTOCOL)
        return _PORTS.and_(delivered, _attributed(_PORTS, cluster, party, any_packet))

    ps_old = ports(old_c, path_old, old_packet, dst.old)
    ps_new = ports(new_c, path_new, concrete, dst.new)
    delta = (
        _PORTS.and_(ps_new, _PORTS.not_(ps_old))
        if change == "allowed"
        else _PORTS.and_(ps_old, _PORTS.not_(ps_new))
    )
    if not delta.contains(concrete.dst_port, concrete.protocol):
        raise SoundnessError(
            f"diff: the port-set algebra disagrees with Z3 on {_name(source)} -> {_name(dest)}:{concrete.dst_port}/{concrete.protocol}"
        )
    outside = (
        src.new
        if src.new.kind == flows.OUTSIDE
        else dst.new
        if dst.new.kind == flows.OUTSIDE
        else None
    )
    addresses = outside.blocks if outside is not None else ()
    path = path_new or path_old
    return FlowChange(
        change,
        src.label,
        dst.label,
        delta,
        concrete,
        (_name(source), _name(dest)),
        t_old,
        t_new,
        addresses,
        None if path.entry is None else path.describe(),
    )


def _as_taken_by(cluster: Cluster, path: Path | None, side: flows.Party, source) -> Path | None:
    """A class's path (planned from its first pod) as the example's own pod takes it.

    Where a Service is translated, and whether its packet comes back to its sender, depends on
    the sender's node. The classes are split wherever that changes a verdict
    (:func:`verifier.semantics.classes.nodes_matter`), so the member's own path has the same
    verdict; its trace shows the member's node, and the replay checks that verdict again.
    """
    if path is None or path.entry is None or side.kind != flows.POD or not isinstance(source, Pod):
        return path
    rep = side.pods[0]
    member = cluster.pod_by_ref.get(source.ref)
    if member is None or member.node_name == rep.node_name:
        return path
    e = path.entry
    planned = journey.plan(cluster, Client.of_pod(cluster, member), e.ip, e.port, e.protocol)
    for p in planned.paths:
        if (
            p.entry is not None
            and p.entry.kind == e.kind
            and (p.dst_ip, p.dst_port) == (path.dst_ip, path.dst_port)
        ):
            return p
    return path


def _name(x) -> str:
    if isinstance(x, Pod):
        return x.ref
    if isinstance(x, Node):
        return f"node/{x.name}"
    return str(x)


def _replay(
    cluster: Cluster, source, dest, path: Path, packet, allocation, *, expect: bool, present: bool
) -> Trace:
    """The engine's trace in one state; the branch along the path must deliver iff ``expect``."""
    w = flows.Witness(source, dest, path, packet, allocation)
    if present:
        return flows.replay(cluster, w, expect_allowed=expect, what="diff")[1]
    from .engine import trace

    # The path does not exist in this state (a Service or hostPort the change adds or removes).
    t = trace(
        cluster,
        flows._source_arg(source),
        w.target,
        w.target_port,
        packet.protocol,
        family=packet.family,
    )
    branch = flows.branch_of(t, path, packet.dst_ip, packet.dst_port)
    if branch is not None and branch.reachable:
        raise SoundnessError(
            f"diff: Z3 says {w.source_label} -> {w.target}:{w.target_port} has no such path in one state, the engine delivers it"
        )
    return t


def _merge(changes: list[FlowChange]) -> list[FlowChange]:
    """One entry per (change, source, destination): the first witness, all ports and addresses.

    Outside ranges whose ports differ stay apart, so each entry's ports hold for each of its
    addresses ("everything to 0.0.0.0/0 except 203.0.113.0/24" and "all but 443 to 203.0.113.0/24").
    """
    merged: dict[tuple, FlowChange] = {}
    for c in changes:
        key = (c.change, c.source, c.destination, c.ports if c.addresses else None)
        if key in merged:
            prev = merged[key]
            addresses = tuple(dict.fromkeys([*prev.addresses, *c.addresses]))
            merged[key] = FlowChange(
                prev.change,
                prev.source,
                prev.destination,
                _PORTS.or_(prev.ports, c.ports),
                prev.example,
                prev.example_pods,
                prev.old_trace,
                prev.new_trace,
                addresses,
                prev.via,
            )
        else:
            merged[key] = c
    return sorted(
        merged.values(),
        key=lambda c: (c.change != "allowed", c.source, c.destination, str(c.addresses)),
    )


def _diff_function():
    from .diff import diff as run

    return run


# ``verifier.diff(...)`` calls the function even after this module was imported (see _callable).
callable_module(__name__, _diff_function)
