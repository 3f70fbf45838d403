"""The examples in the check-report modules' docstrings run (pytest does not collect doctests here)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "verifier.properties",
    "verifier.report.ci",
    "verifier.report.console",
    "verifier.report.describe",
    "verifier.report.github",
    "verifier.report.json",
    "verifier.report.junit",
    "verifier.report.sarif",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
