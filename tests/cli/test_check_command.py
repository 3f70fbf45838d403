"""``netverify check``: exit codes 0/1/2/3, --soft-fail, formats and files.

The property modules are replaced by fakes (tests/check_fakes.py) and cluster
loading by a stub, so these tests pin the command, not the solver or the loader.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET

import pytest

import verifier.cli
from tests.check_fakes import install, install_invariants, missing
from verifier.cli import main
from verifier.errors import InputError, Problem
from verifier.model import Cluster
from verifier.properties import PROPERTY_NAMES, Status

HOLDS, VIOLATED, UNKNOWN = Status.HOLDS, Status.VIOLATED, Status.UNKNOWN


@pytest.fixture
def loaded(monkeypatch) -> list[tuple[str, ...]]:
    """Stub the loader: every ``-f`` loads an empty cluster; returns the paths it was given."""
    seen: list[tuple[str, ...]] = []

    def load_cluster(filenames, **_kw):
        seen.append(tuple(filenames))
        if not filenames:
            raise verifier.cli.click.UsageError(
                "give the cluster state with -f PATH (repeatable), or --live"
            )
        return Cluster()

    monkeypatch.setattr(verifier.cli, "load_cluster", load_cluster)
    return seen


def _all(status: Status = HOLDS, **overrides: Status) -> dict[str, Status]:
    outcomes = {name: status for name in PROPERTY_NAMES}
    outcomes.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return outcomes


def run(*args: str) -> int:
    return main(["check", "-f", "cluster/", *args])


# --------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    ("outcomes", "code"),
    [
        (_all(), 0),
        (_all(isolation=VIOLATED), 1),
        (_all(dns_resolution=UNKNOWN), 3),
        (_all(isolation=VIOLATED, dns_resolution=UNKNOWN), 1),  # a violation outranks an unknown
    ],
)
def test_exit_code_follows_the_worst_verdict(monkeypatch, loaded, capsys, outcomes, code):
    install(monkeypatch, outcomes)
    assert run() == code
    assert loaded == [("cluster/",)]


@pytest.mark.parametrize(
    "outcomes", [_all(isolation=VIOLATED), _all(dns_resolution=UNKNOWN), _all()]
)
def test_soft_fail_exits_0(monkeypatch, loaded, capsys, outcomes):
    install(monkeypatch, outcomes)
    assert run("--soft-fail", "-o", "json") == 0
    # The report still says what happened; only the exit code is softened.
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["exit_code"] == 0
    assert [r["status"] for r in data["results"]] == [s.value for s in outcomes.values()]


@pytest.mark.parametrize(
    "args",
    [
        ["--property", "nope"],
        ["--timeout", "0"],
        ["--max-counterexamples", "0"],
        ["-o", "xml"],
    ],
)
def test_bad_usage_exits_2(monkeypatch, loaded, capsys, args):
    calls = install(monkeypatch, _all())
    assert run(*args, "--soft-fail") == 2
    assert calls == []
    assert "Error" in capsys.readouterr().err


def test_no_input_exits_2(monkeypatch, capsys):
    install(monkeypatch, _all())
    assert main(["check"]) == 2
    assert "give the cluster state with -f PATH" in capsys.readouterr().err


def test_unparseable_manifest_exits_2_even_with_soft_fail(monkeypatch, tmp_path, capsys):
    calls = install(monkeypatch, _all())
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n")
    assert main(["check", "-f", str(bad), "--soft-fail"]) == 2
    assert calls == []
    assert "error" in capsys.readouterr().err


def test_a_property_that_is_not_available_exits_2_only_when_asked_for(monkeypatch, loaded, capsys):
    install(monkeypatch, {"unique-pod-ips": HOLDS})
    missing(monkeypatch, "dual-stack-coverage")
    assert run("--property", "unique-pod-ips") == 0
    capsys.readouterr()
    assert run("--property", "dual-stack-coverage") == 2
    assert "property 'dual-stack-coverage' is not available" in capsys.readouterr().err


# --------------------------------------------------------------------------- options


def test_property_selection_and_limits_reach_the_modules(monkeypatch, loaded, capsys):
    calls = install(monkeypatch, _all())
    args = [
        "--property",
        "isolation",
        "--property",
        "unique-pod-ips",
        "--timeout",
        "2.5",
        "--max-counterexamples",
        "7",
    ]
    assert run(*args) == 0
    assert calls == [
        ("isolation", {"timeout": 2.5, "max_counterexamples": 7}),
        ("unique-pod-ips", {"timeout": 2.5, "max_counterexamples": 7}),
    ]


def test_defaults_check_all_seven_with_60s_and_3_counterexamples(monkeypatch, loaded, capsys):
    calls = install(monkeypatch, _all())
    assert run() == 0
    assert [name for name, _ in calls] == list(PROPERTY_NAMES)
    assert {kw["timeout"] for _, kw in calls} == {60.0} and {
        kw["max_counterexamples"] for _, kw in calls
    } == {3}


def test_invariants_are_loaded_and_checked(monkeypatch, loaded, capsys, tmp_path):
    install(monkeypatch, _all())
    paths: list = []
    checked = install_invariants(
        monkeypatch, {"dev cannot reach prod": VIOLATED, "api reaches db": HOLDS}, path_seen=paths
    )
    assert run("--invariants", "inv.yaml", "-o", "json") == 1
    assert paths == ["inv.yaml"] and checked == ["dev cannot reach prod", "api reaches db"]
    results = json.loads(capsys.readouterr().out)["results"]
    assert [(r["property"], r.get("name"), r["status"]) for r in results[-2:]] == [
        ("invariant", "dev cannot reach prod", "violated"),
        ("invariant", "api reaches db", "holds"),
    ]


def test_a_bad_invariants_file_exits_2(monkeypatch, loaded, capsys):
    calls = install(monkeypatch, _all())
    install_invariants(monkeypatch, {})

    def broken(path):
        raise InputError([Problem("missing required field", file=path, line=1, field="invariants")])

    monkeypatch.setattr(sys.modules["verifier.properties.invariants"], "load_invariants", broken)
    assert run("--invariants", "inv.yaml") == 2
    assert calls == []
    assert "inv.yaml:1: invariants: missing required field" in capsys.readouterr().err


# --------------------------------------------------------------------------- output


def test_text_report_on_stdout_without_colour(monkeypatch, loaded, capsys):
    install(monkeypatch, _all(isolation=VIOLATED, dns_resolution=UNKNOWN))
    assert run() == 1
    out = capsys.readouterr().out
    assert "\x1b[" not in out  # stdout is not a terminal here
    lines = out.splitlines()
    assert lines[2] == "VIOLATED  isolation              0.01s"
    assert "     at policies/prod.yaml:7: NetworkPolicy prod/allow-all ingress[0]" in lines
    assert lines[-1] == "7 properties: 5 hold, 1 violated, 1 unknown (0.0s)"


def test_json_to_stdout(monkeypatch, loaded, capsys):
    install(monkeypatch, _all(dns_resolution=UNKNOWN))
    assert run("-o", "json") == 3
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {
        **data["summary"],
        "holds": 6,
        "violated": 0,
        "unknown": 1,
        "exit_code": 3,
    }
    assert [r["property"] for r in data["results"]] == list(PROPERTY_NAMES)


def test_junit_to_stdout(monkeypatch, loaded, capsys):
    install(monkeypatch, _all(isolation=VIOLATED))
    assert run("-o", "junit") == 1
    root = ET.fromstring(capsys.readouterr().out.encode())
    assert root.get("failures") == "1" and len(list(root.iter("testcase"))) == 7


def test_github_to_stdout(monkeypatch, loaded, capsys):
    install(monkeypatch, _all(isolation=VIOLATED))
    assert run("-o", "github") == 1
    out = capsys.readouterr().out.splitlines()
    assert (
        "::error file=policies/prod.yaml,line=7,title=netverify isolation::isolation is broken%0Aat policies/prod.yaml:7: NetworkPolicy prod/allow-all ingress[0]"
        in out
    )
    assert (
        out[-1]
        == "::notice title=netverify check::7 properties: 6 hold, 1 violated, 0 unknown (0.0s)"
    )


def test_output_file_gets_the_format_and_stdout_the_text(monkeypatch, loaded, capsys, tmp_path):
    install(monkeypatch, _all(isolation=VIOLATED))
    target = tmp_path / "netverify.sarif"
    assert run("-o", "sarif", "--output-file", str(target)) == 1
    log = json.loads(target.read_text())
    run_ = log["runs"][0]
    assert run_["invocations"] == [{"executionSuccessful": True, "exitCode": 1}]
    (result,) = run_["results"]
    assert result["ruleId"] == "netverify/isolation"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "policies/prod.yaml"
    }
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "7 properties: 6 hold, 1 violated, 0 unknown (0.0s)"
    assert "\x1b[" not in target.read_text()


def test_sarif_pins_unlocated_results_to_the_first_input(monkeypatch, loaded, capsys):
    install(monkeypatch, _all(dns_resolution=UNKNOWN))
    assert main(["check", "-f", "manifests/a.yaml", "-f", "manifests/b.yaml", "-o", "sarif"]) == 3
    (result,) = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert result["level"] == "warning"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "manifests/a.yaml"},
        "region": {"startLine": 1},
    }


def test_unwritable_output_file_exits_2(monkeypatch, loaded, capsys, tmp_path):
    install(monkeypatch, _all())
    assert run("-o", "json", "--output-file", str(tmp_path / "missing-dir" / "x.json")) == 2
    assert "cannot write" in capsys.readouterr().err


# --------------------------------------------------------------------------- progress


class _Terminal:
    """A stderr that says it is a terminal and keeps what the progress bar writes."""

    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_progress_bar_only_on_a_terminal(monkeypatch):
    from verifier.cli import _check_progress
    from verifier.properties import PropertyResult

    with _check_progress(2) as progress:
        assert progress is None  # pytest's stderr is no terminal
    tty = _Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    with _check_progress(2) as progress:
        progress("isolation", None)
        progress("isolation", PropertyResult("isolation", "isolation", Status.HOLDS, "s"))
        progress("dns-resolution", None)  # the bar redraws when the next check starts
    assert "0/2    0%  isolation" in tty.text and "1/2   50%  isolation" in tty.text
    assert "1/2   50%  dns-resolution" in tty.text  # the bar redrawn with the next check's name


def test_matrix_progress_bar_only_on_a_terminal_for_big_clusters(monkeypatch):
    from verifier.cli import _advance, _progress

    with _progress(600, "matrix") as bar:
        assert bar is None  # pytest's stderr is no terminal
    tty = _Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    with _progress(10, "matrix") as bar:
        assert bar is None  # small clusters: no bar
    with _progress(600, "matrix") as bar:
        _advance(bar, 3)  # the class count is learnt as the matrix goes
        _advance(bar, 3)
    assert tty.text.startswith("\r") and "matrix" in tty.text and "2/3" in tty.text


def test_a_search_cut_at_its_limit_says_how_many_more_exist(capsys):
    """Four dual-stack counterexamples (a pod, a node, two Services): cut at 1 or 3, the report
    counts the rest (issue 11); cut at exactly 4, nothing is left to say."""
    from tests.cli.support import netverify
    from tests.properties.support import FIXTURES

    args = (
        "check",
        "-f",
        str(FIXTURES / "dual-stack/violated-single-stack-node.yaml"),
        "--property",
        "dual-stack-coverage",
    )

    def stopped(limit: str) -> list[str]:
        run = netverify(capsys, *args, "--max-counterexamples", limit)
        assert run.code == 1
        return [x for x in run.out.splitlines() if "search stopped" in x]

    assert stopped("1") == [
        "  the search stopped at 1 counterexample; 3 more exist (--max-counterexamples 4 "
        "shows every one)"
    ]
    assert stopped("3") == [
        "  the search stopped at 3 counterexamples; 1 more exists (--max-counterexamples 4 "
        "shows every one)"
    ]
    assert stopped("4") == []
    data = json.loads(netverify(capsys, *args, "--max-counterexamples", "1", "-o", "json").out)
    (entry,) = data["results"]
    assert (entry["truncated"], entry["more_counterexamples"]) == (
        True,
        {"count": 3, "exact": True},
    )
