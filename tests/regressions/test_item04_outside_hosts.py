"""Issue 7 item 4: ipBlock invariants count outside hosts on every path the engine knows.

On fixtures/demo (base + change) the engine shows
``shop/emailservice-0 -> 203.0.113.10:443`` ALLOWED (egress to the internet), so
"emailservice never reaches 203.0.113.0/24" is false.

Outside hosts *as sources* straight to a pod IP: whether they can route to a pod
IP at all (overlay vs routed pools) is one rule, and the engine and the
invariants must read the same one: an invariant is VIOLATED iff the engine says
ALLOWED, whichever way the rule goes. Checked on the demo ("10.50.0.0/16 cannot
reach payments-db", the VPN policy admits 10.0.0.0/8) and on tiny overlay and
routed clusters.

Observed on d7fb6f3 (the code the issue was filed against): both demo invariants
HOLD (``check --invariants`` exits 0) while the engine says ALLOWED for
``reach --from shop/emailservice-0 --to 203.0.113.10 --port 443`` and
``--from 10.50.0.5 --to payments/payments-db-0 --port 5432``; on the overlay
cluster the engine says ALLOWED and the ipBlock / ``only`` invariants HOLD.
Since c6c0103 ("One journey") the engine says NO_ROUTE from outside to a pod IP on
an overlay (the demo's CrossSubnet pools included), so the agreement tests pass;
the emailservice ones pass since 08cd08b ("One driver, one journey for every property").
"""

from __future__ import annotations

import functools
from ipaddress import ip_address, ip_network

import pytest

import verifier
from tests.builders import cluster, pod
from verifier.engine import trace
from verifier.properties.invariants import check_invariant, parse_invariants

from .support import DEMO, N1, N2, TIMEOUT, UNKNOWN, VIOLATED, fixture, netverify, show

INVARIANTS = fixture("invariants/demo-outside.yaml")
EMAIL_TO_INTERNET, OUTSIDE_TO_DB = parse_invariants(
    open(INVARIANTS, encoding="utf-8").read(), INVARIANTS
)


@functools.cache
def demo():
    return verifier.load(DEMO)


def vpn_reaches_the_database() -> bool:
    c = demo()
    return any(trace(c, "10.50.0.5", f"payments/payments-db-{i}", 5432).reachable for i in (0, 1))


def agree(result, engine_allows: bool, what: str) -> None:
    assert result.status is not UNKNOWN, show(result)
    assert (result.status is VIOLATED) == engine_allows, (
        f"engine: {what} {'ALLOWED' if engine_allows else 'not allowed'}; invariant: {show(result)}"
    )


# --------------------------------------------------------------------------- the demo


def test_the_engine_lets_emailservice_reach_the_internet():
    assert trace(demo(), "shop/emailservice-0", "203.0.113.10", 443).verdict.value == "ALLOWED"


def test_cli_reach_from_emailservice_to_the_internet_exits_0(capsys):
    run = netverify(
        capsys,
        "reach",
        "-f",
        str(DEMO),
        "--from",
        "shop/emailservice-0",
        "--to",
        "203.0.113.10",
        "--port",
        "443",
    )
    assert run.code == 0, run.out + run.err


def test_emailservice_never_reaches_203_0_113_0_24_is_violated():
    result = check_invariant(demo(), EMAIL_TO_INTERNET, timeout=TIMEOUT)
    assert result.status is VIOLATED, show(result)
    for cx in result.counterexamples:
        assert cx.pods[0] == "shop/emailservice-0", show(result)
        assert ip_address(str(cx.packet.dst_ip)) in ip_network("203.0.113.0/24"), show(result)
        (t,) = cx.traces
        assert t.reachable, show(result)


def test_10_50_0_0_16_cannot_reach_payments_db_agrees_with_the_engine():
    result = check_invariant(demo(), OUTSIDE_TO_DB, timeout=TIMEOUT)
    agree(result, vpn_reaches_the_database(), "10.50.0.5 -> payments-db:5432")
    for cx in result.counterexamples:
        assert cx.pods[-1] in ("payments/payments-db-0", "payments/payments-db-1"), show(result)
        assert ip_address(str(cx.packet.src_ip)) in ip_network("10.50.0.0/16"), show(result)
        (t,) = cx.traces
        assert t.reachable, show(result)


def test_cli_check_of_the_outside_invariants_exits_1(capsys):
    run = netverify(
        capsys,
        "check",
        "-f",
        str(DEMO),
        "--invariants",
        INVARIANTS,
        "--property",
        "unique-pod-ips",
        "-o",
        "json",
    )
    assert run.code == 1, run.err
    statuses = {r["name"]: r["status"] for r in run.json["results"] if r["property"] == "invariant"}
    assert statuses == {
        "emailservice never reaches 203.0.113.0/24": "violated",
        "10.50.0.0/16 cannot reach payments-db": "violated"
        if vpn_reaches_the_database()
        else "holds",
    }


# --------------------------------------------------------------------------- overlay vs routed: one rule


def outside_to_b(encapsulation: str):
    c = cluster(
        N1,
        N2,
        pod("x/a", ip="10.244.1.10", node="n1"),
        pod("x/b", ip="10.244.2.20", node="n2", ports=[("http", 80)]),
        encapsulation=encapsulation,
    )
    return c, trace(c, "203.0.113.9", "10.244.2.20", 80)


ISOLATED = {
    "name": "the internet never reaches b",
    "isolated": {"from": {"ipBlock": "203.0.113.0/24"}, "to": {"pods": {"app": "b"}}},
}
#: Nodes are listed (by their ipBlock): they reach x/b on any cluster, and this is about outside hosts.
ONLY = {
    "name": "only a and the nodes reach b",
    "only": {
        "from": [{"pods": {"app": "a"}}, {"ipBlock": "192.168.0.0/24"}],
        "to": {"pods": {"app": "b"}},
        "port": 80,
    },
}


@pytest.mark.parametrize("encapsulation", ["routed", "overlay"])
@pytest.mark.parametrize("claim", [ISOLATED, ONLY], ids=["isolated", "only"])
def test_the_engine_and_the_invariants_agree_on_outside_hosts(encapsulation, claim):
    c, t = outside_to_b(encapsulation)
    (result,) = verifier.check(c, properties=[], invariants=[claim], timeout=TIMEOUT).results
    agree(result, t.reachable, "203.0.113.9 -> x/b:80")


def test_on_a_routed_cluster_an_outside_host_reaches_a_pod_ip():
    _c, t = outside_to_b("routed")
    assert t.verdict.value == "ALLOWED"
