"""Property ``isolation`` and the isolation fixtures' claims: the allowing rule, its line, the replayed traces."""

from __future__ import annotations

from dataclasses import replace

from tests.builders import cluster, netpol, node, pod
from tests.properties.support import (
    FIXTURES,
    at,
    check,
    check_fixture,
    in_net,
    load_demo,
    load_fixture,
    refs,
    steps,
    where,
)
from verifier.properties import Status, load_invariants
from verifier.properties import check as check_all
from verifier.trace import Verdict

PROP = "isolation"
HOLDS, VIOLATED = Status.HOLDS, Status.VIOLATED


def with_claims(fixture: str) -> dict:
    """The property and the two claims of ``fixtures/tests/isolation/invariants.yaml``, by name."""
    claims = load_invariants(FIXTURES / "isolation" / "invariants.yaml")
    report = check_all(load_fixture(fixture), [PROP], claims)
    return {r.name: r for r in report.results}


def ingress_hop(t):
    return next(h for h in t.all_hops if h.step == "ingress")


def test_the_holds_fixture_and_its_claims_hold():
    """One peer with namespaceSelector AND podSelector: dev's pods are not api pods, nothing leaks."""
    results = with_claims("isolation/holds.yaml")
    assert {name: r.status for name, r in results.items()} == {
        "isolation": HOLDS,
        "nothing in dev reaches prod": HOLDS,
        "only api reaches db:5432": HOLDS,
    }


def test_two_peers_let_dev_into_the_database():
    """The stray dash ORs the peers: dev/client reaches prod/db:5432, allowed by prod/db ingress[0]."""
    results = with_claims("isolation/violated.yaml")
    # Nothing hostNetwork and no ipBlock: the property itself holds, the team's claims do not.
    assert results["isolation"].status is HOLDS
    claim = results["nothing in dev reaches prod"]
    assert claim.status is VIOLATED
    (cx,) = claim.counterexamples
    assert cx.summary == (
        "dev/client reaches prod/db on 5432/TCP directly to the pod IP; allowed by NetworkPolicy prod/db ingress[0]"
    )
    assert str(cx.packet) == "10.244.1.20 -> 10.244.1.12:5432/TCP"
    assert (cx.pods, cx.allocation) == (("dev/client", "prod/db"), {})
    assert refs(cx.objects) == ["NetworkPolicy prod/db ingress[0]"]
    assert where(cx.location) == at("isolation/violated.yaml", 118, "- from:")
    (t,) = cx.traces
    assert (t.verdict, t.source, str(t.destination), t.port, t.protocol) == (
        Verdict.ALLOWED,
        "dev/client",
        "10.244.1.12",
        5432,
        "TCP",
    )
    assert refs(ingress_hop(t).deciders) == ["NetworkPolicy prod/db ingress[0]"]


def test_only_api_is_broken_by_every_other_pod():
    """Both pods outside the claim that reach prod/db:5432 are counterexamples, by the same rule."""
    claim = with_claims("isolation/violated.yaml")["only api reaches db:5432"]
    assert claim.status is VIOLATED
    assert [(cx.pods, str(cx.packet)) for cx in claim.counterexamples] == [
        (("prod/web", "prod/db"), "10.244.1.10 -> 10.244.1.12:5432/TCP"),
        (("dev/client", "prod/db"), "10.244.1.20 -> 10.244.1.12:5432/TCP"),
    ]
    assert {where(cx.location) for cx in claim.counterexamples} == {"isolation/violated.yaml:118"}


def test_an_allocation_outside_the_except_is_let_in_by_the_ipblock():
    """dev/client has no address yet; Z3 picks one in 10.244.1.128/25, inside the ipBlock, and the engine agrees."""
    result = check_fixture("isolation/violated-allocation.yaml", PROP)
    assert result.status is VIOLATED
    (cx,) = result.counterexamples
    chosen = cx.allocation["dev/client"]
    assert cx.allocation == {"dev/client": chosen} and in_net(chosen, "10.244.1.128/25")
    assert str(cx.packet) == f"{chosen} -> 10.244.2.10:5432/TCP"
    assert cx.pods == ("dev/client", "prod/db")
    assert cx.summary.startswith(
        "dev/client reaches prod/db on 5432/TCP only because ipBlock 10.0.0.0/8 except 10.244.1.0/25 of prod/db ingress[0] ("
    )
    assert f"covers a pod IP ({chosen} -> 10.244.2.10)" in cx.summary
    assert refs(cx.objects) == ["NetworkPolicy prod/db ingress[0]"]
    assert where(cx.location) == at("isolation/violated-allocation.yaml", 68, "- from:")
    assert cx.details == {
        "path": "directly to the pod IP",
        "profile": "ipBlock matches pod IPs (Calico)",
    }
    # Replayed twice: allowed where ipBlocks match pods, denied where they never do.
    calico, strict = cx.traces
    assert (calico.verdict, strict.verdict) == (Verdict.ALLOWED, Verdict.DENIED)
    assert str(ingress_hop(calico).packet.src_ip) == chosen
    assert refs(ingress_hop(calico).deciders) == ["NetworkPolicy prod/db ingress[0]"]
    assert ingress_hop(strict).outcome == "denied"


def test_where_ipblocks_never_match_pods_the_allocation_fixture_holds():
    """With ``ipBlockMatchesPods: false`` (Cilium-like) no flow depends on the CNI's choice."""
    cluster = load_fixture("isolation/violated-allocation.yaml")
    strict = replace(cluster, config=replace(cluster.config, ipblock_matches_pods=False))
    assert check(strict, PROP).status is HOLDS


def test_a_policy_selecting_host_network_pods_isolates_nothing():
    """node-exporter runs on the host network: a packet its policy does not allow still reaches it."""
    result = check_fixture("isolation/violated-hostnetwork.yaml", PROP)
    assert result.status is VIOLATED
    (cx,) = result.counterexamples  # one per (policy, DaemonSet)
    source, exporter = cx.pods
    node_ip = {
        "monitoring/node-exporter-n1": "192.168.0.1",
        "monitoring/node-exporter-n2": "192.168.0.2",
    }[exporter]
    port, protocol = cx.packet.dst_port, cx.packet.protocol
    assert source in ("shop/web", "monitoring/prometheus")
    if source == "monitoring/prometheus":
        assert (port, protocol) != (9100, "TCP")  # the one packet the policy does allow
    assert str(cx.packet.dst_ip) == node_ip
    assert cx.summary == (
        f"{exporter} runs on the host network, so NetworkPolicy monitoring/node-exporter selects it for Ingress but cannot "
        f"isolate it: {source} reaches it on {port}/{protocol}, which the policy does not allow"
    )
    assert refs(cx.objects) == [
        "NetworkPolicy monitoring/node-exporter spec.podSelector",
        f"Pod {exporter}",
    ]
    assert where(cx.objects[0]) == at(
        "isolation/violated-hostnetwork.yaml", 75, "name: node-exporter, namespace: monitoring"
    )
    assert where(cx.objects[1]) == at("isolation/violated-hostnetwork.yaml", 43, "kind: DaemonSet")
    (t,) = cx.traces
    assert (t.verdict, t.source, str(t.destination), t.port) == (
        Verdict.ALLOWED,
        source,
        node_ip,
        port,
    )


def test_the_demo_holds_before_the_change():
    assert check(load_demo("base"), PROP).status is HOLDS


def test_the_demo_vpn_policy_lets_unisolated_pods_into_the_database():
    """Every counterexample is a pod reaching payments-db:5432 only through allow-vpn-to-db's ipBlock (README mistake 1)."""
    result = check(load_demo(), PROP)
    assert result.status is VIOLATED and len(result.counterexamples) == 3
    for cx in result.counterexamples:
        assert refs(cx.objects) == ["NetworkPolicy payments/allow-vpn-to-db ingress[0]"]
        assert where(cx.location) == at(
            "fixtures/demo/change/payments-vpn-access.yaml", 25, "- from:"
        )
        assert cx.pods[1] in ("payments/payments-db-0", "payments/payments-db-1")
        assert (cx.packet.dst_port, cx.packet.protocol) == (5432, "TCP")
        assert [t.verdict for t in cx.traces] == [Verdict.ALLOWED, Verdict.DENIED]
        assert steps(cx.traces[0])[-1] == ("deliver", "delivered")


def test_a_host_network_pod_reached_from_another_node_under_drop():
    """DefaultEndpointToHostAction=Drop stops x/a (on x/h's node), not x/b (n2), which reaches x/h.

    Found by tests/symbolic/test_agreement.py: x/a and x/b were one class whose
    representative x/a is blocked, so the property HELD.
    """
    c = cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        node("n2", "192.168.0.2", pod_cidr="10.244.2.0/24"),
        pod("x/a", ip="10.244.1.10", node="n1", labels={"app": "web"}),
        pod("x/b", ip="10.244.2.10", node="n2", labels={"app": "web"}),
        pod("x/h", ip="192.168.0.1", node="n1", host_network=True, labels={"app": "h"}),
        netpol("x/isolate-h", select={"app": "h"}, ingress=[]),
        endpoint_to_host="Drop",
    )
    result = check(c, PROP)
    assert result.status is VIOLATED
    (cx,) = result.counterexamples
    assert cx.pods == ("x/b", "x/h")
    assert cx.summary.startswith(
        "x/h runs on the host network, so NetworkPolicy x/isolate-h selects it for Ingress but cannot isolate it: x/b reaches it on "
    )
    assert cx.traces[0].verdict is Verdict.ALLOWED
