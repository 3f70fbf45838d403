"""The state of a running cluster, read through the API server (optional extra ``netverify[kube]``).

Lists namespaces, nodes, pods, services, EndpointSlices and NetworkPolicies,
and where the cluster serves them ServiceCIDRs, AdminNetworkPolicies and the
BaselineAdminNetworkPolicy, and Calico's IPPools, Tiers and policies, with the
official ``kubernetes`` client in raw mode (``_preload_content=False``:
the typed models fail on ``endpoints: null``, kubernetes-client/python#2423)
and in pages of :data:`PAGE_SIZE` (``limit`` / ``_continue``), then feeds the
API's JSON to the same converter as files, with sources named ``<cluster>``.

>>> class FakeApi:  # anything with .list(resource, namespace, limit, token) works
...     def list(self, resource, namespace, limit, token):
...         if resource.list_kind != "PodList":
...             return {"kind": resource.list_kind, "apiVersion": resource.api_version, "items": []}
...         pod = {"metadata": {"name": "a", "namespace": "default"},
...                "spec": {"nodeName": "n1", "containers": [{"name": "c"}]},
...                "status": {"podIP": "10.0.0.5", "hostIP": "192.0.2.1"}}
...         return {"kind": "PodList", "apiVersion": "v1", "items": [pod], "metadata": {}}
>>> cluster = load_from_api(FakeApi())
>>> str(cluster.pod("default/a").ip(4)), cluster.pod("default/a").source.file
('10.0.0.5', '<cluster>')
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import yaml

from ..errors import InputError
from ..model import Cluster

__all__ = [
    "PAGE_SIZE",
    "RESOURCES",
    "KubernetesApi",
    "ListApi",
    "Resource",
    "load_from_api",
    "load_live",
]

#: Objects per API request.
PAGE_SIZE = 500
SOURCE = "<cluster>"


@dataclass(frozen=True)
class Resource:
    """One listed resource and the client methods that list it.

    Resources that a cluster may not serve (ServiceCIDR before Kubernetes 1.33,
    Calico's and the network-policy API's CRDs) are listed through the generic
    custom-objects API by ``plural`` and are ``optional``: a 404 skips them.
    """

    list_kind: str
    api_version: str
    api_class: str
    list_all: str
    #: The per-namespace method; None for cluster-scoped resources.
    list_namespaced: str | None
    plural: str | None = None
    optional: bool = False


def _custom(list_kind: str, api_version: str, plural: str, *, namespaced: bool = False) -> Resource:
    return Resource(
        list_kind,
        api_version,
        "CustomObjectsApi",
        "list_cluster_custom_object",
        "list_namespaced_custom_object" if namespaced else None,
        plural,
        optional=True,
    )


RESOURCES = (
    Resource("NamespaceList", "v1", "CoreV1Api", "list_namespace", None),
    Resource("NodeList", "v1", "CoreV1Api", "list_node", None),
    Resource("PodList", "v1", "CoreV1Api", "list_pod_for_all_namespaces", "list_namespaced_pod"),
    Resource(
        "ServiceList",
        "v1",
        "CoreV1Api",
        "list_service_for_all_namespaces",
        "list_namespaced_service",
    ),
    Resource(
        "EndpointSliceList",
        "discovery.k8s.io/v1",
        "DiscoveryV1Api",
        "list_endpoint_slice_for_all_namespaces",
        "list_namespaced_endpoint_slice",
    ),
    Resource(
        "NetworkPolicyList",
        "networking.k8s.io/v1",
        "NetworkingV1Api",
        "list_network_policy_for_all_namespaces",
        "list_namespaced_network_policy",
    ),
    _custom("ServiceCIDRList", "networking.k8s.io/v1", "servicecidrs"),
    _custom("AdminNetworkPolicyList", "policy.networking.k8s.io/v1alpha1", "adminnetworkpolicies"),
    _custom(
        "BaselineAdminNetworkPolicyList",
        "policy.networking.k8s.io/v1alpha1",
        "baselineadminnetworkpolicies",
    ),
    _custom("IPPoolList", "crd.projectcalico.org/v1", "ippools"),
    _custom("TierList", "crd.projectcalico.org/v1", "tiers"),
    _custom("GlobalNetworkPolicyList", "crd.projectcalico.org/v1", "globalnetworkpolicies"),
    _custom("NetworkPolicyList", "crd.projectcalico.org/v1", "networkpolicies", namespaced=True),
)


class ListApi(Protocol):
    """What :func:`load_from_api` needs: one page of a resource as the API's JSON."""

    def list(
        self, resource: Resource, namespace: str | None, limit: int, token: str | None
    ) -> dict[str, Any]: ...


def load_live(
    kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None
) -> Cluster:
    """Load the cluster the kubeconfig (or the in-cluster service account) points at.

    With ``namespace``, pods, services, slices and policies come from that
    namespace only; namespaces and nodes are always listed whole.

    Raises:
        InputError: the client is not installed, the cluster is unreachable or
            refuses a request, or its objects do not convert.
    """
    return load_from_api(KubernetesApi.connect(kubeconfig, context), namespace)


def load_from_api(api: ListApi, namespace: str | None = None) -> Cluster:
    """Read every page of every resource from ``api`` and load them as one cluster state."""
    from . import load_objects

    return load_objects(_pages(api, namespace), SOURCE)


def _pages(api: ListApi, namespace: str | None) -> Iterator[dict[str, Any]]:
    for resource in RESOURCES:
        scope = namespace if resource.list_namespaced else None
        token = None
        while True:
            page = api.list(resource, scope, PAGE_SIZE, token)
            if not isinstance(page, dict):
                raise InputError(f"the API returned {type(page).__name__} for {resource.list_kind}")
            # A List response's items carry no kind; name the list so they can be typed.
            page.setdefault("kind", resource.list_kind)
            page.setdefault("apiVersion", resource.api_version)
            yield page
            metadata = page.get("metadata")
            token = metadata.get("continue") if isinstance(metadata, dict) else None
            if not token:
                break


class KubernetesApi:
    """:class:`ListApi` over the official ``kubernetes`` client."""

    def __init__(self, kubernetes: Any, api_client: Any):
        self._kubernetes = kubernetes
        self._client = api_client

    @classmethod
    def connect(cls, kubeconfig: str | None = None, context: str | None = None) -> KubernetesApi:
        kubernetes = _import_client()
        try:
            if kubeconfig is None and context is None and _in_cluster(kubernetes):
                kubernetes.config.load_incluster_config()
                return cls(kubernetes, kubernetes.client.ApiClient())
            api_client = kubernetes.config.new_client_from_config(
                config_file=kubeconfig, context=context
            )
        except _CONFIG_ERRORS + _client_errors(kubernetes.config, "ConfigException") as exc:
            where = kubeconfig or "the default kubeconfig"
            raise InputError(f"cannot load {where}: {exc}") from exc
        return cls(kubernetes, api_client)

    def list(
        self, resource: Resource, namespace: str | None, limit: int, token: str | None
    ) -> dict[str, Any]:
        api = getattr(self._kubernetes.client, resource.api_class)(self._client)
        kwargs: dict[str, Any] = {"limit": limit, "_preload_content": False}
        if token:
            kwargs["_continue"] = token
        args: tuple[Any, ...] = ()
        if resource.plural is not None:
            group, _, version = resource.api_version.rpartition("/")
            args = (group, version)
        try:
            if namespace is not None and resource.list_namespaced:
                if resource.plural is not None:
                    response = getattr(api, resource.list_namespaced)(
                        *args, namespace, resource.plural, **kwargs
                    )
                else:
                    response = getattr(api, resource.list_namespaced)(namespace, **kwargs)
            elif resource.plural is not None:
                response = getattr(api, resource.list_all)(*args, resource.plural, **kwargs)
            else:
                response = getattr(api, resource.list_all)(**kwargs)
            return json.loads(response.data)
        except Exception as exc:
            if not _cluster_failure(exc, self._kubernetes):
                raise  # a bug in netverify, not an unreadable cluster
            status = getattr(exc, "status", None)
            if resource.optional and status == 404:
                return {"kind": resource.list_kind, "apiVersion": resource.api_version, "items": []}
            reason = getattr(exc, "reason", None) or exc
            detail = f"{status} {reason}" if status else str(reason)
            raise InputError(
                f"cannot list {resource.list_kind} from the cluster: {detail}"
            ) from exc


#: What reading a kubeconfig raises besides the client's ConfigException: an unreadable
#: file, bad YAML, bad base64 or certificate data (ValueError).
_CONFIG_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, yaml.YAMLError)


def _client_errors(module: Any, *names: str) -> tuple[type[BaseException], ...]:
    """The exception classes ``module`` defines under ``names`` (a fake client may define none)."""
    found = (getattr(module, name, None) for name in names)
    return tuple(c for c in found if isinstance(c, type) and issubclass(c, BaseException))


def _cluster_failure(exc: BaseException, kubernetes: Any) -> bool:
    """Does ``exc`` say the cluster could not be read, rather than that netverify is wrong?

    The API server answered with an error (``ApiException`` and anything else
    carrying an HTTP ``status``), the connection failed (``urllib3`` errors,
    ``OSError``), or the answer was no JSON (``ValueError``).
    """
    if getattr(exc, "status", None) is not None:
        return True
    known = (OSError, ValueError) + _client_errors(kubernetes.client, "ApiException")
    try:
        import urllib3

        known += (urllib3.exceptions.HTTPError,)
    except ImportError:
        pass
    return isinstance(exc, known)


def _import_client() -> Any:
    try:
        import kubernetes
        import kubernetes.client
        import kubernetes.config
    except ImportError:
        raise InputError(
            "reading a live cluster needs the kubernetes client: pip install 'netverify[kube]'"
        ) from None
    return kubernetes


def _in_cluster(kubernetes: Any) -> bool:
    """True inside a pod (service account token mounted and no kubeconfig around)."""
    import os

    default = os.path.expanduser(
        getattr(kubernetes.config, "KUBE_CONFIG_DEFAULT_LOCATION", "~/.kube/config")
    )
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not (
        os.environ.get("KUBECONFIG") or os.path.exists(default)
    )
