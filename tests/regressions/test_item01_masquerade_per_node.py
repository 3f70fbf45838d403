"""Issue 7 item 1: a class's verdict must not hide per-node masquerade.

x/b1 (n1) and x/b2 (n2) are both app=b, behind a Service whose externalIP (or
NodePort) traffic is masqueraded by the node that DNATs it, after policy on that
node (semantics.md §6.5-6.6). b's policy admits only the node subnet, so the
backend on the DNAT node denies x/a and the backend on the other node admits it.
The engine shows x/a reaching b; ``isolated {from: app=a, to: app=b}`` must be
VIOLATED by exactly that backend.

Observed on the code the issue was filed against: the externalIP case HOLDS
(exit 0); the NodePort case raises SoundnessError ("Z3 says x/a ->
192.168.0.2:30080/TCP (backend x/b2) is allowed, the engine says ALLOWED"), exit 70.
Fixed by 08cd08b ("One driver, one journey for every property"): the tests
fail on d7fb6f3 and pass since, so they carry no xfail marker.
"""

from __future__ import annotations

import verifier
from verifier.engine import trace
from verifier.properties.invariants import check_invariant, parse_invariants

from .support import TIMEOUT, VIOLATED, fixture, netverify, show

EXTERNAL_IP = fixture("masquerade-externalip.yaml")
NODE_PORT = fixture("masquerade-nodeport.yaml")
INVARIANTS = fixture("invariants/a-never-reaches-b.yaml")
(A_NEVER_REACHES_B,) = parse_invariants(
    [
        {
            "name": "a never reaches b",
            "isolated": {"from": {"pods": {"app": "a"}}, "to": {"pods": {"app": "b"}}},
        }
    ]
)


def branches(t) -> dict[str, str]:
    return {b.pod: b.verdict.value for b in t.branches}


# --------------------------------------------------------------------------- the premise (passes today)


def test_the_engine_reaches_the_backend_on_the_other_node_through_the_external_ip():
    t = trace(verifier.load(EXTERNAL_IP), "x/a", "203.0.113.7", 80)
    assert t.verdict.value == "ALLOWED"
    assert branches(t) == {"x/b1": "DENIED", "x/b2": "ALLOWED"}


def test_the_engine_reaches_the_backend_on_the_other_node_through_either_node_port():
    c = verifier.load(NODE_PORT)
    assert branches(trace(c, "x/a", "192.168.0.1", 30080)) == {"x/b1": "DENIED", "x/b2": "ALLOWED"}
    assert branches(trace(c, "x/a", "192.168.0.2", 30080)) == {"x/b1": "ALLOWED", "x/b2": "DENIED"}


# --------------------------------------------------------------------------- the invariant


def test_external_ip_invariant_is_violated_by_the_backend_on_the_other_node():
    c = verifier.load(EXTERNAL_IP)
    result = check_invariant(c, A_NEVER_REACHES_B, timeout=TIMEOUT, max_counterexamples=5)
    assert result.status is VIOLATED, show(result)
    # Only x/b2 is reachable (x/b1 sits on the DNAT node and sees x/a's own address).
    assert {cx.pods for cx in result.counterexamples} == {("x/a", "x/b2")}, show(result)
    for cx in result.counterexamples:
        (t,) = cx.traces
        assert branches(t)["x/b2"] == "ALLOWED"


def reversed_pods(path: str, tmp_path) -> str:
    """The manifest with its documents in reverse order (x/b2 before x/b1): classes pick another representative."""
    docs = open(path, encoding="utf-8").read().split("\n---\n")
    out = tmp_path / ("reversed-" + path.rsplit("/", 1)[-1])
    out.write_text("\n---\n".join(reversed(docs)), encoding="utf-8")
    return str(out)


#: Which counterexample Z3 finds first depends on the limit and the input order: try several.
LIMITS = (1, 2, 3, 5)


def test_node_port_invariant_is_violated_and_each_counterexample_names_a_reachable_backend(
    tmp_path,
):
    # Through n1's NodePort only b2 is reachable, through n2's only b1.
    reachable_via = {"192.168.0.1": "x/b2", "192.168.0.2": "x/b1"}
    for path in (NODE_PORT, reversed_pods(NODE_PORT, tmp_path)):
        c = verifier.load(path)
        for limit in LIMITS:
            result = check_invariant(
                c, A_NEVER_REACHES_B, timeout=TIMEOUT, max_counterexamples=limit
            )
            assert result.status is VIOLATED, show(result)
            for cx in result.counterexamples:
                assert cx.pods[0] == "x/a" and cx.pods[-1] in ("x/b1", "x/b2"), show(result)
                (t,) = cx.traces
                assert branches(t)[cx.pods[-1]] == "ALLOWED", show(result)
                if t.destination in reachable_via:
                    assert cx.pods[-1] == reachable_via[t.destination], show(result)


def test_cli_external_ip_invariant_exits_1(capsys):
    run = netverify(
        capsys,
        "check",
        "-f",
        EXTERNAL_IP,
        "--invariants",
        INVARIANTS,
        "--property",
        "unique-pod-ips",
        "-o",
        "json",
    )
    assert run.code == 1, run.err
    (inv,) = [r for r in run.json["results"] if r["property"] == "invariant"]
    assert inv["status"] == "violated"
    assert {tuple(cx["pods"]) for cx in inv["counterexamples"]} == {("x/a", "x/b2")}


def test_cli_node_port_invariant_exits_1_not_70(capsys, tmp_path):
    for path in (NODE_PORT, reversed_pods(NODE_PORT, tmp_path)):
        for limit in LIMITS:
            run = netverify(
                capsys,
                "check",
                "-f",
                path,
                "--invariants",
                INVARIANTS,
                "--property",
                "unique-pod-ips",
                "--max-counterexamples",
                str(limit),
                "-o",
                "json",
            )
            assert "internal error" not in run.err, (limit, path, run.err)
            assert run.code == 1, (limit, path, run.err)
            (inv,) = [r for r in run.json["results"] if r["property"] == "invariant"]
            assert inv["status"] == "violated"
            assert inv["counterexamples"]
