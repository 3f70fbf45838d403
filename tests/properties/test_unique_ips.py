"""Property ``unique-pod-ips`` on its fixtures: exact holders, IP, objects at fault and allocations."""

from __future__ import annotations

from dataclasses import replace

from tests.properties.support import at, check, check_fixture, load_demo, load_fixture, refs, where
from verifier.properties import Status

PROP = "unique-pod-ips"


def test_holds_despite_host_network_and_finished_pods():
    """hostNetwork pods sharing the node's address and finished pods with stale IPs are no conflict."""
    result = check_fixture("unique-ips/holds.yaml", PROP)
    assert (result.status, result.counterexamples, result.findings) == (Status.HOLDS, (), ())


def test_two_running_pods_with_one_ip():
    """Exactly one conflict, x/a and y/b on 10.244.1.10; the Failed pod and the hostNetwork pod are not reported."""
    result = check_fixture("unique-ips/violated.yaml", PROP)
    assert result.status is Status.VIOLATED
    (cx,) = result.counterexamples
    assert cx.summary == "x/a and y/b both hold 10.244.1.10"
    assert (cx.pods, cx.details, cx.allocation) == (("x/a", "y/b"), {"ip": "10.244.1.10"}, {})
    assert refs(cx.objects) == ["Pod y/b status.podIPs", "Pod x/a status.podIPs"]
    assert where(cx.location) == at("unique-ips/violated.yaml", 45, "name: b, namespace: y")
    assert where(cx.objects[1]) == at("unique-ips/violated.yaml", 34, "name: a, namespace: x")
    assert cx.packet is None and cx.traces == ()


def test_an_allocation_may_take_a_cluster_ip():
    """A pool overlapping the service range: some allocation of x/web-0 is Service x/web's ClusterIP."""
    result = check_fixture("unique-ips/violated-allocation.yaml", PROP, max_counterexamples=10)
    assert result.status is Status.VIOLATED
    cx, api = result.counterexamples
    assert (
        cx.summary
        == "x/web-0 may hold 10.96.0.10 (an address its pool may allocate), which is Service x/web's cluster IP"
    )
    # The pool overlaps the API server's address too (the implicit default/kubernetes Service).
    assert api.summary == (
        "x/web-0 may hold 10.96.0.1 (an address its pool may allocate), which is Service "
        "default/kubernetes's cluster IP"
    )
    assert cx.allocation == {"x/web-0": "10.96.0.10"}
    assert (cx.pods, cx.details) == (("x/web-0",), {"ip": "10.96.0.10"})
    assert refs(cx.objects) == ["Service x/web", "Pod x/web-0 status.podIPs"]
    assert where(cx.location) == at(
        "unique-ips/violated-allocation.yaml", 58, "name: web, namespace: x"
    )


def test_the_same_pool_without_the_service_holds():
    """Remove the Service and nothing a pod may hold conflicts: the proof covers every other allocation."""
    cluster = load_fixture("unique-ips/violated-allocation.yaml")
    result = check(replace(cluster, services=()), PROP)
    assert result.status is Status.HOLDS
    # The address plan still puts pods in the Service range: said, at each range that does.
    assert [(f.message, refs(f.objects)) for f in result.findings] == [
        (
            f"{what} 10.96.0.0/{bits} overlaps the Service range 10.96.0.0/16: clients in the "
            "cluster reach the pods given addresses there only through Services",
            [obj],
        )
        for what, bits, obj in (
            ("IP pool default-ipv4-ippool's CIDR", 12, "IPPool default-ipv4-ippool spec.cidr"),
            ("the cluster's pod CIDR", 12, "ClusterNetwork cluster spec.podCIDRs"),
            ("node n1's podCIDR", 24, "Node n1 spec.podCIDRs"),
        )
    ]


def test_a_pod_inside_the_service_range_is_an_address_plan_finding():
    """x/db's 10.96.0.31 is no Service's: no conflict, but kube-proxy owns the address for every
    client in the cluster (oracle seed 48033). x/web on a ClusterIP is the violation, not also
    a Service-range finding; it and x/far are outside every pod range, as before."""
    from tests.builders import cluster, node, pod, service

    c = cluster(
        node("n1", ["192.168.0.1"], pod_cidr=["10.244.1.0/24"]),
        pod("x/client", ip=["10.244.1.5"], node="n1"),
        pod("x/db", ip=["10.96.0.31"], node="n1"),
        pod("x/web", ip=["10.96.0.20"], node="n1"),
        pod("x/far", ip=["172.16.0.9"], node="n1"),
        service("x/web", ip="10.96.0.20", ports=[("http", 80, 80, "TCP")]),
    )
    result = check(c, PROP)
    assert result.status is Status.VIOLATED
    assert [cx.summary for cx in result.counterexamples] == [
        "x/web may hold 10.96.0.20, which is Service x/web's cluster IP"
    ]
    assert [(f.message, refs(f.objects)) for f in result.findings] == [
        (
            "x/db has 10.96.0.31, inside the Service range 10.96.0.0/12: no client in the "
            "cluster reaches it at that address (kube-proxy owns the range)",
            ["Pod x/db status.podIPs"],
        ),
        (
            "x/web has 10.96.0.20, outside every pod CIDR and IP pool of the cluster",
            ["Pod x/web"],
        ),
        (
            "x/far has 172.16.0.9, outside every pod CIDR and IP pool of the cluster",
            ["Pod x/far"],
        ),
    ]


def test_a_range_over_a_cluster_ip_outside_the_service_cidr_names_that_cluster_ip():
    """A ClusterIP outside every Service CIDR (172.20.0.10, accepted by the API server of an
    older range) is kube-proxy's address all the same: the node podCIDR holding it is said to
    overlap that ClusterIP, not a one-address "Service range"."""
    from tests.builders import cluster, node, pod, service

    c = cluster(
        node("n1", ["192.168.0.1"], pod_cidr=["172.20.0.0/24"]),
        pod("x/client", ip=["172.20.0.5"], node="n1"),
        service("x/old", ip="172.20.0.10", ports=[("http", 80, 80, "TCP")]),
    )
    result = check(c, PROP)
    assert result.status is Status.HOLDS
    assert [(f.message, refs(f.objects)) for f in result.findings] == [
        (
            "node n1's podCIDR 172.20.0.0/24 overlaps the ClusterIP 172.20.0.10 (outside every "
            "Service CIDR): clients in the cluster reach the pods given addresses there only "
            "through Services",
            ["Node n1 spec.podCIDRs"],
        )
    ]


def test_the_demo_holds_before_and_after_the_change():
    """The demo's Failed/Running cart-cleanup pair and hostNetwork DaemonSets are no conflict (README table)."""
    assert check(load_demo("base"), PROP).status is Status.HOLDS
    assert check(load_demo(), PROP).status is Status.HOLDS
