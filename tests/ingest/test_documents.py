"""Reading sources: YAML/JSON with lines, Lists, files, directories, stdin, streams."""

from __future__ import annotations

import io
import json
import os
from functools import partial

import pytest

from verifier import ingest
from verifier.errors import InputError
from verifier.ingest.documents import parse_text

from .helpers import errors, one_error

# Reading the input: without the cluster DNS and API server every cluster adds.
top_level_load = load = partial(ingest.load, implicit=False)
load_objects = partial(ingest.load_objects, implicit=False)
loads = partial(ingest.loads, implicit=False)

NS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n"


def test_multi_document_yaml_keeps_lines_and_document_index():
    text = "---\n" + NS % "a" + "---\n\n---\n# comment\n" + NS % "b"
    cluster = loads(text, "x.yaml")
    a, b = cluster.namespaces
    assert (a.name, a.source.file, a.source.line, a.source.document) == ("a", "x.yaml", 2, 0)
    # the empty document in the middle is ignored but still counted
    assert (b.name, b.source.line, b.source.document) == ("b", 9, 2)


def test_list_is_flattened_with_item_index():
    text = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: a}
- apiVersion: v1
  kind: List
  items:
  - {apiVersion: v1, kind: Namespace, metadata: {name: b}}
"""
    a, b = loads(text).namespaces
    assert (a.source.line, a.source.item) == (4, 0)
    assert (b.name, b.source.line, b.source.item) == ("b", 10, 0)


def test_typed_list_items_without_kind_take_it_from_the_list():
    text = """\
kind: PodList
apiVersion: v1
metadata: {resourceVersion: "1"}
items:
- metadata: {name: p, namespace: default}
  spec: {containers: [{name: c}]}
"""
    (pod,) = loads(text).pods
    assert pod.ref == "default/p"
    assert pod.source.line == 5


def test_item_without_kind_in_plain_list_is_an_error():
    p = one_error("apiVersion: v1\nkind: List\nitems:\n- metadata: {name: x}\n")
    assert "every object needs a kind" in p.message
    assert (p.line, p.field) == (4, "kind")


def test_object_without_kind_or_api_version():
    p = one_error("apiVersion: v1\nmetadata: {name: x}\n")
    assert p.field == "kind" and "missing required field" in p.message
    p = one_error("kind: Namespace\nmetadata: {name: x}\n")
    assert p.field == "apiVersion" and p.line == 1


def test_json_object_and_list_with_lines():
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "b", "labels": {"x": "y"}},
            },
        ],
    }
    text = json.dumps(doc, indent=2)
    a, b = loads(text, "dump.json").namespaces
    assert b.labels["x"] == "y"
    lines = text.splitlines()
    assert lines[a.source.line - 1].strip() == "{"
    assert '"b"' in "\n".join(lines[b.source.line - 1 : b.source.line + 6])


def test_json_scalars_are_json_not_yaml():
    # 1e3 is a float in JSON (a string in YAML 1.1); "on" stays a string
    objs, probs = parse_text('{"kind": "X", "a": 1e3, "b": "on", "c": true, "d": null}', "x.json")
    assert probs == []
    assert objs[0].body == {"kind": "X", "a": 1000.0, "b": "on", "c": True, "d": None}


@pytest.mark.parametrize(
    ("text", "filename", "line", "column", "fragment"),
    [
        ("kind: Namespace\nmetadata: {name: [a\n", "bad.yaml", 3, 1, "invalid YAML"),
        ("a: b\n  c: d\n", "bad.yaml", 2, 4, "invalid YAML"),
        ('{"kind": "Namespace",\n "metadata": {"name": "a"}\n', "bad.json", 3, 1, "invalid JSON"),
        (
            '{"kind": "Namespace" "x": 1}',
            "bad.json",
            1,
            22,
            "invalid JSON: Expecting ',' delimiter",
        ),
    ],
)
def test_malformed_input_has_line_and_column(text, filename, line, column, fragment):
    p = one_error(text, filename)
    assert fragment in p.message
    assert (p.file, p.line, p.column) == (filename, line, column)
    assert str(p).startswith(f"{filename}:{line}:{column}: ")


def test_duplicate_key_is_an_error_with_both_lines():
    p = one_error("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n")
    assert p.message == "duplicate key 'name' (first at line 4)"
    assert (p.line, p.column) == (5, 3)


def test_anchors_aliases_and_merge_keys():
    text = """\
apiVersion: v1
kind: Namespace
metadata:
  name: a
  labels: &l {team: x}
---
apiVersion: v1
kind: Namespace
metadata:
  name: b
  labels:
    <<: {team: y, env: dev}
    team: z
"""
    a, b = loads(text).namespaces
    assert a.labels["team"] == "x"
    assert (b.labels["team"], b.labels["env"]) == ("z", "dev")


def test_recursive_alias_is_refused():
    (p,) = [p for p in errors("kind: X\napiVersion: v1\na: &x [1, *x]\n") if "alias" in p.message]
    assert p.message == "recursive alias *x is not supported" and (p.line, p.column) == (3, 11)


def test_yaml_never_constructs_python_objects(monkeypatch):
    def boom(*_):
        raise AssertionError("YAML constructed a Python object")

    monkeypatch.setattr(os, "system", boom)
    text = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: !!python/object/apply:os.system ["echo hi"]\n'
    p = one_error(text)
    assert p.field == "metadata.labels" and "expected a mapping of strings, got a list" in p.message


def test_yaml_11_booleans_as_kubernetes_reads_them():
    cluster = loads(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
        "spec: {hostNetwork: yes, nodeName: n1, containers: [{name: c}]}\n"
    )
    assert cluster.pods[0].host_network is True


def test_document_that_is_not_a_mapping():
    p = one_error("- a\n- b\n")
    assert "expected a Kubernetes object" in p.message and p.line == 1


def test_directory_is_walked_recursively_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.yml").write_text(NS % "two")
    (tmp_path / "a.yaml").write_text(NS % "one")
    (tmp_path / "c.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "three"}})
    )
    (tmp_path / "notes.txt").write_text("not: [yaml")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yaml").write_text("broken: [")
    cluster = load(tmp_path, allow_empty=True)
    assert [n.name for n in cluster.namespaces] == ["one", "two", "three"]
    assert cluster.namespaces[1].source.file == str(tmp_path / "b" / "two.yml")


def test_several_sources_are_merged(tmp_path):
    f = tmp_path / "ns.yaml"
    f.write_text(NS % "a")
    stream = io.StringIO(NS % "b")
    stream.name = "piped.yaml"
    cluster = top_level_load(str(f), stream, allow_empty=True)
    assert [(n.name, n.source.file) for n in cluster.namespaces] == [
        ("a", str(f)),
        ("b", "piped.yaml"),
    ]


def test_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(NS % "from-stdin"))
    (ns,) = load("-", allow_empty=True).namespaces
    assert (ns.name, ns.source.file) == ("from-stdin", "<stdin>")


def test_missing_file_and_bad_encoding(tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"apiVersion: v1\nkind: Namespace\nmetadata: {name: caf\xe9}\n")
    with pytest.raises(InputError) as info:
        load(tmp_path / "nope.yaml", bad)
    by_file = {p.file: p for p in info.value.problems}
    assert by_file[str(tmp_path / "nope.yaml")].message == "no such file or directory"
    enc = by_file[str(bad)]
    assert "not UTF-8" in enc.message and (enc.line, enc.column) == (3, 21)


def test_nothing_to_load_and_wrong_argument_types():
    with pytest.raises(InputError, match="nothing to load"):
        load()
    with pytest.raises(InputError, match="expected a path"):
        load(42)
    with pytest.raises(InputError, match="takes text"):
        loads(b"kind: x")


def test_load_objects_from_plain_dicts():
    cluster = load_objects(
        [{"kind": "NamespaceList", "apiVersion": "v1", "items": [{"metadata": {"name": "a"}}]}],
        "<api>",
    )
    (ns,) = cluster.namespaces
    assert (ns.name, ns.source.file, ns.source.item) == ("a", "<api>", 0)


def test_problems_are_sorted_by_file_and_line(tmp_path):
    (tmp_path / "a.yaml").write_text("kind: Namespace\nmetadata: {name: x}\n---\nfoo: bar\n")
    (tmp_path / "b.yaml").write_text("x: [\n")
    found = problems_of_dir(tmp_path)
    assert [(os.path.basename(p.file), p.line) for p in found] == [
        ("a.yaml", 1),
        ("a.yaml", 4),
        ("b.yaml", 2),
    ]


def problems_of_dir(path):
    with pytest.raises(InputError) as info:
        load(path)
    return info.value.problems


def test_deeply_nested_input_is_an_input_error():
    with pytest.raises(InputError):
        loads("a: " + "[" * 5000 + "]" * 5000)


def test_empty_input_is_an_empty_cluster():
    cluster = loads("# nothing here\n---\n")
    assert cluster.pods == () and cluster.namespaces == ()


def test_json_that_libyaml_refuses_keeps_its_lines():
    # tabs between tokens and surrogate-pair escapes are valid JSON but not YAML 1.1
    text = '\t{"apiVersion": "v1", "kind": "Namespace",\n\t"metadata": {"name": "a", "labels": {"e": "\\ud83d\\ude00x"}}}'
    objs, probs = parse_text(text, "x.json")
    assert probs == [] and objs[0].source.line == 1
    assert objs[0].body["metadata"]["labels"]["e"] == "\U0001f600x"
    assert objs[0].located()["metadata"].line == 2


def test_json_libyaml_cannot_read_at_all_still_loads_without_lines():
    text = '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"x": "\\ud800"}}}'
    objs, probs = parse_text(text, "x.json")
    assert probs == [] and objs[0].source.line == 1 and objs[0].body["metadata"]["name"] == "a"
    assert objs[0].located().line == 1 and objs[0].located()["metadata"].line is None


POD_WITH_UNREAD_FIELDS = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  managedFields: [{manager: kubectl, operation: Update}]
spec:
  containers:
  - name: nginx
    image: nginx
    env: [{name: A, value: "1"}]
    readinessProbe: {httpGet: {path: /, port: http}}
    ports: [{containerPort: 80, name: http}]
  volumes: [{name: data, emptyDir: {}}]
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
  containerStatuses: [{name: nginx, ready: true}]
"""


def test_subtrees_no_converter_reads_are_not_kept():
    """A dump's pods are mostly env, probes, volumes and statuses: skipped while parsing,
    what the model reads kept with its lines."""
    (obj,), problems = parse_text(POD_WITH_UNREAD_FIELDS, "p.yaml")
    assert problems == []
    body = obj.body
    assert "managedFields" not in body["metadata"] and body["metadata"]["labels"] == {"app": "web"}
    (container,) = body["spec"]["containers"]
    assert set(container) == {"name", "image", "ports"}
    assert container["ports"][0]["name"] == "http" and container.key_lines["ports"] == 14
    assert "volumes" not in body["spec"]
    assert set(body["status"]) == {"phase", "conditions"}
    assert ingest.loads(POD_WITH_UNREAD_FIELDS).pod("shop/web").named_port("http", "TCP") == 80


def test_an_anchor_in_a_skipped_subtree_is_still_found():
    """An anchor written inside a subtree the parser would skip, used by a kept part: the
    text is parsed again, whole, and the alias resolves."""
    text = POD_WITH_UNREAD_FIELDS.replace(
        '    env: [{name: A, value: "1"}]', '    env: [{name: A, value: &port "8080"}]'
    ).replace("containerPort: 80,", "containerPort: *port,")
    (obj,), problems = parse_text(text, "p.yaml")
    assert problems == []
    (container,) = obj.body["spec"]["containers"]
    assert container["ports"][0]["containerPort"] == "8080"
    assert container["env"] == [{"name": "A", "value": "8080"}]  # whole: nothing skipped


def test_an_anchored_mapping_in_a_skipped_subtree_is_still_found():
    """The anchor on a mapping inside a skipped list (not on a scalar), aliased by kept ports."""
    text = POD_WITH_UNREAD_FIELDS.replace(
        '    env: [{name: A, value: "1"}]', "    env: [&kv {containerPort: 80, name: http}]"
    ).replace("ports: [{containerPort: 80, name: http}]", "ports: [*kv]")
    (obj,), problems = parse_text(text, "p.yaml")
    assert problems == []
    (container,) = obj.body["spec"]["containers"]
    assert container["ports"] == [{"containerPort": 80, "name": "http"}]
    assert container["env"] == container["ports"]  # whole: nothing skipped
