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
    category_grid,
    filter_label,
    matrix_summary,
    namespace_groups,
    namespace_shares,
    pod_order,
    short_ports,
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
    k = len(namespaces)
    fig, ax = _new_axes(ax, 0.6 * k + 3)
    share = np.array(
        [[a / total if total else np.nan for a, total in row] for row in cells], dtype=float
    )
    share = share.reshape(k, k)
    # A namespace with one pod has no pair with itself: NaN, drawn in the background colour.
    cmap = plt.get_cmap("viridis").with_extremes(bad=CATEGORY_COLOURS[0])
    image = ax.imshow(share, cmap=cmap, vmin=0.0, vmax=1.0, aspect="equal", interpolation="nearest")
    ax.set_xticks(range(k), labels=namespaces, rotation=90)
    ax.set_yticks(range(k), labels=namespaces)
    ax.set_xlabel("to namespace")
    ax.set_ylabel("from namespace")
    if k <= ANNOTATE_MAX:
        for i in range(k):
            for j in range(k):
                value = share[i, j]
                text, colour = (
                    ("n/a", "black")
                    if np.isnan(value)
                    else (f"{value:.0%}", "black" if value > 0.6 else "white")
                )
                ax.text(
                    j, i, text, ha="center", va="center", fontsize=7, color=colour
                )  # viridis is light at the top
    fig.colorbar(image, ax=ax, label="share of pod pairs allowed", shrink=0.8)
    s = matrix_summary(matrix)
    ax.set_title(
        f"Reachability by namespace\n{s.pods} pods aggregated: share of pod pairs allowed\n"
        f"IPv{matrix.family}, {filter_label(matrix)}",
        fontsize="medium",
    )
    return fig


def plot_matrix(matrix: Matrix, ax: Axes | None = None, *, aggregate: bool | None = None) -> Figure:
    """The reachability matrix as a heatmap; returns the Figure.

    Rows are sources and columns destinations, sorted by namespace then name, with
    separator lines and namespace labels; cells are coloured by
    :data:`~verifier.report.views.CATEGORY_LABELS` (denied / some ports / all ports /
    self) and labelled with their ports when there are at most 20 pods. With more
    than 60 pods (or ``aggregate=True``) the figure is the namespace x namespace
    share of pod pairs allowed, and its title says so.
    """
    if aggregate is None:
        aggregate = len(matrix.pods) > AGGREGATE_ABOVE
    return _namespace_matrix(matrix, ax) if aggregate else _pod_matrix(matrix, ax)
