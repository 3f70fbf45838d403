"""The public manifests of ``../shared/corpus`` (real projects' YAML), for tests that skip without them.

``CORPUS`` is ``<repo>/../shared/corpus``. Test modules that read it use
``pytestmark = [pytest.mark.corpus, needs_corpus]`` so that every test skips
cleanly when the directory is absent (a plain checkout of the repository).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from verifier.ingest import load
from verifier.model import Cluster

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

#: bookinfo-dualstack's Services are RequireDualStack: it is meant for a dual-stack cluster.
DUAL_STACK = """\
apiVersion: netverify.dev/v1alpha1
kind: ClusterNetwork
metadata: {name: dual-stack}
spec:
  serviceCIDRs: [10.96.0.0/16, "fd00:10:96::/112"]
  podCIDRs: [10.244.0.0/16, "fd00:10:244::/56"]
"""

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


def folders() -> list[str]:
    """The corpus folders that are one cluster state each (netpol-recipes is a set of scenarios)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name != "netpol-recipes")


def recipes() -> list[str]:
    folder = CORPUS / "netpol-recipes"
    return sorted(p.name for p in folder.glob("*.yaml")) if folder.is_dir() else []


def folder_sources(name: str) -> list:
    """What to load for corpus folder ``name`` (a dual-stack ClusterNetwork for bookinfo-dualstack)."""
    sources: list = [CORPUS / name]
    if name == "bookinfo-dualstack":
        sources.append(io.StringIO(DUAL_STACK))
    return sources


def load_folder(name: str) -> Cluster:
    return load(*folder_sources(name))
