"""``netverify check -o github``: GitHub Actions workflow commands.

What a run prints, in order:

1. the verdict table (one line per property and invariant), visible in the log;
2. one collapsed ``::group::`` per property that did not simply hold, with its
   counterexamples and traces;
3. one annotation per problem, pinned to the manifest file and line at fault:
   ``::error`` per counterexample (not for those suppressed by an annotation or
   the baseline), ``::warning`` per UNKNOWN property and per warning finding,
   ``::notice`` per other finding;
4. a ``::notice`` with the totals.

Values are escaped as GitHub's toolkit does (``escapeData``/``escapeProperty``:
``%``, CR and LF everywhere, and ``:`` and ``,`` in properties). Plain log lines
come from the manifests (names, invariant names), so they are printed between
``::stop-commands::`` markers: a line that happens to start with ``::`` is then
shown, never executed.

>>> escape_property("a:b,c%")
'a%3Ab%2Cc%25'
>>> from verifier.properties import CheckReport, PropertyResult, Status
>>> r = PropertyResult("isolation", "isolation", Status.HOLDS, "policies isolate", seconds=0.5)
>>> print(render_github(CheckReport((r,), 0.5)).splitlines()[-1])
::notice title=netverify check::1 property: 1 holds, 0 violated, 0 unknown (0.5s)
"""

from __future__ import annotations

import hashlib

from ..model import Source
from ..properties import CheckReport, PropertyResult, Status
from .console import detail_lines, verdict_lines
from .describe import (
    counterexample_lines,
    counterexample_source,
    real_source,
    result_source,
    summary_line,
    title,
)

__all__ = ["command", "escape_data", "escape_property", "render_github"]


def escape_data(text: str) -> str:
    """A command's message: ``%``, ``\\r``, ``\\n`` percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command property value (file, title): also ``:`` and ``,``, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """``::name k=v,k=v::message``; properties that are ``None`` are left out.

    >>> command("error", "two\\nlines", file="a,b.yaml", line=3, title=None)
    '::error file=a%2Cb.yaml,line=3::two%0Alines'
    """
    props = ",".join(
        f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def render_github(report: CheckReport) -> str:
    """The report as workflow commands and log lines for a GitHub Actions step."""
    out = _verbatim(verdict_lines(report))
    for r in report.results:
        details = detail_lines(r)
        if details:
            out.append(command("group", f"{r.status}  {title(r)}: {r.statement}"))
            out += _verbatim(details)
            out.append("::endgroup::")
    for r in report.results:
        out += _annotations(r)
    out.append(command("notice", summary_line(report), title="netverify check"))
    return "\n".join(out)


def _annotations(result: PropertyResult) -> list[str]:
    heading = f"netverify {title(result)}"
    # Suppressed counterexamples are known: the group lists them, no annotation repeats them.
    out = [
        _annotate(
            "error", "\n".join(counterexample_lines(cx)), counterexample_source(cx, result), heading
        )
        for cx in result.new_counterexamples
    ]
    if result.status is Status.VIOLATED and not result.counterexamples:
        out.append(
            _annotate("error", f"violated: {result.statement}", result_source(result), heading)
        )
    if result.status is Status.UNKNOWN:
        reason = result.reason or "the solver could not decide"
        text = f"could not decide whether {result.statement}: {reason}"
        out.append(_annotate("warning", text, result_source(result), f"{heading} (unknown)"))
    for f in result.findings:
        src = next((real_source(o.source) for o in f.objects if real_source(o.source)), None)
        level = "warning" if f.severity == "warning" else "notice"
        out.append(_annotate(level, f.message, src, heading))
    return out


def _annotate(level: str, message: str, source: Source | None, heading: str) -> str:
    file = source.file if source else None
    line = source.line if source else None
    return command(level, message, file=file, line=line, title=heading)


def _verbatim(lines: list[str]) -> list[str]:
    """``lines`` wrapped so the runner does not interpret any of them as a command.

    The resume token must not occur in the text (GitHub asks for an unguessable
    one); a hash of the text itself cannot be planted in that text.
    """
    if not lines:
        return []
    token = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]
    return [f"::stop-commands::{token}", *lines, f"::{token}::"]
