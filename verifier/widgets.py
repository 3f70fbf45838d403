"""An ipywidgets explorer: pick a source pod, a destination and a port, and see the trace.

This is the only module that imports ipywidgets. The widgets only hold state
and call pure functions (:func:`pod_options`, :func:`make_query`,
:func:`render_trace`...); results go into ``HTML.value`` and ``Image.value``
rather than an ``Output`` widget, because ``with out:`` needs a running kernel
(ux-conventions §2.2), so everything here is testable in plain pytest:

>>> from verifier.model import Cluster, Pod, ip_address
>>> pods = tuple(Pod(namespace="x", name=n, node_name="n1", ips=(ip_address(f"10.244.0.{i}"),)) for i, n in enumerate("ab", 2))
>>> ex = Explorer(Cluster(pods=pods))
>>> ex.source_pod.value, ex.destination_pod.value
('x/a', 'x/b')
>>> ex.port.value = "80"; ex.trace_button.click()
>>> "ALLOWED" in ex.verdict.value
True
>>> ex.destination_text.value = "10.244.0.2"; ex.destination_pod.disabled
True
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from html import escape

import ipywidgets as widgets

from .engine import trace
from .errors import VerifierError
from .model import PROTOCOLS, Cluster
from .report.html import html_block, trace_html_lines
from .trace import Trace

__all__ = [
    "Explorer",
    "Query",
    "make_query",
    "matrix_png",
    "namespace_options",
    "parse_port",
    "pod_options",
    "render_error",
    "render_trace",
    "run_query",
    "default_destination",
]


# --------------------------------------------------------------------------- pure functions


@dataclass(frozen=True)
class Query:
    """One connection to trace: ``source`` is ``ns/pod``; ``destination`` a pod, name or IP."""

    source: str
    destination: str
    port: int | str | None
    protocol: str = "TCP"


def namespace_options(cluster: Cluster) -> list[str]:
    """Namespaces that have live pods, sorted (sources and destinations are pods)."""
    return sorted({p.namespace for p in cluster.live_pods})


def pod_options(cluster: Cluster, namespace: str | None) -> list[tuple[str, str]]:
    """``(label, value)`` pairs for a Dropdown: the pod name, and its ``ns/name`` reference.

    >>> from verifier.model import Pod
    >>> pod_options(Cluster(pods=(Pod(namespace="x", name="b"), Pod(namespace="x", name="a"))), "x")
    [('a', 'x/a'), ('b', 'x/b')]
    """
    pods = cluster.pods_by_namespace.get(namespace or "", ())
    return [(p.name, p.ref) for p in sorted(pods, key=lambda p: p.name) if not p.terminal]


def default_destination(cluster: Cluster, source: str | None) -> tuple[str | None, str | None]:
    """``(namespace, pod)`` to preselect as the destination: another pod than the source,
    in its namespace if it has one, else the first pod of another namespace.

    >>> from verifier.model import Pod
    >>> c = Cluster(pods=(Pod(namespace="x", name="a"), Pod(namespace="y", name="b")))
    >>> default_destination(c, "x/a")
    ('y', 'y/b')
    """
    for ns in sorted(namespace_options(cluster), key=lambda n: n != (source or "/").split("/")[0]):
        for _, ref in pod_options(cluster, ns):
            if ref != source:
                return ns, ref
    return (source.split("/")[0], source) if source else (None, None)


def parse_port(text: str) -> int | str | None:
    """A port from a text box: empty = the destination's first declared port, digits = a
    number, anything else = a port name (a Service port or container port name).

    >>> parse_port(""), parse_port(" 8080 "), parse_port("http")
    (None, 8080, 'http')
    """
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


def make_query(
    source: str | None, destination_pod: str | None, destination_text: str, port: str, protocol: str
) -> Query:
    """The query the controls describe: a typed name or IP wins over the destination dropdown."""
    if not source:
        raise VerifierError("choose a source pod")
    destination = destination_text.strip() or destination_pod
    if not destination:
        raise VerifierError("choose a destination pod, or type a DNS name or an IP")
    return Query(source, destination, parse_port(port), protocol)


def run_query(cluster: Cluster, query: Query) -> Trace:
    """Replay the query through the concrete engine."""
    return trace(cluster, query.source, query.destination, query.port, query.protocol)


def render_trace(t: Trace) -> tuple[str, str]:
    """``(verdict HTML, trace HTML)`` for the two output widgets: the trace's verdict
    line, larger, and its hops below."""
    head, *hops = trace_html_lines(t)
    return f'<div style="font-size: 1.2em">{head}</div>', html_block(hops, "netverify-trace")


def render_error(error: Exception) -> tuple[str, str]:
    """An input problem (unknown pod, bad port, a name only pods resolve...) in place of a verdict."""
    return f'<span style="color: #cf222e">error: {escape(str(error))}</span>', ""


def matrix_png(cluster: Cluster, namespaces: list[str] | None = None) -> bytes:
    """The reachability heatmap of ``namespaces`` (default all) as PNG bytes, for an ``Image`` widget."""
    from .matrix import matrix
    from .report.plots import plot_matrix  # imported late: matplotlib only when the tab is used

    fig = plot_matrix(matrix(cluster, namespaces or None))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


# --------------------------------------------------------------------------- the widget


class Explorer(widgets.VBox):
    """Trace tab: source namespace -> pod, destination namespace -> pod (or a typed DNS
    name / IP), port, protocol, a Trace button; the verdict and the hop-by-hop trace
    appear below. Matrix tab: the reachability heatmap of the chosen namespaces.

    Display it as the last expression of a notebook cell: ``Explorer(cluster)``.
    """

    def __init__(self, cluster: Cluster, **kwargs):
        self.cluster = cluster
        namespaces = namespace_options(cluster)
        first = namespaces[0] if namespaces else None

        self.source_namespace = widgets.Dropdown(
            options=namespaces, value=first, description="from ns"
        )
        self.source_pod = widgets.Dropdown(options=pod_options(cluster, first), description="pod")
        source = self.source_pod.value
        # Never the source itself: tracing a pod to itself is rarely the question.
        to_ns, to_pod = default_destination(cluster, source)
        self.destination_namespace = widgets.Dropdown(
            options=namespaces, value=to_ns, description="to ns"
        )
        self.destination_pod = widgets.Dropdown(
            options=pod_options(cluster, to_ns), value=to_pod, description="pod"
        )
        self.destination_text = widgets.Text(
            value="",
            description="or name/IP",
            placeholder="cartservice.shop, 10.96.0.10 (overrides pod)",
        )
        self.port = widgets.Text(
            value="", description="port", placeholder="number or name (empty: first declared)"
        )
        self.protocol = widgets.Dropdown(
            options=list(PROTOCOLS), value="TCP", description="protocol"
        )
        self.trace_button = widgets.Button(
            description="Trace", button_style="primary", icon="route"
        )
        self.verdict = widgets.HTML(value="")
        self.trace_view = widgets.HTML(value="")

        self.matrix_namespaces = widgets.SelectMultiple(
            options=namespaces,
            value=(),
            description="namespaces",
            rows=min(6, max(1, len(namespaces))),
        )
        self.matrix_button = widgets.Button(description="Draw matrix", icon="table")
        self.matrix_status = widgets.HTML(value="no namespace selected = all namespaces")
        self.matrix_image = widgets.Image(format="png")

        # Dependent dropdowns: a namespace change refills its pod list.
        self.source_namespace.observe(self._refill(self.source_pod), names="value")
        self.destination_namespace.observe(self._refill(self.destination_pod), names="value")
        # A typed name or IP replaces the pod picker, visibly: the dropdowns grey out.
        self.destination_text.observe(self._on_destination_text, names="value")
        self.trace_button.on_click(self._on_trace)
        self.matrix_button.on_click(self._on_matrix)

        trace_tab = widgets.VBox(
            [
                widgets.HBox([self.source_namespace, self.source_pod]),
                widgets.HBox([self.destination_namespace, self.destination_pod]),
                self.destination_text,
                widgets.HBox([self.port, self.protocol, self.trace_button]),
                self.verdict,
                self.trace_view,
            ]
        )
        matrix_tab = widgets.VBox(
            [
                widgets.HBox([self.matrix_namespaces, self.matrix_button]),
                self.matrix_status,
                self.matrix_image,
            ]
        )
        tabs = widgets.Tab(children=[trace_tab, matrix_tab], titles=("Trace", "Matrix"))
        super().__init__([tabs], **kwargs)

    def _refill(self, pod_dropdown: widgets.Dropdown):
        def observer(change) -> None:
            pod_dropdown.options = pod_options(self.cluster, change["new"])

        return observer

    def _on_destination_text(self, change) -> None:
        typed = bool(change["new"].strip())
        self.destination_namespace.disabled = typed
        self.destination_pod.disabled = typed

    def query(self) -> Query:
        """What the controls currently ask."""
        return make_query(
            self.source_pod.value,
            self.destination_pod.value,
            self.destination_text.value,
            self.port.value,
            self.protocol.value,
        )

    def _on_trace(self, _button=None) -> None:
        self.verdict.value, self.trace_view.value = "<em>tracing...</em>", ""
        try:
            verdict, details = render_trace(run_query(self.cluster, self.query()))
        except (
            VerifierError,
            ValueError,
        ) as e:  # ValueError: a malformed IP or port from the text boxes
            verdict, details = render_error(e)
        self.verdict.value, self.trace_view.value = verdict, details

    def _on_matrix(self, _button=None) -> None:
        chosen = list(self.matrix_namespaces.value)
        self.matrix_status.value = "<em>computing the matrix...</em>"
        self.matrix_image.value = matrix_png(self.cluster, chosen)
        self.matrix_status.value = escape(f"namespaces: {', '.join(chosen) or 'all'}")
