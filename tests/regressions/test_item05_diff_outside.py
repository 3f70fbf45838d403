"""Issue 7 item 5: ``diff`` reports flows to and from outside the cluster.

fixtures/tests/regressions/diff-egress: the change gives x/a egress to
198.51.100.0/24 on 443/TCP; diff-ingress: the change adds ``ipBlock 0.0.0.0/0``
to x/b's ingress rule (routed cluster: outside hosts address pod IPs). The fixed
diff names the outside side of such a flow ``"outside"``.

Observed on the code the issue was filed against: the egress change gives "no
flow changes between the two states" and ``--fail-on-new-allow`` exits 0; the
ingress change lists only the in-cluster pair x/c -> x/b.
"""

from __future__ import annotations

import verifier
from verifier.diff import diff
from verifier.engine import trace

from .support import TIMEOUT, fixture, netverify

EGRESS_OLD, EGRESS_NEW = fixture("diff-egress/old.yaml"), fixture("diff-egress/new.yaml")
INGRESS_OLD, INGRESS_NEW = fixture("diff-ingress/old.yaml"), fixture("diff-ingress/new.yaml")


def pairs(d) -> set[tuple[str, str, str]]:
    return {(c.change, c.source, c.destination) for c in d.changes}


def test_the_engine_sees_both_changes():
    old, new = verifier.load(EGRESS_OLD), verifier.load(EGRESS_NEW)
    assert (
        trace(old, "x/a", "198.51.100.10", 443).verdict.value,
        trace(new, "x/a", "198.51.100.10", 443).verdict.value,
    ) == ("DENIED", "ALLOWED")
    old, new = verifier.load(INGRESS_OLD), verifier.load(INGRESS_NEW)
    assert (
        trace(old, "198.51.100.10", "x/b", 80).verdict.value,
        trace(new, "198.51.100.10", "x/b", 80).verdict.value,
    ) == ("DENIED", "ALLOWED")


def test_the_in_cluster_pair_opened_by_the_ingress_ipblock_is_listed():
    d = diff(verifier.load(INGRESS_OLD), verifier.load(INGRESS_NEW), timeout=TIMEOUT)
    assert ("allowed", "x/c", "x/b") in pairs(d)


def test_egress_to_the_internet_is_a_newly_allowed_flow_to_outside():
    d = diff(verifier.load(EGRESS_OLD), verifier.load(EGRESS_NEW), timeout=TIMEOUT)
    assert pairs(d) == {("allowed", "x/a", "outside")}, pairs(d)
    (change,) = d.newly_allowed
    assert change.ports.contains(443, "TCP")
    assert not change.ports.contains(80, "TCP")
    assert change.new_trace.reachable and not change.old_trace.reachable


def test_cli_fail_on_new_allow_exits_1_for_egress_to_the_internet(capsys):
    run = netverify(
        capsys, "diff", "-f", EGRESS_OLD, "-f", EGRESS_NEW, "--fail-on-new-allow", "-o", "json"
    )
    assert run.code == 1, run.out + run.err
    assert [(c["source"], c["destination"]) for c in run.json["newly_allowed"]] == [
        ("x/a", "outside")
    ]


def test_ingress_from_everywhere_is_a_newly_allowed_flow_from_outside():
    d = diff(verifier.load(INGRESS_OLD), verifier.load(INGRESS_NEW), timeout=TIMEOUT)
    assert ("allowed", "outside", "x/b") in pairs(d), pairs(d)
    assert not d.newly_denied
    (change,) = [c for c in d.newly_allowed if c.source == "outside"]
    assert change.new_trace.reachable and not change.old_trace.reachable


def test_cli_diff_lists_the_flow_from_outside(capsys):
    run = netverify(
        capsys, "diff", "-f", INGRESS_OLD, "-f", INGRESS_NEW, "--fail-on-new-allow", "-o", "json"
    )
    assert run.code == 1, run.out + run.err
    assert ("outside", "x/b") in [
        (c["source"], c["destination"]) for c in run.json["newly_allowed"]
    ]
