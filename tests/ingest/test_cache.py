"""The model cache (issue 11): a second load of the same files reads the model the first one
kept; any change to the files, the options or netverify's code is a miss."""

from __future__ import annotations

import shutil

import pytest

from tests.properties.support import REPO
from verifier.errors import InputError
from verifier.ingest import cache, load

MANIFESTS = REPO / "fixtures" / "tests" / "repository" / "manifests"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NETVERIFY_NO_CACHE", "0")
    monkeypatch.setenv("NETVERIFY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def repo(tmp_path):
    shutil.copytree(MANIFESTS, tmp_path / "repo")
    return tmp_path / "repo"


def _loads(monkeypatch) -> list:
    """Count the real loads (cache misses)."""
    from verifier import ingest

    calls = []
    real = ingest._load

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "_load", counting)
    return calls


def test_a_second_load_of_the_same_files_reads_the_kept_model(cache_dir, repo, monkeypatch):
    calls = _loads(monkeypatch)
    first = load(repo)
    second = load(repo)
    assert len(calls) == 1 and len(list(cache_dir.glob("*.pickle"))) == 1
    assert second == first and second is not first


def test_any_change_to_the_files_or_the_options_is_a_miss(cache_dir, repo, monkeypatch):
    calls = _loads(monkeypatch)
    load(repo)
    load(repo, namespace="other")
    load(repo, implicit=False)
    deployment = repo / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("replicas: 2", "replicas: 3"))
    changed = load(repo)
    assert len(calls) == 4
    assert sum(1 for p in changed.pods if p.name.startswith("web-")) == 3


def test_input_errors_are_never_kept(cache_dir, repo, monkeypatch):
    (repo / "broken.yaml").write_text("kind: Pod\napiVersion: v1\nmetadata: {name: [x]}\n")
    for _ in range(2):
        with pytest.raises(InputError):
            load(repo)
    assert not cache_dir.exists() or not list(cache_dir.glob("*.pickle"))


def test_a_damaged_entry_is_a_miss(cache_dir, repo, monkeypatch):
    load(repo)
    (entry,) = cache_dir.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    calls = _loads(monkeypatch)
    assert load(repo).pods and len(calls) == 1


def test_off_with_the_environment_variable(tmp_path, repo, monkeypatch):
    monkeypatch.setenv("NETVERIFY_NO_CACHE", "1")
    monkeypatch.setenv("NETVERIFY_CACHE_DIR", str(tmp_path / "cache"))
    assert cache.cache_dir() is None
    load(repo)
    assert not (tmp_path / "cache").exists()


def test_stdin_and_streams_are_not_cached(cache_dir):
    import io

    text = (MANIFESTS / "deployment.yaml").read_text()
    load(io.StringIO(text))
    assert not cache_dir.exists()


@pytest.fixture
def parses(monkeypatch) -> list:
    """Count the real parses of YAML texts; every text counts as big."""
    from tests.ingest.test_parse_once import _counting

    monkeypatch.setattr(cache, "TEXT_MIN", 0)
    return _counting(monkeypatch)


def test_a_big_text_met_a_second_time_keeps_its_parse(cache_dir, repo, parses):
    """A pull request changes one file beside an unchanged one: the model is a miss, the
    unchanged text's parse is not, from the second time it is seen (the first time only
    marks it, so a dump taken afresh every run never pays for keeping it)."""
    deployment = repo / "deployment.yaml"
    names = sorted(p.name for p in repo.glob("*.yaml"))
    load(repo)
    assert sorted(parses) == sorted(str(repo / n) for n in names)
    assert not list((cache_dir / "texts").glob("*.pickle"))
    parses.clear()
    deployment.write_text(deployment.read_text().replace("replicas: 2", "replicas: 3"))
    load(repo)  # every text but deployment.yaml's is met a second time: parsed, then kept
    assert len(list((cache_dir / "texts").glob("*.pickle"))) == len(names) - 1
    parses.clear()
    deployment.write_text(deployment.read_text().replace("replicas: 3", "replicas: 4"))
    changed = load(repo)
    assert parses == [str(deployment)]
    assert sum(1 for p in changed.pods if p.name.startswith("web-")) == 4


def test_a_kept_parse_names_the_file_it_is_read_from_now(cache_dir, tmp_path, parses):
    """The same text under another name: the objects and their problems name the new file."""
    text = (MANIFESTS / "deployment.yaml").read_text()
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(text)
    second.write_text(text)
    load(first)  # seen
    load(first, namespace="other")  # a miss for the model: parsed again, and kept
    cluster = load(second)  # read back under b.yaml
    assert parses == [str(first), str(first)]
    assert {p.source.file for p in cluster.pods if not p.implicit} == {str(second)}


def test_a_damaged_kept_parse_is_parsed_again(cache_dir, repo, parses):
    load(repo)
    load(repo / "deployment.yaml")  # a miss for the model, a second sighting of the text
    (entry,) = (cache_dir / "texts").glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    parses.clear()
    assert load(repo / "deployment.yaml", namespace="again").pods
    assert parses == [str(repo / "deployment.yaml")]
