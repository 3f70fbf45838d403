"""Property ``nat-free-pod-to-pod`` on its fixtures: the pods, the SNAT hop and the rule at fault."""

from __future__ import annotations

import pytest

from tests.properties.support import at, check, check_fixture, load_demo, refs, steps, where
from verifier.properties import Status
from verifier.trace import Verdict

PROP = "nat-free-pod-to-pod"


def test_calico_nat_outgoing_exempts_every_pool():
    """natOutgoing masquerades only towards destinations outside every pool: pod-to-pod is untouched."""
    result = check_fixture("nat-free/holds.yaml", PROP)
    assert (result.status, result.counterexamples) == (Status.HOLDS, ())


@pytest.mark.parametrize(
    ("index", "source", "destination", "src_ip", "dst_ip", "node", "node_ip"),
    [
        (0, "x/a", "x/b", "100.64.1.10", "100.64.2.10", "n1", "192.168.10.1"),
        (1, "x/b", "x/a", "100.64.2.10", "100.64.1.10", "n2", "192.168.20.2"),
    ],
)
def test_ip_masq_agent_defaults_masquerade_a_cgnat_pod_network(
    index, source, destination, src_ip, dst_ip, node, node_ip
):
    """Both directions are found; each trace's snat hop rewrites the source to the sending node's address."""
    result = check_fixture("nat-free/violated.yaml", PROP)
    assert result.status is Status.VIOLATED and len(result.counterexamples) == 2
    cx = result.counterexamples[index]
    assert cx.summary == (
        f"{source} -> {destination}: node {node} rewrites the source to {node_ip} "
        f"(ip-masq-agent masquerade: {dst_ip} is not exempt)"
    )
    assert cx.pods == (source, destination) and cx.allocation == {}
    assert (str(cx.packet.src_ip), str(cx.packet.dst_ip), cx.packet.protocol) == (
        src_ip,
        dst_ip,
        "TCP",
    )
    # The object at fault is the masquerade setting of the ClusterNetwork.
    assert refs(cx.objects) == ["ClusterNetwork cluster masquerade"]
    assert where(cx.location) == at("nat-free/violated.yaml", 11, "kind: ClusterNetwork")
    (t,) = cx.traces
    assert (t.verdict, t.source, str(t.destination), t.port) == (
        Verdict.ALLOWED,
        source,
        dst_ip,
        cx.packet.dst_port,
    )
    assert steps(t) == [
        ("egress", "allowed"),
        ("route", "remote"),
        ("snat", "masquerade"),
        ("ingress", "allowed"),
        ("deliver", "delivered"),
    ]
    snat = next(h for h in t.all_hops if h.step == "snat")
    assert snat.detail.endswith(f"source becomes node {node} {node_ip}")
    assert refs(snat.deciders) == ["ClusterNetwork cluster masquerade"]
    ingress = next(h for h in t.all_hops if h.step == "ingress")
    assert (str(ingress.packet.src_ip), str(ingress.packet.dst_ip)) == (node_ip, dst_ip)


def test_the_demo_holds_before_and_after_the_change():
    """The demo's IPv4 pool NATs outgoing traffic only; IPv6 has no NAT at all (README table)."""
    assert check(load_demo("base"), PROP).status is Status.HOLDS
    assert check(load_demo(), PROP).status is Status.HOLDS
