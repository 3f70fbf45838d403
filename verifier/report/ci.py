"""Every output format of ``netverify check``, by the name ``-o`` takes.

>>> from verifier.properties import CheckReport
>>> FORMATS
('text', 'json', 'yaml', 'junit', 'sarif', 'github')
>>> render(CheckReport(()), "text")
'0 properties: 0 hold, 0 violated, 0 unknown (0.0s)'
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import UsageError
from ..properties import CheckReport
from .describe import Invocation

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
    import yaml

    plain = json.loads(json.dumps(data, default=str))
    return yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, width=100)


#: The ``-o`` names (each renderer is imported when used: the CLI reads this list at start-up).
FORMATS: tuple[str, ...] = ("text", "json", "yaml", "junit", "sarif", "github")


def render(
    report: CheckReport, fmt: str, invocation: Invocation | None = None, *, color: bool = False
) -> str:
    """``report`` in format ``fmt``. ``color`` only affects ``text`` (ANSI colours for a terminal)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown output format {fmt!r} (formats: {', '.join(FORMATS)})")
    inv = invocation or Invocation()
    if fmt == "text":
        from .console import render_text

        return render_text(report, color=color)
    if fmt in ("json", "yaml"):
        from .json import render_json, report_dict

        return render_json(report, inv) if fmt == "json" else to_yaml(report_dict(report, inv))
    if fmt == "junit":
        from .junit import render_junit

        return render_junit(report)
    if fmt == "sarif":
        from .sarif import render_sarif

        return render_sarif(report, inv)
    from .github import render_github

    return render_github(report)
