"""The engine against semantics.md §12, item by item: verdicts through ``trace``.

Every test is one checklist item (``test_item_NN_...``) and asserts the exact
outcome the checklist names: the verdict, and the objects that decided it (the
policy rule that allowed, the policies that isolate, the Service, the NAT
step). The cluster is the checklist's: namespaces x, y, z with pods a, b, c
labelled ``app=<name>`` on nodes n1/n2 (see :mod:`tests.engine.support`).

Covered here: items 1-31 (NetworkPolicy), 48-58 (Services and DNS seen through
the engine), 63-70 (DNS policy, address uniqueness, NAT, routing, dual stack),
74 (hostPort), 75 (ICMP) and 76 (DNS shadowing). Items 32-47
(AdminNetworkPolicy, BaselineAdminNetworkPolicy, Calico tiers) are covered
through the engine by ``tests/semantics/test_tiers.py``.
"""

from __future__ import annotations

import pytest

from tests.builders import (
    cluster,
    endpoint_slice,
    ip_pool,
    namespace,
    netpol,
    node,
    peer,
    pod,
    rule,
    service,
)
from tests.engine.support import (
    COREDNS_IP,
    NODE_IPS,
    cluster_dns,
    dns_egress,
    expect_flow,
    hop,
    hops,
    pod_ip,
    said,
    world,
)
from verifier.engine import trace
from verifier.errors import UsageError
from verifier.model import ip_network
from verifier.semantics import dns as dns_rules
from verifier.semantics.hostports import host_ports
from verifier.trace import Verdict

ALLOWED, DENIED = Verdict.ALLOWED, Verdict.DENIED
N1, N2 = NODE_IPS["n1"], NODE_IPS["n2"]

#: Hop expectations that recur: a side no policy selects.
OPEN = ("allowed", ())


def only_a(name: str = "deny-a", **kw):
    """A policy in x selecting x/a (``app=a``)."""
    return netpol(f"x/{name}", select={"app": "a"}, **kw)


def allow_a_from(*peers, name: str = "allow", ports=()):
    """A policy in x selecting x/a with one ingress rule from ``peers`` (``ports`` optional)."""
    return only_a(name, ingress=[rule(*peers, ports=ports)])


ALLOW_0 = ("allowed", ("NetworkPolicy x/allow ingress[0]",))
ISOLATED_BY_ALLOW = ("denied", ("NetworkPolicy x/allow",))


# --------------------------------------------------------------------------- §3 isolation


def test_item_01_default_allow():
    """Item 1: no policy anywhere: x/a -> x/b TCP 80 is allowed, neither side isolated."""
    expect_flow(
        world(),
        "x/a",
        "x/b",
        verdict=ALLOWED,
        egress=OPEN,
        ingress=OPEN,
        deliver=("delivered", ("Pod x/b",)),
    )


def test_item_02_ingress_isolation_without_rules():
    """Item 2: podSelector app=a, policyTypes [Ingress], no rules: x/b -> x/a denied, x/a -> x/b
    allowed (x/a is not egress-isolated), the kubelet on x/a's node still reaches x/a."""
    c = world(only_a(types=["Ingress"]))
    expect_flow(
        c,
        "x/b",
        "x/a",
        verdict=DENIED,
        egress=OPEN,
        ingress=("denied", ("NetworkPolicy x/deny-a",)),
    )
    expect_flow(c, "x/a", "x/b", verdict=ALLOWED, egress=OPEN, ingress=OPEN)
    t = expect_flow(
        c, "node/n1", "x/a", 10250, verdict=ALLOWED, egress=None, ingress=("allowed", ())
    )
    assert "from the pod's own node" in hop(t, "ingress").detail


def test_item_03_egress_rules_without_policy_types_also_isolate_ingress():
    """Item 3: only ``egress: [{to: [{podSelector: {}}]}]`` and no policyTypes: types default to
    [Ingress, Egress]: all ingress to x/a denied (except from its node), egress only to pods of x,
    x/a -> y/b and DNS to kube-system denied."""
    pol = only_a("egress-x", egress=[rule(peer(pods={}))])
    assert pol.policy_types == ("Ingress", "Egress")
    c = world(pol, cluster_dns(), service("y/b", ip="10.96.0.50"))
    isolated = ("denied", ("NetworkPolicy x/egress-x",))
    expect_flow(c, "x/b", "x/a", verdict=DENIED, ingress=isolated)
    expect_flow(c, "y/b", "x/a", verdict=DENIED, ingress=isolated)
    expect_flow(c, "node/n1", "x/a", verdict=ALLOWED, ingress=("allowed", ()))
    expect_flow(
        c,
        "x/a",
        "x/b",
        verdict=ALLOWED,
        egress=("allowed", ("NetworkPolicy x/egress-x egress[0]",)),
    )
    expect_flow(c, "x/a", "y/b", verdict=DENIED, egress=isolated, ingress=None)
    expect_flow(c, "x/a", COREDNS_IP, 53, "UDP", verdict=DENIED, egress=isolated)
    expect_flow(
        c,
        "x/a",
        "b.y",
        verdict=Verdict.DNS_BLOCKED,
        egress=isolated,  # the query to kube-dns, after DNAT to CoreDNS
        dns_query=("blocked", isolated[1]),
        resolve=None,
    )


def test_item_04_egress_deny_all_blocks_dns_too():
    """Item 4: policyTypes [Egress] without rules: x/a opens no connection (names end in
    DNS_BLOCKED); ingress to x/a is unaffected."""
    c = world(
        only_a("no-egress", types=["Egress"]),
        cluster_dns(),
        service("x/web", ip="10.96.0.80", selector={"app": "b"}),
    )
    isolated = ("denied", ("NetworkPolicy x/no-egress",))
    expect_flow(c, "x/a", "x/b", verdict=DENIED, egress=isolated, ingress=None)
    expect_flow(c, "x/a", "198.51.100.7", 443, verdict=DENIED, egress=isolated)
    expect_flow(
        c,
        "x/a",
        "web",
        verdict=Verdict.DNS_BLOCKED,
        egress=isolated,  # the query to kube-dns, after DNAT to CoreDNS
        dns_query=("blocked", isolated[1]),
        resolve=None,
    )
    expect_flow(c, "x/b", "x/a", verdict=ALLOWED, ingress=OPEN)
    # The same name from a pod the policy does not select.
    expect_flow(c, "x/b", "web", verdict=ALLOWED)


def test_item_05_allows_are_a_union():
    """Item 5: deny-all ingress plus ``ingress: [{}]`` on x/a: all ingress allowed (union of allows)."""
    c = world(only_a("deny-a"), only_a("allow-all", ingress=[rule()]))
    by_allow_all = ("allowed", ("NetworkPolicy x/allow-all ingress[0]",))
    for src in ("x/b", "y/c", "203.0.113.9", "node/n2"):
        expect_flow(c, src, "x/a", 8080, verdict=ALLOWED, ingress=by_allow_all)
    expect_flow(c, "x/b", "x/a", 53, "UDP", verdict=ALLOWED, ingress=by_allow_all)


def test_item_06_namespace_and_pod_selector_in_one_peer_are_anded():
    """Item 6: one peer ``{namespaceSelector: {}, podSelector: {app: b}}``: pods labelled app=b in
    ANY namespace may connect; pods in x without that label may not."""
    c = world(allow_a_from(peer(namespaces={}, pods={"app": "b"})))
    for src in ("x/b", "y/b", "z/b"):
        expect_flow(c, src, "x/a", verdict=ALLOWED, ingress=ALLOW_0)
    for src in ("x/c", "y/c"):
        expect_flow(c, src, "x/a", verdict=DENIED, ingress=ISOLATED_BY_ALLOW)


def test_item_07_two_peers_are_ored():
    """Item 7: two peers ``- namespaceSelector: {}`` and ``- podSelector: {app: b}``: every pod in
    every namespace may connect; non-pod sources (an outside host, another node) are still denied."""
    c = world(allow_a_from(peer(namespaces={}), peer(pods={"app": "b"})))
    for src in ("x/b", "x/c", "y/c", "z/a"):
        expect_flow(c, src, "x/a", verdict=ALLOWED, ingress=ALLOW_0)
    for src in ("203.0.113.9", "node/n2"):
        expect_flow(c, src, "x/a", verdict=DENIED, ingress=ISOLATED_BY_ALLOW)


def test_item_08_pod_selector_alone_means_the_policy_namespace():
    """Item 8: peer ``podSelector: {app: b}`` only: x/b allowed; y/b (same label) denied."""
    c = world(allow_a_from(peer(pods={"app": "b"})))
    expect_flow(c, "x/b", "x/a", verdict=ALLOWED, ingress=ALLOW_0)
    expect_flow(c, "y/b", "x/a", verdict=DENIED, ingress=ISOLATED_BY_ALLOW)


def test_item_09_namespace_selector_by_label():
    """Item 9: peer ``namespaceSelector: {team: blue}``, only y has the label: all pods of y
    allowed; pods of x itself (and of z) denied."""
    c = world(namespace("y", team="blue"), allow_a_from(peer(namespaces={"team": "blue"})))
    for src in ("y/a", "y/b", "y/c"):
        expect_flow(c, src, "x/a", verdict=ALLOWED, ingress=ALLOW_0)
    for src in ("x/b", "x/c", "z/b"):
        expect_flow(c, src, "x/a", verdict=DENIED, ingress=ISOLATED_BY_ALLOW)


def test_item_10_namespace_by_metadata_name():
    """Item 10: ``namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}``: exactly the
    pods of namespace y are allowed."""
    c = world(allow_a_from(peer(namespaces={"kubernetes.io/metadata.name": "y"})))
    for src in ("y/a", "y/b", "y/c"):
        expect_flow(c, src, "x/a", verdict=ALLOWED, ingress=ALLOW_0)
    for src in ("x/b", "z/a", "z/b"):
        expect_flow(c, src, "x/a", verdict=DENIED, ingress=ISOLATED_BY_ALLOW)


def selector_case(selector: str, labels: dict) -> Verdict:
    """The verdict for x/b (labelled ``labels``) -> x/a when x/a admits only ``podSelector: selector``."""
    c = world(
        allow_a_from(peer(pods=selector)), pod("x/b", ip=pod_ip("x/b"), node="n2", labels=labels)
    )
    t = trace(c, "x/b", "x/a", 80)
    assert hop(t, "ingress").deciders[0].ref == (
        "NetworkPolicy x/allow" + (" ingress[0]" if t.reachable else "")
    )
    return t.verdict


def test_item_11_not_in_matches_a_pod_without_the_key():
    """Item 11: ``env NotIn [prod]``; the source pod has no ``env`` label: matched, allowed."""
    assert selector_case("env notin (prod)", {"app": "b"}) is ALLOWED
    assert selector_case("env notin (prod)", {"app": "b", "env": "prod"}) is DENIED
    assert selector_case("env notin (prod)", {"app": "b", "env": "dev"}) is ALLOWED


def test_item_12_does_not_exist_rejects_an_empty_value():
    """Item 12: ``tier DoesNotExist``; the source has ``tier: ""``: the key exists, not matched."""
    assert selector_case("!tier", {"app": "b", "tier": ""}) is DENIED
    assert selector_case("!tier", {"app": "b"}) is ALLOWED


def test_item_13_in_needs_the_key():
    """Item 13: ``env In [dev]``; the source has no ``env``: not matched, denied."""
    assert selector_case("env in (dev)", {"app": "b"}) is DENIED
    assert selector_case("env in (dev)", {"app": "b", "env": "dev"}) is ALLOWED


# --------------------------------------------------------------------------- §3.6 ipBlock


def test_item_14_ip_block_except():
    """Item 14: ``ipBlock {cidr: 10.0.0.0/16, except: [10.0.1.0/24]}``: external 10.0.1.5 denied,
    10.0.2.5 allowed."""
    c = world(allow_a_from(peer(cidr="10.0.0.0/16", except_=["10.0.1.0/24"])))
    expect_flow(c, "10.0.1.5", "x/a", verdict=DENIED, egress=None, ingress=ISOLATED_BY_ALLOW)
    expect_flow(c, "10.0.2.5", "x/a", verdict=ALLOWED, egress=None, ingress=ALLOW_0)
    expect_flow(c, "10.1.0.5", "x/a", verdict=DENIED, ingress=ISOLATED_BY_ALLOW)  # outside the cidr


def test_item_15_ip_block_over_pod_ips_is_a_profile_choice():
    """Item 15: an ipBlock covering the pod CIDR and a source pod no selector peer matches:
    allowed in the Calico (reference) profile, and the trace reports the assumption; not matched
    in a Cilium-like profile."""
    objs = (allow_a_from(peer(pods={"app": "b"}), peer(cidr="10.244.0.0/16")),)
    by_block = ("allowed", ("NetworkPolicy x/allow ingress[0]",))
    t = expect_flow(world(*objs), "y/b", "x/a", verdict=ALLOWED, ingress=by_block)
    assert hop(t, "ingress").detail.endswith(
        "allowed by NetworkPolicy x/allow ingress[0]; assumes ipBlock 10.244.0.0/16 matches the pod address "
        f"{pod_ip('y/b')} of y/b (Calico matches by IP, a Cilium-like plugin would not: semantics.md §3.6, §11 row 2)"
    )
    t = expect_flow(world(*objs), "x/b", "x/a", verdict=ALLOWED, ingress=by_block)
    assert "assumes" not in hop(t, "ingress").detail  # the selector peer matches x/b anyway
    also = netpol("x/also", select={"app": "a"}, ingress=[rule(peer(namespaces={}))])
    t = expect_flow(world(*objs, also), "y/b", "x/a", verdict=ALLOWED, ingress=by_block)
    assert "assumes" not in hop(t, "ingress").detail  # another rule allows y/b without the ipBlock
    t = expect_flow(world(*objs), "10.244.9.9", "x/a", verdict=ALLOWED, ingress=by_block)
    assert "assumes" not in hop(t, "ingress").detail  # not a pod: ipBlocks are meant for it
    cilium = world(*objs, ipblock_matches_pods=False)
    expect_flow(cilium, "y/b", "x/a", verdict=DENIED, ingress=ISOLATED_BY_ALLOW)
    # A non-pod address still matches.
    expect_flow(cilium, "10.244.9.9", "x/a", verdict=ALLOWED, ingress=by_block)


# --------------------------------------------------------------------------- §3.7 ports


def check_ports(ports, allowed, denied):
    """x/a admits every pod on ``ports`` only: each of ``allowed`` passes, each of ``denied`` does not."""
    c = world(allow_a_from(peer(namespaces={}), ports=ports))
    for port, proto in allowed:
        expect_flow(c, "x/b", "x/a", port, proto, verdict=ALLOWED, ingress=ALLOW_0)
    for port, proto in denied:
        expect_flow(c, "x/b", "x/a", port, proto, verdict=DENIED, ingress=ISOLATED_BY_ALLOW)


def test_item_16_port_without_protocol_is_tcp():
    """Item 16: ``ports: [{port: 80}]``: TCP 80 allowed; UDP 80 denied."""
    check_ports(
        [{"port": 80}], allowed=[(80, "TCP")], denied=[(80, "UDP"), (80, "SCTP"), (81, "TCP")]
    )


def test_item_17_empty_port_entry_is_every_tcp_port():
    """Item 17: ``ports: [{}]``: every TCP port allowed; UDP 53 and SCTP denied."""
    check_ports(
        [{}], allowed=[(1, "TCP"), (80, "TCP"), (65535, "TCP")], denied=[(53, "UDP"), (80, "SCTP")]
    )


def test_item_18_protocol_only_is_every_port_of_it():
    """Item 18: ``ports: [{protocol: UDP}]``: all UDP ports allowed; all TCP denied."""
    check_ports(
        [{"protocol": "UDP"}],
        allowed=[(53, "UDP"), (65535, "UDP")],
        denied=[(53, "TCP"), (80, "TCP")],
    )


def test_item_19_end_port_range_is_inclusive():
    """Item 19: ``ports: [{port: 8000, endPort: 8100}]``: TCP 8000 and 8100 allowed; TCP 8101 denied."""
    check_ports(
        [{"port": 8000, "endPort": 8100}],
        allowed=[(8000, "TCP"), (8100, "TCP")],
        denied=[(7999, "TCP"), (8101, "TCP"), (8000, "UDP")],
    )


def test_item_20_named_port_resolves_per_selected_pod():
    """Item 20: ingress ``ports: [{port: http}]`` on a policy selecting x/a (http=8080) and x/c
    (http=9090): x/a admits 8080 not 9090; x/c admits 9090 not 8080."""
    pol = netpol("x/http", select="app in (a,c)", ingress=[rule(ports=["http"])])
    c = world(
        pol,
        pod("x/a", ip=pod_ip("x/a"), node="n1", ports=[("http", 8080)]),
        pod("x/c", ip=pod_ip("x/c"), node="n1", ports=[("http", 9090)]),
    )
    ok, isolated = (
        ("allowed", ("NetworkPolicy x/http ingress[0]",)),
        ("denied", ("NetworkPolicy x/http",)),
    )
    expect_flow(c, "x/b", "x/a", 8080, verdict=ALLOWED, ingress=ok)
    expect_flow(c, "x/b", "x/a", 9090, verdict=DENIED, ingress=isolated)
    expect_flow(c, "x/b", "x/c", 9090, verdict=ALLOWED, ingress=ok)
    expect_flow(c, "x/b", "x/c", 8080, verdict=DENIED, ingress=isolated)


def test_item_21_named_port_needs_name_and_protocol():
    """Item 21: policy port ``dns`` with protocol UDP; the pod declares ``dns`` as TCP 53: no match,
    UDP 53 denied (and TCP 53 too: the rule is for UDP)."""
    c = world(
        allow_a_from(ports=["dns/UDP"]),
        pod("x/a", ip=pod_ip("x/a"), node="n1", ports=[("dns", 53, "TCP")]),
    )
    expect_flow(c, "x/b", "x/a", 53, "UDP", verdict=DENIED, ingress=ISOLATED_BY_ALLOW)
    expect_flow(c, "x/b", "x/a", 53, "TCP", verdict=DENIED, ingress=ISOLATED_BY_ALLOW)


def test_item_22_named_port_never_matches_a_non_pod_destination():
    """Item 22: egress rule ``to: [{ipBlock: 0.0.0.0/0}]``, ``ports: [{port: http}]``; x/a (which
    itself declares http=80) connects to 198.51.100.7:80: denied, a name cannot resolve off-pod."""
    c = world(
        only_a("out-http", types=["Egress"], egress=[rule(peer(cidr="0.0.0.0/0"), ports=["http"])])
    )
    isolated = ("denied", ("NetworkPolicy x/out-http",))
    expect_flow(c, "x/a", "198.51.100.7", 80, verdict=DENIED, egress=isolated)
    # The same rule does resolve on a pod that declares the name (x/b: http=80).
    expect_flow(
        c,
        "x/a",
        "x/b",
        80,
        verdict=ALLOWED,
        egress=("allowed", ("NetworkPolicy x/out-http egress[0]",)),
    )


# --------------------------------------------------------------------------- §3.8 Services and policy


def db_world(*objects):
    """Service x/db (10.96.0.54) port 5432 -> 5432 on pod x/db (on n2)."""
    return world(
        pod("x/db", ip="10.244.2.40", node="n2", ports=[("pg", 5432), ("alt", 8080)]),
        service("x/db", ip="10.96.0.54", ports=[("pg", 5432, 5432)]),
        *objects,
    )


def test_item_23_egress_is_evaluated_on_the_backend_after_dnat():
    """Item 23: x/a egress allows only ``podSelector {app: db}`` TCP 5432; Service db 5432 ->
    5432 -> x/db: allowed, the policy sees the backend pod."""
    pol = only_a("to-db", types=["Egress"], egress=[rule(peer(pods={"app": "db"}), ports=[5432])])
    t = expect_flow(
        db_world(pol),
        "x/a",
        "10.96.0.54",
        5432,
        verdict=ALLOWED,
        service=("dnat", ("Service x/db port pg:5432/TCP",)),
        egress=("allowed", ("NetworkPolicy x/to-db egress[0]",)),
    )
    assert [(b.pod, b.port) for b in t.branches] == [("x/db", 5432)]
    assert str(hop(t, "egress").packet) == f"{pod_ip('x/a')} -> 10.244.2.40:5432/TCP"


def test_item_24_policy_ports_are_target_ports():
    """Item 24: Service web port 80 -> targetPort 8080; x/a egress allows TCP 80 to app=web: denied
    (the packet is 8080 after DNAT); a rule naming 8080 allows it."""
    web = [
        pod("x/web", ip="10.244.2.41", node="n2", ports=[("http", 8080)]),
        service("x/web", ip="10.96.0.81", ports=[("http", 80, 8080)]),
    ]
    to_web = peer(pods={"app": "web"})
    wrong = only_a("to-web", types=["Egress"], egress=[rule(to_web, ports=[80])])
    expect_flow(
        world(wrong, web),
        "x/a",
        "10.96.0.81",
        80,
        verdict=DENIED,
        service="dnat",
        egress=("denied", ("NetworkPolicy x/to-web",)),
    )
    for right_port in (8080, "http"):
        right = only_a("to-web", types=["Egress"], egress=[rule(to_web, ports=[right_port])])
        expect_flow(
            world(right, web),
            "x/a",
            "10.96.0.81",
            80,
            verdict=ALLOWED,
            egress=("allowed", ("NetworkPolicy x/to-web egress[0]",)),
        )


def test_item_25_ip_block_of_the_service_cidr_does_not_match():
    """Item 25: x/a egress allows only ipBlock <service CIDR>; a ClusterIP connection is denied
    (policy sees the backend pod IP)."""
    pol = only_a("to-svc", types=["Egress"], egress=[rule(peer(cidr="10.96.0.0/12"))])
    expect_flow(
        db_world(pol),
        "x/a",
        "10.96.0.54",
        5432,
        verdict=DENIED,
        service="dnat",
        egress=("denied", ("NetworkPolicy x/to-svc",)),
    )


def test_item_26_both_ends_must_allow():
    """Item 26: x/a egress allows x/b; x/b ingress-isolated allowing only from x/c: x/a -> x/b is
    denied at x/b's ingress."""
    c = world(
        only_a("a-out", types=["Egress"], egress=[rule(peer(pods={"app": "b"}))]),
        netpol("x/b-in", select={"app": "b"}, ingress=[rule(peer(pods={"app": "c"}))]),
    )
    expect_flow(
        c,
        "x/a",
        "x/b",
        verdict=DENIED,
        egress=("allowed", ("NetworkPolicy x/a-out egress[0]",)),
        ingress=("denied", ("NetworkPolicy x/b-in",)),
    )
    expect_flow(
        c, "x/c", "x/b", verdict=ALLOWED, ingress=("allowed", ("NetworkPolicy x/b-in ingress[0]",))
    )


def test_item_27_connections_are_stateful_per_direction_of_opening():
    """Item 27: x/b allows ingress from x/a; x/a ingress-isolated with no rules: x/a -> x/b is
    delivered (its replies are part of the allowed connection); x/b -> x/a is a new connection, denied."""
    c = world(
        netpol("x/b-from-a", select={"app": "b"}, ingress=[rule(peer(pods={"app": "a"}))]),
        only_a("deny-a"),
    )
    expect_flow(
        c,
        "x/a",
        "x/b",
        verdict=ALLOWED,
        ingress=("allowed", ("NetworkPolicy x/b-from-a ingress[0]",)),
        deliver="delivered",
    )
    expect_flow(c, "x/b", "x/a", verdict=DENIED, ingress=("denied", ("NetworkPolicy x/deny-a",)))


# --------------------------------------------------------------------------- §3.9 node traffic


def test_item_28_kubelet_probe_from_the_own_node():
    """Item 28: deny-all ingress on x/a; a kubelet TCP probe from x/a's node is allowed."""
    c = world(only_a("deny-a"))
    t = expect_flow(c, "node/n1", "x/a", 8080, verdict=ALLOWED, ingress=("allowed", ()))
    assert "from the pod's own node" in hop(t, "ingress").detail
    expect_flow(
        c, "node/n2", "x/a", 8080, verdict=DENIED, ingress=("denied", ("NetworkPolicy x/deny-a",))
    )


def test_item_29_host_network_pods_are_not_selected_but_their_node_ip_is():
    """Item 29: x/a (n1) isolated, allowing ``podSelector {app: h}``; h is a hostNetwork pod on n2:
    denied (hostNetwork pods are not selected). An ipBlock with n2's address allows it (routed
    fabric: the source is n2's node IP; netverify does not model tunnel addresses)."""
    h = pod("x/h", ip=N2, node="n2", labels={"app": "h"}, host_network=True)
    c = world(h, only_a("deny-a"), allow_a_from(peer(pods={"app": "h"})), encapsulation="routed")
    # Policies are listed in evaluation order (Calico orders the default tier by name).
    isolated = ("denied", ("NetworkPolicy x/allow", "NetworkPolicy x/deny-a"))
    t = expect_flow(c, "x/h", "x/a", verdict=DENIED, egress=None, ingress=isolated)
    assert str(hop(t, "ingress").packet.src_ip) == N2
    by_ip = world(h, only_a("deny-a"), allow_a_from(peer(cidr=f"{N2}/32")), encapsulation="routed")
    expect_flow(by_ip, "x/h", "x/a", verdict=ALLOWED, ingress=ALLOW_0)


def test_policies_selecting_a_host_network_pod_are_named_not_applied():
    """§3.9 / §11 row 4: a NetworkPolicy whose podSelector matches a hostNetwork pod does not
    apply to it in the reference profile; the trace says which policy and which profile, for
    traffic to the pod (on its node's address) and from it."""
    h = pod("x/h", ip=N2, node="n2", labels={"app": "h"}, host_network=True, ports=[9100])
    closed = netpol(
        "x/closed-h", select={"app": "h"}, ingress=[], egress=[], types=["Ingress", "Egress"]
    )
    c = world(h, closed)
    not_applied = ("not applied", ("NetworkPolicy x/closed-h",))
    t = expect_flow(c, "x/a", N2, 9100, verdict=ALLOWED, ingress=not_applied)
    assert hop(t, "ingress").detail == (
        "x/h runs in the host network: x/closed-h selects it for Ingress, but the reference profile "
        "does not apply pod policy to hostNetwork pods (their traffic is the node's; semantics.md §3.9)"
    )
    expect_flow(c, "x/h", "x/a", verdict=ALLOWED, egress=not_applied)


def test_item_30_host_network_pod_on_the_same_node_is_the_node():
    """Item 30: a hostNetwork pod on n1 (x/a's node) -> x/a under deny-all ingress: allowed, as
    traffic from the pod's own node."""
    c = world(
        pod("x/h", ip=N1, node="n1", labels={"app": "h"}, host_network=True), only_a("deny-a")
    )
    t = expect_flow(c, "x/h", "x/a", verdict=ALLOWED, egress=None, ingress=("allowed", ()))
    assert "from the pod's own node" in hop(t, "ingress").detail


def test_item_31_a_pod_cannot_block_itself():
    """Item 31: x/a under deny-all ingress and egress connects to its own pod IP: allowed."""
    c = world(only_a("deny-a", types=["Ingress", "Egress"]))
    for dst in ("x/a", pod_ip("x/a")):
        t = expect_flow(
            c, "x/a", dst, verdict=ALLOWED, egress=("allowed", ()), ingress=("allowed", ())
        )
        assert "own pod IP" in hop(t, "egress").detail and "own pod IP" in hop(t, "ingress").detail
    expect_flow(c, "x/a", "x/b", verdict=DENIED, egress=("denied", ("NetworkPolicy x/deny-a",)))


# --------------------------------------------------------------------------- §6 Services through the engine

VIP = "10.96.0.20"
WEB_PORT = "Service x/web port http:80/TCP"


def web(*backends, **svc):
    """Service x/web (ClusterIP 10.96.0.20, port http 80 -> 8080) and its ``backends``."""
    return [
        service(
            "x/web", ip=VIP, ports=[("http", 80, 8080, "TCP", svc.pop("node_port", None))], **svc
        ),
        *backends,
    ]


def backend(name: str, node_name: str, ip: str, **kw):
    """A pod ``x/<name>`` labelled app=web serving 8080."""
    return pod(
        f"x/{name}", ip=ip, node=node_name, labels={"app": "web"}, ports=[("http", 8080)], **kw
    )


def test_item_48_no_usable_endpoint_rejects_but_dns_answers():
    """Item 48: selector Service with zero ready and zero serving-terminating endpoints: a
    connection to its ClusterIP is rejected (SVC_REJECT); DNS still returns the ClusterIP."""
    c = world(web(backend("web-0", "n2", "10.244.2.30", ready=False)))
    reject = ("reject", (WEB_PORT,))
    expect_flow(c, "x/a", VIP, 80, verdict=Verdict.NO_ENDPOINTS, service=reject, egress=None)
    t = expect_flow(
        c, "x/a", "web", 80, verdict=Verdict.NO_ENDPOINTS, resolve="resolved", service=reject
    )
    assert f"-> {VIP} via web.x.svc.cluster.local" in hop(t, "resolve").detail


def test_a_cluster_ip_on_a_port_no_service_port_defines_is_never_delivered():
    """§6.5, last row: Service x/web defines 80/TCP (targetPort 8080). Its ClusterIP on 8080/TCP,
    or on 80/UDP, matches no frontend: kube-proxy never delivers it (NO_SERVICE_PORT, naming the
    ports the Service does expose), decided at the translation step, before any policy."""
    c = world(web(backend("web-0", "n2", "10.244.2.30")), only_a(egress=[]))
    no_port = ("no port", ("Service x/web spec.ports",))
    for port, protocol in ((8080, "TCP"), (80, "UDP")):
        t = expect_flow(
            c, "x/a", VIP, port, protocol, verdict=Verdict.NO_SERVICE_PORT, service=no_port
        )
        assert hop(t, "service").detail == (
            f"{VIP} is Service x/web's ClusterIP, which defines no port {port}/{protocol} "
            "(it exposes http 80/TCP): never delivered"
        )
        assert not hops(t, "egress") and not t.reachable
    # By name too: DNS answers, the port does not.
    expect_flow(
        c, "x/a", "web", 8080, verdict=Verdict.NO_SERVICE_PORT, resolve="resolved", service=no_port
    )
    # An unallocated address of the Service range: no Service to name.
    t = expect_flow(c, "x/b", "10.96.0.21", 80, verdict=Verdict.NO_SERVICE_PORT)
    assert said(hop(t, "service")) == ("no port", ())
    assert "is in the Service range" in hop(t, "service").detail
    # A host outside the cluster has no route to the Service range at all.
    t = expect_flow(c, "203.0.113.9", VIP, 8080, verdict=Verdict.NO_ROUTE)


def test_load_balancer_source_ranges_drop_other_sources():
    """§6.2: kube-proxy drops LoadBalancer-IP traffic from sources outside
    loadBalancerSourceRanges, at the translation, before any policy; a pod is a source like
    any other. NodePorts and ClusterIPs of the same Service are not filtered."""
    lb = "198.51.100.7"
    c = world(
        web(
            backend("web-0", "n2", "10.244.2.30"),
            type="LoadBalancer",
            node_port=30080,
            lb_ips=lb,
            load_balancer_source_ranges=(ip_network("203.0.113.0/24"),),
        )
    )
    firewall = ("Service x/web spec.loadBalancerSourceRanges",)
    # From outside, any node may receive: one branch per node, translated there, then filtered.
    t = expect_flow(c, "203.0.113.9", lb, verdict=ALLOWED)
    assert {(said(b.hops[0]), said(b.hops[1])) for b in t.branches} == {
        (("dnat", (WEB_PORT,)), ("admitted", firewall))
    }
    t = expect_flow(c, "8.8.8.8", lb, verdict=DENIED)
    assert {said(b.hops[1]) for b in t.branches} == {("dropped", firewall)}
    assert t.branches[0].hops[1].detail == (
        "source 8.8.8.8 is outside loadBalancerSourceRanges (203.0.113.0/24) of Service x/web: "
        "kube-proxy drops it"
    )
    t = expect_flow(c, "x/a", lb, verdict=DENIED, egress=None)
    assert said(t.branches[0].hops[0]) == ("dropped", firewall)
    expect_flow(c, "8.8.8.8", N2, 30080, verdict=ALLOWED)
    expect_flow(c, "x/a", VIP, 80, verdict=ALLOWED)


def test_load_balancer_source_ranges_of_one_family_leave_the_other_unfiltered():
    """kube-proxy keeps the ranges of its own family: IPv4 ranges only, the IPv6 LoadBalancer IP
    takes every source."""
    c = cluster(
        node(
            "n1", ["192.168.0.1", "fd00:192::1"], pod_cidr=["10.244.1.0/24", "fd00:10:244:1::/64"]
        ),
        pod("x/a", ip=["10.244.1.5", "fd00:10:244:1::5"], node="n1"),
        pod("x/web", ip=["10.244.1.9", "fd00:10:244:1::9"], node="n1", ports=[8080]),
        service(
            "x/web",
            ip=["10.96.0.40", "fd00:10:96::40"],
            type="LoadBalancer",
            lb_ips=["198.51.100.7", "2001:db8:2::7"],
            ports=[("http", 80, 8080, "TCP", 30080)],
            load_balancer_source_ranges=(ip_network("203.0.113.0/24"),),
        ),
    )
    assert trace(c, "x/a", "198.51.100.7", 80).verdict is DENIED
    assert trace(c, "x/a", "2001:db8:2::7", 80).verdict is ALLOWED
    assert trace(c, "2001:db8::9", "2001:db8:2::7", 80).verdict is ALLOWED


def test_item_49_internal_traffic_policy_local_drops_without_a_local_endpoint():
    """Item 49: ``internalTrafficPolicy: Local``, client on a node without a local endpoint: SVC_DROP
    (time-out) although another node has one; a client on that node is served."""
    c = world(web(backend("web-0", "n2", "10.244.2.30"), itp="Local"))
    t = expect_flow(c, "x/a", VIP, 80, verdict=Verdict.NO_ENDPOINTS, service=("drop", (WEB_PORT,)))
    assert "on node n1" in hop(t, "service").detail
    t = expect_flow(c, "x/b", VIP, 80, verdict=ALLOWED, service="dnat")
    assert [(b.pod, b.port) for b in t.branches] == [("x/web-0", 8080)]


def test_item_50_external_traffic_policy_local_preserves_the_client():
    """Item 50: NodePort with ``externalTrafficPolicy: Local``: an outside client sent to a node without
    a local endpoint is dropped; sent to the node with one it is delivered and the backend sees the
    real client IP (its ingress admits only the client's ipBlock)."""
    only_client = netpol(
        "x/from-client", select={"app": "web"}, ingress=[rule(peer(cidr="203.0.113.0/24"))]
    )
    c = world(
        web(backend("web-0", "n2", "10.244.2.30"), type="NodePort", node_port=30080, etp="Local"),
        only_client,
    )
    expect_flow(c, "203.0.113.9", N1, 30080, verdict=Verdict.NO_ENDPOINTS, service="drop")
    t = expect_flow(
        c,
        "203.0.113.9",
        N2,
        30080,
        verdict=ALLOWED,
        service="dnat",
        snat="none",
        ingress=("allowed", ("NetworkPolicy x/from-client ingress[0]",)),
    )
    assert str(hop(t, "ingress").packet.src_ip) == "203.0.113.9"


def test_item_51_external_traffic_policy_cluster_masquerades_to_the_entry_node():
    """Item 51: NodePort ``externalTrafficPolicy: Cluster``; 203.0.113.9 -> n1; a backend on n2 that
    admits only ipBlock 203.0.113.0/24 sees n1's address: denied. A backend on n1 itself is allowed
    (reference profile: policy runs before the masquerade)."""
    only_client = netpol(
        "x/from-client", select={"app": "web"}, ingress=[rule(peer(cidr="203.0.113.0/24"))]
    )
    remote = backend("web-2", "n2", "10.244.2.30")
    c = world(web(remote, type="NodePort", node_port=30080), only_client)
    t = expect_flow(
        c,
        "203.0.113.9",
        N1,
        30080,
        verdict=DENIED,
        service=("dnat", (WEB_PORT,)),
        snat="masquerade",
        ingress=("denied", ("NetworkPolicy x/from-client",)),
    )
    assert str(hop(t, "ingress").packet.src_ip) == N1
    assert f"source becomes node n1 {N1}" in hop(t, "snat").detail
    assert hop(t, "route").detail.startswith("node n1 -> node n2")  # on from the entry node

    c = world(
        web(backend("web-1", "n1", "10.244.1.30"), remote, type="NodePort", node_port=30080),
        only_client,
    )
    t = trace(c, "203.0.113.9", N1, 30080)
    assert {(b.pod, b.verdict) for b in t.branches} == {("x/web-1", ALLOWED), ("x/web-2", DENIED)}
    local = next(b for b in t.branches if b.pod == "x/web-1")
    assert [(h.step, h.outcome) for h in local.hops if h.step in ("snat", "ingress")] == [
        ("snat", "masquerade-after-policy"),
        ("ingress", "allowed"),
    ]
    assert t.verdict is ALLOWED


def test_item_52_load_balancer_ip_from_a_pod_is_masqueraded():
    """Item 52: x/a -> the LoadBalancer IP of an eTP=Cluster Service whose backend (other node) admits
    only ``podSelector {app: a}``: denied, masqueraded to n1's IP; the same pod via the ClusterIP is allowed."""
    from_a = netpol("x/from-a", select={"app": "web"}, ingress=[rule(peer(pods={"app": "a"}))])
    c = world(
        web(
            backend("web-0", "n2", "10.244.2.30"),
            type="LoadBalancer",
            node_port=30080,
            lb_ips="198.51.100.10",
        ),
        from_a,
    )
    t = expect_flow(
        c,
        "x/a",
        "198.51.100.10",
        80,
        verdict=DENIED,
        service="dnat",
        snat="masquerade",
        ingress=("denied", ("NetworkPolicy x/from-a",)),
    )
    assert str(hop(t, "ingress").packet.src_ip) == N1
    expect_flow(
        c,
        "x/a",
        VIP,
        80,
        verdict=ALLOWED,
        snat="none",
        ingress=("allowed", ("NetworkPolicy x/from-a ingress[0]",)),
    )


def test_item_53_named_target_port_per_backend():
    """Item 53: ``targetPort: http``; pod A http=8080, pod B http=9090, pod C lacks the name:
    kube-proxy's choices are A:8080 and B:9090; C receives nothing on that port."""
    c = world(
        service("x/web", ip=VIP, ports=[("http", 80, "http")]),
        pod("x/web-a", ip="10.244.1.101", node="n1", labels={"app": "web"}, ports=[("http", 8080)]),
        pod("x/web-b", ip="10.244.2.102", node="n2", labels={"app": "web"}, ports=[("http", 9090)]),
        pod(
            "x/web-c",
            ip="10.244.1.103",
            node="n1",
            labels={"app": "web"},
            ports=[("metrics", 9100)],
        ),
    )
    t = expect_flow(c, "x/a", VIP, 80, verdict=ALLOWED, service="dnat")
    assert sorted((b.pod, str(b.ip), b.port, b.verdict) for b in t.branches) == [
        ("x/web-a", "10.244.1.101", 8080, ALLOWED),
        ("x/web-b", "10.244.2.102", 9090, ALLOWED),
    ]
    t = expect_flow(c, "x/a", VIP, "http", verdict=ALLOWED)  # the Service port by name
    assert t.port == 80


@pytest.mark.parametrize("publish", [False, True])
def test_item_54_not_ready_pods_and_publish_not_ready_addresses(publish):
    """Item 54: backends not Ready, none terminating. ``publishNotReadyAddresses: false``: no endpoints
    (REJECT) and the headless name is NXDOMAIN; ``true``: the pods are used and published in DNS."""
    c = world(
        web(backend("web-0", "n2", "10.244.2.30", ready=False), publish_not_ready=publish),
        service(
            "x/web-h",
            headless=True,
            selector={"app": "web"},
            ports=[("http", 8080)],
            publish_not_ready=publish,
        ),
    )
    if not publish:
        expect_flow(c, "x/a", VIP, 80, verdict=Verdict.NO_ENDPOINTS, service="reject")
        t = expect_flow(c, "x/a", "web-h", 8080, verdict=Verdict.NXDOMAIN, service=None)
        assert hop(t, "resolve").outcome == "nxdomain"
    else:
        t = expect_flow(c, "x/a", VIP, 80, verdict=ALLOWED, service="dnat")
        assert [b.pod for b in t.branches] == ["x/web-0"]
        t = expect_flow(c, "x/a", "web-h", 8080, verdict=ALLOWED, resolve="resolved", service=None)
        assert "-> 10.244.2.30 via web-h.x.svc.cluster.local" in hop(t, "resolve").detail


def test_item_55_serving_terminating_fallback():
    """Item 55: every backend terminating but still serving, none ready: traffic goes to the
    serving-terminating endpoints."""
    c = world(
        web(
            backend("web-0", "n2", "10.244.2.30", terminating=True),
            backend("web-1", "n1", "10.244.1.30", terminating=True),
        )
    )
    t = expect_flow(c, "x/a", VIP, 80, verdict=ALLOWED, service="dnat")
    assert sorted(b.pod for b in t.branches) == ["x/web-0", "x/web-1"]
    gone = world(web(backend("web-0", "n2", "10.244.2.30", terminating=True, ready=False)))
    # Not serving: no fallback.
    expect_flow(gone, "x/a", VIP, 80, verdict=Verdict.NO_ENDPOINTS, service="reject")


def test_item_56_selectorless_service_to_an_outside_address():
    """Item 56: selector-less Service with a manual EndpointSlice 192.0.2.10:9376: DNAT to 192.0.2.10;
    the client's egress policy must allow that IP (not the ClusterIP); NAT outgoing SNATs to the node IP."""
    svc = [
        service("x/legacy", ip="10.96.0.56", selector=None, ports=[(None, 80, 9376)]),
        endpoint_slice(
            "x/legacy-1", service="legacy", endpoints=["192.0.2.10"], ports=[(None, 9376)]
        ),
        ip_pool("default-ipv4", "10.244.0.0/16", nat_outgoing=True),
    ]
    to_ext = only_a("to-ext", types=["Egress"], egress=[rule(peer(cidr="192.0.2.0/24"))])
    t = expect_flow(
        world(svc, to_ext),
        "x/a",
        "10.96.0.56",
        80,
        verdict=ALLOWED,
        service=("dnat", ("Service x/legacy port 80/TCP",)),
        egress=("allowed", ("NetworkPolicy x/to-ext egress[0]",)),
        route="external",
        snat=("masquerade", ("IPPool default-ipv4 natOutgoing",)),
        ingress=None,
        deliver="left cluster",
    )
    assert [(str(b.ip), b.port) for b in t.branches] == [("192.0.2.10", 9376)]
    assert f"source becomes node n1 {N1}" in hop(t, "snat").detail
    to_vip = only_a("to-ext", types=["Egress"], egress=[rule(peer(cidr="10.96.0.0/12"))])
    expect_flow(
        world(svc, to_vip),
        "x/a",
        "10.96.0.56",
        80,
        verdict=DENIED,
        egress=("denied", ("NetworkPolicy x/to-ext",)),
    )


# --------------------------------------------------------------------------- §7 DNS through the engine


def test_item_57_short_name_searches_the_own_namespace_only():
    """Item 57: a pod in x resolves ``db``; Service db exists only in y: every candidate fails
    (NXDOMAIN); ``db.y`` resolves through db.y.svc.cluster.local."""
    c = world(service("y/db", ip="10.96.0.57", selector={"app": "b"}))
    t = expect_flow(c, "x/a", "db", verdict=Verdict.NXDOMAIN, resolve="nxdomain", service=None)
    assert (
        "tried db.x.svc.cluster.local. (NXDOMAIN), db.svc.cluster.local. (NXDOMAIN)"
        in hop(t, "resolve").detail
    )
    t = expect_flow(c, "x/a", "db.y", verdict=ALLOWED, resolve="resolved", service="dnat")
    assert "-> 10.96.0.57 via db.y.svc.cluster.local" in hop(t, "resolve").detail
    assert [b.pod for b in t.branches] == ["y/b"]


def test_item_58_headless_without_endpoints_vs_cluster_ip_without_endpoints():
    """Item 58: a headless Service without ready endpoints is NXDOMAIN; a ClusterIP Service without
    endpoints still has its A record, and the connection is then rejected."""
    c = world(
        service("x/db-h", headless=True, selector={"app": "nothing"}),
        service("x/db", ip="10.96.0.58", selector={"app": "nothing"}),
    )
    expect_flow(c, "x/a", "db-h", verdict=Verdict.NXDOMAIN, resolve="nxdomain")
    t = expect_flow(
        c,
        "x/a",
        "db",
        verdict=Verdict.NO_ENDPOINTS,
        resolve="resolved",
        service=("reject", ("Service x/db port 80/TCP",)),
    )
    assert "-> 10.96.0.58 via db.x.svc.cluster.local" in hop(t, "resolve").detail


def test_item_63_host_network_pod_with_cluster_first_uses_the_node_resolver():
    """Item 63: a hostNetwork pod with the default dnsPolicy (ClusterFirst) looks up ``db.y``: it uses
    the node's resolv.conf, which does not know the cluster zone: NXDOMAIN. With
    ClusterFirstWithHostNet the name resolves."""
    db = service("y/db", ip="10.96.0.63", selector={"app": "b"})
    hostnet = {"ip": N1, "node": "n1", "labels": {"app": "h"}, "host_network": True}
    node_dns = {"node_nameservers": ["192.168.0.254"], "node_search": ["corp.example"]}
    c = world(db, pod("x/h", **hostnet), **node_dns)
    t = expect_flow(c, "x/h", "db.y", verdict=Verdict.NXDOMAIN, resolve="nxdomain")
    # The node's resolv.conf: its search list and options (ndots 1), no cluster domains.
    assert hop(t, "resolve").detail.endswith(
        "tried db.y. (NXDOMAIN), db.y.corp.example. (NXDOMAIN)"
    )
    c = world(db, pod("x/h", dns_policy="ClusterFirstWithHostNet", **hostnet), **node_dns)
    t = expect_flow(c, "x/h", "db.y", verdict=ALLOWED, resolve="resolved")
    assert "via db.y.svc.cluster.local" in hop(t, "resolve").detail


def test_item_64_dns_policy_none_with_a_public_resolver():
    """Item 64: ``dnsPolicy: None``, ``nameservers: [1.1.1.1]``: cluster names are unresolvable,
    external names resolve."""
    c = world(
        service("y/db", ip="10.96.0.64", selector={"app": "b"}),
        pod("x/a", ip=pod_ip("x/a"), node="n1", dns_policy="None", nameservers=["1.1.1.1"]),
        external_names={"example.org": ["93.184.215.14"]},
    )
    expect_flow(c, "x/a", "db.y", verdict=Verdict.NXDOMAIN, resolve="nxdomain")
    expect_flow(c, "x/a", "db.y.svc.cluster.local", verdict=Verdict.NXDOMAIN, resolve="nxdomain")
    t = expect_flow(
        c, "x/a", "example.org", 443, verdict=ALLOWED, resolve="resolved", deliver="left cluster"
    )
    assert "example.org A -> 93.184.215.14" in hop(t, "resolve").detail


def test_item_65_ndots_1_tries_the_name_as_is_first():
    """Item 65: ``options: ndots: 1``, query ``db.y``: absolute ``db.y.`` first (upstream NXDOMAIN),
    then db.y.x.svc.cluster.local (NXDOMAIN), then db.y.svc.cluster.local answers."""
    client = pod("x/a", ip=pod_ip("x/a"), node="n1", options={"ndots": "1"})
    c = world(service("y/db", ip="10.96.0.65", selector={"app": "b"}), client)
    res = dns_rules.resolve(c, c.pod("x/a"), "db.y", "A")
    assert [(a.query_name.rstrip("."), a.rcode) for a in res.candidates] == [
        ("db.y", "NXDOMAIN"),
        ("db.y.x.svc.cluster.local", "NXDOMAIN"),
        ("db.y.svc.cluster.local", "NOERROR"),
    ]
    t = expect_flow(c, "x/a", "db.y", verdict=ALLOWED, resolve="resolved")
    assert "via db.y.svc.cluster.local" in hop(t, "resolve").detail


# --------------------------------------------------------------------------- §1.4, §8 addresses, NAT, routing


def test_item_66_ip_uniqueness():
    """Item 66: two running pod-network pods with one IP violate uniqueness; two hostNetwork pods on
    one node, and a Failed pod whose stale IP was reused, do not."""
    from verifier.properties import unique_ips
    from verifier.properties.result import Status

    dup = world(pod("x/a2", ip=pod_ip("x/a"), node="n1"), check_ips=False)
    result = unique_ips.check(dup)
    assert result.status is Status.VIOLATED
    assert {frozenset(cx.pods) for cx in result.counterexamples} == {frozenset({"x/a", "x/a2"})}
    fine = world(
        pod("x/h1", ip=N1, node="n1", host_network=True),
        pod("x/h2", ip=N1, node="n1", host_network=True),
        pod("x/old", ip=pod_ip("x/a"), node="n1", phase="Failed"),
    )
    assert unique_ips.check(fine).status is Status.HOLDS


def pools(p2_nat: bool = False):
    """IPPools: p1 = n1's block (natOutgoing), p2 = n2's block."""
    return [
        ip_pool("p1", "10.244.1.0/24", nat_outgoing=True),
        ip_pool("p2", "10.244.2.0/24", nat_outgoing=p2_nat),
    ]


def test_item_67_nat_outgoing_applies_outside_every_pool():
    """Item 67: a pod in pool p1 (natOutgoing) -> 8.8.8.8 is SNATed to its node IP; -> a pod in pool
    p2 (natOutgoing false) is not; -> another node's IP is SNATed, unless the exclusions include host IPs."""
    from verifier.model import MasqueradeConfig

    c = world(pools())
    nat = ("masquerade", ("IPPool p1 natOutgoing",))
    t = expect_flow(c, "x/a", "8.8.8.8", 53, "UDP", verdict=ALLOWED, route="external", snat=nat)
    assert f"source becomes node n1 {N1}" in hop(t, "snat").detail
    t = expect_flow(c, "x/a", "x/b", verdict=ALLOWED, route="remote", snat=("none", ()))
    assert str(hop(t, "ingress").packet.src_ip) == pod_ip("x/a")
    expect_flow(c, "x/a", N2, 10250, verdict=ALLOWED, route="node", snat=nat, deliver="delivered")
    excl = world(pools(), masquerade=MasqueradeConfig(exclude_host_ips=True))
    expect_flow(excl, "x/a", N2, 10250, verdict=ALLOWED, route="node", snat=("none", ()))
    # p2 has natOutgoing false.
    expect_flow(c, "x/b", "8.8.8.8", 53, "UDP", verdict=ALLOWED, snat=("none", ()))


def test_item_68_ip_masq_agent_masquerades_a_cgnat_pod_range():
    """Item 68: ip-masq-agent with its default nonMasqueradeCIDRs and pod CIDR 100.64.0.0/16: pod-to-pod
    traffic between nodes is masqueraded, and the NAT-free model is violated."""
    from verifier.model import MasqueradeConfig
    from verifier.properties import nat_free
    from verifier.properties.result import Status

    c = cluster(
        node("n1", N1, pod_cidr="100.64.1.0/24"),
        node("n2", N2, pod_cidr="100.64.2.0/24"),
        pod("x/a", ip="100.64.1.5", node="n1"),
        pod("x/b", ip="100.64.2.5", node="n2"),
        pod_cidrs=["100.64.0.0/16"],
        masquerade=MasqueradeConfig(mode="ip-masq-agent"),
    )
    t = expect_flow(c, "x/a", "x/b", verdict=ALLOWED, route="remote", snat="masquerade")
    assert "breaks the NAT-free pod network" in hop(t, "snat").detail
    assert str(hop(t, "ingress").packet.src_ip) == N1
    assert nat_free.check(c).status is Status.VIOLATED


def test_item_69_ipip_cross_subnet():
    """Item 69: IPPool ``ipipMode: CrossSubnet``: to a node in the same subnet the packet is routed
    natively, to another subnet it is IPIP-encapsulated; the destination's policy sees the client
    pod IP both times."""
    n3 = node("n3", "192.168.1.3", pod_cidr="10.244.3.0/24")
    far = pod("x/far", ip="10.244.3.10", node="n3", labels={"app": "b"})
    from_a = netpol("x/from-a", select={"app": "b"}, ingress=[rule(peer(pods={"app": "a"}))])
    c = world(n3, far, from_a, ip_pool("pods", "10.244.0.0/16", ipip="CrossSubnet"))
    by_rule = ("allowed", ("NetworkPolicy x/from-a ingress[0]",))
    for dst, how in (("x/b", "routed natively (routed)"), ("x/far", "encapsulated (IPIP)")):
        t = expect_flow(
            c,
            "x/a",
            dst,
            verdict=ALLOWED,
            route=("remote", ("IPPool pods",)),
            snat=("none", ()),
            ingress=by_rule,
        )
        assert how in hop(t, "route").detail
        assert str(hop(t, "ingress").packet.src_ip) == pod_ip("x/a")


# --------------------------------------------------------------------------- §9 dual stack


def test_item_70_ipv4_ip_block_does_not_cover_ipv6():
    """Item 70: dual-stack x/a egress-isolated, allowing ipBlock 203.0.113.0/24; the outside host has
    203.0.113.5 and 2001:db8::5; a client that resolves AAAA first is denied over IPv6, allowed over IPv4."""
    pol = only_a(
        "to-ext", types=["Egress"], egress=[rule(peer(cidr="203.0.113.0/24")), dns_egress()]
    )
    c = world(
        pol,
        pod("x/a", ip=["fd00:10:244:1::11", pod_ip("x/a")], node="n1"),  # IPv6 primary: AAAA first
        external_names={"ext.example.com": ["203.0.113.5", "2001:db8::5"]},
        pod_cidrs=["10.244.0.0/16", "fd00:10:244::/56"],
    )
    t = expect_flow(
        c,
        "x/a",
        "ext.example.com",
        443,
        verdict=DENIED,
        egress=("denied", ("NetworkPolicy x/to-ext",)),
    )
    assert t.family == 6 and "AAAA -> 2001:db8::5" in hop(t, "resolve").detail
    expect_flow(c, "x/a", "ext.example.com", 443, family=6, verdict=DENIED)
    expect_flow(
        c,
        "x/a",
        "ext.example.com",
        443,
        family=4,
        verdict=ALLOWED,
        egress=("allowed", ("NetworkPolicy x/to-ext egress[0]",)),
    )


# --------------------------------------------------------------------------- §1.5 hostPort, §3.7 ICMP, §7.7 shadowing


def test_item_74_host_port_dnat_keeps_the_client_source():
    """Item 74: x/a declares ``hostPort: 8080 -> containerPort: 80`` on n1; an outside client -> n1:8080 is
    DNATed to x/a:80 and allowed by an ingress rule for TCP 80 from the client's ipBlock, with the client IP
    as source; a rule for port 8080 would not match."""
    a = pod("x/a", ip=pod_ip("x/a"), node="n1", ports=[("http", 80, "TCP", 8080)])

    def admits(port):
        return allow_a_from(peer(cidr="203.0.113.0/24"), ports=[port])

    t = expect_flow(
        world(a, admits(80)),
        "203.0.113.9",
        N1,
        8080,
        verdict=ALLOWED,
        service=("dnat", ("Pod x/a hostPort 8080/TCP",)),
        snat=("none", ()),
        ingress=ALLOW_0,
    )
    assert [(b.pod, str(b.ip), b.port) for b in t.branches] == [("x/a", pod_ip("x/a"), 80)]
    assert str(hop(t, "ingress").packet) == f"203.0.113.9 -> {pod_ip('x/a')}:80/TCP"
    expect_flow(
        world(a, admits(8080)),
        "203.0.113.9",
        N1,
        8080,
        verdict=DENIED,
        service="dnat",
        ingress=ISOLATED_BY_ALLOW,
    )
    # A pod on another node: its egress policy sees n1:8080, x/a's ingress sees the pod's own IP.
    t = expect_flow(
        world(a, admits(80)),
        "x/b",
        N1,
        8080,
        verdict=DENIED,
        service="dnat",
        ingress=ISOLATED_BY_ALLOW,
    )
    assert str(hop(t, "egress").packet) == f"{pod_ip('x/b')} -> {N1}:8080/TCP"
    assert str(hop(t, "ingress").packet) == f"{pod_ip('x/b')} -> {pod_ip('x/a')}:80/TCP"
    # Only the node that runs the pod maps the port, only for its protocol and family.
    expect_flow(
        world(a, admits(80)),
        "203.0.113.9",
        N2,
        8080,
        verdict=ALLOWED,
        service=None,
        deliver="delivered",
    )
    expect_flow(world(a, admits(80)), "203.0.113.9", N1, 8080, "UDP", verdict=ALLOWED, service=None)
    dual_node = cluster(node("n1", [N1, "fd00::1"]), a)
    assert [str(m) for m in host_ports(dual_node)] == [
        f"hostPort {N1}:8080/TCP of pod x/a -> {pod_ip('x/a')}:80"
    ]


def test_item_75_icmp_is_not_modelled():
    """Item 75: deny-all NetworkPolicy and ``ping`` between pods: undefined upstream. The engine gives no
    verdict (a DENIED would read as a violation): it refuses the question and names the assumption."""
    c = world(only_a("deny-a"))
    with pytest.raises(UsageError, match="undefined"):
        trace(c, "x/b", "x/a", None, "ICMP")


def test_item_76_in_cluster_name_shadows_a_public_name():
    """Item 76: namespace ``com`` with Service ``example``: a pod in x resolving ``example.com`` gets
    example.com.svc.cluster.local (the in-cluster Service), never the public name."""
    c = world(
        service("com/example", ip="10.96.0.76", selector={"app": "site"}),
        pod("com/site", ip="10.244.2.76", node="n2", labels={"app": "site"}),
        external_names={"example.com": ["93.184.215.14"]},
    )
    t = expect_flow(
        c,
        "x/a",
        "example.com",
        80,
        verdict=ALLOWED,
        resolve="resolved",
        service=("dnat", ("Service com/example port 80/TCP",)),
    )
    assert (
        "example.com A -> 10.96.0.76 via example.com.svc.cluster.local" in hop(t, "resolve").detail
    )
    assert [b.pod for b in t.branches] == ["com/site"]
