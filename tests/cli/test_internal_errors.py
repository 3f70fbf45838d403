"""A bug is not bad input: internal errors exit 70, say "please report", and show the traceback with -v.

Exit 2 means the user's manifests or flags are wrong; 70 (EX_SOFTWARE) means
netverify is. A loader exception that is no input problem must not come out as
an InputError, and the CLI must not dress any non-VerifierError up as a verdict.
"""

from __future__ import annotations

import pytest

import verifier.ingest
import verifier.ingest.assemble
import verifier.properties
from tests.cli.support import DEMO_BASE, netverify
from verifier.errors import InputError, SoundnessError
from verifier.ingest import live, loads

PREFIX = "netverify: internal error, please report: "


def boom(*_args, **_kwargs):
    raise RuntimeError("the checker fell over")


def test_a_bug_while_checking_exits_70_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setattr(verifier.properties, "check", boom)
    run = netverify(capsys, "check", "-f", DEMO_BASE)
    assert run.code == 70
    lines = run.err.splitlines()
    assert PREFIX + "RuntimeError: the checker fell over" in lines
    assert "Traceback" not in run.err
    assert any("-v" in line and "traceback" in line for line in lines)  # how to see more


@pytest.mark.parametrize("flag", ["-v", "--verbose", "-vv"])
def test_with_v_the_traceback_is_shown(monkeypatch, capsys, flag):
    monkeypatch.setattr(verifier.properties, "check", boom)
    run = netverify(capsys, "check", "-f", DEMO_BASE, flag)
    assert run.code == 70
    assert PREFIX + "RuntimeError: the checker fell over" in run.err
    assert "Traceback (most recent call last):" in run.err
    assert "in boom" in run.err and run.err.rstrip().endswith("RuntimeError: the checker fell over")


def test_verbosity_does_not_leak_into_the_next_command(monkeypatch, capsys):
    monkeypatch.setattr(verifier.properties, "check", boom)
    netverify(capsys, "check", "-f", DEMO_BASE, "-v")
    run = netverify(capsys, "check", "-f", DEMO_BASE)
    assert run.code == 70 and "Traceback" not in run.err


def test_a_bug_in_the_loader_is_an_internal_error_not_bad_input(monkeypatch, capsys):
    """Before: any loader exception became an InputError, exit 2, as if the manifests were wrong."""
    monkeypatch.setattr(verifier.ingest.assemble, "assemble", boom)
    with pytest.raises(RuntimeError, match="the checker fell over"):
        loads("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    run = netverify(capsys, "check", "-f", DEMO_BASE)
    assert run.code == 70
    assert PREFIX + "RuntimeError: the checker fell over" in run.err
    assert "error(s)" not in run.err  # not reported as problems with the cluster state


def test_real_input_problems_are_still_exit_2(capsys, tmp_path):
    from tests.cli.support import malformed

    run = netverify(capsys, "check", "-f", malformed(tmp_path))
    assert run.code == 2 and "bad.yaml:5" in run.err and "internal error" not in run.err


def test_input_nested_too_deeply_is_an_input_problem():
    with pytest.raises(InputError, match="nested too deeply"):
        verifier.ingest.load_objects([{"kind": "Pod", "x": _nested(5000)}])


def _nested(depth: int):
    value: object = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def test_a_soundness_error_exits_70_with_its_message(monkeypatch, capsys):
    def disagree(*_args, **_kwargs):
        raise SoundnessError("Z3 and the engine disagree about x/a -> x/b:80/TCP")

    monkeypatch.setattr(verifier.properties, "check", disagree)
    run = netverify(capsys, "check", "-f", DEMO_BASE)
    assert run.code == 70
    assert PREFIX + "SoundnessError: Z3 and the engine disagree about x/a -> x/b:80/TCP" in run.err
    assert "Traceback" not in run.err


class _Client:
    """A stand-in ``kubernetes`` module whose list call fails as the test says."""

    def __init__(self, error: Exception):
        def fail(*_args, **_kwargs):
            raise error

        api = type("Api", (), {"__init__": lambda self, client: None, "list_namespace": fail})
        self.client = type("client", (), {"CoreV1Api": api})


def test_the_live_loader_reports_an_unreachable_cluster_as_input(monkeypatch):
    api = live.KubernetesApi(_Client(ConnectionRefusedError("connection refused")), "client")
    resource = next(r for r in live.RESOURCES if r.list_all == "list_namespace")
    with pytest.raises(
        InputError, match="cannot list NamespaceList from the cluster: connection refused"
    ):
        api.list(resource, None, 10, None)


def test_the_live_loader_lets_a_bug_through(monkeypatch):
    api = live.KubernetesApi(_Client(TypeError("unexpected keyword argument")), "client")
    resource = next(r for r in live.RESOURCES if r.list_all == "list_namespace")
    with pytest.raises(TypeError, match="unexpected keyword"):
        api.list(resource, None, 10, None)
