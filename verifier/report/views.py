"""Renderer-neutral views of results, shared by the HTML, DataFrame and plot renderers.

Nothing here imports pandas, matplotlib or ipywidgets: these are plain functions
that decide *what* to show (which hops, in which order, with which number; which
colour category a matrix cell falls in), so every renderer shows the same thing.

>>> from verifier.trace import Hop, Trace, Branch, Verdict
>>> t = Trace("x/a", "x/b", 80, "TCP", 4, (), (Branch((Hop("deliver", "delivered", "to x/b"),), Verdict.ALLOWED, "x/b"),), Verdict.ALLOWED)
>>> [(s.branch is None, s.start, len(s.hops)) for s in trace_sections(t)]
[(True, 1, 0), (True, 1, 1)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..trace import Branch, Hop, Trace, Verdict

if TYPE_CHECKING:  # only for annotations: views must not import the matrix machinery
    from ..matrix import Matrix
    from ..semantics.portset import PortSet

__all__ = [
    "ALL_PORTS",
    "CATEGORY_LABELS",
    "DENIED",
    "SELF",
    "SOME_PORTS",
    "MatrixSummary",
    "Section",
    "category_grid",
    "cell_category",
    "filter_label",
    "matrix_summary",
    "namespace_groups",
    "namespace_shares",
    "pod_order",
    "short_ports",
    "trace_sections",
]


# --------------------------------------------------------------------------- traces


@dataclass(frozen=True)
class Section:
    """A run of consecutively numbered hops.

    ``branch`` is None for the hops every path shares and for the single path of
    a trace without a choice of backend; otherwise the backend the hops belong to.
    ``verdict`` is how the section's path ends (None for the shared hops).
    """

    branch: Branch | None
    start: int
    hops: tuple[Hop, ...]
    verdict: Verdict | None = None


def trace_sections(trace: Trace) -> list[Section]:
    """The shared hops, then one section per backend branch.

    Numbering continues from the shared hops into each branch (every branch
    restarts at the same number), as ``netverify reach`` prints it. A trace
    with a single branch has no backend header: its hops simply follow on.
    """
    shared = Section(None, 1, tuple(trace.hops))
    start = len(trace.hops) + 1
    if len(trace.branches) == 1:
        only = trace.branches[0]
        return [shared, Section(None, start, tuple(only.hops), only.verdict)]
    return [shared, *(Section(b, start, tuple(b.hops), b.verdict) for b in trace.branches)]


# --------------------------------------------------------------------------- matrix cells

#: Colour categories of a matrix cell, in the order of the heatmap's colour map.
DENIED, SOME_PORTS, ALL_PORTS, SELF = 0, 1, 2, 3
CATEGORY_LABELS = ("denied", "some ports", "all ports", "self")


def cell_category(matrix: Matrix, source: str, destination: str) -> int:
    """DENIED, SOME_PORTS, ALL_PORTS or SELF for one ordered pod pair.

    "All ports" is relative to the matrix's own port/protocol filter: a pod
    talking to itself is never filtered by policy, so ``allowed(p, p)`` is the
    full set the filter leaves.
    """
    if source == destination:
        return SELF
    cell = matrix.allowed(source, destination)
    if not cell:
        return DENIED
    return ALL_PORTS if cell == matrix.allowed(source, source) else SOME_PORTS


def short_ports(cell: PortSet, width: int = 5) -> str:
    """A short cell label: ``all``, ``80``, ``53+`` (more ports follow), or empty when denied.

    A range wider than ``width`` characters shows as its first port and ``+``.

    >>> from verifier.semantics.portset import FULL, EMPTY, PortSet
    >>> short_ports(FULL), short_ports(EMPTY), short_ports(PortSet((((80, 80),), (), ()))), short_ports(PortSet((((53, 53), (80, 80)), (), ())))
    ('all', '', '80', '53+')
    """
    if not cell:
        return ""
    if cell.is_full:
        return "all"
    items = cell.items()
    lo, hi = items[0][1][0]
    first = str(lo) if lo == hi else f"{lo}-{hi}"
    more = len(items) > 1 or len(items[0][1]) > 1
    if more or len(first) > width:
        return f"{lo}+"
    return first


def filter_label(matrix: Matrix) -> str:
    """The matrix's port/protocol filter in words: ``all ports``, ``port 80/TCP``, ``any port/UDP``."""
    if matrix.port is None and matrix.protocol is None:
        return "all ports"
    port = "any port" if matrix.port is None else f"port {matrix.port}"
    return port + ("" if matrix.protocol is None else f"/{matrix.protocol}")


def pod_order(pods: Iterable[str]) -> list[str]:
    """``ns/name`` references sorted by namespace, then name."""
    return sorted(pods, key=lambda ref: tuple(ref.split("/", 1)))


def namespace_groups(pods: Iterable[str]) -> list[tuple[str, int, int]]:
    """``(namespace, start, stop)`` index runs of an ordered pod list.

    >>> namespace_groups(["a/x", "a/y", "b/z"])
    [('a', 0, 2), ('b', 2, 3)]
    """
    groups: list[tuple[str, int, int]] = []
    for i, ref in enumerate(pods):
        ns = ref.split("/", 1)[0]
        if groups and groups[-1][0] == ns:
            groups[-1] = (ns, groups[-1][1], i + 1)
        else:
            groups.append((ns, i, i + 1))
    return groups


def category_grid(matrix: Matrix, pods: list[str] | None = None) -> list[list[int]]:
    """Rows are sources, columns destinations (default order: :func:`pod_order`)."""
    order = pod_order(matrix.pods) if pods is None else pods
    return [[cell_category(matrix, s, d) for d in order] for s in order]


@dataclass(frozen=True)
class MatrixSummary:
    """Counts over ordered pairs of distinct pods."""

    pods: int
    namespaces: int
    pairs: int
    all_ports: int
    some_ports: int

    @property
    def allowed(self) -> int:
        return self.all_ports + self.some_ports

    @property
    def denied(self) -> int:
        return self.pairs - self.allowed


def matrix_summary(matrix: Matrix) -> MatrixSummary:
    """How many ordered pairs of distinct pods may talk, on every port or on some."""
    counts = [0] * len(CATEGORY_LABELS)
    for row in category_grid(matrix):
        for c in row:
            counts[c] += 1
    n = len(matrix.pods)
    return MatrixSummary(
        pods=n,
        namespaces=len(namespace_groups(pod_order(matrix.pods))),
        pairs=n * (n - 1),
        all_ports=counts[ALL_PORTS],
        some_ports=counts[SOME_PORTS],
    )


def namespace_shares(matrix: Matrix) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Namespaces, and for each (from, to) namespace pair ``(allowed, pairs)`` of distinct pods.

    A namespace with one pod has no pair with itself: its diagonal cell is ``(0, 0)``.
    """
    order = pod_order(matrix.pods)
    groups = namespace_groups(order)
    grid = category_grid(matrix, order)
    cells: list[list[tuple[int, int]]] = []
    for _, r0, r1 in groups:
        row = []
        for _, c0, c1 in groups:
            kinds = [grid[i][j] for i in range(r0, r1) for j in range(c0, c1) if i != j]
            row.append((sum(k in (SOME_PORTS, ALL_PORTS) for k in kinds), len(kinds)))
        cells.append(row)
    return [g[0] for g in groups], cells
