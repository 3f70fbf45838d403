"""A pod whose address lies in a Service range (an IPPool overlapping it: oracle seed 82, where
the implicit DNS pods were allocated there) is never reached at that address from inside the
cluster: kube-proxy owns the range (semantics.md §6.5). The engine said so; the encoder's direct
path delivered to the pod, and an invariant check raised SoundnessError. Both now read
``journey.direct_guard``."""

from __future__ import annotations

from tests.builders import cluster, node, pod
from verifier.engine import trace
from verifier.matrix import matrix
from verifier.properties import check


def _cluster():
    return cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        node("n2", "192.168.0.2", pod_cidr="10.244.2.0/24"),
        pod("x/client", ip="10.244.1.10", node="n1"),
        pod("x/odd", ip="10.96.0.30", node="n2"),
    )


def test_the_engine_and_the_matrix_never_deliver_to_a_service_range_address():
    c = _cluster()
    t = trace(c, "x/client", "10.96.0.30", 53, "UDP")
    assert not t.reachable
    assert t.verdict.value == "NO_SERVICE_PORT"
    assert not matrix(c).allowed("x/client", "x/odd")
    assert matrix(c).allowed("x/odd", "x/client")  # its own packets go out as any pod's


def test_an_invariant_on_it_is_proved_not_refused():
    c = _cluster()
    spec = {"name": "odd", "isolated": {"from": {"ipBlock": "0.0.0.0/0"}, "to": {}}}
    result = check(c, properties=[], invariants=[spec]).results[0]
    assert result.status.value in ("holds", "violated")
    for cx in result.counterexamples:
        for t in cx.traces:
            assert not (t.destination == "x/odd" and t.reachable and t.source.startswith("node/"))


def test_a_service_in_front_of_it_is_its_only_way_in_for_every_property():
    """x/client reaches x/odd only through Service x/dns, and only because its egress
    ipBlock 0.0.0.0/0 matches x/odd's address (oracle seed 32479: the implicit DNS pods in an
    IPPool inside the Service range). The flow search left out a Service path that "adds
    nothing to the direct one", but inside the cluster the direct one never delivers there:
    isolation said HOLDS."""
    from tests.builders import netpol, peer, rule, service

    c = cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        node("n2", "192.168.0.2", pod_cidr="10.244.2.0/24"),
        pod("x/client", ip="10.244.1.10", node="n1", labels={"app": "client"}),
        pod("x/odd", ip="10.96.0.30", node="n2", labels={"app": "dns"}, ports=[("dns", 53, "UDP")]),
        service(
            "x/dns", ip="10.96.0.2", ports=[("dns", 53, "dns", "UDP")], selector={"app": "dns"}
        ),
        netpol(
            "x/out",
            select={"app": "client"},
            egress=[rule(peer(cidr="0.0.0.0/0"))],
            types=["Egress"],
        ),
    )
    assert trace(c, "x/client", "10.96.0.2", 53, "UDP").reachable
    result = check(c, properties=["isolation"]).results[0]
    assert result.status.value == "violated"
    (cx,) = [x for x in result.counterexamples if "only because" in x.summary]
    assert cx.pods == ("x/client", "x/odd")
    first, strict = cx.traces
    assert first.reachable and not strict.reachable
