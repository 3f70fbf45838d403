"""``netverify check -o json``: the documented keys, and nothing computed twice."""

from __future__ import annotations

import json

from tests.report.check_samples import INVARIANTS_FILE, POLICY_FILE, result, sample_report
from verifier.properties import CheckReport, Status
from verifier.report.describe import Invocation
from verifier.report.json import render_json, report_dict

PROPERTY_KEYS = {
    "property",
    "status",
    "seconds",
    "statement",
    "counterexamples",
    "truncated",
    "more_counterexamples",
    "reason",
    "findings",
}
#: Counted apart from "violated": results whose every counterexample is suppressed.
NO_SUPPRESSION = {
    "suppressed": 0,
    "suppressed_counterexamples": {"annotation": 0, "baseline": 0},
    "baseline": None,
}


def test_top_level_and_summary_keys():
    data = json.loads(render_json(sample_report(), Invocation(exit_code=1)))
    assert set(data) == {"inferred", "results", "summary"}
    assert data["summary"] == {
        "holds": 2,
        "violated": 2,
        "unknown": 1,
        "seconds": 61.9,
        "exit_code": 1,
        **NO_SUPPRESSION,
    }


def test_one_entry_per_property_and_invariant_in_order():
    results = json.loads(render_json(sample_report()))["results"]
    assert [(r["property"], r.get("name"), r["status"]) for r in results] == [
        ("unique-pod-ips", None, "holds"),
        ("isolation", None, "violated"),
        ("dns-resolution", None, "unknown"),
        ("invariant", "dev cannot reach payments", "violated"),
        ("invariant", "frontend reaches the cart", "holds"),
    ]
    assert set(results[0]) == PROPERTY_KEYS
    # A user invariant is "property": "invariant" plus its own name.
    assert set(results[3]) == PROPERTY_KEYS | {"name"}
    assert results[2]["reason"] == "IPv4: solver timeout after 60s"
    assert results[1]["seconds"] == 1.3


def test_counterexamples_carry_location_packet_and_trace():
    isolation = json.loads(render_json(sample_report()))["results"][1]
    (cx,) = isolation["counterexamples"]
    assert cx["summary"] == "dev/toolbox reaches payments/db-0 on 5432/TCP"
    assert cx["objects"][0] == {
        "kind": "NetworkPolicy",
        "namespace": "payments",
        "name": "allow-vpn-to-db",
        "part": "ingress[0]",
        "file": POLICY_FILE,
        "line": 12,
    }
    assert cx["packet"] == {
        "family": 4,
        "src_ip": "10.244.0.6",
        "dst_ip": "10.244.0.5",
        "dst_port": 5432,
        "protocol": "TCP",
    }
    assert cx["allocation"] == {"dev/stripe-mock": "10.244.1.9"}
    (trace,) = cx["traces"]
    assert trace["verdict"] == "ALLOWED" and [h["step"] for h in trace["trace"]][-1] == "deliver"


def test_results_are_exactly_property_result_to_dict():
    # One source of truth: the CLI's JSON is the notebook API's to_dict.
    report = sample_report()
    data = report_dict(report, Invocation(exit_code=3))
    assert data["results"] == [r.to_dict() for r in report.results]
    assert data == {**report.to_dict(), "summary": {**report.to_dict()["summary"], "exit_code": 3}}
    assert json.loads(render_json(report, Invocation(exit_code=3))) == json.loads(json.dumps(data))


def test_exit_code_is_null_without_an_invocation():
    data = json.loads(render_json(CheckReport((result("isolation", Status.HOLDS),), 0.5)))
    assert data["summary"] == {
        "holds": 1,
        "violated": 0,
        "unknown": 0,
        "seconds": 0.5,
        "exit_code": None,
        **NO_SUPPRESSION,
    }


def test_invariant_source_is_not_leaked_as_an_object():
    # The invariant's file is for annotations; the JSON result stays PropertyResult.to_dict.
    inv = json.loads(render_json(sample_report()))["results"][4]
    assert INVARIANTS_FILE not in json.dumps(inv)


def test_indented_json_is_the_standard_librarys_text():
    """``dumps`` encodes in C what ``json.dumps(indent=2, default=str)`` writes: the same text
    for the report and the matrix, values without a JSON type as ``str()``, big integers too."""
    import datetime
    import ipaddress

    from tests.properties.support import load_demo
    from verifier.matrix import matrix
    from verifier.report.json import dumps

    documents = [
        report_dict(sample_report(), Invocation(exit_code=1)),
        matrix(load_demo()).to_dict(),
        {
            "ip": ipaddress.ip_address("2001:db8::1"),
            "when": datetime.datetime(2026, 12, 7, 12, 0),
            "big": 2**100,
            7: "int key",
        },
    ]
    for data in documents:
        assert dumps(data) == json.dumps(data, indent=2, default=str)
    # Text outside ASCII stays readable (the standard library would escape it): same value.
    named = {"pod": "café/ü"}
    assert dumps(named) == '{\n  "pod": "café/ü"\n}'
    assert json.loads(dumps(named)) == named
