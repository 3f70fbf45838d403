"""Names resolved outside the cluster (issue 8): a connection to a public name the input does not
pin is decided for every outside address it may resolve to; a pinned name uses its address."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from tests.builders import netpol, peer, rule
from tests.engine.support import dns_egress, world
from verifier.engine import trace
from verifier.trace import Verdict

PUBLIC = ip_network("203.0.113.0/24")


def egress_to(*peers, ports=("443",)):
    """x/a may open 443/TCP to ``peers`` only (and look names up)."""
    return netpol("x/a-out", select={"app": "a"}, egress=[rule(*peers, ports=ports), dns_egress()])


def examples(t):
    return [(b.ip, b.verdict) for b in t.branches]


def test_open_egress_reaches_every_outside_address():
    t = trace(world(), "x/a", "google.com", 443)
    assert t.verdict is Verdict.ALLOWED
    assert [h.outcome for h in t.hops if h.step == "resolve"] == ["upstream"]
    ((ip, verdict),) = examples(t)
    assert verdict is Verdict.ALLOWED and not ip.is_private
    assert t.notes[-1] == "allowed to every outside address"


def test_an_ipblock_makes_it_depend_on_the_address():
    t = trace(world(egress_to(peer(cidr=str(PUBLIC)))), "x/a", "api.partner.example.com", 443)
    assert t.verdict is Verdict.DEPENDS and not t.reachable
    (allowed, a), (denied, d) = examples(t)
    assert (a, d) == (Verdict.ALLOWED, Verdict.DENIED)
    assert allowed in PUBLIC and denied not in PUBLIC
    deciders = [x.ref for b in t.branches[:1] for h in b.hops for x in h.deciders]
    assert "NetworkPolicy x/a-out egress[0]" in deciders
    assert t.notes[-1].startswith(f"allowed to some outside addresses (e.g. {allowed})")


def test_no_outside_egress_is_denied_everywhere():
    t = trace(world(egress_to(peer(pods={"app": "b"}))), "x/a", "google.com", 443)
    assert t.verdict is Verdict.DENIED
    ((_ip, verdict),) = examples(t)
    assert verdict is Verdict.DENIED
    assert t.notes[-1] == "denied to every outside address"


def test_a_declared_name_uses_its_address():
    c = world(
        egress_to(peer(cidr=str(PUBLIC))),
        external_names={"api.partner.example.com": ["203.0.113.7"]},
    )
    t = trace(c, "x/a", "api.partner.example.com", 443)
    assert (t.verdict, t.address) == (Verdict.ALLOWED, ip_address("203.0.113.7"))
    assert [h.outcome for h in t.hops if h.step == "resolve"] == ["resolved"]


@pytest.mark.parametrize("name", ["nosuchservice", "db.invalid", "web.y.svc.cluster.local"])
def test_names_nobody_answers_stay_nxdomain(name):
    """A single label, a reserved TLD, or a name in the cluster zone: the answer is known."""
    assert trace(world(), "x/a", name, 443).verdict is Verdict.NXDOMAIN
