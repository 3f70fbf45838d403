"""The Explorer widget, driven without a browser or a kernel (ux-conventions §2.2).

Setting a widget's ``value`` fires its observers synchronously and
``Button.click()`` runs the click handlers, so the tests set values, click, and
read the ``HTML`` / ``Image`` widgets' values.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # the Matrix tab draws with matplotlib

import pytest

from tests.report.clusters import shop
from verifier.errors import VerifierError
from verifier.widgets import (
    Explorer,
    Query,
    make_query,
    namespace_options,
    parse_port,
    pod_options,
    render_error,
)


@pytest.fixture
def explorer():
    return Explorer(shop())


def test_pure_option_functions():
    c = shop()
    assert namespace_options(c) == ["dev", "shop"]
    assert pod_options(c, "shop") == [
        ("db-0", "shop/db-0"),
        ("web-0", "shop/web-0"),
        ("web-1", "shop/web-1"),
    ]
    assert pod_options(c, None) == [] and pod_options(c, "nope") == []


def test_make_query_prefers_a_typed_destination():
    assert make_query("dev/tool", "shop/db-0", "", "5432", "TCP") == Query(
        "dev/tool", "shop/db-0", 5432, "TCP"
    )
    assert (
        make_query("dev/tool", "shop/db-0", " web.shop ", "http", "TCP").destination == "web.shop"
    )
    assert parse_port("") is None
    with pytest.raises(VerifierError):
        make_query(None, "shop/db-0", "", "", "TCP")
    with pytest.raises(VerifierError):
        make_query("dev/tool", None, "  ", "", "TCP")


def test_initial_state(explorer):
    assert explorer.source_namespace.options == ("dev", "shop")
    assert explorer.source_namespace.value == "dev"
    assert explorer.source_pod.value == "dev/tool"
    assert explorer.protocol.options == ("TCP", "UDP", "SCTP")
    assert explorer.trace_button.description == "Trace"
    assert explorer.verdict.value == "" and explorer.trace_view.value == ""


def test_namespace_change_refills_the_pod_dropdown(explorer):
    explorer.destination_namespace.value = "shop"
    assert [v for _, v in explorer.destination_pod.options] == [
        "shop/db-0",
        "shop/web-0",
        "shop/web-1",
    ]
    assert explorer.destination_pod.value == "shop/db-0"
    # The source side is independent.
    assert explorer.source_pod.value == "dev/tool"


def test_denied_trace(explorer):
    explorer.destination_namespace.value = "shop"
    explorer.destination_pod.value = "shop/db-0"
    explorer.port.value = "5432"
    explorer.trace_button.click()
    assert "DENIED" in explorer.verdict.value
    assert "dev/tool -&gt; shop/db-0:5432/TCP" in explorer.verdict.value
    assert "isolated by NetworkPolicy shop/deny-all" in explorer.trace_view.value
    assert "policies/shop.yaml:1" in explorer.trace_view.value


def test_allowed_trace_through_a_service_ip(explorer):
    explorer.source_namespace.value = "shop"
    explorer.source_pod.value = "shop/web-0"
    explorer.destination_text.value = "10.96.0.20"
    explorer.port.value = "80"
    explorer.trace_button.click()
    assert (
        "ALLOWED" in explorer.verdict.value and "2/2 backends reachable" in explorer.verdict.value
    )
    assert explorer.trace_view.value.count("<em>backend") == 2


def test_named_port_and_protocol(explorer):
    explorer.destination_namespace.value = "shop"
    explorer.destination_pod.value = "shop/web-1"
    explorer.port.value = "http"
    explorer.protocol.value = "UDP"
    explorer.trace_button.click()
    # No UDP port is named http: the engine says so instead of tracing a guessed port.
    assert "NO_SUCH_PORT" in explorer.verdict.value
    explorer.protocol.value = "TCP"
    explorer.trace_button.click()
    assert "ALLOWED" in explorer.verdict.value and ":8080/TCP" in explorer.verdict.value


def test_input_errors_are_shown_not_raised(explorer):
    explorer.port.value = "99999"
    explorer.trace_button.click()
    assert explorer.verdict.value.startswith('<span style="color: #cf222e">error: ')
    assert "65535" in explorer.verdict.value and explorer.trace_view.value == ""
    explorer.port.value = ""
    explorer.destination_text.value = "<img src=x>"  # escaped in the error message
    explorer.trace_button.click()
    assert "<img" not in explorer.verdict.value + explorer.trace_view.value


def test_render_error_escapes():
    verdict, details = render_error(VerifierError("unknown pod 'x/<b>'"))
    assert "&lt;b&gt;" in verdict and details == ""


def test_matrix_tab_draws_a_png(explorer):
    explorer.matrix_namespaces.value = ("shop",)
    explorer.matrix_button.click()
    assert bytes(explorer.matrix_image.value).startswith(b"\x89PNG")
    assert explorer.matrix_status.value == "namespaces: shop"


def test_is_a_displayable_widget(explorer):
    import ipywidgets

    assert isinstance(explorer, ipywidgets.VBox)
    tab = explorer.children[0]
    assert isinstance(tab, ipywidgets.Tab) and tab.titles == ("Trace", "Matrix")
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()
