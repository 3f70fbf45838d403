"""Property ``dns-resolution``: the name, who asks it, which candidate answers and what shadows it."""

from __future__ import annotations

from tests.properties.support import at, check, check_fixture, load_demo, refs, where
from verifier.properties import Status

PROP = "dns-resolution"


def test_services_pod_hostnames_and_external_names_resolve_to_their_own_records():
    result = check_fixture("dns-resolution/holds.yaml", PROP)
    assert (result.status, result.counterexamples) == (Status.HOLDS, ())


def test_a_namespace_named_like_a_tld_shadows_an_external_name():
    """Namespace com with Service example: example.com answers from example.com.svc.cluster.local for x and com."""
    result = check_fixture("dns-resolution/violated.yaml", PROP)
    assert result.status is Status.VIOLATED
    (cx,) = result.counterexamples
    assert cx.summary == (
        "pods in com, x looking up 'example.com' (an external name) get 10.96.0.30 from "
        "example.com.svc.cluster.local., not example.com.: an in-cluster name shadows it"
    )
    assert cx.pods == ("x/client",)
    assert cx.details == {
        "name": "example.com",
        "type": "A",
        "expected": "example.com.",
        "answered_by": "example.com.svc.cluster.local.",
        "answers": ["10.96.0.30"],
        "search": [
            "example.com.x.svc.cluster.local. NXDOMAIN",
            "example.com.svc.cluster.local. NOERROR",
        ],
        "namespaces": ["com", "x"],
    }
    # At fault: the shadowing Service; also named: the external name it hides.
    assert refs(cx.objects) == [
        "Service com/example",
        "ClusterNetwork cluster externalNames[example.com]",
    ]
    assert where(cx.location) == at(
        "dns-resolution/violated.yaml", 82, "name: example, namespace: com"
    )
    assert where(cx.objects[1]) == at("dns-resolution/violated.yaml", 11, "kind: ClusterNetwork")


def test_a_headless_pod_record_in_the_own_namespace_shadows_another_namespaces_service():
    """db.prod from app is answered by db.prod.app.svc.cluster.local (pod app/db-shadow), the first candidate."""
    (cx,) = check_fixture("dns-resolution/violated-headless.yaml", PROP).counterexamples
    assert cx.summary == (
        "pods in app looking up 'db.prod' (Service prod/db) get 10.244.1.40 from db.prod.app.svc.cluster.local., "
        "not db.prod.svc.cluster.local.: an in-cluster name shadows it"
    )
    assert cx.pods == ("app/client",)
    assert (cx.details["answered_by"], cx.details["answers"], cx.details["namespaces"]) == (
        "db.prod.app.svc.cluster.local.",
        ["10.244.1.40"],
        ["app"],
    )
    assert cx.details["search"] == ["db.prod.app.svc.cluster.local. NOERROR"]
    assert refs(cx.objects) == ["Pod app/db-shadow", "Service prod/db"]
    assert where(cx.location) == at(
        "dns-resolution/violated-headless.yaml", 72, "name: db-shadow, namespace: app"
    )
    assert where(cx.objects[1]) == at(
        "dns-resolution/violated-headless.yaml", 98, "name: db, namespace: prod"
    )


def test_a_search_list_without_the_cluster_domain_resolves_no_short_name():
    """x/legacy (dnsPolicy None, search corp.example) cannot resolve any name the cluster serves to x."""
    result = check_fixture("dns-resolution/violated-search.yaml", PROP, max_counterexamples=20)
    assert result.status is Status.VIOLATED
    assert [cx.details["name"] for cx in result.counterexamples] == [
        "kube-dns.kube-system",
        "kube-dns.kube-system.svc",
        "nginx.x",
        "nginx.x.svc",
        "nginx",
        "ext.x",
        "ext.x.svc",
        "ext",
        "db.y",
        "db.y.svc",
        "kubernetes.default",  # the API server every cluster has (implicit: the input lacks it)
        "kubernetes.default.svc",
        "web-0.nginx",
    ]
    assert {(cx.pods, tuple(cx.details["namespaces"])) for cx in result.counterexamples} == {
        (("x/legacy",), ("x",))
    }
    db = result.counterexamples[8]
    assert (
        db.summary
        == "pods in x cannot resolve 'db.y' (Service y/db): NXDOMAIN after trying db.y., db.y.corp.example."
    )
    assert (db.details["answered_by"], db.details["expected"]) == (None, "db.y.svc.cluster.local.")
    assert db.details["search"] == ["db.y. NXDOMAIN", "db.y.corp.example. NXDOMAIN"]
    assert refs(db.objects) == ["Service y/db"]
    assert where(db.location) == at(
        "dns-resolution/violated-search.yaml", 110, "name: db, namespace: y"
    )


def test_the_demo_internal_namespace_captures_vault_internal():
    """Base holds; with the change every namespace's pods get the in-cluster vault (README mistake 3)."""
    assert check(load_demo("base"), PROP).status is Status.HOLDS
    result = check(load_demo(), PROP)
    assert result.status is Status.VIOLATED
    (cx,) = result.counterexamples
    assert (cx.details["name"], cx.details["expected"], cx.details["answered_by"]) == (
        "vault.internal",
        "vault.internal.",
        "vault.internal.svc.cluster.local.",
    )
    assert cx.details["namespaces"] == [
        "dev",
        "internal",
        "kube-system",
        "monitoring",
        "payments",
        "shop",
    ]
    assert refs(cx.objects) == [
        "Service internal/vault",
        "ClusterNetwork cluster externalNames[vault.internal]",
    ]
    assert where(cx.location) == at("fixtures/demo/change/internal-tools.yaml", 52, "kind: Service")
