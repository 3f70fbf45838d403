"""Property ``dual-stack-coverage``: the flow that works in one family only, both traces, the rule that needs a twin."""

from __future__ import annotations

import pytest

from tests.properties.support import at, check, check_fixture, in_net, load_demo, refs, where
from verifier.properties import Status
from verifier.trace import Verdict

PROP = "dual-stack-coverage"


def _dual_stack_nodes(count: int = 2):
    """Nodes n1, n2, ... with an address and a podCIDR of each family."""
    from tests.builders import node

    return [
        node(
            f"n{i}",
            [f"192.168.0.{i}", f"fd00:192::{i}"],
            pod_cidr=[f"10.244.{i}.0/24", f"fd00:10:244:{i}::/64"],
        )
        for i in range(1, count + 1)
    ]


def test_both_families_everywhere_holds():
    result = check_fixture("dual-stack/holds.yaml", PROP)
    assert (result.status, result.counterexamples) == (Status.HOLDS, ())


def test_a_single_stack_cluster_has_nothing_to_cover():
    result = check_fixture("unique-ips/holds.yaml", PROP)
    assert (result.status, result.statement) == (
        Status.HOLDS,
        "single-stack cluster: nothing to cover",
    )


def test_an_ipv4_only_ipblock_to_an_outside_host():
    """x/a reaches api.example.net's IPv4 address on 443/TCP, not its IPv6 one; the IPv4-only rule is at fault."""
    result = check_fixture("dual-stack/violated.yaml", PROP)
    assert result.status is Status.VIOLATED
    (cx,) = result.counterexamples
    assert (
        cx.summary
        == "x/a -> api.example.net (203.0.113.5 / 2001:db8:113::5) 443/TCP works over IPv4 but not over IPv6"
    )
    assert (cx.pods, cx.allocation) == (("x/a",), {})
    assert refs(cx.objects) == ["NetworkPolicy x/a-egress egress[1]", "NetworkPolicy x/a-egress"]
    assert where(cx.location) == at("dual-stack/violated.yaml", 118, "- to:")
    assert where(cx.objects[1]) == at(
        "dual-stack/violated.yaml", 105, "name: a-egress, namespace: x"
    )
    v4, v6 = cx.traces
    assert (v4.verdict, v4.family, str(v4.destination), v4.port, v4.protocol) == (
        Verdict.ALLOWED,
        4,
        "203.0.113.5",
        443,
        "TCP",
    )
    assert (v6.verdict, v6.family, str(v6.destination), v6.port, v6.protocol) == (
        Verdict.DENIED,
        6,
        "2001:db8:113::5",
        443,
        "TCP",
    )
    egress_v4 = next(h for h in v4.all_hops if h.step == "egress")
    egress_v6 = next(h for h in v6.all_hops if h.step == "egress")
    assert (egress_v4.outcome, refs(egress_v4.deciders)) == (
        "allowed",
        ["NetworkPolicy x/a-egress egress[1]"],
    )
    assert (egress_v6.outcome, refs(egress_v6.deciders)) == ("denied", ["NetworkPolicy x/a-egress"])


def test_an_ipv4_only_ipblock_between_pods():
    """The web pods admit n1's pods by IPv4 CIDR only: both pod-class pairs are found, both traces differ."""
    result = check_fixture("dual-stack/violated-pods.yaml", PROP, max_counterexamples=10)
    assert result.status is Status.VIOLATED
    first, second = result.counterexamples
    assert first.pods[0] == "x/a" and first.pods[1] in ("x/web-0", "x/web-1")
    assert second.pods == ("x/web-0", "x/web-1")
    for cx in (first, second):
        src, dst = cx.pods
        assert cx.summary == f"{src} -> {dst} 8080/TCP works over IPv4 but not over IPv6"
        assert refs(cx.objects) == [
            "NetworkPolicy x/web-from-n1 ingress[0]",
            "NetworkPolicy x/web-from-n1",
        ]
        assert where(cx.location) == at("dual-stack/violated-pods.yaml", 138, "- from:")
        v6 = cx.traces[1]
        assert [
            (t.verdict, t.family, t.source, t.decisive_branch.pod, t.port) for t in cx.traces
        ] == [
            (Verdict.ALLOWED, 4, src, dst, 8080),
            (Verdict.DENIED, 6, src, dst, 8080),
        ]
        assert next(h for h in v6.all_hops if h.step == "ingress").outcome == "denied"


@pytest.mark.parametrize(
    ("index", "summary", "objects", "location"),
    [
        (
            0,
            "x/web-1 has only IPv4 in a dual-stack cluster: it is unreachable over the other family",
            ["Pod x/web-1", "Node n2 spec.podCIDRs"],
            (72, "name: web-1, namespace: x"),
        ),
        (
            1,
            "node n2 has podCIDRs 10.244.2.0/24 only: its pods get a single family",
            ["Node n2 spec.podCIDRs"],
            (36, "name: n2"),
        ),
        (
            2,
            "Service x/web (PreferDualStack) reaches x/web-1 only in its IPv4 endpoints: its two families lead to different pods",
            ["Service x/web"],
            (84, "name: web, namespace: x"),
        ),
        (
            3,
            "Service x/web-pods (RequireDualStack) reaches x/web-1 only in its IPv4 endpoints: its two families lead to different pods",
            ["Service x/web-pods"],
            (97, "name: web-pods, namespace: x"),
        ),
    ],
)
def test_a_node_without_an_ipv6_pod_cidr(index, summary, objects, location):
    """One missing podCIDR: the pod, the node and both Services are each reported once, in this order."""
    result = check_fixture(
        "dual-stack/violated-single-stack-node.yaml", PROP, max_counterexamples=10
    )
    assert result.status is Status.VIOLATED and len(result.counterexamples) == 4
    cx = result.counterexamples[index]
    assert cx.summary == summary
    assert refs(cx.objects) == objects
    assert where(cx.location) == at("dual-stack/violated-single-stack-node.yaml", *location)


def test_the_demo_emailservice_egress_lacks_its_ipv6_twin():
    """Base holds; with the change emailservice reaches dual-stack hosts over IPv4 only (README mistake 4)."""
    assert check(load_demo("base"), PROP).status is Status.HOLDS
    result = check(load_demo(), PROP)
    assert result.status is Status.VIOLATED
    assert [cx.summary for cx in result.counterexamples] == [
        "shop/emailservice-0 -> api.stripe.com (203.0.113.10 / 2001:db8::10) 443/TCP works over IPv4 but not over IPv6",
        "shop/emailservice-0 -> api.sendgrid.com (198.51.100.25 / 2001:db8:25::25) 443/TCP works over IPv4 but not over IPv6",
    ]
    for cx in result.counterexamples:
        assert where(cx.location) == at("fixtures/demo/change/emailservice.yaml", 95, "- to:")
        assert cx.location.ref == "NetworkPolicy shop/emailservice egress[0]"
        # emailservice-0 has no address in the input: both of the addresses netverify chose are shown.
        ip4, ip6 = cx.allocation["shop/emailservice-0"].split(", ")
        assert in_net(ip4, "10.244.0.0/16") and in_net(ip6, "fd00:10:244::/56")
        assert [(t.verdict, t.family) for t in cx.traces] == [
            (Verdict.ALLOWED, 4),
            (Verdict.DENIED, 6),
        ]
        assert str(cx.traces[0].all_hops[0].packet.src_ip) == ip4
        assert str(cx.traces[1].all_hops[0].packet.src_ip) == ip6


def test_a_single_stack_node_port_takes_a_port_only_in_its_family():
    """An IPv4-only NodePort Service without endpoints takes 30080/TCP on the nodes' IPv4
    addresses; over IPv6 the same port reaches the hostNetwork pod listening there.
    No policy is involved: the frontend alone makes the families differ (oracle, seeds 9 and 30)."""
    from tests.builders import cluster, pod, service
    from verifier.properties import check as check_cluster

    c = cluster(
        *_dual_stack_nodes(),
        pod("x/client", ip=["10.244.2.5", "fd00:10:244:2::5"], node="n2"),
        pod("x/agent", node="n1", host_network=True, ports=[30080]),
        service("x/web", ip="10.96.0.20", type="NodePort", ports=[("http", 80, 80, "TCP", 30080)]),
    )
    (result,) = check_cluster(c, properties=[PROP]).results
    assert result.status is Status.VIOLATED
    cx = next(cx for cx in result.counterexamples if "x/agent" in cx.pods)
    assert cx.summary.startswith("x/client -> x/agent") and cx.summary.endswith(
        "30080/TCP works over IPv6 but not over IPv4"
    ), cx.summary
    v4, v6 = cx.traces
    assert (v4.verdict, v6.verdict) == (Verdict.NO_ENDPOINTS, Verdict.ALLOWED)


def test_a_host_port_bound_to_the_ipv4_address_only_takes_the_port_in_ipv4():
    """x/web's hostPort 8443 is bound to n1's IPv4 address (hostIP): over IPv4, n1:8443 goes to
    x/web; over IPv6 it reaches n1's host network, where the hostNetwork x/agent runs. The
    IPv4 trace delivers elsewhere, which the replay accepts (oracle seeds 10060, 10109)."""
    from tests.builders import cluster, pod
    from verifier.model import ContainerPort
    from verifier.properties import check as check_cluster

    n1, n2 = _dual_stack_nodes()
    c = cluster(
        n1,
        n2,
        pod("x/client", ip=["10.244.2.5", "fd00:10:244:2::5"], node="n2"),
        pod("x/agent", ip=["192.168.0.1", "fd00:192::1"], node="n1", host_network=True),
        pod(
            "x/web",
            ip=["10.244.1.7", "fd00:10:244:1::7"],
            node="n1",
            ports=[ContainerPort(443, "TCP", "https", 8443, "192.168.0.1")],
        ),
    )
    (result,) = check_cluster(c, properties=[PROP]).results
    assert result.status is Status.VIOLATED
    summaries = [cx.summary for cx in result.counterexamples]
    cx = next(cx for cx in result.counterexamples if "x/agent" in cx.pods)
    assert cx.summary == "x/client -> x/agent 8443/TCP works over IPv6 but not over IPv4", summaries
    v4, v6 = cx.traces
    assert (v4.verdict, v4.branches[0].pod) == (Verdict.ALLOWED, "x/web")
    assert (v6.verdict, str(v6.branches[0].ip)) == (Verdict.ALLOWED, "fd00:192::1")
    assert v6.branches[0].hops[-1].detail == "delivered to the host network of node n1"


def _stale_endpoint_cluster(*, target: str = "y/gone"):
    """Dual-stack Service y/s0 selects no pod; its slices still name 10.244.1.250 and
    fd00:10:244:1::fa for ``target``. y/p4's address is allocated from n1's ranges."""
    from tests.builders import cluster, endpoint, endpoint_slice, pod, service

    (n1,) = _dual_stack_nodes(1)
    slices = [
        endpoint_slice(
            f"y/s0-v{fam}",
            service="s0",
            endpoints=[endpoint(ip, node="n1", pod=target)],
            ports=[("p0", 8080, "UDP")],
            address_type=f"IPv{fam}",
        )
        for fam, ip in ((4, "10.244.1.250"), (6, "fd00:10:244:1::fa"))
    ]
    return cluster(
        n1,
        pod("z/p0", ip=["10.244.1.5", "fd00:10:244:1::5"], node="n1"),
        pod("y/p4", ip=["10.244.1.67", "fd00:10:244:1::3"], node="n1", ip_allocated=True),
        service("y/s0", ip=["10.96.0.10", "fd00:10:96::a"], ports=[("p0", 8080, 8080, "UDP")]),
        slices,
    )


@pytest.mark.parametrize("family, stale", [(4, "10.244.1.250"), (6, "fd00:10:244:1::fa")])
def test_an_allocated_pod_never_takes_an_address_an_endpoint_slice_names(family, stale):
    """Oracle seed 12280: y/p4 holding the stale IPv4 endpoint address but another IPv6 one
    would make y/s0 reach it over IPv4 only; the property, deciding on one allocation, said
    HOLDS. A slice naming an address says it is in use (by y/gone): no IPAM hands it out, so
    no allocation the proof covers puts y/p4 there, in either family."""
    import z3

    from verifier.model import ip_address
    from verifier.symbolic.encoder import Encoder

    enc = Encoder(_stale_endpoint_cluster(), family)
    solver = z3.Solver()
    solver.add(*enc.constraints)
    assert solver.check() == z3.sat
    solver.add(enc.allocated[("y/p4", family)] == int(ip_address(stale)))
    assert solver.check() == z3.unsat
    assert check(_stale_endpoint_cluster(), PROP).status is Status.HOLDS


def test_the_target_of_an_endpoint_may_hold_its_address():
    """The address a slice names for y/p4 itself stays one y/p4 may hold."""
    import z3

    from verifier.model import ip_address
    from verifier.symbolic.encoder import Encoder

    enc = Encoder(_stale_endpoint_cluster(target="y/p4"), 4)
    solver = z3.Solver()
    solver.add(*enc.constraints, enc.allocated[("y/p4", 4)] == int(ip_address("10.244.1.250")))
    assert solver.check() == z3.sat


def test_a_pod_address_inside_the_ipv4_service_range_is_reached_over_ipv6_only():
    """Oracle seed 48033: an IP pool inside the Service range gave x/db 10.96.0.31. Inside
    the cluster that address is kube-proxy's, so x/client never reaches x/db at it, while
    over IPv6 it does. No policy and no frontend differ by family, and the property skipped
    the pair as family-blind: HOLDS. The Service range is a rule that reads the family."""
    from tests.builders import cluster, pod
    from verifier.properties import check as check_cluster

    c = cluster(
        *_dual_stack_nodes(1),
        pod("x/client", ip=["10.244.1.5", "fd00:10:244:1::5"], node="n1"),
        pod("x/db", ip=["10.96.0.31", "fd00:10:244:1::1f"], node="n1", ports=[5432]),
    )
    (result,) = check_cluster(c, properties=[PROP]).results
    assert result.status is Status.VIOLATED
    summaries = [cx.summary for cx in result.counterexamples]
    cx = next(cx for cx in result.counterexamples if cx.pods == ("x/client", "x/db"))
    assert cx.summary.startswith("x/client -> x/db ") and cx.summary.endswith(
        " works over IPv6 but not over IPv4"
    ), summaries
    v4, v6 = cx.traces
    assert (v4.verdict, v6.verdict) == (Verdict.NO_SERVICE_PORT, Verdict.ALLOWED)


def _client_and_web():
    """Two dual-stack nodes, x/client on n2 and x/web-0 (app=web) on n1."""
    from tests.builders import pod

    return [
        *_dual_stack_nodes(),
        pod("x/client", ip=["10.244.2.5", "fd00:10:244:2::5"], node="n2"),
        pod("x/web-0", ip=["10.244.1.7", "fd00:10:244:1::7"], node="n1", labels={"app": "web"}),
    ]


def _source_ranges_cluster():
    """x/client on n2, x/web-0 on n1 behind a dual-stack LoadBalancer whose
    loadBalancerSourceRanges name n1's IPv4 pods only."""
    from ipaddress import ip_network

    from tests.builders import cluster, service

    return cluster(
        *_client_and_web(),
        service(
            "x/web",
            ip=["10.96.0.20", "fd00:10:96::20"],
            type="LoadBalancer",
            family_policy="RequireDualStack",
            lb_ips=["203.0.113.7", "2001:db8::7"],
            ports=[("http", 80, 8080, "TCP", 30080)],
            load_balancer_source_ranges=(ip_network("10.244.1.0/24"),),
        ),
    )


def test_load_balancer_source_ranges_of_one_family_filter_that_family_only():
    """x/web's loadBalancerSourceRanges name n1's IPv4 pods only: x/client on n2 is dropped at
    the IPv4 LoadBalancer IP and admitted at the IPv6 one, which has no range of its family
    (kube-proxy filters per family). No policy reads an address: the property skipped the pair
    as family-blind and said HOLDS while the engine showed the two verdicts."""
    from verifier.properties import check as check_cluster

    c = _source_ranges_cluster()
    (result,) = check_cluster(c, properties=[PROP]).results
    assert result.status is Status.VIOLATED
    summaries = [cx.summary for cx in result.counterexamples]
    cx = next((cx for cx in result.counterexamples if "LoadBalancer" in cx.summary), None)
    assert cx is not None, summaries
    assert cx.summary.startswith(
        "x/client -> x/web-0 through LoadBalancer 203.0.113.7:80/TCP of Service x/web"
    ) and cx.summary.endswith("works over IPv6 but not over IPv4"), cx.summary
    v4, v6 = cx.traces
    assert (v4.verdict, v6.verdict) == (Verdict.DENIED, Verdict.ALLOWED)
    assert any("loadBalancerSourceRanges" in h.detail for h in v4.all_hops), v4


@pytest.mark.parametrize(
    "name",
    [
        "dual-stack/holds.yaml",
        "dual-stack/violated.yaml",
        "dual-stack/violated-single-stack-node.yaml",
        "demo",
    ],
)
def test_the_family_blind_shortcut_changes_no_answer(name, monkeypatch):
    """Skipping the pairs no rule tells apart by family is an optimisation: the same status and
    the same counterexamples with the shortcut off (the oracle runs this comparison on every
    generated dual-stack cluster)."""
    from verifier.properties import dual_stack

    def answer():
        limit = {"max_counterexamples": 1000}
        result = (
            check(load_demo(), PROP, **limit)
            if name == "demo"
            else check_fixture(name, PROP, **limit)
        )
        return result.status, sorted(cx.summary for cx in result.counterexamples)

    fast = answer()
    monkeypatch.setattr(dual_stack, "FAMILY_BLIND_SHORTCUT", False)
    assert answer() == fast


def test_a_wrong_shortcut_shows_as_a_violation_once_the_shortcut_is_off(monkeypatch):
    """The oracle's check of the shortcut can fail: with the loadBalancerSourceRanges exception
    taken out of the shortcut (the bug fixed for issue 7), the LoadBalancer cluster above holds
    with the shortcut and is violated without it."""
    from verifier.properties import dual_stack

    c = _source_ranges_cluster()
    monkeypatch.setattr(dual_stack, "_filtered", lambda *args: False)
    assert check(c, PROP).status is Status.HOLDS
    monkeypatch.setattr(dual_stack, "FAMILY_BLIND_SHORTCUT", False)
    assert check(c, PROP).status is Status.VIOLATED


def _with_and_without_shortcut(c):
    """The property's result on ``c`` with the family-blind shortcut, then without it."""
    from verifier.properties import dual_stack

    for shortcut in (True, False):
        dual_stack.FAMILY_BLIND_SHORTCUT = shortcut
        try:
            yield check(c, PROP)
        finally:
            dual_stack.FAMILY_BLIND_SHORTCUT = True


def _per_family_slices_cluster(
    *policies, ports=(8080, 9090), nodes=("n1", "n1"), itp="Cluster", ready=(True, True)
):
    """x/web (no selector) with hand-written EndpointSlices: port 80 to x/web-0 on
    ``ports[0]`` over IPv4 and ``ports[1]`` over IPv6, each slice placing the pod on its node
    of ``nodes`` and saying it is ready or not as ``ready`` does; x/web-0 runs on n1, x/client
    on n2."""
    from tests.builders import cluster, endpoint, endpoint_slice, service

    return cluster(
        *_client_and_web(),
        service(
            "x/web",
            ip=["10.96.0.20", "fd00:10:96::20"],
            family_policy="RequireDualStack",
            selector=None,
            itp=itp,
            ports=[("http", 80, 8080, "TCP")],
        ),
        *(
            endpoint_slice(
                f"x/web-v{family}",
                service="web",
                endpoints=[endpoint(ip, pod="x/web-0", node=node, ready=up)],
                ports=[("http", port)],
                address_type=f"IPv{family}",
            )
            for family, ip, port, node, up in zip(
                (4, 6), ("10.244.1.7", "fd00:10:244:1::7"), ports, nodes, ready, strict=True
            )
        ),
        *policies,
    )


def test_a_service_port_translated_to_another_port_in_each_family_reached_in_both_holds():
    """Nothing isolates x/web-0: port 80 reaches it over both families, at 8080 and at 9090.
    Each family's packet has its own backend port (oracle seed 71627: one port shared by the
    two families made the route look allowed in one family only, a bogus counterexample)."""
    result = check(_per_family_slices_cluster(), PROP)
    assert (result.status, result.counterexamples) == (Status.HOLDS, ())


def test_a_service_port_translated_to_another_target_port_in_each_family():
    """x/web has no selector: its hand-written EndpointSlices send port 80 to x/web-0:8080 over
    IPv4 and to x/web-0:9090 over IPv6, and x/web-0 admits 8080 only. The IPv4 ClusterIP works,
    the IPv6 one is denied. Before, the Service route was never compared: a route translated
    on the client's node was taken as no different from the pod address (true within one
    family, not across two), and no rule of the pair read the family, so HOLDS."""
    from tests.builders import netpol, peer, rule

    c = _per_family_slices_cluster(
        netpol("x/web", select={"app": "web"}, ingress=[rule(peer(pods={}), ports=[8080])])
    )
    expected = (
        "x/client -> x/web-0 through ClusterIP 10.96.0.20:80/TCP of Service x/web works over "
        "IPv4 (to port 8080) but not over IPv6 (to port 9090)"
    )
    for result in _with_and_without_shortcut(c):
        assert result.status is Status.VIOLATED
        (cx,) = result.counterexamples
        assert cx.summary == expected
        v4, v6 = cx.traces
        assert (v4.verdict, v6.verdict) == (Verdict.ALLOWED, Verdict.DENIED)
        assert refs(cx.objects) == ["NetworkPolicy x/web ingress[0]", "NetworkPolicy x/web"]


def test_a_local_service_whose_slices_place_the_pod_on_other_nodes_per_family():
    """internalTrafficPolicy Local: the IPv4 slice puts x/web-0 on n1, the IPv6 slice on n2,
    x/client's node. From n2 the IPv4 ClusterIP has no local endpoint, the IPv6 one leads to
    x/web-0. Before, a route that reaches the pod in one family only was never compared
    (and the shortcut skipped the pair), so HOLDS."""
    c = _per_family_slices_cluster(ports=(8080, 8080), nodes=("n1", "n2"), itp="Local")
    for result in _with_and_without_shortcut(c):
        assert result.status is Status.VIOLATED
        (cx,) = result.counterexamples
        assert cx.summary == (
            "x/client -> x/web-0 through ClusterIP [fd00:10:96::20]:80/TCP of Service x/web works "
            "over IPv6 (to port 8080) but not over IPv4 (its IPv4 endpoints never lead to x/web-0)"
        )
        v4, v6 = cx.traces
        assert (v4.verdict, v6.verdict) == (Verdict.NO_ENDPOINTS, Verdict.ALLOWED)
    # The same slices with both on n1: the families agree.
    same = _per_family_slices_cluster(ports=(8080, 8080), nodes=("n1", "n1"), itp="Local")
    assert check(same, PROP).status is Status.HOLDS


def test_a_host_port_to_the_second_holder_of_an_address_is_compared():
    """x/first and x/second claim the same two addresses (a stale dump: unique-pod-ips says so);
    sent to that address a packet reaches x/first, but x/second's hostPort 8051 reaches
    x/second. Its policy admits x/client's IPv6 address only: the hostPort works over IPv6 and
    not over IPv4. Before, every pair's destination had to receive at its own address, so
    x/second was never a destination and the property held (oracle seed 57547)."""
    from tests.builders import cluster, netpol, peer, pod, rule

    c = cluster(
        *_dual_stack_nodes(1),
        pod("x/client", ip=["10.244.1.10", "fd00:10:244:1::a"], node="n1"),
        pod("x/first", ip=["10.244.1.13", "fd00:10:244:1::d"], node="n1"),
        pod(
            "x/second",
            ip=["10.244.1.13", "fd00:10:244:1::d"],
            node="n1",
            labels={"env": "prod"},
            ports=[("metrics", 8080, "TCP", 8051)],
        ),
        netpol("x/prod", select={"env": "prod"}, ingress=[rule(peer(cidr="fd00:10:244:1::a/128"))]),
    )
    result = check(c, PROP, max_counterexamples=10)
    assert result.status is Status.VIOLATED
    summaries = [cx.summary for cx in result.counterexamples]
    assert (
        "x/client -> x/second through hostPort 192.168.0.1:8051/TCP on node n1 works over IPv6 "
        "but not over IPv4"
    ) in summaries, summaries


def test_a_service_whose_slices_disagree_on_readiness_reaches_the_pod_in_one_family():
    """The IPv4 slice says x/web-0 is ready, the IPv6 slice that it is not (the oracle's
    generator writes such slices): the IPv4 ClusterIP leads to x/web-0, the IPv6 one to no
    endpoint. Both the Service's endpoints and the flow through it are reported, the flow
    replayed by the engine in each family."""
    c = _per_family_slices_cluster(ports=(8080, 8080), ready=(True, False))
    for result in _with_and_without_shortcut(c):
        assert result.status is Status.VIOLATED
        assert [cx.summary for cx in result.counterexamples] == [
            "Service x/web (RequireDualStack) reaches x/web-0 only in its IPv4 endpoints: its two "
            "families lead to different pods",
            "x/client -> x/web-0 through ClusterIP 10.96.0.20:80/TCP of Service x/web works over "
            "IPv4 (to port 8080) but not over IPv6 (its IPv6 endpoints never lead to x/web-0)",
        ]
        v4, v6 = result.counterexamples[1].traces
        assert (v4.verdict, v6.verdict) == (Verdict.ALLOWED, Verdict.NO_ENDPOINTS)
    # Ready in both: the families agree.
    assert check(_per_family_slices_cluster(ports=(8080, 8080)), PROP).status is Status.HOLDS
