"""``netverify check -o sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run, tool ``netverify``:

- one rule per property in the report, ``ruleId`` ``netverify/<property>``, and one
  rule ``netverify/invariant`` shared by every user invariant (ids never change,
  so alerts keep their identity from run to run);
- one ``error`` result per counterexample, located at the object at fault
  (``Counterexample.location``): ``artifactLocation.uri`` is the manifest path as
  given to ``-f`` (relative paths stay relative to the repository root; absolute
  ones become ``file://`` URIs, which upload-sarif relativises), ``region.startLine``
  its line. The other objects are ``relatedLocations``; each engine trace is a
  ``codeFlow`` whose steps point at the manifest lines that decided them;
- one ``warning`` result per UNKNOWN property (the solver gave up), one ``note``
  (or ``warning``, by its severity) per finding (e.g. a pod IP outside every pool);
- a counterexample suppressed by a ``netverify.dev/ignore`` annotation carries
  ``suppressions: [{"kind": "inSource", "status": "accepted", "justification"}]``,
  one in the ``--baseline`` ``{"kind": "external", ...}`` (viewers then hide or
  dismiss it); with a baseline, every counterexample says ``baselineState``
  ``new`` or ``unchanged``;
- ``partialFingerprints["netverify/v1"]`` hashes the rule, the invariant and the
  objects at fault (not line numbers or solver-chosen addresses, which move), so
  GitHub keeps one alert per problem across runs.

GitHub rejects results without a file location. When a result has none (stdin,
``--live``), it is pinned to line 1 of the first ``-f`` path, as kube-linter and
conftest do; without any path it carries only its logical location.

>>> from verifier.properties import CheckReport, PropertyResult, Status
>>> r = PropertyResult("isolation", "isolation", Status.HOLDS, "policies isolate")
>>> log = sarif_log(CheckReport((r,)))
>>> log["version"], log["runs"][0]["tool"]["driver"]["rules"][0]["id"], log["runs"][0]["results"]
('2.1.0', 'netverify/isolation', [])
"""

from __future__ import annotations

import hashlib
import posixpath
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..model import Source
from ..properties import TITLES, CheckReport, Counterexample, PropertyResult, Status
from ..trace import Decider, Trace
from .describe import Invocation, counterexample_source, real_source, result_source
from .json import dumps

__all__ = ["SCHEMA_URI", "artifact_uri", "render_sarif", "rule_id", "sarif_log"]

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_FINGERPRINT = "netverify/v1"


def rule_id(result: PropertyResult) -> str:
    """``netverify/<property>``; every invariant shares ``netverify/invariant``."""
    return f"netverify/{result.property}"


def artifact_uri(path: str) -> str:
    """A manifest path as a SARIF URI: relative stays relative (``./`` dropped), absolute becomes ``file://``.

    >>> artifact_uri("./fixtures/demo/base/policies/shop.yaml"), artifact_uri("my dir/a:b.yaml")
    ('fixtures/demo/base/policies/shop.yaml', 'my%20dir/a%3Ab.yaml')
    >>> artifact_uri("/repo/x.yaml")
    'file:///repo/x.yaml'
    """
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return PurePosixPath(posixpath.normpath(posix)).as_uri()
    if PureWindowsPath(path).is_absolute():
        return PureWindowsPath(path).as_uri()
    # quote everything but "/": a ":" in the first segment would read as a URI scheme.
    return quote(posixpath.normpath(posix), safe="/")


def sarif_log(report: CheckReport, invocation: Invocation | None = None) -> dict[str, Any]:
    """The SARIF log as plain JSON-ready data."""
    invocation = invocation or Invocation()
    fallback = next((p for p in invocation.inputs if p != "-"), None)
    rules: dict[str, dict[str, Any]] = {}
    for r in report.results:
        rules.setdefault(rule_id(r), _rule(r))
    index = {rid: i for i, rid in enumerate(rules)}
    results: list[dict[str, Any]] = []
    for r in report.results:
        results += _results(r, index[rule_id(r)], fallback, baselined=report.baseline is not None)
    _number_fingerprints(results)
    run_invocation: dict[str, Any] = {"executionSuccessful": True}
    if invocation.exit_code is not None:
        run_invocation["exitCode"] = invocation.exit_code
    return one_run_log(list(rules.values()), run_invocation, invocation, results)


def one_run_log(
    rules: list[dict[str, Any]],
    run_invocation: dict[str, Any],
    invocation: Invocation,
    results: list[dict[str, Any]],
) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one netverify run (the command line added to ``run_invocation``)."""
    if invocation.arguments:
        run_invocation["arguments"] = list(invocation.arguments)
    driver = {"name": "netverify", "version": __version__, "semanticVersion": __version__}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {**driver, "rules": rules}},
                "invocations": [run_invocation],
                "results": results,
            }
        ],
    }


def render_sarif(report: CheckReport, invocation: Invocation | None = None) -> str:
    return dumps(sarif_log(report, invocation))


# --------------------------------------------------------------------------- rules


def _rule(result: PropertyResult) -> dict[str, Any]:
    invariant = result.property == "invariant"
    title = TITLES.get(result.property, result.property)
    # An invariant's statement is that invariant's; the shared rule describes them all.
    full = (
        "A network invariant declared in the --invariants file holds."
        if invariant
        else result.statement
    )
    return {
        "id": rule_id(result),
        "name": "".join(part.capitalize() for part in result.property.split("-")),
        "shortDescription": {"text": title[0].upper() + title[1:]},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": "error"},
        # Every counterexample is replayed by the concrete engine before it is reported.
        "properties": {"precision": "very-high", "tags": ["kubernetes", "network"]},
    }


# --------------------------------------------------------------------------- results


def _results(
    result: PropertyResult, rule_index: int, fallback: str | None, *, baselined: bool = False
) -> list[dict[str, Any]]:
    prefix = f"{result.name}: " if result.property == "invariant" else ""
    out = []
    for cx in result.counterexamples:
        others = [o for o in cx.objects if o is not cx.location]
        item = _result(
            result,
            rule_index,
            "error",
            prefix + cx.summary,
            cx.location,
            counterexample_source(cx, result),
            fallback,
        )
        related = [_location(o, real_source(o.source), None, message=o.ref) for o in others]
        if related:
            item["relatedLocations"] = [{"id": i, **loc} for i, loc in enumerate(related, 1)]
        if cx.traces:
            item["codeFlows"] = [_code_flow(t) for t in cx.traces]
        item["partialFingerprints"] = {_FINGERPRINT: _fingerprint(result, cx.objects, cx.summary)}
        item["properties"] = _properties(result, cx)
        if cx.suppressed is not None:
            item["suppressions"] = [_suppression(cx)]
        if baselined:
            item["baselineState"] = (
                "unchanged"
                if cx.suppressed is not None and cx.suppressed.kind == "baseline"
                else "new"
            )
        out.append(item)
    if result.status is Status.VIOLATED and not result.counterexamples:
        out.append(
            _summary_result(result, rule_index, "error", prefix + result.statement, fallback)
        )
    if result.status is Status.UNKNOWN:
        reason = result.reason or "the solver could not decide"
        text = f"{prefix}could not decide whether {result.statement} ({reason})"
        out.append(_summary_result(result, rule_index, "warning", text, fallback))
    for f in result.findings:
        at = f.objects[0] if f.objects else None
        item = _result(
            result,
            rule_index,
            "warning" if f.severity == "warning" else "note",
            prefix + f.message,
            at,
            real_source(at.source) if at else None,
            fallback,
        )
        item["partialFingerprints"] = {_FINGERPRINT: _fingerprint(result, f.objects, f.message)}
        out.append(item)
    return out


def _summary_result(
    result: PropertyResult, rule_index: int, level: str, text: str, fallback: str | None
) -> dict[str, Any]:
    """A result about the whole property (not one counterexample), at the invariant if any."""
    item = _result(result, rule_index, level, text, None, result_source(result), fallback)
    item["partialFingerprints"] = {_FINGERPRINT: _fingerprint(result, (), level)}
    item["properties"] = {
        "status": result.status.value,
        **({"reason": result.reason} if result.reason else {}),
    }
    return item


def _result(
    result: PropertyResult,
    rule_index: int,
    level: str,
    text: str,
    obj: Decider | None,
    source: Source | None,
    fallback: str | None,
) -> dict[str, Any]:
    loc = _location(obj, source, fallback)
    return {
        "ruleId": rule_id(result),
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": text},
        "locations": [loc] if loc else [],
    }


def _location(
    obj: Decider | None, source: Source | None, fallback: str | None, *, message: str | None = None
) -> dict[str, Any]:
    loc: dict[str, Any] = {}
    physical = (
        _physical(source)
        if source is not None
        else _physical(Source(fallback, 1))
        if fallback
        else None
    )
    if physical:
        loc["physicalLocation"] = physical
    if obj is not None:
        loc["logicalLocations"] = [
            {"name": obj.name, "fullyQualifiedName": obj.ref, "kind": "resource"}
        ]
    if message:
        loc["message"] = {"text": message}
    return loc


def _physical(source: Source) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(source.file)}}
    # GitHub requires a region; an object without a line is pinned to the file's first line.
    physical["region"] = {"startLine": source.line if source.line and source.line > 0 else 1}
    return physical


def _code_flow(trace: Trace) -> dict[str, Any]:
    """The engine's trace as SARIF steps, each at the manifest line of the object that decided it."""
    steps = []
    for hop in trace.all_hops:
        decider = next((d for d in hop.deciders if real_source(d.source) is not None), None)
        location = _location(
            decider,
            real_source(decider.source) if decider else None,
            None,
            message=f"{hop.step}: {hop.outcome}: {hop.detail}",
        )
        steps.append({"location": location})
    if not steps:  # a threadFlow needs at least one location
        steps.append({"location": {"message": {"text": trace.summary}}})
    return {"message": {"text": trace.summary}, "threadFlows": [{"locations": steps}]}


def _suppression(cx: Counterexample) -> dict[str, Any]:
    """SARIF's own words: ``inSource`` for an annotation in the manifest, ``external`` for the baseline."""
    s = cx.suppressed
    assert s is not None
    kind = "inSource" if s.kind == "annotation" else "external"
    text = f"{s.object}: {s.reason}" if s.object else s.reason
    return {"kind": kind, "status": "accepted", "justification": text}


def _properties(result: PropertyResult, cx: Counterexample) -> dict[str, Any]:
    props: dict[str, Any] = {"status": result.status.value}
    if result.property == "invariant":
        props["invariant"] = result.name
    if cx.pods:
        props["pods"] = list(cx.pods)
    if cx.packet is not None:
        props["packet"] = str(cx.packet)
    if cx.allocation:
        props["allocation"] = dict(cx.allocation)
    return props


def _fingerprint(result: PropertyResult, objects: tuple[Decider, ...], fallback_text: str) -> str:
    """What identifies the problem across runs: rule, invariant, objects at fault (no lines)."""
    parts = (
        [rule_id(result), result.name, *(o.ref for o in objects)]
        if objects
        else [rule_id(result), result.name, fallback_text]
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _number_fingerprints(results: list[dict[str, Any]]) -> None:
    """Append ``:n`` so two results about the same objects stay two alerts (GitHub's own scheme)."""
    seen: dict[str, int] = {}
    for item in results:
        key = item["partialFingerprints"][_FINGERPRINT]
        seen[key] = seen.get(key, 0) + 1
        item["partialFingerprints"][_FINGERPRINT] = f"{key}:{seen[key]}"
