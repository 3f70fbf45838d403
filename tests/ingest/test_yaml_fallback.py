"""Without libyaml (PyYAML built without it): the pure-Python parser gives the same values and lines."""

from __future__ import annotations

import pytest
import yaml

from verifier.errors import InputError
from verifier.ingest import documents, load, loads
from verifier.ingest.documents import parse_text

MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: &labels {team: a}}
---
apiVersion: v1
kind: Pod
metadata:
  name: a
  namespace: x
  labels:
    <<: *labels
    app: web
spec:
  nodeName: n1
  containers: [{name: c, ports: [{containerPort: 80, protocol: TCP}]}]
status: {phase: Running, podIP: 10.244.0.5}
"""


@pytest.fixture
def no_libyaml(monkeypatch):
    """PyYAML as built without libyaml; the C parser must not be reached."""
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    try:
        from yaml import _yaml
    except ImportError:
        return
    if hasattr(_yaml, "CParser"):

        def refuse(*_args, **_kwargs):
            raise AssertionError("the libyaml parser was used")

        monkeypatch.setattr(_yaml, "CParser", refuse)


def summary(text: str, name: str):
    objects, problems = parse_text(text, name)
    return [(o.kind, dict(o.body), str(o.source)) for o in objects], [str(p) for p in problems]


def test_the_fallback_is_taken(no_libyaml):
    assert documents._libyaml() is None


def test_the_fallback_reads_what_libyaml_reads():
    with_c = summary(MANIFEST, "m.yaml")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(yaml, "__with_libyaml__", False)
        without = summary(MANIFEST, "m.yaml")
    assert without == with_c
    assert [source for _, _, source in without[0]] == ["m.yaml:1", "m.yaml:5"]


def test_the_fallback_keeps_line_numbers_in_errors(no_libyaml, tmp_path):
    """A containerPort out of range at bad.yaml:5, found through the pure-Python parser."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: default}\n"
        "spec:\n  containers: [{name: c, ports: [{containerPort: 99999}]}]\n"
    )
    with pytest.raises(InputError) as info:
        load(str(path))
    assert any(str(p).startswith(f"{path}:5") and "99999" in str(p) for p in info.value.problems), (
        info.value
    )


def test_the_fallback_locates_syntax_errors(no_libyaml):
    with pytest.raises(InputError) as info:
        loads("apiVersion: v1\nkind: Namespace\nmetadata: {name: [x\n", "broken.yaml")
    (problem,) = info.value.problems
    assert problem.file == "broken.yaml" and problem.line is not None and problem.line >= 3
    assert problem.message.startswith("invalid YAML")


def test_the_fallback_reports_control_characters(no_libyaml):
    """The pure-Python reader rejects them when it is created: still a located problem, not a crash."""
    with pytest.raises(InputError) as info:
        loads("kind: Namespace\nmetadata: {name: \x07}\n", "ctl.yaml")
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == ("ctl.yaml", 2)
    assert problem.message.startswith("invalid YAML")


def test_the_fallback_never_builds_python_objects(no_libyaml):
    objects, _ = parse_text("kind: ConfigMap\ndata: !!python/object:os.system echo\n", "t.yaml")
    assert objects[0].body["data"] == "echo"
