"""JSON read on the fast path (plain values, lines found on demand) loads exactly what the
line-tracking path loads: the same model, the same sources, the same problems on the same lines.

Every manifest under ``fixtures/`` is rewritten as ``kubectl get -o json`` would print it (a
``List``, four-space indent) and as single objects, then loaded both ways; so are inputs with
mistakes at every depth (an object that reports a problem is the one that needs its lines).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from verifier import ingest
from verifier.errors import InputError
from verifier.ingest import documents

from ..corpus import CORPUS, directories, needs_corpus

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _outcome(text: str, file: str):
    """What loading ``text`` gives: the cluster's objects, its warnings, or the problems raised."""
    try:
        cluster = ingest.loads(text, file)
    except InputError as exc:
        return ("error", exc.problems)
    return (
        "loaded",
        cluster.pods,
        cluster.services,
        cluster.policies,
        cluster.nodes,
        cluster.namespaces,
        cluster.warnings,
    )


def _both_ways(text: str, file: str, monkeypatch):
    fast = _outcome(text, file)
    with monkeypatch.context() as m:
        m.setattr(documents, "_read_json", lambda text, file: None)
        slow = _outcome(text, file)
    return fast, slow


def _yaml_sets() -> list[Path]:
    found = sorted({p.parent for p in FIXTURES.rglob("*.yaml")} | set())
    return [d for d in found if "corpus" not in d.parts]


def _as_kubectl_json(directory: Path) -> str:
    docs = []
    for path in sorted(
        directory.rglob("*.yaml") if directory.parent == CORPUS else directory.glob("*.yaml")
    ):
        try:
            docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d is not None)
        except yaml.YAMLError:
            continue  # the fixtures of unreadable input (Helm templates, broken YAML)
    return json.dumps({"apiVersion": "v1", "items": docs, "kind": "List"}, indent=4, default=str)


@pytest.mark.parametrize("directory", _yaml_sets(), ids=lambda d: str(d.relative_to(FIXTURES)))
def test_every_fixture_as_kubectl_json_loads_the_same_both_ways(directory, monkeypatch):
    text = _as_kubectl_json(directory)
    fast, slow = _both_ways(text, "dump.json", monkeypatch)
    assert fast == slow


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("name", directories())
def test_every_corpus_directory_as_kubectl_json_loads_the_same_both_ways(name, monkeypatch):
    text = _as_kubectl_json(CORPUS / name)
    fast, slow = _both_ways(text, f"{name}.json", monkeypatch)
    assert fast == slow


def test_the_fast_path_is_the_one_taken_for_a_dump():
    text = _as_kubectl_json(FIXTURES / "demo" / "base")
    objects, problems = documents.parse_text(text, "dump.json")
    assert problems == [] and objects
    assert all(type(o.body) is dict and o.lines is not None for o in objects)
    # each object's line is that of its opening brace
    lines = text.splitlines()
    assert all(lines[o.source.line - 1].strip() == "{" for o in objects)


MISTAKES = {
    "pod": {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "a", "namespace": "x", "labels": {"app": 3, "ok": "y"}},
        "spec": {
            "nodeName": "n1",
            "containers": [
                {"name": "c", "ports": [{"containerPort": "eighty"}, None, {"containerPort": 81}]}
            ],
        },
        "status": {"phase": "Running", "podIP": "10.0.0.300", "podIPs": [{"ip": 7}]},
    },
    "policy": {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": "x"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "a"}},
            "policyTypes": ["Ingress", "Sideways"],
            "ingress": [
                {
                    "from": [{"ipBlock": {"cidr": "10.1.2.3/16", "except": ["10.1.0.0/33"]}}],
                    "ports": [{"port": 80, "endPort": 70}],
                }
            ],
        },
    },
    "service": {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "x"},
        "spec": {
            "clusterIPs": ["10.96.0.10", "10.96.0.11"],
            "ipFamilies": ["IPv4", "IPv5"],
            "ports": [{"port": 80}, {"port": 99999}],
            "selector": {"app": "a"},
        },
    },
    "anp": {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": "anp"},
        "spec": {
            "priority": 10,
            "subject": {"namespaces": {}},
            "ingress": [{"action": "Deny", "from": [{"namespaces": {}}], "ports": ["bad"]}],
        },
    },
    "ignored": {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "b",
            "namespace": "x",
            "annotations": {"netverify.io/ignore": "no-such-property"},
        },
        "spec": {"nodeName": "n1", "containers": [{"name": "c"}]},
    },
}


@pytest.mark.parametrize("indent", [None, 2, 4])
@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_mistakes_are_reported_on_the_same_lines_both_ways(mistake, indent, monkeypatch):
    good = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "ok", "namespace": "x"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c"}]},
    }
    listed = json.dumps(
        {"apiVersion": "v1", "items": [good, MISTAKES[mistake]], "kind": "List"}, indent=indent
    )
    fast, slow = _both_ways(listed, "dump.json", monkeypatch)
    assert fast == slow
    single = json.dumps(MISTAKES[mistake], indent=indent)
    fast, slow = _both_ways(single, "one.json", monkeypatch)
    assert fast == slow
    problems = fast[1] if fast[0] == "error" else fast[-1]
    assert problems, "each of these inputs has something to report"
    if indent:
        assert all(p.line is not None and p.line > 1 for p in problems if p.field), problems


@pytest.mark.parametrize(
    "text",
    [
        '{"kind": "List", "items": [{"kind": "List", "items": []}]}',  # a List in a List
        '{"kind": "List", "items": [3]}',  # an item that is no object
        '{"kind": "List", "items": {"a": 1}}',  # items that are no list
        '{"kind": "Pod"',  # cut short
        '{"kind": "Pod"} {}',  # two values
        '[{"kind": "Pod"}]',  # no object at the top
    ],
)
def test_what_the_fast_path_leaves_to_the_line_tracking_path(text, monkeypatch):
    assert documents._read_json(text, "x.json") is None
    fast, slow = _both_ways(text, "x.json", monkeypatch)
    assert fast == slow


def test_a_key_written_twice_keeps_its_last_value_as_json_loads_does():
    text = '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "name": "b"}}'
    (obj,), problems = documents.parse_text(text, "x.json")
    assert problems == [] and obj.body["metadata"]["name"] == json.loads(text)["metadata"]["name"]
