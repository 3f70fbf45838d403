"""What the ``dns-resolution`` oracle (tests/oracle/dns.py) found, each on a small hand-built cluster.

* a ``publishNotReadyAddresses`` Service publishes its not-ready endpoints in DNS, also those of
  hand-written EndpointSlices (semantics.md §7.2: "with publishNotReadyAddresses: true every
  endpoint is ready"): the zone left them out, so a not-ready endpoint hostname that shadows
  another namespace's Service went unseen (a false HOLDS; oracle seed 55);
* ``_port._proto.<svc>.<ns>.svc.<zone>`` of an ExternalName Service is NXDOMAIN (it has no
  ports; CoreDNS ``findServices`` skips it): the zone answered its CNAME, so
  ``example.corp.example`` typed from ``y`` was reported shadowed by
  ``example.corp.example.y.svc.cluster.local`` (a bogus counterexample; seed 157);
* an ExternalName's CNAME answers every type, so its names are checked for A and AAAA on a
  dual-stack cluster (the statement says "A and AAAA"): only A was (a false HOLDS; seed 723);
* the implicit cluster DNS pods are servers, never clients (issue 10): pods "in kube-system"
  were said not to resolve names (a bogus counterexample; seed 11);
* the walk a counterexample shows is its own pod's: a walk shared between pods whose
  candidates differ only in names that exist nowhere showed another namespace's candidates
  (seed 1042);
* a pod without an address of the asked family resolves the name but connects nowhere: the
  replay raised SoundnessError (seed 62).
* the engine's trace of an undeclared public name raised SoundnessError on a cluster with
  a LoadBalancer IP or an externalIP (seed 39).
"""

from __future__ import annotations

from tests.builders import cluster, endpoint, endpoint_slice, node, pod, service
from verifier.engine import trace
from verifier.properties import Status, check
from verifier.semantics.dns import lookup
from verifier.semantics.infrastructure import with_implicit_infrastructure
from verifier.trace import Verdict

PROP = "dns-resolution"
N1 = node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24")
N1_DUAL = node(
    "n1", ["192.168.0.1", "fd00:192::1"], pod_cidr=["10.244.1.0/24", "fd00:10:244:1::/64"]
)


def _result(c, limit: int = 10):
    return check(c, properties=[PROP], max_counterexamples=limit).results[0]


def _found(result) -> list[tuple]:
    return [
        (
            cx.details["name"],
            cx.details["type"],
            cx.details["answered_by"],
            cx.details["namespaces"],
        )
        for cx in result.counterexamples
    ]


def test_a_not_ready_endpoint_of_a_publish_not_ready_service_is_published_and_shadows():
    """app/prod (headless, publishNotReadyAddresses, a hand-written slice) has a not-ready
    endpoint with hostname db: db.prod from app is answered by it, not by Service prod/db."""
    c = cluster(
        N1,
        pod("app/client", ip="10.244.1.10", node="n1"),
        service("prod/db", ip="10.96.0.30", ports=[("pg", 5432)], selector=None),
        service("app/prod", headless=True, selector=None, ports=(), publish_not_ready=True),
        endpoint_slice(
            "app/prod-1",
            service="prod",
            endpoints=[endpoint("10.244.1.40", ready=False, hostname="db")],
        ),
    )
    assert [r.data for r in lookup(c, "db.prod.app.svc.cluster.local", "A").records] == [
        "10.244.1.40"
    ]
    result = _result(c)
    assert result.status is Status.VIOLATED
    assert ("db.prod", "A", "db.prod.app.svc.cluster.local.", ["app"]) in _found(result)


def test_an_external_name_service_has_no_port_names():
    """y/example (ExternalName): example.corp.example.y.svc.cluster.local is no port name of it."""
    c = cluster(
        N1,
        pod("y/client", ip="10.244.1.10", node="n1"),
        service("y/example", type="ExternalName", external_name="unknown.example.net"),
        external_names={"example.corp.example": ["8.8.8.8"]},
    )
    assert lookup(c, "example.corp.example.y.svc.cluster.local", "A").status == "NXDOMAIN"
    assert lookup(c, "_http._tcp.example.y.svc.cluster.local", "A").status == "NXDOMAIN"
    assert lookup(c, "example.y.svc.cluster.local", "A").records[0].data == "unknown.example.net."
    result = _result(c)
    assert (result.status, _found(result)) == (Status.HOLDS, [])


def test_external_name_services_are_checked_for_every_family_of_the_cluster():
    """y/ip (ExternalName to an IP: NXDOMAIN) from y: the node's search domain reaches
    ip.corp.example upstream, which has an IPv6 address only: shadowed for AAAA."""
    c = cluster(
        N1_DUAL,
        pod("y/client", ip=["10.244.1.10", "fd00:10:244:1::a"], node="n1"),
        service("y/ip", type="ExternalName", external_name="192.0.2.1"),
        external_names={"ip.corp.example": ["2001:db8::1"]},
        node_search=["corp.example"],
        pod_cidrs=["10.244.0.0/16", "fd00:10:244::/48"],
        service_cidrs=["10.96.0.0/12", "fd00:10:96::/112"],
    )
    result = _result(c)
    assert result.status is Status.VIOLATED
    assert _found(result) == [("ip", "AAAA", "ip.corp.example.", ["y"])]


def test_the_implicit_dns_pods_are_no_clients():
    """The node's resolver is the cluster DNS: kube-system/coredns-* (dnsPolicy Default, made up
    by the loader) would ask it with the node's search list, but they are servers only."""
    base = cluster(
        N1,
        pod("x/client", ip="10.244.1.10", node="n1"),
        node_nameservers=["10.96.0.10"],
    )
    c = with_implicit_infrastructure(base)
    assert any(p.implicit and p.namespace == "kube-system" for p in c.pods)
    result = _result(c)
    assert (result.status, _found(result)) == (Status.HOLDS, [])


def test_the_walk_shown_is_the_pods_own():
    """y/web is s1.x (hostname s1, subdomain x, no Service x in y): from y, s1.x is answered by
    Service x/s1. The walk shown starts with y's candidate, not x's."""
    c = cluster(
        N1,
        pod("x/a", ip="10.244.1.10", node="n1"),
        pod("y/web", ip="10.244.1.11", node="n1", hostname="s1", subdomain="x"),
        service("x/s1", ip="10.96.0.31", ports=[("http", 80)], selector=None),
    )
    result = _result(c)
    assert result.status is Status.VIOLATED
    (cx,) = result.counterexamples
    assert (cx.details["name"], cx.details["expected"], cx.pods) == (
        "s1.x",
        "s1.x.y.svc.cluster.local.",
        ("y/web",),
    )
    assert cx.details["search"] == [
        "s1.x.y.svc.cluster.local. NXDOMAIN",
        "s1.x.svc.cluster.local. NOERROR",
    ]


def test_a_pod_without_the_family_resolves_but_does_not_connect():
    """z/a has IPv4 only; z/y (headless) has an IPv6 endpoint with hostname s1: s1.y AAAA from z
    is shadowed. The replay resolves it the same way and connects nowhere (no crash)."""
    c = cluster(
        N1_DUAL,
        pod("z/a", ip="10.244.1.10", node="n1"),
        service("y/s1", ip=["10.96.0.31", "fd00:10:96::31"], ports=[("http", 80)], selector=None),
        service("z/y", headless=True, selector=None, ports=(), families=(4, 6)),
        endpoint_slice(
            "z/y-6",
            service="y",
            endpoints=[endpoint("fd00:10:244:1::40", hostname="s1")],
            address_type="IPv6",
        ),
        pod_cidrs=["10.244.0.0/16", "fd00:10:244::/48"],
        service_cidrs=["10.96.0.0/12", "fd00:10:96::/112"],
    )
    result = _result(c)
    assert result.status is Status.VIOLATED
    assert ("s1.y", "AAAA", "s1.y.z.svc.cluster.local.", ["z"]) in _found(result)
    cx = next(x for x in result.counterexamples if x.details["name"] == "s1.y")
    assert cx.traces[0].address is None


def test_an_undeclared_public_name_on_a_cluster_with_a_load_balancer_ip():
    """The engine's trace of an undeclared public name raised SoundnessError on a cluster with
    a LoadBalancer IP: the upstream examples took the LB IP for a denied outside address (no
    path "to the outside" delivers it), and kube-proxy takes it in and delivers it (oracle seeds
    39, 217, 373...: 79 of 5,000 clusters). The cluster's own frontends are no upstream answer:
    x/a's egress is open, so every outside address is allowed and none is denied."""
    from verifier.upstream import outside_examples

    lb = "198.51.100.10"
    c = cluster(
        N1,
        pod("x/a", ip="10.244.1.10", node="n1"),
        pod("x/web", ip="10.244.1.11", node="n1", ports=[("http", 80)]),
        service(
            "x/web", ip="10.96.0.20", ports=[("http", 443, 80)], type="LoadBalancer", lb_ips=[lb]
        ),
    )
    examples = outside_examples(c, c.pod("x/a"), 443, "TCP", 4)
    assert (examples.unknown, examples.denied) == (None, None)
    assert examples.allowed is not None and str(examples.allowed) != lb
    t = trace(c, "x/a", "foo.example.org", 443, "TCP")
    assert t.verdict is Verdict.ALLOWED and str(t.address) != lb


def test_a_counterexample_replays_when_felix_drops_packets_to_the_pods_own_node():
    """The cluster DNS is a hostNetwork pod on app/client's own node, and Felix drops a pod's
    packets to its own node (DefaultEndpointToHostAction=Drop): the replay's trace of the lookup
    stopped at DNS_BLOCKED and showed no answer, a SoundnessError (DNS oracle seed 5183). The
    replay opens everything but the walk: the shadowing is shown with the answer."""
    c = cluster(
        N1,
        pod("app/client", ip="10.244.1.10", node="n1"),
        pod(
            "kube-system/dns",
            ip="192.168.0.1",
            node="n1",
            host_network=True,
            labels={"app": "dns"},
            ports=[("dns", 53, "UDP")],
        ),
        service(
            "kube-system/kube-dns",
            ip="10.96.0.10",
            ports=[("dns", 53, "dns", "UDP")],
            selector={"app": "dns"},
        ),
        service("prod/db", ip="10.96.0.30", ports=[("pg", 5432)], selector=None),
        service("app/prod", headless=True, selector=None, ports=()),
        endpoint_slice(
            "app/prod-1", service="prod", endpoints=[endpoint("10.244.1.40", hostname="db")]
        ),
        endpoint_to_host="Drop",
    )
    result = _result(c)
    assert result.status is Status.VIOLATED
    assert ("db.prod", "A", "db.prod.app.svc.cluster.local.", ["app"]) in _found(result)
    (cx,) = [x for x in result.counterexamples if x.details["name"] == "db.prod"]
    (t,) = cx.traces
    assert (t.resolved_by, str(t.address)) == ("db.prod.app.svc.cluster.local.", "10.244.1.40")
