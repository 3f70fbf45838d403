"""The cluster DNS a repository does not show (issue 10): a lookup is a flow to the DNS pods the
profile (ClusterNetwork.dnsProfile) says the cluster runs, unless the input has its own."""

from __future__ import annotations

import pytest

from tests.builders import netpol, peer, rule
from tests.engine import support
from tests.engine.support import cluster_dns, dns_egress
from verifier.engine import trace
from verifier.semantics.infrastructure import with_implicit_infrastructure
from verifier.trace import Verdict


def world(*objects, **config):
    """The engine's test world as the loader would give it: with the cluster's own DNS and API server."""
    return with_implicit_infrastructure(support.world(*objects, **config))


def egress(*rules):
    """x/a may open only ``rules``."""
    return netpol("x/a-out", select={"app": "a"}, egress=list(rules), types=["Egress"])


#: What the ACS security demo allows for DNS: UDP 5353 anywhere (OpenShift's DNS pod port).
PORT_5353 = rule(ports=["5353/UDP"])
TO_B = rule(peer(pods={"app": "b"}), ports=["80"])


def lookup(c, name="b"):
    """x/a connects to Service x/b by name: a lookup first, then the connection."""
    return trace(c, "x/a", name, 80)


@pytest.fixture
def web():
    from tests.builders import service

    return service("x/b", ip="10.96.0.30", selector={"app": "b"}, ports=[("http", 80, 80)])


def test_default_deny_egress_without_a_dns_rule_blocks_lookups(web):
    t = lookup(world(web, egress(TO_B)))
    assert t.verdict is Verdict.DNS_BLOCKED
    blocked = next(h for h in t.hops if h.step == "dns-query")
    assert blocked.outcome == "blocked"
    assert blocked.detail.endswith(
        "the cluster DNS is kube-system/kube-dns of the coredns profile (assumed: the input has no "
        "cluster DNS; ClusterNetwork.dnsProfile chooses another): egress must allow its pods "
        "(kube-system, k8s-app=kube-dns) on 53/UDP and 53/TCP"
    )


def test_the_usual_dns_recipe_unblocks_them(web):
    t = lookup(world(web, egress(TO_B, dns_egress())))
    assert t.verdict is Verdict.ALLOWED
    query = next(h for h in t.hops if h.step == "dns-query")
    assert query.outcome == "allowed" and "kube-system/coredns-" in query.detail


def test_port_5353_is_blocked_under_coredns_and_allowed_under_openshift(web):
    assert lookup(world(web, egress(TO_B, PORT_5353))).verdict is Verdict.DNS_BLOCKED
    t = lookup(world(web, egress(TO_B, PORT_5353), dns_profile="openshift"))
    assert t.verdict is Verdict.ALLOWED
    assert "openshift-dns/dns-default-" in next(h for h in t.hops if h.step == "dns-query").detail
    # and the CoreDNS recipe is not enough under OpenShift (other namespace, other port)
    t = lookup(world(web, egress(TO_B, dns_egress()), dns_profile="openshift"))
    assert t.verdict is Verdict.DNS_BLOCKED


def test_the_dns_pods_ingress_counts_too(web):
    closed = netpol("kube-system/deny-all", select="", ingress=[], types=["Ingress"])
    assert lookup(world(web, closed)).verdict is Verdict.DNS_BLOCKED


def test_the_assumed_profile_assumes_a_working_dns(web):
    t = lookup(world(web, egress(TO_B), dns_profile="assumed"))
    assert t.verdict is Verdict.ALLOWED
    assert t.notes == ("no cluster DNS pods in the input: a working cluster DNS is assumed",)


def test_dns_pods_in_the_input_are_used_never_made_up(web):
    t = lookup(world(web, *cluster_dns(), egress(TO_B, dns_egress())))
    query = next(h for h in t.hops if h.step == "dns-query")
    assert t.verdict is Verdict.ALLOWED and query.detail.endswith("reaches kube-system/coredns")


def test_made_up_dns_pods_are_servers_only(web):
    """They are in the cluster (marked implicit) so every interpreter sees the same lookup, but
    no flow from them is checked (nat-free-pod-to-pod leaves them out as clients); the matrix
    shows them as the live cluster would: their column says who reaches the DNS."""
    from verifier.matrix import matrix
    from verifier.properties import PROPERTIES

    c = world(web, egress(TO_B))
    dns_pods = [p for p in c.pods if p.namespace == "kube-system"]
    assert [p.ref for p in dns_pods] == ["kube-system/coredns-0", "kube-system/coredns-1"]
    assert all(
        p.implicit and str(p.source) == "<implicit: cluster DNS, coredns profile>" for p in dns_pods
    )
    result = PROPERTIES["nat-free-pod-to-pod"].check(c)
    assert not any("kube-system/" in ref for cx in result.counterexamples for ref in cx.pods)
    blocked = matrix(c)
    assert not blocked.reachable("x/a", "kube-system/coredns-0")
    assert matrix(world(web, egress(TO_B, dns_egress()))).reachable("x/a", "kube-system/coredns-0")


@pytest.mark.parametrize("dns", [False, True])
def test_a_reach_invariant_checks_the_lookup_the_engine_makes(web, dns):
    """The invariant's proof and the engine's trace check the lookup against the same DNS pods:
    with the DNS rule, "x/a reaches b" holds and "x/a never reaches b" is violated; without it
    the other way round. (With the DNS made up for the engine's lookup only, the expect-deny
    invariant held while the engine said ALLOWED, and expect-allow crashed.)"""
    from verifier.properties import Status
    from verifier.properties.invariants import check_invariant, parse_invariants

    c = world(web, egress(TO_B, *([dns_egress()] if dns else [])))
    assert lookup(c).verdict is (Verdict.ALLOWED if dns else Verdict.DNS_BLOCKED)
    for expect in ("allow", "deny"):
        (inv,) = parse_invariants(
            [{"name": expect, "reach": {"from": "x/a", "to": "b", "port": 80, "expect": expect}}]
        )
        holds = (expect == "allow") == dns
        assert check_invariant(c, inv).status is (Status.HOLDS if holds else Status.VIOLATED)
