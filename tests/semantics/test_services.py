"""Services, EndpointSlices and kube-proxy (semantics.md §6, §9.2; checklist §12 items 48-56, 71)."""

from __future__ import annotations

import pytest

from tests.builders import cluster, endpoint, endpoint_slice, node, pod, service
from verifier.model import ServicePort, ip_address
from verifier.semantics.services import (
    CLUSTER_IP,
    DNAT,
    DROP,
    EXTERNAL_IP,
    GENERATED,
    LOAD_BALANCER,
    NODE_PORT,
    REJECT,
    candidates,
    families_of,
    frontend_index,
    frontends,
    in_service_range,
    match_frontend,
    service_endpoints,
    translate,
)

IP = ip_address
VIP = "10.96.0.20"
N1, N2 = "192.168.0.1", "192.168.0.2"


def nodes():
    return [node("n1", N1, pod_cidr="10.244.1.0/24"), node("n2", N2, pod_cidr="10.244.2.0/24")]


def targets(translation):
    """``{(pod ref or ip, port, masquerade)}`` of a DNAT translation."""
    return {(b.pod.ref if b.pod else str(b.ip), b.port, b.masquerade) for b in translation.backends}


def backends(c, svc, family=4, **kw):
    return {
        (b.pod.ref if b.pod else str(b.ip), b.port)
        for b in candidates(c, svc, svc.ports[0], family, **kw)
    }


# --------------------------------------------------------------------------- endpoints from the selector


def test_named_target_port_resolves_per_backend():  # item 53
    svc = service("x/web", ip=VIP, selector={"app": "web"}, ports=[("http", 80, "http")])
    c = cluster(
        svc,
        pod("x/a", ip="10.244.1.1", labels={"app": "web"}, ports=[("http", 8080)]),
        pod("x/b", ip="10.244.1.2", labels={"app": "web"}, ports=[("http", 9090)]),
        pod("x/c", ip="10.244.1.3", labels={"app": "web"}, ports=[("metrics", 9100)]),
    )
    assert backends(c, svc) == {("x/a", 8080), ("x/b", 9090)}
    eps = {e.pod.name: e for e in service_endpoints(c, svc, 4)}
    # C is still an endpoint (it matches the selector) but has no port for "http".
    assert eps["c"].port_for(svc.ports[0]) is None and eps["c"].ports == ()
    assert all(e.origin == GENERATED and e.generated for e in eps.values())


def test_named_target_port_needs_the_same_protocol_and_reads_sidecars():
    svc = service("x/dns", ip=VIP, selector={"app": "dns"}, ports=[("dns", 53, "dns", "UDP")])
    c = cluster(
        svc,
        pod("x/tcp-only", ip="10.244.1.1", labels={"app": "dns"}, ports=[("dns", 53, "TCP")]),
        pod(
            "x/sidecar",
            ip="10.244.1.2",
            labels={"app": "dns"},
            sidecar_ports=[("dns", 5353, "UDP")],
        ),
    )
    assert backends(c, svc) == {("x/sidecar", 5353)}


def test_numeric_and_default_target_ports():
    svc = service("x/web", ip=VIP, ports=[("a", 80, 8080), ("b", 81)])
    c = cluster(svc, pod("x/web", ip="10.244.1.1"))
    assert candidates(c, svc, svc.ports[0], 4)[0].port == 8080
    assert candidates(c, svc, svc.ports[1], 4)[0].port == 81  # targetPort defaults to port


def test_selector_scope_terminal_pods_and_host_network():
    svc = service("x/web", ip=VIP)
    c = cluster(
        svc,
        node("n1", N1),
        pod("x/web", ip="10.244.1.1"),
        pod("y/web", ip="10.244.1.2"),  # other namespace
        pod("x/done", ip="10.244.1.3", labels={"app": "web"}, phase="Succeeded"),
        pod("x/pending", labels={"app": "web"}, phase="Pending"),  # no IP yet
        pod("x/host", ip=N1, labels={"app": "web"}, host_network=True, node="n1"),
    )
    assert {str(e.ip) for e in service_endpoints(c, svc, 4)} == {"10.244.1.1", N1}


def test_service_without_selector_or_slices_has_no_endpoints():
    for svc in (
        service("x/manual", ip=VIP, selector=None),
        service("x/empty", ip=VIP, selector={}),
    ):
        c = cluster(svc, pod("x/manual", ip="10.244.1.1", labels={}))
        assert service_endpoints(c, svc, 4) == ()
        assert translate(c, "pod", "n1", IP(VIP), 80, "TCP").outcome == REJECT


def test_endpoint_conditions_and_hostname():
    svc = service("x/db", headless=True, selector={"app": "db"})
    c = cluster(
        svc,
        pod(
            "x/db-0",
            ip="10.244.1.1",
            labels={"app": "db"},
            hostname="db-0",
            subdomain="db",
            node="n1",
        ),
        pod(
            "x/db-1",
            ip="10.244.1.2",
            labels={"app": "db"},
            hostname="db-1",
            subdomain="other",
            ready=False,
        ),
        pod("x/db-2", ip="10.244.1.3", labels={"app": "db"}, terminating=True),
    )
    eps = {e.pod.name: e for e in service_endpoints(c, svc, 4)}
    assert (eps["db-0"].ready, eps["db-0"].serving, eps["db-0"].terminating) == (True, True, False)
    assert eps["db-0"].hostname == "db-0" and eps["db-0"].node_name == "n1"
    assert eps["db-1"].hostname is None  # subdomain names another Service
    assert (eps["db-1"].ready, eps["db-1"].serving) == (False, False)
    assert (eps["db-2"].ready, eps["db-2"].serving, eps["db-2"].terminating) == (False, True, True)


# --------------------------------------------------------------------------- candidates


def test_no_usable_endpoint_rejects():  # item 48
    svc = service("x/web", ip=VIP)
    c = cluster(svc, nodes(), pod("x/web", ip="10.244.1.1", ready=False, node="n1"))
    assert candidates(c, svc, svc.ports[0], 4) == ()
    t = translate(c, "pod", "n1", IP(VIP), 80, "TCP")
    assert t.outcome == REJECT and t.backends == ()
    assert "no ready" in t.reason


def test_publish_not_ready_addresses():  # item 54 (Service part)
    not_ready = [
        pod(f"x/web-{i}", ip=f"10.244.1.{i + 1}", labels={"app": "web"}, ready=False)
        for i in range(2)
    ]
    hidden = service("x/web", ip=VIP)
    assert translate(cluster(hidden, not_ready), "pod", "n1", IP(VIP), 80, "TCP").outcome == REJECT
    published = service("x/web", ip=VIP, publish_not_ready=True)
    c = cluster(published, not_ready)
    assert all(e.ready and not e.serving for e in service_endpoints(c, published, 4))
    assert backends(c, published) == {("x/web-0", 80), ("x/web-1", 80)}


def test_serving_terminating_fallback():  # item 55
    svc = service("x/web", ip=VIP)
    old = [
        pod(f"x/old-{i}", ip=f"10.244.1.{i + 1}", labels={"app": "web"}, terminating=True)
        for i in range(2)
    ]
    gone = pod("x/gone", ip="10.244.1.9", labels={"app": "web"}, terminating=True, ready=False)
    c = cluster(svc, old, gone)
    assert backends(c, svc) == {("x/old-0", 80), ("x/old-1", 80)}  # not the non-serving one
    # A single ready endpoint anywhere ends the fallback.
    c2 = cluster(svc, old, pod("x/new", ip="10.244.1.5", labels={"app": "web"}))
    assert backends(c2, svc) == {("x/new", 80)}


def test_local_fallback_is_computed_on_the_local_set_alone():
    svc = service("x/web", ip=VIP, itp="Local")
    c = cluster(
        svc,
        nodes(),
        pod("x/remote", ip="10.244.2.1", labels={"app": "web"}, node="n2"),
        pod("x/leaving", ip="10.244.1.1", labels={"app": "web"}, node="n1", terminating=True),
    )
    assert backends(c, svc) == {("x/remote", 80)}
    assert backends(c, svc, node_name="n1", local=True) == {("x/leaving", 80)}
    t = translate(c, "pod", "n1", IP(VIP), 80, "TCP")
    assert t.outcome == DNAT and t.policy == "Local" and targets(t) == {("x/leaving", 80, False)}
    with pytest.raises(ValueError):
        candidates(c, svc, svc.ports[0], 4, local=True)


# --------------------------------------------------------------------------- slices


def test_input_slices_take_precedence_over_the_selector():
    svc = service("x/web", ip=VIP, ports=[("http", 80, 8080)])
    c = cluster(
        svc,
        pod("x/web", ip="10.244.1.1", ports=[("http", 8080)]),
        endpoint_slice(
            "x/web-abc",
            service="web",
            ports=[("http", 8080)],
            endpoints=[
                endpoint("10.244.1.7", node="n1", pod="x/web"),
                endpoint("10.244.1.8", ready=False),
            ],
        ),
    )
    eps = service_endpoints(c, svc, 4)
    assert [str(e.ip) for e in eps] == ["10.244.1.7", "10.244.1.8"]
    assert eps[0].origin == "EndpointSlice x/web-abc" and eps[0].pod.ref == "x/web"  # by targetRef
    assert backends(c, svc) == {("x/web", 8080)}


def test_slice_ports_match_by_name_and_protocol():
    svc = service("x/web", ip=VIP, ports=[("http", 80, "http"), ("metrics", 9100, 9100, "UDP")])
    c = cluster(
        svc,
        endpoint_slice(
            "x/web-1",
            service="web",
            ports=[("http", 8080), ("metrics", 9100, "TCP")],
            endpoints=["10.244.1.1"],
        ),
        endpoint_slice("x/web-2", service="web", ports=[("http", 9090)], endpoints=["10.244.1.2"]),
    )
    assert {(str(b.ip), b.port) for b in candidates(c, svc, svc.ports[0], 4)} == {
        ("10.244.1.1", 8080),
        ("10.244.1.2", 9090),
    }
    assert (
        candidates(c, svc, svc.ports[1], 4) == ()
    )  # UDP metrics: no slice port with that protocol


def test_real_slices_win_over_legacy_endpoints():
    svc = service("x/web", ip=VIP, selector=None)
    legacy = endpoint_slice(
        "x/web", service="web", ports=[(None, 80)], endpoints=["10.244.1.1"], legacy=True
    )
    real = endpoint_slice("x/web-xyz", service="web", ports=[(None, 80)], endpoints=["10.244.1.2"])
    assert [str(e.ip) for e in service_endpoints(cluster(svc, legacy, real), svc, 4)] == [
        "10.244.1.2"
    ]
    assert [str(e.ip) for e in service_endpoints(cluster(svc, legacy), svc, 4)] == ["10.244.1.1"]


def test_manual_slice_for_selectorless_service():  # item 56
    svc = service("x/ext", ip=VIP, selector=None, ports=[(None, 80, 9376)])
    c = cluster(
        svc,
        nodes(),
        pod("x/a", ip="10.244.1.5", node="n1"),
        endpoint_slice("x/ext-1", service="ext", ports=[(None, 9376)], endpoints=["192.0.2.10"]),
    )
    t = translate(c, "pod", "n1", IP(VIP), 80, "TCP", client_ip=IP("10.244.1.5"))
    assert t.outcome == DNAT and targets(t) == {("192.0.2.10", 9376, False)}
    assert t.backends[0].pod is None and t.backends[0].node_name is None


def test_duplicate_endpoints_across_slices_count_once():
    svc = service("x/web", ip=VIP, selector=None, ports=[(None, 80)])
    c = cluster(
        svc,
        endpoint_slice(
            "x/a", service="web", ports=[(None, 80)], endpoints=[endpoint("10.244.1.1")]
        ),
        endpoint_slice(
            "x/b", service="web", ports=[(None, 80)], endpoints=[endpoint("10.244.1.1", node="n1")]
        ),
    )
    (b,) = candidates(c, svc, svc.ports[0], 4, node_name="n1")
    assert b.node_name == "n1"  # the copy local to the asking node


# --------------------------------------------------------------------------- dual stack


def test_families_of():
    assert families_of(service("x/a", ip=["10.96.0.5", "fd00:96::5"])) == (4, 6)
    assert families_of(service("x/h", headless=True, families=[6])) == (6,)
    legacy = service("x/l", ip="10.96.0.5")
    from dataclasses import replace

    assert families_of(replace(legacy, ip_families=())) == (4,)
    assert families_of(replace(service("x/h", headless=True), ip_families=())) == (4, 6)
    assert families_of(service("x/e", type="ExternalName", external_name="a.example.com")) == ()


def test_prefer_dual_stack_skips_single_stack_node():  # item 71
    svc = service("x/web", ip=["10.96.0.20", "fd00:96::20"])
    c = cluster(
        svc,
        node("n1", N1, pod_cidr=["10.244.1.0/24", "fd00:244:1::/64"]),
        node("n2", N2, pod_cidr="10.244.2.0/24"),
        pod("x/web-1", ip=["10.244.1.5", "fd00:244:1::5"], labels={"app": "web"}, node="n1"),
        pod("x/web-2", ip="10.244.2.5", labels={"app": "web"}, node="n2"),
    )
    assert backends(c, svc, 4) == {("x/web-1", 80), ("x/web-2", 80)}
    assert backends(c, svc, 6) == {("x/web-1", 80)}
    t6 = translate(c, "pod", "n2", IP("fd00:96::20"), 80, "TCP")
    assert t6.family == 6 and targets(t6) == {("x/web-1", 80, False)}


def test_single_stack_service_over_dual_stack_pods():  # item 73 (Service part)
    svc = service("x/db", headless=True, families=[4])
    c = cluster(svc, pod("x/db", ip=["10.244.1.5", "fd00:244:1::5"]))
    assert len(service_endpoints(c, svc, 4)) == 1
    assert service_endpoints(c, svc, 6) == ()


# --------------------------------------------------------------------------- frontends


def test_frontends_per_kind_and_family():
    lb = service(
        "x/lb",
        type="LoadBalancer",
        ip=["10.96.0.30", "fd00:96::30"],
        ports=[("http", 80, 8080, "TCP", 30080)],
        external_ips=["203.0.113.50"],
        lb_ips=["198.51.100.7", "2001:db8::7"],
    )
    c = cluster(lb, node("n1", [N1, "fd00:1::1"]), node("n2", N2))
    got = {(f.kind, str(f.ip), f.port, f.node) for f in frontends(c)}
    assert got == {
        (CLUSTER_IP, "10.96.0.30", 80, None),
        (CLUSTER_IP, "fd00:96::30", 80, None),
        (NODE_PORT, N1, 30080, "n1"),
        (NODE_PORT, "fd00:1::1", 30080, "n1"),
        (NODE_PORT, N2, 30080, "n2"),
        (EXTERNAL_IP, "203.0.113.50", 80, None),  # IPv4 only: an externalIP of the v4 "service"
        (LOAD_BALANCER, "198.51.100.7", 80, None),
        (LOAD_BALANCER, "2001:db8::7", 80, None),
    }
    assert frontend_index(c)[(IP(N2), 30080, "TCP")][0].node == "n2"


def test_headless_and_external_name_have_no_frontends():
    c = cluster(
        service("x/h", headless=True),
        service("x/e", type="ExternalName", external_name="db.example.com"),
    )
    assert frontends(c) == ()


def test_lb_without_node_port_allocation():
    no_np = service(
        "x/lb",
        type="LoadBalancer",
        ip="10.96.0.30",
        lb_ips="198.51.100.7",
        allocate_load_balancer_node_ports=False,
    )
    assert {f.kind for f in frontends(cluster(no_np, nodes()))} == {CLUSTER_IP, LOAD_BALANCER}
    # A nodePort requested explicitly is honoured regardless of the flag (API and kube-proxy).
    explicit = service(
        "x/lb",
        type="LoadBalancer",
        ip="10.96.0.30",
        ports=[(None, 80, 80, "TCP", 30080)],
        allocate_load_balancer_node_ports=False,
    )
    assert {f.kind for f in frontends(cluster(explicit, nodes()))} == {CLUSTER_IP, NODE_PORT}


def test_node_port_matches_only_on_the_translating_node():
    svc = service("x/web", type="NodePort", ip=VIP, ports=[(None, 80, 8080, "TCP", 30080)])
    c = cluster(
        svc,
        nodes(),
        pod("x/web", ip="10.244.2.5", node="n2"),
        pod("x/a", ip="10.244.1.5", node="n1"),
    )
    # A pod on n1 connecting to n2's NodePort: not translated on n1 ...
    assert translate(c, "pod", "n1", IP(N2), 30080, "TCP", client_ip=IP("10.244.1.5")) is None
    assert match_frontend(c, IP(N2), 30080, "TCP", "n1") == ()
    # ... but on arrival at n2, where the pod source is recognised as pod traffic.
    t = translate(c, "remote", "n2", IP(N2), 30080, "TCP", client_ip=IP("10.244.1.5"))
    assert t.client_kind == "pod" and t.node == "n2"
    assert targets(t) == {("x/web", 8080, True)}  # eTP=Cluster: masqueraded even from a pod
    # Its own node's NodePort is translated on the client node.
    assert translate(c, "pod", "n1", IP(N1), 30080, "TCP").frontend.kind == NODE_PORT


def test_service_ranges():
    svc = service("x/web", ip=VIP, ports=[("http", 80), ("dns", 53, 53, "UDP")])
    c = cluster(svc, service("x/odd", ip="172.20.0.9"))  # a ClusterIP outside the configured range
    assert in_service_range(c, IP(VIP)) and in_service_range(c, IP("10.96.0.21"))
    assert in_service_range(c, IP("172.20.0.9")) and not in_service_range(c, IP("172.20.0.10"))
    assert not in_service_range(c, IP("10.244.0.1"))


# --------------------------------------------------------------------------- kube-proxy translation


def test_cluster_ip_from_pod_keeps_the_source():
    svc = service("x/web", ip=VIP, ports=[(None, 80, 8080)])
    c = cluster(svc, nodes(), pod("x/web", ip="10.244.2.5", node="n2"))
    t = translate(c, "pod", "n1", IP(VIP), 80, "TCP", client_ip=IP("10.244.1.5"))
    assert (t.outcome, t.frontend.kind, t.policy, t.client_kind) == (
        DNAT,
        CLUSTER_IP,
        "Cluster",
        "pod",
    )
    assert targets(t) == {("x/web", 8080, False)}
    assert t.service is svc and t.service_port == svc.ports[0] and t.session_affinity == "None"
    assert translate(c, "pod", "n1", IP(VIP), 81, "TCP") is None  # unmatched port: plain routing
    assert translate(c, "pod", "n1", IP(VIP), 80, "UDP") is None


def test_cluster_ip_from_node_or_outside_is_masqueraded():
    svc = service("x/web", ip=VIP)
    c = cluster(svc, nodes(), pod("x/web", ip="10.244.2.5", node="n2"))
    for kind in ("node", "external"):
        t = translate(c, kind, "n1", IP(VIP), 80, "TCP")
        assert targets(t) == {("x/web", 80, True)}
        assert "outside the pod network" in t.backends[0].masquerade_reason


def test_hairpin_is_masqueraded():
    svc = service("x/web", ip=VIP)
    c = cluster(
        svc,
        nodes(),
        pod("x/web", ip="10.244.1.5", node="n1"),
        pod("x/web2", ip="10.244.2.5", labels={"app": "web"}, node="n2"),
    )
    t = translate(c, "pod", "n1", IP(VIP), 80, "TCP", client_ip=IP("10.244.1.5"))
    assert targets(t) == {("x/web", 80, True), ("x/web2", 80, False)}
    (hairpin,) = [b for b in t.backends if b.masquerade]
    assert hairpin.masquerade_reason.startswith("hairpin")


def test_internal_traffic_policy_local():  # item 49
    svc = service("x/web", ip=VIP, itp="Local")
    c = cluster(svc, nodes(), pod("x/web", ip="10.244.2.5", node="n2"))
    t = translate(c, "pod", "n1", IP(VIP), 80, "TCP")
    assert (t.outcome, t.policy) == (DROP, "Local") and "n1" in t.reason
    t2 = translate(c, "pod", "n2", IP(VIP), 80, "TCP")
    assert t2.outcome == DNAT and targets(t2) == {("x/web", 80, False)}
    # REJECT (no endpoint at all) wins over DROP.
    empty = cluster(svc, nodes())
    assert translate(empty, "pod", "n1", IP(VIP), 80, "TCP").outcome == REJECT


def test_external_traffic_policy_local_node_port():  # item 50
    svc = service(
        "x/web", type="NodePort", ip=VIP, etp="Local", ports=[(None, 80, 8080, "TCP", 30080)]
    )
    c = cluster(svc, nodes(), pod("x/web", ip="10.244.2.5", node="n2"))
    client = IP("203.0.113.9")
    dropped = translate(c, "external", "n1", IP(N1), 30080, "TCP", client_ip=client)
    assert (dropped.outcome, dropped.policy) == (DROP, "Local")
    kept = translate(c, "external", "n2", IP(N2), 30080, "TCP", client_ip=client)
    assert kept.outcome == DNAT and targets(kept) == {("x/web", 8080, False)}  # source preserved
    assert "preserved" in kept.reason
    # From a pod (local-traffic detection): short-circuit to all endpoints, no masquerade.
    from_pod = translate(c, "pod", "n1", IP(N1), 30080, "TCP")
    assert targets(from_pod) == {("x/web", 8080, False)} and from_pod.policy == "Cluster"
    # From the node itself: Cluster endpoints, masqueraded.
    from_node = translate(c, "node", "n1", IP(N1), 30080, "TCP")
    assert targets(from_node) == {("x/web", 8080, True)}
    # Another node's address arriving at n1 is external traffic for n1's kube-proxy.
    assert translate(c, "remote", "n1", IP(N1), 30080, "TCP", client_ip=IP(N2)).outcome == DROP


def test_external_traffic_policy_cluster_node_port_masquerades():  # item 51 (Service part)
    svc = service("x/web", type="NodePort", ip=VIP, ports=[(None, 80, 8080, "TCP", 30080)])
    c = cluster(
        svc,
        nodes(),
        pod("x/b1", ip="10.244.1.5", labels={"app": "web"}, node="n1"),
        pod("x/b2", ip="10.244.2.5", labels={"app": "web"}, node="n2"),
    )
    t = translate(c, "external", "n1", IP(N1), 30080, "TCP", client_ip=IP("203.0.113.9"))
    assert t.outcome == DNAT and t.node == "n1"
    assert targets(t) == {("x/b1", 8080, True), ("x/b2", 8080, True)}
    assert all("externalTrafficPolicy: Cluster" in b.masquerade_reason for b in t.backends)


def test_load_balancer_ip_from_a_pod():  # item 52 (Service part)
    svc = service(
        "x/web",
        type="LoadBalancer",
        ip=VIP,
        lb_ips="198.51.100.7",
        ports=[(None, 80, 8080, "TCP", 30080)],
    )
    c = cluster(svc, nodes(), pod("x/web", ip="10.244.2.5", node="n2"))
    via_lb = translate(c, "pod", "n1", IP("198.51.100.7"), 80, "TCP")
    assert via_lb.frontend.kind == LOAD_BALANCER and targets(via_lb) == {("x/web", 8080, True)}
    via_vip = translate(c, "pod", "n1", IP(VIP), 80, "TCP")
    assert targets(via_vip) == {("x/web", 8080, False)}


def test_external_ip_with_local_policy_from_inside_uses_cluster_endpoints():
    svc = service("x/web", ip=VIP, external_ips="203.0.113.50", etp="Local")
    c = cluster(svc, nodes(), pod("x/web", ip="10.244.2.5", node="n2"))
    t = translate(c, "pod", "n1", IP("203.0.113.50"), 80, "TCP")
    assert t.frontend.kind == EXTERNAL_IP and targets(t) == {("x/web", 80, False)}
    outside = translate(c, "external", "n1", IP("203.0.113.50"), 80, "TCP")
    assert outside.outcome == DROP


def test_load_balancer_with_unknown_node_sends_to_nodes_with_local_endpoints():
    svc = service("x/web", type="LoadBalancer", ip=VIP, lb_ips="198.51.100.7", etp="Local")
    c = cluster(svc, nodes(), pod("x/web", ip="10.244.2.5", node="n2"))
    t = translate(c, "external", None, IP("198.51.100.7"), 80, "TCP", client_ip=IP("203.0.113.9"))
    assert (
        t.outcome == DNAT and targets(t) == {("x/web", 80, False)} and "load balancer" in t.reason
    )


def test_translation_sources_and_text():
    svc = service("x/web", ip=VIP, ports=[ServicePort(80, name="http")])
    c = cluster(svc, pod("x/web", ip="10.244.1.5"))
    t = translate(c, "pod", "n1", IP(VIP), 80, "TCP")
    assert t.sources[0] == svc.source
    assert str(t) == "DNAT ClusterIP 10.96.0.20:80/TCP of Service x/web -> x/web 10.244.1.5:80"
    with pytest.raises(ValueError):
        translate(c, "martian", "n1", IP(VIP), 80, "TCP")


def test_colliding_frontends_are_reported():
    a = service("x/a", ip=VIP, external_ips="203.0.113.50")
    b = service("x/b", ip="10.96.0.21", external_ips="203.0.113.50")
    c = cluster(a, b, pod("x/a", ip="10.244.1.5"), pod("x/b", ip="10.244.1.6"))
    t = translate(c, "pod", "n1", IP("203.0.113.50"), 80, "TCP")
    assert t.service is a and [f.service.ref for f in t.conflicts] == ["x/b"]
