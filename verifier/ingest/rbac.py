"""Which pods talk to the Kubernetes API server, read from what the input shows.

A pod is an API client when

* it (or its workload's pod template) carries the annotation
  ``netverify.dev/api-client: "true"`` (``"false"`` says it is not, whatever
  its RBAC says); or
* its ServiceAccount (``spec.serviceAccountName``, ``default`` when unset) is a
  subject of a RoleBinding in its namespace or of a ClusterRoleBinding in the
  input (by name, or through the groups ``system:serviceaccounts`` and
  ``system:serviceaccounts:<namespace>``), and its token is mounted
  (``automountServiceAccountToken`` of the pod, else of the ServiceAccount
  object, is not ``false``): permissions granted to a token nobody mounts
  are not a sign of use.

:func:`api_client_reason` says why, for ``check``'s infrastructure-access
property (whose finding quotes it).

>>> b = Binding("RoleBinding", "ops", "op", (("ServiceAccount", "operator", "ops"),), None)
>>> api_client_reason("ops", "operator", None, None, [b], {})
'ServiceAccount ops/operator is bound by RoleBinding ops/op and its token is mounted'
>>> api_client_reason("ops", "operator", False, None, [b], {}) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..model import Source
from .objects import Header

__all__ = [
    "ANNOTATION",
    "Binding",
    "ServiceAccount",
    "api_client_reason",
    "read_annotation",
    "read_binding",
    "read_service_account",
]

ANNOTATION = "netverify.dev/api-client"


@dataclass(frozen=True)
class Binding:
    """A RoleBinding or ClusterRoleBinding: who it binds (``(kind, name, namespace)``)."""

    kind: str
    namespace: str | None
    name: str
    subjects: tuple[tuple[str, str, str | None], ...]
    source: Source | None

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True)
class ServiceAccount:
    namespace: str
    name: str
    automount: bool | None
    source: Source


def read_binding(h: Header) -> Binding:
    subjects = []
    for s in h.root.maps("subjects"):
        kind = s.str("kind") or ""
        name = s.str("name") or ""
        # A ServiceAccount subject without namespace is in the binding's namespace.
        namespace = s.str("namespace") or (h.namespace if kind == "ServiceAccount" else None)
        subjects.append((kind, name, namespace))
    return Binding(h.raw.kind or "", h.namespace, h.name or "", tuple(subjects), h.source)


def read_service_account(h: Header) -> ServiceAccount:
    automount = h.root.get("automountServiceAccountToken")
    return ServiceAccount(
        h.namespace or "default",
        h.name or "",
        automount if isinstance(automount, bool) else None,
        h.source,
    )


def read_annotation(meta) -> bool | None:
    """``netverify.dev/api-client`` of a metadata reader: True, False, or None when absent."""
    annotations = meta.get("annotations")
    if not isinstance(annotations, Mapping) or ANNOTATION not in annotations:
        return None
    return str(annotations[ANNOTATION]).strip().lower() in ("true", "yes", "1")


def api_client_reason(
    namespace: str,
    service_account: str,
    automount: bool | None,
    annotation: bool | None,
    bindings: Sequence[Binding],
    accounts: Mapping[tuple[str, str], ServiceAccount],
) -> str | None:
    """Why a pod with this ServiceAccount talks to the API server, or None (module docstring)."""
    if annotation is not None:
        return f"annotation {ANNOTATION}" if annotation else None
    account = accounts.get((namespace, service_account))
    mounted = automount if automount is not None else (account.automount if account else None)
    if mounted is False:
        return None
    groups = {"system:serviceaccounts", f"system:serviceaccounts:{namespace}"}
    for b in bindings:
        if b.kind == "RoleBinding" and b.namespace != namespace:
            continue
        for kind, name, ns in b.subjects:
            if (kind == "ServiceAccount" and name == service_account and ns == namespace) or (
                kind == "Group" and name in groups
            ):
                return (
                    f"ServiceAccount {namespace}/{service_account} is bound by {b.kind} {b.ref} "
                    "and its token is mounted"
                )
    return None
