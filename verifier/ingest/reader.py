"""Typed, located field access to manifests; every mistake becomes a :class:`Problem`.

A :class:`Reader` wraps one mapping of a manifest together with its dotted path
(``spec.ports[0]``) and the :class:`Origin` (file and object) to blame. Its
accessors check the type of what they read, record a problem pointing at the
field's own line when something is wrong, and return a usable default, so a
converter reads a whole object and reports *every* problem in one pass without
ever raising.

>>> from verifier.ingest.documents import parse_text
>>> objs, _ = parse_text("spec:\\n  ports:\\n  - port: x\\n")
>>> origin = Origin("a.yaml", "Service", "default", "web")
>>> spec = Reader(objs[0].body, "", origin).map("spec")
>>> [p.int("port", required=True) for p in spec.maps("ports")]
[None]
>>> print(origin.problems[0])
a.yaml:3: Service default/web: spec.ports[0].port: expected an integer, got the string 'x'
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem
from ..model import Source
from .documents import Map, describe

__all__ = ["Origin", "Reader", "index", "join", "one_of"]


@dataclass
class Origin:
    """The object being read, and where its problems go."""

    file: str
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    problems: list[Problem] = field(default_factory=list)
    #: What was reported already: reading a field twice must not report it twice.
    _seen: set = field(default_factory=set, repr=False, compare=False)

    def report(
        self,
        message: str,
        field: str | None = None,
        line: int | None = None,
        severity: str = "error",
    ) -> None:
        key = (message, field, line, severity)
        if key in self._seen:
            return
        self._seen.add(key)
        self.problems.append(
            Problem(
                message,
                file=self.file,
                line=line,
                kind=self.kind,
                namespace=self.namespace,
                name=self.name,
                field=field or None,
                severity=severity,
            )
        )


def join(path: str, key: str) -> str:
    """``spec`` + ``ports`` -> ``spec.ports``."""
    return f"{path}.{key}" if path else key


def index(path: str, i: int | str) -> str:
    """``spec.ports`` + 0 -> ``spec.ports[0]``; map entries render as ``labels[app]``."""
    return f"{path}[{i}]"


def one_of(choices: Collection[str]) -> str:
    items = [repr(c) for c in choices]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


class Reader:
    """Reads the fields of one mapping; see the module docstring.

    Paths are built only when a problem is reported: a cluster dump creates
    hundreds of thousands of readers and almost none of them report anything.
    """

    __slots__ = ("_key", "_line", "_located", "_parent", "_path", "data", "origin", "present")

    def __init__(
        self,
        data: Map | dict,
        path: str,
        origin: Origin,
        line: int | None = None,
        located: Callable[[], Map] | None = None,
    ):
        self.data = data
        self.origin = origin
        self._line = line if line is not None else _UNKNOWN
        self._located = located
        self._parent: Reader | None = None
        self._key: str | tuple[str, int] | None = None
        self._path: str | None = path
        #: False for the empty stand-in of an absent or invalid mapping (see map_or_empty).
        self.present = True

    def _child(self, data: Map | dict, key: str | tuple[str, int]) -> Reader:
        child = Reader.__new__(Reader)
        child.data = data
        child.origin = self.origin
        child._line = _UNKNOWN
        child._located = None
        child._parent = self
        child._key = key
        child._path = None
        child.present = True
        return child

    @property
    def path(self) -> str:
        """The dotted path of this mapping, e.g. ``spec.ports[0]``."""
        if self._path is None:
            key = self._key
            if isinstance(key, tuple):
                self._path = index(join(self._parent.path, key[0]), key[1])
            else:
                self._path = join(self._parent.path, key)
        return self._path

    # ----- locations and problems
    #
    # Lines are found when first asked for: JSON read on the fast path has none
    # until an object is located (see RawObject.located), and most readers are
    # never asked.

    @property
    def line(self) -> int | None:
        """The line of this mapping: that of its key (``spec:``) or list item, else its own."""
        line = self._line
        if line is _UNKNOWN:
            line = self._line = self._find_line()
        return line

    def _find_line(self) -> int | None:
        key = self._key
        if isinstance(key, str):
            return self._parent.line_of(key)
        own = self._lines()
        if own is not None and own.line is not None:
            return own.line
        return self._parent.item_line(*key) if key is not None else None

    def _lines(self) -> Map | None:
        """This reader's mapping as a :class:`Map` with line numbers; None when there is none."""
        data = self.data
        if isinstance(data, Map):
            return data
        if self._parent is None:
            return self._located() if self._located is not None else None
        parent = self._parent._lines()
        if parent is None:
            return None
        key = self._key
        if isinstance(key, tuple):
            items = parent.get(key[0])
            found = items[key[1]] if isinstance(items, list) and key[1] < len(items) else None
        else:
            found = parent.get(key)
        return found if isinstance(found, Map) else None

    def line_of(self, key: str) -> int | None:
        """The line of ``key:`` in this mapping (this mapping's line when absent)."""
        own = self._lines()
        return own.key_lines.get(key, self.line) if own is not None else self.line

    def item_line(self, key: str, i: int) -> int | None:
        """The line of item ``i`` of list field ``key``."""
        own = self._lines()
        items = own.get(key) if own is not None else None
        lines = getattr(items, "item_lines", None)
        if lines and i < len(lines):
            return lines[i]
        return getattr(items, "line", None) or self.line_of(key)

    def entry_line(self, key: str, entry: str) -> int | None:
        """The line of ``entry:`` in mapping field ``key`` (``metadata.labels[app]``)."""
        own = self._lines()
        value = own.get(key) if own is not None else None
        if isinstance(value, Map):
            return value.key_lines.get(entry, value.line)
        return self.line_of(key)

    def field(self, key: str | None = None) -> str:
        return join(self.path, key) if key else self.path

    def item_field(self, key: str, i: int | str) -> str:
        """The path of entry ``i`` of field ``key``: ``spec.ports[0]``, ``metadata.labels[app]``."""
        return index(join(self.path, key), i)

    def source(self, base: Source) -> Source:
        """``base`` pointing at this mapping's line."""
        return base.at(self.line)

    def error(
        self, key: str | None, message: str, *, line: int | None = None, severity: str = "error"
    ) -> None:
        """Report a problem with ``key`` (or with this mapping when ``key`` is None)."""
        if line is None:
            line = self.line_of(key) if key else self.line
        self.origin.report(message, self.field(key), line, severity)

    def warn(self, key: str | None, message: str, *, line: int | None = None) -> None:
        self.error(key, message, line=line, severity="warning")

    def item_error(
        self, key: str, i: int | str, line: int | None, message: str, *, severity: str = "error"
    ) -> None:
        """Report a problem with entry ``i`` of field ``key``: a list item or a map key.

        ``line`` is the entry's line when the caller has it.
        """
        if line is None:
            line = self.item_line(key, i) if isinstance(i, int) else self.entry_line(key, i)
        self.origin.report(message, self.item_field(key, i), line, severity)

    # ----- raw access

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def has(self, key: str) -> bool:
        """True when ``key`` is present and not null (null means unset in Kubernetes)."""
        return self.data.get(key) is not None

    def _missing(self, key: str, required: bool) -> None:
        if required:
            self.error(key, "missing required field")

    def _wrong(self, key: str, expected: str, value: Any) -> None:
        self.error(key, f"expected {expected}, got {describe(value)}")

    # ----- scalars

    def str(
        self,
        key: str,
        *,
        required: bool = False,
        default: str | None = None,
        choices: Collection[str] | None = None,
        check: Callable[[str], str | None] | None = None,
        nonempty: bool = False,
    ) -> str | None:
        """A string field; ``check`` returns an error message for bad values."""
        value = self.data.get(key)
        if value is None:
            self._missing(key, required)
            return default
        if not isinstance(value, str):
            self._wrong(key, "a string", value)
            return default
        if value == "" and (nonempty or required):
            self.error(key, "must not be empty")
            return default
        if choices is not None and value not in choices:
            self.error(key, f"must be {one_of(choices)}, got {value!r}")
            return default
        if check is not None and value != "":
            message = check(value)
            if message:
                self.error(key, message)
                return default
        return value

    def int(
        self,
        key: str,
        *,
        required: bool = False,
        default: int | None = None,
        lo: int | None = None,
        hi: int | None = None,
    ) -> int | None:
        value = self.data.get(key)
        if value is None:
            self._missing(key, required)
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong(key, "an integer", value)
            return default
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            if hi is None:
                self.error(key, f"must be at least {lo}, got {value}")
            elif lo is None:
                self.error(key, f"must be at most {hi}, got {value}")
            else:
                self.error(key, f"must be between {lo} and {hi}, got {value}")
            return default
        return value

    def bool(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self._wrong(key, "true or false", value)
            return default
        return value

    def port(self, key: str, *, required: bool = False) -> int | None:
        """A port number, 1-65535."""
        return self.int(key, required=required, lo=1, hi=65535)

    def int_or_str(self, key: str) -> int | str | None:
        """An IntOrString field (``targetPort``, policy ``port``): the raw int or str."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self._wrong(key, "a number or a name", value)
            return None
        return value

    # ----- containers

    def map(self, key: str, *, required: bool = False) -> Reader | None:
        """The nested mapping ``key`` as a Reader; None when absent, null or of the wrong type.

        The Reader's line is that of ``key:`` so problems with the mapping as a
        whole point at its name.
        """
        value = self.data.get(key)
        if value is None:
            self._missing(key, required)
            return None
        if not isinstance(value, dict):
            self._wrong(key, "a mapping", value)
            return None
        return self._child(value, key)

    def map_or_empty(self, key: str, *, required: bool = False) -> Reader:
        """Like :meth:`map`, but absent, null or invalid reads as ``{}`` (Go's zero value).

        The stand-in has ``present`` False, so "at least one" checks can stay
        quiet about a mapping already reported as missing or invalid.
        """
        found = self.map(key, required=required)
        if found is not None:
            return found
        empty = self._child(_EMPTY, key)
        empty.present = False
        return empty

    def str_map(self, key: str, *, check_key=None, check_value=None) -> dict[str, str]:
        """A ``map[string]string`` (labels, selectors, nodeSelector); bad entries are reported and dropped."""
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._wrong(key, "a mapping of strings", value)
            return {}
        out: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(v, str):
                self.item_error(key, k, None, f"expected a string, got {describe(v)}")
                continue
            message = (check_key and check_key(k)) or (check_value and check_value(v))
            if message:
                self.item_error(key, k, None, message)
                continue
            out[k] = v
        return out

    def items(self, key: str) -> list[tuple[Any, int, int | None]]:
        """The entries of list field ``key`` as (value, index, line); [] when absent or null."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self._wrong(key, "a list", value)
            return []
        lines = getattr(value, "item_lines", None) or [None] * len(value)
        return list(zip(value, range(len(value)), lines, strict=True))

    def maps(self, key: str) -> list[Reader]:
        """The mappings in list field ``key``. A null entry reads as ``{}``, as Go decodes it."""
        out: list[Reader] = []
        for value, i, line in self.items(key):
            if value is None:
                value = _EMPTY
            if not isinstance(value, dict):
                self.item_error(key, i, line, f"expected a mapping, got {describe(value)}")
                continue
            out.append(self._child(value, (key, i)))
        return out

    def strs(
        self, key: str, *, check: Callable[[str], str | None] | None = None
    ) -> list[tuple[str, int, int | None]]:
        """The strings in list field ``key`` as (value, index, line); bad entries reported and dropped."""
        out = []
        for value, i, line in self.items(key):
            if not isinstance(value, str):
                self.item_error(key, i, line, f"expected a string, got {describe(value)}")
                continue
            message = check(value) if check else None
            if message:
                self.item_error(key, i, line, message)
                continue
            out.append((value, i, line))
        return out


#: What an absent or null mapping reads as; its readers take their line from their key.
_EMPTY = Map.new()
#: A reader's line before it is first asked for.
_UNKNOWN: Any = object()
