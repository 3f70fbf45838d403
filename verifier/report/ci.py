"""Every output format of ``netverify check``, by the name ``-o`` takes.

>>> from verifier.properties import CheckReport
>>> FORMATS
('text', 'json', 'junit', 'sarif', 'github')
>>> render(CheckReport(()), "text")
'0 properties: 0 hold, 0 violated, 0 unknown (0.0s)'
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UsageError
from ..properties import CheckReport
from .console import render_text
from .describe import Invocation
from .github import render_github
from .json import render_json
from .junit import render_junit
from .sarif import render_sarif

__all__ = ["FORMATS", "Invocation", "render"]

_RENDERERS: dict[str, Callable[[CheckReport, Invocation, bool], str]] = {
    "text": lambda report, _inv, color: render_text(report, color=color),
    "json": lambda report, inv, _color: render_json(report, inv),
    "junit": lambda report, _inv, _color: render_junit(report),
    "sarif": lambda report, inv, _color: render_sarif(report, inv),
    "github": lambda report, _inv, _color: render_github(report),
}

FORMATS: tuple[str, ...] = tuple(_RENDERERS)


def render(
    report: CheckReport, fmt: str, invocation: Invocation | None = None, *, color: bool = False
) -> str:
    """``report`` in format ``fmt``. ``color`` only affects ``text`` (ANSI colours for a terminal)."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise UsageError(f"unknown output format {fmt!r} (formats: {', '.join(FORMATS)})") from None
    return renderer(report, invocation or Invocation(), color)
