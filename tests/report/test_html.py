"""The notebook HTML renderers, compared as lists of lines (pybatfish's test style)."""

from __future__ import annotations

import pytest

from tests.report.clusters import shop
from verifier.engine import trace
from verifier.matrix import matrix
from verifier.model import Source
from verifier.properties.result import Counterexample, Finding, PropertyResult, Status
from verifier.report.html import (
    INDENT,
    hop_html_lines,
    matrix_html,
    matrix_html_lines,
    matrix_table_html_lines,
    property_result_html,
    property_result_html_lines,
    status_badge,
    trace_html,
    trace_html_lines,
    verdict_span,
)
from verifier.trace import Branch, Decider, Hop, PacketView, Trace, Verdict

GREEN = '<span style="color: #1a7f37; font-weight: bold">ALLOWED</span>'
RED = '<span style="color: #cf222e; font-weight: bold">DENIED</span>'


@pytest.fixture(scope="module")
def cluster():
    return shop()


def test_denied_trace_lines(cluster):
    assert trace_html_lines(trace(cluster, "dev/tool", "shop/db-0", 5432)) == [
        f"{RED} dev/tool -&gt; shop/db-0:5432/TCP (IPv4)",
        "<strong>1</strong>. egress allowed: dev/tool is not egress-isolated: no NetworkPolicy selects it for Egress",
        f"{INDENT}packet 10.244.2.30 -&gt; 10.244.1.20:5432/TCP",
        "<strong>2</strong>. route remote: node n2 -&gt; node n1, encapsulated (overlay); inner addresses unchanged",
        "<strong>3</strong>. snat none: source address preserved",
        (
            "<strong>4</strong>. ingress denied: shop/db-0 is ingress-isolated by shop/allow-db, shop/deny-all "
            "and no rule allows this packet"
        ),
        f"{INDENT}isolated by NetworkPolicy shop/allow-db <code>policies/shop.yaml:8</code>",
        f"{INDENT}isolated by NetworkPolicy shop/deny-all <code>policies/shop.yaml:1</code>",
    ]


def test_allowed_trace_names_the_rule_and_its_line(cluster):
    lines = trace_html_lines(trace(cluster, "shop/web-0", "shop/db-0", 5432))
    assert lines[0] == f"{GREEN} shop/web-0 -&gt; shop/db-0:5432/TCP (IPv4)"
    assert (
        f"{INDENT}by NetworkPolicy shop/allow-db ingress[0] <code>policies/shop.yaml:14</code>"
        in lines
    )
    assert lines[-2:] == [
        "<strong>5</strong>. deliver delivered: delivered to shop/db-0 10.244.1.20:5432/TCP",
        f"{INDENT}by Pod shop/db-0",  # no file:line: the builder's pod has no source
    ]


def test_service_trace_has_one_section_per_backend(cluster):
    t = trace(cluster, "dev/tool", "10.96.0.20", 80)
    lines = trace_html_lines(t)
    assert lines[0] == f"{GREEN} dev/tool -&gt; 10.96.0.20:80/TCP (IPv4) (2/2 backends reachable)"
    assert lines[1].startswith(
        "<strong>1</strong>. service dnat: ClusterIP 10.96.0.20:80/TCP of Service shop/web"
    )
    headers = [line for line in lines if line.startswith("<em>backend")]
    assert headers == [
        f"<em>backend shop/web-0 10.244.1.10:8080</em>: {GREEN}",
        f"<em>backend shop/web-1 10.244.2.11:8080</em>: {GREEN}",
    ]
    # Both backends number their hops from 2 (after the shared DNAT hop), indented under their header.
    numbered = [line for line in lines if f"{INDENT}<strong>2</strong>." in line]
    assert len(numbered) == 2
    # The packet is shown where it changes: the VIP before DNAT, each backend's address after.
    packets = [line.strip().replace("&nbsp;", "") for line in lines if "packet " in line]
    assert packets == [
        "packet 10.244.2.30 -&gt; 10.96.0.20:80/TCP",
        "packet 10.244.2.30 -&gt; 10.244.1.10:8080/TCP",
        "packet 10.244.2.30 -&gt; 10.244.2.11:8080/TCP",
    ]


def test_everything_is_escaped():
    evil = Decider("NetworkPolicy", "<b>x</b>", "ns&co", "ingress[0]", Source("a<b>.yaml", 3))
    hop = Hop(
        "ingress",
        "allowed",
        "<script>alert(1)</script>",
        (evil,),
        PacketView(None, None, 80, "TCP"),
    )
    t = Trace(
        "x/<a>",
        "y/'b'",
        80,
        "TCP",
        4,
        (),
        (Branch((hop,), Verdict.ALLOWED, "y/b"),),
        Verdict.ALLOWED,
        ("<note>",),
    )
    html = trace_html(t)
    assert (
        "<script>" not in html and "<b>" not in html and "<note>" not in html and "<a>" not in html
    )
    assert (
        "&lt;script&gt;" in html
        and "a&lt;b&gt;.yaml:3" in html
        and "ns&amp;co/&lt;b&gt;x&lt;/b&gt;" in html
    )


def test_hop_lines_without_packet():
    hop = Hop(
        "snat",
        "masquerade",
        "source becomes node n1",
        (Decider("IPPool", "default-v4", part="natOutgoing"),),
    )
    assert hop_html_lines(hop, 3, indent="&nbsp;") == [
        "&nbsp;<strong>3</strong>. snat masquerade: source becomes node n1",
        f"&nbsp;{INDENT}by IPPool default-v4 natOutgoing",
    ]


def test_notes_are_shown_once():
    hop = Hop(
        "dns-query", "assumed", "no cluster DNS pods in the input: a working cluster DNS is assumed"
    )
    t = Trace("x/a", "b.x", 80, "TCP", 4, (hop,), (Branch((), Verdict.ALLOWED),), Verdict.ALLOWED,
              ("no cluster DNS pods in the input: a working cluster DNS is assumed", "other note"))  # fmt: skip
    assert trace_html_lines(t)[-1] == "note: other note"
    assert sum("assumed" in line for line in trace_html_lines(t)) == 1


def test_verdict_colours():
    assert verdict_span(Verdict.ALLOWED) == GREEN
    assert verdict_span(Verdict.DENIED) == RED
    assert "#9a6700" in verdict_span(Verdict.NXDOMAIN)


def test_trace_repr_html_is_the_joined_lines(cluster):
    t = trace(cluster, "dev/tool", "shop/db-0", 5432)
    assert t._repr_html_() == trace_html(t)
    assert trace_html(t) == (
        '<div class="netverify-trace" style="font-family: monospace">'
        + "<br>".join(trace_html_lines(t))
        + "</div>"
    )


# --------------------------------------------------------------------------- properties


def _violated(cluster) -> PropertyResult:
    t = trace(cluster, "dev/tool", "10.96.0.20", 80)
    at = Decider(
        "NetworkPolicy", "allow-web", "shop", "ingress[0]", Source("policies/shop.yaml", 26)
    )
    cx = Counterexample("dev/tool reaches shop/web-0:8080/TCP", pods=("dev/tool", "shop/web-0"), objects=(at,), traces=(t,),
                        allocation={"dev/tool": "10.244.2.30"})  # fmt: skip
    return PropertyResult("invariant", "dev cannot reach shop", Status.VIOLATED, "nothing in dev reaches shop",
                          (cx,), seconds=0.5, findings=(Finding("a pod IP outside every pool", (at,)),),
                          source=Source("invariants.yaml", 4))  # fmt: skip


def test_holds_result_lines():
    r = PropertyResult(
        "unique-pod-ips", "unique-pod-ips", Status.HOLDS, "no two pods share an IP", seconds=0.014
    )
    assert property_result_html_lines(r) == [
        f"{status_badge(Status.HOLDS)} <strong>unique-pod-ips</strong> (0.01 s)",
        "no two pods share an IP",
    ]
    assert "#1a7f37" in status_badge(Status.HOLDS) and ">HOLDS<" in status_badge(Status.HOLDS)


def test_unknown_result_gives_its_reason():
    r = PropertyResult(
        "isolation",
        "isolation",
        Status.UNKNOWN,
        "pods are isolated",
        reason="solver timeout after 60 s",
    )
    lines = property_result_html_lines(r)
    assert ">UNKNOWN<" in lines[0] and "#9a6700" in lines[0]
    assert lines[-1] == "reason: solver timeout after 60 s"


def test_violated_result_lines(cluster):
    r = _violated(cluster)
    lines = property_result_html_lines(r)
    assert lines[:7] == [
        f"{status_badge(Status.VIOLATED)} <strong>invariant dev cannot reach shop</strong> (0.50 s)",
        "nothing in dev reaches shop",
        "written at <code>invariants.yaml:4</code>",
        "<strong>Counterexample 1</strong>: dev/tool reaches shop/web-0:8080/TCP",
        f"{INDENT}at NetworkPolicy shop/allow-web ingress[0] <code>policies/shop.yaml:26</code>",
        f"{INDENT}pods dev/tool, shop/web-0",
        f"{INDENT}allocated addresses dev/tool = 10.244.2.30",
    ]
    # The counterexample's replayed trace follows, indented under it.
    assert (
        lines[7]
        == f"{INDENT}{GREEN} dev/tool -&gt; 10.96.0.20:80/TCP (IPv4) (2/2 backends reachable)"
    )
    assert lines[8].startswith(f"{INDENT}<strong>1</strong>. service dnat")
    assert lines[-2:] == [
        "finding: a pod IP outside every pool",
        f"{INDENT}at NetworkPolicy shop/allow-web ingress[0] <code>policies/shop.yaml:26</code>",
    ]
    assert r._repr_html_() == property_result_html(r)


# --------------------------------------------------------------------------- matrix


def test_matrix_summary_and_table(cluster):
    m = matrix(cluster)
    assert matrix_html_lines(m) == [
        f"<strong>Reachability matrix</strong>: 4 pods in 2 namespaces ({m.class_count} classes), IPv4, all ports",
        "allowed: 11 of 12 ordered pod pairs (92%): 3 on every port, 8 on some ports; denied: 1",
    ]
    assert matrix_table_html_lines(m) == [
        '<table style="font-family: monospace">',
        "<tr><th>from \\ to</th><th>dev</th><th>shop</th></tr>",
        "<tr><th>dev</th><td>-</td><td>2/3</td></tr>",
        "<tr><th>shop</th><td>3/3</td><td>6/6</td></tr>",
        "</table>",
    ]
    html = m._repr_html_()
    assert html == matrix_html(m)
    assert "<br><tr>" not in html and "</tr><br>" not in html  # no <br> inside the table


def test_matrix_with_a_port_filter(cluster):
    m = matrix(cluster, port=5432, protocol="TCP")
    assert matrix_html_lines(m)[0].endswith("IPv4, port 5432/TCP")
    # With the filter, "every port" means every port the filter leaves: web -> db is now complete.
    assert (
        matrix_html_lines(m)[1]
        == "allowed: 5 of 12 ordered pod pairs (42%): 5 on every port, 0 on some ports; denied: 7"
    )


def test_empty_matrix():
    from verifier.model import Cluster

    m = matrix(Cluster())
    assert (
        matrix_html_lines(m)[1]
        == "allowed: 0 of 0 ordered pod pairs (-): 0 on every port, 0 on some ports; denied: 0"
    )
    assert matrix_table_html_lines(m) == []
