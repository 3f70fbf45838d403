"""The self-contained HTML pages: ``netverify report`` and ``netverify diff -o html``."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest

from benchmarks.generate import generate_cluster
from tests.cli.support import DEMO, DEMO_BASE, REPO, netverify
from verifier.ingest import load_objects
from verifier.matrix import matrix
from verifier.properties import CheckReport
from verifier.report.page import LIST_CAP, coverage_lines, report_page
from verifier.report.views import aggregate, matrix_summary, namespace_of

INVARIANTS = f"{DEMO}/invariants.yaml"


class _Counter(HTMLParser):
    """Element counts, and every external reference (there must be none)."""

    def __init__(self):
        super().__init__()
        self.tags: dict[str, int] = {}
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if (name in ("src", "href") or name.endswith(":href")) and value and value[0] != "#":
                self.external.append(f"{tag} {name}={value}")
        if tag == "link":
            self.external.append("link")


def _parse(html: str) -> _Counter:
    counter = _Counter()
    counter.feed(html)
    return counter


def _self_contained(html: str) -> None:
    counter = _parse(html)
    assert counter.external == [], "the page must need no network access"
    # Namespace names in inline SVG (xmlns, its metadata) are names, not requests.
    bare = re.sub(r'xmlns(:\w+)?="[^"]*"|<metadata>.*?</metadata>', "", html, flags=re.S)
    assert "http://" not in bare and "https://" not in bare
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")


def test_report_of_the_demo(capsys, tmp_path):
    out = tmp_path / "report.html"
    run = netverify(capsys, "report", "-f", DEMO, "--invariants", INVARIANTS, "-o", str(out))
    assert run.code == 1, run.err  # the demo's change violates properties, as check says
    assert "wrote" in run.out and str(out) in run.out
    html = out.read_text()
    _self_contained(html)
    # Verdicts with timings: one row per property and invariant.
    table = html[html.index('id="verdict-table"') : html.index("</table>")]
    assert table.count("<tr>") == 1 + 7 + 9
    assert re.search(
        r"VIOLATED</span></td><td><strong>isolation</strong></td><td>\d+\.\d\d<", table
    )
    assert "invariant: dev cannot reach payments" in table
    # Every counterexample, with its packet and its trace: outcome coloured, file:line relative.
    assert html.count("<strong>Counterexample 1</strong>") >= 6
    assert "packet <code>" in html
    assert 'class="o-denied">denied</span>' in html
    assert 'class="o-allowed">allowed</span>' in html
    assert "<code>change/payments-vpn-access.yaml:" in html
    # Assumptions: the inferred families and the cluster settings.
    assumptions = html[html.index('id="assumptions"') : html.index('id="reachability"')]
    assert "families" in assumptions and "dual-stack" in assumptions
    # Reachability: namespace heatmap with its legend, drill-down per namespace to the pods.
    assert 'id="namespace-heatmap"' in html and 'class="legend"' in html
    assert "all ports, every pod pair" in html
    assert "<summary><strong>shop</strong>" in html
    assert "shop/Deployment/frontend (2 pod(s))" in html and "shop/frontend-0" in html
    # A small cluster also gets the workload graph, as inline SVG.
    assert 'id="workload-graph"' in html and html.count("<svg") == 1
    # Policy coverage, and the pods no policy selects.
    coverage = html[html.index('id="coverage"') :]
    assert "NetworkPolicy payments/allow-vpn-to-db" in coverage
    assert "<code>base/policies/shop.yaml:6</code>" in coverage
    assert "Pods selected by no policy" in coverage and "monitoring" in coverage


def test_a_dual_stack_report_shows_each_family_and_where_they_differ(capsys, tmp_path):
    """The web pods admit x/a by an IPv4 CIDR only: the IPv6 section lists exactly the
    workload pairs that lose their flows, with both shares."""
    out = tmp_path / "report.html"
    fixture = str(REPO / "fixtures/tests/dual-stack/violated-pods.yaml")
    assert netverify(capsys, "report", "-f", fixture, "-o", str(out)).code == 1
    html = out.read_text()
    _self_contained(html)
    assert 'id="reachability-ipv4"' in html and 'id="namespace-heatmap"' in html
    ipv6 = html[html.index('id="reachability-ipv6"') : html.index('id="coverage"')]
    assert 'id="namespace-heatmap-ipv6"' in ipv6
    assert "5 pods with an IPv6 address" in ipv6
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td>([^<]+)</td><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td></tr>", ipv6
    )
    assert rows == [
        ("kube-system/Deployment/coredns", "x/web-0", "50%", "0%"),
        ("kube-system/Deployment/coredns", "x/web-1", "50%", "0%"),
        ("x/a", "x/web-0", "100%", "0%"),
        ("x/a", "x/web-1", "100%", "0%"),
        ("x/web-0", "x/web-1", "100%", "0%"),
    ]


def test_families_that_agree_say_so(capsys, tmp_path):
    out = tmp_path / "report.html"
    fixture = str(REPO / "fixtures/tests/dual-stack/holds.yaml")
    netverify(capsys, "report", "-f", fixture, "-o", str(out))
    html = out.read_text()
    assert 'id="namespace-heatmap-ipv6"' in html
    assert (
        "Every workload pair has the same share of pod pairs allowed over IPv6 as over IPv4" in html
    )


def test_report_to_stdout_and_bad_input(capsys, tmp_path):
    run = netverify(capsys, "report", "-f", DEMO_BASE, "-o", "-", "--no-matrix")
    assert run.code == 0
    assert run.out.startswith("<!DOCTYPE html>") and "Not computed" in run.out
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Pod\nmetadata: [\n")
    assert netverify(capsys, "report", "-f", str(bad), "-o", str(tmp_path / "r.html")).code == 2


def test_diff_html(capsys, tmp_path):
    out = tmp_path / "diff.html"
    run = netverify(
        capsys, "diff", "-f", DEMO_BASE, "-f", DEMO, "-o", "html", "--output-file", str(out)
    )
    assert run.code == 1
    html = out.read_text()
    _self_contained(html)
    allowed = html[html.index('id="newly-allowed"') : html.index('id="newly-denied"')]
    assert "payments/StatefulSet/payments-db" in allowed
    # Each change has both traces: denied before, allowed after.
    first = allowed[allowed.index("<details") : allowed.index("</details>")]
    assert "<strong>before</strong>: " in first and "<strong>after</strong>: " in first
    assert first.index('<span class="denied">DENIED') < first.index('<span class="allowed">ALLOWED')
    assert "Newly denied (0)" in html


# --------------------------------------------------------------------------- scale


@pytest.fixture(scope="module")
def big_cluster():
    return load_objects(generate_cluster(pods=2400, policies=120, namespaces=24, seed=3))


def test_report_stays_bounded_at_thousands_of_pods(big_cluster):
    m = matrix(big_cluster)
    assert len(m.pods) >= 2000
    started = time.monotonic()
    html = report_page(big_cluster, CheckReport(()), m, inputs=("c.yaml",))
    assert time.monotonic() - started < 60
    _self_contained(html)
    counts = _parse(html).tags
    # Aggregated views only: namespaces x namespaces, workloads x namespaces, capped lists.
    assert len(html) < 3_000_000, f"{len(html)} bytes"
    assert counts.get("td", 0) < 60_000, counts
    assert counts.get("img", 0) == 0
    namespaces = {namespace_of(r) for r in m.pods}
    assert html.count("<tr>") < 10 * len(m.pods)
    heat = html[html.index('id="namespace-heatmap"') :]
    heat = heat[: heat.index("</table>")]
    assert heat.count("<tr>") == len(namespaces) + 1
    # No list names more than LIST_CAP pods.
    for li in re.findall(r"<div>pods: (.*?)</div>", html):
        assert li.count(", ") < LIST_CAP


def test_aggregate_agrees_with_pairs():
    """The group-wise aggregation counts what a pod-by-pod loop counts."""
    cluster = load_objects(generate_cluster(pods=120, policies=10, namespaces=4, seed=5))
    m = matrix(cluster)
    shares = aggregate(m, namespace_of)
    brute: dict[tuple[str, str], list[int]] = {}
    for s in m.pods:
        for d in m.pods:
            if s == d:
                continue
            key = (namespace_of(s), namespace_of(d))
            entry = brute.setdefault(key, [0, 0, 0])
            cell = m.allowed(s, d)
            entry[0] += 1
            entry[1] += bool(cell) and cell == m.allowed(s, s)
            entry[2] += bool(cell) and cell != m.allowed(s, s)
    assert {k: [v.pairs, v.all_ports, v.some_ports] for k, v in shares.items()} == brute
    summary = matrix_summary(m)
    assert summary.pairs == sum(v[0] for v in brute.values())
    assert summary.all_ports == sum(v[1] for v in brute.values())


def test_coverage_of_a_cluster_without_policies():
    cluster = load_objects(generate_cluster(pods=30, policies=0, namespaces=3, seed=1))
    lines = "\n".join(coverage_lines(cluster))
    assert "The input has no policies." in lines
    assert "Pods selected by no policy: " in lines
