"""CLI conventions for real repositories and CI: skipped files, --strict, nothing to verify,
-n, --to HOST:PORT, -o yaml, and reports written even when the input does not load.

``fixtures/tests/repository`` is an application repository (a Helm chart, a
kustomization, docs, a JSON config) whose manifests name no namespace: a
frontend Deployment, a web Deployment (2 replicas, port ``http`` 8080), a
Service ``web`` (80 -> http) and a NetworkPolicy letting only the frontend in.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft4Validator

from tests.cli.support import DEMO, netverify
from tests.properties.support import REPO

REPOSITORY = str(REPO / "fixtures" / "tests" / "repository")
MANIFESTS = REPO / "fixtures" / "tests" / "repository" / "manifests"
SCHEMA = REPO / "tests" / "report" / "sarif-schema-2.1.0.json"


@pytest.fixture
def stdin(monkeypatch):
    """Set what the command reads from ``-f -``."""

    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return feed


@pytest.fixture
def policies_only(tmp_path) -> str:
    shutil.copy(MANIFESTS / "networkpolicy.yaml", tmp_path)
    return str(tmp_path)


# --------------------------------------------------------------------------- a repository


def test_check_on_a_repository_runs_and_counts_the_skipped_files(capsys):
    run = netverify(capsys, "check", "-f", REPOSITORY)
    assert run.code == 0
    assert run.lines[-1].startswith("7 properties: 7 hold, 0 violated, 0 unknown (")
    assert run.err == (
        "netverify: 5 warning(s) while loading, 5 of them file(s) skipped (-v to list them)\n"
    )


def test_check_lists_the_skipped_files_with_v(capsys):
    run = netverify(capsys, "check", "-f", REPOSITORY, "-v")
    skipped = [line.split(": warning: ")[0] for line in run.err.splitlines() if "skipped" in line]
    assert [str(Path(f).relative_to(REPOSITORY)) for f in skipped] == [
        "charts/app/Chart.yaml",
        "charts/app/templates/deployment.yaml",
        "charts/app/values.yaml",
        "config.json",
        "kustomization.yaml:1",
    ]


@pytest.mark.parametrize(
    "command",
    [
        ("check",),
        ("matrix",),
        ("reach", "--from", "frontend", "--to", "web:80"),
        ("dns", "--from", "frontend", "web"),
    ],
)
def test_strict_makes_skipped_files_exit_2(capsys, command):
    run = netverify(capsys, *command, "-f", REPOSITORY, "--strict")
    assert (run.code, run.out) == (2, "")
    lines = run.err.splitlines()
    assert lines[0] == "netverify: the cluster state has 5 error(s):"
    assert sum("not a Kubernetes manifest (--strict)" in line for line in lines) == 5


def test_strict_on_diff(capsys, tmp_path):
    shutil.copytree(MANIFESTS, tmp_path / "new")
    run = netverify(capsys, "diff", "--old", REPOSITORY, "--new", str(tmp_path / "new"), "--strict")
    assert run.code == 2
    assert "netverify: the cluster state has 5 error(s):" in run.err


# --------------------------------------------------------------------------- nothing to verify


NOTHING_ON_STDIN = (
    "  <input>: nothing to verify: the input holds no Kubernetes objects "
    "(stdin was empty: did the command before the pipe fail?)"
)


@pytest.mark.parametrize(
    "command",
    [
        ("check",),
        ("matrix",),
        ("reach", "--from", "a", "--to", "b:80"),
        ("dns", "--from", "a", "web"),
    ],
)
def test_empty_stdin_is_nothing_to_verify(capsys, stdin, command):
    stdin("")
    run = netverify(capsys, *command, "-f", "-")
    assert (run.code, run.out) == (2, "")
    assert run.err.splitlines() == [
        "netverify: the cluster state has 1 error(s):",
        NOTHING_ON_STDIN,
    ]


@pytest.mark.parametrize("side", ["old", "new"])
def test_diff_with_either_side_empty_is_nothing_to_verify(capsys, stdin, side):
    stdin("")
    paths = {"old": REPOSITORY, "new": REPOSITORY, side: "-"}
    run = netverify(capsys, "diff", "--old", paths["old"], "--new", paths["new"])
    assert (run.code, run.out) == (2, "")
    assert NOTHING_ON_STDIN in run.err.splitlines()


def test_a_folder_of_policies_is_nothing_to_verify(capsys, policies_only):
    run = netverify(capsys, "check", "-f", policies_only)
    assert (run.code, run.out) == (2, "")
    assert run.err.splitlines()[-1] == (
        "  <input>: nothing to verify: the input has no pods, and no workloads that make one "
        "(Deployment, StatefulSet, DaemonSet, ...); it holds NetworkPolicy x1"
    )


# --------------------------------------------------------------------------- -n


def test_namespace_places_namespaceless_objects_and_names_bare_pods(capsys):
    run = netverify(
        capsys, "reach", "-f", REPOSITORY, "-n", "shop", "--from", "frontend", "--to", "web-0:8080"
    )
    assert run.code == 0
    assert run.lines[0] == "ALLOWED  shop/frontend-0 -> shop/web-0:8080/TCP"
    assert "  note: shop/frontend is a workload: using its pod shop/frontend-0" in run.lines


def test_without_namespace_bare_names_are_in_default(capsys):
    run = netverify(capsys, "reach", "-f", REPOSITORY, "--from", "frontend", "--to", "web-1:8080")
    assert run.lines[0] == "ALLOWED  default/frontend-0 -> default/web-1:8080/TCP"


def test_a_bare_destination_that_is_no_pod_is_a_dns_name(capsys):
    run = netverify(
        capsys, "reach", "-f", REPOSITORY, "-n", "shop", "--from", "frontend", "--to", "web:80"
    )
    assert run.code == 0
    assert run.lines[0] == "ALLOWED  shop/frontend-0 -> web:80/TCP  (2/2 backends reachable)"
    assert run.lines[2].startswith("  2. resolve  resolved: web A -> ")
    assert run.lines[2].endswith(" via web.shop.svc.cluster.local.")


def test_namespace_is_the_client_namespace_of_dns(capsys):
    run = netverify(capsys, "dns", "-f", REPOSITORY, "-n", "shop", "--from", "frontend", "web")
    assert run.code == 0
    assert run.lines[0] == "NOERROR  web A  (answered by web.shop.svc.cluster.local.)"


def test_one_namespace_on_matrix_filters_and_places(capsys):
    run = netverify(capsys, "matrix", "-f", REPOSITORY, "-n", "shop", "-o", "json")
    assert run.code == 0
    assert run.json["pods"] == ["shop/frontend-0", "shop/web-0", "shop/web-1"]


def test_a_namespace_must_be_a_dns_label(capsys):
    run = netverify(capsys, "check", "-f", REPOSITORY, "-n", "Shop_1")
    assert run.code == 2
    assert "Invalid value for '-n' / '--namespace': 'Shop_1': " in run.err


# --------------------------------------------------------------------------- --to HOST:PORT


def test_to_host_port_is_to_host_with_port(capsys):
    both = netverify(capsys, "reach", "-f", REPOSITORY, "--from", "frontend", "--to", "web:80")
    apart = netverify(
        capsys, "reach", "-f", REPOSITORY, "--from", "frontend", "--to", "web", "--port", "80"
    )
    assert both.code == apart.code == 0
    assert both.out == apart.out


def test_to_ipv4_and_port(capsys):
    data = netverify(
        capsys, "reach", "-f", REPOSITORY, "--from", "frontend", "--to", "web-0:8080", "-o", "json"
    ).json
    pod_ip = data["backends"][0]["ip"]
    run = netverify(
        capsys, "reach", "-f", REPOSITORY, "--from", "frontend", "--to", f"{pod_ip}:8080"
    )
    assert run.code == 0
    assert run.lines[0] == f"ALLOWED  default/frontend-0 -> {pod_ip}:8080/TCP"


def test_to_ipv6_and_port_prints_brackets(capsys):
    data = netverify(
        capsys,
        "reach",
        "-f",
        DEMO,
        "--from",
        "shop/frontend-0",
        "--to",
        "shop/cartservice-0:7070",
        "--family",
        "6",
        "-o",
        "json",
    ).json
    v6 = data["backends"][0]["ip"]
    assert ":" in v6
    run = netverify(
        capsys, "reach", "-f", DEMO, "--from", "shop/frontend-0", "--to", f"[{v6}]:7070"
    )
    assert run.code == 0
    assert run.lines[0] == f"ALLOWED  shop/frontend-0 -> [{v6}]:7070/TCP"
    # Every address with a port in the trace is bracketed; a bare address stays bare.
    assert f"delivered to shop/cartservice-0 [{v6}]:7070/TCP" in run.out
    assert f"{v6}:7070" not in run.out.replace(f"[{v6}]:7070", "")
    # A bare IPv6 address is an address, not HOST:PORT.
    bare = netverify(
        capsys, "reach", "-f", DEMO, "--from", "shop/frontend-0", "--to", v6, "--port", "7070"
    )
    assert bare.lines[0] == run.lines[0]


@pytest.mark.parametrize(
    ("target", "extra", "message"),
    [
        ("web:80", ("--port", "8080"), "Error: --to web:80 names port 80 and --port says 8080"),
        ("[web]:80", (), "netverify: error: '[web]:80': only an IPv6 address goes in brackets"),
        ("[fd00::1", (), "netverify: error: '[fd00::1' is not [IPv6 address]:PORT"),
        ("web:", (), "netverify: error: 'web:' is not HOST:PORT"),
    ],
)
def test_to_host_port_mistakes_exit_2(capsys, target, extra, message):
    run = netverify(capsys, "reach", "-f", REPOSITORY, "--from", "frontend", "--to", target, *extra)
    assert (run.code, run.out) == (2, "")
    assert message in run.err


def test_the_same_port_twice_is_no_conflict(capsys):
    run = netverify(
        capsys, "reach", "-f", REPOSITORY, "--from", "frontend", "--to", "web:80", "--port", "80"
    )
    assert run.code == 0


def test_text_output_never_shows_none(capsys):
    # No port given and none to default to: the port is unknown, not "None".
    run = netverify(capsys, "reach", "-f", REPOSITORY, "--from", "web-0", "--to", "frontend-0")
    assert "None" not in run.out
    run = netverify(
        capsys, "reach", "-f", REPOSITORY, "--from", "frontend", "--to", "203.0.113.9", "-o", "wide"
    )
    assert "None" not in run.out


# --------------------------------------------------------------------------- -o yaml


def _same_data(capsys, *args: str) -> None:
    as_json = netverify(capsys, *args, "-o", "json")
    as_yaml = netverify(capsys, *args, "-o", "yaml")
    assert as_json.code == as_yaml.code
    assert yaml.safe_load(as_yaml.out) == as_json.json


def _drop_seconds(data):
    """Solver times differ from run to run; everything else must not."""
    if isinstance(data, dict):
        return {k: _drop_seconds(v) for k, v in data.items() if k != "seconds"}
    if isinstance(data, list):
        return [_drop_seconds(v) for v in data]
    return data


@pytest.mark.parametrize(
    "args",
    [
        ("reach", "-f", REPOSITORY, "--from", "frontend", "--to", "web:80"),
        ("dns", "-f", REPOSITORY, "--from", "frontend", "web"),
        ("matrix", "-f", REPOSITORY),
    ],
)
def test_yaml_is_the_json_data(capsys, args):
    _same_data(capsys, *args)


def test_yaml_is_the_json_data_for_check(capsys):
    as_json = netverify(capsys, "check", "-f", REPOSITORY, "-o", "json")
    as_yaml = netverify(capsys, "check", "-f", REPOSITORY, "-o", "yaml")
    assert as_json.code == as_yaml.code == 0
    assert _drop_seconds(yaml.safe_load(as_yaml.out)) == _drop_seconds(as_json.json)


def test_yaml_is_the_json_data_for_diff(tmp_path):
    # In a process of its own: a diff run after a reach on the same manifests in one
    # process trips a SoundnessError (a caching problem reported separately).
    new = str(_without_policy(tmp_path))
    runs = [
        subprocess.run(
            [
                sys.executable,
                "-m",
                "verifier.cli",
                "diff",
                "--old",
                REPOSITORY,
                "--new",
                new,
                "-o",
                fmt,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        for fmt in ("json", "yaml")
    ]
    assert [r.returncode for r in runs] == [1, 1]
    as_json, as_yaml = json.loads(runs[0].stdout), yaml.safe_load(runs[1].stdout)
    assert as_json["newly_allowed"]
    assert _drop_seconds(as_yaml) == _drop_seconds(as_json)


def _without_policy(tmp_path) -> Path:
    new = tmp_path / "new"
    shutil.copytree(MANIFESTS, new)
    (new / "networkpolicy.yaml").unlink()
    return new


# --------------------------------------------------------------------------- reports on bad input


@pytest.fixture
def broken(tmp_path) -> str:
    """The repository's manifests plus a NetworkPolicy with a YAML error at line 4."""
    shutil.copytree(MANIFESTS, tmp_path / "k8s")
    (tmp_path / "k8s" / "deny.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: [deny\n"
    )
    return str(tmp_path / "k8s")


def _check_to_file(capsys, tmp_path, source: str, fmt: str, *extra: str):
    target = tmp_path / f"report.{fmt}"
    run = netverify(capsys, "check", "-f", source, "-o", fmt, "--output-file", str(target), *extra)
    assert run.code == 2
    assert "netverify: the cluster state has 1 error(s):\n" in run.err
    return target.read_text("utf-8")


def test_sarif_file_on_bad_input_is_valid_and_names_the_line(capsys, tmp_path, broken):
    log = json.loads(_check_to_file(capsys, tmp_path, broken, "sarif", "--soft-fail"))
    schema = json.loads(SCHEMA.read_text("utf-8"))
    assert [e.message for e in Draft4Validator(schema).iter_errors(log)] == []
    (run,) = log["runs"]
    (invocation,) = run["invocations"]
    assert (invocation["executionSuccessful"], invocation["exitCode"]) == (False, 2)
    (notification,) = invocation["toolExecutionNotifications"]
    (result,) = run["results"]
    for item in (notification, result):
        assert item["level"] == "error"
        physical = item["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == f"file://{broken}/deny.yaml"
        assert physical["region"]["startLine"] == 5
    assert result["ruleId"] == "netverify/input"
    assert result["message"]["text"].startswith("invalid YAML: ")


def test_sarif_file_on_an_empty_stdin(capsys, tmp_path, stdin):
    stdin("")
    log = json.loads(_check_to_file(capsys, tmp_path, "-", "sarif"))
    schema = json.loads(SCHEMA.read_text("utf-8"))
    assert [e.message for e in Draft4Validator(schema).iter_errors(log)] == []
    (result,) = log["runs"][0]["results"]
    assert result["locations"] == []
    assert result["message"]["text"] == NOTHING_ON_STDIN.strip()


def test_junit_file_on_bad_input_has_one_errored_testcase(capsys, tmp_path, broken):
    root = ET.fromstring(_check_to_file(capsys, tmp_path, broken, "junit").encode())
    assert (root.get("tests"), root.get("errors"), root.get("failures")) == ("1", "1", "0")
    (case,) = root.iter("testcase")
    assert (case.get("classname"), case.get("name")) == (
        "netverify.input",
        "the cluster state loads",
    )
    assert (case.get("file"), case.get("line")) == (f"{broken}/deny.yaml", "5")
    (error,) = case.findall("error")
    assert error.get("message") == "the cluster state has 1 error(s): nothing was checked"
    assert error.text.startswith(f"{broken}/deny.yaml:5:")


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_json_and_yaml_files_on_bad_input_hold_an_error_object(capsys, tmp_path, broken, fmt):
    data = yaml.safe_load(_check_to_file(capsys, tmp_path, broken, fmt))
    assert data["results"] == [] and data["summary"] == {"exit_code": 2}
    error = data["error"]
    assert (error["type"], error["message"]) == (
        "input",
        "the cluster state has 1 error(s): nothing was checked",
    )
    (problem,) = error["problems"]
    assert (problem["file"], problem["line"], problem["severity"]) == (
        f"{broken}/deny.yaml",
        5,
        "error",
    )


def test_a_machine_format_on_stdout_gets_the_error_report_too(capsys, broken):
    run = netverify(capsys, "check", "-f", broken, "-o", "json")
    assert run.code == 2
    assert run.json["error"]["type"] == "input"


def test_text_on_stdout_stays_empty_on_bad_input(capsys, broken):
    run = netverify(capsys, "check", "-f", broken)
    assert (run.code, run.out) == (2, "")


def test_a_bad_invariants_file_writes_the_report_too(capsys, tmp_path):
    invariants = tmp_path / "invariants.yaml"
    invariants.write_text(
        "invariants:\n  - name: x\n    isolated: {from: {namespace: 3}, to: {namespace: a}}\n"
    )
    text = _check_to_file(capsys, tmp_path, REPOSITORY, "json", "--invariants", str(invariants))
    (problem,) = json.loads(text)["error"]["problems"]
    assert problem["file"] == str(invariants)
