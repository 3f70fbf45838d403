"""HTML for notebooks: what ``Trace``, ``PropertyResult`` and ``Matrix`` show in Jupyter.

As in pybatfish, every renderer is a ``*_html_lines()`` function returning a
list of HTML fragments, and the ``*_html()`` function joins them with
``<br>``: tests compare lists of short lines, not one HTML blob. Every piece of
text that comes from the cluster (names, labels, file names) is escaped.

>>> from verifier.trace import Hop, Trace, Branch, Verdict
>>> t = Trace("x/a", "x/b", 80, "TCP", 4, (), (Branch((Hop("deliver", "delivered", "to x/b"),), Verdict.ALLOWED, "x/b"),), Verdict.ALLOWED)
>>> trace_html_lines(t)[1]
'<strong>1</strong>. deliver delivered: to x/b'
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from ..trace import Branch, Decider, Hop, Trace, Verdict, host_port
from .views import filter_label, matrix_summary, namespace_shares, trace_sections

if TYPE_CHECKING:  # annotations only: keep this module free of the matrix/property machinery
    from ..matrix import Matrix
    from ..properties.result import Counterexample, PropertyResult

__all__ = [
    "counterexample_html_lines",
    "hop_html_lines",
    "html_block",
    "matrix_html",
    "matrix_html_lines",
    "matrix_table_html_lines",
    "property_result_html",
    "property_result_html_lines",
    "status_badge",
    "trace_html",
    "trace_html_lines",
    "verdict_span",
]

#: Verdict colours: green for reachable, red for a policy denial, amber for
#: "it never got that far" outcomes (name, Service or route problems).
_VERDICT_COLOURS = {Verdict.ALLOWED: "#1a7f37", Verdict.DENIED: "#cf222e"}
_OTHER_VERDICT = "#9a6700"
_STATUS_COLOURS = {"holds": "#1a7f37", "violated": "#cf222e", "unknown": "#9a6700"}

#: Lines nested under a hop or a counterexample; a literal indent, since lines are joined with <br>.
INDENT = "&nbsp;" * 4


def html_block(lines: Iterable[str], css_class: str) -> str:
    """Lines joined with ``<br>`` in a monospace ``<div>`` (hop numbers, IPs and ports align as in a terminal).

    >>> html_block(["a", "b"], "x")
    '<div class="x" style="font-family: monospace">a<br>b</div>'
    """
    return (
        f'<div class="{css_class}" style="font-family: monospace">' + "<br>".join(lines) + "</div>"
    )


def verdict_span(verdict: Verdict) -> str:
    """The verdict word in its colour.

    >>> verdict_span(Verdict.DENIED)
    '<span style="color: #cf222e; font-weight: bold">DENIED</span>'
    """
    colour = _VERDICT_COLOURS.get(verdict, _OTHER_VERDICT)
    return f'<span style="color: {colour}; font-weight: bold">{escape(str(verdict))}</span>'


def status_badge(status) -> str:
    """A property status (HOLDS / VIOLATED / UNKNOWN) as a coloured badge.

    >>> from verifier.properties.result import Status
    >>> status_badge(Status.HOLDS)
    '<span style="background: #1a7f37; color: white; padding: 0 4px; border-radius: 3px">HOLDS</span>'
    """
    colour = _STATUS_COLOURS.get(status.value, _OTHER_VERDICT)
    return (
        f'<span style="background: {colour}; color: white; padding: 0 4px; border-radius: 3px">'
        f"{escape(str(status))}</span>"
    )


def _decider_line(decider: Decider, verb: str) -> str:
    line = f"{verb} {escape(decider.ref)}"
    if decider.source is not None and decider.source.file != "<unknown>":
        line += f" <code>{escape(str(decider.source))}</code>"
    return line


def hop_html_lines(hop: Hop, number: int, *, indent: str = "", packet: bool = True) -> list[str]:
    """``N. step outcome: detail``, then one line per decider (with file:line) and the packet.

    >>> hop_html_lines(Hop("ingress", "allowed", "x/b: allowed by x/web ingress[0]", (Decider("NetworkPolicy", "web", "x", "ingress[0]"),)), 4)
    ['<strong>4</strong>. ingress allowed: x/b: allowed by x/web ingress[0]', '&nbsp;&nbsp;&nbsp;&nbsp;by NetworkPolicy x/web ingress[0]']
    """
    lines = [
        f"{indent}<strong>{number}</strong>. {escape(hop.step)} {escape(hop.outcome)}: {escape(hop.detail)}"
    ]
    nested = indent + INDENT
    # A denial names the policies that isolate the pod, not a rule that decided.
    verb = "isolated by" if hop.outcome == "denied" else "by"
    lines += [nested + _decider_line(d, verb) for d in hop.deciders]
    if packet and hop.packet is not None:
        lines.append(f"{nested}packet {escape(str(hop.packet))}")
    return lines


def _section_lines(
    hops: tuple[Hop, ...], start: int, indent: str, last_packet: object
) -> tuple[list[str], object]:
    """Numbered hops; a hop's packet is shown only when it differs from the one before,
    so the lines show where DNAT or SNAT rewrote it instead of repeating it on every hop."""
    lines: list[str] = []
    for number, hop in enumerate(hops, start):
        changed = hop.packet is not None and hop.packet != last_packet
        lines += hop_html_lines(hop, number, indent=indent, packet=changed)
        if hop.packet is not None:
            last_packet = hop.packet
    return lines, last_packet


def _branch_header(branch: Branch, indent: str) -> str:
    where = host_port(branch.ip, branch.port) if branch.ip is not None else ""
    who = " ".join(escape(str(x)) for x in (branch.pod, where) if x)
    return f"{indent}<em>backend {who}</em>: {verdict_span(branch.verdict)}"


def trace_html_lines(trace: Trace, *, indent: str = "") -> list[str]:
    """The verdict line, the shared hops, then one section per backend branch, then notes."""
    head = f"{verdict_span(trace.verdict)} {escape(trace.source)} -&gt; "
    head += f"{escape(host_port(trace.destination, trace.port))}/{escape(trace.protocol)}"
    if trace.family is not None:
        head += f" (IPv{trace.family})"
    if len(trace.branches) > 1:
        reachable = sum(b.reachable for b in trace.branches)
        head += f" ({reachable}/{len(trace.branches)} backends reachable)"
    lines = [indent + head]
    shared_packet: object = None
    for section in trace_sections(trace):
        if section.branch is None:
            body, shared_packet = _section_lines(section.hops, section.start, indent, shared_packet)
            lines += body
        else:
            lines.append(_branch_header(section.branch, indent))
            # Each backend starts from the packet the shared hops left, not the previous backend's.
            body, _ = _section_lines(section.hops, section.start, indent + INDENT, shared_packet)
            lines += body
    # The engine also records a note in a hop's detail when it matters there; do not repeat it.
    shown = " ".join(h.detail for h in trace.hops)
    lines += [f"{indent}note: {escape(n)}" for n in trace.notes if n not in shown]
    return lines


def trace_html(trace: Trace) -> str:
    """``Trace._repr_html_``."""
    return html_block(trace_html_lines(trace), "netverify-trace")


# --------------------------------------------------------------------------- properties


def counterexample_html_lines(cx: Counterexample, number: int) -> list[str]:
    """``Counterexample N: summary``, where it points, the packet, then its replayed traces."""
    lines = [f"<strong>Counterexample {number}</strong>: {escape(cx.summary)}"]
    lines += [INDENT + _decider_line(o, "at") for o in cx.objects]
    if cx.packet is not None:
        lines.append(f"{INDENT}packet {escape(str(cx.packet))}")
    if cx.pods:
        lines.append(f"{INDENT}pods {escape(', '.join(cx.pods))}")
    if cx.allocation:
        chosen = ", ".join(f"{k} = {v}" for k, v in sorted(cx.allocation.items()))
        lines.append(f"{INDENT}allocated addresses {escape(chosen)}")
    for t in cx.traces:
        lines += trace_html_lines(t, indent=INDENT)
    return lines


def property_result_html_lines(result: PropertyResult) -> list[str]:
    """Badge, name and time; the statement; the reason (UNKNOWN); counterexamples; findings."""
    name = result.name if result.property != "invariant" else f"invariant {result.name}"
    lines = [
        f"{status_badge(result.status)} <strong>{escape(name)}</strong> ({result.seconds:.2f} s)"
    ]
    lines.append(escape(result.statement))
    if result.source is not None:
        lines.append(f"written at <code>{escape(str(result.source))}</code>")
    if result.reason:
        lines.append(f"reason: {escape(result.reason)}")
    for i, cx in enumerate(result.counterexamples, 1):
        lines += counterexample_html_lines(cx, i)
        if cx.suppressed is not None:
            # Known and accepted (annotation, baseline): shown, marked, not failing.
            from .known import suppressed_by

            lines.append(f"{INDENT}{escape(suppressed_by(cx))}")
    for f in result.findings:
        lines.append(f"finding: {escape(f.message)}")
        lines += [INDENT + _decider_line(o, "at") for o in f.objects]
    return lines


def property_result_html(result: PropertyResult) -> str:
    """``PropertyResult._repr_html_``."""
    return html_block(property_result_html_lines(result), "netverify-result")


# --------------------------------------------------------------------------- matrix


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def matrix_html_lines(matrix: Matrix) -> list[str]:
    """The summary: size, filter, and how many ordered pairs of distinct pods may talk."""
    s = matrix_summary(matrix)
    return [
        (
            f"<strong>Reachability matrix</strong>: {s.pods} pods in {s.namespaces} namespaces "
            f"({matrix.class_count} classes), IPv{matrix.family}, {escape(filter_label(matrix))}"
        ),
        (
            f"allowed: {s.allowed} of {s.pairs} ordered pod pairs ({_percent(s.allowed, s.pairs)}): "
            f"{s.all_ports} on every port, {s.some_ports} on some ports; denied: {s.denied}"
        ),
    ]


def matrix_table_html_lines(matrix: Matrix) -> list[str]:
    """A namespace x namespace table, one line per row; cells read ``allowed/pairs``.

    Pairs are ordered pairs of distinct pods; ``-`` marks a namespace with a single
    pod on the diagonal. The full pod x pod grid is ``matrix.frame()`` or
    :func:`verifier.report.plots.plot_matrix`.
    """
    namespaces, cells = namespace_shares(matrix)
    if not namespaces:
        return []
    lines = ['<table style="font-family: monospace">']
    lines.append(
        "<tr><th>from \\ to</th>" + "".join(f"<th>{escape(ns)}</th>" for ns in namespaces) + "</tr>"
    )
    for ns, row in zip(namespaces, cells, strict=True):
        tds = "".join(f"<td>{a}/{n}</td>" if n else "<td>-</td>" for a, n in row)
        lines.append(f"<tr><th>{escape(ns)}</th>{tds}</tr>")
    lines.append("</table>")
    return lines


def matrix_html(matrix: Matrix) -> str:
    """``Matrix._repr_html_``: the summary lines, then the table.

    Table rows are joined without ``<br>``: a ``<br>`` between rows would be
    hoisted out of the table by the browser and show as blank lines.
    """
    summary = html_block(matrix_html_lines(matrix), "netverify-matrix")
    return summary + "\n".join(matrix_table_html_lines(matrix))
