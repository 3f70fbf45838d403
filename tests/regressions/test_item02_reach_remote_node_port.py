"""Issue 7 item 2: a ``reach`` invariant through another node's NodePort is that path, not the direct pod flow.

fixtures/tests/regressions/remote-nodeport.yaml: x/a and x/b on n1, x/b admits
only pods app=a. x/a -> 192.168.0.2:30080 is DNATed and masqueraded by n2, so x/b
sees n2's address and denies: the engine says DENIED.

Observed on the code the issue was filed against: ``expect: allow`` HOLDS (the
invariant evaluates the direct x/a -> x/b flow, allowed); ``expect: deny`` raises
SoundnessError ("Z3 says x/a -> 192.168.0.2:30080/TCP is allowed, the engine says
DENIED"); ``netverify check --invariants`` exits 70. Fixed by c6c0103 ("One
journey"): these tests fail on d7fb6f3 and pass since, so they carry no xfail marker.
"""

from __future__ import annotations

import verifier
from verifier.engine import trace

from .support import HOLDS, TIMEOUT, VIOLATED, fixture, netverify, show

CLUSTER = fixture("remote-nodeport.yaml")
INVARIANTS = fixture("invariants/remote-nodeport.yaml")


def reach(expect: str, to: str = "192.168.0.2") -> dict:
    return {
        "name": f"a {expect} b via {to}",
        "reach": {"from": "x/a", "to": to, "port": 30080, "expect": expect},
    }


def check(expect: str, to: str = "192.168.0.2"):
    (result,) = verifier.check(
        verifier.load(CLUSTER), properties=[], invariants=[reach(expect, to)], timeout=TIMEOUT
    ).results
    return result


def test_the_engine_denies_the_remote_node_port_and_allows_the_local_one():
    c = verifier.load(CLUSTER)
    remote = trace(c, "x/a", "192.168.0.2", 30080)
    assert (remote.verdict.value, [(b.pod, b.verdict.value) for b in remote.branches]) == (
        "DENIED",
        [("x/b", "DENIED")],
    )
    assert trace(c, "x/a", "192.168.0.1", 30080).verdict.value == "ALLOWED"


def test_the_local_node_port_invariants_agree_with_the_engine():
    assert check("allow", "192.168.0.1").status is HOLDS
    assert check("deny", "192.168.0.1").status is VIOLATED


def test_expect_allow_through_the_remote_node_port_is_violated():
    result = check("allow")
    assert result.status is VIOLATED, show(result)
    (cx,) = result.counterexamples
    (t,) = cx.traces
    assert t.verdict.value == "DENIED"
    assert cx.pods == ("x/a",)


def test_expect_deny_through_the_remote_node_port_holds():
    result = check("deny")
    assert result.status is HOLDS, show(result)


def test_cli_exits_1_with_the_allow_claim_violated_and_the_deny_claim_holding(capsys):
    run = netverify(
        capsys,
        "check",
        "-f",
        CLUSTER,
        "--invariants",
        INVARIANTS,
        "--property",
        "unique-pod-ips",
        "-o",
        "json",
    )
    assert "internal error" not in run.err
    assert run.code == 1, run.err
    statuses = {r["name"]: r["status"] for r in run.json["results"] if r["property"] == "invariant"}
    assert statuses == {
        "a reaches b through n2": "violated",
        "a does not reach b through n2": "holds",
    }
