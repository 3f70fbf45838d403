"""``netverify check -o github``: workflow commands, escaped as GitHub's toolkit escapes them."""

from __future__ import annotations

import re

import pytest

from tests.report.check_samples import INVARIANTS_FILE, result, sample_report, violation
from verifier.model import Source
from verifier.properties import CheckReport, Status
from verifier.report.console import detail_lines, verdict_lines
from verifier.report.github import command, escape_data, escape_property, render_github


def _commands(text: str) -> list[str]:
    """The lines the runner executes: those outside every ``::stop-commands::`` window."""
    out, token = [], None
    for line in text.splitlines():
        if token is not None:
            if line == f"::{token}::":
                token = None
            continue
        m = re.fullmatch(r"::stop-commands::(\w+)", line)
        if m:
            token = m.group(1)
        elif line.startswith("::"):
            out.append(line)
        else:
            pytest.fail(f"plain line outside a stop-commands window: {line!r}")
    assert token is None, "unterminated stop-commands window"
    return out


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("100%", "100%25", "100%25"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("ns:name,x", "ns:name,x", "ns%3Aname%2Cx"),
        ("%0A", "%250A", "%250A"),  # already-encoded text is not decoded by GitHub later
    ],
)
def test_escaping_matches_the_actions_toolkit(text, data, prop):
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_command_format():
    assert (
        command("error", "m", file="a.yaml", line=3, title="t")
        == "::error file=a.yaml,line=3,title=t::m"
    )
    assert (
        command("warning", "m", file=None, line=None, title="netverify x")
        == "::warning title=netverify x::m"
    )
    assert command("group", "VIOLATED  x") == "::group::VIOLATED  x"


def test_annotations_of_the_sample_report_exactly():
    cmds = [
        c
        for c in _commands(render_github(sample_report()))
        if not c.startswith(("::group::", "::endgroup::"))
    ]
    assert len(cmds) == 5
    assert cmds[0] == (
        "::notice file=base/db.yaml,line=3,title=netverify unique-pod-ips::"
        "payments/db-0 has 10.244.0.5, outside every pod CIDR"
    )
    error_prefix = "::error file=change/vpn access%2Cdb.yaml,line=12,title=netverify isolation::"
    assert cmds[1].startswith(
        error_prefix + "dev/toolbox reaches payments/db-0 on 5432/TCP%0A"
        "at change/vpn access,db.yaml:12: NetworkPolicy payments/allow-vpn-to-db ingress[0]%0A"
        "also: Pod dev/toolbox (base/dev.yaml:40)%0A"
        "packet: 10.244.0.6 -> 10.244.0.5:5432/TCP%0A"
    )
    assert "%0AALLOWED  dev/toolbox -> payments/db-0:5432/TCP%0A" in cmds[1]  # the engine trace
    assert cmds[2] == (
        "::warning title=netverify dns-resolution (unknown)::"
        "could not decide whether dns-resolution statement: IPv4: solver timeout after 60s"
    )
    # The title is a property: its ":" is escaped.
    assert cmds[3].startswith(
        "::error file=change/vpn access%2Cdb.yaml,line=12,title=netverify invariant%3A dev cannot reach payments::"
    )
    assert (
        cmds[4]
        == "::notice title=netverify check::3 properties, 2 invariants: 2 hold, 2 violated, 1 unknown (61.9s)"
    )


def test_verdicts_and_details_are_logged_in_groups():
    text = render_github(sample_report())
    lines = text.splitlines()
    report = sample_report()
    # The verdict table comes first, verbatim.
    assert lines[1 : 1 + len(report.results)] == verdict_lines(report)
    groups = [c for c in _commands(text) if c.startswith("::group::")]
    assert groups == [
        "::group::HOLDS  unique-pod-ips: unique-pod-ips statement",
        "::group::VIOLATED  isolation: isolation statement",
        "::group::UNKNOWN  dns-resolution: dns-resolution statement",
        "::group::VIOLATED  invariant: dev cannot reach payments: dev cannot reach payments statement",
    ]
    assert len([c for c in _commands(text) if c == "::endgroup::"]) == len(groups)
    start = lines.index(groups[1]) + 2  # after ::group:: and ::stop-commands::
    assert lines[start : start + len(detail_lines(report.results[1]))] == detail_lines(
        report.results[1]
    )


def test_messages_are_single_lines():
    for cmd in _commands(render_github(sample_report())):
        assert "\n" not in cmd and "\r" not in cmd


def test_manifest_text_cannot_inject_commands():
    evil = "x\n::error file=evil.yaml::pwned"
    report = CheckReport(
        (
            result(
                "invariant",
                Status.VIOLATED,
                name=evil,
                counterexamples=(violation(evil),),
                source=Source(INVARIANTS_FILE, 2),
            ),
        )
    )
    cmds = _commands(render_github(report))
    assert not any(c.startswith("::error file=evil.yaml") for c in cmds)
    errors = [c for c in cmds if c.startswith("::error")]
    assert len(errors) == 1 and "%0A::error file=evil.yaml::pwned" in errors[0]


def test_unknown_invariant_warning_points_at_the_invariant():
    report = CheckReport(
        (
            result(
                "invariant",
                Status.UNKNOWN,
                name="slow",
                reason="timeout",
                source=Source(INVARIANTS_FILE, 7),
            ),
        ),
        1.0,
    )
    cmds = _commands(render_github(report))
    assert (
        "::warning file=invariants.yaml,line=7,title=netverify invariant%3A slow (unknown)::could not decide whether slow statement: timeout"
        in cmds
    )


def test_an_invariant_counterexample_without_a_file_is_annotated_at_the_invariant():
    from dataclasses import replace

    cx = violation()
    cx = replace(cx, objects=tuple(replace(o, source=Source("<stdin>", 3)) for o in cx.objects))
    report = CheckReport(
        (
            result(
                "invariant",
                Status.VIOLATED,
                name="inv",
                counterexamples=(cx,),
                source=Source(INVARIANTS_FILE, 4),
            ),
        )
    )
    (error,) = [c for c in _commands(render_github(report)) if c.startswith("::error")]
    assert error.startswith(
        "::error file=invariants.yaml,line=4,title=netverify invariant%3A inv::dev/toolbox reaches"
    )
