"""User invariants: every form and every mistake of the file, and ``isolated``/``only``/``reach`` on small clusters.

The clusters are the isolation fixtures (``fixtures/tests/isolation/``) and the
demo, whose ``invariants.yaml`` states what must hold before and after the change.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import ip_address, ip_network
from textwrap import dedent

import pytest

from tests.builders import cluster, netpol, node, peer, pod, rule, service
from tests.properties.support import DEMO, at, in_net, load_demo, load_fixture, refs, steps, where
from verifier.cli import main
from verifier.engine import trace
from verifier.errors import InputError, UsageError
from verifier.model import IPBlock, Labels, Source
from verifier.properties import Status, load_invariants
from verifier.properties.invariants import Invariant, Selector, check_invariant, parse_invariants
from verifier.symbolic.encoder import instantiate
from verifier.trace import Verdict

HOLDS, VIOLATED = Status.HOLDS, Status.VIOLATED


def claim(cluster, text: str, **limits):
    """Check the one invariant written in ``text`` (a YAML list entry) on ``cluster``."""
    (invariant,) = parse_invariants("invariants:\n" + dedent(text), "inv.yaml")
    return check_invariant(cluster, invariant, **limits)


# --------------------------------------------------------------------------- parsing

EVERY_FORM = """\
invariants:
  - name: dev is isolated
    isolated: {from: {namespace: dev}, to: [{namespace: prod}, {namespaces: {team: pay}, pods: {app: db}}]}
  - name: the internet cannot reach the database on UDP 5432
    isolated: {from: {ipBlock: 0.0.0.0/0}, to: {pods: {app: db}}, port: 5432, protocol: UDP}
  - name: the VPN but not the pods
    isolated: {from: {ipBlock: {cidr: 10.0.0.0/8, except: [10.244.0.0/16]}}, to: {}}
  - name: only api and the office
    only: {to: {namespace: prod}, port: 5432, from: [{namespace: prod, pods: {app: api}}, {ipBlock: 192.0.2.0/24}]}
  - name: a reaches web
    reach: {from: x/a, to: web.x, port: 80}
  - name: a cannot ask the node's resolver
    reach: {from: x/a, to: 10.0.0.1, port: 53, protocol: UDP, expect: deny}
"""


def test_every_form_of_the_file():
    """Selectors (one or a list; namespace, namespaces, pods, ipBlock as CIDR or {cidr, except}), defaults, lines."""
    prod, db = (
        Selector(namespace="prod"),
        Selector(namespaces=Labels({"team": "pay"}), pods=Labels({"app": "db"})),
    )
    assert parse_invariants(EVERY_FORM, "inv.yaml") == (
        Invariant(
            "dev is isolated",
            "isolated",
            (Selector(namespace="dev"),),
            (prod, db),
            source=Source("inv.yaml", 2),
        ),
        Invariant(
            "the internet cannot reach the database on UDP 5432",
            "isolated",
            (Selector(ip_block=IPBlock(ip_network("0.0.0.0/0"))),),
            (Selector(pods=Labels({"app": "db"})),),
            5432,
            "UDP",
            source=Source("inv.yaml", 4),
        ),
        Invariant(
            "the VPN but not the pods",
            "isolated",
            (Selector(ip_block=IPBlock(ip_network("10.0.0.0/8"), (ip_network("10.244.0.0/16"),))),),
            (Selector(),),
            source=Source("inv.yaml", 6),
        ),
        Invariant(
            "only api and the office",
            "only",
            (
                Selector(namespace="prod", pods=Labels({"app": "api"})),
                Selector(ip_block=IPBlock(ip_network("192.0.2.0/24"))),
            ),
            (prod,),
            5432,
            None,
            source=Source("inv.yaml", 8),
        ),
        Invariant(
            "a reaches web",
            "reach",
            port=80,
            protocol="TCP",
            client="x/a",
            target="web.x",
            expect_allow=True,
            source=Source("inv.yaml", 10),
        ),
        Invariant(
            "a cannot ask the node's resolver",
            "reach",
            port=53,
            protocol="UDP",
            client="x/a",
            target="10.0.0.1",
            expect_allow=False,
            source=Source("inv.yaml", 12),
        ),
    )


def test_plain_python_data_means_the_same():
    """A notebook passes lists of mappings (or {"invariants": [...]}) instead of YAML; only the lines differ."""
    import yaml

    data = yaml.safe_load(EVERY_FORM)
    expected = tuple(replace(i, source=None) for i in parse_invariants(EVERY_FORM, "inv.yaml"))
    for given in (data["invariants"], data):
        assert tuple(replace(i, source=None) for i in parse_invariants(given)) == expected


MISTAKES = """\
invariants:
  - name: no kind
    from: {namespace: dev}
  - name: two kinds
    isolated: {from: {namespace: dev}, to: {namespace: prod}}
    reach: {from: a/b, to: c, port: 80}
  - name: a typo in a selector
    isolated: {from: {namspace: dev}, to: {namespace: prod}}
  - name: a bad CIDR
    isolated: {from: {ipBlock: 10.0.0.0/33}, to: {namespace: prod}}
  - name: an ipBlock and a namespace
    isolated: {from: {ipBlock: 10.0.0.0/8, namespace: dev}, to: {namespace: prod}}
  - name: only without a port
    only: {to: {namespace: prod}, from: [{namespace: prod}]}
  - name: ICMP
    isolated: {from: {namespace: dev}, to: {namespace: prod}, protocol: ICMP}
  - name: port out of range
    isolated: {from: {namespace: dev}, to: {namespace: prod}, port: 70000}
  - name: reach without a port
    reach: {from: a/b, to: c}
  - name: maybe
    reach: {from: a/b, to: c, port: 80, expect: maybe}
  - name: no destination
    isolated: {from: {namespace: dev}}
  - name: an except outside the cidr
    isolated: {from: {ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}, to: {namespace: prod}}
  - isolated: {from: {namespace: dev}, to: {namespace: prod}}
  - name: labels as a list
    isolated: {from: {pods: [a, b]}, to: {namespace: prod}}
  - name: reach to a selector
    reach: {from: a/b, to: {namespace: x}, port: 80}
  - name: ports for port
    isolated: {from: {namespace: dev}, to: {namespace: prod}, ports: 80}
"""


def test_every_mistake_is_reported_with_its_line_in_one_error():
    """Nothing is checked half-way: all sixteen mistakes come back together, each at its file:line."""
    with pytest.raises(InputError) as info:
        parse_invariants(MISTAKES, "bad.yaml")
    where_ = "bad.yaml:{}: Invariants <unnamed>: invariants[{}]"
    assert [str(p) for p in info.value.problems] == [
        where_.format(3, 0)
        + ".from: unknown field 'from' (an invariant has 'name', 'isolated', 'only' or 'reach')",
        where_.format(2, 0) + ": give exactly one of isolated, only, reach",
        where_.format(4, 1) + ": give exactly one of isolated, only, reach (got isolated, reach)",
        where_.format(8, 2)
        + ".isolated.from.namspace: unknown selector field (use ipBlock, namespace, namespaces, pods)",
        where_.format(10, 3)
        + ".isolated.from.ipBlock: '10.0.0.0/33' is not a valid CIDR (address/prefix)",
        where_.format(12, 4)
        + ".isolated.from.ipBlock: an ipBlock cannot be combined with namespace or pod selectors",
        where_.format(14, 5) + ".only.port: missing required field",
        where_.format(16, 6) + ".isolated.protocol: must be 'TCP', 'UDP' or 'SCTP', got 'ICMP'",
        where_.format(18, 7) + ".isolated.port: must be between 1 and 65535, got 70000",
        where_.format(20, 8) + ".reach.port: missing required field",
        where_.format(22, 9) + ".reach.expect: must be 'allow' or 'deny', got 'maybe'",
        where_.format(24, 10) + ".isolated.to: missing required field",
        where_.format(26, 11)
        + ".isolated.from.ipBlock.except[0]: 192.168.0.0/16 must be strictly inside the cidr 10.0.0.0/8",
        where_.format(27, 12) + ".name: missing required field",
        where_.format(29, 13) + ".isolated.from.pods: expected a mapping of strings, got a list",
        where_.format(31, 14) + ".reach.to: expected a pod (ns/name), an IP or a DNS name",
        where_.format(33, 15)
        + ".isolated.ports: unknown field 'ports' (isolated has 'from', 'to', 'port' or 'protocol')",
    ]


def test_an_unreadable_or_empty_file(tmp_path):
    with pytest.raises(InputError, match="cannot read invariants file"):
        load_invariants(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match="no invariants in the file"):
        parse_invariants("", "empty.yaml")


def test_check_reports_a_bad_invariants_file_with_exit_code_2(tmp_path, capsys):
    bad = tmp_path / "inv.yaml"
    bad.write_text("invariants:\n  - name: x\n    isolated: {from: {namespace: dev}}\n")
    assert main(["check", "-f", str(DEMO / "base"), "--invariants", str(bad)]) == 2
    assert (
        f"{bad}:3: Invariants <unnamed>: invariants[0].isolated.to: missing required field"
        in capsys.readouterr().err
    )


# --------------------------------------------------------------------------- the demo's claims


def demo_claims(which: str) -> dict:
    invariants = load_invariants(DEMO / "invariants.yaml")
    return {i.name: check_invariant(load_demo(which), i) for i in invariants}


def test_every_demo_claim_holds_before_the_change():
    """Nine claims, among them an ``only`` on a cluster with two hostNetwork DaemonSets (the node exception)."""
    results = demo_claims("base")
    assert (
        len(results) == 9
        and {n: r.status for n, r in results.items() if r.status is not HOLDS} == {}
    )


def test_the_vpn_policy_breaks_exactly_two_demo_claims():
    """README: "dev cannot reach payments" and "only the payment API reaches the payments database"."""
    results = demo_claims("")
    assert sorted(n for n, r in results.items() if r.status is VIOLATED) == [
        "dev cannot reach payments",
        "only the payment API reaches the payments database",
    ]
    assert all(r.status is HOLDS for n, r in results.items() if r.status is not VIOLATED)
    cluster = load_demo()
    for result in (
        results["dev cannot reach payments"],
        results["only the payment API reaches the payments database"],
    ):
        for cx in result.counterexamples:
            source, database = cx.pods if len(cx.pods) == 2 else (None, cx.pods[0])
            assert database in ("payments/payments-db-0", "payments/payments-db-1")
            assert (cx.packet.dst_port, cx.packet.protocol) == (5432, "TCP")
            assert refs(cx.objects) == ["NetworkPolicy payments/allow-vpn-to-db ingress[0]"]
            assert where(cx.location) == at(
                "fixtures/demo/change/payments-vpn-access.yaml", 25, "- from:"
            )
            (t,) = cx.traces
            assert t.verdict is Verdict.ALLOWED
            # A hostNetwork source is never a pod on its own node: that is the node exception.
            if source is not None and cluster.pod_by_ref[source].host_network:
                assert (
                    cluster.pod_by_ref[source].node_name != cluster.pod_by_ref[database].node_name
                )
    (dev,) = {
        cx.pods[0].split("/")[0] for cx in results["dev cannot reach payments"].counterexamples
    }
    assert dev == "dev"


# --------------------------------------------------------------------------- isolated / only


def test_a_port_and_protocol_narrow_an_isolation_claim():
    """prod/db admits dev only on 5432/TCP: the claim holds for UDP, fails for TCP."""
    cluster = load_fixture("isolation/violated.yaml")
    udp = claim(
        cluster,
        "- name: u\n  isolated: {from: {namespace: dev}, to: {namespace: prod}, port: 5432, protocol: UDP}\n",
    )
    tcp = claim(
        cluster,
        "- name: t\n  isolated: {from: {namespace: dev}, to: {namespace: prod}, port: 5432, protocol: TCP}\n",
    )
    assert (udp.status, tcp.status) == (HOLDS, VIOLATED)
    assert [str(cx.packet) for cx in tcp.counterexamples] == ["10.244.1.20 -> 10.244.1.12:5432/TCP"]


def test_a_forbidden_pod_flow_through_a_nodeport():
    """Directly denied, but n1's NodePort masquerades dev/client to n1's address, which prod admits."""
    result = claim(
        load_fixture("isolation/nodeport.yaml"),
        "- name: dev\n  isolated: {from: {namespace: dev}, to: {namespace: prod}}\n",
    )
    assert result.status is VIOLATED
    (cx,) = result.counterexamples
    assert cx.summary == (
        "dev/client reaches prod/web on 8080/TCP through NodePort 192.168.0.1:30080/TCP of Service prod/web; "
        "allowed by NetworkPolicy prod/from-nodes ingress[0]"
    )
    assert cx.details == {
        "invariant": "dev",
        "path": "through NodePort 192.168.0.1:30080/TCP of Service prod/web",
    }
    assert str(cx.packet) == "10.244.1.10 -> 10.244.2.10:8080/TCP"
    assert where(cx.location) == at("isolation/nodeport.yaml", 98, "- from:")
    (t,) = cx.traces
    assert (t.source, str(t.destination), t.port, t.verdict) == (
        "dev/client",
        "192.168.0.1",
        30080,
        Verdict.ALLOWED,
    )
    assert steps(t) == [
        ("service", "dnat"),
        ("egress", "allowed"),
        ("route", "remote"),
        ("snat", "masquerade"),
        ("ingress", "allowed"),
        ("deliver", "delivered"),
    ]
    ingress = next(h for h in t.all_hops if h.step == "ingress")
    assert str(ingress.packet.src_ip) == "192.168.0.1"


def test_outside_hosts_through_a_nodeport():
    """An ipBlock source: some host of 203.0.113.0/24 reaches prod/web through the NodePort, by the same rule."""
    result = claim(
        load_fixture("isolation/nodeport.yaml"),
        "- name: internet\n  isolated: {from: {ipBlock: 203.0.113.0/24}, to: {namespace: prod}}\n",
    )
    (cx,) = result.counterexamples
    host = cx.packet.src_ip
    assert in_net(host, "203.0.113.0/24")
    assert cx.summary == (
        f"outside host {host} reaches prod/web on 8080/TCP through NodePort 192.168.0.1:30080/TCP of Service "
        "prod/web; allowed by NetworkPolicy prod/from-nodes ingress[0]"
    )
    assert (cx.pods, cx.allocation) == (("prod/web",), {})
    (t,) = cx.traces
    assert (t.source, str(t.destination), t.port, t.verdict) == (
        str(host),
        "192.168.0.1",
        30080,
        Verdict.ALLOWED,
    )


def test_the_node_exception_is_not_a_counterexample():
    """agent-n2 (hostNetwork, prod/web's node) is counted only through n1's NodePort, never directly; agent-n1 is."""
    result = claim(
        load_fixture("isolation/nodeport.yaml"),
        "- name: ks\n  isolated: {from: {namespace: kube-system}, to: {namespace: prod}}\n",
        max_counterexamples=10,
    )
    assert [
        (cx.pods[0], cx.details["path"], str(cx.packet.src_ip)) for cx in result.counterexamples
    ] == [
        ("kube-system/agent-n1", "directly to the pod IP", "192.168.0.1"),
        (
            "kube-system/agent-n2",
            "through NodePort 192.168.0.1:30080/TCP of Service prod/web",
            "192.168.0.2",
        ),
    ]


def test_only_holds_with_a_host_network_daemonset_and_fails_without_it_listed():
    """``only``: everything but the listed sources; an ipBlock lists outside hosts, selectors list pods."""
    cluster = load_fixture("isolation/nodeport.yaml")
    listed = "[{ipBlock: 0.0.0.0/0}, {namespace: dev}, {namespace: kube-system}]"
    everyone = claim(
        cluster,
        f"- name: o\n  only: {{to: {{namespace: prod}}, port: 8080, protocol: TCP, from: {listed}}}\n",
    )
    assert everyone.status is HOLDS
    no_agents = claim(
        cluster,
        "- name: o\n  only: {to: {namespace: prod}, port: 8080, protocol: TCP, from: [{ipBlock: 0.0.0.0/0}, {namespace: dev}]}\n",
        max_counterexamples=10,
    )
    assert [cx.pods[0] for cx in no_agents.counterexamples] == [
        "kube-system/agent-n1",
        "kube-system/agent-n2",
    ]


@pytest.mark.parametrize(("encapsulation", "status"), [("overlay", HOLDS), ("routed", VIOLATED)])
def test_outside_hosts_address_pod_ips_only_in_a_routed_pod_network(encapsulation, status):
    """prod admits 0.0.0.0/0 directly; an outside host can only send to a pod IP when the pod network is routed."""
    cluster = load_fixture("isolation/nodeport.yaml")
    cluster = replace(
        cluster,
        services=(),
        policies=(netpol("prod/from-anywhere", ingress=[rule(peer(cidr="0.0.0.0/0"))]),),
        config=replace(cluster.config, encapsulation=encapsulation),
    )
    result = claim(
        cluster, "- name: i\n  isolated: {from: {ipBlock: 203.0.113.0/24}, to: {namespace: prod}}\n"
    )
    assert result.status is status
    if status is VIOLATED:
        (cx,) = result.counterexamples
        assert (
            cx.details["path"] == "directly to the pod IP"
            and str(cx.packet.dst_ip) == "10.244.2.10"
        )
        assert in_net(cx.packet.src_ip, "203.0.113.0/24")


# --------------------------------------------------------------------------- reach


def reach(cluster, body: str, **limits):
    return claim(cluster, f"- name: r\n  reach: {{{body}}}\n", **limits)


def test_reach_through_a_cluster_ip_by_dns_name():
    """The demo's frontend reaches the cart by name (allow holds); the dev preview does not (deny holds)."""
    base = load_demo("base")
    assert reach(base, "from: shop/frontend-0, to: cartservice.shop, port: 7070").status is HOLDS
    assert (
        reach(base, "from: dev/frontend-0, to: cartservice.shop, port: 7070, expect: deny").status
        is HOLDS
    )
    broken = reach(base, "from: dev/frontend-0, to: cartservice.shop, port: 7070")
    (cx,) = broken.counterexamples
    assert cx.summary == "cartservice.shop:7070/TCP is not reachable from dev/frontend-0 (DENIED)"
    assert cx.traces[0].verdict is Verdict.DENIED
    assert {d.ref for d in cx.objects} == {
        "NetworkPolicy shop/allow-prometheus-scrape",
        "NetworkPolicy shop/cartservice",
        "NetworkPolicy shop/default-deny-all",
    }


def test_reach_to_a_service_without_endpoints():
    """The change's frontend-metrics has no endpoint: the counterexample is kube-proxy's reject, at the Service port."""
    result = reach(load_demo(), "from: shop/frontend-0, to: frontend-metrics.shop, port: 9090")
    (cx,) = result.counterexamples
    assert (
        cx.summary
        == "frontend-metrics.shop:9090/TCP is not reachable from shop/frontend-0 (NO_ENDPOINTS)"
    )
    assert refs(cx.objects) == ["Service shop/frontend-metrics port metrics:9090/TCP"]
    assert where(cx.location) == at(
        "fixtures/demo/change/frontend-metrics.yaml", 28, "name: metrics"
    )


@pytest.mark.parametrize(
    ("expect", "half", "verdict"),
    [("deny", "10.244.1.128/25", "ALLOWED"), ("allow", "10.244.1.0/25", "DENIED")],
)
def test_reach_for_every_allocation(expect, half, verdict):
    """dev/client has no address yet: allowed for an allocation outside the except, denied inside; both claims fail."""
    result = reach(
        load_fixture("isolation/violated-allocation.yaml"),
        f"from: dev/client, to: prod/db, port: 5432, expect: {expect}",
    )
    assert result.status is VIOLATED
    (cx,) = result.counterexamples
    chosen = cx.allocation["dev/client"]
    assert in_net(chosen, half)
    assert (
        cx.summary
        == f"prod/db:5432/TCP is {'' if expect == 'deny' else 'not '}reachable from dev/client ({verdict})"
    )
    (t,) = cx.traces
    assert t.verdict.value == verdict and str(t.all_hops[0].packet.src_ip) == chosen


def test_reach_from_an_unknown_pod_names_the_invariant():
    with pytest.raises(UsageError, match=r"invariant 'r': unknown pod 'dev/nobody'"):
        reach(load_fixture("isolation/violated.yaml"), "from: dev/nobody, to: prod/db, port: 5432")


def test_pods_the_policies_cannot_tell_apart_still_differ_in_the_claim():
    """No policy mentions ``app``, yet only x/a is a destination: x/b -> x/a is the counterexample.

    Found by tests/symbolic/test_soundness.py: pod classes follow what policies tell
    apart, so x/b and x/a were one class, judged by its first member x/b, which is no
    destination: the claim HELD although x/b reaches x/a (or the counterexample named x/b).
    """
    c = cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        pod("x/b", ip="10.244.1.11", node="n1", labels={}),
        pod("x/a", ip="10.244.1.10", node="n1", labels={"app": "web"}),
    )
    result = claim(c, "- name: web\n  isolated: {from: {namespace: x}, to: {pods: {app: web}}}\n")
    assert result.status is VIOLATED
    (cx,) = result.counterexamples
    assert cx.pods == ("x/b", "x/a")
    assert (str(cx.packet.src_ip), str(cx.packet.dst_ip)) == ("10.244.1.11", "10.244.1.10")
    assert cx.summary.startswith("x/b reaches x/a on ") and cx.summary.endswith(
        " directly to the pod IP; no policy isolates these pods"
    )
    assert cx.traces[0].verdict is Verdict.ALLOWED


def test_an_outside_host_counterexample_names_the_allocated_destinations_address():
    """An outside host reaches x/a, whose address netverify allocated: the counterexample says where x/a is."""
    c = cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        pod("x/a", ip="10.244.1.1", node="n1", ip_allocated=True),
        encapsulation="routed",
    )
    result = claim(
        c, "- name: internet\n  isolated: {from: {ipBlock: 203.0.113.0/24}, to: {namespace: x}}\n"
    )
    (cx,) = result.counterexamples
    assert in_net(cx.packet.src_ip, "203.0.113.0/24") and in_net(cx.packet.dst_ip, "10.244.1.0/24")
    assert cx.allocation == {"x/a": str(cx.packet.dst_ip)}
    assert cx.pods == ("x/a",)


def test_a_counterexample_lists_the_pods_it_moves_out_of_the_way():
    """y/c may only reach 10.244.1.1, the loader's address for x/a: the counterexample puts x/b there, so x/a moves.

    With only x/b's address, the cluster with the counterexample's allocation filled in would hold
    10.244.1.1 twice and replay to x/a.
    """
    c = cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        pod("x/a", ip="10.244.1.1", node="n1", ip_allocated=True),
        pod("x/b", ip="10.244.1.2", node="n1", ip_allocated=True),
        pod("y/c", ip="10.244.1.10", node="n1"),
        netpol(
            "y/c-out",
            select={"app": "c"},
            egress=[rule(peer(cidr="10.244.1.1/32"))],
            types=["Egress"],
        ),
    )
    result = claim(c, "- name: c\n  isolated: {from: {namespace: y}, to: {pods: {app: b}}}\n")
    (cx,) = result.counterexamples
    assert (cx.pods, str(cx.packet.dst_ip)) == (("y/c", "x/b"), "10.244.1.1")
    assert sorted(cx.allocation) == ["x/a", "x/b"]
    assert cx.allocation["x/b"] == "10.244.1.1" and in_net(cx.allocation["x/a"], "10.244.1.0/24")
    moved = {(ref, 4): ip_address(ip) for ref, ip in cx.allocation.items()}
    again = trace(
        instantiate(c, moved),
        "y/c",
        ip_address("10.244.1.1"),
        cx.packet.dst_port,
        cx.packet.protocol,
    )
    assert (again.verdict, again.branches[0].pod) == (Verdict.ALLOWED, "x/b")


def test_load_balancer_source_ranges_keep_other_outside_hosts_away():
    """Only 203.0.113.0/24 passes x/web's loadBalancerSourceRanges: the rest of the internet is
    isolated from x/web (no policy needed); the admitted range is not, and its counterexample
    comes through the LoadBalancer IP."""
    c = cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        pod("x/web", ip="10.244.1.9", node="n1", ports=[8080]),
        service(
            "x/web",
            ip="10.96.0.40",
            type="LoadBalancer",
            lb_ips="198.51.100.7",
            ports=[("http", 80, 8080, "TCP", None)],
            load_balancer_source_ranges=(ip_network("203.0.113.0/24"),),
            allocate_load_balancer_node_ports=False,
        ),
        pods_routable_from_outside=False,
    )
    rest = "{cidr: 0.0.0.0/0, except: [203.0.113.0/24]}"
    result = claim(
        c, f"- name: rest\n  isolated: {{from: {{ipBlock: {rest}}}, to: {{pods: {{app: web}}}}}}\n"
    )
    assert result.status is HOLDS, result
    result = claim(
        c,
        "- name: admitted\n  isolated: {from: {ipBlock: 203.0.113.0/24}, to: {pods: {app: web}}}\n",
    )
    assert result.status is VIOLATED
    cx = result.counterexamples[0]
    assert in_net(cx.packet.src_ip, "203.0.113.0/24")
    assert "through LoadBalancer 198.51.100.7:80/TCP of Service x/web" in cx.summary


def test_a_reach_counterexample_names_the_destination_address_it_depends_on():
    """x/b's address is allocated; x/a's egress admits 10.244.0.0/16 except 10.244.3.128/25, so
    x/a reaches x/b for some allocations only. The counterexample's allocation must name x/b's
    address: it named the client's alone, and re-traced with it, the flow was ALLOWED (oracle,
    seed 15519)."""
    from verifier.properties.invariants import check_invariant, parse_invariants
    from verifier.symbolic.encoder import instantiate

    c = cluster(
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        node("n3", "192.168.0.3", pod_cidr="10.244.3.0/24"),
        pod("x/a", ip="10.244.1.5", node="n1"),
        pod("x/b", ip="10.244.3.10", node="n3", ip_allocated=True, ports=[80]),
        netpol(
            "x/a-out",
            select={"app": "a"},
            egress=[rule(peer(cidr="10.244.0.0/16", except_=["10.244.3.128/25"]))],
            types=["Egress"],
        ),
    )
    (inv,) = parse_invariants([{"name": "a-b", "reach": {"from": "x/a", "to": "x/b", "port": 80}}])
    result = check_invariant(c, inv)
    assert result.status is Status.VIOLATED
    (cx,) = result.counterexamples
    assert set(cx.allocation) == {"x/b"}
    chosen = ip_address(cx.allocation["x/b"])
    assert chosen in ip_network("10.244.3.128/25")
    again = trace(instantiate(c, {("x/b", 4): chosen}), "x/a", "x/b", 80)
    assert again.verdict is Verdict.DENIED
