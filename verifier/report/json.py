"""``netverify check -o json``: the report as one JSON document.

The shape of each result is :meth:`PropertyResult.to_dict` and the summary is
:meth:`CheckReport.to_dict`'s, so the notebook API and the CLI can never
disagree; this module only adds the exit code the process ends with.

>>> from verifier.properties import CheckReport, PropertyResult, Status
>>> r = PropertyResult("isolation", "isolation", Status.HOLDS, "policies isolate", seconds=0.25)
>>> print(render_json(CheckReport((r,), 0.3), Invocation(exit_code=0), indent=None))  # doctest: +NORMALIZE_WHITESPACE
{"inferred": [], "results": [{"property": "isolation", "status": "holds", "seconds": 0.25, "statement": "policies isolate",
  "counterexamples": [], "truncated": false, "more_counterexamples": null, "reason": null, "findings": []}],
 "summary": {"holds": 1, "violated": 0, "suppressed": 0, "unknown": 0,
  "suppressed_counterexamples": {"annotation": 0, "baseline": 0}, "baseline": null, "seconds": 0.3, "exit_code": 0}}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from ..properties import CheckReport
from .describe import Invocation

__all__ = ["dumps", "dumps_chunks", "render_json", "report_dict"]


def dumps(data: Any, *, indent: int | None = 2) -> str:
    """``json.dumps(data, indent=indent, default=str)``, the same text, with an indented
    document encoded in C (orjson): the standard library indents in pure Python, which was
    most of ``matrix -o json`` on thousands of pods.

    >>> print(dumps({"a": [1, "x"]}))
    {
      "a": [
        1,
        "x"
      ]
    }
    """
    if indent == 2:
        import orjson

        # As the standard library does: dates and dataclasses print as str() gives them,
        # keys that are not strings become strings.
        options = (
            orjson.OPT_INDENT_2
            | orjson.OPT_NON_STR_KEYS
            | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS
        )
        try:
            return orjson.dumps(data, default=str, option=options).decode()
        except (TypeError, orjson.JSONEncodeError):
            pass  # e.g. an integer beyond 64 bits: the standard library writes it
    return json.dumps(data, indent=indent, default=str)


def report_dict(report: CheckReport, invocation: Invocation | None = None) -> dict[str, Any]:
    """``{"results": [...], "summary": {holds, violated, unknown, seconds, exit_code}}``."""
    data = report.to_dict()
    data["summary"]["exit_code"] = invocation.exit_code if invocation else None
    return data


def dumps_chunks(head: dict[str, Any], key: str, rows: Iterable[tuple[str, Any]]) -> Iterator[str]:
    """``dumps({**head, key: dict(rows)})`` in pieces, one row at a time: a document too big
    to hold twice (the matrix of 10,000 pods is 290 MB of JSON) is written as it is made.

    >>> "".join(dumps_chunks({"a": 1}, "rows", iter([("x", [1])]))) == dumps({"a": 1, "rows": {"x": [1]}})
    True
    """
    text = dumps({**head, key: {}})
    empty = f"  {dumps(key)}: {{}}\n}}"
    assert text.endswith(empty), text[-80:]
    yield text[: -len(empty)] + f"  {dumps(key)}: {{"
    first = True
    for name, value in rows:
        body = dumps(value).replace("\n", "\n    ")
        yield ("\n" if first else ",\n") + f"    {dumps(name)}: {body}"
        first = False
    yield "}\n}" if first else "\n  }\n}"


def render_json(
    report: CheckReport, invocation: Invocation | None = None, *, indent: int | None = 2
) -> str:
    # default=str: details dicts may hold IPs or other small values without a JSON type.
    return dumps(report_dict(report, invocation), indent=indent)
