"""``netverify check -o text``: verdict table, details with locations and traces, totals."""

from __future__ import annotations

import click

from tests.report.check_samples import real_trace, result, sample_report
from verifier.properties import CheckReport, Status
from verifier.report.console import render_text, status_label
from verifier.report.describe import summary_line
from verifier.report.text import format_trace


def _indented(text: str, indent: str) -> list[str]:
    return [indent + line for line in text.splitlines()]


def test_the_whole_report_exactly():
    # The trace's own wording belongs to report/text.format_trace; only its placement is ours.
    trace_lines = _indented(format_trace(real_trace()), "     ")
    counterexample = [
        "  1. dev/toolbox reaches payments/db-0 on 5432/TCP",
        "     at change/vpn access,db.yaml:12: NetworkPolicy payments/allow-vpn-to-db ingress[0]",
        "     also: Pod dev/toolbox (base/dev.yaml:40)",
        "     packet: 10.244.0.6 -> 10.244.0.5:5432/TCP",
        "     addresses netverify chose: dev/stripe-mock = 10.244.1.9",
        *trace_lines,
    ]
    expected = [
        "HOLDS     unique-pod-ips                         0.12s",
        "VIOLATED  isolation                              1.30s",
        "UNKNOWN   dns-resolution                        60.00s",
        "VIOLATED  invariant: dev cannot reach payments   0.40s",
        "HOLDS     invariant: frontend reaches the cart   0.05s",
        "",
        "HOLDS     unique-pod-ips: unique-pod-ips statement",
        "  note: payments/db-0 has 10.244.0.5, outside every pod CIDR",
        "",
        "VIOLATED  isolation: isolation statement",
        *counterexample,
        "",
        "UNKNOWN   dns-resolution: dns-resolution statement",
        "  reason: IPv4: solver timeout after 60s",
        "",
        "VIOLATED  invariant: dev cannot reach payments: dev cannot reach payments statement",
        *counterexample,
        "",
        "3 properties, 2 invariants: 2 hold, 2 violated, 1 unknown (61.9s)",
    ]
    assert render_text(sample_report()).splitlines() == expected
    assert trace_lines[0] == "     ALLOWED  dev/toolbox -> payments/db-0:5432/TCP"


def test_all_holding_is_the_table_and_the_totals():
    report = CheckReport(
        (
            result("unique-pod-ips", Status.HOLDS, seconds=0.12),
            result("isolation", Status.HOLDS, seconds=3.1),
        ),
        3.2,
    )
    assert render_text(report) == (
        "HOLDS     unique-pod-ips  0.12s\n"
        "HOLDS     isolation       3.10s\n"
        "\n"
        "2 properties: 2 hold, 0 violated, 0 unknown (3.2s)"
    )


def test_summary_line_counts_properties_and_invariants_apart():
    assert summary_line(CheckReport(())) == "0 properties: 0 hold, 0 violated, 0 unknown (0.0s)"
    one = CheckReport((result("isolation", Status.VIOLATED),), 0.04)
    assert summary_line(one) == "1 property: 0 hold, 1 violated, 0 unknown (0.0s)"
    only_invariants = CheckReport(
        (
            result("invariant", Status.UNKNOWN, name="a"),
            result("invariant", Status.HOLDS, name="b"),
        ),
        1.25,
    )
    assert summary_line(only_invariants) == "2 invariants: 1 holds, 0 violated, 1 unknown (1.2s)"


def test_a_multiline_summary_stays_inside_its_counterexample():
    from tests.report.check_samples import violation

    report = CheckReport(
        (result("isolation", Status.VIOLATED, counterexamples=(violation("first\nsecond"),)),)
    )
    lines = render_text(report).splitlines()
    i = lines.index("  1. first")
    assert lines[i + 1] == "     second"


def test_no_colour_unless_asked():
    plain = render_text(sample_report())
    assert "\x1b[" not in plain
    coloured = render_text(sample_report(), color=True)
    assert "\x1b[" in coloured
    # Colour is decoration only: the text underneath, and its alignment, are the same.
    assert click.unstyle(coloured) == plain


def test_status_labels_are_coloured_by_verdict_and_padded_outside_the_codes():
    assert status_label(Status.HOLDS) == "HOLDS   "
    assert status_label(Status.VIOLATED, color=True) == click.style("VIOLATED", fg="red", bold=True)
    assert (
        status_label(Status.UNKNOWN, color=True)
        == click.style("UNKNOWN", fg="yellow", bold=True) + " "
    )
    assert status_label(Status.HOLDS, color=True) == click.style("HOLDS", fg="green") + "   "
