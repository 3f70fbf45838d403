"""``netverify check`` reports for an input that did not load (exit 2), in every ``-o`` format.

A CI step that uploads ``netverify.sarif`` or publishes ``junit.xml`` fails
with "file not found" when the tool wrote nothing, which hides the real reason.
So a broken manifest still yields a valid report that says so:

- ``json``/``yaml``: ``{"error": {"type": "input", "message", "problems": [...]},
  "results": [], "summary": {"exit_code": 2}}``;
- ``sarif``: a run whose invocation failed (``executionSuccessful: false``) with one
  error-level ``toolExecutionNotification`` and one result (rule ``netverify/input``)
  per error, at its file and line, so code scanning shows it on the manifest;
- ``junit``: one ``<testcase>`` "the cluster state loads" with an ``<error>``;
- ``github``: one ``::error`` annotation per error;
- ``text``: the problems, one per line, as on stderr.

>>> from verifier.errors import InputError, Problem
>>> e = InputError([Problem("invalid YAML: found unexpected end of stream", file="a.yaml", line=3)])
>>> print(render_input_error(e, "github"))
::error file=a.yaml,line=3,title=netverify input::invalid YAML: found unexpected end of stream
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import yaml

from .. import __version__
from ..errors import InputError, Problem
from ..model import Source
from .describe import Invocation
from .github import command
from .junit import _clean
from .sarif import _physical, one_run_log

__all__ = ["error_dict", "render_input_error"]

EXIT_INPUT = 2
_RULE = "netverify/input"


def _errors(error: InputError) -> list[Problem]:
    return list(error.errors) or list(error.problems)


def _headline(error: InputError) -> str:
    n = len(error.errors)
    return f"the cluster state has {n} error(s): nothing was checked"


def _problem_dict(p: Problem) -> dict[str, Any]:
    return {
        "file": p.file,
        "line": p.line,
        "column": p.column,
        "object": p.object,
        "field": p.field,
        "severity": p.severity,
        "message": p.message,
        "text": str(p),
    }


def error_dict(error: InputError) -> dict[str, Any]:
    """The ``-o json``/``-o yaml`` document for an input error."""
    return {
        "error": {
            "type": "input",
            "message": _headline(error),
            "problems": [_problem_dict(p) for p in error.problems],
        },
        "results": [],
        "summary": {"exit_code": EXIT_INPUT},
    }


def _located(p: Problem) -> bool:
    """A problem in a real file (not stdin, a stream or the input as a whole)."""
    return p.file is not None and not p.file.startswith("<")


def _sarif(error: InputError, invocation: Invocation) -> dict[str, Any]:
    fallback = next((p for p in invocation.inputs if p != "-"), None)
    results = []
    notifications = []
    for p in _errors(error):
        where = Source(p.file, p.line) if _located(p) else Source(fallback, 1) if fallback else None
        location = {"physicalLocation": _physical(where)} if where else None
        results.append(
            {
                "ruleId": _RULE,
                "ruleIndex": 0,
                "level": "error",
                "message": {"text": str(p) if location is None else _without_location(p)},
                "locations": [location] if location else [],
            }
        )
        notification: dict[str, Any] = {"level": "error", "message": {"text": str(p)}}
        if location:
            notification["locations"] = [location]
        notifications.append(notification)
    run_invocation: dict[str, Any] = {
        "executionSuccessful": False,
        "exitCode": EXIT_INPUT,
        "toolExecutionNotifications": notifications,
    }
    rule = {
        "id": _RULE,
        "name": "Input",
        "shortDescription": {"text": "The cluster state loads"},
        "fullDescription": {
            "text": "Every manifest parses and is a valid Kubernetes object, and the input "
            "holds something to verify; otherwise no property is checked."
        },
        "defaultConfiguration": {"level": "error"},
    }
    return one_run_log([rule], run_invocation, invocation, results)


def _without_location(p: Problem) -> str:
    """The problem's text without ``file:line:``, which the SARIF location already carries."""
    text = str(p)
    prefix = p.location + ": "
    return text[len(prefix) :] if text.startswith(prefix) else text


def _junit(error: InputError) -> str:
    counts = {"tests": "1", "failures": "0", "errors": "1", "skipped": "0", "time": "0.000"}
    suites = ET.Element("testsuites", {"name": "netverify", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": "netverify check", **counts})
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="netverify.version", value=__version__)
    case = ET.SubElement(
        suite, "testcase", classname="netverify.input", name="the cluster state loads", time="0.000"
    )
    first = _errors(error)[0] if _errors(error) else None
    if first is not None and _located(first):
        case.set("file", _clean(first.file or ""))
        if first.line is not None:
            case.set("line", str(first.line))
    failure = ET.SubElement(case, "error", type="input", message=_clean(_headline(error)))
    failure.text = _clean("\n".join(str(p) for p in error.problems))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _github(error: InputError) -> str:
    lines = []
    for p in _errors(error):
        if _located(p):
            lines.append(
                command(
                    "error", _without_location(p), file=p.file, line=p.line, title="netverify input"
                )
            )
        else:
            lines.append(command("error", str(p), title="netverify input"))
    return "\n".join(lines)


def render_input_error(error: InputError, fmt: str, invocation: Invocation | None = None) -> str:
    """``error`` as a report in format ``fmt`` (one of ``report.ci.FORMATS``)."""
    invocation = invocation or Invocation()
    if fmt == "json":
        return json.dumps(error_dict(error), indent=2)
    if fmt == "yaml":
        return yaml.safe_dump(error_dict(error), sort_keys=False)
    if fmt == "sarif":
        return json.dumps(_sarif(error, invocation), indent=2)
    if fmt == "junit":
        return _junit(error)
    if fmt == "github":
        return _github(error)
    return "\n".join([f"netverify: {_headline(error)}", *(f"  {p}" for p in error.problems)])
