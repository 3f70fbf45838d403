"""Reading manifests: YAML and JSON documents with line numbers, Kubernetes Lists flattened.

This is the only ingest module that touches files and streams. It turns each
source into :class:`RawObject` values (one per Kubernetes object, whatever
``kind: List`` / ``PodList`` wrapping it came in) whose mappings are
:class:`Map` dicts remembering the line of every key, so later stages can point
a :class:`~verifier.errors.Problem` at the exact field.

YAML is read with libyaml's event parser and composed here instead of with
``yaml.compose``: PyYAML's composer resolves every scalar through Python regexes
and builds a node tree we would then convert again, which made a 40 MB
``kubectl get -A -o yaml`` dump take 20 s. The event loop below does it in a
quarter of that. Nothing but dicts, lists, strings, numbers, booleans and
``None`` is ever constructed: tags are never used to build Python objects.
Where PyYAML was built without libyaml, the same events come from PyYAML's
pure-Python parser (slower, same values and line numbers).

JSON (a ``kubectl get -o json`` dump) is read object by object with the standard
library's C scanner into plain dicts and lists, and each object keeps its span of
the text: the same event loop (JSON is a subset of the YAML libyaml reads) gives
it its lines when a reader first asks for one (:meth:`RawObject.located`), which
only objects with a problem or with rules that point at their own line do. A
dump loads at the speed of :func:`json.loads`. JSON that is not one well-formed
object is read by the event loop whole, after :mod:`json` has said where it breaks.

>>> objs, problems = parse_text("kind: PodList\\napiVersion: v1\\nitems:\\n- metadata: {name: a}\\n", "x.yaml")
>>> [(o.kind, o.body["metadata"]["name"], str(o.source)) for o in objs], problems
([('Pod', 'a', 'x.yaml:4')], [])
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from ..errors import Problem
from ..model import Source

__all__ = [
    "MANIFEST_SUFFIXES",
    "SKIPPED",
    "Map",
    "RawObject",
    "Seq",
    "describe",
    "objects_from_data",
    "parse_once",
    "parse_text",
    "read_sources",
]

#: File name endings read when a directory is given.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class Map(dict):
    """A mapping from a manifest that remembers where it was written.

    ``line`` is the 1-based line of its first key (or of ``{``), ``key_lines``
    the line of each key. Built by the parser; never mutated afterwards.
    """

    __slots__ = ("key_lines", "line")

    # No __init__ override: the parser makes millions of these, and a Python
    # level __init__ costs a fifth of the parse time. Use :meth:`new`.
    line: int | None
    key_lines: dict[str, int]

    @classmethod
    def new(cls, items: Any = (), line: int | None = None) -> Map:
        m = cls(items)
        m.line = line
        m.key_lines = {}
        return m


class Seq(list):
    """A sequence from a manifest: ``line`` and the line of each item in ``item_lines``."""

    __slots__ = ("item_lines", "line")

    line: int | None
    item_lines: list[int | None]

    @classmethod
    def new(cls, items: Any = (), line: int | None = None) -> Seq:
        s = cls(items)
        s.line = line
        s.item_lines = [line] * len(s)
        return s


@dataclass(frozen=True, slots=True)
class RawObject:
    """One Kubernetes object as written: its kind, apiVersion, body and location.

    ``kind``/``api_version`` may come from the enclosing typed list (a ``PodList``
    item without ``kind`` is a ``Pod``); they are ``None`` when missing.

    ``body`` is a :class:`Map` that knows its lines, or, for JSON read on the fast
    path, plain dicts and lists: then ``lines`` gives the same body with its lines,
    parsed on first use (only an object that reports a problem, or whose rules
    point at their own lines, ever needs them).
    """

    kind: str | None
    api_version: str | None
    body: Map | dict
    source: Source
    lines: Callable[[], Map] | None = None

    def located(self) -> Map:
        """The body as a :class:`Map` with line numbers."""
        if isinstance(self.body, Map):
            return self.body
        return self.lines() if self.lines is not None else _from_json(self.body)


# --------------------------------------------------------------------------- sources


def read_sources(
    sources: Iterable[Any], *, strict: bool = False
) -> tuple[list[RawObject], list[Problem]]:
    """Every object of every source, in order, and the problems met reading them.

    A source is a path to a file or a directory (walked recursively in sorted
    order, only ``.yaml``/``.yml``/``.json`` files, hidden entries skipped),
    ``"-"`` for standard input, or an open text stream.

    A directory is a repository, not a clean dump: a file found by walking it
    that is no Kubernetes manifest (a Helm chart's ``values.yaml``, ``Chart.yaml``
    or templates, a ``kustomization.yaml``, a JSON configuration) is skipped with
    one warning saying why (see :func:`skip_reason`); ``strict`` makes that an
    error. A file named explicitly, or stdin, is always read as a manifest.
    """
    objects: list[RawObject] = []
    problems: list[Problem] = []
    for source in sources:
        for name, text, walked in _texts(source, problems):
            if walked and _chart_template(walked):
                problems.append(_skipped(name, None, _CHART_TEMPLATE, strict))
                continue
            objs, syntax, probs, roots = _parse_shared(text, name)
            if walked:
                skip = skip_reason(text, syntax, roots)
                if skip is not None:
                    problems.append(_skipped(name, skip[1], skip[0], strict))
                    continue
            objects.extend(objs)
            problems.extend(syntax + probs)
    return objects, problems


#: Texts parsed within :func:`parse_once`: text -> (file name, what ``_parse`` gave).
_shared: dict[str, tuple[str, tuple]] | None = None


@contextmanager
def parse_once() -> Iterator[None]:
    """Within this block a text read again is parsed once: the same file in both states of a
    ``diff`` (``--old dump.yaml main/ --new dump.yaml pr/``), or the same content under another
    directory (what a pull request left alone); its objects then name the file they were read
    from this time. Parsed values are never changed afterwards, so both loads may share them.

    >>> import io
    >>> with parse_once():
    ...     a, _ = read_sources([io.StringIO("kind: Namespace\\nmetadata: {name: a}\\n")])
    ...     b, _ = read_sources([io.StringIO("kind: Namespace\\nmetadata: {name: a}\\n")])
    >>> a[0].body is b[0].body
    True
    """
    global _shared
    outer = _shared
    if outer is None:
        _shared = {}
    try:
        yield
    finally:
        _shared = outer


def _parse_shared(
    text: str, name: str
) -> tuple[list[RawObject], list[Problem], list[Problem], list[Any]]:
    if _shared is None:
        return _parse_kept(text, name)
    found = _shared.get(text)
    if found is None:
        parsed = _parse_kept(text, name)
        _shared[text] = (name, parsed)
        return parsed
    return _relocated(found[1], found[0], name)


def _parse_kept(
    text: str, name: str
) -> tuple[list[RawObject], list[Problem], list[Problem], list[Any]]:
    """:func:`_parse`, through the cache of big YAML texts (:func:`cache.cached_parse`): the
    objects kept there name the file they were first read from, and are moved to ``name``."""
    if _looks_like_json(text, name):
        return _parse(text, name)  # read at json.load's speed already, and lazily located
    from .cache import cached_parse

    first, parsed = cached_parse(text, lambda: (name, _parse(text, name)))
    return _relocated(parsed, first, name)


def _relocated(
    parsed: tuple[list[RawObject], list[Problem], list[Problem], list[Any]], first: str, name: str
) -> tuple[list[RawObject], list[Problem], list[Problem], list[Any]]:
    """What ``first`` parsed to, as read from ``name`` (the same text under another name)."""
    objs, syntax, probs, roots = parsed
    if first == name:
        return list(objs), list(syntax), list(probs), roots

    def moved(p: Problem) -> Problem:
        return replace(p, file=name) if p.file == first else p

    return (
        [replace(o, source=replace(o.source, file=name)) for o in objs],
        [moved(p) for p in syntax],
        [moved(p) for p in probs],
        roots,
    )


_CHART_TEMPLATE = (
    "a Helm chart template; render the chart first (helm template ... | netverify check -f -)"
)
#: How a skipped file's warning starts (the CLI counts them apart).
SKIPPED = "skipped (not a Kubernetes manifest): "
#: Go/Jinja template actions: what makes Helm templates and their kin unreadable as YAML.
_TEMPLATE_ACTION = re.compile(r"\{\{|\{%")
#: A top-level kind or apiVersion key (YAML at column 0, or a JSON key anywhere).
_MANIFEST_KEY = re.compile(r'^(?:apiVersion|kind)\s*:|"(?:apiVersion|kind)"\s*:', re.MULTILINE)
#: API groups of build-tool configuration: how manifests are made, not cluster state.
_BUILD_CONFIG_GROUPS = ("kustomize.config.k8s.io", "config.kubernetes.io")


def skip_reason(
    text: str, syntax: list[Problem], roots: list[Any]
) -> tuple[str, int | None] | None:
    """Why a file found by walking a directory is no Kubernetes manifest, and the line; None if it is one.

    ``syntax`` are the file's YAML/JSON syntax problems, ``roots`` its documents.

    - a template: it does not parse and holds ``{{``/``{%`` actions (Helm, Jinja);
    - not YAML: it does not parse and has no top-level ``apiVersion``/``kind`` key.
      A file that has one is a broken manifest: its syntax errors stay errors,
      so a typo never makes a NetworkPolicy silently disappear;
    - no Kubernetes object: no document has a ``kind`` (nor ``apiVersion`` with
      ``metadata``): ``values.yaml``, ``Chart.yaml``, JSON configurations;
    - a kustomize configuration: the manifests it lists are loaded as written,
      but its patches and name changes are not applied.

    >>> text = "replicas: 2\\nimage: {repository: nginx}\\n"
    >>> skip_reason(text, [], [{"replicas": 2}])
    ('no document has a kind', None)
    """
    if syntax:
        action = _TEMPLATE_ACTION.search(text)
        if action is not None:
            line = text.count("\n", 0, action.start()) + 1
            return (
                f"a template ({action.group()} at line {line}), not YAML; render it first "
                "(e.g. helm template ... | netverify check -f -)",
                line,
            )
        if _MANIFEST_KEY.search(text) is None:
            first = syntax[0]
            return (
                f"not valid YAML or JSON ({first.message})",
                first.line,
            )
        return None
    meant = [
        r
        for r in roots
        if isinstance(r, Map) and ("kind" in r or ("apiVersion" in r and "metadata" in r))
    ]
    if not meant:
        present = [r for r in roots if r is not None]
        return ("no document has a kind", None) if present else None
    groups = [r.get("apiVersion") for r in meant]
    if all(isinstance(g, str) and g.split("/")[0] in _BUILD_CONFIG_GROUPS for g in groups):
        kinds = ", ".join(dict.fromkeys(str(r.get("kind")) for r in meant))
        return (
            f"a kustomize configuration ({kinds}): the manifests it lists "
            "are loaded as written, without its patches or name changes "
            "(kustomize build DIR | netverify check -f - loads what it deploys)",
            meant[0].line,
        )
    return None


def _chart_template(path: Path) -> bool:
    """A file under a Helm chart's ``templates/`` directory (its parent holds ``Chart.yaml``)."""
    for parent in path.parents:
        if parent.name == "templates" and (parent.parent / "Chart.yaml").is_file():
            return True
    return False


def _skipped(file: str, line: int | None, reason: str, strict: bool) -> Problem:
    if strict:
        return Problem(f"not a Kubernetes manifest (--strict): {reason}", file=file, line=line)
    return Problem(SKIPPED + reason, file=file, line=line, severity="warning")


def _texts(source: Any, problems: list[Problem]) -> Iterable[tuple[str, str, Path | None]]:
    """(file name, text, path when found by walking a directory) for every file a source stands for."""
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        yield (name if isinstance(name, str) else "<stream>"), _read_stream(source), None
        return
    if source == "-":
        yield "<stdin>", _read_stream(sys.stdin), None
        return
    if not isinstance(source, (str, os.PathLike)):
        problems.append(Problem(f"cannot read {source!r}: expected a path, '-' or a text stream"))
        return
    path = Path(source)
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() in MANIFEST_SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and p.is_file()
        )
        for f in files:
            text = _read_file(f, problems)
            if text is not None:
                yield str(f), text, f
        return
    text = _read_file(path, problems)
    if text is not None:
        yield str(path), text, None


def _read_stream(stream: TextIO) -> str:
    data = stream.read()
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    return data


def _read_file(path: Path, problems: list[Problem]) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem("no such file or directory", file=str(path)))
        return None
    except OSError as exc:
        problems.append(Problem(f"cannot read: {exc.strerror or exc}", file=str(path)))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.append(
            Problem(
                f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
                file=str(path),
                line=line,
                column=column,
            )
        )
        return None


# --------------------------------------------------------------------------- parsing


def parse_text(text: str, file: str = "<string>") -> tuple[list[RawObject], list[Problem]]:
    """The objects written in ``text`` (YAML, multi-document, or JSON), Lists flattened."""
    objects, syntax, problems, _ = _parse(text, file)
    return objects, syntax + problems


def _parse(text: str, file: str) -> tuple[list[RawObject], list[Problem], list[Problem], list[Any]]:
    """Objects, syntax problems, other problems, and each document's root value."""
    if _looks_like_json(text, file):
        fast = _read_json(text, file)
        if fast is not None:
            objects, root = fast
            return objects, [], [], [root]
    syntax: list[Problem] = []
    documents = _parse_documents(text, file, syntax)
    problems: list[Problem] = []
    objects: list[RawObject] = []
    for index, root in documents:
        if root is None:
            continue  # empty document, e.g. a trailing ``---``
        if not isinstance(root, Map):
            line = root.line if isinstance(root, Seq) else None
            problems.append(
                Problem(
                    f"expected a Kubernetes object (a mapping with apiVersion and kind), got {describe(root)}",
                    file=file,
                    line=line,
                )
            )
            continue
        _flatten(root, Source(file, root.line, index), None, None, objects, problems)
    return objects, syntax, problems, [root for _, root in documents]


def objects_from_data(
    values: Iterable[Any], file: str = "<objects>"
) -> tuple[list[RawObject], list[Problem]]:
    """Objects from already parsed data (plain dicts and lists, e.g. API responses), Lists flattened.

    Line numbers are unknown; each object's source says which value it came
    from (``document``) and where in its list (``item``).
    """
    objects: list[RawObject] = []
    problems: list[Problem] = []
    for index, value in enumerate(values):
        body = _from_json(value)
        if not isinstance(body, Map):
            problems.append(
                Problem(f"expected a Kubernetes object, got {describe(value)}", file=file)
            )
            continue
        _flatten(body, Source(file, None, index), None, None, objects, problems)
    return objects, problems


def _looks_like_json(text: str, file: str) -> bool:
    if file.lower().endswith(".json"):
        return True
    return text.lstrip()[:1] in ("{", "[")


def _parse_documents(text: str, file: str, problems: list[Problem]) -> list[tuple[int, Any]]:
    if _looks_like_json(text, file):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            if file.lower().endswith(".json"):
                problems.append(
                    Problem(
                        f"invalid JSON: {exc.msg}", file=file, line=exc.lineno, column=exc.colno
                    )
                )
                return []
            # Not a .json file: YAML flow style (``{a: 1}``) also starts with a brace.
            return _compose(text, file, problems, json_mode=False)
        return _compose_json(text, file)
    return _compose(text, file, problems, json_mode=False)


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _read_json(text: str, file: str) -> tuple[list[RawObject], Map] | None:
    """The objects of a JSON document, fast: plain values with lines found on demand.

    The top-level object (and a List's ``items``, one by one) is walked here with
    the standard library's C scanner, which parses each item and says where it
    ends; each object keeps its span of the text, and :class:`_JsonSpan` gives it
    its line numbers (the event loop over that span alone) when first asked. A
    ``kubectl get -A -o json`` dump loads at the speed of ``json.loads``.

    None when the text is anything but one well-formed JSON object whose Lists hold
    objects and no Lists (a syntax error, a nested List, an item that is no
    object): the line-tracking path reads it and reports what is wrong with it.
    As with :func:`json.loads` (and Go's decoder), a key written twice keeps its
    last value.
    """
    scan = _json_scanner()
    space = _JSON_SPACE.match
    body: dict[str, Any] = {}
    spans: list[tuple[int, int]] | None = None
    try:
        start = space(text, 0).end()
        if text[start] != "{":
            return None
        i = space(text, start + 1).end()
        if text[i] != "}":
            while True:
                if text[i] != '"':
                    return None
                key, i = scan(text, i)
                i = space(text, i).end()
                if text[i] != ":":
                    return None
                i = space(text, i + 1).end()
                if key == "items" and text[i] == "[":
                    value, spans, i = _json_items(text, i, scan, space)
                else:
                    value, i = scan(text, i)
                    if key == "items":
                        spans = None
                body[key] = value
                i = space(text, i).end()
                if text[i] == "}":
                    break
                if text[i] != ",":
                    return None
                i = space(text, i + 1).end()
        end = i + 1
        if space(text, end).end() != len(text):
            return None
    except (StopIteration, ValueError, IndexError, RecursionError):
        return None  # the C scanner's way of saying "not a value here", or the text ended
    line = text.count("\n", 0, start) + 1
    root = Map.new(body, line)
    kind, api_version = _kind_of(body, None, None)
    if not _is_list(kind, body):
        return [
            RawObject(
                kind,
                api_version,
                body,
                Source(file, line, 0),
                _JsonSpan(text, file, start, end, line),
            )
        ], root
    items = body.get("items")
    if items is None:
        return [], root
    if spans is None:
        return None  # ``items`` is no list: reported by the line-tracking path
    item_kind = None if kind == "List" else kind[: -len("List")]
    objects: list[RawObject] = []
    counted = 0
    for index, (item, (first, last)) in enumerate(zip(items, spans, strict=True)):
        if item is None:
            continue
        if not isinstance(item, dict):
            return None
        own_kind, own_version = _kind_of(item, item_kind, api_version if item_kind else None)
        if _is_list(own_kind, item):
            return None
        line += text.count("\n", counted, first)
        counted = first
        objects.append(
            RawObject(
                own_kind,
                own_version,
                item,
                Source(file, line, 0, index),
                _JsonSpan(text, file, first, last, line),
            )
        )
    return objects, root


def _json_items(
    text: str, i: int, scan: Any, space: Any
) -> tuple[list[Any], list[tuple[int, int]], int]:
    """The array at ``text[i]`` (a ``[``): its values, each one's span, and the end of the array."""
    values: list[Any] = []
    spans: list[tuple[int, int]] = []
    i = space(text, i + 1).end()
    if text[i] == "]":
        return values, spans, i + 1
    while True:
        value, end = scan(text, i)
        values.append(value)
        spans.append((i, end))
        i = space(text, end).end()
        if text[i] == "]":
            return values, spans, i + 1
        if text[i] != ",":
            raise ValueError("expected , or ]")
        i = space(text, i + 1).end()


def _json_scanner() -> Any:
    """The standard library's JSON value scanner (its C version when built): ``scan(text, i)``."""
    return json.scanner.make_scanner(json.JSONDecoder())


@dataclass(slots=True)
class _JsonSpan:
    """One JSON object of a file, by its place in the text: its :class:`Map` with lines, on demand."""

    text: str
    file: str
    start: int
    end: int
    line: int
    _located: Map | None = None

    def __call__(self) -> Map:
        if self._located is None:
            root = _compose_json(self.text[self.start : self.end], self.file, self.line)[0][1]
            if root.line is None:  # libyaml refused it even rewritten: no lines below
                root.line = self.line
            self._located = root
        return self._located


def _compose_json(text: str, file: str, first_line: int = 1) -> list[tuple[int, Any]]:
    """Valid JSON read with its line numbers (see :func:`_compose`)."""
    docs = _compose(text, file, [], json_mode=True, first_line=first_line)
    if not docs and text.strip():
        # Valid JSON that libyaml refuses: tabs, surrogate-pair escapes. Both can be
        # rewritten without moving a line; what still fails (a key longer than 1024
        # characters) keeps its values, without line numbers.
        docs = _compose(_yaml_friendly(text), file, [], json_mode=True, first_line=first_line)
        docs = docs or [(0, _from_json(json.loads(text)))]
    return docs


_SURROGATE_PAIR = re.compile(
    r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE
)


def _yaml_friendly(text: str) -> str:
    """Valid JSON rewritten for libyaml: tabs to spaces (valid JSON has tabs only between
    tokens) and ``\\ud83d\\ude00`` escapes to the character they encode."""

    def join(m: re.Match) -> str:
        high, low = int(m.group(2), 16), int(m.group(3), 16)
        return m.group(1) + chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))

    return _SURROGATE_PAIR.sub(join, text.replace("\t", " "))


def _from_json(value: Any) -> Any:
    """Plain data as line-less Map/Seq values; keys become strings, as YAML-to-JSON does."""
    if isinstance(value, dict):
        return Map.new({str(k): _from_json(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return Seq.new(_from_json(v) for v in value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


_MERGE = object()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_TAG = "tag:yaml.org,2002:"


def _resolve_plain(value: str) -> Any:
    """A plain YAML 1.1 scalar's value, as PyYAML's SafeLoader would give it.

    Timestamps stay strings: Kubernetes reads them as strings too.
    """
    for tag, regexp in _IMPLICIT.get(value[:1], ()):
        if regexp.match(value):
            return _construct(tag, value)
    return value


def _construct(tag: str, value: str) -> Any:
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        return _CONSTRUCTOR.bool_values[value.lower()]
    if tag == _TAG + "int":
        return _CONSTRUCTOR.construct_yaml_int(yaml.ScalarNode(tag, value))
    if tag == _TAG + "float":
        return _CONSTRUCTOR.construct_yaml_float(yaml.ScalarNode(tag, value))
    if tag == _TAG + "merge":
        return _MERGE
    return value  # str, timestamp, value ("="), binary and unknown tags: the text


def _resolve_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _libyaml() -> Any:
    """PyYAML's libyaml binding (``yaml._yaml``), or None when PyYAML was built without it."""
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        from yaml import _yaml
    except ImportError:
        return None
    return _yaml if hasattr(_yaml, "CParser") else None


def _event_parser(text: str) -> Any:
    """A YAML event source for ``text``: libyaml's when available, else PyYAML's pure-Python parser.

    Both give the same events with the same marks; neither constructs objects
    (the composer below builds only plain values). The pure-Python reader checks
    the text when it is created, so this may raise a ``yaml.YAMLError``.
    """
    binding = _libyaml()
    if binding is not None:
        return binding.CParser(text)
    return yaml.SafeLoader(text)  # used for its Reader/Scanner/Parser only: get_event()


#: Keys whose subtrees no converter reads, by the key of the mapping (or list of mappings)
#: holding them: a dump's pods are mostly these (150-250 lines each, about 40 of them read),
#: and keeping them alive made the parse 10x the model's size.
_CONTAINER_ONLY = frozenset(
    {
        "args",
        "command",
        "env",
        "envFrom",
        "lifecycle",
        "livenessProbe",
        "readinessProbe",
        "resizePolicy",
        "resources",
        "securityContext",
        "startupProbe",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "volumeDevices",
        "volumeMounts",
    }
)
_PRUNED: dict[str, frozenset[str]] = {
    "metadata": frozenset({"managedFields"}),
    "spec": frozenset({"volumes"}),  # a pod's (or pod template's) volumes
    "containers": _CONTAINER_ONLY,
    "initContainers": _CONTAINER_ONLY,
    "ephemeralContainers": _CONTAINER_ONLY,
    "status": frozenset(
        {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}
    ),
}
_KEEP_ALL: frozenset[str] = frozenset()


def _compose(
    text: str,
    file: str,
    problems: list[Problem],
    *,
    json_mode: bool,
    pruning: bool = True,
    first_line: int = 1,
) -> list[tuple[int, Any]]:
    """(document index, value) for each document of ``text``; syntax errors become problems.

    Subtrees no converter reads are skipped, not built (:data:`_PRUNED`), unless one of
    them holds a YAML anchor: then the text is parsed again, whole. ``first_line`` is the
    line ``text`` starts on in its file (a JSON object read from the middle of one).

    Written as closures over local names because this loop runs once per YAML
    event (millions for a cluster dump) and attribute lookups dominate its cost.
    """
    problems_before = len(problems)
    base = first_line
    get: Any = None  # the event source's get_event, set in the try below
    cache: dict[str, Any] = {}
    anchors: dict[str, Any] = {}
    building: set[str] = set()
    resolve = _resolve_json if json_mode else _resolve_plain
    SE, MS, ME, QS, QE, AE = (
        ScalarEvent,
        MappingStartEvent,
        MappingEndEvent,
        SequenceStartEvent,
        SequenceEndEvent,
        AliasEvent,
    )

    def problem(message: str, mark: Any) -> None:
        problems.append(Problem(message, file=file, line=mark.line + base, column=mark.column + 1))

    def scalar(e: Any) -> Any:
        v = e.value
        if not e.style and e.tag is None:  # plain: resolve null/bool/int/float
            try:
                val = cache[v]
            except KeyError:
                val = cache[v] = resolve(v)
        elif e.tag is None or e.tag == "!" or e.tag == _TAG + "str":
            val = v
        else:  # explicitly tagged: !!int "3" and friends; unknown tags keep the text
            try:
                val = _construct(e.tag, v)
            except (ValueError, KeyError):
                problem(f"invalid value {v!r} for tag {e.tag}", e.start_mark)
                val = v
            if val is _MERGE:
                val = v
        if e.anchor is not None:
            anchors[e.anchor] = val
        return val

    def alias(e: Any) -> Any:
        if e.anchor in building:
            problem(f"recursive alias *{e.anchor} is not supported", e.start_mark)
            return None
        if e.anchor not in anchors:
            problem(f"unknown alias *{e.anchor}", e.start_mark)
            return None
        return anchors[e.anchor]

    def mapping(start: Any, prune: frozenset[str] = _KEEP_ALL) -> Map:
        m = Map()
        m.line = start.start_mark.line + base
        kl = m.key_lines = {}
        merges: list[tuple[Any, Any]] = []
        if start.anchor is not None:
            building.add(start.anchor)
        while True:
            k = get()
            tk = type(k)
            if tk is ME:
                break
            if tk is SE:
                key = k.value
                merge = key == "<<" and not k.style and k.tag is None
                if k.anchor is not None:
                    anchors[k.anchor] = key
            else:
                # A mapping or sequence used as a key: Kubernetes objects never do this.
                problem("a mapping key must be a plain string", k.start_mark)
                skip(k)
                skip(get())
                continue
            v = get()
            tv = type(v)
            if prune and key in prune and tv is not SE and pruning:
                skip(v)  # a subtree no converter reads (container env, probes, managedFields...)
                continue
            if tv is SE:
                if not v.style and v.tag is None and v.anchor is None:
                    # Inlined fast path of scalar(): most values are plain.
                    text = v.value
                    try:
                        val = cache[text]
                    except KeyError:
                        val = cache[text] = resolve(text)
                else:
                    val = scalar(v)
            elif tv is MS:
                val = mapping(v, _PRUNED.get(key, _KEEP_ALL))
            elif tv is QS:
                val = sequence(v, _PRUNED.get(key, _KEEP_ALL))
            else:
                val = alias(v)
            if merge:
                merges.append((val, k.start_mark))
                continue
            if key in m:
                problem(f"duplicate key {key!r} (first at line {kl[key]})", k.start_mark)
                continue
            m[key] = val
            kl[key] = k.start_mark.line + base
        for val, mark in merges:
            merge_into(m, val, mark)
        if start.anchor is not None:
            building.discard(start.anchor)
            anchors[start.anchor] = m
        return m

    def merge_into(m: Map, val: Any, mark: Any) -> None:
        """YAML merge keys (``<<: *defaults``): keys written in the mapping win."""
        sources = val if isinstance(val, list) else [val]
        for src in sources:
            if not isinstance(src, Map):
                problem("a merge key (<<) needs a mapping or a list of mappings", mark)
                return
            for key, value in src.items():
                if key not in m:
                    m[key] = value
                    m.key_lines[key] = src.key_lines.get(key, mark.line + base)

    def sequence(start: Any, prune: frozenset[str] = _KEEP_ALL) -> Seq:
        s = Seq()
        s.line = start.start_mark.line + base
        s.item_lines = []
        if start.anchor is not None:
            building.add(start.anchor)
        app = s.append
        lines = s.item_lines.append
        while True:
            v = get()
            tv = type(v)
            if tv is SE:
                app(scalar(v))
                lines(v.start_mark.line + base)
            elif tv is MS:
                m = mapping(v, prune)  # the items of ``containers`` are containers
                app(m)
                lines(m.line)
            elif tv is QS:
                q = sequence(v)
                app(q)
                lines(q.line)
            elif tv is QE:
                break
            else:
                app(alias(v))
                lines(v.start_mark.line + base)
        if start.anchor is not None:
            building.discard(start.anchor)
            anchors[start.anchor] = s
        return s

    def skip(e: Any) -> None:
        """Consume the rest of a node we do not keep.

        Only noting whether it holds an anchor (an alias event's anchor is the name it
        refers to, not one it defines). Written for speed: a dump's pods are mostly this.
        """
        nonlocal anchored
        t = type(e)
        if t is AE:
            return
        seen = e.anchor is not None
        if t is SE:
            anchored = anchored or seen
            return
        depth = 1
        while depth:
            e = get()
            t = type(e)
            if t is SE:
                if e.anchor is not None:
                    seen = True
            elif t is ME or t is QE:
                depth -= 1
            elif t is MS or t is QS:
                depth += 1
                if e.anchor is not None:
                    seen = True
        if seen:
            anchored = True

    #: Did a pruned subtree hold an anchor (that a kept part may use)? Then parse again, whole.
    anchored = False
    docs: list[tuple[int, Any]] = []
    index = -1
    try:
        get = _event_parser(text).get_event
        while True:
            e = get()
            if e is None:
                break
            t = type(e)
            if t is DocumentStartEvent:
                index += 1
                anchors.clear()  # anchors do not cross documents
                root = None
            elif t is MS:
                root = mapping(e)
            elif t is QS:
                root = sequence(e)
            elif t is SE:
                root = scalar(e)
            elif t is AE:
                root = alias(e)
            elif t is DocumentEndEvent:
                docs.append((index, root))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = "JSON" if json_mode else "YAML"
        message = f"invalid {what}: {exc.problem or exc.context or 'syntax error'}"
        if exc.context and exc.problem:
            message = f"invalid {what}: {exc.problem} ({exc.context})"
        problems.append(
            Problem(
                message,
                file=file,
                line=mark.line + base if mark else None,
                column=mark.column + 1 if mark else None,
            )
        )
    except RecursionError:
        problems.append(
            Problem(f"invalid {'JSON' if json_mode else 'YAML'}: nested too deeply", file=file)
        )
    except yaml.YAMLError as exc:  # reader errors (control characters...) carry a position
        position = getattr(exc, "position", None)
        line = column = None
        if isinstance(position, int):
            line = text.count("\n", 0, position) + base
            column = position - (text.rfind("\n", 0, position) + 1) + 1
        problems.append(Problem(f"invalid YAML: {exc}", file=file, line=line, column=column))
    if anchored and pruning:
        del problems[problems_before:]
        return _compose(
            text, file, problems, json_mode=json_mode, pruning=False, first_line=first_line
        )
    return docs


# --------------------------------------------------------------------------- lists


def _flatten(
    body: Map,
    source: Source,
    kind: str | None,
    api_version: str | None,
    out: list[RawObject],
    problems: list[Problem],
) -> None:
    """Append ``body`` to ``out``, unwrapping (nested) ``List``/``PodList``/... objects.

    ``kind``/``api_version`` are the defaults a typed list gives its items.
    """
    kind, api_version = _kind_of(body, kind, api_version)
    items = body.get("items", ())
    if _is_list(kind, body):
        if items is None:
            return
        if not isinstance(items, Seq):
            problems.append(
                Problem(
                    f"expected a list of objects, got {describe(items)}",
                    file=source.file,
                    line=body.key_lines.get("items", body.line),
                    kind=kind,
                    field="items",
                )
            )
            return
        item_kind = None if kind == "List" else kind[: -len("List")]
        for i, item in enumerate(items):
            line = items.item_lines[i] if i < len(items.item_lines) else None
            if item is None:
                continue
            if not isinstance(item, Map):
                problems.append(
                    Problem(
                        f"expected an object, got {describe(item)}",
                        file=source.file,
                        line=line,
                        kind=kind,
                        field=f"items[{i}]",
                    )
                )
                continue
            _flatten(
                item,
                Source(source.file, item.line, source.document, i),
                item_kind,
                api_version if item_kind else None,
                out,
                problems,
            )
        return
    out.append(RawObject(kind, api_version, body, source))


def _kind_of(
    body: dict, kind: str | None, api_version: str | None
) -> tuple[str | None, str | None]:
    """The object's own kind and apiVersion, else those its typed list gives it."""
    own_kind = body.get("kind")
    own_version = body.get("apiVersion")
    return (
        own_kind if isinstance(own_kind, str) and own_kind else kind,
        own_version if isinstance(own_version, str) and own_version else api_version,
    )


def _is_list(kind: str | None, body: dict) -> bool:
    """A ``List`` (or ``PodList``... holding ``items``): a wrapper, not an object."""
    return kind is not None and (kind == "List" or (kind.endswith("List") and "items" in body))


def describe(value: Any) -> str:
    """How a value reads in an error message: ``a list``, ``the string 'x'``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
