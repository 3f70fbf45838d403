"""Cluster DNS (semantics.md §7; checklist §12 items 48, 54, 57-65, 73, 76)."""

from __future__ import annotations

from ipaddress import IPv6Address

import pytest

from tests.builders import cluster, endpoint, endpoint_slice, namespace, node, pod, service
from verifier.model import ip_address
from verifier.semantics.dns import (
    NODATA,
    NOERROR,
    NXDOMAIN,
    ResolvConf,
    cluster_dns_ips,
    dashed,
    lookup,
    lookup_upstream,
    ptr_name,
    resolve,
    resolver_config,
    search_candidates,
    zone_names,
)

IP = ip_address
Z = "cluster.local"


def data(answer_or_resolution):
    recs = getattr(answer_or_resolution, "records", None)
    if recs is None:
        recs = answer_or_resolution.answers
    return [r.data for r in recs]


def walk(res):
    return [(a.query_name, a.rcode) for a in res.candidates]


def client(ref="x/client", **kw):
    return pod(ref, ip="10.244.1.100", **kw)


# --------------------------------------------------------------------------- helpers


def test_ptr_name_and_dashed():
    assert ptr_name(IP("10.96.0.10")) == "10.0.96.10.in-addr.arpa."
    assert ptr_name(IP("fd00::1")) == "1." + "0." * 29 + "d.f.ip6.arpa."
    assert dashed(IP("10.1.2.3")) == "10-1-2-3"
    assert dashed(IP("fd00::5")) == "fd00--5"
    assert dashed(IPv6Address("fd00::")) == "fd00--0"


# --------------------------------------------------------------------------- Service records


def test_cluster_ip_service_without_endpoints_still_resolves():  # items 48, 58
    c = cluster(service("x/web", ip="10.96.0.20"))
    a = lookup(c, f"web.x.svc.{Z}", "A")
    assert (a.rcode, data(a), a.authority) == (NOERROR, ["10.96.0.20"], "cluster")
    rec = a.records[0]
    assert rec.name == f"web.x.svc.{Z}." and rec.type == "A" and rec.origin.ref == "x/web"


def test_headless_without_ready_endpoint_is_nxdomain():  # items 54, 58
    not_ready = pod("x/db-0", ip="10.244.1.5", labels={"app": "db"}, ready=False)
    hidden = cluster(service("x/db", headless=True, selector={"app": "db"}), not_ready)
    assert lookup(hidden, f"db.x.svc.{Z}", "A").rcode == NXDOMAIN
    published = cluster(
        service("x/db", headless=True, selector={"app": "db"}, publish_not_ready=True), not_ready
    )
    assert data(lookup(published, f"db.x.svc.{Z}", "A")) == ["10.244.1.5"]


def test_headless_records():
    hs = service("x/web", headless=True, ports=[("http", 80, "http")])
    c = cluster(
        hs,
        pod(
            "x/web-0",
            ip="10.244.1.5",
            labels={"app": "web"},
            hostname="web-0",
            subdomain="web",
            ports=[("http", 8080)],
        ),
        pod("x/web-1", ip="10.244.1.6", labels={"app": "web"}, ports=[("http", 8081)]),
        pod("x/web-2", ip="10.244.1.7", labels={"app": "web"}),  # lacks the named port
    )
    # A: every ready endpoint, the one without the port included.
    assert sorted(data(lookup(c, f"web.x.svc.{Z}", "A"))) == [
        "10.244.1.5",
        "10.244.1.6",
        "10.244.1.7",
    ]
    # Endpoint names: the hostname, else the dashed IP (CoreDNS).
    assert data(lookup(c, f"web-0.web.x.svc.{Z}", "A")) == ["10.244.1.5"]
    assert data(lookup(c, f"10-244-1-6.web.x.svc.{Z}", "A")) == ["10.244.1.6"]
    assert lookup(c, f"web-9.web.x.svc.{Z}", "A").rcode == NXDOMAIN
    # SRV: one per (ready endpoint x named port), the endpoint's port, weight 100/n.
    srv = lookup(c, f"_http._tcp.web.x.svc.{Z}", "SRV")
    assert sorted(data(srv)) == [
        f"0 50 8080 web-0.web.x.svc.{Z}.",
        f"0 50 8081 10-244-1-6.web.x.svc.{Z}.",
    ]
    assert lookup(c, f"_http._udp.web.x.svc.{Z}", "SRV").rcode == NXDOMAIN
    # PTR for an endpoint IP names the endpoint.
    assert data(lookup(c, ptr_name(IP("10.244.1.5")), "PTR")) == [f"web-0.web.x.svc.{Z}."]


def test_endpoint_hostname_from_slice_and_pod_subdomain():  # item 62
    lone = pod("x/h", ip="10.244.1.5", labels={"app": "h"}, hostname="h0", subdomain="s")
    without = cluster(lone)
    assert lookup(without, f"h0.s.x.svc.{Z}", "A").rcode == NXDOMAIN
    with_svc = cluster(lone, service("x/s", headless=True, selector={"app": "h"}))
    assert data(lookup(with_svc, f"h0.s.x.svc.{Z}", "A")) == ["10.244.1.5"]
    not_ready = cluster(
        pod("x/h", ip="10.244.1.5", labels={"app": "h"}, hostname="h0", subdomain="s", ready=False),
        service("x/s", headless=True, selector={"app": "h"}),
    )
    assert lookup(not_ready, f"h0.s.x.svc.{Z}", "A").rcode == NXDOMAIN
    sliced = cluster(
        service("x/s", headless=True, selector=None),
        endpoint_slice("x/s-1", service="s", endpoints=[endpoint("10.244.1.9", hostname="db")]),
    )
    assert data(lookup(sliced, f"db.s.x.svc.{Z}", "A")) == ["10.244.1.9"]
    assert lookup(sliced, f"db.s.x.svc.{Z}", "A").records[0].origin.name == "s-1"


def test_aaaa_for_ipv4_service_is_nodata():  # item 59
    c = cluster(service("x/web", ip="10.96.0.20"))
    a = lookup(c, f"web.x.svc.{Z}", "AAAA")
    assert (a.rcode, a.records, a.status) == (NOERROR, (), NODATA)


def test_dual_stack_service_records():
    c = cluster(service("x/web", ip=["10.96.0.20", "fd00:96::20"], ports=[("http", 80)]))
    assert data(lookup(c, f"web.x.svc.{Z}", "A")) == ["10.96.0.20"]
    assert data(lookup(c, f"web.x.svc.{Z}", "AAAA")) == ["fd00:96::20"]
    # One SRV per name and port; CoreDNS counts one entry per ClusterIP when weighting.
    assert data(lookup(c, f"_http._tcp.web.x.svc.{Z}", "SRV")) == [f"0 50 80 web.x.svc.{Z}."]
    assert data(lookup(c, ptr_name(IP("fd00:96::20")), "PTR")) == [f"web.x.svc.{Z}."]


def test_headless_single_stack_over_dual_stack_pods():  # item 73
    c = cluster(
        service("x/db", headless=True, families=[4]),
        pod("x/db", ip=["10.244.1.5", "fd00:244:1::5"]),
    )
    assert data(lookup(c, f"db.x.svc.{Z}", "A")) == ["10.244.1.5"]
    assert lookup(c, f"db.x.svc.{Z}", "AAAA").status == NODATA


def test_srv_only_for_named_ports():  # item 60
    c = cluster(service("x/web", ip="10.96.0.20", ports=[("http", 80), (None, 81)]))
    assert data(lookup(c, f"_http._tcp.web.x.svc.{Z}", "SRV")) == [f"0 100 80 web.x.svc.{Z}."]
    assert lookup(c, f"_81._tcp.web.x.svc.{Z}", "SRV").rcode == NXDOMAIN
    # The bare service name (a CoreDNS extension) lists every port.
    assert sorted(data(lookup(c, f"web.x.svc.{Z}", "SRV"))) == [
        f"0 50 80 web.x.svc.{Z}.",
        f"0 50 81 web.x.svc.{Z}.",
    ]


def test_ptr_records():
    c = cluster(
        service("x/web", ip="10.96.0.20"), external_names={"example.com": ["93.184.216.34"]}
    )
    assert data(lookup(c, ptr_name(IP("10.96.0.20")), "PTR")) == [f"web.x.svc.{Z}."]
    unknown = lookup(c, ptr_name(IP("10.96.0.99")), "PTR")
    assert (unknown.rcode, unknown.authority) == (NXDOMAIN, "upstream")  # fallthrough
    assert lookup(c, "96.10.in-addr.arpa.", "PTR").authority == "upstream"


def test_external_name():  # item 61
    c = cluster(
        service("x/ext", type="ExternalName", external_name="db.example.com"),
        service("x/ip", type="ExternalName", external_name="192.0.2.1"),
        external_names={"db.example.com": ["192.0.2.7"]},
    )
    a = lookup(c, f"ext.x.svc.{Z}", "A")
    assert [(r.name, r.type, r.data) for r in a.records] == [
        (f"ext.x.svc.{Z}.", "CNAME", "db.example.com."),
        ("db.example.com.", "A", "192.0.2.7"),
    ]
    assert a.records[0].origin.ref == "x/ext" and a.records[1].origin is None
    assert data(lookup(c, f"ext.x.svc.{Z}", "CNAME")) == ["db.example.com."]
    assert lookup(c, f"ext.x.svc.{Z}", "SRV").status == NODATA
    assert lookup(c, f"ip.x.svc.{Z}", "A").rcode == NXDOMAIN


def test_external_name_chains():
    c = cluster(
        service("x/web", ip="10.96.0.20"),
        service("x/alias", type="ExternalName", external_name=f"web.x.svc.{Z}"),
        service("x/alias2", type="ExternalName", external_name=f"alias.x.svc.{Z}"),
        service("x/dangling", type="ExternalName", external_name=f"nope.x.svc.{Z}"),
        service("x/outside", type="ExternalName", external_name="nowhere.example.org"),
    )
    a = lookup(c, f"alias2.x.svc.{Z}", "A")
    assert [(r.type, r.data) for r in a.records] == [
        ("CNAME", f"alias.x.svc.{Z}."),
        ("CNAME", f"web.x.svc.{Z}."),
        ("A", "10.96.0.20"),
    ]
    # A chain into the zone that ends nowhere: an empty NOERROR.
    assert lookup(c, f"dangling.x.svc.{Z}", "A").status == NODATA
    # Out of the zone with no upstream answer: the CNAME alone (CoreDNS returns it).
    out = lookup(c, f"outside.x.svc.{Z}", "A")
    assert (
        out.rcode == NOERROR and [r.type for r in out.records] == ["CNAME"] and out.addresses == ()
    )
    r = resolve(c, client(), "outside.x.svc.cluster.local.", "A")
    assert r.rcode == NOERROR and r.addresses == ()


def test_txt_dns_version_and_nodata_names():
    c = cluster(service("x/web", ip="10.96.0.20"), namespace("empty"))
    assert data(lookup(c, f"dns-version.{Z}", "TXT")) == ['"1.1.0"']
    assert lookup(c, f"web.x.svc.{Z}", "TXT").status == NODATA
    for name in (Z, f"svc.{Z}", f"pod.{Z}", f"x.svc.{Z}", f"empty.svc.{Z}"):
        assert lookup(c, name, "A").status == NODATA, name
    for name in (
        f"nope.svc.{Z}",
        f"nope.x.svc.{Z}",
        f"web.x.foo.{Z}",
        f"a.b.c.web.x.svc.{Z}",
        f"web.nope.svc.{Z}",
    ):
        assert lookup(c, name, "A").rcode == NXDOMAIN, name
    assert (
        lookup(c, f"WEB.X.SVC.{Z.upper()}.", "A").records[0].data == "10.96.0.20"
    )  # case-insensitive


def test_ns_dns_name_is_kube_dns():
    c = cluster(service("kube-system/kube-dns", ip="10.96.0.10", ports=[("dns", 53, 53, "UDP")]))
    assert data(lookup(c, f"ns.dns.{Z}", "A")) == ["10.96.0.10"]


# --------------------------------------------------------------------------- pod records


@pytest.mark.parametrize(
    "mode, name, expected",
    [
        ("insecure", f"10-244-1-5.x.pod.{Z}", ["10.244.1.5"]),
        ("insecure", f"10-9-9-9.x.pod.{Z}", ["10.9.9.9"]),  # no such pod: still answered
        ("insecure", f"10-244-1-5.nope.pod.{Z}", NXDOMAIN),  # namespace must exist
        ("insecure", f"not-an-ip-at-all.x.pod.{Z}", NXDOMAIN),
        ("verified", f"10-244-1-5.x.pod.{Z}", ["10.244.1.5"]),
        ("verified", f"10-9-9-9.x.pod.{Z}", NXDOMAIN),
        ("verified", f"10-244-1-5.y.pod.{Z}", NXDOMAIN),  # the pod lives in x
        ("disabled", f"10-244-1-5.x.pod.{Z}", NXDOMAIN),
    ],
)
def test_pod_records(mode, name, expected):
    c = cluster(pod("x/a", ip="10.244.1.5"), namespace("y"), dns_pods=mode)
    a = lookup(c, name, "A")
    assert (a.rcode if expected == NXDOMAIN else data(a)) == expected


def test_pod_records_ipv6():
    c = cluster(pod("x/a", ip=["10.244.1.5", "fd00:244::5"]))
    assert lookup(c, f"fd00--244--5.x.pod.{Z}", "AAAA").rcode == NXDOMAIN  # "::" twice: not an IP
    assert data(lookup(c, f"fd00-244--5.x.pod.{Z}", "AAAA")) == ["fd00:244::5"]
    assert lookup(c, f"fd00-244--5.x.pod.{Z}", "A").status == NODATA


# --------------------------------------------------------------------------- upstream


def test_upstream():
    c = cluster(external_names={"db.example.com.": ["192.0.2.7", "2001:db8::7"]})
    assert data(lookup(c, "db.example.com", "A")) == ["192.0.2.7"]
    assert data(lookup(c, "db.example.com", "AAAA")) == ["2001:db8::7"]
    assert lookup(c, "db.example.com", "MX").status == NODATA
    assert lookup(c, "other.example.com", "A").rcode == NXDOMAIN
    assert lookup(c, "db.example.com", "A").authority == "upstream"
    assert lookup_upstream(c, f"web.x.svc.{Z}", "A").rcode == NXDOMAIN


def test_zone_names():
    c = cluster(
        service("x/web", ip="10.96.0.20", ports=[("http", 80)]),
        service("x/hs", headless=True, ports=[("grpc", 9000)]),
        pod("x/hs", ip="10.244.1.5", hostname="hs-0", subdomain="hs"),
        dns_pods="disabled",
    )
    assert zone_names(c) == (
        f"_grpc._tcp.hs.x.svc.{Z}.",
        f"_http._tcp.web.x.svc.{Z}.",
        f"dns-version.{Z}.",
        f"hs-0.hs.x.svc.{Z}.",
        f"hs.x.svc.{Z}.",
        f"web.x.svc.{Z}.",
    )


# --------------------------------------------------------------------------- resolv.conf


def test_resolver_config_cluster_first():
    c = cluster(
        node_search=["corp.example.com.", "svc.cluster.local"], node_nameservers=["192.168.0.53"]
    )
    conf = resolver_config(c, client())
    assert conf.nameservers == ("10.96.0.10",)
    assert conf.search == (
        "x.svc.cluster.local",
        "svc.cluster.local",
        "cluster.local",
        "corp.example.com",
    )
    assert (conf.ndots, conf.options, conf.uses_cluster_dns, conf.policy) == (
        5,
        ("ndots:5",),
        True,
        "ClusterFirst",
    )


def test_cluster_dns_ips():
    assert cluster_dns_ips(cluster(service_cidrs=["10.100.0.0/16"])) == (IP("10.100.0.10"),)
    assert cluster_dns_ips(cluster(service("kube-system/kube-dns", ip="10.96.0.53"))) == (
        IP("10.96.0.53"),
    )
    assert cluster_dns_ips(cluster(cluster_dns=["169.254.20.10"])) == (IP("169.254.20.10"),)


def test_resolver_config_host_network():  # item 63 (configuration)
    c = cluster(node_nameservers=["192.168.0.53"], node_search=["corp.example.com"])
    host = resolver_config(c, client(host_network=True))
    assert (host.nameservers, host.search, host.ndots, host.policy) == (
        ("192.168.0.53",),
        ("corp.example.com",),
        1,
        "Default",
    )
    assert not host.uses_cluster_dns and "ClusterFirstWithHostNet" in host.policy_note
    with_host_net = resolver_config(
        c, client(host_network=True, dns_policy="ClusterFirstWithHostNet")
    )
    assert with_host_net.uses_cluster_dns and with_host_net.ndots == 5
    default = resolver_config(c, client(dns_policy="Default"))
    assert default.nameservers == ("192.168.0.53",) and not default.uses_cluster_dns


def test_resolver_config_dns_config_merge_and_limits():
    p = client(
        nameservers=["10.96.0.10", "1.1.1.1", "8.8.8.8", "9.9.9.9"],
        searches=["x.svc.cluster.local", "extra.example"],
        options={"ndots": "2", "edns0": None},
    )
    conf = resolver_config(cluster(), p)
    assert conf.nameservers == ("10.96.0.10", "1.1.1.1", "8.8.8.8")  # dedup, then 3 at most
    assert conf.search == (
        "x.svc.cluster.local",
        "svc.cluster.local",
        "cluster.local",
        "extra.example",
    )
    assert conf.options == ("ndots:2", "edns0") and conf.ndots == 2
    many = resolver_config(cluster(), client(searches=[f"s{i}.example" for i in range(40)]))
    assert len(many.search) == 32
    none = resolver_config(
        cluster(), client(dns_policy="None", nameservers=["1.1.1.1"], searches=["example.org"])
    )
    assert (none.nameservers, none.search, none.ndots, none.uses_cluster_dns) == (
        ("1.1.1.1",),
        ("example.org",),
        1,
        False,
    )


def test_resolver_config_differs_by_every_pod_field_it_reads_on_one_cluster():
    """resolv.conf is kept per cluster and per what kubelet reads of the pod: asked on one
    cluster object, pods that differ in one such field each get their own."""
    c = cluster(node_nameservers=["192.168.0.53"], node_search=["corp.example.com"])
    assert resolver_config(c, client("x/a")).search[0] == "x.svc.cluster.local"
    assert resolver_config(c, client("y/a")).search[0] == "y.svc.cluster.local"
    assert resolver_config(c, client("x/b", dns_policy="Default")).nameservers == ("192.168.0.53",)
    assert resolver_config(c, client("x/c", host_network=True)).policy == "Default"
    assert resolver_config(c, client("x/d", searches=["extra.example"])).search[-1] == (
        "extra.example"
    )
    assert resolver_config(c, client("x/e")).search[-1] == "corp.example.com"


def test_custom_cluster_domain():
    c = cluster(service("x/web", ip="10.96.0.20"), cluster_domain="corp.internal")
    conf = resolver_config(c, client())
    assert conf.search == ("x.svc.corp.internal", "svc.corp.internal", "corp.internal")
    assert data(resolve(c, client(), "web")) == ["10.96.0.20"]
    assert lookup(c, "web.x.svc.cluster.local", "A").authority == "upstream"


# --------------------------------------------------------------------------- the stub resolver


def test_search_candidates():
    conf = ResolvConf(
        ("10.96.0.10",),
        ("x.svc.cluster.local", "svc.cluster.local", "cluster.local"),
        5,
        (),
        "",
        True,
    )
    assert search_candidates("db.prod.svc.cluster.local", conf) == (  # 4 dots < 5: search first
        "db.prod.svc.cluster.local.x.svc.cluster.local.",
        "db.prod.svc.cluster.local.svc.cluster.local.",
        "db.prod.svc.cluster.local.cluster.local.",
        "db.prod.svc.cluster.local.",
    )
    assert search_candidates("example.com.", conf) == ("example.com.",)
    one = ResolvConf((), ("a.example",), 1, (), "", False)
    assert search_candidates("db.y", one) == ("db.y.", "db.y.a.example.")
    root = ResolvConf((), ("a.example", "."), 1, (), "", False)
    assert search_candidates("db", root) == ("db.a.example.", "db.")
    no_tld = ResolvConf((), ("a.example",), 1, ("no-tld-query",), "", False)
    assert search_candidates("db", no_tld) == ("db.a.example.",)


def test_service_in_other_namespace():  # item 57
    c = cluster(service("y/db", ip="10.96.0.30"), client())
    r = resolve(c, client(), "db")
    assert r.rcode == NXDOMAIN and r.answers == () and r.answered_by is None
    assert walk(r) == [
        (f"db.x.svc.{Z}.", NXDOMAIN),
        (f"db.svc.{Z}.", NXDOMAIN),
        (f"db.{Z}.", NXDOMAIN),
        ("db.", NXDOMAIN),
    ]
    r2 = resolve(c, client(), "db.y")
    assert data(r2) == ["10.96.0.30"] and r2.answered_by == f"db.y.svc.{Z}."
    assert walk(r2) == [(f"db.y.x.svc.{Z}.", NXDOMAIN), (f"db.y.svc.{Z}.", NOERROR)]
    assert r2.answers[0].origin.ref == "y/db"


def test_failed_search_reports_nodata_when_a_candidate_had_the_name():
    c = cluster(namespace("db"), client())
    r = resolve(c, client(), "db")
    assert walk(r)[1] == (f"db.svc.{Z}.", NODATA)  # namespace "db" exists
    assert r.rcode == NODATA


def test_ndots_one():  # item 65
    c = cluster(service("y/db", ip="10.96.0.30"), client(options={"ndots": "1"}))
    r = resolve(c, client(options={"ndots": "1"}), "db.y")
    assert r.resolver.ndots == 1
    assert walk(r) == [
        ("db.y.", NXDOMAIN),
        (f"db.y.x.svc.{Z}.", NXDOMAIN),
        (f"db.y.svc.{Z}.", NOERROR),
    ]
    assert data(r) == ["10.96.0.30"]


def test_as_is_first_failure_keeps_its_rcode():
    c = cluster(namespace("db"), client(options={"ndots": "1"}))
    r = resolve(c, client(options={"ndots": "1"}), "x.db")
    assert r.candidates[0].query_name == "x.db." and r.rcode == NXDOMAIN


def test_host_network_cluster_first_does_not_see_cluster_names():  # item 63
    c = cluster(service("y/db", ip="10.96.0.30"), node_nameservers=["192.168.0.53"])
    host = client(host_network=True)
    r = resolve(c, host, "db.y")
    assert r.rcode == NXDOMAIN and not r.resolver.uses_cluster_dns
    assert walk(r) == [("db.y.", NXDOMAIN)]  # the node has no search list, ndots 1
    fixed = resolve(c, client(host_network=True, dns_policy="ClusterFirstWithHostNet"), "db.y")
    assert data(fixed) == ["10.96.0.30"]
    # ... unless the node's resolver itself is the cluster DNS.
    via_node = cluster(
        service("y/db", ip="10.96.0.30"),
        node_nameservers=["10.96.0.10"],
        node_search=["svc.cluster.local"],
    )
    assert data(resolve(via_node, host, "db.y")) == ["10.96.0.30"]


def test_dns_policy_none():  # item 64
    c = cluster(service("y/db", ip="10.96.0.30"), external_names={"example.com": ["93.184.216.34"]})
    p = client(dns_policy="None", nameservers=["1.1.1.1"])
    assert resolve(c, p, "db.y").rcode == NXDOMAIN
    assert resolve(c, p, f"db.y.svc.{Z}").rcode == NXDOMAIN
    ok = resolve(c, p, "example.com")
    assert data(ok) == ["93.184.216.34"] and ok.answers[0].source == c.config.source


def test_shadowing_by_endpoint_hostname():
    c = cluster(
        service("app/prod", headless=True, selector={"app": "prod-db"}),
        pod(
            "app/prod-db-0",
            ip="10.244.1.5",
            labels={"app": "prod-db"},
            hostname="db",
            subdomain="prod",
        ),
        service("prod/db", ip="10.96.0.40"),
        namespace("prod"),
    )
    me = pod("app/client", ip="10.244.1.100")
    r = resolve(c, me, "db.prod")
    assert data(r) == ["10.244.1.5"] and r.answered_by == f"db.prod.app.svc.{Z}."
    assert [a.query_name for a in r.shadowed] == [f"db.prod.svc.{Z}."]
    assert data(r.shadowed[0].answer) == ["10.96.0.40"]
    # From another namespace the Service in "prod" answers.
    other = resolve(c, pod("z/client", ip="10.244.1.101"), "db.prod")
    assert data(other) == ["10.96.0.40"] and other.shadowed == ()


def test_namespace_captures_public_name():  # item 76
    c = cluster(
        service("com/example", ip="10.96.0.50"), external_names={"example.com": ["93.184.216.34"]}
    )
    r = resolve(c, client(), "example.com")
    assert data(r) == ["10.96.0.50"] and r.answered_by == f"example.com.svc.{Z}."
    assert walk(r) == [(f"example.com.x.svc.{Z}.", NXDOMAIN), (f"example.com.svc.{Z}.", NOERROR)]
    assert [a.query_name for a in r.shadowed] == ["example.com."]
    assert data(resolve(c, client(), "example.com.")) == ["93.184.216.34"]  # absolute: no search


def test_aaaa_walk_continues_past_nodata():
    c = cluster(service("x/web", ip="10.96.0.20"), external_names={"web": ["2001:db8::1"]})
    r = resolve(c, client(), "web", "AAAA")
    assert walk(r) == [
        (f"web.x.svc.{Z}.", NODATA),
        (f"web.svc.{Z}.", NXDOMAIN),
        (f"web.{Z}.", NXDOMAIN),
        ("web.", NOERROR),
    ]
    assert data(r) == ["2001:db8::1"]


def test_ip_literals():
    c = cluster(service("x/web", ip="10.96.0.20"))
    r = resolve(c, client(), "10.96.0.20")
    assert r.literal and data(r) == ["10.96.0.20"] and r.candidates == ()
    assert resolve(c, client(), "10.96.0.20", "AAAA").rcode == NODATA
    ptr = resolve(c, client(), "10.96.0.20", "PTR")
    assert data(ptr) == [f"web.x.svc.{Z}."]
    with pytest.raises(ValueError):
        resolve(c, client(), " ")


def test_resolution_text_fields():
    c = cluster(service("x/web", ip="10.96.0.20"))
    r = resolve(c, client(), "WEB", "a")
    assert (r.name, r.qtype, r.ok, r.addresses) == ("WEB", "A", True, (IP("10.96.0.20"),))
    assert r.resolver.text.splitlines()[0] == "nameserver 10.96.0.10"


def test_lookups_are_fast_on_a_larger_cluster():
    objs = [node(f"n{i}", f"192.168.0.{i + 1}") for i in range(5)]
    for n in range(20):
        objs.append(service(f"ns{n}/svc", ip=f"10.96.{n}.1", ports=[("http", 80)]))
        objs += [
            pod(f"ns{n}/svc-{k}", ip=f"10.244.{n}.{k + 1}", labels={"app": "svc"})
            for k in range(20)
        ]
    c = cluster(*objs)
    me = pod("ns0/svc-0", ip="10.244.0.1", labels={"app": "svc"})
    for n in range(20):
        assert data(resolve(c, me, f"svc.ns{n}")) == [f"10.96.{n}.1"]


def test_may_answer_is_a_sound_negative_test():
    """``may_answer`` False must mean no records for any type: the DNS property skips such names.

    (CoreDNS answers TXT in its zone with NODATA even for names that do not exist.)"""
    from itertools import product

    from verifier import load
    from verifier.semantics.dns import lookup, may_answer

    c = load("fixtures/demo")
    labels = {
        "shop",
        "payments",
        "svc",
        "cluster",
        "local",
        "nope",
        "pod",
        "internal",
        "vault",
        "x",
    }
    labels |= {s.name for s in c.services} | {n.name for n in c.namespaces}
    labels |= {p.hostname for p in c.pods if p.hostname}
    checked = 0
    for parts in product(sorted(labels), repeat=2):
        for suffix in ("svc.cluster.local", "cluster.local", "pod.cluster.local"):
            name = ".".join(parts) + f".{suffix}."
            if may_answer(c, name):
                continue
            checked += 1
            for qtype in ("A", "AAAA", "SRV", "CNAME"):
                assert lookup(c, name, qtype).rcode == "NXDOMAIN", (name, qtype)
            assert not lookup(c, name, "TXT").records, name
    assert checked > 100
