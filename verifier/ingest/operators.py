"""Custom resources whose operator makes pods: the pods a repository of manifests never holds.

kube-prometheus' ``Prometheus`` and ``Alertmanager`` objects are turned into
StatefulSets by the Prometheus operator at run time; a Service selecting their
pods has no endpoint in the manifests, and saying so per port would bury the
real findings. The rule, for objects of a kind netverify does not read:

1. the Prometheus operator's kinds (``monitoring.coreos.com`` ``Prometheus``,
   ``Alertmanager``, ``ThanosRuler``): their pods carry ``spec.podMetadata.labels``
   plus the labels the operator sets on every pod it makes
   (``app.kubernetes.io/name``, ``app.kubernetes.io/instance``,
   ``app.kubernetes.io/managed-by`` and ``prometheus``/``alertmanager``/``thanos-ruler``
   set to the object's name), the operator's winning;
2. any other custom resource with a pod template, ``spec.podMetadata.labels``
   or ``spec.template.metadata.labels`` (Argo Rollouts, OpenKruise CloneSets,
   ...): its pods carry those labels.

A Service of the resource's namespace whose selector those labels satisfy, and
that selects no pod of the input, targets the operator's pods
(:meth:`verifier.model.OperatorWorkload.makes_pods_for`).

>>> from verifier.ingest.documents import parse_text
>>> objs, _ = parse_text('''
... apiVersion: monitoring.coreos.com/v1
... kind: Prometheus
... metadata: {name: k8s, namespace: monitoring}
... spec: {podMetadata: {labels: {app.kubernetes.io/part-of: kube-prometheus}}}
... ''')
>>> (w,) = read_operator_workloads(objs, namespace="default", known=lambda raw: False)
>>> str(w), w.pod_labels["prometheus"], w.pod_labels["app.kubernetes.io/part-of"]
('monitoring.coreos.com/v1 Prometheus k8s', 'k8s', 'kube-prometheus')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..model import Labels, OperatorWorkload
from .documents import RawObject

__all__ = ["OPERATOR_LABELS", "read_operator_workloads"]

_MANAGED_BY = {"app.kubernetes.io/managed-by": "prometheus-operator"}

#: (group, kind) -> the labels the operator puts on every pod of the object named ``name``.
OPERATOR_LABELS: dict[tuple[str, str], Callable[[str], dict[str, str]]] = {
    ("monitoring.coreos.com", "Prometheus"): lambda name: {
        "app.kubernetes.io/name": "prometheus",
        "app.kubernetes.io/instance": name,
        "prometheus": name,
        "operator.prometheus.io/name": name,
        **_MANAGED_BY,
    },
    ("monitoring.coreos.com", "Alertmanager"): lambda name: {
        "app.kubernetes.io/name": "alertmanager",
        "app.kubernetes.io/instance": name,
        "alertmanager": name,
        **_MANAGED_BY,
    },
    ("monitoring.coreos.com", "ThanosRuler"): lambda name: {
        "app.kubernetes.io/name": "thanos-ruler",
        "app.kubernetes.io/instance": name,
        "thanos-ruler": name,
        **_MANAGED_BY,
    },
}


def read_operator_workloads(
    objects: Iterable[RawObject], *, namespace: str, known: Callable[[RawObject], bool]
) -> tuple[OperatorWorkload, ...]:
    """Every object of a kind netverify does not read (``known(raw)`` false) that makes pods."""
    out: dict[tuple[str, str, str, str], OperatorWorkload] = {}
    for raw in objects:
        if raw.kind is None or raw.api_version is None or known(raw):
            continue
        meta = raw.body.get("metadata")
        if not isinstance(meta, Mapping) or not isinstance(meta.get("name"), str):
            continue
        name = meta["name"]
        ns = meta.get("namespace") if isinstance(meta.get("namespace"), str) else namespace
        group = raw.api_version.rpartition("/")[0]
        labels = _template_labels(raw.body.get("spec"))
        operator = OPERATOR_LABELS.get((group, raw.kind))
        if operator is not None:
            labels = {**(labels or {}), **operator(name)}
        if not labels:
            continue
        key = (group, raw.kind, ns, name)
        out[key] = OperatorWorkload(raw.api_version, raw.kind, ns, name, Labels(labels), raw.source)
    return tuple(out.values())


def _template_labels(spec: Any) -> dict[str, str] | None:
    """``spec.podMetadata.labels`` or ``spec.template.metadata.labels``, when string-valued."""
    if not isinstance(spec, Mapping):
        return None
    for holder in (spec.get("podMetadata"), _get(spec.get("template"), "metadata")):
        labels = _get(holder, "labels")
        if isinstance(labels, Mapping) and labels:
            return {str(k): str(v) for k, v in labels.items() if isinstance(v, str)}
    return None


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None
