"""Shared helpers for the issue-7 regression tests.

>>> REGRESSIONS.name
'regressions'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.builders import node
from verifier.cli import main
from verifier.properties import PropertyResult, Status

REPO = Path(__file__).resolve().parents[2]
#: The YAML manifests of these tests.
REGRESSIONS = REPO / "fixtures" / "tests" / "regressions"
DEMO = REPO / "fixtures" / "demo"

#: Seconds per solver query: generous, the clusters are tiny.
TIMEOUT = 60.0

HOLDS, VIOLATED, UNKNOWN = Status.HOLDS, Status.VIOLATED, Status.UNKNOWN

#: Two nodes on 192.168.0.0/24, pod CIDRs 10.244.1.0/24 and 10.244.2.0/24.
N1 = node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24")
N2 = node("n2", "192.168.0.2", pod_cidr="10.244.2.0/24")


def xfail(item: int, why: str):
    """The marker of a test that fails on the code issue 7 was filed against."""
    return pytest.mark.xfail(strict=True, reason=f"issue 7 item {item}: {why}")


def fixture(name: str) -> str:
    """``fixtures/tests/regressions/<name>`` as a string path."""
    path = REGRESSIONS / name
    assert path.exists(), path
    return str(path)


def show(result: PropertyResult) -> str:
    """A result and its counterexamples, for assertion messages."""
    lines = [f"{result.status} {result.name}: {result.reason or ''}"]
    lines += [f"  - {cx.summary} pods={cx.pods}" for cx in result.counterexamples]
    return "\n".join(lines)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def netverify(capsys, *args: str) -> Run:
    """``netverify ARGS`` in-process: the exit code and what went to stdout and stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def forge_engine(monkeypatch, fake) -> None:
    """Make every replay go through ``fake(real_trace, *args, **kwargs)`` instead of the engine's ``trace``.

    Every loaded ``verifier.*`` module that holds the engine's ``trace`` under that
    name is patched (``verifier.engine`` itself included, so later ``from ..engine
    import trace`` get the fake too), as tests/symbolic/test_soundness.py's ``lie`` does.
    """
    import sys

    import verifier.engine
    import verifier.properties  # noqa: F401

    real = verifier.engine.trace

    def engine(*args, **kwargs):
        return fake(real, *args, **kwargs)

    for name, module in list(sys.modules.items()):
        if (name == "verifier" or name.startswith("verifier.")) and getattr(
            module, "trace", None
        ) is real:
            monkeypatch.setattr(module, "trace", engine)
