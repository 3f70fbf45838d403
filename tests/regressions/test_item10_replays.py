"""Issue 7 item 10: counterexamples are replayed through the engine, and the replay compares what matters.

* dns-resolution compared the resolver's answering *name* with the text of the
  trace's resolve hop: an engine that resolves the same name to another address
  went unnoticed. Here the engine is fed a copy of the cluster in which the
  shadowing Service com/example has another ClusterIP (10.96.0.31 instead of
  10.96.0.30): the replay must fail (SoundnessError).
* nat-free re-ran the pipeline, not the engine: with an engine that sees no
  masquerade (masquerade mode ``none``) the replay must fail; and every
  counterexample's trace shows the masquerade (an ``snat`` hop ``masquerade``),
  never a flow the policy denies before the NAT step (unless its trace shows the
  NAT all the same).
* service-resolution skipped the cross-check for headless Services: an empty
  headless Service's counterexample comes with a trace (or says why it has none).

Observed on d7fb6f3 (and still at the time of writing): no SoundnessError in
either forged case; the nat-free counterexample "x/a -> x/b: ... today DENIED by
policy before the NAT step" whose trace is [egress denied]; the headless
Service's counterexample has no trace and no word about it. Since 08cd08b ("One
driver, one journey for every property") they all pass (the nat-free trace of
x/a -> x/b is then a trace that shows the NAT).
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import ip_address

import pytest

import verifier
from tests.builders import cluster, netpol, pod, service
from verifier.errors import SoundnessError
from verifier.model import MasqueradeConfig
from verifier.properties import PROPERTIES

from .support import N1, N2, REPO, TIMEOUT, VIOLATED, forge_engine, show

DNS_VIOLATED = REPO / "fixtures" / "tests" / "dns-resolution" / "violated.yaml"
NAT_VIOLATED = REPO / "fixtures" / "tests" / "nat-free" / "violated.yaml"


def check(name: str, c, limit: int = 5):
    return PROPERTIES[name].check(c, timeout=TIMEOUT, max_counterexamples=limit)


# --------------------------------------------------------------------------- dns-resolution


def resolved_address(t):
    """The address the trace connects to after name resolution (the first packet after the resolve hop)."""
    hops = list(t.all_hops)
    at = next(i for i, h in enumerate(hops) if h.step == "resolve")
    return next((h.packet.dst_ip for h in hops[at + 1 :] if h.packet is not None), None)


def test_dns_counterexample_traces_connect_to_the_answered_address():
    result = check("dns-resolution", verifier.load(DNS_VIOLATED))
    assert result.status is VIOLATED, show(result)
    for cx in result.counterexamples:
        (t,) = cx.traces
        resolve = [h for h in t.all_hops if h.step == "resolve"]
        assert len(resolve) == 1 and resolve[0].outcome == "resolved", [str(h) for h in t.all_hops]
        assert [str(resolved_address(t))] == cx.details["answers"], (
            cx.details,
            [str(h) for h in t.all_hops],
        )


def test_a_dns_replay_that_resolves_to_another_address_raises():
    c = verifier.load(DNS_VIOLATED)
    assert [str(ip) for s in c.services if s.ref == "com/example" for ip in s.cluster_ips] == [
        "10.96.0.30"
    ]

    def moved(cl):
        """The same cluster, but com/example answers on 10.96.0.31."""
        return replace(
            cl,
            services=tuple(
                replace(s, cluster_ips=(ip_address("10.96.0.31"),)) if s.ref == "com/example" else s
                for s in cl.services
            ),
        )

    def engine(real, cl, *args, **kwargs):
        return real(moved(cl), *args, **kwargs)

    with pytest.MonkeyPatch.context() as m:
        forge_engine(m, engine)
        with pytest.raises(SoundnessError):
            check("dns-resolution", c)


# --------------------------------------------------------------------------- nat-free


def nat_cluster(*extra):
    c = verifier.load(NAT_VIOLATED)
    return replace(c, policies=c.policies + tuple(extra))


def test_a_nat_free_replay_through_an_engine_without_masquerade_raises():
    c = nat_cluster()
    assert check("nat-free-pod-to-pod", c).status is VIOLATED

    def engine(real, cl, *args, **kwargs):
        return real(
            replace(cl, config=replace(cl.config, masquerade=MasqueradeConfig("none"))),
            *args,
            **kwargs,
        )

    with pytest.MonkeyPatch.context() as m:
        forge_engine(m, engine)
        with pytest.raises(SoundnessError):
            check("nat-free-pod-to-pod", c)


def test_every_nat_free_counterexample_trace_shows_the_masquerade():
    # x/a may send nothing: its packets never reach the NAT rule. x/b -> x/a is still masqueraded.
    c = nat_cluster(netpol("x/a-no-egress", select={"app": "a"}, types=["Egress"]))
    result = check("nat-free-pod-to-pod", c)
    assert result.status is VIOLATED, show(result)
    assert ("x/b", "x/a") in {cx.pods for cx in result.counterexamples}, show(result)
    for cx in result.counterexamples:
        assert cx.traces, show(result)
        hops = [(h.step, h.outcome) for t in cx.traces for h in t.all_hops]
        assert ("snat", "masquerade") in hops, hops


def test_nat_free_counterexamples_show_the_masquerade_without_policies():
    result = check("nat-free-pod-to-pod", nat_cluster())
    assert {cx.pods for cx in result.counterexamples} == {("x/a", "x/b"), ("x/b", "x/a")}, show(
        result
    )
    for cx in result.counterexamples:
        assert ("snat", "masquerade") in [
            (h.step, h.outcome) for t in cx.traces for h in t.all_hops
        ]


# --------------------------------------------------------------------------- service-resolution, headless


def test_an_empty_headless_service_counterexample_has_a_trace_or_says_why_not():
    c = cluster(
        N1,
        N2,
        pod("x/a", ip="10.244.1.10", node="n1"),
        pod(
            "x/db-0",
            ip="10.244.2.10",
            node="n2",
            labels={"app": "db"},
            ready=False,
            ports=[("pg", 5432)],
        ),
        service("x/db", headless=True, ports=[("pg", 5432, "pg")], selector={"app": "db"}),
        cluster_dns="10.96.0.10",
    )
    result = check("service-resolution", c)
    assert result.status is VIOLATED, show(result)
    (cx,) = result.counterexamples
    assert "x/db" in cx.summary
    explained = any(
        word in f"{key} {value}".lower()
        for key, value in cx.details.items()
        for word in ("trace", "replay")
    )
    assert cx.traces or explained, (cx.summary, cx.details)
    for t in cx.traces:
        assert not t.reachable, t
