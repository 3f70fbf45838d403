"""``netverify check -o junit``: JUnit XML, one ``<testcase>`` per property and invariant.

Every CI system that shows test results reads this (GitLab, Jenkins, Azure
DevOps, CircleCI, GitHub test-report actions):

- ``classname`` is ``netverify.<property>`` (``netverify.invariant`` for user
  invariants) and ``name`` the property's or invariant's name;
- ``file``/``line`` point at the first counterexample's object at fault (for an
  invariant without one, at the invariant), as pytest's xunit1 does;
- VIOLATED is a ``<failure type="violated">``: its text holds every counterexample
  with its location and engine trace;
- UNKNOWN is an ``<error type="unknown">``, not a ``<skipped>``: an undecided
  property is not a pass (design.md), and dashboards hide or grey out skipped
  tests while they show errors in red, apart from failures;
- VIOLATED with every counterexample suppressed (a ``netverify.dev/ignore``
  annotation, the ``--baseline``) is ``<skipped>`` with the reason: known, not
  failing, and not a pass either; suppressed counterexamples of a failing result
  are listed after its new ones;
- the statement that was proven, and any findings, go to ``<system-out>``.

>>> from verifier.properties import CheckReport, PropertyResult, Status
>>> r = PropertyResult("isolation", "isolation", Status.UNKNOWN, "policies isolate", reason="IPv4: timeout", seconds=60)
>>> print(render_junit(CheckReport((r,), 60.0)).splitlines()[6])
    <testcase classname="netverify.isolation" name="isolation" time="60.000">
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .. import __version__
from ..properties import CheckReport, PropertyResult, Status
from .describe import numbered_counterexample, plural, result_source
from .known import new_only, suppressed_lines, verdict_note

__all__ = ["render_junit"]

# Characters XML 1.0 cannot carry even escaped; a stray one makes the whole file unreadable.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render_junit(report: CheckReport) -> str:
    """The report as a JUnit XML document (one ``<testsuite>`` named ``netverify check``)."""
    n = report.summary_counts()
    counts = {
        "tests": str(len(report.results)),
        "failures": str(n["violated"]),
        "errors": str(n["unknown"]),
        "skipped": str(n["suppressed"]),
        "time": f"{report.seconds:.3f}",
    }
    suites = ET.Element("testsuites", {"name": "netverify", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": "netverify check", **counts})
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="netverify.version", value=__version__)
    for result in report.results:
        _testcase(suite, result)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _testcase(suite: ET.Element, result: PropertyResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"netverify.{result.property}",
        name=_clean(result.name),
        time=f"{result.seconds:.3f}",
    )
    src = result_source(result)
    if src is not None:
        case.set("file", _clean(src.file))
        if src.line is not None:
            case.set("line", str(src.line))
    if result.suppressed:
        skipped = ET.SubElement(case, "skipped", message=_clean(verdict_note(result)[1:-1]))
        skipped.text = _clean("\n".join(suppressed_lines(result)))
    elif result.status is Status.VIOLATED:
        new = result.new_counterexamples
        first = new[0].summary if new else result.statement
        failure = ET.SubElement(
            case,
            "failure",
            type="violated",
            message=_clean(f"{plural(len(new), 'counterexample')}: {first}"),
        )
        failure.text = _clean(_counterexamples_text(result))
    elif result.status is Status.UNKNOWN:
        reason = result.reason or "the solver could not decide"
        error = ET.SubElement(case, "error", type="unknown", message=_clean(f"unknown: {reason}"))
        error.text = _clean(f"could not decide whether {result.statement}\nreason: {reason}")
    out = [f"{result.status.value}: {result.statement}"] + [
        f"{f.severity}: {f.message}" for f in result.findings
    ]
    ET.SubElement(case, "system-out").text = _clean("\n".join(out))


def _counterexamples_text(result: PropertyResult) -> str:
    blocks = [
        "\n".join(numbered_counterexample(i, cx))
        for i, cx in enumerate(new_only(result).counterexamples, 1)
    ]
    if result.suppressed_counterexamples:
        blocks.append("\n".join(suppressed_lines(result)))
    if result.reason:
        blocks.append(f"also: {result.reason}")
    return "\n\n".join(blocks)
