"""Calico selector expressions (semantics.md §5.2): parsing, precedence, absent labels."""

from __future__ import annotations

import pytest

from verifier.semantics.calico_selector import matches, parse, selector_error


@pytest.mark.parametrize(
    ("expr", "labels", "expected"),
    [
        ("", {}, True),
        ("all()", {"a": "1"}, True),
        ("!all()", {}, False),
        ("global()", {}, False),
        ("has(a)", {"a": ""}, True),
        ("!has(a)", {}, True),
        ("a == '1'", {"a": "1"}, True),
        ('a == "1"', {}, False),
        ("a != '1'", {}, True),
        ("a != '1'", {"a": "1"}, False),
        ("a in {'1', '2'}", {"a": "2"}, True),
        ("a in {}", {"a": "2"}, False),
        ("a not in {'1'}", {}, True),
        ("a not in {'1'}", {"a": "1"}, False),
        ("a contains 'ell'", {"a": "hello"}, True),
        ("a starts with 'he'", {"a": "hello"}, True),
        ("a ends with 'lo'", {"a": "hello"}, True),
        ("a ends with 'lo'", {}, False),
        ("a == '1' || b == '2' && c == '3'", {"a": "1"}, True),  # && binds tighter
        ("(a == '1' || b == '2') && c == '3'", {"a": "1"}, False),
        ("!a == '1'", {"a": "2"}, True),
        (
            "projectcalico.org/name == 'x' && k8s-app != 'dns'",
            {"projectcalico.org/name": "x"},
            True,
        ),
    ],
)
def test_calico_selector(expr, labels, expected):
    assert matches(expr, labels) is expected


@pytest.mark.parametrize(
    "expr", ["a ==", "a = 'b'", "has(", "(a == 'b'", "a in {'b'", "a == 'b' &&", "all() x"]
)
def test_calico_selector_errors(expr):
    with pytest.raises(ValueError, match="position"):
        parse(expr)


def test_parsed_selectors_are_reusable_values():
    sel = parse("a == '1' && !has(b)")
    assert sel == parse("a == '1' && !has(b)") and hash(sel) == hash(parse("a == '1' && !has(b)"))
    assert sel.matches({"a": "1"}) and not sel.matches({"a": "1", "b": ""})
    assert str(parse("a in {'y', 'x'}")) == "a in {'x', 'y'}"


def test_selector_error_message():
    assert selector_error("all()") is None
    assert selector_error("a 'b'") == "expected an operator after label 'a' at position 2"
    assert selector_error("a === 'b'") == "unexpected character '=' at position 4"
