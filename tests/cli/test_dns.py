"""``netverify dns``: a name as one pod's resolver walks it; exit codes, text and JSON."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.cli.support import DEMO, DEMO_BASE, ISOLATION, malformed, netverify

API = ("--from", "payments/payment-api-0")
SEARCH = [
    "payments.svc.cluster.local.",
    "svc.cluster.local.",
    "cluster.local.",
    "dc1.internal.",
    "",
]


def dns(capsys, *args: str, cluster: str = DEMO_BASE):
    return netverify(capsys, "dns", "-f", cluster, *args)


def walk(name: str, rcodes: list[str]) -> list[dict]:
    """The JSON ``search`` list: each candidate of payment-api's search list with its rcode; the last NOERROR answers."""
    return [
        {"query": f"{name}.{suffix}", "rcode": rcode, "answered": rcode == "NOERROR"}
        for suffix, rcode in zip(SEARCH, rcodes, strict=False)  # the walk stops at the answer
    ]


def test_an_external_name_falls_through_the_search_list_to_upstream(capsys):
    run = dns(capsys, *API, "vault.internal", "-o", "json")
    assert run.code == 0
    assert list(run.json) == [
        "name",
        "type",
        "rcode",
        "answers",
        "records",
        "answered_by",
        "search",
        "upstream_unknown",
        "note",
    ]
    assert run.json == {
        "name": "vault.internal",
        "type": "A",
        "rcode": "NOERROR",
        "answers": ["172.20.0.5"],
        "records": [{"name": "vault.internal.", "type": "A", "data": "172.20.0.5"}],
        "answered_by": "vault.internal.",
        "search": walk("vault.internal", ["NXDOMAIN"] * 4 + ["NOERROR"]),
        "upstream_unknown": False,
        "note": None,
    }


def test_the_demo_change_shadows_it_at_the_second_candidate(capsys):
    """README mistake 3: the new namespace ``internal`` answers vault.internal.svc.cluster.local. first."""
    run = dns(capsys, *API, "vault.internal", "-o", "json", cluster=DEMO)
    assert run.code == 0
    assert (run.json["answers"], run.json["answered_by"]) == (
        ["10.96.89.201"],
        "vault.internal.svc.cluster.local.",
    )
    assert run.json["search"] == walk("vault.internal", ["NXDOMAIN", "NOERROR"])


def test_text_shows_the_records_the_walk_and_the_resolver(capsys):
    run = dns(capsys, *API, "vault.internal")
    assert run.code == 0
    assert [line.split() for line in run.lines] == [
        ["NOERROR", "vault.internal", "A", "(answered", "by", "vault.internal.)"],
        ["vault.internal.", "A", "172.20.0.5"],
        ["search:"],
        ["vault.internal.payments.svc.cluster.local.", "NXDOMAIN"],
        ["vault.internal.svc.cluster.local.", "NXDOMAIN"],
        ["vault.internal.cluster.local.", "NXDOMAIN"],
        ["vault.internal.dc1.internal.", "NXDOMAIN"],
        ["vault.internal.", "NOERROR", "<-", "answer"],
        ["resolver:", "nameservers", "10.96.0.10,", "fd00:10:96::a;", "ndots", "5"],
    ]


@pytest.mark.parametrize(
    ("name", "qtype", "rcode", "answers"),
    [
        ("nope.example", "A", "NXDOMAIN", []),
        # The name exists without an IPv6 address: NOERROR on the wire, no answer (NODATA).
        ("vault.internal", "aaaa", "NOERROR", []),
    ],
)
def test_no_answer_exits_1(capsys, name, qtype, rcode, answers):
    run = dns(capsys, *API, name, "--type", qtype, "-o", "json")
    assert run.code == 1
    assert (run.json["type"], run.json["rcode"], run.json["answers"], run.json["answered_by"]) == (
        qtype.upper(),
        rcode,
        answers,
        None,
    )
    assert [c["answered"] for c in run.json["search"]] == [False] * 5
    # Every rcode in the JSON is one a DNS message can carry.
    assert {c["rcode"] for c in run.json["search"]} <= {"NOERROR", "NXDOMAIN"}


def test_srv_records_of_a_headless_service_in_presentation_form(capsys):
    run = dns(capsys, *API, "_postgresql._tcp.payments-db", "--type", "SRV", "-o", "json")
    assert run.code == 0
    assert run.json["answers"] == [
        "0 25 5432 payments-db-0.payments-db.payments.svc.cluster.local.",
        "0 25 5432 payments-db-1.payments-db.payments.svc.cluster.local.",
    ]
    assert run.json["answered_by"] == "_postgresql._tcp.payments-db.payments.svc.cluster.local."


def test_an_external_name_service_is_a_cname(capsys):
    """payments/stripe is an ExternalName: CNAME to api.stripe.com., whose A record the A query also returns."""
    cname = dns(capsys, *API, "stripe", "--type", "CNAME", "-o", "json")
    assert (cname.code, cname.json["answers"]) == (0, ["api.stripe.com."])
    a = dns(capsys, *API, "stripe", "-o", "json")
    assert a.json["answers"] == ["203.0.113.10"]
    assert a.json["records"] == [
        {"name": "stripe.payments.svc.cluster.local.", "type": "CNAME", "data": "api.stripe.com."},
        {"name": "api.stripe.com.", "type": "A", "data": "203.0.113.10"},
    ]


def test_the_cluster_from_stdin(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(Path(ISOLATION).read_text()))
    run = netverify(
        capsys, "dns", "-f", "-", "--from", "dev/client", "gateway.ingress-nginx", "-o", "json"
    )
    # No Service named gateway: NXDOMAIN through every candidate of dev's search list.
    assert (run.code, run.json["rcode"]) == (1, "NXDOMAIN")
    assert run.json["search"][0]["query"] == "gateway.ingress-nginx.dev.svc.cluster.local."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--from", "payments/nobody", "vault.internal"),
            "netverify: error: unknown pod 'payments/nobody'",
        ),
        (
            ("--from", "payments/payment-api-0", "x", "--type", "MX"),
            "Error: Invalid value for '--type': 'MX' is not one of",
        ),
        (
            (
                "--from",
                "payments/payment-api-0",
            ),
            "Error: Missing argument 'NAME'.",
        ),
        (("vault.internal",), "Error: Missing option '--from'."),
    ],
)
def test_usage_mistakes_exit_2(capsys, args, message):
    run = dns(capsys, *args)
    assert (run.code, run.out) == (2, "")
    assert message in run.err


def test_a_malformed_manifest_exits_2_with_its_line(capsys, tmp_path):
    bad = malformed(tmp_path)
    run = netverify(capsys, "dns", "-f", bad, "--from", "default/a", "x")
    assert (
        run.code == 2
        and f"{bad}:5: Pod default/a: spec.containers[0].ports[0].containerPort" in run.err
    )


def test_a_public_name_the_input_does_not_pin_is_unknown_not_absent(capsys):
    """google.com goes upstream undeclared: netverify's model answers NXDOMAIN, and says the real
    records are not in the input (pin them with ClusterNetwork.externalNames)."""
    run = dns(capsys, *API, "google.com", "-o", "json")
    assert run.code == 1
    assert (run.json["rcode"], run.json["answers"], run.json["upstream_unknown"]) == (
        "NXDOMAIN",
        [],
        True,
    )
    assert "not declared in ClusterNetwork.externalNames" in run.json["note"]
    text = dns(capsys, *API, "google.com")
    assert text.lines[-1].startswith("note: google.com is resolved outside the cluster")
