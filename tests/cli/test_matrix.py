"""``netverify matrix``: every pod pair's allowed ports as a table, CSV and JSON; namespaces, filters, mistakes.

The cluster is ``fixtures/tests/isolation/holds.yaml``: prod is ingress-isolated; the
gateway reaches web and api on their port ``http`` (8080), api reaches db on 5432/TCP.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.cli.support import DEMO, ISOLATION, malformed, netverify

PODS = ["dev/client", "ingress-nginx/gateway", "prod/api", "prod/db", "prod/web"]
ALL = [{"protocol": p, "ports": ["all"]} for p in ("TCP", "UDP", "SCTP")]


def tcp(*ports: str) -> list[dict]:
    return [{"protocol": "TCP", "ports": list(ports)}]


def matrix(capsys, *args: str, cluster: str = ISOLATION):
    return netverify(capsys, "matrix", "-f", cluster, *args)


def test_table_lists_every_connected_pair_and_a_summary_on_stderr(capsys):
    run = matrix(capsys)
    assert run.code == 0
    assert [line.split() for line in run.lines] == [
        ["FROM", "TO", "ALLOWED"],
        ["dev/client", "ingress-nginx/gateway", "all"],
        ["ingress-nginx/gateway", "dev/client", "all"],
        ["ingress-nginx/gateway", "prod/api", "TCP", "8080"],
        ["ingress-nginx/gateway", "prod/web", "TCP", "8080"],
        ["prod/api", "dev/client", "all"],
        ["prod/api", "ingress-nginx/gateway", "all"],
        ["prod/api", "prod/db", "TCP", "5432"],
        ["prod/db", "dev/client", "all"],
        ["prod/db", "ingress-nginx/gateway", "all"],
        ["prod/web", "dev/client", "all"],
        ["prod/web", "ingress-nginx/gateway", "all"],
    ]
    assert run.err.strip() == "5 pods in 5 classes; 11 of 20 ordered pairs connect"


def test_csv_is_the_full_square(capsys):
    run = matrix(capsys, "-o", "csv")
    assert run.lines == [
        "from,dev/client,ingress-nginx/gateway,prod/api,prod/db,prod/web",
        "dev/client,all,all,none,none,none",
        "ingress-nginx/gateway,all,all,TCP 8080,none,TCP 8080",
        "prod/api,all,all,all,TCP 5432,none",
        "prod/db,all,all,none,all,none",
        "prod/web,all,all,none,none,all",
    ]


def test_json_is_pods_and_allowed_ports_per_pair(capsys):
    data = matrix(capsys, "-o", "json").json
    assert data["pods"] == PODS
    assert data["allowed"] == {
        "dev/client": {"dev/client": ALL, "ingress-nginx/gateway": ALL},
        "ingress-nginx/gateway": {
            "dev/client": ALL,
            "ingress-nginx/gateway": ALL,
            "prod/api": tcp("8080"),
            "prod/web": tcp("8080"),
        },
        "prod/api": {
            "dev/client": ALL,
            "ingress-nginx/gateway": ALL,
            "prod/api": ALL,
            "prod/db": tcp("5432"),
        },
        "prod/db": {"dev/client": ALL, "ingress-nginx/gateway": ALL, "prod/db": ALL},
        "prod/web": {"dev/client": ALL, "ingress-nginx/gateway": ALL, "prod/web": ALL},
    }
    assert (data["family"], data["port"], data["protocol"], data["classes"]) == (4, None, None, 5)


def test_one_port_and_protocol(capsys):
    data = matrix(capsys, "--port", "8080", "--protocol", "tcp", "-o", "json").json
    assert (data["port"], data["protocol"]) == (8080, "TCP")
    assert data["allowed"]["ingress-nginx/gateway"] == {
        "dev/client": tcp("8080"),
        "ingress-nginx/gateway": tcp("8080"),
        "prod/api": tcp("8080"),
        "prod/web": tcp("8080"),
    }
    assert "prod/db" not in data["allowed"]["prod/api"]  # 5432 only


def test_namespaces(capsys):
    """``-n`` (repeatable) keeps those namespaces' pods; ``-A`` is every namespace, the default."""
    data = matrix(capsys, "-n", "prod", "-o", "json").json
    assert data["pods"] == ["prod/api", "prod/db", "prod/web"]
    assert data["allowed"] == {
        "prod/api": {"prod/api": ALL, "prod/db": tcp("5432")},
        "prod/db": {"prod/db": ALL},
        "prod/web": {"prod/web": ALL},
    }
    assert matrix(capsys, "-n", "prod", "-n", "dev", "-o", "json").json["pods"] == [
        "dev/client",
        "prod/api",
        "prod/db",
        "prod/web",
    ]
    assert matrix(capsys, "-A", "-o", "json").json == matrix(capsys, "-o", "json").json


def test_the_demo_storefront_reaches_the_cart_on_grpc_only(capsys):
    allowed = matrix(capsys, "-n", "shop", "-n", "dev", "-o", "json", cluster=DEMO).json["allowed"]
    assert allowed["shop/frontend-0"]["shop/cartservice-0"] == tcp("7070")
    assert "shop/cartservice-0" not in allowed["dev/frontend-0"]


def test_the_cluster_from_stdin(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(Path(ISOLATION).read_text()))
    run = netverify(capsys, "matrix", "-f", "-", "-o", "csv")
    assert (
        run.code == 0
        and run.lines[0] == "from,dev/client,ingress-nginx/gateway,prod/api,prod/db,prod/web"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("-n", "prod", "-A"),
            "Error: -n/--namespace and -A/--all-namespaces are mutually exclusive",
        ),
        (
            (
                "-n",
                "nope",
            ),
            "netverify: error: unknown namespace 'nope' (namespaces: default, dev, ingress-nginx, prod)",
        ),
        (
            ("--port", "99999"),
            "Error: Invalid value for '--port': 99999 is not in the range 1<=x<=65535.",
        ),
        (
            ("--protocol", "ICMP"),
            "Error: Invalid value for '--protocol': 'ICMP' is not one of 'tcp', 'udp', 'sctp'.",
        ),
        (("--family", "6"), "netverify: error: the cluster has no IPv6 addresses (families: IPv4)"),
        (
            ("-o", "xml"),
            "Error: Invalid value for '-o' / '--output': 'xml' is not one of 'table', 'csv', 'json', 'yaml'.",
        ),
    ],
)
def test_usage_mistakes_exit_2(capsys, args, message):
    run = matrix(capsys, *args)
    assert (run.code, run.out) == (2, "")
    assert message in run.err


def test_missing_or_malformed_input_exits_2(capsys, tmp_path):
    assert "Error: give the cluster state with -f PATH" in netverify(capsys, "matrix").err
    bad = malformed(tmp_path)
    run = netverify(capsys, "matrix", "-f", bad)
    assert run.code == 2 and f"{bad}:5: Pod default/a" in run.err


def test_workloads_whose_pods_agree_are_one_row_named_as_diff_names_them():
    """matrix and diff name endpoints alike: ``ns/Deployment/web`` when all its pods agree on
    every cell; a workload whose pods differ (a policy selects one replica) is listed pod by pod."""
    from tests.builders import cluster, netpol, node, pod
    from verifier.matrix import matrix
    from verifier.query import workload

    web = [
        pod(
            f"x/web-{i}",
            ip=f"10.244.1.{10 + i}",
            node="n1",
            labels={"app": "web"},
            owner="Deployment/web",
        )
        for i in range(3)
    ]
    db = [
        pod(
            f"x/db-{i}",
            ip=f"10.244.1.{20 + i}",
            node="n1",
            labels={"app": "db", "statefulset.kubernetes.io/pod-name": f"db-{i}"},
            owner="StatefulSet/db",
        )
        for i in range(2)
    ]
    only_db0 = netpol(
        "x/db-0-closed", select={"statefulset.kubernetes.io/pod-name": "db-0"}, ingress=[]
    )
    c = cluster(node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"), *web, *db, only_db0)
    m = matrix(c)
    assert [name for name, _refs in m.endpoints()] == ["x/db-0", "x/db-1", "x/Deployment/web"]
    assert workload(web[0]) == "x/Deployment/web"
    rows = {(s, d): str(cell) for s, d, cell in m.grouped_pairs() if cell}
    assert rows[("x/Deployment/web", "x/Deployment/web")] == "all"
    assert rows[("x/Deployment/web", "x/db-1")] == "all"
    assert ("x/Deployment/web", "x/db-0") not in rows
