"""``netverify reach``: exit codes 0/1/2, the three output formats, stdin, and every usage mistake."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.cli.support import DEMO, DEMO_BASE, ISOLATION, malformed, netverify

FRONTEND_TO_CART = ("--from", "shop/frontend-0", "--to", "cartservice.shop", "--port", "7070")
BACKEND_STEPS = ["egress", "route", "snat", "ingress", "deliver"]


def reach(capsys, *args: str, cluster: str = DEMO):
    return netverify(capsys, "reach", "-f", cluster, *args)


def numbered_steps(lines: list[str]) -> list[str]:
    """The step names of the numbered hop lines, in order (``  4. egress   allowed: ...`` -> ``egress``)."""
    return [line.split()[1] for line in lines if line.strip()[:1].isdigit()]


def test_the_readme_example_is_allowed_with_resolve_service_egress_and_ingress_hops(capsys):
    run = reach(capsys, *FRONTEND_TO_CART)
    assert (run.code, run.err) == (0, "")
    assert (
        run.lines[0]
        == "ALLOWED  shop/frontend-0 -> cartservice.shop:7070/TCP  (2/2 backends reachable)"
    )
    # The query to the cluster DNS, the name, the Service, then each backend's path.
    assert numbered_steps(run.lines) == ["dns-query", "resolve", "service"] + BACKEND_STEPS * 2
    assert (
        run.lines[2]
        == "  2. resolve  resolved: cartservice.shop A -> 10.96.70.70 via cartservice.shop.svc.cluster.local."
    )
    assert run.lines[3] == f"       by Service shop/cartservice ({DEMO_BASE}/cartservice.yaml:49)"
    assert run.lines[4].startswith(
        "  3. service  dnat: ClusterIP 10.96.70.70:7070/TCP of Service shop/cartservice -> "
    )
    assert [line.strip() for line in run.lines if line.startswith("  backend ")] == [
        "backend shop/cartservice-0 10.244.0.65:7070  ALLOWED",
        "backend shop/cartservice-1 10.244.0.129:7070  ALLOWED",
    ]
    assert (
        f"by NetworkPolicy shop/cartservice ingress[0] ({DEMO_BASE}/policies/shop.yaml:83)"
        in run.out
    )


def test_a_denied_flow_exits_1(capsys):
    """dev/frontend-0 carries the storefront's labels but not its namespace: shop's policies deny it."""
    run = reach(capsys, "--from", "dev/frontend-0", "--to", "cartservice.shop", "--port", "7070")
    assert run.code == 1
    assert (
        run.lines[0]
        == "DENIED  dev/frontend-0 -> cartservice.shop:7070/TCP  (0/2 backends reachable)"
    )
    assert run.out.count("ingress  denied: shop/cartservice-") == 2


def test_a_port_by_name_and_another_family(capsys):
    """``--port grpc`` is the Service port's name; ``--family 6`` resolves AAAA and uses the IPv6 ClusterIP."""
    assert reach(
        capsys, "--from", "shop/frontend-0", "--to", "cartservice.shop", "--port", "grpc"
    ).lines[0] == (
        "ALLOWED  shop/frontend-0 -> cartservice.shop:7070/TCP  (2/2 backends reachable)"
    )
    run = reach(capsys, *FRONTEND_TO_CART, "--family", "6")
    assert run.code == 0
    assert (
        "resolve  resolved: cartservice.shop AAAA -> fd00:10:96::7070 via cartservice.shop.svc.cluster.local."
        in run.out
    )


def test_wide_adds_the_packet_at_every_hop(capsys):
    run = reach(
        capsys,
        "--from",
        "ingress-nginx/gateway",
        "--to",
        "prod/web",
        "--port",
        "http",
        "-o",
        "wide",
        cluster=ISOLATION,
    )
    assert run.code == 0
    assert run.lines[0] == "ALLOWED  ingress-nginx/gateway -> prod/web:8080/TCP (IPv4)"
    assert numbered_steps(run.lines) == BACKEND_STEPS
    assert run.lines[1:3] == [
        "  1. egress   allowed: ingress-nginx/gateway is not egress-isolated: no NetworkPolicy selects it for Egress",
        "       packet 10.244.1.2 -> 10.244.1.10:8080/TCP",
    ]


def test_json_has_the_documented_keys(capsys):
    run = reach(capsys, *FRONTEND_TO_CART, "-o", "json")
    assert run.code == 0
    data = run.json
    assert list(data) == [
        "verdict",
        "reachable",
        "source",
        "destination",
        "port",
        "protocol",
        "family",
        "backends",
        "trace",
        "notes",
    ]
    assert (data["verdict"], data["reachable"], data["source"], data["destination"]) == (
        "ALLOWED",
        True,
        "shop/frontend-0",
        "cartservice.shop",
    )
    assert (data["port"], data["protocol"], data["family"], data["notes"]) == (7070, "TCP", 4, [])
    first = data["backends"][0]
    assert list(first) == ["pod", "ip", "port", "node", "verdict", "reachable", "trace"]
    assert (first["pod"], first["ip"], first["port"], first["verdict"], first["reachable"]) == (
        "shop/cartservice-0",
        "10.244.0.65",
        7070,
        "ALLOWED",
        True,
    )
    assert [h["step"] for h in first["trace"]] == BACKEND_STEPS
    # ``trace``: the shared hops, then the reachable backend's.
    assert [h["step"] for h in data["trace"]] == ["dns-query", "resolve", "service"] + BACKEND_STEPS
    resolve = data["trace"][1]
    assert list(resolve) == ["step", "outcome", "detail", "deciders", "packet"]
    assert (resolve["outcome"], resolve["packet"]) == ("resolved", None)
    assert resolve["deciders"] == [
        {
            "kind": "Service",
            "namespace": "shop",
            "name": "cartservice",
            "part": None,
            "file": f"{DEMO_BASE}/cartservice.yaml",
            "line": 49,
        },
    ]
    assert data["trace"][3]["packet"] == {
        "src_ip": "10.244.0.66",
        "dst_ip": "10.244.0.65",
        "dst_port": 7070,
        "protocol": "TCP",
    }


def test_the_cluster_from_stdin(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(Path(ISOLATION).read_text()))
    run = netverify(
        capsys, "reach", "-f", "-", "--from", "dev/client", "--to", "prod/db", "--port", "5432"
    )
    assert run.code == 1
    assert run.lines[0] == "DENIED  dev/client -> prod/db:5432/TCP"
    assert "isolated by NetworkPolicy prod/db (<stdin>:106)" in run.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--from", "shop/nobody", "--to", "cartservice.shop", "--port", "7070"),
            "netverify: error: unknown pod 'shop/nobody' (pods in shop: ",
        ),
        (
            ("--from", "shop/frontend-0", "--to", "dev/nobody", "--port", "80"),
            "netverify: error: unknown pod 'dev/nobody'",
        ),
        (
            ("--from", "shop/frontend-0", "--to", "10.0.0.300", "--port", "80"),
            "netverify: error: '10.0.0.300' is not a valid IP address",
        ),
        (
            ("--from", "10.0.0.300", "--to", "shop/frontend-0", "--port", "80"),
            "netverify: error: '10.0.0.300' is not a valid IP address",
        ),
        (
            ("--from", "shop/frontend-0", "--to", "shop/cartservice-0", "--port", "99999"),
            "netverify: error: port must be in 1..65535, got 99999",
        ),
        (
            ("--from", "shop/frontend-0", "--to", "shop/cartservice-0", "--port", "0"),
            "netverify: error: port must be in 1..65535, got 0",
        ),
        (
            (
                "--from",
                "shop/frontend-0",
                "--to",
                "shop/cartservice-0",
                "--port",
                "7070",
                "--protocol",
                "ICMP",
            ),
            "Error: Invalid value for '--protocol': 'ICMP' is not one of 'tcp', 'udp', 'sctp'.",
        ),
        (
            ("--from", "shop/frontend-0", "--to", "shop/cartservice-0", "--family", "5"),
            "Error: Invalid value for '--family': '5' is not one of '4', '6'.",
        ),
        (("--from", "shop/frontend-0", "--port", "80"), "Error: Missing option '--to'."),
        (
            ("--from", "node/nowhere", "--to", "shop/frontend-0", "--port", "80"),
            "netverify: error: unknown node 'nowhere'",
        ),
    ],
)
def test_usage_mistakes_exit_2_with_the_reason(capsys, args, message):
    run = reach(capsys, *args)
    assert (run.code, run.out) == (2, "")
    assert message in run.err


def test_without_a_cluster_state(capsys):
    run = netverify(capsys, "reach", "--from", "shop/frontend-0", "--to", "cartservice.shop")
    assert run.code == 2
    assert "Error: give the cluster state with -f PATH (repeatable), or --live" in run.err


def test_a_malformed_manifest_is_reported_at_its_line(capsys, tmp_path):
    bad = malformed(tmp_path)
    run = netverify(
        capsys, "reach", "-f", bad, "--from", "default/a", "--to", "default/a", "--port", "80"
    )
    assert (run.code, run.out) == (2, "")
    assert run.err.splitlines() == [
        "netverify: the cluster state has 1 error(s):",
        f"  {bad}:5: Pod default/a: spec.containers[0].ports[0].containerPort: must be between 1 and 65535, got 99999",
    ]


def test_a_workload_name_stands_for_its_first_pod(capsys):
    """``--from shop/frontend`` (a Deployment) uses shop/frontend-0, and the trace says so."""
    from verifier.cli import main

    code = main(
        [
            "reach",
            "-f",
            "fixtures/demo",
            "--from",
            "shop/frontend",
            "--to",
            "cartservice.shop",
            "--port",
            "7070",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].startswith("ALLOWED  shop/frontend-0 -> cartservice.shop:7070/TCP")
    assert "note: shop/frontend is a workload: using its pod shop/frontend-0" in out
