"""Real public manifests (../shared/corpus) load without errors, and mean what their SOURCE.md says."""

from __future__ import annotations

import io

import pytest

from tests.corpus import CORPUS, directories, load_folder, needs_corpus, recipes
from tests.ingest.helpers import given
from verifier.errors import InputError
from verifier.ingest import load

pytestmark = [pytest.mark.corpus, needs_corpus]


#: Corpus directories that do not load as they are yet, and why.
STILL_FAILING = {
    "netpol-recipes": "15 independent NetworkPolicy scenarios and not one pod or workload: "
    "nothing to verify (each recipe is loaded on its own below)",
}


@pytest.mark.parametrize(
    "folder",
    [
        pytest.param(
            d, marks=pytest.mark.xfail(raises=InputError, reason=STILL_FAILING[d], strict=False)
        )
        if d in STILL_FAILING
        else d
        for d in directories()
    ]
    or ["<none>"],
)
def test_every_directory_loads_without_errors(folder):
    """Each directory as it is, no ClusterNetwork added: what the input does not say is inferred."""
    cluster = load(CORPUS / folder)
    assert not [w for w in cluster.warnings if w.severity == "error"]
    assert cluster.pods or cluster.policies


@pytest.mark.parametrize("recipe", recipes() or ["<none>"])
def test_each_netpol_recipe_loads_on_its_own(recipe):
    cluster = load(CORPUS / "netpol-recipes" / recipe, allow_empty=True)
    (policy,) = cluster.policies
    assert policy.source.file.endswith(recipe)


def test_bookinfo_dualstack_requires_a_dual_stack_cluster():
    """Its Services are RequireDualStack: loaded as dual-stack, with one warning saying so."""
    cluster = load(CORPUS / "bookinfo-dualstack")
    (warning,) = cluster.warnings
    assert (warning.name, warning.field, warning.severity) == (
        "details",
        "spec.ipFamilyPolicy",
        "warning",
    )
    assert warning.message.startswith("requires a dual-stack cluster")
    assert "so do default/productpage, default/ratings, default/reviews" in warning.message
    assert cluster.families == (4, 6)
    assert [i.value for i in cluster.inferred if i.what == "families"] == [
        "dual-stack, IPv4 primary"
    ]


def test_bookinfo_dualstack_with_a_single_stack_config_is_refused():
    single = io.StringIO(
        "apiVersion: netverify.dev/v1alpha1\nkind: ClusterNetwork\nmetadata: {name: c}\n"
        "spec: {serviceCIDRs: [10.96.0.0/12]}\n"
    )
    with pytest.raises(InputError) as info:
        load(CORPUS / "bookinfo-dualstack", single)
    assert {p.field for p in info.value.errors} == {"spec.ipFamilyPolicy"}
    assert len(info.value.errors) == 4


def test_bookinfo_dualstack_families():
    cluster = load_folder("bookinfo-dualstack")
    families = {s.name: s.ip_families for s in given(cluster.services)}
    assert families == {
        "details": (6, 4),
        "ratings": (6, 4),
        "reviews": (4, 6),
        "productpage": (4, 6),
    }
    assert all(len(p.ips) == 2 for p in cluster.pods)


def test_online_boutique():
    cluster = load_folder("online-boutique")
    assert len(given(cluster.pods)) == 12 and len(given(cluster.services)) == 12
    assert len(cluster.policies) == 13
    assert cluster.skipped == ()  # its 11 ServiceAccounts are read (verifier.ingest.rbac)
    frontend = cluster.service_by_ref["default/frontend-external"]
    assert frontend.type == "LoadBalancer" and frontend.ports[0].node_port is not None
    # loadgenerator's busybox init container is a plain init container: dropped
    loadgen = cluster.pod("default/loadgenerator-0")
    assert [c.role for c in loadgen.containers] == ["container"]
    lg_policy = next(p for p in cluster.policies if p.name == "loadgenerator")
    assert lg_policy.policy_types == ("Egress",)


def test_cassandra_statefulset():
    cluster = load_folder("cassandra")
    assert [(p.name, p.hostname, p.subdomain) for p in given(cluster.pods)] == [
        (f"cassandra-{i}", f"cassandra-{i}", "cassandra") for i in range(3)
    ]
    (svc,) = given(cluster.services)
    assert svc.headless and svc.cluster_ips == ()
    assert cluster.pods[0].named_port("cql", "TCP") == 9042


def test_kube_prometheus():
    cluster = load_folder("kube-prometheus")
    exporters = [p for p in cluster.pods if p.owner == "DaemonSet/node-exporter"]
    assert len(exporters) == len(cluster.nodes) == 3
    assert all(p.host_network and p.ips == cluster.node_by_name[p.node_name].ips for p in exporters)
    assert len([p for p in cluster.pods if p.owner == "Deployment/prometheus-adapter"]) == 2
    assert {s.name for s in cluster.services if s.headless} == {
        "kube-state-metrics",
        "node-exporter",
        "prometheus-operator",
    }
    assert dict(cluster.skipped)["ServiceMonitor"] == 8


def test_calico_stars():
    cluster = load_folder("calico-stars")
    assert {p.ref for p in given(cluster.pods)} == {
        "management-ui/management-ui-0",
        "stars/backend-0",
        "stars/frontend-0",
        "client/client-0",
    }
    deny = next(p for p in cluster.policies if p.name == "default-deny")
    assert deny.namespace == "default"  # applied per namespace by the tutorial
    ui = cluster.service_by_ref["management-ui/management-ui"]
    assert ui.type == "NodePort" and ui.ports[0].node_port == 30002


def test_ipblock_cluster_dump():
    cluster = load_folder("ipblock-cluster-dump")
    assert len(given(cluster.pods)) == 29 and len(given(cluster.namespaces)) == 8
    assert sorted(n.name for n in cluster.nodes) == [
        "10.186.164.166",
        "10.186.164.173",
        "10.186.164.174",
    ]
    assert all(str(n.ip(4)) == n.name for n in cluster.nodes)  # from the pods' status.hostIP
    assert not any(p.ip_allocated for p in cluster.pods)
    assert sum(p.host_network for p in cluster.pods) == 18
    (policy,) = cluster.policies
    (rule,) = policy.ingress
    assert (
        str(rule.peers[0].ip_block) == "0.0.0.0/0 except 10.0.0.0/8, 172.21.0.0/16, 172.30.0.0/16"
    )
    assert [str(p) for p in rule.ports] == ["53/UDP"]
    assert cluster.namespace_by_name["default"].labels["unique-label"] == "defaultNameSpace"


def test_acs_security_demos():
    cluster = load_folder("acs-security-demos")
    assert len(given(cluster.pods)) == 11 and len(cluster.policies) == 14
    assert {n.name for n in given(cluster.namespaces) if n.implicit} == {
        "frontend",
        "backend",
        "payments",
    }
    assert {w.namespace for w in cluster.warnings} == {"frontend", "backend", "payments"}


def test_netpol_recipe_04_null_match_labels():
    (policy,) = load(
        CORPUS / "netpol-recipes" / "04-deny-from-other-namespaces.yaml", allow_empty=True
    ).policies
    assert policy.pod_selector.is_empty
