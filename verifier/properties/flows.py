"""Shared machinery for properties about flows between pod classes.

A *flow case* is "some pod of class S can open a packet to some pod of class D
along some path" (optionally with an extra condition, e.g. "and that packet
would be denied under another profile"). Properties build cases, hand them to
:func:`~verifier.symbolic.solver.search`, and decode each model into a
:class:`FlowWitness` that the engine replays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import z3

from ..model import IP, Cluster, Pod
from ..replay import replay_connection
from ..semantics.addressing import endpoint_of_pod
from ..semantics.algebra import Packet
from ..semantics.classes import pairs
from ..semantics.pipeline import Client
from ..symbolic.encoder import ConcretePacket, Encoder, Path, instantiate
from ..symbolic.solver import Case
from ..trace import Decider, Trace

__all__ = [
    "FlowKey",
    "FlowWitness",
    "flow_cases",
    "decode",
    "replay",
    "allowing_deciders",
    "allocation_labels",
    "allocation_for",
]

#: extra(rep_src, rep_dst, path, allowed_term) -> the case's formula for that path
Extra = Callable[[Pod, Pod, Path, Any], Any]


@dataclass(frozen=True, eq=False)
class FlowKey:
    sources: tuple[Pod, ...]
    destinations: tuple[Pod, ...]
    same_class: bool
    paths: tuple[tuple[Path, Any], ...] = field(repr=False)


@dataclass(frozen=True)
class FlowWitness:
    source: Pod
    destination: Pod
    path: Path
    packet: ConcretePacket
    allocation: dict[tuple[str, int], IP]

    @property
    def target(self) -> IP:
        """What the client addresses: the pod IP, a Service frontend or a hostPort."""
        return self.packet.dst_ip if self.path.target is None else self.path.target[0]

    @property
    def target_port(self) -> int:
        return self.packet.dst_port if self.path.target is None else self.path.target[1]

    def describe(self) -> str:
        return f"{self.source.ref} -> {self.destination.ref} {self.packet.dst_port}/{self.packet.protocol} {self.path.describe()}"


def flow_cases(
    enc: Encoder,
    packet: Packet,
    source_classes: Iterable[Sequence[Pod]],
    destination_classes: Iterable[Sequence[Pod]],
    *,
    extra: Extra | None = None,
    packet_condition: Any = True,
) -> list[Case]:
    """One case per (source class, destination class): some path carries ``packet`` and ``extra`` holds."""
    alg = enc.alg
    cases: list[Case] = []
    for pair in pairs(enc.cluster, list(source_classes), list(destination_classes)):
        src, dst, same = pair.sources, pair.destinations, pair.same_class
        rep_src = src[0]
        rep_dst = dst[1] if same else dst[0]
        client = Client.of_pod(enc.cluster, rep_src)
        dst_ep = endpoint_of_pod(enc.cluster, rep_dst)
        path_terms = []
        for path in enc.paths(client, rep_dst):
            allowed = enc.flow_allowed(client, dst_ep, packet, path)
            term = allowed if extra is None else extra(rep_src, rep_dst, path, allowed)
            if term is not False:
                path_terms.append((path, term))
        if not path_terms:
            continue
        src_pinned = alg.eq(packet.src_ip, client.ip(enc.family)) if rep_src.host_network else enc.one_of(packet.src_ip, src)
        formula = alg.and_(
            packet_condition,
            src_pinned,
            enc.one_of(packet.dst_ip, dst),
            alg.not_(alg.eq(packet.src_ip, packet.dst_ip)) if same else True,
            alg.or_(*(t for _, t in path_terms)),
        )
        if formula is not False:
            cases.append(Case(FlowKey(src, dst, same, tuple(path_terms)), formula))
    return cases


def prefer_declared_ports(enc: Encoder, packet: Packet) -> Callable[[Case], Any]:
    """A preference for :func:`~verifier.symbolic.solver.search`: examples on a port the destination
    declares (with its protocol), so a counterexample reads "reaches db on 5432/TCP", not "on 1/TCP"."""
    alg = enc.alg

    def wish(case: Case) -> Any:
        key = case.key if isinstance(case.key, FlowKey) else None
        if key is None:
            return None
        ports = [(p.container_port, p.protocol) for p in key.destinations[0].ports]
        if not ports:
            return alg.eq(packet.protocol, "TCP")
        return alg.or_(*(alg.and_(alg.eq(packet.dst_port, n), alg.eq(packet.protocol, proto)) for n, proto in ports))

    return wish


def decode(enc: Encoder, model: z3.ModelRef, key: FlowKey, packet: Packet) -> FlowWitness:
    """The pods, path and packet a model picked for a flow case."""
    concrete = enc.concrete_packet(model, packet)
    source = _member(enc, model, concrete.src_ip, key.sources)
    destination = _member(enc, model, concrete.dst_ip, key.destinations, exclude=source if key.same_class else None)
    path = next(p for p, t in key.paths if t is True or z3.is_true(model.eval(t, model_completion=True)))
    return FlowWitness(source, destination, path, concrete, enc.allocation(model))


def _member(enc: Encoder, model: z3.ModelRef, ip: IP, pods: Sequence[Pod], exclude: Pod | None = None) -> Pod:
    found = enc.pod_at(model, ip, [p for p in pods if p is not exclude])
    if found is None:  # hostNetwork classes share their node's address
        found = next(p for p in pods if p is not exclude)
    return found


def replay(cluster: Cluster, witness: FlowWitness, *, expect_allowed: bool = True, what: str = "counterexample") -> tuple[Cluster, Trace]:
    """The engine's trace of the witness on the cluster with the witness's allocation."""
    concrete = instantiate(cluster, witness.allocation)
    source = concrete.pod_by_ref[witness.source.ref]
    t = replay_connection(
        concrete,
        source,
        witness.target,
        witness.target_port,
        witness.packet.protocol,
        expect_allowed=expect_allowed,
        backend=witness.destination.ref if witness.path.frontend is not None else None,
        family=witness.packet.family,
        what=what,
    )
    return concrete, t


def allowing_deciders(t: Trace, backend: str | None = None) -> tuple[Decider, ...]:
    """The policy rules that let the traced connection through (the objects at fault)."""
    from ..replay import branch_for

    branch = branch_for(t, backend)
    hops = t.hops + (branch.hops if branch else ())
    return tuple(d for h in hops if h.step in ("egress", "ingress") and h.outcome == "allowed" for d in h.deciders)


def allocation_labels(witness: FlowWitness, cluster: Cluster) -> dict[str, str]:
    """The addresses a flow counterexample gives allocated pods (see :func:`allocation_for`)."""
    ends = {p.ref for p in (witness.source, witness.destination) if p.ref in cluster.pod_by_ref}
    return allocation_for(cluster, witness.allocation, ends)


def allocation_for(cluster: Cluster, allocation: dict[tuple[str, int], IP], refs: set[str]) -> dict[str, str]:
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
            if ref not in chosen and ref in cluster.pod_by_ref and cluster.pod_by_ref[ref].ip(family) in taken
        }
        if not moved:
            break
        chosen |= moved
    out: dict[str, str] = {}
    for (ref, _family), ip in sorted(allocation.items(), key=lambda item: item[0][1]):
        if ref in chosen:
            out[ref] = f"{out[ref]}, {ip}" if ref in out else str(ip)
    return out
