"""Words every ``netverify check`` output shares: titles, locations, counterexample text, totals.

The text, JUnit, GitHub and SARIF renderers all say the same things about a
result; they get those words from here so the formats never drift apart.

>>> from verifier.properties import CheckReport, PropertyResult, Status
>>> r = PropertyResult("invariant", "dev cannot reach prod", Status.HOLDS, "nothing in dev reaches prod", seconds=0.5)
>>> title(r)
'invariant: dev cannot reach prod'
>>> summary_line(CheckReport((r,), 0.5))
'1 invariant: 1 holds, 0 violated, 0 unknown (0.5s)'
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Source
from ..properties import CheckReport, Counterexample, PropertyResult
from .text import format_trace

__all__ = [
    "Invocation",
    "counterexample_lines",
    "counterexample_source",
    "grouped_counterexamples",
    "numbered_counterexample",
    "plural",
    "real_source",
    "result_source",
    "summary_line",
    "title",
]


@dataclass(frozen=True)
class Invocation:
    """How this check was run, for formats that record it (SARIF invocations, the JSON summary).

    ``exit_code`` is the code the process exits with (after ``--soft-fail``);
    ``inputs`` are the ``-f`` paths as typed.
    """

    arguments: tuple[str, ...] = ()
    exit_code: int | None = None
    inputs: tuple[str, ...] = ()


def title(result: PropertyResult) -> str:
    """The property's name, or ``invariant: <name>`` for a user invariant."""
    return f"invariant: {result.name}" if result.property == "invariant" else result.name


def real_source(source: Source | None) -> Source | None:
    """``source`` if it names a file; ``None`` for stdin, the live cluster or made-up objects.

    The loader writes pseudo-files as ``<stdin>``/``<unknown>``; a CI annotation
    pointing at those would point at nothing.
    """
    if source is None or not source.file or source.file.startswith("<"):
        return None
    return source


def counterexample_source(
    cx: Counterexample, result: PropertyResult | None = None
) -> Source | None:
    """Where to point for ``cx``: the file line of its object at fault (``Counterexample.location``),
    else, for an invariant's counterexample, the line the invariant was written on."""
    at = cx.location
    src = real_source(at.source) if at is not None else None
    if src is None and result is not None and isinstance(result.source, Source):
        return real_source(result.source)
    return src


def result_source(result: PropertyResult) -> Source | None:
    """The first counterexample's location, else where the invariant was written."""
    for cx in result.counterexamples:
        src = counterexample_source(cx)
        if src is not None:
            return src
    return real_source(result.source) if isinstance(result.source, Source) else None


def counterexample_lines(cx: Counterexample) -> list[str]:
    """The counterexample as plain lines: summary, location, objects, packet, then each trace.

    No indentation and no colour; each format indents (or escapes) as it needs.
    """
    lines = cx.summary.splitlines() or [""]
    at = cx.location
    if at is not None:
        src = real_source(at.source)
        lines.append(f"at {src}: {at.ref}" if src is not None else f"at {at.ref}")
    others = [o for o in cx.objects if o is not at]
    if others:
        lines.append("also: " + "; ".join(map(str, others)))
    if cx.packet is not None:
        lines.append(f"packet: {cx.packet}")
    if cx.allocation:
        # Pods without an address in the input: say which addresses the proof picked.
        lines.append(
            "addresses netverify chose: "
            + ", ".join(f"{k} = {v}" for k, v in sorted(cx.allocation.items()))
        )
    for t in cx.traces:
        lines.extend(format_trace(t).splitlines())
    return lines


def numbered_counterexample(index: int, cx: Counterexample, indent: str = "") -> list[str]:
    """``1. summary`` with the rest of :func:`counterexample_lines` aligned under it."""
    first, *rest = counterexample_lines(cx)
    hang = indent + " " * (len(str(index)) + 2)
    return [f"{indent}{index}. {first}", *(hang + line for line in rest)]


def grouped_counterexamples(result: PropertyResult, indent: str = "") -> list[str]:
    """Every counterexample numbered; one that shares its cause (the object at fault, at the
    same line) with an earlier one is a single line pointing back at it, not a second trace."""
    out: list[str] = []
    first_of: dict[tuple, int] = {}
    for i, cx in enumerate(result.counterexamples, 1):
        at = cx.location
        cause = None if at is None else (at.ref, real_source(at.source))
        if cause is not None and cause in first_of:
            summary = (cx.summary.splitlines() or [""])[0]
            out.append(f"{indent}{i}. {summary}")
            out.append(
                f"{indent}{' ' * (len(str(i)) + 2)}same cause as {first_of[cause]}: {at.ref}"
            )
            continue
        if cause is not None:
            first_of[cause] = i
        out += numbered_counterexample(i, cx, indent)
    return out


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 property``, ``2 properties``."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def summary_line(report: CheckReport) -> str:
    """``6 properties: 4 hold, 1 violated, 1 unknown (3.2s)``; invariants are counted apart."""
    checked = []
    if report.properties or not report.invariants:
        checked.append(plural(len(report.properties), "property", "properties"))
    if report.invariants:
        checked.append(plural(len(report.invariants), "invariant"))
    n = report.summary_counts()
    counts = [f"{n['holds']} {'holds' if n['holds'] == 1 else 'hold'}", f"{n['violated']} violated"]
    # Only once something was suppressed: the line every CI log already shows stays as it was.
    tail = ""
    if any(report.suppressed_counts().values()):
        from .known import suppressed_tail

        counts.append(f"{n['suppressed']} suppressed")
        tail = suppressed_tail(report)
    counts.append(f"{n['unknown']} unknown")
    return f"{', '.join(checked)}: {', '.join(counts)} ({report.seconds:.1f}s){tail}"
