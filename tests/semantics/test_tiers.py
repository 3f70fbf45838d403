"""AdminNetworkPolicy, BaselineAdminNetworkPolicy and Calico tiers: semantics.md §12 items 32-47.

Each test builds the checklist's cluster (namespaces x, y, z, monitoring; pods
``<ns>/<name>`` labelled ``app=<name>``) and asserts the engine's verdict and
the rule that decided.
"""

from __future__ import annotations

import pytest

from tests.builders import cluster, namespace, netpol, node, peer, pod, rule
from verifier.engine import trace
from verifier.errors import InputError
from verifier.ingest import loads
from verifier.model import (
    AdminNetworkPolicy,
    AdminPeer,
    AdminPort,
    AdminRule,
    CalicoPolicy,
    CalicoRule,
    EntityRule,
    LabelSelector,
    Requirement,
    Tier,
    ip_network,
)
from verifier.trace import Verdict


def ns_is(name: str) -> LabelSelector:
    return LabelSelector((Requirement("kubernetes.io/metadata.name", "In", (name,)),))


def from_ns(name: str) -> AdminPeer:
    return AdminPeer(namespaces=ns_is(name))


def anp(
    name: str, priority: int, *, subject: str = "x", ingress=(), egress=()
) -> AdminNetworkPolicy:
    return AdminNetworkPolicy(
        name,
        priority,
        subject_namespaces=ns_is(subject),
        ingress=tuple(ingress),
        egress=tuple(egress),
    )


def banp(*, subject: str = "x", ingress=(), egress=()) -> AdminNetworkPolicy:
    return AdminNetworkPolicy(
        "default",
        None,
        subject_namespaces=ns_is(subject),
        ingress=tuple(ingress),
        egress=tuple(egress),
        baseline=True,
    )


NODES = (node("n1", ip="192.168.0.1"), node("n2", ip="192.168.0.2"))


def world(*objects):
    pods = [
        pod("x/a", ip="10.244.1.10", node="n1", ports=[("http", 80)]),
        pod("x/b", ip="10.244.1.11", node="n1"),
        pod("y/b", ip="10.244.2.10", node="n2"),
        pod("z/c", ip="10.244.2.11", node="n2"),
        pod("monitoring/prom", ip="10.244.2.12", node="n2"),
    ]
    # Outside clients (8.8.8.8) reach pod IPs: a routed pod network, as the items assume.
    return cluster(
        *NODES, *pods, namespace("monitoring"), *objects, pods_routable_from_outside=True
    )


def verdict(c, src, dst, port=80, proto="TCP"):
    return trace(c, src, dst, port, proto)


def deciding_hop(t, step="ingress"):
    return next(h for h in t.all_hops if h.step == step)


def test_item_32_admin_deny_beats_networkpolicy_allow():
    deny = anp("deny-y", 10, ingress=[AdminRule("Deny", (from_ns("y"),))])
    allow = netpol(
        "x/allow-y", ingress=[rule(peer(namespaces={"kubernetes.io/metadata.name": "y"}))]
    )
    t = verdict(world(deny, allow), "y/b", "x/a")
    assert t.verdict is Verdict.DENIED
    assert "denied by AdminNetworkPolicy deny-y ingress[0]" in deciding_hop(t).detail


def test_item_33_admin_allow_overrides_networkpolicy_isolation():
    allow = anp(
        "monitoring", 5, subject="x", ingress=[AdminRule("Allow", (from_ns("monitoring"),))]
    )
    deny_all = netpol("x/deny-all")
    c = world(allow, deny_all)
    assert verdict(c, "monitoring/prom", "x/a").verdict is Verdict.ALLOWED
    assert verdict(c, "y/b", "x/a").verdict is Verdict.DENIED


def test_item_34_pass_then_networkpolicy_isolation_is_final():
    passes = anp("pass-y", 10, ingress=[AdminRule("Pass", (from_ns("y"),))])
    isolate = netpol("x/isolate-a", select={"app": "a"})
    baseline = banp(ingress=[AdminRule("Allow", (from_ns("y"),))])
    t = verdict(world(passes, isolate, baseline), "y/b", "x/a")
    assert t.verdict is Verdict.DENIED
    assert "isolated by x/isolate-a" in deciding_hop(t).detail


def test_item_35_pass_reaches_the_baseline():
    passes = anp("pass-y", 10, ingress=[AdminRule("Pass", (from_ns("y"),))])
    baseline = banp(ingress=[AdminRule("Deny", (from_ns("y"),))])
    c = world(passes, baseline)
    t = verdict(c, "y/b", "x/a")
    assert t.verdict is Verdict.DENIED
    assert "BaselineAdminNetworkPolicy default ingress[0]" in deciding_hop(t).detail
    assert verdict(c, "z/c", "x/a").verdict is Verdict.ALLOWED


def test_item_36_lower_priority_value_wins():
    a = anp("a-allow", 3, ingress=[AdminRule("Allow", (from_ns("y"),))])
    b = anp("b-deny", 5, ingress=[AdminRule("Deny", (from_ns("y"),))])
    t = verdict(world(b, a), "y/b", "x/a")
    assert t.verdict is Verdict.ALLOWED
    assert "a-allow" in deciding_hop(t).detail


def test_item_37_same_priority_is_ordered_by_name_deterministically():
    # Upstream leaves the order open; netverify picks (priority, name) so results are reproducible.
    a = anp("a-allow", 7, ingress=[AdminRule("Allow", (from_ns("y"),))])
    b = anp("b-deny", 7, ingress=[AdminRule("Deny", (from_ns("y"),))])
    assert verdict(world(b, a), "y/b", "x/a").verdict is Verdict.ALLOWED


def test_item_38_rules_apply_in_written_order():
    p = anp(
        "ordered",
        10,
        ingress=[
            AdminRule("Allow", (from_ns("y"),), (AdminPort("TCP", 80),)),
            AdminRule("Deny", (from_ns("y"),)),
        ],
    )
    c = world(p)
    assert verdict(c, "y/b", "x/a", 80).verdict is Verdict.ALLOWED
    assert verdict(c, "y/b", "x/a", 443).verdict is Verdict.DENIED


def test_item_39_networks_deny_is_per_family_and_covers_pods():
    p = anp(
        "no-v4-egress",
        10,
        egress=[AdminRule("Deny", (AdminPeer(networks=(ip_network("0.0.0.0/0"),)),))],
    )
    c = world(p)
    assert verdict(c, "x/a", "y/b").verdict is Verdict.DENIED  # pod-to-pod included
    assert verdict(c, "x/a", "8.8.8.8", 53, "UDP").verdict is Verdict.DENIED
    assert verdict(c, "y/b", "x/a").verdict is Verdict.ALLOWED  # other direction untouched


def test_item_40_admin_policies_do_not_isolate():
    p = anp("egress-only", 10, egress=[AdminRule("Deny", (from_ns("z"),))])
    assert verdict(world(p), "y/b", "x/a").verdict is Verdict.ALLOWED


def test_item_41_baseline_must_be_named_default():
    with pytest.raises(InputError) as err:
        loads(
            """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: baseline}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
""",
            "banp.yaml",
        )
    assert "must be named 'default'" in str(err.value)
    assert "banp.yaml:4" in str(err.value)


def test_item_42_calico_global_policy_order_before_kubernetes_policy():
    gnp = CalicoPolicy(
        "deny-b-to-a",
        None,
        order=10,
        selector="app == 'a'",
        ingress=(CalicoRule("Deny", source_rule=EntityRule(selector="app == 'b'")),),
    )
    allow_all = netpol("x/allow-all-to-a", select={"app": "a"}, ingress=[rule()])
    c = world(gnp, allow_all)
    t = verdict(c, "x/b", "x/a")
    assert t.verdict is Verdict.DENIED
    assert "GlobalNetworkPolicy deny-b-to-a ingress[0]" in deciding_hop(t).detail
    assert verdict(c, "z/c", "x/a").verdict is Verdict.ALLOWED


@pytest.mark.parametrize(
    "default_action, expected", [("Deny", Verdict.DENIED), ("Pass", Verdict.ALLOWED)]
)
def test_item_43_tier_default_action(default_action, expected):
    tier = Tier("security", 100, default_action)
    only_80 = CalicoPolicy(
        "web",
        "x",
        tier="security",
        selector="app == 'a'",
        ingress=(CalicoRule("Allow", protocol="TCP", destination=EntityRule(ports=((80, 80),))),),
    )
    allow_all = netpol("x/allow-all", ingress=[rule()])
    c = world(tier, only_80, allow_all)
    assert verdict(c, "y/b", "x/a", 80).verdict is Verdict.ALLOWED
    assert verdict(c, "y/b", "x/a", 443).verdict is expected


def test_item_44_calico_types_default_to_egress_only():
    c = loads(
        """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: out, namespace: x}
spec:
  selector: app == 'a'
  egress: [{action: Allow}]
""",
        "calico.yaml",
    )
    assert c.calico_policies[0].types == ("Egress",)


def test_item_45_not_equal_matches_pods_without_the_label():
    p = CalicoPolicy(
        "not-prod",
        "x",
        selector="app == 'a'",
        ingress=(CalicoRule("Allow", source_rule=EntityRule(selector="env != 'prod'")),),
    )
    assert verdict(world(p), "x/b", "x/a").verdict is Verdict.ALLOWED


def test_item_46_selector_all_matches_endpoints_only():
    all_pods = CalicoPolicy(
        "all-pods",
        "x",
        selector="app == 'a'",
        ingress=(CalicoRule("Allow", source_rule=EntityRule(selector="all()")),),
    )
    anyone = CalicoPolicy("anyone", "x", selector="app == 'a'", ingress=(CalicoRule("Allow"),))
    assert verdict(world(all_pods), "8.8.8.8", "10.244.1.10").verdict is Verdict.DENIED
    assert verdict(world(anyone), "8.8.8.8", "10.244.1.10").verdict is Verdict.ALLOWED


def test_item_47_not_selector_admits_outside_and_unlabelled():
    p = CalicoPolicy(
        "not-blocked",
        "x",
        selector="app == 'a'",
        ingress=(CalicoRule("Allow", source_rule=EntityRule(not_selector="has(blocked)")),),
    )
    blocked = pod("x/bad", ip="10.244.1.12", node="n1", labels={"blocked": "yes"})
    c = world(p, blocked)
    assert verdict(c, "8.8.8.8", "10.244.1.10").verdict is Verdict.ALLOWED
    assert verdict(c, "x/b", "x/a").verdict is Verdict.ALLOWED
    assert verdict(c, "x/bad", "x/a").verdict is Verdict.DENIED


def test_item_37_the_isolation_property_reports_the_priority_tie():
    """Same priority, different actions, one pod: reported as a finding (the order is the implementation's)."""
    from verifier.properties import isolation

    a = anp("a-allow", 7, ingress=[AdminRule("Allow", (from_ns("y"),))])
    b = anp("b-deny", 7, ingress=[AdminRule("Deny", (from_ns("y"),))])
    result = isolation.check(world(b, a), timeout=10)
    assert [f.message.split(":")[0] for f in result.findings] == [
        "AdminNetworkPolicies a-allow and b-deny share priority 7 and both apply to x/a (ingress) with different actions"
    ]
    assert isolation.check(world(a), timeout=10).findings == ()
