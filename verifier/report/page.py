"""Self-contained HTML pages: ``netverify report`` and ``netverify diff -o html``.

One file, no network access needed to view it: the CSS is inline, the heatmap is
an HTML table (crisp at any zoom), drill-downs are ``<details>`` elements, and
the only script is a few lines that expand or collapse them all. Everything is
aggregated so the page stays readable, and small, at 10,000 pods: namespaces,
then workloads per namespace, then the pods of a workload (lists are capped).

Every string from the cluster is escaped. Renderers return lists of lines, as
the rest of ``verifier.report`` does, and :func:`page` wraps them.

>>> "<!DOCTYPE html>" in page("t", ["<p>x</p>"])
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from ..trace import Decider, Hop, Trace, Verdict, host_port
from .views import (
    ALL_PORTS,
    CATEGORY_LABELS,
    DENIED,
    SELF,
    SOME_PORTS,
    Share,
    aggregate,
    behaviour_groups,
    filter_label,
    matrix_summary,
    namespace_of,
    relative_source,
    trace_sections,
    workload_of,
)

if TYPE_CHECKING:  # annotations only
    from ..diff import Diff, FlowChange
    from ..matrix import Matrix
    from ..model import Cluster
    from ..properties import CheckReport
    from ..properties.result import Counterexample, PropertyResult

__all__ = [
    "LIST_CAP",
    "coverage_lines",
    "diff_page",
    "family_lines",
    "heatmap_lines",
    "page",
    "report_page",
    "trace_lines",
]

#: At most this many names in one list (pods of a workload, pods selected by a policy...).
LIST_CAP = 25
#: At most this many destinations listed under one workload.
DESTINATIONS_CAP = 12

#: Heatmap colours, one per views.CATEGORY_LABELS entry (the same as the matplotlib heatmap).
CATEGORY_COLOURS = ("#eeeeee", "#9ecae1", "#2171b5", "#969696")

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em auto;
       max-width: 1200px; padding: 0 1em; color: #1f2328; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #d0d7de;
     padding-bottom: 0.2em; margin-top: 1.6em; } h3 { margin-bottom: 0.3em; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.badge { color: white; padding: 0 6px; border-radius: 3px; font-weight: bold; font-size: 0.9em; }
.holds { background: #1a7f37; } .violated { background: #cf222e; } .unknown { background: #9a6700; }
.suppressed-badge { background: #6e7781; }
.allowed, .o-allowed { color: #1a7f37; font-weight: bold; }
.denied, .o-denied { color: #cf222e; font-weight: bold; }
.other { color: #9a6700; font-weight: bold; } .o-plain { font-weight: bold; }
.trace { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.88em;
         background: #f6f8fa; border-left: 3px solid #d0d7de; padding: 4px 8px; margin: 4px 0 8px; }
.trace.v-allowed { border-left-color: #1a7f37; } .trace.v-denied { border-left-color: #cf222e; }
.hop { margin: 1px 0; } .hop .n { display: inline-block; min-width: 2em; color: #57606a; }
.sub { margin-left: 2.6em; color: #57606a; } .branch { margin: 4px 0 2px; font-style: italic; }
.cx { border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 10px; margin: 6px 0; }
.cx > summary { cursor: pointer; } .muted { color: #57606a; }
.heat td { text-align: center; min-width: 3.2em; font-size: 0.85em; white-space: nowrap; }
.heat th { font-size: 0.85em; white-space: nowrap; max-width: 14em; overflow: hidden;
           text-overflow: ellipsis; }
.heat td.c0 { background: #eeeeee; } .heat td.c1 { background: #9ecae1; }
.heat td.c2 { background: #2171b5; color: white; } .heat td.c3 { background: #969696; color: white; }
.legend span.sw { display: inline-block; width: 1em; height: 1em; border: 1px solid #999;
                  vertical-align: middle; margin: 0 4px 0 12px; }
details.drill { margin: 2px 0 2px 1em; } details.drill > summary { cursor: pointer; }
nav a { margin-right: 1em; }
"""

_SCRIPT = """
function netverifyExpand(open) {
  document.querySelectorAll('details').forEach(function (d) { d.open = open; });
}
"""


def page(title: str, body: Iterable[str]) -> str:
    """A whole HTML document: inline CSS, the body lines, the expand/collapse script."""
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style>",
        f"<script>{_SCRIPT}</script>",
        "</head><body>",
    ]
    return "\n".join([*head, *body, "</body></html>"]) + "\n"


def _cap(items: Sequence[str], cap: int = LIST_CAP) -> str:
    """Escaped, comma-separated, at most ``cap`` of them and how many more."""
    shown = ", ".join(escape(i) for i in items[:cap])
    if len(items) > cap:
        shown += f" <span class='muted'>... and {len(items) - cap} more</span>"
    return shown


def _anchor(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower())


# --------------------------------------------------------------------------- traces


def _outcome_class(outcome: str) -> str:
    """Green for what lets the packet on, red for what stops it, plain for the rest (a route,
    a translation, no SNAT)."""
    if outcome in ("allowed", "delivered", "resolved", "admitted"):
        return "o-allowed"
    if outcome in (
        "denied", "dropped", "rejected", "blocked", "nxdomain", "nodata", "no-route",
        "no-endpoints", "unreachable",
    ):  # fmt: skip
        return "o-denied"
    return "o-plain"


def _verdict_class(verdict: Verdict) -> str:
    if verdict is Verdict.ALLOWED:
        return "allowed"
    return "denied" if verdict is Verdict.DENIED else "other"


def _verdict(verdict: Verdict) -> str:
    return f'<span class="{_verdict_class(verdict)}">{escape(str(verdict))}</span>'


def _decider(decider: Decider, verb: str, root: str | None) -> str:
    line = f"{verb} {escape(decider.ref)}"
    if decider.source is not None and decider.source.file != "<unknown>":
        line += f" <code>{escape(relative_source(decider.source, root))}</code>"
    return line


def _hop_lines(hop: Hop, number: int, show_packet: bool, root: str | None) -> list[str]:
    lines = [
        f'<div class="hop"><span class="n">{number}.</span>{escape(hop.step)} '
        f'<span class="{_outcome_class(hop.outcome)}">{escape(hop.outcome)}</span>: '
        f"{escape(hop.detail)}</div>"
    ]
    verb = "isolated by" if hop.outcome == "denied" else "by"
    lines += [f'<div class="sub">{_decider(d, verb, root)}</div>' for d in hop.deciders]
    if show_packet and hop.packet is not None:
        lines.append(f'<div class="sub">packet {escape(str(hop.packet))}</div>')
    return lines


def trace_lines(trace: Trace, *, root: str | None = None, label: str = "") -> list[str]:
    """The verdict line, the shared hops, one block per backend, then notes; hop outcomes
    coloured (allowed green, denied red), every decider with its ``file:line``."""
    head = f"{label}{_verdict(trace.verdict)} {escape(trace.source)} -&gt; "
    head += f"{escape(host_port(trace.destination, trace.port))}/{escape(trace.protocol)}"
    if trace.family is not None:
        head += f" (IPv{trace.family})"
    if len(trace.branches) > 1:
        head += f" ({sum(b.reachable for b in trace.branches)}/{len(trace.branches)} backends reachable)"
    lines = [f'<div class="trace v-{_verdict_class(trace.verdict)}">', f"<div>{head}</div>"]
    shared: object = None
    for section in trace_sections(trace):
        last = shared
        if section.branch is not None:
            b = section.branch
            where = host_port(b.ip, b.port) if b.ip is not None else ""
            who = " ".join(escape(str(x)) for x in (b.pod, where) if x)
            lines.append(f'<div class="branch">backend {who}: {_verdict(b.verdict)}</div>')
        for number, hop in enumerate(section.hops, section.start):
            lines += _hop_lines(hop, number, hop.packet is not None and hop.packet != last, root)
            if hop.packet is not None:
                last = hop.packet
        if section.branch is None:
            shared = last
    shown = " ".join(h.detail for h in trace.hops)
    lines += [f'<div class="muted">note: {escape(n)}</div>' for n in trace.notes if n not in shown]
    lines.append("</div>")
    return lines


# --------------------------------------------------------------------------- verdicts


def _badge(status: Any) -> str:
    return f'<span class="badge {escape(status.value)}">{escape(str(status))}</span>'


def _title(result: PropertyResult) -> str:
    return f"invariant: {result.name}" if result.property == "invariant" else result.name


def verdict_table_lines(report: CheckReport) -> list[str]:
    """One row per property and invariant: verdict, name, time, counterexamples, statement."""
    lines = [
        '<table class="verdicts" id="verdict-table">',
        "<tr><th>verdict</th><th>property</th><th>seconds</th><th>counterexamples</th>"
        "<th>what it means</th></tr>",
    ]
    for r in report.results:
        n = len(r.counterexamples)
        suppressed = sum(1 for cx in r.counterexamples if cx.suppressed is not None)
        count = str(n) if n else "-"
        if suppressed:
            count += f" ({suppressed} suppressed)"
        if n:
            count = f'<a href="#{_anchor("p-" + _title(r))}">{count}</a>'
        if r.truncated:
            more = (
                f"{r.more} more"
                if r.more and r.more_exact
                else f"at least {r.more} more"
                if r.more
                else "search stopped"
            )
            count += f" <span class='muted'>({more})</span>"
        reason = f"<br><span class='muted'>{escape(r.reason)}</span>" if r.reason else ""
        lines.append(
            f"<tr><td>{_badge(r.status)}</td><td><strong>{escape(_title(r))}</strong></td>"
            f"<td>{r.seconds:.2f}</td><td>{count}</td><td>{escape(r.statement)}{reason}</td></tr>"
        )
    lines.append("</table>")
    return lines


def counterexample_lines(cx: Counterexample, number: int, root: str | None) -> list[str]:
    """A ``<details>``: the summary, where it points, packet, pods, addresses, traces."""
    mark = ""
    if cx.suppressed is not None:
        mark = (
            f' <span class="badge suppressed-badge">suppressed: {escape(cx.suppressed.kind)}</span>'
        )
    lines = [
        f'<details class="cx" open><summary><strong>Counterexample {number}</strong>: '
        f"{escape(cx.summary)}{mark}</summary>"
    ]
    lines += [f"<div>{_decider(o, 'at', root)}</div>" for o in cx.objects]
    if cx.suppressed is not None and cx.suppressed.reason:
        lines.append(f'<div class="muted">why: {escape(cx.suppressed.reason)}</div>')
    if cx.packet is not None:
        lines.append(f"<div>packet <code>{escape(str(cx.packet))}</code></div>")
    if cx.pods:
        lines.append(f"<div>pods {_cap(list(cx.pods))}</div>")
    if cx.allocation:
        chosen = ", ".join(f"{k} = {v}" for k, v in sorted(cx.allocation.items()))
        lines.append(f"<div>allocated addresses <code>{escape(chosen)}</code></div>")
    for t in cx.traces:
        lines += trace_lines(t, root=root)
    lines.append("</details>")
    return lines


def results_lines(report: CheckReport, root: str | None) -> list[str]:
    """Each property with counterexamples or findings: its statement, then each of them."""
    lines: list[str] = []
    for r in report.results:
        if not (r.counterexamples or r.findings):
            continue
        lines.append(
            f'<h3 id="{_anchor("p-" + _title(r))}">{_badge(r.status)} {escape(_title(r))}</h3>'
        )
        lines.append(f"<p>{escape(r.statement)}</p>")
        if r.source is not None:
            lines.append(
                f"<p>written at <code>{escape(relative_source(r.source, root))}</code></p>"
            )
        for i, cx in enumerate(r.counterexamples, 1):
            lines += counterexample_lines(cx, i, root)
        for f in r.findings:
            objs = "; ".join(_decider(o, "at", root) for o in f.objects)
            lines.append(f"<p>{escape(f.severity)}: {escape(f.message)} {objs}</p>")
    return lines or ["<p>No counterexamples: every property and invariant checked holds.</p>"]


def assumption_lines(cluster: Cluster, report: CheckReport | None) -> list[str]:
    """What the verdicts rest on: inferred settings, and what the traces assumed."""
    inferred = tuple(getattr(cluster, "inferred", ()) or ())
    if not inferred and report is not None:
        inferred = tuple(getattr(report, "inferred", ()) or ())
    lines: list[str] = []
    if inferred:
        lines.append(
            "<p>Inferred from the input (set them in a <code>ClusterNetwork</code> object to override):</p>"
        )
        lines.append("<table><tr><th>setting</th><th>value</th><th>evidence</th></tr>")
        for i in inferred:
            lines.append(
                f"<tr><td><code>{escape(str(i.what))}</code></td><td><code>{escape(str(i.value))}</code>"
                f"</td><td>{escape(str(i.evidence))}</td></tr>"
            )
        lines.append("</table>")
    notes: dict[str, None] = {}
    if report is not None:
        for r in report.results:
            for cx in r.counterexamples:
                for t in cx.traces:
                    notes.update(dict.fromkeys(t.notes))
    network = getattr(cluster, "config", None)
    facts = [f"address families: IPv{' + IPv'.join(map(str, cluster.families))}"]
    for attr, label in (
        ("cluster_domain", "cluster domain"),
        ("ipblock_matches_pods", "ipBlocks match pod IPs"),
        ("encapsulation", "encapsulation"),
    ):
        value = getattr(network, attr, None)
        if value is not None:
            facts.append(f"{label}: {value}")
    lines.append("<p>Cluster network:</p><ul>")
    lines += [f"<li>{escape(f)}</li>" for f in facts]
    lines.append("</ul>")
    from .console import implicit_lines

    implicit = implicit_lines(cluster)
    if implicit:
        lines.append(
            "<p>Assumed, as every cluster runs them (the input does not show them):</p><ul>"
        )
        lines += [f"<li>{escape(line.strip())}</li>" for line in implicit[1:]]
        lines.append("</ul>")
    if notes:
        lines.append("<p>Assumed by the traces:</p><ul>")
        lines += [f"<li>{escape(n)}</li>" for n in notes]
        lines.append("</ul>")
    return lines


# --------------------------------------------------------------------------- heatmap


def legend_lines() -> list[str]:
    """The four heatmap colours and what they mean."""
    meaning = {
        DENIED: "none: no pair allowed",
        SOME_PORTS: "some ports (or some pod pairs)",
        ALL_PORTS: "all ports, every pod pair",
        SELF: "self",
    }
    items = "".join(
        f'<span class="sw" style="background: {CATEGORY_COLOURS[c]}"></span>{escape(meaning[c])}'
        for c in range(len(CATEGORY_LABELS))
    )
    return [f'<p class="legend">{items}</p>']


def _cell(share: Share | None, title: str = "") -> str:
    """A coloured cell with the share of pod pairs allowed; its tooltip gives the counts
    (names only where ``title`` is given: the drill-down tables stay small)."""
    prefix = f"{title}: " if title else ""
    if share is None or not share.pairs:
        return f'<td class="c{SELF}" title="{escape(prefix)}no pair">-</td>'
    pct = f"{100 * share.allowed / share.pairs:.0f}%"
    tip = f"{prefix}{share.allowed}/{share.pairs} pairs, {share.all_ports} all ports"
    return f'<td class="c{share.category}" title="{escape(tip)}">{pct}</td>'


def heatmap_lines(matrix: Matrix) -> list[str]:
    """Namespace x namespace table (share of pod pairs allowed, coloured by category), then
    one ``<details>`` per source namespace: its workloads x destination namespaces, and per
    workload its pods and the workloads it reaches. Bounded by namespaces x workloads."""
    s = matrix_summary(matrix)
    lines = [
        f"<p>{s.pods} pods in {s.namespaces} namespaces ({matrix.class_count} classes), "
        f"IPv{matrix.family}, {escape(filter_label(matrix))}: {s.allowed} of {s.pairs} ordered pod "
        f"pairs allowed ({s.all_ports} on every port, {s.some_ports} on some ports).</p>"
    ]
    lines += legend_lines()
    namespaces = sorted({namespace_of(r) for r in matrix.pods})
    lines += _namespace_table(matrix, "namespace-heatmap")

    # Drill-down: workloads of each namespace, towards each namespace and each workload.
    by_ns = aggregate(matrix, lambda ref: workload_of(matrix, ref), namespace_of)
    by_wl = aggregate(matrix, lambda ref: workload_of(matrix, ref))
    pods_of: dict[str, list[str]] = {}
    for ref in matrix.pods:
        pods_of.setdefault(workload_of(matrix, ref), []).append(ref)
    group_of = {}
    for g, refs in enumerate(behaviour_groups(matrix)):
        for ref in refs:
            group_of[ref] = g
    reaches: dict[str, list[tuple[str, Share]]] = {}
    for (src, dst), share in by_wl.allowed_items():
        if share.allowed:
            reaches.setdefault(src, []).append((dst, share))
    lines += _graph_lines(matrix)
    lines.append("<p>Drill down: a namespace's workloads, then a workload's pods.</p>")
    for ns in namespaces:
        workloads = sorted(w for w in pods_of if namespace_of(w) == ns)
        count = sum(len(pods_of[w]) for w in workloads)
        lines.append(
            f'<details class="drill"><summary><strong>{escape(ns)}</strong>: '
            f"{len(workloads)} workload(s), {count} pod(s)</summary>"
        )
        # Only the namespaces these workloads reach (and their own): the rest are all "none".
        columns = [
            c
            for c in namespaces
            if c == ns or any(by_ns.get((w, c), Share()).allowed for w in workloads)
        ]
        if len(columns) < len(namespaces):
            lines.append(
                f"<div class='muted'>{len(namespaces) - len(columns)} namespace(s) that none of "
                "these workloads reaches are left out.</div>"
            )
        lines.append('<table class="heat">')
        lines.append(
            "<tr><th>workload \\ to</th>"
            + "".join(f"<th>{escape(c)}</th>" for c in columns)
            + "</tr>"
        )
        for w in workloads:
            cells = "".join(_cell(by_ns.get((w, c))) for c in columns)
            lines.append(f"<tr><th>{escape(_short(w))}</th>{cells}</tr>")
        lines.append("</table>")
        for w in workloads:
            pods = pods_of[w]
            lines.append(
                f'<details class="drill"><summary>{escape(w)} ({len(pods)} pod(s))</summary>'
            )
            groups: dict[int, list[str]] = {}
            for ref in pods:
                groups.setdefault(group_of[ref], []).append(ref)
            if len(groups) == 1:
                lines.append(f"<div>pods: {_cap(pods)}</div>")
            else:  # pods of one workload that policy (or their node) treats differently
                lines.append(f"<div>its pods behave in {len(groups)} different ways:</div><ul>")
                lines += [f"<li>{_cap(refs)}</li>" for refs in list(groups.values())[:LIST_CAP]]
                lines.append("</ul>")
            targets = sorted(reaches.get(w, ()), key=lambda t: t[0])
            if not targets:
                lines.append("<div class='muted'>reaches no other pod</div>")
            else:
                lines.append(f"<div>reaches {len(targets)} workload(s):</div><ul>")
                for dst, share in targets[:DESTINATIONS_CAP]:
                    how = CATEGORY_LABELS[share.category]
                    lines.append(f"<li>{escape(dst)}: {how} ({share.allowed}/{share.pairs})</li>")
                if len(targets) > DESTINATIONS_CAP:
                    lines.append(
                        f"<li class='muted'>... and {len(targets) - DESTINATIONS_CAP} more</li>"
                    )
                lines.append("</ul>")
            lines.append("</details>")
        lines.append("</details>")
    return lines


#: The workload graph is drawn (inline SVG) up to this many workloads; beyond, tables only.
GRAPH_WORKLOADS = 30


def _namespace_table(matrix: Matrix, table_id: str) -> list[str]:
    """The namespace x namespace heatmap table of one matrix."""
    namespaces = sorted({namespace_of(r) for r in matrix.pods})
    shares = aggregate(matrix, namespace_of)
    lines = [f'<table class="heat" id="{table_id}">']
    lines.append(
        "<tr><th>from \\ to</th>"
        + "".join(f'<th title="{escape(ns)}">{escape(ns)}</th>' for ns in namespaces)
        + "</tr>"
    )
    for r in namespaces:
        cells = "".join(_cell(shares.get((r, c)), f"{r} -> {c}") for c in namespaces)
        lines.append(f'<tr><th title="{escape(r)}">{escape(r)}</th>{cells}</tr>')
    lines.append("</table>")
    return lines


def family_lines(primary: Matrix, other: Matrix) -> list[str]:
    """A second family's view beside the primary's full one: its namespace heatmap and the
    workload pairs whose shares differ from the primary family's (policy written for one
    family, an ipBlock of one family, pods or Services without an address of it...)."""
    s = matrix_summary(other)
    lines = [
        f'<h3 id="reachability-ipv{other.family}">IPv{other.family}</h3>',
        f"<p>{s.pods} pods with an IPv{other.family} address, {escape(filter_label(other))}: "
        f"{s.allowed} of {s.pairs} ordered pod pairs allowed ({s.all_ports} on every port, "
        f"{s.some_ports} on some ports).</p>",
        *_namespace_table(other, f"namespace-heatmap-ipv{other.family}"),
    ]
    by_primary = aggregate(primary, lambda ref: workload_of(primary, ref))
    by_other = aggregate(other, lambda ref: workload_of(other, ref))
    keys = {k for k, _ in by_primary.allowed_items()} | {k for k, _ in by_other.allowed_items()}
    differ = sorted(
        (k, by_primary.get(k, Share()), by_other.get(k, Share()))
        for k in keys
        if by_primary.get(k, Share()) != by_other.get(k, Share())
    )
    if not differ:
        lines.append(
            f"<p id='family-differences'>Every workload pair has the same share of pod pairs "
            f"allowed over IPv{other.family} as over IPv{primary.family}.</p>"
        )
        return lines
    lines.append(
        f"<p id='family-differences'>{len(differ)} workload pair(s) where IPv{other.family} "
        f"differs from IPv{primary.family} (allowed pod pairs, all ports):</p>"
    )
    lines.append(
        f"<table><tr><th>from</th><th>to</th><th>IPv{primary.family}</th>"
        f"<th>IPv{other.family}</th></tr>"
    )
    for (src, dst), a, b in differ[:LIST_CAP]:
        lines.append(
            f"<tr><td>{escape(src)}</td><td>{escape(dst)}</td>"
            f"{_cell(a, f'IPv{primary.family}')}{_cell(b, f'IPv{other.family}')}</tr>"
        )
    lines.append("</table>")
    if len(differ) > LIST_CAP:
        lines.append(f"<p class='muted'>... and {len(differ) - LIST_CAP} more</p>")
    return lines


def _graph_lines(matrix: Matrix) -> list[str]:
    """For a small cluster, the workload graph as inline SVG (matplotlib, vector: crisp)."""
    workloads = {workload_of(matrix, ref) for ref in matrix.pods}
    if not workloads or len(workloads) > GRAPH_WORKLOADS:
        return []
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "svg", "pdf"):
        matplotlib.use("Agg")  # no display needed to write a page
    from .plots import plot_workload_graph, to_svg

    svg = to_svg(plot_workload_graph(matrix, max_workloads=GRAPH_WORKLOADS))
    return [
        '<details class="drill" id="workload-graph"><summary>Workload graph: allowed flows '
        f"between the {len(workloads)} workloads, labelled with their ports</summary>",
        f'<div style="max-width: 100%; overflow-x: auto">{svg}</div>',
        "</details>",
    ]


def _short(workload: str) -> str:
    """``Deployment/web`` for ``ns/Deployment/web`` (the row sits under its namespace)."""
    return workload.split("/", 1)[1] if "/" in workload else workload


# --------------------------------------------------------------------------- policy coverage


def _policy_subjects(cluster: Cluster) -> list[tuple[str, Any, list[str]]]:
    """``(kind ns/name, source, selected pod refs)`` for every policy kind the cluster holds."""
    from ..semantics.policy import selects

    live = [p for p in cluster.pods if not p.terminal and not p.host_network]
    rows: list[tuple[str, Any, list[str]]] = []
    for pol in cluster.policies:
        chosen = [
            p.ref
            for p in cluster.pods_by_namespace.get(pol.namespace, ())
            if not p.terminal and selects(pol, p)
        ]
        rows.append((f"NetworkPolicy {pol.namespace}/{pol.name}", pol.source, chosen))
    if cluster.admin_policies:
        from ..semantics.admin_policy import subject_selects

        for pol in cluster.admin_policies:
            chosen = [p.ref for p in live if subject_selects(cluster, pol, p)]
            rows.append((f"{pol.kind} {pol.name}", pol.source, chosen))
    if cluster.calico_policies:
        from ..semantics.calico_policy import _selects as calico_selects

        for pol in cluster.calico_policies:
            chosen = [p.ref for p in live if calico_selects(cluster, pol, p)]
            ident = f"{pol.namespace}/{pol.name}" if getattr(pol, "namespace", None) else pol.name
            rows.append((f"{pol.kind} {ident}", pol.source, chosen))
    return rows


def _by_workload(cluster: Cluster, refs: list[str]) -> list[str]:
    """Pod references folded into their workloads: ``ns/Deployment/web (3 pods)``."""
    from ..query import workload

    counts: dict[str, int] = {}
    for ref in refs:
        pod = cluster.pod_by_ref.get(ref)
        name = workload(pod) if pod is not None else ref
        counts[name] = counts.get(name, 0) + 1
    return [f"{w} ({n} pods)" if n > 1 else w for w, n in counts.items()]


def coverage_lines(cluster: Cluster, root: str | None = None) -> list[str]:
    """Each policy and the pods it selects (folded into workloads), then the pods no policy selects."""
    rows = _policy_subjects(cluster)
    lines = [
        '<table id="policy-coverage"><tr><th>policy</th><th>written at</th><th>selects</th></tr>'
    ]
    selected: set[str] = set()
    for name, source, chosen in rows:
        selected.update(chosen)
        what = (
            _cap(_by_workload(cluster, chosen)) if chosen else "<span class='denied'>no pod</span>"
        )
        lines.append(
            f"<tr><td>{escape(name)}</td><td><code>{escape(relative_source(source, root))}</code></td>"
            f"<td>{len(chosen)} pod(s): {what}</td></tr>"
        )
    lines.append("</table>")
    if not rows:
        lines.append("<p>The input has no policies.</p>")
    none = [
        p.ref for p in cluster.pods if not p.terminal and not p.implicit and p.ref not in selected
    ]
    by_ns: dict[str, list[str]] = {}
    for ref in none:
        by_ns.setdefault(namespace_of(ref), []).append(ref)
    lines.append(
        f"<h3>Pods selected by no policy: {len(none)}</h3>"
        "<p class='muted'>Not isolated: every pod and host may reach them, and they may reach "
        "anything (hostNetwork pods are never selected).</p>"
    )
    if by_ns:
        lines.append("<table id='unselected'><tr><th>namespace</th><th>pods</th></tr>")
        for ns, refs in sorted(by_ns.items()):
            lines.append(
                f"<tr><td>{escape(ns)}</td><td>{len(refs)}: {_cap(_by_workload(cluster, refs))}</td></tr>"
            )
        lines.append("</table>")
    return lines


# --------------------------------------------------------------------------- pages


def report_page(
    cluster: Cluster,
    report: CheckReport,
    matrix: Matrix | Sequence[Matrix] | None = None,
    *,
    inputs: Sequence[str] = (),
    root: str | None = None,
) -> str:
    """The ``netverify report`` page: verdicts, counterexamples, assumptions, reachability, coverage.

    ``matrix`` is one reachability matrix or one per address family, primary first: the
    primary family gets the full heatmap and drill-down, each other family its namespace
    heatmap and the workload pairs where it differs.
    """
    from ..matrix import Matrix
    from .describe import summary_line

    root = root if root is not None else (inputs[0] if len(inputs) == 1 else None)
    body = [
        "<h1>netverify report</h1>",
        f"<p class='muted'>input: {_cap(list(inputs)) or '-'}; "
        f"{sum(1 for p in cluster.pods if not p.implicit)} pods, "
        f"{sum(1 for s in cluster.services if not s.source.implicit)} Services, "
        f"{len(cluster.policies)} NetworkPolicies</p>",
        f"<p><strong>{escape(summary_line(report))}</strong></p>",
        '<nav><a href="#verdicts">verdicts</a><a href="#counterexamples">counterexamples</a>'
        '<a href="#assumptions">assumptions</a><a href="#reachability">reachability</a>'
        '<a href="#coverage">policy coverage</a>'
        '<button onclick="netverifyExpand(true)">expand all</button> '
        '<button onclick="netverifyExpand(false)">collapse all</button></nav>',
        '<h2 id="verdicts">Verdicts</h2>',
        *verdict_table_lines(report),
        '<h2 id="counterexamples">Counterexamples</h2>',
        *results_lines(report, root),
        '<h2 id="assumptions">What was assumed or inferred</h2>',
        *assumption_lines(cluster, report),
        '<h2 id="reachability">Reachability</h2>',
    ]
    matrices = [matrix] if isinstance(matrix, Matrix) else list(matrix or ())
    if not matrices:
        body.append("<p>Not computed.</p>")
    else:
        if len(matrices) > 1:
            body.append(
                f'<h3 id="reachability-ipv{matrices[0].family}">IPv{matrices[0].family}</h3>'
            )
        body += heatmap_lines(matrices[0])
        for other in matrices[1:]:
            body += family_lines(matrices[0], other)
    body += ['<h2 id="coverage">Policy coverage</h2>', *coverage_lines(cluster, root)]
    return page("netverify report", body)


def _change_lines(c: FlowChange, root: str | None) -> list[str]:
    ends = f"{escape(c.example_pods[0])} -&gt; {escape(c.example_pods[1])}"
    via = f" via {escape(c.via)}" if c.via else ""
    addresses = f"; addresses {_cap([str(a) for a in c.addresses])}" if c.addresses else ""
    lines = [
        f'<details class="cx"><summary><strong>{escape(c.source)}</strong> -&gt; '
        f"<strong>{escape(c.destination)}</strong>: ports <code>{escape(str(c.ports))}</code>"
        f"{via}</summary>",
        f"<div>example {ends} <code>{escape(str(c.example))}</code>{addresses}</div>",
    ]
    lines += trace_lines(c.old_trace, root=root, label="<strong>before</strong>: ")
    lines += trace_lines(c.new_trace, root=root, label="<strong>after</strong>: ")
    lines.append("</details>")
    return lines


def diff_page(result: Diff, *, old: str = "old", new: str = "new", root: str | None = None) -> str:
    """``netverify diff -o html``: newly allowed and newly denied flows, grouped by workload
    pair, each with its example and its traces before and after."""
    allowed, denied = result.newly_allowed, result.newly_denied
    body = [
        "<h1>netverify diff</h1>",
        f"<p class='muted'>before: {escape(old)}; after: {escape(new)}</p>",
        f"<p><strong>{len(allowed)} newly allowed, {len(denied)} newly denied</strong> "
        f"(workload pairs; {result.seconds:.1f}s)</p>",
    ]
    if result.status != "complete":
        body.append(f"<p class='other'>INCOMPLETE ({escape(result.status)})</p>")
    if result.added_pods:
        body.append(f"<p>added pods: {_cap(list(result.added_pods))}</p>")
    if result.removed_pods:
        body.append(f"<p>removed pods: {_cap(list(result.removed_pods))}</p>")
    for title, changes, anchor in (
        ("Newly allowed", allowed, "newly-allowed"),
        ("Newly denied", denied, "newly-denied"),
    ):
        body.append(f'<h2 id="{anchor}">{title} ({len(changes)})</h2>')
        if not changes:
            body.append("<p>None.</p>")
        for c in changes:
            body += _change_lines(c, root)
    notes = list(dict.fromkeys(result.notes))
    if notes:
        body.append("<h2>Notes</h2><ul>")
        body += [f"<li>{escape(n)}</li>" for n in notes]
        body.append("</ul>")
    return page("netverify diff", body)
