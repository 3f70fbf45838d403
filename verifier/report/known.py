"""Words for suppressed counterexamples (annotations, the baseline), shared by every format.

A suppressed counterexample is still a violation: each format shows it, marked,
after the new ones, and says how many there were next to the verdict.

>>> from verifier.properties import Counterexample, PropertyResult, Status, Suppression
>>> cx = Counterexample("Service shop/web port 80/TCP has no usable endpoint",
...                     suppressed=Suppression("annotation", "made by an operator", "Service shop/web"))
>>> r = PropertyResult("service-resolution", "service-resolution", Status.VIOLATED, "s", (cx,))
>>> verdict_note(r)
'(suppressed: 1 known counterexample, 1 by annotation; nothing new)'
>>> print("\\n".join(suppressed_lines(r)))
suppressed (known, not failing):
  1. Service shop/web port 80/TCP has no usable endpoint
     suppressed by annotation on Service shop/web: made by an operator
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from ..properties import CheckReport, Counterexample, PropertyResult
from .describe import counterexample_source, plural

__all__ = ["new_only", "suppressed_by", "suppressed_lines", "suppressed_tail", "verdict_note"]


def new_only(result: PropertyResult) -> PropertyResult:
    """``result`` with only the counterexamples that fail the check."""
    if not result.suppressed_counterexamples:
        return result
    return replace(result, counterexamples=result.new_counterexamples)


def _by_kind(cxs) -> str:
    counts = Counter(c.suppressed.kind for c in cxs)
    return ", ".join(f"{n} by {kind}" for kind, n in sorted(counts.items()))


def verdict_note(result: PropertyResult) -> str:
    """What the verdict line adds for a result with suppressed counterexamples ('' without)."""
    hidden = result.suppressed_counterexamples
    if not hidden:
        return ""
    if result.suppressed:
        more = "; the search stopped, new ones may remain" if result.truncated else ""
        known = plural(len(hidden), "known counterexample")
        return f"(suppressed: {known}, {_by_kind(hidden)}; nothing new{more})"
    return f"({len(result.new_counterexamples)} new; {len(hidden)} suppressed: {_by_kind(hidden)})"


def suppressed_by(cx: Counterexample) -> str:
    """``suppressed by annotation on Service shop/web: <reason>`` / ``suppressed by baseline: ...``."""
    s = cx.suppressed
    if s is None:
        return ""
    on = f" on {s.object}" if s.object else ""
    return f"suppressed by {s.kind}{on}: {s.reason}"


def suppressed_lines(result: PropertyResult, indent: str = "", *, limit: int = 10) -> list[str]:
    """The suppressed counterexamples, one summary, location and reason each (no traces);
    past ``limit``, how many more (the JSON report lists every one)."""
    hidden = result.suppressed_counterexamples
    if not hidden:
        return []
    out = [f"{indent}suppressed (known, not failing):"]
    for i, cx in enumerate(hidden[:limit], 1):
        hang = indent + "  " + " " * (len(str(i)) + 2)
        out.append(f"{indent}  {i}. {(cx.summary.splitlines() or [''])[0]}")
        src = counterexample_source(cx, result)
        if src is not None and cx.location is not None:
            out.append(f"{hang}at {src}: {cx.location.ref}")
        out.append(f"{hang}{suppressed_by(cx)}")
    if len(hidden) > limit:
        out.append(f"{indent}  ... and {len(hidden) - limit} more (-o json lists them all)")
    return out


def suppressed_tail(report: CheckReport) -> str:
    """``; 3 counterexamples suppressed (2 by annotation, 1 by baseline)``, or '' when none were."""
    counts = {k: n for k, n in report.suppressed_counts().items() if n}
    if not counts:
        return ""
    total = sum(counts.values())
    how = ", ".join(f"{n} by {kind}" for kind, n in sorted(counts.items()))
    return f"; {plural(total, 'counterexample')} suppressed ({how})"
