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

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
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
    "Share",
    "aggregate",
    "behaviour_groups",
    "category_grid",
    "cell_category",
    "filter_label",
    "matrix_summary",
    "namespace_groups",
    "namespace_of",
    "namespace_shares",
    "pod_order",
    "relative_source",
    "short_ports",
    "trace_sections",
    "workload_of",
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
    total = aggregate(matrix, lambda _ref: "").get(("", ""), Share())
    n = len(matrix.pods)
    return MatrixSummary(
        pods=n,
        namespaces=len({namespace_of(ref) for ref in matrix.pods}),
        pairs=n * (n - 1),
        all_ports=total.all_ports,
        some_ports=total.some_ports,
    )


def namespace_shares(matrix: Matrix) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Namespaces, and for each (from, to) namespace pair ``(allowed, pairs)`` of distinct pods.

    A namespace with one pod has no pair with itself: its diagonal cell is ``(0, 0)``.
    """
    namespaces = sorted({namespace_of(ref) for ref in matrix.pods})
    shares = aggregate(matrix, namespace_of)
    cells = [
        [
            (shares.get((r, c), Share()).allowed, shares.get((r, c), Share()).pairs)
            for c in namespaces
        ]
        for r in namespaces
    ]
    return namespaces, cells


# --------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class Share:
    """An aggregated matrix cell: how many ordered pairs of distinct pods it covers and
    how many of them are allowed on every port or on some ports only."""

    pairs: int = 0
    all_ports: int = 0
    some_ports: int = 0

    @property
    def allowed(self) -> int:
        return self.all_ports + self.some_ports

    @property
    def category(self) -> int:
        """ALL_PORTS when every pair is allowed on every port, DENIED when none is
        allowed (or there is no pair), else SOME_PORTS."""
        if not self.allowed:
            return DENIED
        return ALL_PORTS if self.all_ports == self.pairs else SOME_PORTS

    def __add__(self, other: Share) -> Share:
        return Share(
            self.pairs + other.pairs,
            self.all_ports + other.all_ports,
            self.some_ports + other.some_ports,
        )


def behaviour_groups(matrix: Matrix) -> list[list[str]]:
    """The pods in groups whose every cell is the same: one pod answers for its group.

    Pods of one class (and, for a class whose cells depend on the node, of one node)
    have the same row and the same column, so an aggregated view costs one lookup per
    pair of groups, not per pair of pods (10,000 pods are a few hundred groups).
    """
    by_node = matrix.node_dependent_classes()
    groups: dict[tuple, list[str]] = {}
    for ref in matrix.pods:
        c = matrix._class_of[ref]
        key = (c, matrix._node_of.get(ref) if c in by_node else None)
        groups.setdefault(key, []).append(ref)
    return list(groups.values())


def workload_of(matrix: Matrix, ref: str) -> str:
    """The workload a pod belongs to (``ns/Kind/name``), or the pod itself."""
    return matrix._workload_of.get(ref, ref)


class Shares(Mapping):
    """``(row label, column label) -> Share`` over every ordered pair of distinct pods.

    A label pair is in the mapping when it labels at least one pair of pods. The
    pair counts come from how many pods carry each label; only the allowed counts
    are stored, so a workload x workload view of 10,000 pods costs what its allowed
    cells cost. :meth:`allowed_items` lists the label pairs with an allowed pair.
    """

    def __init__(
        self,
        rows: Counter[str],
        columns: Counter[str],
        both: Counter[tuple[str, str]],
        allowed: dict[tuple[str, str], list[int]],
    ):
        self._rows, self._columns, self._both, self._allowed = rows, columns, both, allowed

    def _pairs(self, key: tuple[str, str]) -> int:
        r, c = key
        return self._rows.get(r, 0) * self._columns.get(c, 0) - self._both.get(key, 0)

    def __getitem__(self, key: tuple[str, str]) -> Share:
        pairs = self._pairs(key)
        if pairs <= 0:
            raise KeyError(key)
        all_ports, some_ports = self._allowed.get(key, (0, 0))
        return Share(pairs, all_ports, some_ports)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((r, c) for r in self._rows for c in self._columns if self._pairs((r, c)) > 0)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def allowed_items(self) -> list[tuple[tuple[str, str], Share]]:
        """The label pairs with at least one allowed pair of pods."""
        return [(k, self[k]) for k, (a, s) in self._allowed.items() if a + s]


def aggregate(
    matrix: Matrix,
    row: Callable[[str], str],
    column: Callable[[str], str] | None = None,
) -> Shares:
    """``{(row label, column label): Share}`` over every ordered pair of distinct pods,
    sources labelled by ``row`` and destinations by ``column`` (default ``row``).

    Computed per behaviour group (:func:`behaviour_groups`) and only over the groups
    a source group may reach (the matrix's non-empty cells), so it stays fast at
    10,000 pods. Pairs with no allowed port still count in ``pairs``.
    """
    column = column or row
    groups, cells = _group_cells(matrix)
    rows_of = [Counter(row(ref) for ref in refs) for refs in groups]
    columns_of = [Counter(column(ref) for ref in refs) for refs in groups]
    both_of = [Counter((row(ref), column(ref)) for ref in refs) for refs in groups]
    allowed: dict[tuple[str, str], list[int]] = {}
    for gs, gd, slot in cells:
        both = both_of[gs] if gs == gd else None
        for r, nr in rows_of[gs].items():
            for c, nc in columns_of[gd].items():
                n = nr * nc - (both.get((r, c), 0) if both is not None else 0)
                if n:
                    counts = allowed.setdefault((r, c), [0, 0])
                    counts[slot] += n
    rows = Counter(row(ref) for ref in matrix.pods)
    columns = Counter(column(ref) for ref in matrix.pods)
    both = Counter((row(ref), column(ref)) for ref in matrix.pods)
    return Shares(rows, columns, both, allowed)


def _group_cells(matrix: Matrix) -> tuple[list[list[str]], list[tuple[int, int, int]]]:
    """The behaviour groups, and each ordered pair of them with an allowed cell: ``(source
    group, destination group, 0 for all ports or 1 for some)``. Kept with the matrix: every
    view of a report aggregates the same cells under other labels."""
    found = matrix.__dict__.get("_group_cells")
    if found is not None:
        return found
    groups = behaviour_groups(matrix)
    by_class: dict[int, list[int]] = {}
    for g, refs in enumerate(groups):
        by_class.setdefault(matrix._class_of[refs[0]], []).append(g)
    cells: list[tuple[int, int, int]] = []
    for gs, src in enumerate(groups):
        own = matrix.allowed(src[0], src[0])
        for j in matrix.reachable_classes(src[0]):
            for gd in by_class.get(j, ()):
                same = gs == gd
                if same and len(src) < 2:
                    continue
                cell = matrix.allowed(src[0], src[1] if same else groups[gd][0])
                if cell:
                    cells.append((gs, gd, 0 if cell == own else 1))
    found = matrix.__dict__["_group_cells"] = (groups, cells)
    return found


def namespace_of(ref: str) -> str:
    """``ns`` of ``ns/name`` (or of ``ns/Kind/name``)."""
    return ref.split("/", 1)[0]


def relative_source(source: object, root: str | None) -> str:
    """``file:line`` with the file relative to ``root`` (the input directory) when it lies below it.

    >>> from verifier.model import Source
    >>> relative_source(Source("fixtures/demo/base/web.yaml", 12), "fixtures/demo")
    'base/web.yaml:12'
    >>> relative_source(Source("other/web.yaml", 3), "fixtures/demo"), relative_source(None, None)
    ('other/web.yaml:3', '')
    """
    import os

    if source is None:
        return ""
    file, line = getattr(source, "file", str(source)), getattr(source, "line", None)
    if root and file and not file.startswith("<"):
        base = root if os.path.isdir(root) else os.path.dirname(root)
        try:
            rel = os.path.relpath(file, base or ".")
        except ValueError:  # another drive
            rel = file
        if not rel.startswith(".."):
            file = rel
    return file if line is None else f"{file}:{line}"
