"""DataFrames: object dtype everywhere, fixed column order (also with no rows), rich cells."""

from __future__ import annotations

import ipaddress

import pytest

from tests.builders import pod
from tests.report.clusters import shop
from verifier.engine import trace
from verifier.model import Cluster
from verifier.properties.result import Counterexample, PropertyResult, Status
from verifier.report.frames import (
    POD_COLUMNS,
    POLICY_COLUMNS,
    RESULT_COLUMNS,
    SERVICE_COLUMNS,
    TRACE_COLUMNS,
    pods_frame,
    policies_frame,
    results_frame,
    services_frame,
    trace_frame,
)
from verifier.trace import Decider, PacketView, Verdict


@pytest.fixture(scope="module")
def cluster():
    return shop()


def _check_shape(df, columns):
    assert tuple(df.columns) == columns
    assert all(str(t) == "object" for t in df.dtypes)


@pytest.mark.parametrize(
    ("build", "columns"),
    [
        (pods_frame, POD_COLUMNS),
        (services_frame, SERVICE_COLUMNS),
        (policies_frame, POLICY_COLUMNS),
    ],
)
def test_empty_cluster_keeps_columns(build, columns):
    df = build(Cluster())
    assert len(df) == 0
    _check_shape(df, columns)


def test_empty_results_keep_columns():
    _check_shape(results_frame([]), RESULT_COLUMNS)


def test_pods_frame(cluster):
    df = pods_frame(cluster)
    _check_shape(df, POD_COLUMNS)
    assert POD_COLUMNS == (
        "namespace",
        "name",
        "node",
        "ips",
        "labels",
        "phase",
        "ready",
        "hostNetwork",
        "allocated",
        "source",
    )
    assert df["name"].tolist() == ["web-0", "web-1", "db-0", "tool"]  # input order
    row = df.iloc[0]
    assert row["ips"] == [ipaddress.ip_address("10.244.1.10")]  # IP objects, not strings
    # Labels are k=v text: never a clipped dict repr.
    assert row["labels"] == "app=web"
    assert row["hostNetwork"] is False and row["ready"] is True and row["allocated"] is False
    # Filtering with lambdas over the cells, as in pybatfish's Pandas Examples.
    web = df[df["labels"].map(lambda labels: "app=web" in labels.split(", "))]
    assert web["name"].tolist() == ["web-0", "web-1"]


def test_pod_without_node_has_none_not_nan():
    df = pods_frame(Cluster(pods=(pod("x/a"),)))
    assert df.loc[0, "node"] is None and df.loc[0, "ips"] == []


def test_services_frame(cluster):
    df = services_frame(cluster)
    _check_shape(df, SERVICE_COLUMNS)
    row = df.iloc[0]
    assert (row["namespace"], row["name"], row["type"]) == ("shop", "web", "ClusterIP")
    assert row["clusterIPs"] == [ipaddress.ip_address("10.96.0.20")]
    assert [str(p) for p in row["ports"]] == ["http:80/TCP"]
    assert row["selector"] == "app=web" and row["externalName"] is None


def test_policies_frame_lists_selected_pods(cluster):
    df = policies_frame(cluster).set_index("name")
    assert df.loc["deny-all", "selects"] == ["shop/web-0", "shop/web-1", "shop/db-0"]
    assert df.loc["allow-db", "selects"] == ["shop/db-0"]
    assert str(df.loc["allow-db", "podSelector"]) == "app=db"
    assert df.loc["allow-db", "policyTypes"] == ["Ingress"]
    assert (df.loc["allow-db", "ingress"], df.loc["allow-db", "egress"]) == (1, 0)
    # file:line relative to the input's root directory.
    assert df.loc["allow-db", "source"] == "policies/shop.yaml:8"


def test_trace_frame_one_row_per_hop(cluster):
    t = trace(cluster, "dev/tool", "shop/db-0", 5432)
    df = trace_frame(t)
    _check_shape(df, TRACE_COLUMNS)
    assert df["number"].tolist() == [1, 2, 3, 4]
    assert df["step"].tolist() == ["egress", "route", "snat", "ingress"]
    assert df["backend"].tolist() == [None] * 4
    assert df["verdict"].tolist() == [Verdict.DENIED] * 4
    last = df.iloc[-1]
    assert last["outcome"] == "denied"
    assert all(isinstance(d, Decider) for d in last["deciders"])
    assert isinstance(df.iloc[0]["packet"], PacketView)


def test_trace_frame_with_backends(cluster):
    df = trace_frame(trace(cluster, "dev/tool", "10.96.0.20", 80))
    assert df.iloc[0][["number", "backend", "step", "verdict"]].tolist() == [
        1,
        None,
        "service",
        None,
    ]
    backends = df["backend"].tolist()[1:]
    assert backends == ["shop/web-0"] * 5 + ["shop/web-1"] * 5
    # Each backend numbers its hops from 2, after the shared DNAT hop.
    assert df[df["backend"] == "shop/web-1"]["number"].tolist() == [2, 3, 4, 5, 6]
    assert set(df["verdict"].tolist()[1:]) == {Verdict.ALLOWED}


def test_results_frame():
    cx = Counterexample("x/a and x/b share 10.0.0.1", pods=("x/a", "x/b"))
    holds = PropertyResult(
        "nat-free", "nat-free", Status.HOLDS, "no SNAT between pods", seconds=0.2
    )
    violated = PropertyResult(
        "unique-pod-ips", "unique-pod-ips", Status.VIOLATED, "no two pods share an IP", (cx, cx)
    )
    slow = PropertyResult("isolation", "isolation", Status.HOLDS, "isolated", seconds=1.23456)
    assert results_frame([slow]).loc[0, "seconds"] == 1.23  # rounded
    df = results_frame([holds, violated])
    _check_shape(df, RESULT_COLUMNS)
    assert df["status"].tolist() == [Status.HOLDS, Status.VIOLATED]
    assert df["counterexamples"].tolist() == [0, 2]
    assert df["example"].tolist() == [None, "x/a and x/b share 10.0.0.1"]
    assert df.loc[1, "result"] is violated
    # The frame stays one line per property even when counterexamples carry traces.
    assert df[df["status"] == Status.VIOLATED]["name"].tolist() == ["unique-pod-ips"]
