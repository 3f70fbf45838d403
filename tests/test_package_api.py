"""The notebook surface: ``verifier.trace/matrix/diff`` stay calls once their modules are imported."""

from __future__ import annotations

import importlib

import verifier
from verifier.trace import Trace, Verdict

DEMO = "fixtures/demo"


def test_the_package_functions_survive_their_modules_being_imported():
    for name in ("verifier.trace", "verifier.matrix", "verifier.diff", "verifier.engine"):
        importlib.import_module(name)
    cluster = verifier.load(DEMO)
    first = verifier.trace(cluster, "shop/frontend-0", "cartservice.shop", 7070)
    again = verifier.trace(cluster, "shop/frontend-0", "cartservice.shop", 7070)
    assert isinstance(first, Trace) and first.verdict is again.verdict is Verdict.ALLOWED
    assert type(verifier.matrix(cluster, ["shop"])).__name__ == "Matrix"
    assert type(verifier.diff(verifier.load(DEMO + "/base"), cluster)).__name__ == "Diff"
