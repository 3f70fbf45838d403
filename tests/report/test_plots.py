"""The reachability heatmap, checked on the Figure's artists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: no display in tests

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from tests.builders import cluster as build_cluster
from tests.builders import pod
from tests.report.clusters import shop
from verifier.matrix import matrix
from verifier.report.plots import (
    CATEGORY_COLOURS,
    MATRIX_CMAP,
    MATRIX_NORM,
    plot_matrix,
    plot_workload_graph,
    to_svg,
)
from verifier.report.views import ALL_PORTS, CATEGORY_LABELS, DENIED, SELF, SOME_PORTS

ORDER = ["tool", "db-0", "web-0", "web-1"]  # dev first, then shop; names only


@pytest.fixture(scope="module")
def shop_matrix():
    return matrix(shop())


@pytest.fixture(scope="module")
def fig(shop_matrix):
    return plot_matrix(shop_matrix)


def _labels(ticklabels) -> list[str]:
    return [t.get_text() for t in ticklabels]


def _many_pods(n: int, namespaces=("a", "b", "c")):
    """``n`` pods spread over ``namespaces``, no policies: everything reaches everything."""
    pods = [
        pod(
            f"{namespaces[i % len(namespaces)]}/p{i:03d}",
            ip=f"10.244.{i // 200}.{i % 200 + 2}",
            node="n1",
        )
        for i in range(n)
    ]
    return matrix(build_cluster(pods))


def test_returns_the_figure_with_names_on_sorted_ticks(fig):
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert _labels(ax.get_xticklabels()) == ORDER
    assert _labels(ax.get_yticklabels()) == ORDER
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("to", "from")
    assert all(t.get_rotation() == 90 for t in ax.get_xticklabels())
    assert ax.get_title() == "Reachability: 4 pods, IPv4, all ports"


def test_square_cells_and_size(fig):
    ax = fig.axes[0]
    assert ax.get_aspect() == 1.0
    assert tuple(fig.get_size_inches()) == pytest.approx((0.25 * 4 + 3, 0.25 * 4 + 3))


def test_colour_categories(fig):
    image = fig.axes[0].get_images()[0]
    assert image.cmap is MATRIX_CMAP and image.norm is MATRIX_NORM
    assert [to_hex(c) for c in MATRIX_CMAP.colors] == list(CATEGORY_COLOURS)
    # Each category value maps to its own colour.
    assert [
        to_hex(MATRIX_CMAP(MATRIX_NORM(v))) for v in (DENIED, SOME_PORTS, ALL_PORTS, SELF)
    ] == list(CATEGORY_COLOURS)
    # Rows: tool, db-0, web-0, web-1 (see tests/report/clusters.py): dev/tool is denied only to db.
    assert np.asarray(image.get_array()).tolist() == [
        [SELF, DENIED, SOME_PORTS, SOME_PORTS],
        [ALL_PORTS, SELF, SOME_PORTS, SOME_PORTS],
        [ALL_PORTS, SOME_PORTS, SELF, SOME_PORTS],
        [ALL_PORTS, SOME_PORTS, SOME_PORTS, SELF],
    ]
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == list(CATEGORY_LABELS)
    assert [to_hex(h.get_facecolor()) for h in legend.legend_handles] == list(CATEGORY_COLOURS)


def test_namespace_separators_and_group_labels(fig):
    ax = fig.axes[0]
    # One boundary (dev | shop) after the first row/column, drawn both ways.
    positions = sorted(
        {
            round(float(v), 2)
            for line in ax.get_lines()
            for v in (*line.get_xdata(), *line.get_ydata())
        }
    )
    assert 0.5 in positions
    groups = [
        _labels(child.get_xticklabels()) or _labels(child.get_yticklabels())
        for child in ax.child_axes
    ]
    assert groups == [["dev", "shop"], ["dev", "shop"]]


def test_small_matrices_are_annotated_with_ports(fig):
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    # 3 "all" (every pod -> dev/tool), 6x 8080 and 2x 5432; nothing on the diagonal or denied cells.
    assert texts == sorted(["all"] * 3 + ["8080"] * 6 + ["5432"] * 2)


def test_larger_matrices_are_not_annotated():
    fig = plot_matrix(_many_pods(21))
    ax = fig.axes[0]
    assert len(ax.get_xticklabels()) == 21 and not ax.texts
    assert tuple(fig.get_size_inches()) == pytest.approx((0.25 * 21 + 3, 0.25 * 21 + 3))


def test_port_filter_in_title():
    m = matrix(shop(), port=5432, protocol="TCP")
    assert plot_matrix(m).axes[0].get_title().endswith("port 5432/TCP")


def test_more_than_60_pods_aggregate_by_namespace():
    fig = plot_matrix(_many_pods(61))
    ax = fig.axes[0]
    assert "aggregated" in ax.get_title() and "share of pod pairs allowed" in ax.get_title()
    assert _labels(ax.get_xticklabels()) == ["a", "b", "c"]
    assert _labels(ax.get_yticklabels()) == ["a", "b", "c"]
    image = ax.get_images()[0]
    assert image.cmap is MATRIX_CMAP  # the same categories as the pod-level heatmap
    assert np.allclose(np.asarray(image.get_array()), ALL_PORTS)  # no policies: all allowed
    assert sorted(t.get_text() for t in ax.texts) == ["100%"] * 9
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == list(CATEGORY_LABELS)


def test_aggregate_on_request(shop_matrix):
    ax = plot_matrix(shop_matrix, aggregate=True).axes[0]
    assert _labels(ax.get_xticklabels()) == ["dev", "shop"]
    # dev has one pod: no pair with itself (n/a); 2 of dev's 3 pairs to shop are allowed.
    assert sorted(t.get_text() for t in ax.texts) == sorted(["n/a", "67%", "100%", "100%"])


def test_workload_graph(shop_matrix):
    fig = plot_workload_graph(shop_matrix)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "dev" in texts and "shop" in texts  # namespace groups
    arrows = [t for t in ax.texts if type(t).__name__ == "Annotation"]
    assert arrows, "allowed flows are arrows"
    labels = [t.get_text() for t in ax.texts if type(t).__name__ != "Annotation"]
    assert len(labels) >= len(arrows) + 2  # each arrow has its ports label
    svg = to_svg(fig)
    assert svg.startswith("<svg") and "</svg>" in svg
    with pytest.raises(ValueError, match="namespaces="):
        plot_workload_graph(shop_matrix, max_workloads=1)


def test_draws_into_a_given_axes(shop_matrix):
    own = Figure(figsize=(5, 5))
    ax = own.add_subplot()
    assert plot_matrix(shop_matrix, ax=ax) is own
    assert ax.get_legend() is not None  # no constrained layout: the legend sits beside the axes


def test_empty_matrix_draws():
    from verifier.model import Cluster

    ax = plot_matrix(matrix(Cluster())).axes[0]
    assert ax.get_title().startswith("Reachability: 0 pods")
    assert [t.get_text() for t in ax.texts] == ["no pods"]
