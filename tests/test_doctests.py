"""Every docstring example in ``verifier`` runs (pytest does not collect doctests by itself).

The modules are found by walking the package, so a new module's examples are
run without anyone listing it. A module that needs an optional extra which is
not installed (``verifier.ingest.live`` and ``kubernetes``, say) is skipped,
saying which extra; any other import error fails. A module whose examples are
known to fail is listed in :data:`KNOWN_FAILURES` with the reason, as a strict
xfail: the day it passes, the entry must go.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import verifier

FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

#: Top-level modules of the optional extras, and the extra that brings each.
OPTIONAL = {"kubernetes": "netverify[kube]"}

#: Modules whose examples fail today, with why (each one a strict xfail).
KNOWN_FAILURES: dict[str, str] = {}


def _modules_with_examples() -> list[str]:
    """Every module of the package whose source has a ``>>>`` line (read, not imported)."""
    names = [verifier.__name__]
    names += [m.name for m in pkgutil.walk_packages(verifier.__path__, f"{verifier.__name__}.")]
    found = []
    for name in sorted(names):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        with open(spec.origin, encoding="utf-8") as f:
            if ">>>" in f.read():
                found.append(name)
    return found


def _param(name: str):
    if name in KNOWN_FAILURES:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name]))
    return name


MODULES = _modules_with_examples()


def test_the_walk_finds_the_modules():
    assert {
        "verifier.errors",
        "verifier.model",
        "verifier.report.sarif",
        "verifier.ingest.documents",
    } <= set(MODULES)
    assert set(KNOWN_FAILURES) <= set(MODULES), "a known failure names a module without examples"


@pytest.mark.parametrize("name", [_param(n) for n in MODULES])
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        top = (exc.name or "").partition(".")[0]
        if top in OPTIONAL:
            pytest.skip(f"needs {OPTIONAL[top]} ({top} is not installed)")
        raise
    result = doctest.testmod(module, optionflags=FLAGS, report=True)
    assert result.attempted > 0, f"{name} has '>>>' lines but no example doctest can find"
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} examples of {name} failed (output above)"
    )
