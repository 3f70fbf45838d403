"""Issue 7 item 8: service-resolution on an ``internalTrafficPolicy: Local`` Service with a stale endpoint.

fixtures/tests/regressions/itp-local-stale-endpoint.yaml: x/web's slice lists
x/web-0 (n1) and 10.244.2.99 on n2, an address no pod holds. Only a client on
n2 is DNATed to the stale endpoint (the Local set is the client's node's).

Correct: VIOLATED, the counterexample names 10.244.2.99:8080 and carries a trace
that goes there (from n2), exit 1.
Observed on d7fb6f3 (and still at the time of writing): SoundnessError
"service-resolution: Z3 says x/web DNATs to 10.244.2.99:8080, the engine does
not" (the replay client x/client sits on n1), exit 70.
Fixed by 08cd08b ("One driver, one journey for every property"): the tests
fail on d7fb6f3 and pass since, so they carry no xfail marker.
"""

from __future__ import annotations

from ipaddress import ip_address

import verifier
from verifier.engine import trace
from verifier.properties import PROPERTIES

from .support import TIMEOUT, VIOLATED, fixture, netverify, show

CLUSTER = fixture("itp-local-stale-endpoint.yaml")
STALE = ip_address("10.244.2.99")


def backends(t) -> set[tuple[str | None, str, int]]:
    return {(b.pod, str(b.ip), b.port) for b in t.branches}


def test_only_clients_on_n2_are_sent_to_the_stale_endpoint():
    c = verifier.load(CLUSTER)
    assert backends(trace(c, "x/client", "10.96.0.20", 80)) == {("x/web-0", "10.244.1.10", 8080)}
    assert backends(trace(c, "x/client2", "10.96.0.20", 80)) == {(None, "10.244.2.99", 8080)}


def test_the_stale_endpoint_is_a_violation_with_a_trace_that_reaches_it():
    result = PROPERTIES["service-resolution"].check(
        verifier.load(CLUSTER), timeout=TIMEOUT, max_counterexamples=5
    )
    assert result.status is VIOLATED, show(result)
    stale = [cx for cx in result.counterexamples if "10.244.2.99:8080" in cx.summary]
    assert len(stale) == 1, show(result)
    (cx,) = stale
    assert cx.traces, "the counterexample carries no trace"
    assert any(b.ip == STALE and b.port == 8080 for t in cx.traces for b in t.branches), cx.traces
    # x/web-0 is where it should be: nothing else is wrong with this Service.
    assert len(result.counterexamples) == 1, show(result)


def test_cli_check_exits_1_not_70(capsys):
    run = netverify(
        capsys, "check", "-f", CLUSTER, "--property", "service-resolution", "-o", "json"
    )
    assert "internal error" not in run.err
    assert run.code == 1, run.err
    (result,) = run.json["results"]
    assert result["status"] == "violated"
    assert any(
        "10.244.2.99:8080" in cx["summary"] and cx["traces"] for cx in result["counterexamples"]
    )
