"""``netverify check -o junit``: parsed back with xml.etree, element by element."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.report.check_samples import (
    INVARIANTS_FILE,
    POLICY_FILE,
    real_trace,
    result,
    sample_report,
    violation,
)
from verifier import __version__
from verifier.properties import CheckReport, Status
from verifier.report.junit import render_junit
from verifier.report.text import format_trace


def _parse(report: CheckReport) -> ET.Element:
    text = render_junit(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode())


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name"): c for c in root.iter("testcase")}


def test_suite_counts():
    root = _parse(sample_report())
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    for el in (root, suite):
        assert {k: el.get(k) for k in ("tests", "failures", "errors", "skipped", "time")} == {
            "tests": "5",
            "failures": "2",
            "errors": "1",
            "skipped": "0",
            "time": "61.900",
        }
    assert suite.get("name") == "netverify check"
    assert suite.find("properties/property").attrib == {
        "name": "netverify.version",
        "value": __version__,
    }


def test_one_testcase_per_property_and_invariant():
    cases = list(_parse(sample_report()).iter("testcase"))
    assert [(c.get("classname"), c.get("name"), c.get("time")) for c in cases] == [
        ("netverify.unique-pod-ips", "unique-pod-ips", "0.120"),
        ("netverify.isolation", "isolation", "1.300"),
        ("netverify.dns-resolution", "dns-resolution", "60.000"),
        ("netverify.invariant", "dev cannot reach payments", "0.400"),
        ("netverify.invariant", "frontend reaches the cart", "0.050"),
    ]


def test_violation_is_a_failure_with_counterexamples_and_traces():
    case = _cases(_parse(sample_report()))["isolation"]
    assert (case.get("file"), case.get("line")) == (POLICY_FILE, "12")
    (failure,) = case.findall("failure")
    assert case.find("error") is None and case.find("skipped") is None
    assert failure.get("type") == "violated"
    assert (
        failure.get("message") == "1 counterexample: dev/toolbox reaches payments/db-0 on 5432/TCP"
    )
    lines = failure.text.splitlines()
    assert lines[:3] == [
        "1. dev/toolbox reaches payments/db-0 on 5432/TCP",
        f"   at {POLICY_FILE}:12: NetworkPolicy payments/allow-vpn-to-db ingress[0]",
        "   also: Pod dev/toolbox (base/dev.yaml:40)",
    ]
    assert lines[-len(format_trace(real_trace()).splitlines()) :] == [
        "   " + x for x in format_trace(real_trace()).splitlines()
    ]
    assert case.find("system-out").text == "violated: isolation statement"


def test_unknown_is_an_error_not_a_skip():
    case = _cases(_parse(sample_report()))["dns-resolution"]
    (error,) = case.findall("error")
    assert case.find("failure") is None and case.find("skipped") is None
    assert error.attrib == {"type": "unknown", "message": "unknown: IPv4: solver timeout after 60s"}
    assert (
        error.text
        == "could not decide whether dns-resolution statement\nreason: IPv4: solver timeout after 60s"
    )
    # No counterexample and no invariant: nothing to point at.
    assert case.get("file") is None and case.get("line") is None


def test_holding_cases_have_no_outcome_element_and_report_findings():
    cases = _cases(_parse(sample_report()))
    ips = cases["unique-pod-ips"]
    assert [child.tag for child in ips] == ["system-out"]
    assert ips.find("system-out").text == (
        "holds: unique-pod-ips statement\nnote: payments/db-0 has 10.244.0.5, outside every pod CIDR"
    )


def test_invariants_point_at_their_counterexample_or_at_themselves():
    cases = _cases(_parse(sample_report()))
    violated = cases["dev cannot reach payments"]
    assert (violated.get("file"), violated.get("line")) == (POLICY_FILE, "12")
    holding = cases["frontend reaches the cart"]
    assert (holding.get("file"), holding.get("line")) == (INVARIANTS_FILE, "14")


def test_several_counterexamples_are_numbered_in_one_failure():
    report = CheckReport(
        (
            result(
                "isolation",
                Status.VIOLATED,
                counterexamples=(violation("first"), violation("second", line=20)),
            ),
        )
    )
    failure = _cases(_parse(report))["isolation"].find("failure")
    assert failure.get("message") == "2 counterexamples: first"
    assert "1. first" in failure.text.splitlines() and "2. second" in failure.text.splitlines()
    assert (
        f"   at {POLICY_FILE}:20: NetworkPolicy payments/allow-vpn-to-db ingress[0]"
        in failure.text.splitlines()
    )


def test_text_xml_cannot_carry_is_replaced_so_the_file_still_parses():
    report = CheckReport(
        (
            result(
                "invariant",
                Status.VIOLATED,
                name="bell\x07 <&>",
                counterexamples=(violation("nul\x00 ]]> here"),),
            ),
        )
    )
    case = _cases(_parse(report))["bell\ufffd <&>"]
    assert case.find("failure").text.startswith("1. nul\ufffd ]]> here")
