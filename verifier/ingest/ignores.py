"""``netverify.dev/ignore``: known findings accepted on the object they are about.

A team adopting netverify on an existing repository marks what it knows and
accepts where it lives, as linters' inline suppressions do::

    metadata:
      annotations:
        netverify.dev/ignore: service-resolution     # or "isolation, dns-resolution", or "*"
        netverify.dev/ignore-reason: pods made by the Prometheus operator

The value is a comma-separated list of property names (``invariant`` for the
user invariants) or ``*``. A workload's annotation, and its pod template's
(which its pods carry), count for the pods it makes. Which counterexamples an
annotation suppresses is decided by :mod:`verifier.properties.suppress`.

>>> from verifier.ingest.documents import parse_text
>>> objs, _ = parse_text('''
... apiVersion: v1
... kind: Service
... metadata:
...   name: web
...   annotations: {netverify.dev/ignore: "service-resolution, isolation"}
... ''')
>>> problems = []
>>> (i,) = read_ignores(objs, problems, namespace="shop", namespaced=lambda raw: True)
>>> i.ref, sorted(i.properties), problems
('Service shop/web', ['isolation', 'service-resolution'], [])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import Problem
from ..model import Ignore
from .documents import RawObject

__all__ = ["IGNORE", "IGNORE_REASON", "model_kind", "read_ignores"]

IGNORE = "netverify.dev/ignore"
IGNORE_REASON = "netverify.dev/ignore-reason"

_CALICO_GROUPS = ("projectcalico.org", "crd.projectcalico.org")


def model_kind(raw: RawObject) -> str:
    """The kind the model (and every counterexample's objects) calls this object by."""
    group = (raw.api_version or "").rpartition("/")[0]
    if raw.kind == "NetworkPolicy" and group in _CALICO_GROUPS:
        return "NetworkPolicy.projectcalico.org"
    return raw.kind or ""


def _names() -> tuple[str, ...]:
    # Imported here: the ingest layer sits below the properties and must not load them.
    from ..properties import PROPERTY_NAMES

    return (*PROPERTY_NAMES, "invariant")


def read_ignores(
    objects: Iterable[RawObject],
    problems: list[Problem],
    *,
    namespace: str,
    namespaced: Callable[[RawObject], bool | None],
) -> tuple[Ignore, ...]:
    """The ignore annotation of every object that has one (the last definition of an object wins,
    as in the loader); unknown property names are warnings and are dropped.

    ``namespaced(raw)`` says whether the kind is namespaced (``None``: a kind
    netverify does not read, namespaced when it names a namespace).
    """
    out: dict[tuple[str, str | None, str], Ignore] = {}
    for raw in objects:
        if _annotated(raw.body) is None:
            continue
        meta, written = _annotated(raw.located())  # the same, with line numbers
        ns = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
        if namespaced(raw) is False:
            ns = None
        elif ns is None and namespaced(raw):
            ns = namespace
        kind, name = model_kind(raw), meta["name"]
        props: set[str] = set()
        reasons: list[str] = []
        for written_by in written:
            where = _line(written_by, raw)
            blame = {"file": raw.source.file, "line": where, "kind": kind, "namespace": ns}
            props |= _properties(written_by.get(IGNORE), problems, name=name, **blame)
            reason = written_by.get(IGNORE_REASON)
            if isinstance(reason, str) and reason.strip():
                reasons.append(reason.strip())
            elif reason is not None:
                problems.append(_warning(f"{IGNORE_REASON} must be a string", name=name, **blame))
            if IGNORE not in written_by:
                problems.append(
                    _warning(
                        f"{IGNORE_REASON} without {IGNORE} suppresses nothing", name=name, **blame
                    )
                )
        if props:
            line = _line(written[0], raw)
            out[(kind, ns, name)] = Ignore(
                kind,
                ns,
                name,
                frozenset(props),
                "; ".join(dict.fromkeys(reasons)) or None,
                raw.source.at(line),
            )
    return tuple(out.values())


def _annotated(body: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]] | None:
    """(metadata, the annotation maps that carry an ignore) of a named object; None if none do."""
    meta = body.get("metadata")
    if not isinstance(meta, Mapping) or not isinstance(meta.get("name"), str):
        return None
    entries = [meta.get("annotations")]
    template = _template_metadata(body)
    if template is not None:
        entries.append(template.get("annotations"))
    written = [a for a in entries if isinstance(a, Mapping) and (IGNORE in a or IGNORE_REASON in a)]
    return (meta, written) if written else None


def _template_metadata(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``spec.template.metadata`` (Deployment & co.) or ``spec.jobTemplate.spec.template.metadata`` (CronJob)."""
    spec = body.get("spec")
    if isinstance(spec, Mapping) and isinstance(spec.get("jobTemplate"), Mapping):
        spec = spec["jobTemplate"].get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    meta = template.get("metadata") if isinstance(template, Mapping) else None
    return meta if isinstance(meta, Mapping) else None


def _line(annotations: Mapping[str, Any], raw: RawObject) -> int | None:
    lines = getattr(annotations, "key_lines", None) or {}
    return lines.get(IGNORE) or lines.get(IGNORE_REASON) or raw.source.line


def _properties(value: Any, problems: list[Problem], **blame: Any) -> set[str]:
    if value is None:
        return set()
    if not isinstance(value, str):
        problems.append(
            _warning(
                f"{IGNORE} must be a string such as 'isolation, dns-resolution' or '*'", **blame
            )
        )
        return set()
    names = [n.strip() for n in value.split(",") if n.strip()]
    known = _names()
    out = set()
    for n in names:
        if n == "*" or n in known:
            out.add(n)
        else:
            problems.append(
                _warning(
                    f"{IGNORE} names {n!r}, which is no property: it suppresses nothing "
                    f"(properties: {', '.join(known)}, or *)",
                    **blame,
                )
            )
    if not names:
        problems.append(_warning(f"{IGNORE} is empty: it suppresses nothing", **blame))
    return out


def _warning(message: str, **blame: Any) -> Problem:
    return Problem(message, field=f"metadata.annotations.{IGNORE}", severity="warning", **blame)
