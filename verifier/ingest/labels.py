"""Labels and LabelSelectors read from manifests (semantics.md §2).

>>> from verifier.ingest.documents import parse_text
>>> from verifier.ingest.reader import Origin, Reader
>>> objs, _ = parse_text("sel: {matchLabels: {app: web}, matchExpressions: [{key: env, operator: Exists}]}")
>>> str(read_selector(Reader(objs[0].body, "", Origin("x")), "sel"))
'app=web,env'
"""

from __future__ import annotations

from ..model import Labels, LabelSelector, Requirement
from .reader import Reader, one_of
from .syntax import label_key_error, label_value_error

__all__ = ["OPERATORS", "read_labels", "read_selector"]

#: LabelSelector operators; Gt/Lt exist only in node selectors (semantics.md §2.2).
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_SELECTOR_FIELDS = ("matchLabels", "matchExpressions")


def read_labels(reader: Reader, key: str = "labels") -> Labels:
    """A label map; invalid keys or values are reported and dropped."""
    return Labels(reader.str_map(key, check_key=label_key_error, check_value=label_value_error))


def read_selector(reader: Reader, key: str) -> LabelSelector | None:
    """The LabelSelector in field ``key``: ``None`` when absent or null, else the AND of its requirements.

    ``matchLabels: null`` (netpol recipe 04) reads as no requirement, as the
    API server decodes it. Unknown fields are errors: a typo such as
    ``matchLabel`` would otherwise silently select everything.
    """
    sel = reader.map(key)
    if sel is None:
        return None
    for name in sel.data:
        if name not in _SELECTOR_FIELDS:
            sel.error(
                name, f"unknown field {name!r} (a label selector has {one_of(_SELECTOR_FIELDS)})"
            )
    requirements = [
        Requirement(k, "In", (v,))
        for k, v in sorted(
            sel.str_map(
                "matchLabels", check_key=label_key_error, check_value=label_value_error
            ).items()
        )
    ]
    for expr in sel.maps("matchExpressions"):
        req = _read_requirement(expr)
        if req is not None:
            requirements.append(req)
    return LabelSelector(tuple(requirements))


def _read_requirement(expr: Reader) -> Requirement | None:
    key = expr.str("key", required=True, check=label_key_error)
    operator = expr.str("operator", required=True, choices=OPERATORS)
    raw = expr.get("values")
    written = len(raw) if isinstance(raw, list) else 0
    values = tuple(v for v, _, _ in expr.strs("values", check=label_value_error))
    ok = key is not None and operator is not None and len(values) == written
    if operator in ("In", "NotIn") and isinstance(raw, list | None) and not written:
        expr.error(
            "values" if raw is not None else None, f"operator {operator} needs at least one value"
        )
        ok = False
    elif operator in ("Exists", "DoesNotExist") and written:
        expr.error("values", f"operator {operator} takes no values")
        ok = False
    if not ok:
        return None
    # Duplicate values change nothing; keep the first of each, in written order.
    return Requirement(key, operator, tuple(dict.fromkeys(values)))
