"""``netverify check`` with known findings: annotations, ``--baseline``, and every output format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from jsonschema import Draft4Validator

from tests.cli.support import netverify
from tests.properties.support import FIXTURES, REPO

SCHEMA = REPO / "tests" / "report" / "sarif-schema-2.1.0.json"
ANNOTATED = str(FIXTURES / "suppression" / "annotated.yaml")
OTHER = str(FIXTURES / "suppression" / "other-property.yaml")
BASE = str(FIXTURES / "suppression" / "base.yaml")
NEW = str(FIXTURES / "suppression" / "new.yaml")
SR = ("--property", "service-resolution")


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    return Draft4Validator(json.loads(SCHEMA.read_text("utf-8")))


def _valid(validator: Draft4Validator, log: dict) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)
    ]
    assert errors == []


def _verdict(run) -> str:
    """The verdict line of service-resolution (an 'inferred' header may come first)."""
    (line,) = [line for line in run.lines if line.startswith("VIOLATED  service-resolution  ")][:1]
    return line


def _counterexamples(data: dict) -> list[dict]:
    return [c for r in data["results"] for c in r["counterexamples"]]


def test_an_annotated_service_passes_and_says_what_was_suppressed(capsys):
    run = netverify(capsys, "check", "-f", ANNOTATED, *SR)
    assert run.code == 0
    verdict = _verdict(run)
    assert verdict.startswith("VIOLATED  service-resolution  ")
    assert verdict.endswith("s  (suppressed: 1 known counterexample, 1 by annotation; nothing new)")
    assert "suppressed by annotation on Service shop/metrics: scraped only in production" in run.out
    assert run.lines[-1].startswith("1 property: 0 hold, 0 violated, 1 suppressed, 0 unknown (")
    assert run.lines[-1].endswith("); 1 counterexample suppressed (1 by annotation)")


def test_an_annotated_service_in_json(capsys):
    run = netverify(capsys, "check", "-f", ANNOTATED, *SR, "-o", "json")
    assert run.code == 0
    (cx,) = _counterexamples(run.json)
    assert cx["suppressed"] == "annotation"
    assert cx["suppression"] == {
        "object": "Service shop/metrics",
        "reason": "scraped only in production",
    }
    assert len(cx["fingerprint"]) == 32
    assert run.json["results"][0]["status"] == "violated"
    summary = run.json["summary"]
    assert (summary["violated"], summary["suppressed"], summary["exit_code"]) == (0, 1, 0)
    assert summary["suppressed_counterexamples"] == {"annotation": 1, "baseline": 0}


def test_an_annotation_naming_another_property_fails(capsys):
    run = netverify(capsys, "check", "-f", OTHER, *SR, "-o", "json")
    assert run.code == 1
    (cx,) = _counterexamples(run.json)
    assert cx["suppressed"] is None and cx["suppression"] is None
    assert run.json["summary"]["violated"] == 1


def test_sarif_suppressions_are_in_source_and_schema_valid(capsys, validator):
    run = netverify(capsys, "check", "-f", ANNOTATED, *SR, "-o", "sarif")
    assert run.code == 0
    log = run.json
    _valid(validator, log)
    (result,) = log["runs"][0]["results"]
    assert result["suppressions"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "Service shop/metrics: scraped only in production",
        }
    ]
    assert "baselineState" not in result


def test_junit_skips_a_suppressed_property_with_the_reason(capsys):
    run = netverify(capsys, "check", "-f", ANNOTATED, *SR, "-o", "junit")
    assert run.code == 0
    suite = ET.fromstring(run.out).find("testsuite")
    assert (suite.get("failures"), suite.get("skipped")) == ("0", "1")
    skipped = suite.find("testcase").find("skipped")
    assert (
        skipped.get("message") == "suppressed: 1 known counterexample, 1 by annotation; nothing new"
    )
    assert "scraped only in production" in skipped.text
    assert suite.find("testcase").find("failure") is None


def test_github_annotates_no_suppressed_counterexample(capsys):
    run = netverify(capsys, "check", "-f", ANNOTATED, *SR, "-o", "github")
    assert run.code == 0
    assert not [line for line in run.lines if line.startswith("::error")]


def _baseline(capsys, tmp_path, *files: str) -> str:
    path = tmp_path / "baseline.json"
    args = [a for f in files for a in ("-f", f)]
    run = netverify(capsys, "check", *args, *SR, "-o", "json", "--output-file", str(path))
    assert run.code == 1
    return str(path)


def test_a_baseline_of_the_same_input_passes_with_every_counterexample_baselined(
    capsys, tmp_path, validator
):
    baseline = _baseline(capsys, tmp_path, BASE)
    run = netverify(capsys, "check", "-f", BASE, *SR, "--baseline", baseline, "-o", "json")
    assert run.code == 0
    cxs = _counterexamples(run.json)
    assert cxs and {c["suppressed"] for c in cxs} == {"baseline"}
    assert cxs[0]["suppression"] == {"object": None, "reason": f"in the baseline {baseline}"}
    assert run.json["summary"]["baseline"] == baseline
    sarif = netverify(capsys, "check", "-f", BASE, *SR, "--baseline", baseline, "-o", "sarif")
    assert sarif.code == 0
    _valid(validator, sarif.json)
    (result,) = sarif.json["runs"][0]["results"]
    assert result["suppressions"][0]["kind"] == "external"
    assert result["baselineState"] == "unchanged"


def test_a_new_violation_fails_and_is_the_only_one_named(capsys, tmp_path):
    baseline = _baseline(capsys, tmp_path, BASE)
    run = netverify(capsys, "check", "-f", BASE, "-f", NEW, *SR, "--baseline", baseline)
    assert run.code == 1
    assert _verdict(run).endswith("s  (1 new; 1 suppressed: 1 by baseline)")
    numbered = [line.strip() for line in run.lines if line.startswith("  1. ")]
    assert len(numbered) == 1 and numbered[0].startswith("1. Service shop/search port 9200/TCP")
    data = netverify(
        capsys, "check", "-f", BASE, "-f", NEW, *SR, "--baseline", baseline, "-o", "json"
    ).json
    new = [c["summary"].split(" (")[0] for c in _counterexamples(data) if c["suppressed"] is None]
    assert new == ["Service shop/search port 9200/TCP"]
    sarif = netverify(
        capsys, "check", "-f", BASE, "-f", NEW, *SR, "--baseline", baseline, "-o", "sarif"
    )
    states = sorted(r["baselineState"] for r in sarif.json["runs"][0]["results"])
    assert states == ["new", "unchanged"]


def test_a_bad_baseline_exits_2_naming_the_file(capsys, tmp_path):
    bad = tmp_path / "old.json"
    bad.write_text('{"results": "no"}')
    run = netverify(capsys, "check", "-f", BASE, "--baseline", str(bad))
    assert run.code == 2
    assert f"{bad}: not a netverify check report: 'results' is missing or not a list" in run.err
    assert "Traceback" not in run.err
    report = netverify(capsys, "check", "-f", BASE, "--baseline", str(bad), "-o", "json")
    assert report.code == 2 and report.json["error"]["problems"][0]["file"] == str(bad)
