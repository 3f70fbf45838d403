"""The trace explains itself: hop order, deciders with ``file:line``, and the JSON shape.

A trace is read by people (``netverify reach``, notebooks) and by programs (the
JSON of ``Trace.to_dict()``, CI annotations), so its structure is part of the
contract: the pipeline steps come in the order of semantics.md §10, every
decision names the object (and manifest line) that made it, and the JSON keys
are fixed.
"""

from __future__ import annotations

import json

from tests.builders import netpol, peer, pod, rule, service
from tests.engine.support import DNS_VIP, NODE_IPS, cluster_dns, hop, pod_ip, world
from verifier.engine import trace
from verifier.ingest import loads
from verifier.trace import Trace, Verdict

#: The pipeline of semantics.md §10: the DNS query flow, the answer, Service
#: translation, the client's egress policy, routing, source NAT, the
#: destination's ingress policy, delivery.
PIPELINE = ("dns-query", "resolve", "service", "egress", "route", "snat", "ingress", "deliver")

SHOP = """\
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 192.168.0.1}]}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, labels: {app: web}}
spec:
  nodeName: n1
  containers:
  - name: web
    ports: [{name: http, containerPort: 8080}]
status: {podIP: 10.244.1.10, podIPs: [{ip: 10.244.1.10}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web, canary: "true"}}
spec:
  nodeName: n2
  containers:
  - name: web
    ports: [{name: http, containerPort: 8080}]
status: {podIP: 10.244.2.11, podIPs: [{ip: 10.244.2.11}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec:
  nodeName: n2
  containers: [{name: c}]
status: {podIP: 10.244.2.10, podIPs: [{ip: 10.244.2.10}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  clusterIP: 10.96.0.20
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: client}}
    ports: [{port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: canary-closed, namespace: shop}
spec:
  podSelector: {matchLabels: {canary: "true"}}
  policyTypes: [Ingress]
"""


def line_of(needle: str, after: str = "") -> int:
    """The 1-based line of the first ``needle`` in SHOP (after the first ``after``)."""
    start = SHOP.index(after) if after else 0
    return SHOP[: SHOP.index(needle, start)].count("\n") + 1


def object_line(kind: str, after: str = "") -> int:
    """An object's own line: the first line of its document (``apiVersion``, just above ``kind``)."""
    return line_of(f"kind: {kind}", after) - 1


def shop():
    return loads(SHOP, "shop.yaml")


def steps(hops) -> list[str]:
    return [h.step for h in hops]


def in_pipeline_order(t: Trace) -> bool:
    got = steps(t.all_hops)
    return got == sorted(got, key=PIPELINE.index)


# --------------------------------------------------------------------------- hop order


def test_hop_order_from_name_to_pod():
    """A name through a Service with a policy-checked DNS query: every step of §10, in order."""
    c = world(
        cluster_dns(),
        service("x/web", ip="10.96.0.80", selector={"app": "b"}),
        netpol("x/b-in", select={"app": "b"}, ingress=[rule(peer(pods={"app": "a"}))]),
    )
    t = trace(c, "x/a", "web", 80)
    assert t.verdict is Verdict.ALLOWED
    assert steps(t.hops) == ["dns-query", "resolve", "service"]  # shared by every backend
    assert steps(t.branches[0].hops) == ["egress", "route", "snat", "ingress", "deliver"]
    assert steps(t.all_hops) == list(PIPELINE)
    assert (
        hop(t, "dns-query").detail == f"DNS query to {DNS_VIP}:53/UDP reaches kube-system/coredns"
    )


def test_hop_order_of_shorter_paths():
    """Each kind of path keeps the order and leaves out only the steps that do not apply."""
    c = world(netpol("x/deny-a", select={"app": "a"}))
    cases = {
        ("x/b", "x/c"): ["egress", "route", "snat", "ingress", "deliver"],  # pod to pod
        ("203.0.113.9", "x/b"): ["route", "snat", "ingress", "deliver"],  # no egress policy outside
        ("x/b", "8.8.8.8"): ["egress", "route", "snat", "deliver"],  # no ingress policy outside
        ("x/b", "x/a"): ["egress", "route", "snat", "ingress"],  # denied: nothing delivered
    }
    for (src, dst), want in cases.items():
        t = trace(c, src, dst, 80)
        assert steps(t.all_hops) == want, (src, dst)
        assert in_pipeline_order(t)


def test_blocked_dns_query_shows_the_query_path():
    """DNS_BLOCKED: the query's own path (Service, egress) comes first, then the blocked query; no answer."""
    c = world(netpol("x/no-egress", select={"app": "a"}, types=["Egress"]), cluster_dns())
    t = trace(c, "x/a", "web", 80)
    assert t.verdict is Verdict.DNS_BLOCKED and t.branches == ()
    assert steps(t.all_hops) == ["service", "egress", "dns-query"]
    assert [str(d) for d in hop(t, "dns-query").deciders] == ["NetworkPolicy x/no-egress"]
    assert hop(t, "dns-query").outcome == "blocked" and hop(t, "egress").outcome == "denied"
    assert str(hop(t, "egress").packet) == f"{pod_ip('x/a')} -> 10.244.2.53:53/UDP"


def test_packets_before_and_after_dnat():
    """The Service hop shows the packet as sent; the policy hops the packet after DNAT."""
    t = trace(shop(), "shop/client", "10.96.0.20", 80)
    assert str(hop(t, "service").packet) == "10.244.2.10 -> 10.96.0.20:80/TCP"
    for b in t.branches:
        policy_hops = [h for h in b.hops if h.step in ("egress", "ingress")]
        assert [str(h.packet) for h in policy_hops] == [f"10.244.2.10 -> {b.ip}:8080/TCP"] * 2


# --------------------------------------------------------------------------- deciders and sources


def test_deciders_name_the_manifest_lines():
    """Deciders carry ``file:line``: the Service port entry, the allowing rule, the isolating policy, the pod."""
    t = trace(shop(), "shop/client", "10.96.0.20", 80)
    web0 = next(b for b in t.branches if b.pod == "shop/web-0")
    web1 = next(b for b in t.branches if b.pod == "shop/web-1")
    port_line = line_of("  - name: http\n    port: 80")
    rule_line = line_of("  - from:")
    assert [str(d) for d in hop(t, "service").deciders] == [
        f"Service shop/web port http:80/TCP (shop.yaml:{port_line})"
    ]
    ingress0 = next(h for h in web0.hops if h.step == "ingress")
    assert [str(d) for d in ingress0.deciders] == [
        f"NetworkPolicy shop/web-ingress ingress[0] (shop.yaml:{rule_line})"
    ]
    assert ingress0.deciders[0].to_dict() == {
        "kind": "NetworkPolicy",
        "namespace": "shop",
        "name": "web-ingress",
        "part": "ingress[0]",
        "file": "shop.yaml",
        "line": rule_line,
    }
    deliver = next(h for h in web0.hops if h.step == "deliver")
    assert [str(d) for d in deliver.deciders] == [
        f"Pod shop/web-0 (shop.yaml:{object_line('Pod')})"
    ]
    # web-1 is also selected by canary-closed, which adds no rule; web-ingress still allows.
    assert web1.verdict is Verdict.ALLOWED
    denied = trace(shop(), "shop/web-0", "10.244.2.11", 8080)
    ingress1 = hop(denied, "ingress")
    assert ingress1.outcome == "denied"
    assert [str(d) for d in ingress1.deciders] == [
        f"NetworkPolicy shop/canary-closed (shop.yaml:{object_line('NetworkPolicy', after='web-ingress')})",
        f"NetworkPolicy shop/web-ingress (shop.yaml:{object_line('NetworkPolicy')})",
    ]


def test_deciders_without_a_source():
    """Objects built in code have no manifest: the decider prints no location and its JSON has none."""
    c = world(netpol("x/deny-a", select={"app": "a"}))
    d = hop(trace(c, "x/b", "x/a", 80), "ingress").deciders[0]
    assert str(d) == "NetworkPolicy x/deny-a"
    assert d.to_dict() == {
        "kind": "NetworkPolicy",
        "namespace": "x",
        "name": "deny-a",
        "part": None,
        "file": None,
        "line": None,
    }
    withsrc = world(netpol("x/deny-a", select={"app": "a"}, at="policies/x.yaml:7"))
    d = hop(trace(withsrc, "x/b", "x/a", 80), "ingress").deciders[0]
    assert str(d) == "NetworkPolicy x/deny-a (policies/x.yaml:7)"
    assert (d.to_dict()["file"], d.to_dict()["line"]) == ("policies/x.yaml", 7)


def test_hop_and_trace_text():
    """One line per trace summary and per hop: verdict, path, step, outcome, detail, deciders."""
    t = trace(world(netpol("x/deny-a", select={"app": "a"})), "x/b", "x/a", 80)
    assert t.summary == "DENIED: x/b -> x/a:80/TCP"
    assert str(t) == t.text()  # print(trace) prints it as `netverify reach` does
    assert str(hop(t, "ingress")) == (
        "ingress  denied: x/a is ingress-isolated by x/deny-a and no rule allows this packet [NetworkPolicy x/deny-a]"
    )


# --------------------------------------------------------------------------- JSON


TRACE_KEYS = {
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
}
BACKEND_KEYS = {"pod", "ip", "port", "node", "verdict", "reachable", "trace"}
HOP_KEYS = {"step", "outcome", "detail", "deciders", "packet"}
DECIDER_KEYS = {"kind", "namespace", "name", "part", "file", "line"}
PACKET_KEYS = {"src_ip", "dst_ip", "dst_port", "protocol"}


def check_hop(h: dict) -> None:
    assert set(h) == HOP_KEYS
    assert h["step"] in PIPELINE and isinstance(h["outcome"], str) and isinstance(h["detail"], str)
    for d in h["deciders"]:
        assert set(d) == DECIDER_KEYS
    assert h["packet"] is None or set(h["packet"]) == PACKET_KEYS


def test_json_shape_with_backends():
    """``to_dict()``: the verdict, one entry per backend with its own verdict and trace, and the trace of
    the path the verdict reports; plain JSON types only."""
    t = trace(shop(), "shop/client", "web.shop.svc.cluster.local", "http")
    data = json.loads(json.dumps(t.to_dict()))
    assert set(data) == TRACE_KEYS
    assert (data["verdict"], data["reachable"], data["source"], data["destination"]) == (
        "ALLOWED",
        True,
        "shop/client",
        "web.shop.svc.cluster.local",
    )
    assert (data["port"], data["protocol"], data["family"]) == (80, "TCP", 4)
    assert [set(b) for b in data["backends"]] == [BACKEND_KEYS] * 2
    assert sorted(
        (b["pod"], b["ip"], b["port"], b["verdict"], b["reachable"]) for b in data["backends"]
    ) == [
        ("shop/web-0", "10.244.1.10", 8080, "ALLOWED", True),
        ("shop/web-1", "10.244.2.11", 8080, "ALLOWED", True),
    ]
    for h in data["trace"] + [h for b in data["backends"] for h in b["trace"]]:
        check_hop(h)
    assert [h["step"] for h in data["trace"]] == [
        "dns-query",
        "resolve",
        "service",
        "egress",
        "route",
        "snat",
        "ingress",
        "deliver",
    ]
    # No DNS pods in the input: the coredns profile's answer the lookup (a flow like any other).
    assert data["notes"] == [] and data["trace"][0]["outcome"] == "allowed"
    assert "kube-system/coredns-" in data["trace"][0]["detail"]
    decisive = next(b for b in data["backends"] if b["pod"] == t.decisive_branch.pod)
    assert data["trace"][3:] == decisive["trace"]


def test_json_shape_of_a_denial_names_the_deciding_branch():
    """A denied trace reports the first denied backend's path; every backend keeps its own."""
    c = world(
        service("x/web", ip="10.96.0.80", selector={"tier": "web"}),
        pod("x/web-1", ip="10.244.1.101", node="n1", labels={"tier": "web"}),
        pod("x/web-2", ip="10.244.2.102", node="n2", labels={"tier": "web"}),
        netpol("x/web-closed", select={"tier": "web"}),
    )
    data = trace(c, "x/a", "10.96.0.80", 80).to_dict()
    assert (data["verdict"], data["reachable"]) == ("DENIED", False)
    assert [(b["pod"], b["verdict"]) for b in data["backends"]] == [
        ("x/web-1", "DENIED"),
        ("x/web-2", "DENIED"),
    ]
    assert data["trace"][-1]["step"] == "ingress" and data["trace"][-1]["outcome"] == "denied"
    assert data["trace"][1:] == data["backends"][0]["trace"]


def test_json_shape_without_backends():
    """A verdict reached before any path (no endpoints, NXDOMAIN) has no backends, only shared hops."""
    c = world(service("x/empty", ip="10.96.0.90", selector={"app": "nobody"}))
    data = trace(c, "x/a", "10.96.0.90", 80).to_dict()
    assert (data["verdict"], data["reachable"], data["backends"]) == ("NO_ENDPOINTS", False, [])
    assert [(h["step"], h["outcome"]) for h in data["trace"]] == [("service", "reject")]
    data = trace(c, "x/a", "nothing-here", 80).to_dict()
    assert (data["verdict"], data["backends"]) == ("NXDOMAIN", [])
    assert [h["step"] for h in data["trace"]] == ["dns-query", "resolve"]


def test_json_names_the_host_network_pod_that_answers_on_a_node_address():
    """To a node's address, the backend is the hostNetwork pod declaring the port there, if any;
    a port nothing declares still reaches the node's host network, with no pod to name."""
    n2 = NODE_IPS["n2"]
    c = world(pod("x/agent", ip=n2, node="n2", host_network=True, ports=[9100]))
    backends = trace(c, "x/a", n2, 9100).to_dict()["backends"]
    assert [(b["pod"], b["ip"], b["verdict"]) for b in backends] == [("x/agent", n2, "ALLOWED")]
    backends = trace(c, "x/a", n2, 22).to_dict()["backends"]
    assert [(b["pod"], b["ip"], b["verdict"]) for b in backends] == [(None, n2, "ALLOWED")]
    # Through a Service the same pod is named (its endpoint is the node's address).
    c = world(
        pod("x/agent", ip=n2, node="n2", host_network=True, ports=[9100]),
        service("x/agent", ip="10.96.0.95", ports=[("metrics", 9100, 9100)]),
    )
    backends = trace(c, "x/a", "10.96.0.95", 9100).to_dict()["backends"]
    assert [(b["pod"], b["ip"]) for b in backends] == [("x/agent", n2)]
