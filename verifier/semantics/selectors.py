"""Label selectors (semantics.md §2): matchLabels and matchExpressions.

Labels are always concrete, so selectors are plain predicates; only packet
fields go through the algebra.

>>> from verifier.model import LabelSelector, Requirement, Labels
>>> sel = LabelSelector((Requirement("env", "NotIn", ("prod",)),))
>>> matches(sel, Labels({})), matches(sel, Labels({"env": "prod"}))
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping

from ..model import Labels, LabelSelector, Requirement

__all__ = ["matches", "requirement_matches", "selector_from_labels"]


def requirement_matches(req: Requirement, labels: Mapping[str, str]) -> bool:
    """``Requirement.Matches`` of k8s.io/apimachinery: NotIn and DoesNotExist match a missing key."""
    present = req.key in labels
    op = req.operator
    if op == "In":
        return present and labels[req.key] in req.values
    if op == "NotIn":
        return not present or labels[req.key] not in req.values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    raise ValueError(f"unknown label selector operator {op!r}")  # ingest rejects these


def matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    """True when every requirement holds; the empty selector matches everything."""
    return all(requirement_matches(r, labels) for r in selector.requirements)


def selector_from_labels(labels: Mapping[str, str]) -> LabelSelector:
    """The selector a Service's ``selector`` map means: every ``k: v`` as ``k In [v]``."""
    return LabelSelector(tuple(Requirement(k, "In", (v,)) for k, v in sorted(labels.items())))


def namespace_labels(cluster, namespace: str) -> Labels:
    """A namespace's labels; a namespace missing from the input has only its name label."""
    ns = cluster.namespace_by_name.get(namespace)
    if ns is not None:
        return ns.labels
    return Labels({"kubernetes.io/metadata.name": namespace})
