"""The engine on real projects' manifests (``../shared/corpus``): what their own documentation says happens.

Skipped when the corpus is absent. The cluster a recipe page builds with
``kubectl run`` is written next to it in ``fixtures/corpus/`` (see its README).
"""

from __future__ import annotations

import pytest

from tests.corpus import CORPUS, folder_sources, folders, needs_corpus
from tests.engine.support import hop, said
from tests.properties.support import REPO
from verifier.cli import main
from verifier.engine import trace
from verifier.ingest import load
from verifier.trace import Verdict

pytestmark = [pytest.mark.corpus, needs_corpus]

COMPANIONS = REPO / "fixtures" / "corpus"
ALLOWED, DENIED, DNS_BLOCKED = Verdict.ALLOWED, Verdict.DENIED, Verdict.DNS_BLOCKED


# --------------------------------------------------------------------------- Online Boutique


@pytest.fixture(scope="module")
def boutique():
    shop = CORPUS / "online-boutique"
    return load(shop / "kubernetes-manifests.yaml", shop / "network-policies")


def test_boutique_checkout_reaches_email_through_the_service_port(boutique):
    """emailservice:5000 -> targetPort 8080; its policy admits checkoutservice on 8080 (the pod port)."""
    t = trace(boutique, "default/checkoutservice-0", "emailservice", 5000)
    assert t.verdict is ALLOWED
    service = hop(t, "service")
    assert service.outcome == "dnat"
    assert [(b.pod, b.port) for b in t.branches] == [("default/emailservice-0", 8080)]
    assert said(hop(t, "ingress")) == (
        "allowed",
        ("NetworkPolicy default/emailservice ingress[0]",),
    )
    assert said(hop(t, "egress")) == (
        "allowed",
        ("NetworkPolicy default/checkoutservice egress[0]",),
    )


def test_boutique_loadgenerator_does_not_reach_the_cart(boutique):
    """loadgenerator may send anywhere, but cartservice admits only frontend and checkoutservice."""
    t = trace(boutique, "default/loadgenerator-0", "cartservice", 7070)
    assert t.verdict is DENIED
    outcome, deciders = said(hop(t, "ingress"))
    assert outcome == "denied" and "NetworkPolicy default/cartservice" in deciders
    assert trace(boutique, "default/frontend-0", "cartservice", 7070).verdict is ALLOWED
    assert trace(boutique, "default/loadgenerator-0", "frontend", 80).verdict is ALLOWED


# --------------------------------------------------------------------------- netpol recipes

RECIPES = CORPUS / "netpol-recipes"
DNS, WEB, FOO = "cluster-dns.yaml", "web.yaml", "foo.yaml"

#: (recipe files, companion files, source pod, target as typed, port, verdict): SOURCE.md's ALLOWED/DENIED.
SCENARIOS = [
    (["01-web-deny-all.yaml"], [WEB, "01-web-deny-all.yaml"], "default/test", "web", 80, DENIED),
    (
        ["01-web-deny-all.yaml", "02a-web-allow-all.yaml"],
        [WEB, "01-web-deny-all.yaml"],
        "default/test",
        "web",
        80,
        ALLOWED,
    ),
    (["02-api-allow.yaml"], ["02-api-allow.yaml"], "default/frontend", "apiserver", 80, ALLOWED),
    (["02-api-allow.yaml"], ["02-api-allow.yaml"], "default/test", "apiserver", 80, DENIED),
    (
        ["04-deny-from-other-namespaces.yaml"],
        [WEB, "04-deny-from-other-namespaces.yaml"],
        "default/test",
        "web",
        80,
        ALLOWED,
    ),
    (
        ["04-deny-from-other-namespaces.yaml"],
        [WEB, "04-deny-from-other-namespaces.yaml"],
        "foo/test",
        "web.default",
        80,
        DENIED,
    ),
    (
        ["06-web-allow-prod.yaml"],
        [WEB, "06-web-allow-prod.yaml"],
        "prod/test",
        "web.default",
        80,
        ALLOWED,
    ),
    (
        ["06-web-allow-prod.yaml"],
        [WEB, "06-web-allow-prod.yaml"],
        "dev/test",
        "web.default",
        80,
        DENIED,
    ),
    (
        ["06-web-allow-prod.yaml"],
        [WEB, "06-web-allow-prod.yaml"],
        "default/test",
        "web",
        80,
        DENIED,
    ),
    (
        ["07-web-allow-all-ns-monitoring.yaml"],
        [WEB, "07-web-allow-all-ns-monitoring.yaml"],
        "other/monitor",
        "web.default",
        80,
        ALLOWED,
    ),
    (
        ["07-web-allow-all-ns-monitoring.yaml"],
        [WEB, "07-web-allow-all-ns-monitoring.yaml"],
        "other/test",
        "web.default",
        80,
        DENIED,
    ),
    (
        ["07-web-allow-all-ns-monitoring.yaml"],
        [WEB, "07-web-allow-all-ns-monitoring.yaml"],
        "default/monitor",
        "web",
        80,
        DENIED,
    ),
    (
        ["07-web-allow-all-ns-monitoring.yaml"],
        [WEB, "07-web-allow-all-ns-monitoring.yaml"],
        "default/test",
        "web",
        80,
        DENIED,
    ),
    (
        ["09-api-allow-5000.yaml"],
        ["09-api-allow-5000.yaml"],
        "default/monitor",
        "apiserver",
        5001,
        ALLOWED,
    ),
    (
        ["09-api-allow-5000.yaml"],
        ["09-api-allow-5000.yaml"],
        "default/monitor",
        "apiserver",
        8001,
        DENIED,
    ),
    (
        ["09-api-allow-5000.yaml"],
        ["09-api-allow-5000.yaml"],
        "default/test",
        "apiserver",
        5001,
        DENIED,
    ),
    (
        ["10-redis-allow-services.yaml"],
        ["10-redis-allow-services.yaml"],
        "default/inventory",
        "db",
        6379,
        ALLOWED,
    ),
    (
        ["10-redis-allow-services.yaml"],
        ["10-redis-allow-services.yaml"],
        "default/other",
        "db",
        6379,
        DENIED,
    ),
    # 11, first file: all egress is denied, DNS included ("bad address").
    (["11-foo-deny-egress.yaml"], [WEB, FOO], "default/foo", "web", 80, DNS_BLOCKED),
    (["11-foo-deny-egress.yaml"], [WEB, FOO], "default/foo", "www.example.com", 80, DNS_BLOCKED),
    # 11, second file: names resolve, connections time out.
    (["11-foo-deny-egress-with-dns.yaml"], [WEB, FOO], "default/foo", "web", 80, DENIED),
    (
        ["11-foo-deny-egress-with-dns.yaml"],
        [WEB, FOO],
        "default/foo",
        "www.example.com",
        80,
        DENIED,
    ),
    # 14: external traffic is denied after resolving. The page's "web is reachable" is stale
    # (SOURCE.md): the current YAML admits DNS only, so web is denied too.
    (
        ["14-foo-deny-external-egress.yaml"],
        [WEB, FOO],
        "default/foo",
        "www.example.com",
        80,
        DENIED,
    ),
    (["14-foo-deny-external-egress.yaml"], [WEB, FOO], "default/foo", "web", 80, DENIED),
]


@pytest.mark.parametrize(
    ("recipes", "companions", "source", "target", "port", "verdict"),
    SCENARIOS,
    ids=[f"{s[0][-1][:2]}-{s[2]}-{s[3]}:{s[4]}" for s in SCENARIOS],
)
def test_netpol_recipe_documented_behaviour(recipes, companions, source, target, port, verdict):
    cluster = load(
        *(RECIPES / r for r in recipes),
        COMPANIONS / "netpol-recipes" / DNS,
        *(COMPANIONS / "netpol-recipes" / c for c in companions),
    )
    t = trace(cluster, source, target, port)
    assert t.verdict is verdict, t
    if verdict is not DNS_BLOCKED:
        # Every scenario's name resolves (the DNS query itself is a flow the policies allow).
        assert said(hop(t, "dns-query"))[0] == "allowed"


def test_recipe_09_policies_see_the_pod_port_not_the_service_port():
    """apiserver:5001 is DNATed to 5000, which the rule names; 8001 -> 8000 is not in it."""
    cluster = load(
        RECIPES / "09-api-allow-5000.yaml", COMPANIONS / "netpol-recipes" / "09-api-allow-5000.yaml"
    )
    t = trace(cluster, "default/monitor", "apiserver", 5001)
    assert [(b.pod, b.port) for b in t.branches] == [("default/apiserver", 5000)]
    assert said(hop(t, "ingress")) == (
        "allowed",
        ("NetworkPolicy default/api-allow-5000 ingress[0]",),
    )


# --------------------------------------------------------------------------- calico stars


@pytest.fixture(scope="module")
def stars():
    folder = CORPUS / "calico-stars"
    policies = [
        p for p in sorted((folder / "policies").glob("*.yaml")) if p.name != "default-deny.yaml"
    ]
    return load(folder / "manifests", *policies, COMPANIONS / "calico-stars" / "default-deny.yaml")


@pytest.mark.parametrize(
    ("source", "target", "port", "verdict"),
    [
        (
            "client/client-0",
            "frontend.stars",
            80,
            ALLOWED,
        ),  # frontend-policy: namespaces role=client on 80
        (
            "stars/frontend-0",
            "backend.stars",
            6379,
            ALLOWED,
        ),  # backend-policy: role=frontend on 6379
        ("client/client-0", "backend.stars", 6379, DENIED),
        ("stars/backend-0", "frontend.stars", 80, DENIED),
        ("stars/frontend-0", "client.client", 9000, DENIED),
        ("management-ui/management-ui-0", "frontend.stars", 80, ALLOWED),  # allow-ui
        ("management-ui/management-ui-0", "backend.stars", 6379, ALLOWED),
        ("management-ui/management-ui-0", "client.client", 9000, ALLOWED),  # allow-ui-client
    ],
)
def test_calico_stars_final_state(stars, source, target, port, verdict):
    """After all five steps of the tutorial: the UI sees everything, client -> frontend -> backend only."""
    assert trace(stars, source, target, port).verdict is verdict


def test_kube_prometheus_node_exporter_policy_selects_host_network_pods():
    """A real finding: node-exporter runs on the host network, so its NetworkPolicy isolates nothing."""
    from verifier.properties import PROPERTIES

    result = PROPERTIES["isolation"].check(load(*folder_sources("kube-prometheus")))
    assert result.status.value == "violated"
    (cx,) = result.counterexamples
    assert cx.location.ref == "NetworkPolicy monitoring/node-exporter spec.podSelector"
    assert cx.location.source.file.endswith("kube-prometheus/nodeExporter-networkPolicy.yaml")
    assert cx.pods[1].startswith("monitoring/node-exporter-")


# --------------------------------------------------------------------------- check on everything


@pytest.mark.parametrize("folder", folders() or ["<none>"])
def test_check_runs_on_every_corpus_folder(folder, tmp_path, capsys):
    """``netverify check`` ends with a verdict on real input (any verdict): no traceback, no usage error."""
    args = ["check"]
    for source in folder_sources(folder):
        if hasattr(source, "read"):  # bookinfo-dualstack's ClusterNetwork
            path = tmp_path / "cluster-network.yaml"
            path.write_text(source.read())
            source = path
        args += ["-f", str(source)]
    code = main(args)
    out, err = capsys.readouterr()
    assert code in (0, 1, 3), err
    assert "internal error" not in err
    assert out.splitlines()[-1].startswith("7 properties: ")
