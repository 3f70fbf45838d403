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
