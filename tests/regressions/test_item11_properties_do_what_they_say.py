"""Issue 7 item 11: properties do what their statement says; a bug is no input error.

* ``only`` counts nodes as sources: x/db admits pods app=api and, by ipBlock,
  192.168.0.1/32 -- node n1's address. n1 (another node than x/db's: no node
  exception) reaches x/db:5432, so "only api reaches db" is false.
* dns-resolution checks AAAA records too (fixtures/tests/regressions/dns-aaaa-shadow.yaml):
  example.com is shadowed in IPv6 only.
* dual-stack twins through Services: x/b admits the IPv4 node range only; through
  n1's NodePort the backend sees n1's address of the packet's family, so the IPv4
  twin is allowed and the IPv6 twin denied (the direct pod paths are denied in both).
* a bug in the loader (a RuntimeError) exits 70 with "internal error", not 2.

Observed on d7fb6f3: the ``only`` invariant HOLDS; dns-resolution HOLDS; the
dual-stack coverage HOLDS; the loader's RuntimeError becomes an InputError
("internal error while loading (RuntimeError: ...)"), exit 2. The loader part is
fixed by 037d188, the rest by 08cd08b ("One driver, one journey for every
property"): no test here carries an xfail marker any more.
"""

from __future__ import annotations

import pytest

import verifier
import verifier.ingest
import verifier.ingest.assemble
from tests.builders import cluster, netpol, node, peer, pod, rule, service
from verifier.engine import trace
from verifier.errors import InputError
from verifier.properties import PROPERTIES

from .support import N1, N2, TIMEOUT, VIOLATED, fixture, netverify, show

# --------------------------------------------------------------------------- only: nodes are sources

DB = cluster(
    N1,
    N2,
    pod("x/api", ip="10.244.1.10", node="n1"),
    pod("x/web", ip="10.244.1.11", node="n1"),
    pod("x/db", ip="10.244.2.20", node="n2", ports=[("pg", 5432)]),
    netpol(
        "x/db",
        select={"app": "db"},
        ingress=[rule(peer(pods={"app": "api"}), peer(cidr="192.168.0.1/32"), ports=[5432])],
    ),
)
ONLY_API = {
    "name": "only api reaches db",
    "only": {"to": {"pods": {"app": "db"}}, "port": 5432, "from": [{"pods": {"app": "api"}}]},
}


def test_node_n1_reaches_the_database_and_web_does_not():
    assert trace(DB, "node/n1", "x/db", 5432).verdict.value == "ALLOWED"
    assert trace(DB, "x/api", "x/db", 5432).verdict.value == "ALLOWED"
    assert trace(DB, "x/web", "x/db", 5432).verdict.value == "DENIED"


def test_only_is_violated_by_the_node_the_ipblock_admits():
    (result,) = verifier.check(
        DB, properties=[], invariants=[ONLY_API], timeout=TIMEOUT, max_counterexamples=5
    ).results
    assert result.status is VIOLATED, show(result)
    for cx in result.counterexamples:
        named = " ".join(cx.pods) + " " + cx.summary
        assert "node/n1" in named or "192.168.0.1" in named, show(result)
        assert "x/web" not in cx.pods and "node/n2" not in named, show(result)
        assert any(t.reachable for t in cx.traces), show(result)


# --------------------------------------------------------------------------- dns-resolution: AAAA

DNS = fixture("dns-aaaa-shadow.yaml")


def test_the_aaaa_lookup_is_shadowed_and_the_a_lookup_is_not(capsys):
    run = netverify(capsys, "dns", "-f", DNS, "--from", "x/client", "example.com", "--type", "AAAA")
    assert "answered by example.com.svc.cluster.local." in run.out
    run = netverify(capsys, "dns", "-f", DNS, "--from", "x/client", "example.com", "--type", "A")
    assert "answered by example.com.)" in run.out


def test_dns_resolution_finds_the_ipv6_only_shadow():
    result = PROPERTIES["dns-resolution"].check(
        verifier.load(DNS), timeout=TIMEOUT, max_counterexamples=5
    )
    assert result.status is VIOLATED, show(result)
    (cx,) = [cx for cx in result.counterexamples if cx.details.get("name") == "example.com"]
    assert cx.details["type"] == "AAAA"
    assert cx.details["answered_by"] == "example.com.svc.cluster.local."
    assert cx.details["answers"] == ["fd00:10:96::30"]


def test_cli_dns_resolution_exits_1(capsys):
    run = netverify(capsys, "check", "-f", DNS, "--property", "dns-resolution")
    assert run.code == 1, run.out + run.err


# --------------------------------------------------------------------------- dual-stack twins through a Service

D1 = node("n1", ["192.168.0.1", "fd00:192::1"], pod_cidr=["10.244.1.0/24", "fd00:10:244:1::/64"])
D2 = node("n2", ["192.168.0.2", "fd00:192::2"], pod_cidr=["10.244.2.0/24", "fd00:10:244:2::/64"])
TWINS = cluster(
    D1,
    D2,
    pod("x/a", ip=["10.244.1.10", "fd00:10:244:1::10"], node="n1"),
    pod("x/b", ip=["10.244.2.20", "fd00:10:244:2::20"], node="n2", ports=[("http", 80)]),
    service(
        "x/b",
        ip=["10.96.0.50", "fd00:10:96::50"],
        type="NodePort",
        ports=[("http", 80, 80, "TCP", 30080)],
    ),
    netpol("x/b-from-nodes-v4", select={"app": "b"}, ingress=[rule(peer(cidr="192.168.0.0/24"))]),
    pod_cidrs=["10.244.0.0/16", "fd00:10:244::/56"],
    service_cidrs=["10.96.0.0/16", "fd00:10:96::/112"],
)


def test_the_node_port_twins_differ_and_the_direct_twins_do_not():
    assert trace(TWINS, "x/a", "192.168.0.1", 30080).verdict.value == "ALLOWED"
    assert trace(TWINS, "x/a", "fd00:192::1", 30080).verdict.value == "DENIED"
    assert trace(TWINS, "x/a", "x/b", 80, family=4).verdict.value == "DENIED"
    assert trace(TWINS, "x/a", "x/b", 80, family=6).verdict.value == "DENIED"


def test_dual_stack_coverage_compares_twins_through_services():
    result = PROPERTIES["dual-stack-coverage"].check(TWINS, timeout=TIMEOUT, max_counterexamples=5)
    assert result.status is VIOLATED, show(result)
    for cx in result.counterexamples:
        assert "x/a" in cx.pods and "x/b" in cx.pods, show(result)
        verdicts = sorted(t.reachable for t in cx.traces)
        assert verdicts == [False, True], show(result)  # one twin allowed, the other not


# --------------------------------------------------------------------------- a bug is no input error


def boom(*_args, **_kwargs):
    raise RuntimeError("the loader fell over")


def test_a_loader_bug_is_not_an_input_error(monkeypatch):
    monkeypatch.setattr(verifier.ingest.assemble, "assemble", boom)
    with pytest.raises(Exception) as caught:
        verifier.load(DNS)
    assert not isinstance(caught.value, InputError), caught.value


def test_cli_a_loader_bug_exits_70_with_internal_error(monkeypatch, capsys):
    monkeypatch.setattr(verifier.ingest.assemble, "assemble", boom)
    run = netverify(capsys, "check", "-f", DNS, "--property", "unique-pod-ips")
    assert run.code == 70, run.err
    assert "internal error" in run.err
    assert "the loader fell over" in run.err
