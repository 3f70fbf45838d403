"""The public manifests of ``../shared/corpus`` (real projects' YAML), for tests that skip without them.

``CORPUS`` is ``<repo>/../shared/corpus``. Test modules that read it use
``pytestmark = [pytest.mark.corpus, needs_corpus]`` so that every test skips
cleanly when the directory is absent (a plain checkout of the repository).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from verifier.ingest import load
from verifier.model import Cluster

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


def directories() -> list[str]:
    """Every corpus directory."""
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


def folders() -> list[str]:
    """The corpus folders that are one cluster state each (netpol-recipes is a set of scenarios)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name != "netpol-recipes")


def recipes() -> list[str]:
    folder = CORPUS / "netpol-recipes"
    return sorted(p.name for p in folder.glob("*.yaml")) if folder.is_dir() else []


def folder_sources(name: str) -> list:
    """What to load for corpus folder ``name``: the folder, with no configuration added."""
    return [CORPUS / name]


def load_folder(name: str) -> Cluster:
    return load(*folder_sources(name))
