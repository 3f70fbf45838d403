"""Plain-text renderings for the terminal: one verdict line first, then the reasons.

>>> from verifier.trace import Hop, Trace, Branch, Verdict
>>> t = Trace("x/a", "x/b", 80, "TCP", 4, (), (Branch((Hop("deliver", "delivered", "to x/b"),), Verdict.ALLOWED, "x/b"),), Verdict.ALLOWED)
>>> print(format_trace(t))
ALLOWED  x/a -> x/b:80/TCP
  1. deliver  delivered: to x/b
"""

from __future__ import annotations

from collections.abc import Iterable

from ..trace import Branch, Hop, Trace, host_port

__all__ = ["format_trace", "format_hops", "format_resolution", "format_table", "format_diff"]


def format_hops(
    hops: Iterable[Hop], *, start: int = 1, indent: str = "  ", wide: bool = False
) -> list[str]:
    lines = []
    for i, hop in enumerate(hops, start):
        line = f"{indent}{i}. {hop.step:<8} {hop.outcome}: {hop.detail}"
        lines.append(line)
        for d in hop.deciders:
            lines.append(f"{indent}     {'by' if hop.outcome != 'denied' else 'isolated by'} {d}")
        if wide and hop.packet is not None:
            lines.append(f"{indent}     packet {hop.packet}")
    return lines


def _branch_header(b: Branch) -> str:
    if b.ip is None:
        return f"  backend {b.pod or '-'}  {b.verdict}"
    who = f"{b.pod} " if b.pod else ""
    return f"  backend {who}{host_port(b.ip, b.port)}  {b.verdict}"


def format_trace(trace: Trace, *, wide: bool = False) -> str:
    """The verdict line, then the shared hops, then each backend's hops."""
    head = f"{trace.verdict}  {trace.source} -> {host_port(trace.destination, trace.port)}/{trace.protocol}"
    if trace.family is not None and wide:
        head += f" (IPv{trace.family})"
    if len(trace.branches) > 1:
        ok = sum(b.reachable for b in trace.branches)
        head += f"  ({ok}/{len(trace.branches)} backends reachable)"
    lines = [head]
    lines += format_hops(trace.hops, wide=wide)
    n = len(trace.hops) + 1
    if len(trace.branches) == 1:
        lines += format_hops(trace.branches[0].hops, start=n, wide=wide)
    else:
        for b in trace.branches:
            lines.append(_branch_header(b))
            lines += format_hops(b.hops, start=n, indent="    ", wide=wide)
    for note in trace.notes:
        if not any(note in h.detail for h in trace.hops):
            lines.append(f"  note: {note}")
    return "\n".join(lines)


def format_resolution(res) -> str:
    """``netverify dns`` text: the answer, then the search-list walk."""
    lines = [
        f"{res.rcode}  {res.name} {res.qtype}"
        + (f"  (answered by {res.answered_by})" if res.answered_by else "")
    ]
    for r in res.answers:
        lines.append(f"  {r.name}\t{r.type}\t{r.data}")
    lines.append("  search:")
    for a in res.candidates:
        lines.append(f"    {a.query_name:<50} {a.rcode}{'  <- answer' if a.answered else ''}")
    conf = res.resolver
    lines.append(
        f"  resolver: nameservers {', '.join(conf.nameservers) or '-'}; ndots {conf.ndots}"
    )
    return "\n".join(lines)


def format_table(rows: list[list[str]], header: list[str]) -> str:
    """A left-aligned column table, like ``kubectl get``."""
    widths = (
        [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
        if rows
        else [len(h) for h in header]
    )
    out = ["   ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for r in rows:
        out.append("   ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(out)


def format_diff(d, *, wide: bool = False) -> str:
    """``netverify diff`` text: newly allowed first (what a reviewer must look at), then newly denied.

    An incomplete search (the solver gave up, or the change limit was reached)
    says so on the first line and again in the summary, changes or not:

    >>> from verifier.diff import Diff
    >>> print(format_diff(Diff((), status="unknown: timeout")))
    INCOMPLETE (unknown: timeout): changes may be missing from this list
    no flow changes found, but the search is incomplete (unknown: timeout)
    >>> print(format_diff(Diff(())))
    no flow changes between the two states
    """
    complete = d.status == "complete"
    lines = [] if complete else [f"INCOMPLETE ({d.status}): changes may be missing from this list"]
    for c in d.changes:
        sign = "+ newly allowed" if c.change == "allowed" else "- newly denied "
        lines.append(f"{sign}  {c.source} -> {c.destination}  {c.ports}")
        if getattr(c, "addresses", ()):
            lines.append(f"    outside addresses {', '.join(map(str, c.addresses))}")
        via = f" {c.via}" if getattr(c, "via", None) else ""
        lines.append(f"    example {c.example_pods[0]} -> {c.example_pods[1]}  {c.example}{via}")
        for label, t in (("before", c.old_trace), ("after", c.new_trace)):
            decisive = [
                h
                for h in t.all_hops
                if h.step in ("egress", "ingress") and (h.outcome == "denied" or h.deciders)
            ]
            why = "; ".join(
                f"{h.step} {h.outcome}"
                + (f" by {', '.join(map(str, h.deciders))}" if h.deciders else "")
                for h in decisive
            )
            lines.append(f"    {label:<6} {t.verdict}" + (f": {why}" if why else ""))
            if wide:
                lines += format_hops(t.all_hops, indent="        ")
    if d.added_pods:
        lines.append(f"pods only in the new state: {', '.join(d.added_pods)}")
    if d.removed_pods:
        lines.append(f"pods only in the old state: {', '.join(d.removed_pods)}")
    allowed, denied = len(d.newly_allowed), len(d.newly_denied)
    if not (d.changes or d.added_pods or d.removed_pods):
        summary = (
            "no flow changes between the two states"
            if complete
            else f"no flow changes found, but the search is incomplete ({d.status})"
        )
    else:
        summary = f"{allowed} newly allowed, {denied} newly denied workload pair(s)"
        if not complete:
            summary += f" ({d.status}: the list may be incomplete)"
    lines.append(summary)
    return "\n".join(lines)
