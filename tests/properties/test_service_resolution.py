"""Property ``service-resolution``: the Service port at fault, the backend or pod, and the engine's replay."""

from __future__ import annotations

from tests.builders import cluster, node, pod, service
from tests.properties.support import at, check, check_fixture, load_demo, refs, where
from verifier.properties import Status
from verifier.trace import Verdict

PROP = "service-resolution"


def service_hop(t):
    return next(h for h in t.hops if h.step == "service")


def test_named_ports_per_backend_selectorless_and_headless_services_hold():
    """A targetPort resolving to 8080 on one backend and 9090 on another is fine, as are slices written by hand."""
    result = check_fixture("service-resolution/holds.yaml", PROP)
    assert (result.status, result.counterexamples) == (Status.HOLDS, ())


def test_a_port_no_backend_declares_and_a_selector_with_a_typo():
    """Two Services without endpoints, one counterexample each (the limit of three is not used up by x/web's pods)."""
    result = check_fixture("service-resolution/violated.yaml", PROP)
    assert result.status is Status.VIOLATED
    web, api = result.counterexamples
    assert web.summary == (
        "Service x/web port http:80/TCP (IPv4) has no usable endpoint: no selected pod (x/web-a, x/web-b) "
        "declares a TCP container port named 'http'"
    )
    assert web.pods == ("x/web-a", "x/web-b")
    assert refs(web.objects) == ["Service x/web port http:80/TCP targetPort"]
    assert where(web.location) == at(
        "service-resolution/violated.yaml", 57, "{name: http, port: 80"
    )
    assert api.summary == (
        "Service x/api port http:80/TCP (IPv4) has no usable endpoint: the selector app=api-server matches no "
        "running pod with an IPv4 address in x"
    )
    assert api.pods == ()
    assert refs(api.objects) == ["Service x/api port http:80/TCP"]
    assert where(api.location) == at(
        "service-resolution/violated.yaml", 75, "{name: http, port: 80"
    )
    # Replayed: a connection to each ClusterIP is rejected by kube-proxy, and the hop names the port.
    for cx, vip in ((web, "10.96.0.80"), (api, "10.96.0.81")):
        (t,) = cx.traces
        assert (t.verdict, str(t.destination), t.port) == (Verdict.NO_ENDPOINTS, vip, 80)
        hop = service_hop(t)
        assert hop.outcome == "reject" and refs(hop.deciders) == [
            cx.objects[0].ref.removesuffix(" targetPort")
        ]


def test_a_backend_lacking_the_named_port():
    """x/web-b is selected but names its port differently: it is named, and the engine never DNATs to it."""
    result = check_fixture(
        "service-resolution/violated-backends.yaml", PROP, max_counterexamples=10
    )
    assert result.status is Status.VIOLATED and len(result.counterexamples) == 3
    cx = result.counterexamples[0]
    assert cx.summary == (
        "Service x/web port http:80/TCP: targetPort 'http'/TCP is declared by no container of x/web-b, which the "
        "selector matches: it gets no traffic for this port"
    )
    assert cx.pods == ("x/web-b",)
    assert refs(cx.objects) == ["Service x/web port http:80/TCP targetPort", "Pod x/web-b"]
    assert where(cx.location) == at(
        "service-resolution/violated-backends.yaml", 60, "{name: http, port: 80"
    )
    assert where(cx.objects[1]) == at(
        "service-resolution/violated-backends.yaml", 44, "name: web-b, namespace: x"
    )
    (t,) = cx.traces
    assert t.verdict is Verdict.ALLOWED
    assert [(b.pod, b.port) for b in t.branches] == [("x/web-a", 8080)]


def test_a_stale_endpoint_slice_sends_traffic_to_a_foreign_pod():
    """The slice's 10.244.1.30:8080 is x/batch's address: the backend, its holder and the slice's line."""
    cx = check_fixture(
        "service-resolution/violated-backends.yaml", PROP, max_counterexamples=10
    ).counterexamples[1]
    assert cx.summary == (
        "Service x/api port http:80/TCP DNATs to 10.244.1.30:8080 (held by x/batch, which the selector does not "
        "match), from EndpointSlice x/api-stale"
    )
    assert (cx.pods, cx.details) == (("x/batch",), {"backend": "10.244.1.30:8080"})
    assert refs(cx.objects) == ["EndpointSlice x/api-stale", "Service x/api port http:80/TCP"]
    assert where(cx.location) == at(
        "service-resolution/violated-backends.yaml", 89, "kind: EndpointSlice"
    )
    assert where(cx.objects[1]) == at(
        "service-resolution/violated-backends.yaml", 87, "{name: http, port: 80"
    )
    (t,) = cx.traces
    assert [(b.pod, str(b.ip), b.port, b.verdict) for b in t.branches] == [
        ("x/batch", "10.244.1.30", 8080, Verdict.ALLOWED)
    ]


def test_two_services_on_one_external_ip():
    """externalIPs are not checked by the API server: both Services answer on 203.0.113.10:80/TCP."""
    cx = check_fixture(
        "service-resolution/violated-backends.yaml", PROP, max_counterexamples=10
    ).counterexamples[2]
    assert cx.summary == (
        "Services x/api and x/api-v2 both answer on ExternalIP 203.0.113.10:80/TCP; kube-proxy sends every "
        "connection to one of them"
    )
    assert cx.details == {"frontend": "203.0.113.10:80/TCP"}
    assert refs(cx.objects) == [
        "Service x/api port http:80/TCP",
        "Service x/api-v2 port http:80/TCP",
    ]
    assert [where(o) for o in cx.objects] == [
        at("service-resolution/violated-backends.yaml", 87, "{name: http, port: 80"),
        at("service-resolution/violated-backends.yaml", 111, "{name: http, port: 80"),
    ]


def test_the_demo_breaks_only_with_frontend_metrics():
    """Base holds; the change's shop/frontend-metrics names a port the frontend calls http-metrics (README mistake 2)."""
    assert check(load_demo("base"), PROP).status is Status.HOLDS
    result = check(load_demo(), PROP)
    assert result.status is Status.VIOLATED
    # One finding for the port, though both families are empty; a trace per family.
    assert [cx.summary for cx in result.counterexamples] == [
        "Service shop/frontend-metrics port metrics:9090/TCP (IPv4 and IPv6) has no usable endpoint: no selected pod "
        "(shop/frontend-0, shop/frontend-1) declares a TCP container port named 'metrics'"
    ]
    for cx in result.counterexamples:
        assert where(cx.location) == at(
            "fixtures/demo/change/frontend-metrics.yaml", 28, "name: metrics"
        )
        assert cx.pods == ("shop/frontend-0", "shop/frontend-1")
        assert [(t.family, t.verdict) for t in cx.traces] == [
            (4, Verdict.NO_ENDPOINTS),
            (6, Verdict.NO_ENDPOINTS),
        ]


def test_the_replay_client_has_an_address_of_the_frontends_family():
    """A dual-stack Service with no endpoint, only IPv4 pods: its IPv6 ClusterIP is replayed from a node.

    Found by tests/symbolic/test_soundness.py: the replay used to start at an IPv4-only pod, whose
    connection to the IPv6 ClusterIP has no route, and raised SoundnessError instead of reporting.
    """
    c = cluster(
        node("n1", ["192.168.0.1", "fd00:192::1"], pod_cidr="10.244.1.0/24"),
        pod("x/a", ip="10.244.1.10", node="n1"),
        service("x/web", ip=["10.96.0.10", "fd00:10:96::a"], ports=[("http", 80)]),
        pod_cidrs=["10.244.0.0/16", "fd00:10:244::/48"],
        service_cidrs=["10.96.0.0/12", "fd00:10:96::/112"],
    )
    result = check(c, PROP)
    assert result.status is Status.VIOLATED
    assert [
        (cx.summary, [(t.source, str(t.destination), t.verdict) for t in cx.traces])
        for cx in result.counterexamples
    ] == [
        (
            "Service x/web port http:80/TCP (IPv4 and IPv6) has no usable endpoint: the selector app=web matches no "
            "running pod with an IPv4 or IPv6 address in x",
            [
                ("x/a", "10.96.0.10", Verdict.NO_ENDPOINTS),
                ("node/n1", "fd00:10:96::a", Verdict.NO_ENDPOINTS),
            ],
        )
    ]


def test_two_pods_sharing_an_address_do_not_confuse_the_replay_of_a_missing_port():
    """Oracle seed 30257: a headless Service's pods x/a (no SCTP port 'metrics') and x/b (which has
    it) share an address, so x/b's SRV record bears the name x/a's would. The replay of "x/a lacks
    the port" judged by that name and raised SoundnessError; the record's pod decides."""
    c = cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        pod("x/a", ip="10.244.1.12", node="n1", labels={"app": "db"}, ports=[("metrics", 53)]),
        pod(
            "x/b",
            ip="10.244.1.12",
            node="n1",
            labels={"app": "db"},
            ports=[("metrics", 80, "SCTP")],
        ),
        service(
            "x/s", headless=True, selector={"app": "db"}, ports=[("p0", 8080, "metrics", "SCTP")]
        ),
    )
    result = check(c, PROP)
    assert result.status in (Status.HOLDS, Status.VIOLATED)
    assert all("x/b" not in cx.pods for cx in result.counterexamples)
