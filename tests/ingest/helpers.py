"""Small helpers for ingest tests: load text, get the problems it causes."""

from __future__ import annotations

from textwrap import dedent

import pytest

from verifier.errors import InputError, Problem
from verifier.ingest import loads
from verifier.model import Cluster

FILE = "m.yaml"


def load(text: str, filename: str = FILE) -> Cluster:
    """Load ``text`` (dedented) as the input shows it, without the cluster DNS and API server
    every cluster adds (tests of those load with ``loads``); fails the test with every problem
    if it does not load."""
    try:
        return loads(dedent(text), filename, implicit=False)
    except InputError as exc:
        pytest.fail(f"unexpected InputError:\n{exc}")


def given(objects):
    """The objects the input holds, without the cluster DNS and API server the loader adds."""
    return tuple(o for o in objects if not o.source.implicit)


def problems(text: str, filename: str = FILE) -> tuple[Problem, ...]:
    """The problems ``text`` is rejected with (it must be rejected)."""
    with pytest.raises(InputError) as info:
        loads(dedent(text), filename)
    return info.value.problems


def errors(text: str, filename: str = FILE) -> list[Problem]:
    return [p for p in problems(text, filename) if p.severity == "error"]


def one_error(text: str, filename: str = FILE) -> Problem:
    """The single error ``text`` causes."""
    found = errors(text, filename)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def pod_yaml(
    name: str = "a", namespace: str = "default", extra_spec: str = "", labels: str = "{app: a}"
) -> str:
    """A minimal Pod manifest (one container), with ``extra_spec`` lines added to its spec."""
    spec = "\n".join("  " + line for line in dedent(extra_spec).strip().splitlines())
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {namespace}, labels: {labels}}}\n"
        f"spec:\n  containers: [{{name: c}}]\n{spec}\n"
    )
