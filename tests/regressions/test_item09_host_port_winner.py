"""Issue 7 item 9: a counterexample through a hostPort names the pod the engine delivers to.

x/first and x/second (both app=web, on n2) declare hostPort 8080 -> 80; the
portmap rule of the first in input order wins, so 192.168.0.2:8080 reaches
x/first only. x/a (n1) may only send to the node range (its egress policy), so
its one way to app=web is that hostPort.

Correct: every counterexample is x/a -> x/first, and its trace's branch for the
named pod is ALLOWED. Observed on d7fb6f3 (and still at the time of writing):
isolation reports "x/a reaches x/second ... only because ipBlock 10.244.0.0/16"
and the invariant (for some limits) "x/a reaches x/second on 80/TCP through
hostPort 192.168.0.2:8080/TCP", each with a trace whose only branch is x/first
(the replay falls back to the overall verdict when the named backend is missing).
Since 08cd08b the replay notices: SoundnessError "Z3 says x/a -> 192.168.0.2:8080/TCP
reaches 10.244.2.12:80 through hostPort 192.168.0.2:8080/TCP on node n2, the engine
has no such path (ALLOWED: x/first via n2)" -- for both tests; still wrong.
"""

from __future__ import annotations

from tests.builders import cluster, netpol, peer, pod, rule
from verifier.engine import trace
from verifier.properties import PROPERTIES, check

from .support import N1, N2, TIMEOUT, VIOLATED, show

BASE = (
    N1,
    N2,
    pod("x/a", ip="10.244.1.10", node="n1"),
    pod(
        "x/first",
        ip="10.244.2.11",
        node="n2",
        labels={"app": "web"},
        ports=[("http", 80, "TCP", 8080)],
    ),
    pod(
        "x/second",
        ip="10.244.2.12",
        node="n2",
        labels={"app": "web"},
        ports=[("http", 80, "TCP", 8080)],
    ),
    netpol("x/a-to-nodes", select={"app": "a"}, egress=[rule(peer(cidr="192.168.0.0/24"))]),
)
#: For the invariant: web admits everyone.
OPEN = cluster(*BASE)
#: For isolation: web admits the pod CIDR by ipBlock (a flow that depends on ipBlocks
#: matching pod IPs) and sends nothing, so x/first and x/second do not talk to each other.
IPBLOCK = cluster(
    *BASE,
    netpol(
        "x/web",
        select={"app": "web"},
        ingress=[rule(peer(cidr="10.244.0.0/16"))],
        types=["Ingress", "Egress"],
    ),
)
A_NEVER_REACHES_WEB = {
    "name": "a never reaches web",
    "isolated": {"from": {"pods": {"app": "a"}}, "to": {"pods": {"app": "web"}}},
}
LIMITS = (1, 2, 3, 5)


def assert_names_the_delivered_pod(result) -> None:
    assert result.status is VIOLATED, show(result)
    for cx in result.counterexamples:
        assert cx.pods == ("x/a", "x/first"), show(result)
        assert "x/second" not in cx.summary, show(result)
        t = cx.traces[0]
        branch = next((b for b in t.branches if b.pod == cx.pods[-1]), None)
        assert branch is not None and branch.reachable, (
            f"{cx.summary}: branches {[(b.pod, b.verdict.value) for b in t.branches]}"
        )


def test_the_first_pod_in_input_order_wins_the_host_port():
    for c in (OPEN, IPBLOCK):
        t = trace(c, "x/a", "192.168.0.2", 8080)
        assert [(b.pod, b.verdict.value) for b in t.branches] == [("x/first", "ALLOWED")]
        assert trace(c, "x/a", "x/second", 80).verdict.value == "DENIED"
        assert trace(c, "x/a", "x/first", 80).verdict.value == "DENIED"


def test_isolation_counterexample_names_the_pod_the_host_port_delivers_to():
    for limit in LIMITS:
        result = PROPERTIES["isolation"].check(IPBLOCK, timeout=TIMEOUT, max_counterexamples=limit)
        assert_names_the_delivered_pod(result)


def test_invariant_counterexample_names_the_pod_the_host_port_delivers_to():
    for limit in LIMITS:
        (result,) = check(
            OPEN,
            properties=[],
            invariants=[A_NEVER_REACHES_WEB],
            timeout=TIMEOUT,
            max_counterexamples=limit,
        ).results
        assert_names_the_delivered_pod(result)
