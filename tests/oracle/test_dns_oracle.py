"""The oracle's own resolver (tests/oracle/dns.py) on semantics.md §7.6-7.7's examples, exactly.

A pod in namespace ``app`` (``ndots:5``, zone ``cluster.local``), as in §7.7's table.
"""

from __future__ import annotations

from tests.builders import cluster, endpoint, endpoint_slice, namespace, node, pod, service
from tests.oracle.dns import (
    SHARE,
    Zone,
    candidates,
    check_dns_resolution,
    resolv_conf,
    violations,
    walk,
    with_dns_variety,
)

N1 = node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24")
CLIENT = pod("app/client", ip="10.244.1.10", node="n1")
PROD_DB = service("prod/db", ip="10.96.0.30", ports=[("pg", 5432)], selector=None)


def _walk(c, name: str, qtype: str = "A", client: str = "app/client"):
    p = c.pod_by_ref[client]
    return walk(Zone(c), resolv_conf(c, p), name, qtype)


def _steps(w) -> list[str]:
    return [f"{q} {a.status}" for q, a in w.steps]


def test_the_resolv_conf_of_cluster_first():
    conf = resolv_conf(cluster(N1, CLIENT, node_search=["corp.example"]), CLIENT)
    assert conf.nameservers == ("10.96.0.10",)
    assert conf.search == (
        "app.svc.cluster.local",
        "svc.cluster.local",
        "cluster.local",
        "corp.example",
    )
    assert (conf.ndots, conf.policy, conf.cluster) == (5, "ClusterFirst", True)


def test_db_is_the_own_namespaces_service_else_every_candidate_fails():
    c = cluster(N1, CLIENT, service("app/db", ip="10.96.0.31", selector=None), PROD_DB)
    w = _walk(c, "db")
    assert (w.answered_by, _steps(w)) == (
        "db.app.svc.cluster.local.",
        ["db.app.svc.cluster.local. NOERROR"],
    )
    assert [r[1] for r in w.records] == ["10.96.0.31"]
    w = _walk(cluster(N1, CLIENT, PROD_DB, node_search=["corp.example"]), "db")
    assert w.answered_by is None
    assert _steps(w) == [
        "db.app.svc.cluster.local. NXDOMAIN",
        "db.svc.cluster.local. NXDOMAIN",
        "db.cluster.local. NXDOMAIN",
        "db.corp.example. NXDOMAIN",
        "db. NXDOMAIN",
    ]
    # A namespace named db: db.svc.cluster.local is NODATA, not NXDOMAIN.
    w = _walk(cluster(N1, CLIENT, namespace("db")), "db")
    assert _steps(w)[1] == "db.svc.cluster.local. NODATA"


def test_db_prod_is_prods_service_unless_an_endpoint_db_of_service_prod_in_app_shadows_it():
    c = cluster(N1, CLIENT, PROD_DB)
    w = _walk(c, "db.prod")
    assert (w.answered_by, _steps(w)) == (
        "db.prod.svc.cluster.local.",
        ["db.prod.app.svc.cluster.local. NXDOMAIN", "db.prod.svc.cluster.local. NOERROR"],
    )
    shadow = cluster(
        N1,
        CLIENT,
        PROD_DB,
        service("app/prod", headless=True, selector=None, ports=()),
        endpoint_slice(
            "app/prod-1", service="prod", endpoints=[endpoint("10.244.1.40", hostname="db")]
        ),
    )
    w = _walk(shadow, "db.prod")
    assert (w.answered_by, [r[1] for r in w.records]) == (
        "db.prod.app.svc.cluster.local.",
        ["10.244.1.40"],
    )
    (v,) = [v for k, v in violations(shadow).items() if k[0] == "db.prod"]
    assert (v.kind, v.answered_by, v.namespaces) == (
        "shadowed",
        "db.prod.app.svc.cluster.local.",
        {"app"},
    )


def test_db_prod_svc_is_the_third_candidate_and_the_fqdn_goes_through_the_search_list_first():
    c = cluster(N1, CLIENT, PROD_DB)
    w = _walk(c, "db.prod.svc")
    assert (w.answered_by, len(w.steps)) == ("db.prod.svc.cluster.local.", 3)
    w = _walk(c, "db.prod.svc.cluster.local")
    assert _steps(w) == [
        "db.prod.svc.cluster.local.app.svc.cluster.local. NXDOMAIN",
        "db.prod.svc.cluster.local.svc.cluster.local. NXDOMAIN",
        "db.prod.svc.cluster.local.cluster.local. NXDOMAIN",
        "db.prod.svc.cluster.local. NOERROR",
    ]
    assert _steps(_walk(c, "db.prod.svc.cluster.local.")) == ["db.prod.svc.cluster.local. NOERROR"]


def test_web_0_nginx_is_the_pods_record_of_the_headless_service():
    web = pod("app/web-0", ip="10.244.1.20", node="n1", hostname="web-0", subdomain="nginx")
    nginx = service("app/nginx", headless=True, selector={"app": "web-0"}, ports=())
    c = cluster(N1, CLIENT, web, nginx)
    w = _walk(c, "web-0.nginx")
    assert (w.answered_by, [r[1] for r in w.records]) == (
        "web-0.nginx.app.svc.cluster.local.",
        ["10.244.1.20"],
    )
    assert [r[1] for r in _walk(c, "nginx").records] == ["10.244.1.20"]
    # Without the Service, or with the pod not ready: NXDOMAIN.
    assert _walk(cluster(N1, CLIENT, web), "web-0.nginx").answered_by is None
    c = cluster(N1, CLIENT, web.__class__(**{**_fields(web), "ready": False}), nginx)
    assert _steps(_walk(c, "nginx"))[0] == "nginx.app.svc.cluster.local. NXDOMAIN"


def _fields(p) -> dict:
    return {f: getattr(p, f) for f in p.__dataclass_fields__}


def test_a_headless_service_without_a_ready_endpoint_is_nxdomain_a_cluster_ip_one_is_not():
    c = cluster(
        N1,
        CLIENT,
        service("app/empty", headless=True, selector={"app": "nothing"}, ports=()),
        service("app/idle", ip="10.96.0.32", selector={"app": "nothing"}),
    )
    zone = Zone(c)
    assert zone.lookup("empty.app.svc.cluster.local", "A").status == "NXDOMAIN"
    assert zone.lookup("idle.app.svc.cluster.local", "A").records[0][1] == "10.96.0.32"
    assert zone.lookup("idle.app.svc.cluster.local", "AAAA").status == "NODATA"
    assert zone.lookup("app.svc.cluster.local", "A").status == "NODATA"
    assert zone.lookup("nope.svc.cluster.local", "A").status == "NXDOMAIN"
    assert zone.lookup("x.idle.app.svc.cluster.local", "A").status == "NXDOMAIN"
    assert zone.lookup("10-1-2-3.app.pod.cluster.local", "A").records[0][1] == "10.1.2.3"


def test_example_com_goes_upstream_unless_namespace_com_holds_service_example():
    up = {"example.com": ["8.8.8.8"]}
    c = cluster(N1, CLIENT, external_names=up)
    w = _walk(c, "example.com")
    assert _steps(w) == [
        "example.com.app.svc.cluster.local. NXDOMAIN",
        "example.com.svc.cluster.local. NXDOMAIN",
        "example.com.cluster.local. NXDOMAIN",
        "example.com. NOERROR",
    ]
    assert violations(c) == {}
    captured = cluster(
        N1, CLIENT, service("com/example", ip="10.96.0.40", selector=None), external_names=up
    )
    w = _walk(captured, "example.com")
    assert (w.answered_by, [r[1] for r in w.records]) == (
        "example.com.svc.cluster.local.",
        ["10.96.0.40"],
    )
    (v,) = [v for k, v in violations(captured).items() if k[0] == "example.com"]
    assert (v.kind, v.name.expected) == ("shadowed", "example.com.")
    assert _steps(_walk(captured, "example.com.")) == ["example.com. NOERROR"]


def test_external_name_services_are_cnames_and_an_ip_is_no_name():
    c = cluster(
        N1,
        CLIENT,
        service("app/ext", type="ExternalName", external_name="db.example.com"),
        service("app/ip", type="ExternalName", external_name="192.0.2.1"),
        external_names={"db.example.com": ["192.0.2.7"]},
    )
    w = _walk(c, "ext")
    assert [r[:2] for r in w.records] == [("CNAME", "db.example.com."), ("A", "192.0.2.7")]
    assert Zone(c).lookup("ip.app.svc.cluster.local", "A").status == "NXDOMAIN"
    assert Zone(c).lookup("_http._tcp.ext.app.svc.cluster.local", "A").status == "NXDOMAIN"


def test_ndots_1_tries_the_name_as_is_first():
    """semantics.md §12 item 65."""
    p = pod("app/client", ip="10.244.1.10", node="n1", options={"ndots": "1"})
    c = cluster(N1, p, PROD_DB)
    assert resolv_conf(c, p).ndots == 1
    assert _steps(_walk(c, "db.prod")) == [
        "db.prod. NXDOMAIN",
        "db.prod.app.svc.cluster.local. NXDOMAIN",
        "db.prod.svc.cluster.local. NOERROR",
    ]


def test_dns_policies_default_none_and_the_host_network():
    node_conf = {"node_search": ["corp.example"], "node_nameservers": ["192.168.0.53"]}
    default = pod("app/d", ip="10.244.1.11", node="n1", dns_policy="Default")
    conf = resolv_conf(cluster(N1, default, **node_conf), default)
    assert (conf.nameservers, conf.search, conf.ndots, conf.cluster) == (
        ("192.168.0.53",),
        ("corp.example",),
        1,
        False,
    )
    host = pod("app/h", ip="192.168.0.1", node="n1", host_network=True)
    assert resolv_conf(cluster(N1, host, **node_conf), host).policy == "Default"
    with_net = pod(
        "app/h",
        ip="192.168.0.1",
        node="n1",
        host_network=True,
        dns_policy="ClusterFirstWithHostNet",
    )
    assert resolv_conf(cluster(N1, with_net, **node_conf), with_net).cluster
    none = pod(
        "app/n",
        ip="10.244.1.12",
        node="n1",
        dns_policy="None",
        nameservers=["10.96.0.10", "1.1.1.1"],
        searches=["corp.example"],
        options={"ndots": "2"},
    )
    c = cluster(N1, none, PROD_DB, **node_conf)
    conf = resolv_conf(c, none)
    assert (conf.nameservers, conf.search, conf.ndots, conf.cluster) == (
        ("10.96.0.10", "1.1.1.1"),
        ("corp.example",),
        2,
        True,
    )
    # The cluster's names do not resolve through that search list: unresolved.
    (v,) = [v for k, v in violations(c).items() if k[0] == "db.prod"]
    assert (v.kind, _steps(v.pods["app/n"])) == (
        "unresolved",
        ["db.prod.corp.example. NXDOMAIN", "db.prod. NXDOMAIN"],  # 1 dot < ndots:2
    )
    merged = pod(
        "app/m", ip="10.244.1.13", node="n1", searches=["svc.cluster.local", "corp.example"]
    )
    conf = resolv_conf(cluster(N1, merged), merged)
    assert conf.search == (
        "app.svc.cluster.local",
        "svc.cluster.local",
        "cluster.local",
        "corp.example",
    )
    assert candidates("db", conf)[-1] == "db."


def test_the_check_agrees_with_the_property_on_these_clusters():
    from tests.oracle.generate import Scenario
    from tests.oracle.judge import Report

    class Ctx:
        suffix = ""

        def __init__(self, c):
            self.c, self.sc = c, Scenario(0, c)

        def header(self, extra=""):
            return "hand-built"

    shadow = cluster(
        N1,
        CLIENT,
        service("com/example", ip="10.96.0.40"),
        external_names={"example.com": ["8.8.8.8"]},
    )
    for c in (shadow, cluster(N1, CLIENT, PROD_DB)):
        report = Report(0)
        check_dns_resolution(Ctx(c), report)
        assert report.mismatches == []


def test_the_generator_varies_a_share_of_the_seeds_from_its_own_stream():
    import random

    from tests.oracle.generate import scenario

    chosen = [s for s in range(40) if random.Random(s * 7919 + 2).random() < SHARE]
    assert 8 <= len(chosen) <= 28
    other = next(s for s in range(40) if s not in chosen)
    sentinel = object()
    assert with_dns_variety(other, sentinel) is sentinel  # the other seeds keep their clusters
    # Shadowing and unresolvable names are frequent among the varied clusters.
    found = [violations(scenario(s).cluster) for s in chosen]
    kinds = {v.kind for f in found for v in f.values()}
    assert sum(map(bool, found)) >= len(chosen) // 2
    assert kinds == {"shadowed", "unresolved"}
