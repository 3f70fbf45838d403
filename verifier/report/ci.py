"""Every output format of ``netverify check``, by the name ``-o`` takes.

>>> from verifier.properties import CheckReport
>>> FORMATS
('text', 'json', 'yaml', 'junit', 'sarif', 'github')
>>> render(CheckReport(()), "text")
'0 properties: 0 hold, 0 violated, 0 unknown (0.0s)'
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from ..errors import UsageError
from ..properties import CheckReport
from .console import render_text
from .describe import Invocation
from .github import render_github
from .json import render_json, report_dict
from .junit import render_junit
from .sarif import render_sarif

__all__ = ["FORMATS", "Invocation", "render", "to_yaml"]


def to_yaml(data: Any) -> str:
    """``-o yaml``: the very data ``-o json`` prints, as YAML.

    Going through JSON first gives both formats the same values (``str`` for
    addresses and the like) and keeps PyYAML's safe dumper from meeting a type
    it cannot write.

    >>> print(to_yaml({"verdict": "ALLOWED", "port": 80, "node": None}), end="")
    verdict: ALLOWED
    port: 80
    node: null
    """
    plain = json.loads(json.dumps(data, default=str))
    return yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, width=100)


_RENDERERS: dict[str, Callable[[CheckReport, Invocation, bool], str]] = {
    "text": lambda report, _inv, color: render_text(report, color=color),
    "json": lambda report, inv, _color: render_json(report, inv),
    "yaml": lambda report, inv, _color: to_yaml(report_dict(report, inv)),
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
