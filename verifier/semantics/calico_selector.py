"""Calico selector expressions (semantics.md §5.2), parsed once and evaluated over labels.

Pure functions over strings and label maps: used for IPPool ``nodeSelector``
at ingest, and meant for Calico policy selectors too.

>>> matches("has(zone) && env != 'prod'", {"zone": "a"})
True
>>> matches("role in {'db', 'cache'} || all()", {})
True
>>> matches("!all()", {"a": "b"})
False
>>> selector_error("app == web")
"expected a quoted string after '==' at position 7"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Selector", "matches", "parse", "selector_error"]

Labels = Mapping[str, str]


class Selector:
    """A parsed selector; ``matches(labels)`` evaluates it."""

    __slots__ = ()

    def matches(self, labels: Labels) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class All(Selector):
    def matches(self, labels: Labels) -> bool:
        return True

    def __str__(self) -> str:
        return "all()"


@dataclass(frozen=True, slots=True)
class Global(Selector):
    """``global()``: non-namespaced resources. Labels of a pod or node never match it."""

    def matches(self, labels: Labels) -> bool:
        return False

    def __str__(self) -> str:
        return "global()"


@dataclass(frozen=True, slots=True)
class Has(Selector):
    key: str

    def matches(self, labels: Labels) -> bool:
        return self.key in labels

    def __str__(self) -> str:
        return f"has({self.key})"


@dataclass(frozen=True, slots=True)
class Compare(Selector):
    """``key <op> 'value'``: ==, !=, contains, starts with, ends with."""

    key: str
    op: str
    value: str

    def matches(self, labels: Labels) -> bool:
        actual = labels.get(self.key)
        if self.op == "!=":
            return actual != self.value  # an absent label is "not equal"
        if actual is None:
            return False
        if self.op == "==":
            return actual == self.value
        if self.op == "contains":
            return self.value in actual
        if self.op == "starts with":
            return actual.startswith(self.value)
        return actual.endswith(self.value)

    def __str__(self) -> str:
        return f"{self.key} {self.op} {self.value!r}"


@dataclass(frozen=True, slots=True)
class In(Selector):
    key: str
    values: frozenset[str]
    negated: bool = False

    def matches(self, labels: Labels) -> bool:
        actual = labels.get(self.key)
        if self.negated:
            return actual is None or actual not in self.values
        return actual is not None and actual in self.values

    def __str__(self) -> str:
        values = ", ".join(repr(v) for v in sorted(self.values))
        return f"{self.key} {'not in' if self.negated else 'in'} {{{values}}}"


@dataclass(frozen=True, slots=True)
class Not(Selector):
    operand: Selector

    def matches(self, labels: Labels) -> bool:
        return not self.operand.matches(labels)

    def __str__(self) -> str:
        return f"!({self.operand})"


@dataclass(frozen=True, slots=True)
class And(Selector):
    operands: tuple[Selector, ...]

    def matches(self, labels: Labels) -> bool:
        return all(o.matches(labels) for o in self.operands)

    def __str__(self) -> str:
        return " && ".join(f"({o})" if isinstance(o, Or) else str(o) for o in self.operands)


@dataclass(frozen=True, slots=True)
class Or(Selector):
    operands: tuple[Selector, ...]

    def matches(self, labels: Labels) -> bool:
        return any(o.matches(labels) for o in self.operands)

    def __str__(self) -> str:
        return " || ".join(str(o) for o in self.operands)


# --------------------------------------------------------------------------- parsing

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'[^']*'|"[^"]*")
      | (?P<op>&&|\|\||==|!=|[!(){},])
      | (?P<word>[A-Za-z0-9_./-]+)
    )""",
    re.VERBOSE,
)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []  # (type, text, position)
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                start = len(text) - len(text[pos:].lstrip())
                raise ValueError(f"unexpected character {text[start]!r} at position {start}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str, int]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else ("end", "", len(self.text))

    def take(self) -> tuple[str, str, int]:
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, text: str, after: str) -> None:
        kind, value, pos = self.take()
        if value != text or kind == "str":
            raise ValueError(f"expected {text!r} after {after!r} at position {pos}")

    def string(self, after: str) -> str:
        kind, value, pos = self.take()
        if kind != "str":
            raise ValueError(f"expected a quoted string after {after!r} at position {pos}")
        return value[1:-1]

    def parse(self) -> Selector:
        if not self.tokens:
            return All()
        sel = self.or_()
        kind, value, pos = self.peek()
        if kind != "end":
            raise ValueError(f"unexpected {value!r} at position {pos}")
        return sel

    def or_(self) -> Selector:
        operands = [self.and_()]
        while self.peek()[1] == "||":
            self.take()
            operands.append(self.and_())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_(self) -> Selector:
        operands = [self.unary()]
        while self.peek()[1] == "&&":
            self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def unary(self) -> Selector:
        if self.peek()[1] == "!" and self.peek()[0] == "op":
            self.take()
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Selector:
        kind, value, pos = self.take()
        if kind == "op" and value == "(":
            sel = self.or_()
            self.expect(")", "(")
            return sel
        if kind != "word":
            what = "end of selector" if kind == "end" else repr(value)
            raise ValueError(f"expected a label or function at position {pos}, got {what}")
        if value in ("all", "global") and self.peek()[1] == "(":
            self.take()
            self.expect(")", value + "(")
            return All() if value == "all" else Global()
        if value == "has" and self.peek()[1] == "(":
            self.take()
            k, label, p = self.take()
            if k != "word":
                raise ValueError(f"expected a label name in has() at position {p}")
            self.expect(")", "has(" + label)
            return Has(label)
        return self.comparison(value)

    def comparison(self, key: str) -> Selector:
        _, value, pos = self.take()
        if value in ("==", "!="):
            return Compare(key, value, self.string(value))
        if value == "in":
            return In(key, self.set_())
        if value == "not":
            self.expect("in", "not")
            return In(key, self.set_(), negated=True)
        if value == "contains":
            return Compare(key, "contains", self.string(value))
        if value in ("starts", "ends"):
            self.expect("with", value)
            return Compare(key, f"{value} with", self.string(value + " with"))
        raise ValueError(f"expected an operator after label {key!r} at position {pos}")

    def set_(self) -> frozenset[str]:
        self.expect("{", "in")
        values: list[str] = []
        if self.peek()[1] == "}":
            self.take()
            return frozenset()
        while True:
            values.append(self.string("{" if not values else ","))
            _, value, pos = self.take()
            if value == "}":
                return frozenset(values)
            if value != ",":
                raise ValueError(f"expected ',' or '}}' at position {pos}")


@lru_cache(maxsize=4096)
def parse(text: str) -> Selector:
    """Parse a selector; raises ``ValueError`` saying what is wrong and where. ``""`` is ``all()``."""
    return _Parser(text).parse()


def selector_error(text: str) -> str | None:
    """Why ``text`` is not a valid selector, or None."""
    try:
        parse(text)
    except ValueError as exc:
        return str(exc)
    return None


def matches(selector: str | Selector, labels: Labels) -> bool:
    """Does ``selector`` (text or parsed) select an object with ``labels``?"""
    if isinstance(selector, str):
        selector = parse(selector)
    return selector.matches(labels)
