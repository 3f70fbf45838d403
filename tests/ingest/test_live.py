"""The live loader, against a fake ``kubernetes`` client: paging, raw JSON, scoping, errors."""

from __future__ import annotations

import json
import sys
import types

import pytest

from tests.ingest.helpers import given
from verifier.errors import InputError
from verifier.ingest import live
from verifier.ingest.live import PAGE_SIZE, KubernetesApi, load_from_api, load_live

PODS = [
    {
        "metadata": {"name": f"p{i}", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
        "status": {"phase": "Running", "podIP": f"10.244.1.{i + 2}"},
    }
    for i in range(5)
]
OBJECTS = {
    "list_namespace": [{"metadata": {"name": "shop", "labels": {"team": "a"}}}],
    "list_node": [
        {
            "metadata": {"name": "n1"},
            "spec": {"podCIDR": "10.244.1.0/24"},
            "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.1"}]},
        }
    ],
    "pods": PODS,
    "services": [
        {
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "clusterIP": "10.96.0.20",
                "selector": {"app": "web"},
                "ports": [{"port": 80}],
            },
        }
    ],
    # the typed client model fails on `endpoints: null`; the raw JSON path must not
    "endpointslices": [
        {
            "metadata": {"name": "web-x", "namespace": "shop"},
            "addressType": "IPv4",
            "endpoints": None,
        }
    ],
    "networkpolicies": [
        {"metadata": {"name": "deny", "namespace": "shop"}, "spec": {"podSelector": {}}}
    ],
}


class Response:
    def __init__(self, payload):
        self.data = json.dumps(payload).encode()


#: Custom resources the fake cluster serves, by (group, version, plural); others answer 404.
CUSTOM = {
    ("crd.projectcalico.org", "v1", "ippools"): [
        {
            "metadata": {"name": "default-ipv4-ippool"},
            "spec": {"cidr": "10.244.0.0/16", "natOutgoing": True},
        }
    ],
    ("crd.projectcalico.org", "v1", "globalnetworkpolicies"): [
        {
            "metadata": {"name": "deny-b"},
            "spec": {"selector": "app == 'web'", "ingress": [{"action": "Deny"}]},
        }
    ],
}


def custom_objects(calls: list):
    """The generic custom-objects API: serves :data:`CUSTOM`, 404 for CRDs the cluster lacks."""

    def answer(group, version, plural, namespace=None, **kwargs):
        assert kwargs.get("_preload_content") is False and kwargs.get("limit") == PAGE_SIZE
        calls.append(("custom", (group, version, plural, namespace), kwargs.get("_continue")))
        items = CUSTOM.get((group, version, plural))
        if items is None:
            error = Exception("Not Found")
            error.status, error.reason = 404, "Not Found"
            raise error
        return Response(
            {
                "items": [
                    o
                    for o in items
                    if namespace is None or o["metadata"].get("namespace") == namespace
                ]
            }
        )

    class Api:
        def __init__(self, api_client):
            assert api_client == "client"

        def list_cluster_custom_object(self, group, version, plural, **kwargs):
            return answer(group, version, plural, **kwargs)

        def list_namespaced_custom_object(self, group, version, namespace, plural, **kwargs):
            return answer(group, version, plural, namespace, **kwargs)

    return Api


def make_kubernetes(calls: list, page: int = 2, fail: str | None = None):
    """A stand-in for the ``kubernetes`` package recording every list call."""

    def lister(method: str, key: str, list_kind: str):
        def call(*args, limit=None, _continue=None, _preload_content=True, **_):
            assert _preload_content is False and limit == PAGE_SIZE
            calls.append((method, args, _continue))
            if method == fail:
                error = Exception("Forbidden")
                error.status, error.reason = 403, "Forbidden"
                raise error
            items = OBJECTS[key]
            if args:
                items = [o for o in items if o["metadata"].get("namespace") == args[0]]
            start = int(_continue or 0)
            chunk = items[start : start + page]
            more = start + page < len(items)
            return Response(
                {
                    "kind": list_kind,
                    "items": chunk,
                    "metadata": {"continue": str(start + page) if more else ""},
                }
            )

        return call

    def api(methods):
        class Api:
            def __init__(self, api_client):
                assert api_client == "client"

        for method, (key, kind) in methods.items():
            setattr(Api, method, staticmethod(lister(method, key, kind)))
        return Api

    client = types.SimpleNamespace(
        CoreV1Api=api(
            {
                "list_namespace": ("list_namespace", "NamespaceList"),
                "list_node": ("list_node", "NodeList"),
                "list_pod_for_all_namespaces": ("pods", "PodList"),
                "list_namespaced_pod": ("pods", "PodList"),
                "list_service_for_all_namespaces": ("services", "ServiceList"),
                "list_namespaced_service": ("services", "ServiceList"),
            }
        ),
        DiscoveryV1Api=api(
            {
                "list_endpoint_slice_for_all_namespaces": ("endpointslices", "EndpointSliceList"),
                "list_namespaced_endpoint_slice": ("endpointslices", "EndpointSliceList"),
            }
        ),
        NetworkingV1Api=api(
            {
                "list_network_policy_for_all_namespaces": ("networkpolicies", "NetworkPolicyList"),
                "list_namespaced_network_policy": ("networkpolicies", "NetworkPolicyList"),
            }
        ),
        CustomObjectsApi=custom_objects(calls),
        ApiClient=lambda: "client",
    )
    seen_config = {}

    def new_client_from_config(config_file=None, context=None):
        seen_config.update(config_file=config_file, context=context)
        if config_file == "missing":
            raise OSError("no such file")
        return "client"

    config = types.SimpleNamespace(
        new_client_from_config=new_client_from_config,
        load_incluster_config=lambda: None,
        KUBE_CONFIG_DEFAULT_LOCATION="/nonexistent/kubeconfig",
    )
    module = types.ModuleType("kubernetes")
    module.client = client
    module.config = config
    module.seen_config = seen_config
    return module


@pytest.fixture
def fake_kubernetes(monkeypatch):
    calls: list = []
    module = make_kubernetes(calls)
    monkeypatch.setitem(sys.modules, "kubernetes", module)
    monkeypatch.setitem(sys.modules, "kubernetes.client", module.client)
    monkeypatch.setitem(sys.modules, "kubernetes.config", module.config)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    module.calls = calls
    return module


def test_load_live_lists_everything_with_paging(fake_kubernetes):
    cluster = load_live(kubeconfig="kc.yaml", context="prod")
    assert fake_kubernetes.seen_config == {"config_file": "kc.yaml", "context": "prod"}
    assert [p.name for p in given(cluster.pods)] == [f"p{i}" for i in range(5)]
    assert not any(p.ip_allocated for p in cluster.pods)
    assert cluster.namespaces[0].labels["team"] == "a"
    assert cluster.nodes[0].name == "n1" and not cluster.nodes[0].implicit
    assert str(cluster.services[0].cluster_ips[0]) == "10.96.0.20"
    assert cluster.endpoint_slices[0].endpoints == ()
    assert cluster.policies[0].ref == "shop/deny"
    assert cluster.pods[0].source.file == "<cluster>"
    pod_pages = [c for c in fake_kubernetes.calls if c[0] == "list_pod_for_all_namespaces"]
    assert [token for _, _, token in pod_pages] == [None, "2", "4"]


def test_load_live_scoped_to_a_namespace(fake_kubernetes):
    cluster = load_live(namespace="other")
    assert given(cluster.pods) == () and given(cluster.services) == ()
    methods = {m for m, _, _ in fake_kubernetes.calls}
    assert "list_namespaced_pod" in methods and "list_pod_for_all_namespaces" not in methods
    assert ("list_namespaced_pod", ("other",), None) in fake_kubernetes.calls
    assert "list_namespace" in methods and "list_node" in methods  # cluster-scoped: always whole


def test_api_errors_become_input_errors(fake_kubernetes, monkeypatch):
    failing = make_kubernetes([], fail="list_service_for_all_namespaces")
    monkeypatch.setitem(sys.modules, "kubernetes", failing)
    with pytest.raises(InputError, match="cannot list ServiceList from the cluster: 403 Forbidden"):
        load_live()


def test_bad_kubeconfig(fake_kubernetes):
    with pytest.raises(InputError, match="cannot load missing: no such file"):
        load_live(kubeconfig="missing")


def test_client_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    with pytest.raises(InputError, match=r"pip install 'netverify\[kube\]'"):
        load_live()


def test_in_cluster_config_is_used_inside_a_pod(fake_kubernetes, monkeypatch):
    used = []
    fake_kubernetes.config.load_incluster_config = lambda: used.append(True)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    assert isinstance(KubernetesApi.connect(), KubernetesApi) and used == [True]


def test_load_from_api_with_a_protocol_fake():
    class Api:
        def list(self, resource, namespace, limit, token):
            return (
                {"items": []}
                if resource.list_kind != "NamespaceList"
                else {"items": [{"metadata": {"name": "a"}}]}
            )

    cluster = load_from_api(Api())
    assert [n.name for n in given(cluster.namespaces)] == [
        "a"
    ]  # item kind from the resource's list kind


def test_invalid_objects_from_the_api_are_input_errors():
    class Api:
        def list(self, resource, namespace, limit, token):
            if resource.list_kind == "PodList":
                return {
                    "kind": "PodList",
                    "apiVersion": "v1",
                    "items": [{"metadata": {"name": "x"}, "spec": 3}],
                }
            return {"items": []}

    with pytest.raises(InputError) as info:
        load_from_api(Api())
    (p,) = info.value.errors
    assert (p.file, p.kind, p.field) == ("<cluster>", "Pod", "spec")


def test_resources_cover_the_model():
    assert {(r.list_kind, r.api_version) for r in live.RESOURCES} == {
        ("NamespaceList", "v1"),
        ("NodeList", "v1"),
        ("PodList", "v1"),
        ("ServiceList", "v1"),
        ("EndpointSliceList", "discovery.k8s.io/v1"),
        ("NetworkPolicyList", "networking.k8s.io/v1"),
        ("ServiceCIDRList", "networking.k8s.io/v1"),
        ("AdminNetworkPolicyList", "policy.networking.k8s.io/v1alpha1"),
        ("BaselineAdminNetworkPolicyList", "policy.networking.k8s.io/v1alpha1"),
        ("IPPoolList", "crd.projectcalico.org/v1"),
        ("TierList", "crd.projectcalico.org/v1"),
        ("GlobalNetworkPolicyList", "crd.projectcalico.org/v1"),
        ("NetworkPolicyList", "crd.projectcalico.org/v1"),
    }


def test_custom_resources_load_and_missing_crds_are_skipped(fake_kubernetes):
    """Calico's IPPool and GlobalNetworkPolicy come through the custom-objects API; a 404 CRD is no error."""
    cluster = load_live()
    assert [(p.name, str(p.cidr), p.nat_outgoing) for p in cluster.ip_pools] == [
        ("default-ipv4-ippool", "10.244.0.0/16", True)
    ]
    assert [(p.name, p.namespace, p.ingress[0].action) for p in cluster.calico_policies] == [
        ("deny-b", None, "Deny")
    ]
    assert cluster.admin_policies == () and cluster.tiers == ()
    asked = {args[2] for m, args, _ in fake_kubernetes.calls if m == "custom"}
    assert {"adminnetworkpolicies", "tiers", "servicecidrs", "networkpolicies"} <= asked


def test_a_forbidden_custom_resource_is_an_error(fake_kubernetes, monkeypatch):
    """Only "not served" (404) is skipped: a refusal would silently drop policy."""

    def forbidden(*args, **kwargs):
        error = Exception("Forbidden")
        error.status, error.reason = 403, "Forbidden"
        raise error

    monkeypatch.setattr(
        fake_kubernetes.client.CustomObjectsApi,
        "list_cluster_custom_object",
        lambda self, *a, **k: forbidden(),
    )
    with pytest.raises(
        InputError, match="cannot list ServiceCIDRList from the cluster: 403 Forbidden"
    ):
        load_live()
