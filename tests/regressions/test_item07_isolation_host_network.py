"""Issue 7 item 7: isolation examines every policy that selects a hostNetwork pod, Egress included.

x/h runs on the host network of n2 (192.168.0.2); NetworkPolicy cannot isolate
it (semantics.md §3.9), so a policy selecting it promises what does not exist:

* an Egress policy with no rule: x/h still reaches x/a (a pod on n1), outside
  hosts and n1;
* an Ingress policy with no rule, every pod-network pod being egress-isolated:
  no pod reaches x/h, but node n1 and outside hosts do.

Both must be VIOLATED by a flow the engine allows. Observed on d7fb6f3 (and
still at the time of writing): isolation HOLDS in both (only Ingress policies
are looked at, and only with pod-network pods as sources). Fixed by 08cd08b ("One driver, one journey for every property"): the tests
fail on d7fb6f3 and pass since, so they carry no xfail marker.
"""

from __future__ import annotations

from tests.builders import cluster, netpol, pod
from verifier.engine import trace
from verifier.properties import PROPERTIES

from .support import N1, N2, TIMEOUT, VIOLATED, show

H = pod("x/h", ip="192.168.0.2", node="n2", host_network=True, ports=[("metrics", 9100)])
A = pod("x/a", ip="10.244.1.10", node="n1", ports=[("http", 80)])

EGRESS = cluster(N1, N2, A, H, netpol("x/h-no-egress", select={"app": "h"}, types=["Egress"]))
INGRESS = cluster(
    N1,
    N2,
    A,
    H,
    netpol("x/h-no-ingress", select={"app": "h"}, types=["Ingress"]),
    netpol("x/a-no-egress", select={"app": "a"}, types=["Egress"]),
)


def isolation(c):
    return PROPERTIES["isolation"].check(c, timeout=TIMEOUT, max_counterexamples=5)


def test_the_engine_lets_the_host_network_pod_out_despite_its_egress_policy():
    for target, port in (("x/a", 80), ("203.0.113.9", 443), ("192.168.0.1", 22)):
        assert trace(EGRESS, "x/h", target, port).verdict.value == "ALLOWED", target


def test_the_engine_lets_nodes_and_outside_hosts_in_but_no_pod():
    assert trace(INGRESS, "x/a", "192.168.0.2", 9100).verdict.value == "DENIED"
    for source in ("node/n1", "192.168.0.1", "203.0.113.9"):
        assert trace(INGRESS, source, "192.168.0.2", 9100).verdict.value == "ALLOWED", source


def test_an_egress_policy_selecting_a_host_network_pod_is_violated():
    result = isolation(EGRESS)
    assert result.status is VIOLATED, show(result)
    for cx in result.counterexamples:
        assert cx.pods[0] == "x/h", show(result)
        assert any(t.reachable for t in cx.traces), show(result)
        assert "x/h-no-egress" in " ".join(o.ref for o in cx.objects) + cx.summary, show(result)


def test_an_ingress_policy_selecting_a_host_network_pod_only_nodes_and_outside_hosts_reach_is_violated():
    result = isolation(INGRESS)
    assert result.status is VIOLATED, show(result)
    for cx in result.counterexamples:
        assert "x/h" in cx.pods and "x/a" not in cx.pods, show(result)
        assert any(t.reachable for t in cx.traces), show(result)
        assert "x/h-no-ingress" in " ".join(o.ref for o in cx.objects) + cx.summary, show(result)
