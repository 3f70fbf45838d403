"""In a plain REPL, results print short readable text, never a dataclass repr (issue 9)."""

from __future__ import annotations

from tests.report.clusters import shop
from verifier.diff import Diff
from verifier.engine import trace
from verifier.matrix import matrix
from verifier.properties import CheckReport, PropertyResult, Status


def test_trace():
    t = trace(shop(), "dev/tool", "shop/db-0", 5432)
    assert repr(t).startswith(f"<Trace {t.verdict}: dev/tool -> ") and repr(t).endswith(" hops>")
    text = str(t)  # the text trace, as `netverify reach` prints it
    assert text == t.text()
    assert text.splitlines()[0].startswith(str(t.verdict)) and "ingress" in text
    assert "Hop(" not in repr(t) and len(repr(t)) < 120


def test_property_result_and_report():
    r = PropertyResult(
        "isolation", "isolation", Status.HOLDS, "isolated as written", seconds=1.2345
    )
    assert repr(r) == "<PropertyResult HOLDS  isolation, 0 counterexamples, 1.23s>"
    report = CheckReport((r,), 1.25)
    assert repr(report) == "<CheckReport 1 property: 1 holds, 0 violated, 0 unknown (1.2s)>"
    assert "isolation" in str(report) and "PropertyResult(" not in str(report)


def test_matrix_and_diff():
    m = matrix(shop())
    assert repr(m).startswith("<Matrix ") and "_cells" not in repr(m)
    assert str(m).startswith("Reachability matrix: ")
    d = Diff(())
    assert repr(d) == "<Diff 0 newly allowed, 0 newly denied, complete>"
    assert "FlowChange(" not in str(d)
