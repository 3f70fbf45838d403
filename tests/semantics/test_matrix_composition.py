"""The matrix composes most cells from per-class egress rows and ingress columns; every
cell must be what evaluating that very pod pair along its journey gives.

The reference here is :func:`verifier.matrix.pair_cell` on the two *pods* (not on
class representatives): the journey and the full tier walk of
:mod:`verifier.semantics.policy`, no classes, no composition. The clusters come
from the oracle's generator (NetworkPolicies with named ports and ipBlocks,
AdminNetworkPolicies, Calico tiers, hostNetwork pods, hostPorts, NAT, Drop) and
from the benchmark generator (the shape the composition is for).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmarks.generate import generate_cluster
from tests.builders import cluster, netpol, node, peer, pod, rule
from tests.oracle.generate import scenario
from verifier.ingest import load_objects
from verifier.matrix import matrix, pair_cell
from verifier.semantics.portset import ANY_PORT, ANY_PROTOCOL, PortSetAlgebra

ALG = PortSetAlgebra()


def _agree_pod_by_pod(m, refs: list[str]) -> bool:
    """Do the pods ``refs`` have one row and one column towards every other pod, one cell among them?"""
    inside = set(refs)
    others = [d for d in m.pods if d not in inside]
    among = {m.allowed(a, b) for a in refs for b in refs if a != b}
    first = refs[0]
    return len(among) <= 1 and all(
        m.allowed(r, d) == m.allowed(first, d) and m.allowed(d, r) == m.allowed(d, first)
        for r in refs[1:]
        for d in others
    )


def _assert_every_cell(c, m, port=None, protocol=None) -> None:
    # The JSON rows and allowed_from() (made from class rows, on a matrix no pair has been
    # asked of yet) list exactly the non-empty cells, in pod order.
    fresh = matrix(c, family=m.family, port=port, protocol=protocol)
    listed = fresh.to_dict()["allowed"]
    froms = {s: fresh.allowed_from(s) for s in fresh.pods}
    for s in m.pods:
        row = [(d, m.allowed(s, d)) for d in m.pods if m.allowed(s, d)]
        assert list(listed.get(s, {}).items()) == [(d, c.to_list()) for d, c in row], s
        assert froms[s] == [(d, c) for d, c in row if d != s], s
    by_ref = c.pod_by_ref
    restriction = ALG.and_(
        ALG.true if port is None else ALG.eq(ANY_PORT, port),
        ALG.true if protocol is None else ALG.eq(ANY_PROTOCOL, protocol),
    )
    wrong = []
    for s in m.pods:
        for d in m.pods:
            if s == d:
                continue
            want = ALG.and_(restriction, pair_cell(c, by_ref[s], by_ref[d], m.family))
            got = m.allowed(s, d)
            if got != want:
                wrong.append(f"{s} -> {d}: matrix {got}, journey {want}")
    assert not wrong, "\n".join(wrong[:20])
    # Workloads are grouped as the pod-by-pod comparison groups them.
    members: dict[str, list[str]] = {}
    for ref in m.pods:
        members.setdefault(m._workload_of.get(ref, ref), []).append(ref)
    grouped = {name for name, refs in m.endpoints() if len(refs) > 1 or name not in m.pods}
    for name, refs in members.items():
        if len(refs) > 1:
            assert (name in grouped) == _agree_pod_by_pod(m, refs), refs
    # The grouped table lists exactly the grouped pairs with something allowed.
    assert list(m.grouped_allowed()) == [(s, d, c) for s, d, c in m.grouped_pairs() if c]


@pytest.mark.parametrize("seed", range(40))
def test_every_cell_of_generated_clusters_is_its_journey(seed):
    c = scenario(seed).cluster
    for family in c.families or (4,):
        _assert_every_cell(c, matrix(c, family=family), None, None)


@pytest.mark.parametrize("seed", range(40, 80))
def test_every_cell_of_generated_clusters_with_only_network_policies_is_its_journey(seed):
    """The same clusters without the tiers, NAT and Drop that make pairs be evaluated one by
    one: nearly every cell is composed."""
    c = scenario(seed).cluster
    c = replace(
        c,
        admin_policies=(),
        calico_policies=(),
        tiers=(),
        config=replace(
            c.config,
            endpoint_to_host="Accept",
            masquerade=replace(c.config.masquerade, mode="none"),
        ),
    )
    for family in c.families or (4,):
        _assert_every_cell(c, matrix(c, family=family))


@pytest.mark.parametrize("seed", range(3))
def test_every_cell_of_benchmark_clusters_is_its_journey(seed):
    c = load_objects(generate_cluster(pods=150, policies=40, namespaces=4, seed=seed))
    _assert_every_cell(c, matrix(c))
    _assert_every_cell(c, matrix(c, port=8080, protocol="TCP"), 8080, "TCP")


def _host_network_and_web(*objects):
    """x/h, hostNetwork on n1; x/a (app=web) on n1 and x/b (app=web) on n2."""
    return cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        node("n2", "192.168.0.2", pod_cidr="10.244.2.0/24"),
        pod("x/h", ip="192.168.0.1", node="n1", host_network=True, labels={"app": "h"}),
        pod("x/a", ip="10.244.1.10", node="n1", labels={"app": "web"}),
        pod("x/b", ip="10.244.2.10", node="n2", labels={"app": "web"}),
        *objects,
    )


def test_a_host_network_pod_reaches_only_the_isolated_pods_on_its_own_node():
    """The composed column honours the node exception per pod, not per class."""
    c = _host_network_and_web(
        pod("x/c", ip="10.244.2.11", node="n2", labels={"app": "client"}),
        netpol("x/web", select={"app": "web"}, ingress=[rule(peer(pods={}))]),
    )
    m = matrix(c)
    assert [str(m.allowed("x/h", d)) for d in ("x/a", "x/b", "x/c")] == ["all", "none", "all"]
    assert [str(m.allowed(s, "x/b")) for s in ("x/a", "x/c")] == ["all", "all"]
    _assert_every_cell(c, m)


def test_a_host_network_pod_admitted_on_one_port_has_one_cell_on_its_node_and_one_elsewhere():
    """Towards an isolated class spread over nodes, a hostNetwork pod's row has the node
    exception's cell on its own node and the policy's (here: one port) on the others."""
    c = _host_network_and_web(
        pod("x/d", ip="10.244.2.12", node="n2", labels={"app": "web"}),
        netpol(
            "x/web",
            select={"app": "web"},
            ingress=[rule(peer(pods={})), rule(peer(cidr="192.168.0.0/24"), ports=[8080])],
        ),
    )
    m = matrix(c)
    assert [(d, str(cell)) for d, cell in m.allowed_from("x/h")] == [
        ("x/a", "all"),
        ("x/b", "TCP 8080"),
        ("x/d", "TCP 8080"),
    ]
    _assert_every_cell(c, m)
