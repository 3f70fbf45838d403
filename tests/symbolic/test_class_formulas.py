"""Classes are an optimisation, never a semantics: each class formula equals the engine, member by member.

The flow properties and invariants build one formula per pair of *parties*
(:mod:`verifier.properties.flows`): a class of pods that the rules treat
alike, the hostNetwork pods of a node, a node, or the hosts outside the
cluster. The formula is built from one representative. Here, on generated
clusters, every such formula is evaluated for every member pair (every source
pod, node or sampled outside address, every destination member) and a sample of
ports and protocols, with the packet and the allocated addresses pinned, and
compared with the engine: some trace from that source, to the destination's own
address or to any Service frontend or hostPort of the cluster (listed from the
model, not from the journey), must have a branch that delivers to that member
on that (post-translation) port.
"""

from __future__ import annotations

from ipaddress import ip_address

import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.support import render
from tests.strategies import OUTSIDE, address, clusters, examples, interesting_ports, translated
from verifier.engine import trace
from verifier.model import PROTOCOLS, Cluster, Node, Pod
from verifier.properties import flows
from verifier.semantics.classes import pod_classes
from verifier.symbolic.algebra import PROTOCOL_CODES
from verifier.symbolic.encoder import Encoder
from verifier.trace import Branch

SETTINGS = settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _bv(ip, family: int):
    return z3.BitVecVal(int(ip), 32 if family == 4 else 128)


def _members(cluster: Cluster, party: flows.Party, family: int, outside: list) -> list:
    """The concrete members of a party: pods (with an address of the family), a node, outside addresses."""
    if party.kind == flows.POD:
        return [p for p in party.pods if address(cluster, p, family) is not None]
    if party.kind == flows.NODE:
        return [party.node]
    return outside


def _ip(cluster: Cluster, member, family: int):
    if isinstance(member, Pod):
        return address(cluster, member, family)
    if isinstance(member, Node):
        return member.ip(family)
    return member


def _source_arg(member):
    if isinstance(member, Pod):
        return member.ref
    if isinstance(member, Node):
        return f"node/{member.name}"
    return member


def _receives(cluster: Cluster, b: Branch, member, family: int) -> bool:
    """Does the branch deliver to ``member`` (a pod, a node's host network, an outside address)?"""
    if not b.reachable:
        return False
    if isinstance(member, Pod) and not member.host_network:
        return b.pod == member.ref
    # A node's host network (where its hostNetwork pods listen), or an outside address.
    return b.ip == _ip(cluster, member, family)


def _engine(cluster: Cluster, src, dst, port: int, protocol: str, family: int) -> tuple[bool, list]:
    """Some trace from ``src`` delivers to ``dst`` on ``port``/``protocol`` after translation."""
    targets = [(_ip(cluster, dst, family), port)]
    targets += [
        (ip, p)
        for ip, p, proto in translated(cluster)
        if proto == protocol and ip.version == family
    ]
    seen = []
    for ip, p in targets:
        if ip is None or (not isinstance(src, (Pod, Node)) and ip == src):
            continue
        t = trace(cluster, _source_arg(src), ip, p, protocol, family=family)
        seen.append(t)
        if any(_receives(cluster, b, dst, family) and b.port == port for b in t.branches):
            return True, seen
    return False, seen


def _outside_samples(cluster: Cluster, family: int) -> list:
    from verifier.semantics.addressing import outside_region
    from verifier.semantics.algebra import CONCRETE

    candidates = [ip_address(t) for t in OUTSIDE[family]]
    for pol in cluster.policies:
        for r in pol.ingress + pol.egress:
            for peer in r.peers:
                b = peer.ip_block
                if b is not None and b.cidr.version == family:
                    candidates += [b.cidr.network_address, b.cidr.broadcast_address]
                    candidates += [e.network_address for e in b.except_]
    return [
        ip for ip in dict.fromkeys(candidates) if outside_region(CONCRETE, cluster, ip, family)
    ][:3]


@SETTINGS
@given(clusters(), st.data())
def test_every_class_formula_agrees_with_the_engine_for_every_member(cluster, data):
    for family in cluster.families:
        enc = Encoder(cluster, family)
        packet = enc.packet("m")
        live = [p for p in cluster.live_pods if address(cluster, p, family) is not None]
        parties = flows.pod_parties(cluster, pod_classes(cluster, live)) + flows.node_parties(
            cluster, family
        )
        outside = _outside_samples(cluster, family)
        sources = parties + ([flows.outside_party()] if outside else [])
        destinations = parties + ([flows.outside_party()] if outside else [])
        ports = data.draw(
            st.lists(
                st.sampled_from(interesting_ports(cluster)), min_size=1, max_size=2, unique=True
            )
        )
        protocol = data.draw(st.sampled_from(PROTOCOLS))
        pins = [
            (var, _bv(cluster.pod_by_ref[ref].ip(fam), fam))
            for (ref, fam), var in enc.allocated.items()
        ]
        for src, dst, same in flows.split_pairs(cluster, sources, destinations):
            if src.kind == flows.OUTSIDE and dst.kind == flows.OUTSIDE:
                continue
            case = flows.flow_case(enc, packet, src, dst, same)
            for s in _members(cluster, src, family, outside):
                for d in _members(cluster, dst, family, outside):
                    if s is d or (isinstance(s, Pod) and isinstance(d, Pod) and s.ref == d.ref):
                        continue
                    if _ip(cluster, s, family) == _ip(cluster, d, family):
                        continue  # one host talking to itself (a hostNetwork pod and its node)
                    for port in ports:
                        formula = False if case is None else case.formula
                        if not isinstance(formula, bool):
                            formula = z3.simplify(
                                z3.substitute(
                                    formula,
                                    (packet.src_ip, _bv(_ip(cluster, s, family), family)),
                                    (packet.dst_ip, _bv(_ip(cluster, d, family), family)),
                                    (packet.dst_port, z3.BitVecVal(port, 16)),
                                    (packet.protocol, z3.BitVecVal(PROTOCOL_CODES[protocol], 2)),
                                    *pins,
                                )
                            )
                            assert z3.is_true(formula) or z3.is_false(formula), formula
                            formula = z3.is_true(formula)
                        engine, traces = _engine(cluster, s, d, port, protocol, family)
                        assert formula == engine, (
                            f"class formula {src} -> {dst} says {formula} for member "
                            f"{_source_arg(s)} -> {getattr(d, 'ref', d)} {port}/{protocol} (IPv{family}); "
                            f"the engine says {engine}\n" + "\n".join(render(t) for t in traces)
                        )
