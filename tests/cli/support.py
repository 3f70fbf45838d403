"""Run ``netverify`` in-process, as a user would type it, and read what it printed.

>>> # result = netverify(capsys, "reach", "-f", DEMO, "--from", "shop/frontend-0", ...)
>>> # result.code, result.out, result.err
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.properties.support import REPO
from verifier.cli import main

DEMO = str(REPO / "fixtures" / "demo")
DEMO_BASE = str(REPO / "fixtures" / "demo" / "base")
ISOLATION = str(REPO / "fixtures" / "tests" / "isolation" / "holds.yaml")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def netverify(capsys, *args: str) -> Run:
    """``netverify ARGS``: the exit code and what went to stdout and stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def malformed(tmp_path) -> str:
    """A manifest with one error at a known line (``bad.yaml:5``): a containerPort out of range."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: default}\n"
        "spec:\n  containers: [{name: c, ports: [{containerPort: 99999}]}]\n"
    )
    return str(path)
