"""Known findings: counterexamples accepted by an annotation on the object, or by a baseline.

Two ways to adopt netverify on a repository that already breaks a property,
as linters let teams adopt a rule:

- **annotation** (``netverify.dev/ignore: service-resolution``, see
  :mod:`verifier.ingest.ignores`): a counterexample of property P is suppressed
  when an object it names (``objects``: the object at fault first, then the
  others that decided it) is annotated for P, or when every pod it names is
  (a pod carries its own annotation, its pod template's and its controller's:
  a Deployment's, through its ReplicaSet);
- **baseline** (``--baseline report.json``, a previous ``check -o json``): a
  counterexample is suppressed when its fingerprint is in the report
  (:mod:`verifier.properties.fingerprint`), or, for a property whose list the
  report cut at its limit (``"truncated": true``), when its root is.

A suppressed counterexample is still reported, marked, and the result stays
VIOLATED: only :attr:`~verifier.properties.result.PropertyResult.outcome`, what
the exit code follows, changes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import InputError, Problem
from ..model import Cluster, Ignore
from .fingerprint import fingerprint, fingerprint_parts, root_fingerprint
from .result import Counterexample, PropertyResult, Suppression

__all__ = ["Baseline", "load_baseline", "suppress"]

_IGNORE = "netverify.dev/ignore"


@dataclass(frozen=True)
class Baseline:
    """The counterexamples of a previous report, by fingerprint.

    >>> b = Baseline.from_report({"results": []}, "old.json")
    >>> b.path, len(b.fingerprints)
    ('old.json', 0)
    """

    path: str
    fingerprints: frozenset[str]
    #: Root fingerprints of the properties whose list the report cut at its limit.
    roots: frozenset[str] = frozenset()

    def covers(self, result: PropertyResult, cx: Counterexample) -> bool:
        if fingerprint(result, cx) in self.fingerprints:
            return True
        return root_fingerprint(result.property, result.name, cx.objects) in self.roots

    @classmethod
    def from_report(cls, data: Any, path: str) -> Baseline:
        """From the data of ``netverify check -o json`` (or ``-o yaml``)."""

        def bad(why: str) -> InputError:
            return InputError([Problem(f"not a netverify check report: {why}", file=path)])

        if not isinstance(data, Mapping):
            raise bad("expected a JSON object with 'results'")
        if data.get("error") and not data.get("results"):
            raise InputError(
                [
                    Problem(
                        "the baseline is the report of a check whose input did not load: it holds no results",
                        file=path,
                    )
                ]
            )
        results = data.get("results")
        if not isinstance(results, list):
            raise bad("'results' is missing or not a list")
        prints: set[str] = set()
        roots: set[str] = set()
        for i, r in enumerate(results):
            if not isinstance(r, Mapping) or not isinstance(r.get("property"), str):
                raise bad(f"results[{i}] has no 'property'")
            prop = r["property"]
            name = r.get("name") if prop == "invariant" else prop
            cxs = r.get("counterexamples") or []
            if not isinstance(cxs, list):
                raise bad(f"results[{i}].counterexamples is not a list")
            for j, cx in enumerate(cxs):
                if not isinstance(cx, Mapping) or not isinstance(cx.get("summary"), str):
                    raise bad(f"results[{i}].counterexamples[{j}] has no 'summary'")
                objects = [o for o in cx.get("objects") or [] if isinstance(o, Mapping)]
                pods = [p for p in cx.get("pods") or [] if isinstance(p, str)]
                # Recomputed, not read: a report written by hand or edited still matches.
                prints.add(fingerprint_parts(prop, str(name), objects, pods, cx["summary"]))
                if r.get("truncated"):
                    roots.add(root_fingerprint(prop, str(name), objects))
        return cls(path, frozenset(prints), frozenset(roots))


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """Read a baseline report; an unreadable or malformed file is an :class:`InputError` naming it."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise InputError(
            [Problem(f"cannot read the baseline: {e.strerror or e}", file=path)]
        ) from None
    except UnicodeDecodeError:
        raise InputError([Problem("the baseline is not UTF-8 text", file=path)]) from None
    try:
        data = json.loads(text)
    except ValueError:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            raise InputError(
                [
                    Problem(
                        "the baseline is neither JSON nor YAML (netverify check -o json)", file=path
                    )
                ]
            ) from None
    return Baseline.from_report(data, path)


def as_baseline(value: Any) -> Baseline | None:
    """``None``, a :class:`Baseline`, a report's data (a mapping) or a path to one."""
    if value is None or isinstance(value, Baseline):
        return value
    if isinstance(value, Mapping):
        return Baseline.from_report(value, "<baseline>")
    return load_baseline(value)


def suppress(
    cluster: Cluster, result: PropertyResult, baseline: Baseline | None = None
) -> PropertyResult:
    """``result`` with each counterexample marked if an annotation or the baseline accepts it."""
    if not result.counterexamples or (not cluster.ignores and baseline is None):
        return result
    marked = []
    for cx in result.counterexamples:
        why = _annotated(cluster, result.property, cx)
        if why is None and baseline is not None and baseline.covers(result, cx):
            why = Suppression("baseline", f"in the baseline {baseline.path}")
        marked.append(cx if why is None else replace(cx, suppressed=why))
    return replace(result, counterexamples=tuple(marked))


def _annotated(cluster: Cluster, prop: str, cx: Counterexample) -> Suppression | None:
    for obj in cx.objects:
        if obj.kind == "Pod" and obj.namespace:
            found = pod_ignore(cluster, f"{obj.namespace}/{obj.name}")
        else:
            found = cluster.ignore_by_object.get((obj.kind, obj.namespace, obj.name))
        if found is not None and found.covers(prop):
            return _by(found)
    if cx.pods:
        ignores = [pod_ignore(cluster, ref) for ref in cx.pods]
        if all(i is not None and i.covers(prop) for i in ignores):
            return _by(ignores[0])  # type: ignore[arg-type]
    return None


def _by(ignore: Ignore) -> Suppression:
    written = ", ".join(sorted(ignore.properties))
    reason = ignore.reason or f"{ignore.ref} is annotated {_IGNORE}: {written}"
    return Suppression("annotation", reason, ignore.ref)


def pod_ignore(cluster: Cluster, ref: str) -> Ignore | None:
    """The annotation that counts for pod ``ref``: its own, else its controller's (a ReplicaSet's
    Deployment, a Job's CronJob, by the name the controller gives it)."""
    ns, _, name = ref.partition("/")
    index = cluster.ignore_by_object
    found = index.get(("Pod", ns, name))
    if found is not None or not index:
        return found
    pod = cluster.pod_by_ref.get(ref)
    if pod is None or not pod.owner:
        return None
    kind, _, owner = pod.owner.partition("/")
    found = index.get((kind, ns, owner))
    if found is None and kind in ("ReplicaSet", "Job"):
        parent = "Deployment" if kind == "ReplicaSet" else "CronJob"
        found = index.get((parent, ns, owner.rsplit("-", 1)[0]))
    return found
