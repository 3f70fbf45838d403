"""What a change opens up: the flows newly allowed and newly denied between two cluster states.

For the pods present in both states (by namespace/name), Z3 looks for a packet
that one state allows and the other does not, class pair by class pair; each
difference found is described by the full set of ports that changed (port-set
algebra, cross-checked against the Z3 witness) and replayed by the engine in
both states. Pods that exist in only one state are listed separately.

>>> from verifier.model import Cluster, Pod, NetworkPolicy, ip_address
>>> a = Pod(namespace="x", name="a", ips=(ip_address("10.244.0.5"),), node_name="n1")
>>> b = Pod(namespace="x", name="b", ips=(ip_address("10.244.0.6"),), node_name="n1")
>>> old, new = Cluster(pods=(a, b)), Cluster(pods=(a, b), policies=(NetworkPolicy(namespace="x", name="deny"),))
>>> d = diff(old, new)
>>> [(c.change, c.source, c.destination, str(c.ports)) for c in d.changes]
[('denied', 'x/a', 'x/b', 'all'), ('denied', 'x/b', 'x/a', 'all')]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import z3

from .errors import SoundnessError
from .model import Cluster, Pod
from .semantics.addressing import endpoint_of_pod
from .semantics.algebra import Packet
from .semantics.pipeline import Client, flow
from .semantics.portset import ANY_PORT, ANY_PROTOCOL, PortSet, PortSetAlgebra
from .symbolic.algebra import protocol_name
from .semantics.classes import host_network_nodes_matter, node_specific_rules, pairs, pod_classes, pod_snat_possible
from .symbolic.encoder import Encoder, Path, allocation_ranges
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
    example_pods: tuple[str, str]
    old_trace: Trace
    new_trace: Trace

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": "newly-allowed" if self.change == "allowed" else "newly-denied",
            "source": self.source,
            "destination": self.destination,
            "ports": self.ports.to_list(),
            "example": {**self.example.to_dict(), "source_pod": self.example_pods[0], "destination_pod": self.example_pods[1]},
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "newly_allowed": [c.to_dict() for c in self.newly_allowed],
            "newly_denied": [c.to_dict() for c in self.newly_denied],
            "added_pods": list(self.added_pods),
            "removed_pods": list(self.removed_pods),
            "status": self.status,
            "seconds": round(self.seconds, 4),
        }


def workload(pod: Pod) -> str:
    """``ns/Deployment/web`` for controller-owned pods, ``ns/pod`` otherwise."""
    return f"{pod.namespace}/{pod.owner}" if pod.owner else pod.ref


def diff(old: Cluster, new: Cluster, *, timeout: float = 60.0, limit: int = 200) -> Diff:
    """The flows between pods present in both states that changed verdict.

    ``status`` says whether the list is the whole answer: ``"complete"``;
    ``"unknown: <reason>"`` when the solver gave up (a timeout...), so changes
    may be missing; ``"truncated: ..."`` when the search stopped at ``limit``
    changes (class-pair witnesses, before they are merged per workload pair).
    An unknown outranks a truncation.
    """
    start = time.perf_counter()
    old_refs = {p.ref for p in old.live_pods}
    new_refs = {p.ref for p in new.live_pods}
    common = sorted(old_refs & new_refs)
    changes: list[FlowChange] = []
    unknown: str | None = None
    truncated = False
    for family in sorted(set(old.families) & set(new.families)):
        room = limit - len(changes)
        if room <= 0:  # the limit is reached: this family is not searched at all
            truncated = True
            break
        found, reason = _family_diff(old, new, common, family, timeout, room)
        changes.extend(found)
        if reason and unknown is None:
            unknown = reason
        if len(found) >= room:  # the search stopped at the limit: there may be more
            truncated = True
    if unknown is not None:
        status = f"unknown: {unknown}"
    elif truncated:
        status = f"truncated: stopped after {len(changes)} changes (--limit {limit}); there may be more"
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


def _family_diff(old: Cluster, new: Cluster, common: list[str], family: int, timeout: float, limit: int):
    enc_old, enc_new = Encoder(old, family, prefix="old."), Encoder(new, family, prefix="new.")
    pods_new = [new.pod_by_ref[r] for r in common if new.pod_by_ref[r].ip(family) and old.pod_by_ref[r].ip(family)]
    # A class must be uniform in both states: key it by its class in each (nodes
    # split classes if they matter in either state).
    by_node = _nodes_matter(old) or _nodes_matter(new)
    moved = any(old.pod_by_ref[p.ref].node_name != p.node_name for p in pods_new)
    if moved and (host_network_nodes_matter(old) or host_network_nodes_matter(new)):
        by_node = True  # pairs() splits by the new state's nodes: only right if nobody moved
    old_class = {p.ref: i for i, c in enumerate(pod_classes(old, [old.pod_by_ref[q.ref] for q in pods_new], by_node=by_node)) for p in c}
    groups: dict[Any, list[Pod]] = {}
    for i, c in enumerate(pod_classes(new, pods_new, by_node=by_node)):
        for p in c:
            # Changes are reported per workload pair, so a class never spans two workloads.
            groups.setdefault((old_class[p.ref], i, workload(p)), []).append(p)
    classes = list(groups.values())
    solver = Solver(timeout=timeout)
    solver.add(*enc_old.constraints, *enc_new.constraints, *_same_addresses(enc_old, enc_new))
    port = z3.BitVec("diff.dport", 16)
    proto = z3.BitVec("diff.proto", 2)
    solver.add(port != 0, z3.ULE(proto, 2))
    cases = []
    # A hostNetwork pod's node decides in either state: split pairs where it does in one.
    splitter = new if host_network_nodes_matter(new) else old
    for pair in pairs(splitter, classes, classes):
        src, dst, same = pair.sources, pair.destinations, pair.same_class
        rep_dst = dst[1] if same else dst[0]
        po = Packet(family, z3.BitVec("diff.osrc", enc_old.width), z3.BitVec("diff.odst", enc_old.width), port, proto)
        pn = Packet(family, z3.BitVec("diff.nsrc", enc_new.width), z3.BitVec("diff.ndst", enc_new.width), port, proto)
        a_old = _allowed(enc_old, old, src[0], rep_dst, po)
        a_new = _allowed(enc_new, new, src[0], rep_dst, pn)
        pinned = z3.And(_pin(enc_old, enc_new, po.src_ip, pn.src_ip, src), _pin(enc_old, enc_new, po.dst_ip, pn.dst_ip, dst))
        if same:
            pinned = z3.And(pinned, po.src_ip != po.dst_ip)
        for change, formula in (("allowed", _and(a_new, _not(a_old))), ("denied", _and(a_old, _not(a_new)))):
            if formula is not False:
                cases.append(Case((change, tuple(src), tuple(dst), same, po, pn), z3.And(pinned, _b(formula))))
    result = search(solver, cases, limit)
    out = [_explain(old, new, enc_old, enc_new, case.key, model, port, proto) for case, model in result.hits]
    reason = result.reason if result.status is SolverStatus.UNKNOWN else None
    return out, reason


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
            same.append(var_old == var_new)
    return same


def _nodes_matter(cluster: Cluster) -> bool:
    return pod_snat_possible(cluster) or node_specific_rules(cluster)


def _allowed(enc: Encoder, cluster: Cluster, src: Pod, dst: Pod, packet: Packet) -> Any:
    client = Client.of_pod(cluster, cluster.pod_by_ref[src.ref])
    target = cluster.pod_by_ref[dst.ref]
    return enc.flow_allowed(client, endpoint_of_pod(cluster, target), packet, Path("direct"))


def _pin(enc_old: Encoder, enc_new: Encoder, ip_old, ip_new, pods) -> Any:
    """The old and new addresses belong to the same pod of ``pods``."""
    terms = []
    for p in pods:
        o = enc_old.pod_ip(enc_old.cluster.pod_by_ref[p.ref])
        n = enc_new.pod_ip(p)
        terms.append(z3.And(ip_old == _bv(o, enc_old.width), ip_new == _bv(n, enc_new.width)))
    return z3.Or(*terms)


def _bv(v, width: int):
    return v if isinstance(v, z3.ExprRef) else z3.BitVecVal(int(v), width)


def _b(t):
    return z3.BoolVal(t) if isinstance(t, bool) else t


def _not(t):
    return (not t) if isinstance(t, bool) else z3.Not(t)


def _and(a, b):
    if a is False or b is False:
        return False
    if a is True:
        return b
    if b is True:
        return a
    return z3.And(a, b)


def _ports(cluster: Cluster, src: Pod, dst: Pod, family: int) -> PortSet:
    c = Client.of_pod(cluster, src)
    pkt = Packet(family, src.ip(family), dst.ip(family), ANY_PORT, ANY_PROTOCOL)
    return flow(_PORTS, cluster, c, endpoint_of_pod(cluster, dst), pkt).allowed(_PORTS)


def _explain(old, new, enc_old, enc_new, key, model, port, proto) -> FlowChange:
    from .engine import trace
    from .symbolic.encoder import instantiate

    change, src, dst, same, po, pn = key
    concrete = enc_new.concrete_packet(model, pn)
    source = enc_new.pod_at(model, concrete.src_ip, src) or src[0]
    dest = enc_new.pod_at(model, concrete.dst_ip, [d for d in dst if d is not source]) or dst[0]
    port_v = model.eval(port, model_completion=True).as_long()
    proto_v = protocol_name(model.eval(proto, model_completion=True).as_long())
    old_c = instantiate(old, enc_old.allocation(model))
    new_c = instantiate(new, enc_new.allocation(model))
    t_old = trace(old_c, source.ref, old_c.pod_by_ref[dest.ref], port_v, proto_v, family=enc_new.family)
    t_new = trace(new_c, source.ref, new_c.pod_by_ref[dest.ref], port_v, proto_v, family=enc_new.family)
    if t_new.reachable != (change == "allowed") or t_old.reachable == t_new.reachable:
        raise SoundnessError(f"diff: Z3 says {source.ref} -> {dest.ref}:{port_v}/{proto_v} is newly {change}, the engine says {t_old.verdict} -> {t_new.verdict}")
    ps_old = _ports(old_c, old_c.pod_by_ref[source.ref], old_c.pod_by_ref[dest.ref], enc_new.family)
    ps_new = _ports(new_c, new_c.pod_by_ref[source.ref], new_c.pod_by_ref[dest.ref], enc_new.family)
    ports = _PORTS.and_(ps_new, _PORTS.not_(ps_old)) if change == "allowed" else _PORTS.and_(ps_old, _PORTS.not_(ps_new))
    if not ports.contains(port_v, proto_v):
        raise SoundnessError(f"diff: the port-set algebra disagrees with Z3 on {source.ref} -> {dest.ref}:{port_v}/{proto_v}")
    return FlowChange(change, workload(source), workload(dest), ports, concrete, (source.ref, dest.ref), t_old, t_new)


def _merge(changes: list[FlowChange]) -> list[FlowChange]:
    """One entry per (change, source workload, destination workload): the first witness, all ports."""
    merged: dict[tuple[str, str, str], FlowChange] = {}
    for c in changes:
        key = (c.change, c.source, c.destination)
        if key in merged:
            prev = merged[key]
            merged[key] = FlowChange(prev.change, prev.source, prev.destination, _PORTS.or_(prev.ports, c.ports), prev.example, prev.example_pods, prev.old_trace, prev.new_trace)
        else:
            merged[key] = c
    return sorted(merged.values(), key=lambda c: (c.change != "allowed", c.source, c.destination))
