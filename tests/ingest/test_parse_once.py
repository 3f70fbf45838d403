"""``parse_once``: what both states of a diff hold is parsed once, and each state's objects still
name the files they were read from."""

from __future__ import annotations

from click.testing import CliRunner

from verifier import ingest
from verifier.cli import cli
from verifier.ingest import documents

APP = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: n1, containers: [{name: c, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {nodeName: n1, containers: [{name: c}]}
"""
POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: %s}}}]
"""


def _states(tmp_path):
    for state, peer in (("main", "client"), ("pr", "nobody")):
        (tmp_path / state).mkdir()
        (tmp_path / state / "app.yaml").write_text(APP)
        (tmp_path / state / "policy.yaml").write_text(POLICY % peer)
    (tmp_path / "dump.yaml").write_text(APP.replace("web", "db").replace("client", "batch"))
    return tmp_path


def _counting(monkeypatch) -> list[str]:
    parsed: list[str] = []
    real = documents._parse

    def parse(text, file):
        parsed.append(file)
        return real(text, file)

    monkeypatch.setattr(documents, "_parse", parse)
    return parsed


def _view(cluster):
    return (
        [(p.ref, p.labels, p.source) for p in cluster.pods],
        [(p.ref, p.ingress, p.source) for p in cluster.policies],
    )


def test_the_same_file_and_the_same_content_elsewhere_are_parsed_once(tmp_path, monkeypatch):
    root = _states(tmp_path)
    main = [str(root / "dump.yaml"), str(root / "main")]
    pr = [str(root / "dump.yaml"), str(root / "pr")]
    alone = (_view(ingest.load(*main)), _view(ingest.load(*pr)))
    parsed = _counting(monkeypatch)
    with documents.parse_once():
        shared = (_view(ingest.load(*main)), _view(ingest.load(*pr)))
    assert shared == alone
    # dump.yaml and main/app.yaml once each; pr/app.yaml is main/app.yaml's text; the policies differ
    assert sorted(parsed) == sorted(
        [str(root / "dump.yaml"), str(root / "main/app.yaml")]
        + [str(root / s / "policy.yaml") for s in ("main", "pr")]
    )
    # each state's pods name its own directory
    pods = {p.ref: p.source.file for p in ingest.load(*pr).pods}
    assert pods["shop/web"] == str(root / "pr/app.yaml")
    assert [s for _ref, _l, s in shared[1][0] if s.file.endswith("app.yaml")][0].file == str(
        root / "pr/app.yaml"
    )


def test_outside_the_block_every_load_parses(tmp_path, monkeypatch):
    root = _states(tmp_path)
    parsed = _counting(monkeypatch)
    ingest.load(str(root / "main"))
    ingest.load(str(root / "main"))
    assert len(parsed) == 4


def test_diff_parses_what_both_states_hold_once(tmp_path, monkeypatch):
    root = _states(tmp_path)
    parsed = _counting(monkeypatch)
    result = CliRunner().invoke(
        cli,
        [
            "diff",
            "--old",
            str(root / "dump.yaml"),
            "--old",
            str(root / "main"),
            "--new",
            str(root / "dump.yaml"),
            "--new",
            str(root / "pr"),
        ],
    )
    assert result.exit_code == 1, result.output  # the pull request closes client -> web
    assert "shop/client" in result.output
    assert len(parsed) == 4  # not 6
