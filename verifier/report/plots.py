"""matplotlib figures: the reachability heatmap.

This is the only module that imports matplotlib. Functions return the
``Figure``; a figure they create themselves is closed in pyplot first, so a
notebook shows it exactly once (as the cell's value) and scripts do not leak
figures. Pass ``ax`` to draw into a figure of your own.

>>> import matplotlib; matplotlib.use("Agg")
>>> from verifier.model import Cluster, Pod, ip_address
>>> from verifier.matrix import matrix
>>> pods = tuple(Pod(namespace="x", name=n, node_name="n1", ips=(ip_address(f"10.244.0.{i}"),)) for i, n in enumerate("ab", 2))
>>> fig = plot_matrix(matrix(Cluster(pods=pods)))
>>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
['a', 'b']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import Patch

from .views import (
    ALL_PORTS,
    CATEGORY_LABELS,
    SELF,
    Share,
    aggregate,
    category_grid,
    filter_label,
    matrix_summary,
    namespace_groups,
    namespace_of,
    namespace_shares,
    pod_order,
    short_ports,
    workload_of,
)

if TYPE_CHECKING:  # annotations only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..matrix import Matrix

__all__ = [
    "AGGREGATE_ABOVE",
    "ANNOTATE_MAX",
    "CATEGORY_COLOURS",
    "MATRIX_CMAP",
    "MATRIX_NORM",
    "plot_matrix",
    "plot_workload_graph",
    "to_svg",
]

#: One colour per views.CATEGORY_LABELS entry: denied, some ports, all ports, self.
#: Denied is the light background colour because default-deny clusters are mostly
#: denied; the two blues stay distinct for colour-blind readers.
CATEGORY_COLOURS = ("#eeeeee", "#9ecae1", "#2171b5", "#969696")
MATRIX_CMAP = ListedColormap(CATEGORY_COLOURS, name="netverify-reachability")
#: Category i is drawn for values in [i - 0.5, i + 0.5).
MATRIX_NORM = BoundaryNorm(np.arange(len(CATEGORY_COLOURS) + 1) - 0.5, MATRIX_CMAP.N)
#: Per-cell text only while it stays readable (ux-conventions §3: n <= ~20).
ANNOTATE_MAX = 20
#: Above this many pods the pod x pod grid is unreadable: aggregate by namespace.
AGGREGATE_ABOVE = 60


def _new_axes(ax: Axes | None, width: float, height: float | None = None) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(
        figsize=(width, width if height is None else height), layout="constrained"
    )
    # Closed but alive: returned as the cell's value it still renders (once), and
    # pyplot does not keep every figure a loop of calls creates.
    plt.close(fig)
    return fig, ax


def _label_groups(ax: Axes, groups: list[tuple[str, int, int]]) -> None:
    """Separator lines at namespace boundaries; namespace names on top and on the right."""
    for _, start, _ in groups[1:]:
        ax.axhline(start - 0.5, color="black", linewidth=0.8)
        ax.axvline(start - 0.5, color="black", linewidth=0.8)
    centres = [(start + stop - 1) / 2 for _, start, stop in groups]
    names = [ns for ns, _, _ in groups]
    top = ax.secondary_xaxis("top")
    top.set_xticks(centres, labels=names, rotation=45, ha="left", fontweight="bold")
    top.tick_params(length=0)
    right = ax.secondary_yaxis("right")
    right.set_yticks(centres, labels=names, fontweight="bold")
    right.tick_params(length=0)


def _legend(fig: Figure, ax: Axes) -> None:
    """The four categories below the figure; beside the axes in a figure the caller laid out."""
    handles = [
        Patch(facecolor=c, edgecolor="grey", label=label)
        for c, label in zip(CATEGORY_COLOURS, CATEGORY_LABELS, strict=True)
    ]
    style = {"handles": handles, "frameon": False, "fontsize": "small"}
    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        # "outside" legends need constrained layout; they never cover namespace labels.
        fig.legend(loc="outside lower center", ncols=len(handles), **style)
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.2, 1.0), **style)


def _pod_matrix(matrix: Matrix, ax: Axes | None) -> Figure:
    order = pod_order(matrix.pods)
    n = len(order)
    fig, ax = _new_axes(ax, 0.25 * n + 3)
    ax.set_title(f"Reachability: {n} pods, IPv{matrix.family}, {filter_label(matrix)}")
    if n == 0:  # nothing to draw; an empty image would only produce singular-limit warnings
        ax.text(0.5, 0.5, "no pods", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    grid = np.array(category_grid(matrix, order), dtype=float).reshape(n, n)
    ax.imshow(grid, cmap=MATRIX_CMAP, norm=MATRIX_NORM, aspect="equal", interpolation="nearest")
    names = [ref.split("/", 1)[1] for ref in order]
    ax.set_xticks(range(n), labels=names, rotation=90)
    ax.set_yticks(range(n), labels=names)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    _label_groups(ax, namespace_groups(order))
    if n <= ANNOTATE_MAX:
        for i, src in enumerate(order):
            for j, dst in enumerate(order):
                text = "" if i == j else short_ports(matrix.allowed(src, dst))
                if text:
                    # White on the dark "all ports" blue, black on the light colours.
                    colour = "white" if grid[i, j] == ALL_PORTS else "black"
                    ax.text(j, i, text, ha="center", va="center", fontsize=6, color=colour)
    _legend(fig, ax)
    return fig


def _namespace_matrix(matrix: Matrix, ax: Axes | None) -> Figure:
    namespaces, cells = namespace_shares(matrix)
    shares = aggregate(matrix, namespace_of)
    k = len(namespaces)
    fig, ax = _new_axes(ax, 0.6 * k + 3)
    # Coloured by category as the pod-level heatmap (every pair on every port, some, none;
    # "self" for a namespace with one pod, which has no pair with itself), labelled with the share.
    grid = np.array(
        [
            [
                shares[(r, c)].category if shares.get((r, c), Share()).pairs else SELF
                for c in namespaces
            ]
            for r in namespaces
        ],
        dtype=float,
    ).reshape(k, k)
    ax.imshow(grid, cmap=MATRIX_CMAP, norm=MATRIX_NORM, aspect="equal", interpolation="nearest")
    ax.set_xticks(range(k), labels=namespaces, rotation=90)
    ax.set_yticks(range(k), labels=namespaces)
    ax.set_xlabel("to namespace")
    ax.set_ylabel("from namespace")
    if k <= ANNOTATE_MAX:
        for i in range(k):
            for j in range(k):
                allowed, total = cells[i][j]
                text = f"{allowed / total:.0%}" if total else "n/a"
                colour = "white" if grid[i, j] in (ALL_PORTS, SELF) else "black"
                ax.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
    s = matrix_summary(matrix)
    ax.set_title(
        f"Reachability by namespace\n{s.pods} pods aggregated: share of pod pairs allowed\n"
        f"IPv{matrix.family}, {filter_label(matrix)}",
        fontsize="medium",
    )
    _legend(fig, ax)
    return fig


def plot_matrix(matrix: Matrix, ax: Axes | None = None, *, aggregate: bool | None = None) -> Figure:
    """The reachability matrix as a heatmap; returns the Figure.

    Rows are sources and columns destinations, sorted by namespace then name, with
    separator lines and namespace labels; cells are coloured by
    :data:`~verifier.report.views.CATEGORY_LABELS` (denied / some ports / all ports /
    self) and labelled with their ports when there are at most 20 pods. With more
    than 60 pods (or ``aggregate=True``) the figure is namespace x namespace, coloured
    by the same categories (all ports: every pod pair on every port) and labelled with
    the share of pod pairs allowed, and its title says so. A legend explains the colours.
    """
    if aggregate is None:
        aggregate = len(matrix.pods) > AGGREGATE_ABOVE
    return _namespace_matrix(matrix, ax) if aggregate else _pod_matrix(matrix, ax)


#: The workload graph draws at most this many workloads (use ``namespaces=`` to focus).
GRAPH_MAX = 40


def plot_workload_graph(
    matrix: Matrix,
    namespaces: list[str] | None = None,
    *,
    ax: Axes | None = None,
    max_workloads: int = GRAPH_MAX,
) -> Figure:
    """Workloads as nodes grouped in one box per namespace, allowed flows between them as
    arrows labelled with their ports (``all``, ``80``, ``53+``...).

    For small or focused views: ``namespaces`` keeps the workloads of those namespaces
    (default all); more than ``max_workloads`` is a ``ValueError`` saying to focus. A
    workload's flows to its own pods are left out.
    """
    from matplotlib.patches import FancyBboxPatch

    members: dict[str, list[str]] = {}
    for ref in matrix.pods:
        if namespaces is None or namespace_of(ref) in namespaces:
            members.setdefault(workload_of(matrix, ref), []).append(ref)
    if len(members) > max_workloads:
        raise ValueError(
            f"{len(members)} workloads is too many for a graph (max_workloads={max_workloads}): "
            "pass namespaces=[...] to focus, or use plot_matrix"
        )
    by_ns: dict[str, list[str]] = {}
    for w in sorted(members):
        by_ns.setdefault(namespace_of(w), []).append(w)
    # Layout: one column per namespace, its workloads stacked in it.
    pos: dict[str, tuple[float, float]] = {}
    tallest = max((len(ws) for ws in by_ns.values()), default=1)
    for x, (_, ws) in enumerate(sorted(by_ns.items())):
        for y, w in enumerate(ws):
            pos[w] = (x * 3.0, (tallest - 1 - y) * 1.2 - (tallest - len(ws)) * 0.6)
    fig, ax = _new_axes(ax, 3.2 * max(1, len(by_ns)) + 1, 1.3 * tallest + 1.5)
    ax.set_axis_off()
    ax.set_title(f"Allowed flows between workloads, IPv{matrix.family}, {filter_label(matrix)}")
    if not pos:
        ax.text(0.5, 0.5, "no workloads", ha="center", va="center", transform=ax.transAxes)
        return fig
    for x, (ns, ws) in enumerate(sorted(by_ns.items())):
        ys = [pos[w][1] for w in ws]
        ax.add_patch(
            FancyBboxPatch(
                (x * 3.0 - 1.2, min(ys) - 0.5), 2.4, max(ys) - min(ys) + 1.0,
                boxstyle="round,pad=0.05", facecolor="#f6f8fa", edgecolor="#8c959f",
            )
        )  # fmt: skip
        ax.text(x * 3.0, max(ys) + 0.7, ns, ha="center", va="bottom", fontweight="bold")
    for w, (x, y) in pos.items():
        name = w.rsplit("/", 1)[-1]
        ax.text(x, y, name, ha="center", va="center", fontsize=8,
                bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#2171b5"})  # fmt: skip
    for s in pos:
        for d in pos:
            if s == d:
                continue
            cell = matrix.allowed(members[s][0], members[d][0])
            if not cell:
                continue
            full = cell == matrix.allowed(members[s][0], members[s][0])
            (x0, y0), (x1, y1) = pos[s], pos[d]
            colour = CATEGORY_COLOURS[ALL_PORTS if full else 1]
            ax.annotate(
                "", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": "->", "color": colour, "shrinkA": 14, "shrinkB": 14,
                            "connectionstyle": "arc3,rad=0.15", "linewidth": 1.2},
            )  # fmt: skip
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.12, short_ports(cell), fontsize=6,
                    ha="center", va="center", color="#1f2328",
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none",
                          "alpha": 0.8})  # fmt: skip
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.5, max(xs) + 1.5)
    ax.set_ylim(min(ys) - 1.0, max(ys) + 1.5)
    return fig


def to_svg(fig: Figure) -> str:
    """The figure as SVG text (crisp at any size; an HTML page or an ipywidgets HTML can inline it)."""
    import io

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]
