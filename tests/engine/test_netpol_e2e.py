"""NetworkPolicy reachability matrices, after the upstream Kubernetes e2e suite.

Modelled on kubernetes/kubernetes ``test/e2e/network/netpol``: namespaces x, y,
z (labelled ``ns=<name>``), pods a, b, c in each (labelled ``pod=<name>``), every
pod serving 80 and 81 on TCP, UDP and SCTP under the names ``serve-<port>-<proto>``.
A scenario installs policies and, per probed port and protocol, states the
expected truth for every (from pod, to pod) pair as a :class:`Reachability`:
a default, then ``set`` overrides. A pod always reaches itself.

Each expected matrix is checked against two interpreters of the same rules:

* the engine: one ``trace`` per ordered pod pair;
* ``verifier.matrix.matrix``: the port-set algebra over pod equivalence
  classes, read both unrestricted (``allowed(s, d).contains(port, protocol)``)
  and restricted to the probed port (``matrix(..., port=, protocol=)``).

On a mismatch the failure shows the comparison table (``.`` agree, ``X``
disagree) and lists every wrong pair with what each interpreter said.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch

import pytest

from tests.builders import namespace, netpol, peer, pod, rule
from tests.engine.support import NAMES, NAMESPACES, NODE_OF, grid_pods, pod_ip, world
from verifier.engine import trace
from verifier.matrix import matrix
from verifier.model import PROTOCOLS, Cluster

PODS = tuple(f"{ns}/{name}" for ns in NAMESPACES for name in NAMES)
SERVED = tuple(
    (f"serve-{port}-{proto.lower()}", port, proto) for port in (80, 81) for proto in PROTOCOLS
)


# --------------------------------------------------------------------------- expected truth


class Reachability:
    """Expected reachability for every ordered pod pair; patterns use ``*`` (``"x/*"``, ``"*/a"``)."""

    def __init__(self, default: bool):
        self.cells = {(s, d): default for s in PODS for d in PODS}

    def set(self, frm: str = "*", to: str = "*", value: bool = True) -> Reachability:
        """Expect ``value`` for every pair whose source matches ``frm`` and destination ``to``."""
        hits = [(s, d) for s, d in self.cells if fnmatch(s, frm) and fnmatch(d, to)]
        assert hits, f"no pod pair matches {frm} -> {to}"
        for key in hits:
            self.cells[key] = value
        return self

    def ingress(self, to: str, value: bool) -> Reachability:
        return self.set("*", to, value)

    def egress(self, frm: str, value: bool) -> Reachability:
        return self.set(frm, "*", value)

    def with_loopback(self) -> dict[tuple[str, str], bool]:
        """The cells, with every pod reaching itself (upstream ``AllowLoopback``)."""
        return {(s, d): v or s == d for (s, d), v in self.cells.items()}


def allow_all() -> Reachability:
    return Reachability(True)


def deny_all() -> Reachability:
    return Reachability(False)


def table(rows: dict[tuple[str, str], str]) -> str:
    """A truth table: rows are sources, columns destinations."""
    head = "from\\to " + " ".join(f"{d:>4}" for d in PODS)
    lines = [head] + [f"{s:<7} " + " ".join(f"{rows[(s, d)]:>4}" for d in PODS) for s in PODS]
    return "\n".join(lines)


def compare(expected: dict, observed: dict[str, dict]) -> str | None:
    """None when every interpreter agrees with ``expected``; else the comparison and the wrong pairs."""
    wrong = [k for k in expected if any(obs[k] != expected[k] for obs in observed.values())]
    if not wrong:
        return None

    def word(v: bool) -> str:
        return "allowed" if v else "denied"

    cells = {k: ("X" if k in wrong else ".") for k in expected}
    listing = [
        f"  {s} -> {d}: expected {word(expected[(s, d)])}; "
        + ", ".join(f"{name} {word(obs[(s, d)])}" for name, obs in observed.items())
        for s, d in wrong
    ]
    return "\n".join(
        [
            "expected (X = allowed):",
            table({k: "X" if v else "." for k, v in expected.items()}),
            "comparison (X = wrong):",
        ]
        + [table(cells), f"{len(wrong)} wrong pair(s):"]
        + listing
    )


# --------------------------------------------------------------------------- scenarios


@dataclass
class Case:
    """Objects to add to the standard cluster, and the expected matrix per probed (port, protocol)."""

    objects: list
    probes: list[tuple[int, str, Reachability]]
    #: Replacement pods (same ``ns/name``) and ClusterNetwork settings.
    config: dict = field(default_factory=dict)


SCENARIOS: dict[str, Callable[[], Case]] = {}


def scenario(fn: Callable[[], Case]) -> Callable[[], Case]:
    """Register a scenario; its docstring says what it shows (and the checklist item or upstream test)."""
    assert fn.__doc__, f"scenario {fn.__name__} needs a docstring"
    SCENARIOS[fn.__name__] = fn
    return fn


def e2e_pod(ref: str, *, labels: dict | None = None, ports: Iterable = SERVED):
    """A pod of the grid with upstream's labels (``pod=<name>``), optionally other labels or ports."""
    name = ref.split("/")[1]
    return pod(ref, ip=pod_ip(ref), node=NODE_OF[name], labels=labels or {"pod": name}, ports=ports)


def e2e_world(case: Case) -> Cluster:
    namespaces = [namespace(ns, ns=ns) for ns in NAMESPACES]
    given = {o.name: o for o in case.objects if getattr(o, "kind", None) == "Namespace"}
    namespaces = [given.get(n.name, n) for n in namespaces]
    rest = [o for o in case.objects if getattr(o, "kind", None) != "Namespace"]
    pods = grid_pods(labels=lambda ns, name: {"pod": name}, ports=SERVED)
    return world(*namespaces, *rest, pods=pods, **case.config)


TCP80 = (80, "TCP")


@scenario
def no_policy_allows_everything():
    """Item 1: without policies every pod reaches every pod on every port and protocol."""
    return Case([], [(80, "TCP", allow_all()), (81, "UDP", allow_all()), (80, "SCTP", allow_all())])


@scenario
def default_deny_ingress():
    """Item 2 / upstream "should support a 'default-deny-ingress' policy": x's pods accept nothing."""
    expect = allow_all().ingress("x/*", False)
    return Case(
        [netpol("x/deny-ingress", types=["Ingress"])], [(80, "TCP", expect), (81, "UDP", expect)]
    )


@scenario
def default_deny_egress():
    """Item 4 / upstream "should deny egress from all pods in a namespace": x's pods open nothing."""
    expect = allow_all().egress("x/*", False)
    return Case(
        [netpol("x/deny-egress", types=["Egress"])], [(80, "TCP", expect), (80, "SCTP", expect)]
    )


@scenario
def default_deny_ingress_and_egress():
    """Upstream "should support a 'default-deny-all' policy": x neither accepts nor opens anything."""
    expect = allow_all().ingress("x/*", False).egress("x/*", False)
    return Case(
        [netpol("x/deny-all", types=["Ingress", "Egress"])],
        [(80, "TCP", expect), (81, "UDP", expect)],
    )


@scenario
def allow_all_ingress_rule_overrides_deny():
    """Item 5 / upstream "should enforce multiple ingress policies with ingress allow-all policy taking
    precedence": deny-all plus ``ingress: [{}]`` is the union: everything allowed, every protocol."""
    objs = [netpol("x/deny-ingress"), netpol("x/allow-all", ingress=[rule()])]
    return Case(
        objs, [(80, "TCP", allow_all()), (81, "UDP", allow_all()), (81, "SCTP", allow_all())]
    )


@scenario
def empty_ingress_list_isolates():
    """Items 2, 3.4: ``policyTypes: [Ingress]`` with ``ingress: []`` allows nothing into x/a."""
    expect = allow_all().ingress("x/a", False)
    return Case(
        [netpol("x/a-closed", select={"pod": "a"}, ingress=[], types=["Ingress"])],
        [(80, "TCP", expect)],
    )


@scenario
def egress_rules_without_policy_types_isolate_ingress():
    """Item 3: egress rules and no policyTypes default to [Ingress, Egress]: x/a accepts nothing and
    opens connections only to pods of x."""
    pol = netpol("x/a-egress", select={"pod": "a"}, egress=[rule(peer(pods={}))])
    expect = allow_all().ingress("x/a", False).egress("x/a", False).set("x/a", "x/*", True)
    return Case([pol], [(80, "TCP", expect), (81, "UDP", expect)])


@scenario
def pod_selector_same_namespace():
    """Item 8 / upstream "should enforce policy to allow traffic from pods within server namespace based on
    PodSelector": the peer ``podSelector: {pod: b}`` means pod b of x only, not y/b."""
    pol = netpol("x/a-from-b", select={"pod": "a"}, ingress=[rule(peer(pods={"pod": "b"}))])
    expect = allow_all().ingress("x/a", False).set("x/b", "x/a", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def namespace_selector():
    """Item 9 / upstream "should enforce policy to allow traffic only from a different namespace, based
    on NamespaceSelector": x/a accepts all pods of y and nothing else."""
    pol = netpol("x/a-from-y", select={"pod": "a"}, ingress=[rule(peer(namespaces={"ns": "y"}))])
    expect = allow_all().ingress("x/a", False).set("y/*", "x/a", True)
    return Case([pol], [(80, "TCP", expect), (81, "SCTP", expect)])


@scenario
def namespace_by_metadata_name():
    """Item 10 / upstream "should enforce policy to allow traffic based on NamespaceSelector with
    MatchLabels using default ns label": ``kubernetes.io/metadata.name: z`` selects exactly z's pods."""
    pol = netpol("x/from-z", ingress=[rule(peer(namespaces={"kubernetes.io/metadata.name": "z"}))])
    expect = allow_all().ingress("x/*", False).set("z/*", "x/*", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def namespace_and_pod_in_one_peer():
    """Item 6 / upstream "should enforce policy based on PodSelector and NamespaceSelector": one peer
    with both selectors is their AND: pod b of y or z only."""
    pol = netpol(
        "x/a-from-yz-b",
        select={"pod": "a"},
        ingress=[rule(peer(namespaces="ns in (y,z)", pods={"pod": "b"}))],
    )
    expect = allow_all().ingress("x/a", False).set("y/b", "x/a", True).set("z/b", "x/a", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def namespace_or_pod_as_two_peers():
    """Item 7 / upstream "should enforce policy based on PodSelector or NamespaceSelector": two peers
    are ORed: every pod of y, and pod b of x."""
    pol = netpol(
        "x/a-from-y-or-b",
        select={"pod": "a"},
        ingress=[rule(peer(namespaces={"ns": "y"}), peer(pods={"pod": "b"}))],
    )
    expect = allow_all().ingress("x/a", False).set("y/*", "x/a", True).set("x/b", "x/a", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def any_namespace_with_pod_selector():
    """§3.5: ``namespaceSelector: {}`` plus ``podSelector: {pod: b}`` is pod b in every namespace."""
    pol = netpol("x/from-any-b", ingress=[rule(peer(namespaces={}, pods={"pod": "b"}))])
    expect = allow_all().ingress("x/*", False).set("*/b", "x/*", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def match_expressions_in():
    """§2.2 ``In`` / upstream "should enforce policy based on NamespaceSelector with MatchExpressions":
    ``ns In [y]`` admits y's pods."""
    pol = netpol("x/from-in-y", ingress=[rule(peer(namespaces="ns in (y)"))])
    expect = allow_all().ingress("x/*", False).set("y/*", "x/*", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def match_expressions_not_in():
    """Item 11 / §2.2 ``NotIn``: ``pod NotIn [b]`` within x admits x/a and x/c."""
    pol = netpol("x/not-b", ingress=[rule(peer(pods="pod notin (b)"))])
    expect = allow_all().ingress("x/*", False).set("x/a", "x/*", True).set("x/c", "x/*", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def match_expressions_exists():
    """§2.2 ``Exists``: namespaces with a ``team`` label, whatever its value (z has ``team: ""``)."""
    objs = [
        namespace("y", ns="y", team="blue"),
        namespace("z", ns="z", team=""),
        netpol("x/from-teams", ingress=[rule(peer(namespaces="team"))]),
    ]
    expect = allow_all().ingress("x/*", False).set("y/*", "x/*", True).set("z/*", "x/*", True)
    return Case(objs, [(80, "TCP", expect)])


@scenario
def match_expressions_does_not_exist():
    """Items 12, 13 / §2.2 ``DoesNotExist``: only namespaces without ``team`` (x itself); an empty value
    still counts as present (z)."""
    objs = [
        namespace("y", ns="y", team="blue"),
        namespace("z", ns="z", team=""),
        netpol("x/from-teamless", ingress=[rule(peer(namespaces="!team"))]),
    ]
    expect = allow_all().ingress("x/*", False).set("x/*", "x/*", True)
    return Case(objs, [(80, "TCP", expect)])


@scenario
def named_port_ingress():
    """Upstream "should allow ingress access on one named port": ``serve-81-tcp`` opens TCP 81 only;
    TCP 80 and UDP 81 stay closed."""
    pol = netpol("x/a-serve-81", select={"pod": "a"}, ingress=[rule(ports=["serve-81-tcp"])])
    closed = allow_all().ingress("x/a", False)
    return Case([pol], [(81, "TCP", allow_all()), (80, "TCP", closed), (81, "UDP", closed)])


@scenario
def named_port_per_destination_pod():
    """Item 20: an ingress named port resolves on each selected pod: ``web`` is 80 on x/a, 81 on x/b and
    absent on x/c, so TCP 80 reaches x/a only and TCP 81 x/b only."""
    objs = [
        e2e_pod("x/a", ports=[("web", 80), ("alt", 81)]),
        e2e_pod("x/b", ports=[("alt", 80), ("web", 81)]),
        e2e_pod("x/c", ports=[("alt", 80), ("other", 81)]),
        netpol("x/web-only", ingress=[rule(ports=["web"])]),
    ]
    on80 = allow_all().ingress("x/*", False).ingress("x/a", True)
    on81 = allow_all().ingress("x/*", False).ingress("x/b", True)
    return Case(objs, [(80, "TCP", on80), (81, "TCP", on81)])


@scenario
def named_port_egress_per_destination_pod():
    """§3.7: an egress named port resolves on the destination: x/a may open ``web`` (y/a: 80, y/b: 81),
    and nothing to pods that do not declare it."""
    objs = [
        e2e_pod("y/a", ports=[("web", 80), ("alt", 81)]),
        e2e_pod("y/b", ports=[("alt", 80), ("web", 81)]),
        netpol("x/a-web-out", select={"pod": "a"}, types=["Egress"], egress=[rule(ports=["web"])]),
    ]
    on80 = allow_all().egress("x/a", False).set("x/a", "y/a", True)
    on81 = allow_all().egress("x/a", False).set("x/a", "y/b", True)
    return Case(objs, [(80, "TCP", on80), (81, "TCP", on81)])


@scenario
def end_port_range():
    """Item 19: ``{port: 81, endPort: 90}`` admits TCP 81, not 80 and not UDP 81."""
    pol = netpol("x/range", ingress=[rule(ports=[{"port": 81, "endPort": 90}])])
    closed = allow_all().ingress("x/*", False)
    return Case([pol], [(81, "TCP", allow_all()), (80, "TCP", closed), (81, "UDP", closed)])


@scenario
def several_port_entries_are_ored():
    """§3.7: ``ports: [80/TCP, 81/UDP]`` admits exactly those two, not 81/TCP nor 80/UDP."""
    pol = netpol("x/two-ports", ingress=[rule(ports=[80, "81/UDP"])])
    closed = allow_all().ingress("x/*", False)
    return Case(
        [pol],
        [
            (80, "TCP", allow_all()),
            (81, "UDP", allow_all()),
            (81, "TCP", closed),
            (80, "UDP", closed),
        ],
    )


@scenario
def empty_port_entry_is_every_tcp_port():
    """Item 17: ``ports: [{}]`` is every TCP port, no UDP, no SCTP."""
    pol = netpol("x/any-tcp", ingress=[rule(ports=[{}])])
    closed = allow_all().ingress("x/*", False)
    return Case(
        [pol],
        [
            (80, "TCP", allow_all()),
            (81, "TCP", allow_all()),
            (80, "UDP", closed),
            (81, "SCTP", closed),
        ],
    )


@scenario
def protocol_mismatch():
    """Items 16, 18 / upstream "should not allow access by TCP when a policy specifies only UDP": a UDP
    80 rule leaves TCP 80 and UDP 81 closed."""
    pol = netpol("x/a-udp-80", select={"pod": "a"}, ingress=[rule(ports=["80/UDP"])])
    closed = allow_all().ingress("x/a", False)
    return Case([pol], [(80, "UDP", allow_all()), (80, "TCP", closed), (81, "UDP", closed)])


@scenario
def sctp_port():
    """§3.7 / upstream "should properly isolate pods that are selected by a policy allowing SCTP, even if
    the plugin doesn't support SCTP": an SCTP 80 rule opens SCTP 80 only; TCP and SCTP 81 stay closed."""
    pol = netpol("x/a-sctp", select={"pod": "a"}, ingress=[rule(ports=["80/SCTP"])])
    closed = allow_all().ingress("x/a", False)
    return Case([pol], [(80, "SCTP", allow_all()), (81, "SCTP", closed), (80, "TCP", closed)])


@scenario
def ip_block_with_except():
    """Items 14, 15 with pod IPs: x/a admits n2's pod block 10.244.2.0/24 except y/b's address: x/b and
    z/b in, y/b and n1's pods out."""
    block = peer(cidr="10.244.2.0/24", except_=[f"{pod_ip('y/b')}/32"])
    pol = netpol("x/a-from-n2", select={"pod": "a"}, ingress=[rule(block)])
    expect = allow_all().ingress("x/a", False).set("x/b", "x/a", True).set("z/b", "x/a", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def ip_block_egress():
    """Upstream "should allow egress access to server in CIDR block": x/a may open connections to n1's
    pod block only (pods a and c of every namespace)."""
    pol = netpol(
        "x/a-to-n1",
        select={"pod": "a"},
        types=["Egress"],
        egress=[rule(peer(cidr="10.244.1.0/24"))],
    )
    expect = allow_all().egress("x/a", False).set("x/a", "*/a", True).set("x/a", "*/c", True)
    return Case([pol], [(80, "TCP", expect), (81, "UDP", expect)])


@scenario
def ip_block_egress_except():
    """Upstream "should enforce except clause while egress access to server in CIDR block": 0.0.0.0/0
    except n1's block: x/a reaches only the b pods (on n2)."""
    block = peer(cidr="0.0.0.0/0", except_=["10.244.1.0/24"])
    pol = netpol("x/a-not-n1", select={"pod": "a"}, types=["Egress"], egress=[rule(block)])
    expect = allow_all().egress("x/a", False).set("x/a", "*/b", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def ip_block_ignored_for_pods_in_cilium_profile():
    """Item 15: with ``ipBlockMatchesPods: false`` (Cilium-like) an ipBlock over the pod CIDR admits no pod."""
    pol = netpol("x/a-from-pods", select={"pod": "a"}, ingress=[rule(peer(cidr="10.244.0.0/16"))])
    expect = allow_all().ingress("x/a", False)
    return Case([pol], [(80, "TCP", expect)], config={"ipblock_matches_pods": False})


@scenario
def egress_to_namespace_only():
    """§3.5 egress: x's pods may open connections to y's pods only (``namespaceSelector`` alone)."""
    pol = netpol("x/to-y", types=["Egress"], egress=[rule(peer(namespaces={"ns": "y"}))])
    expect = allow_all().egress("x/*", False).set("x/*", "y/*", True)
    return Case([pol], [(80, "TCP", expect), (81, "SCTP", expect)])


@scenario
def egress_to_pod_in_namespace_on_one_port():
    """Item 6 for egress / upstream "should enforce egress policy allowing traffic to a server in a
    different namespace based on PodSelector and NamespaceSelector", on one port: x/a may open TCP 80 to
    z/c only."""
    to = peer(namespaces={"ns": "z"}, pods={"pod": "c"})
    pol = netpol("x/a-to-zc", select={"pod": "a"}, types=["Egress"], egress=[rule(to, ports=[80])])
    expect = allow_all().egress("x/a", False).set("x/a", "z/c", True)
    return Case([pol], [(80, "TCP", expect), (81, "TCP", allow_all().egress("x/a", False))])


@scenario
def stacked_policies_are_a_union():
    """Item 5 / upstream "should enforce multiple, stacked policies with overlapping podSelectors": two
    policies on x/a admit x/b and y's pods together."""
    objs = [
        netpol("x/a-from-b", select={"pod": "a"}, ingress=[rule(peer(pods={"pod": "b"}))]),
        netpol("x/a-from-y", select={"pod": "a"}, ingress=[rule(peer(namespaces={"ns": "y"}))]),
    ]
    expect = allow_all().ingress("x/a", False).set("x/b", "x/a", True).set("y/*", "x/a", True)
    return Case(objs, [(80, "TCP", expect)])


@scenario
def stacked_policies_with_different_ports():
    """Item 5 per port / upstream "should enforce multiple, stacked policies with overlapping
    podSelectors" (port by port): TCP 80 from x/b and TCP 81 from x/c each admit only their source."""
    objs = [
        netpol(
            "x/a-80-from-b",
            select={"pod": "a"},
            ingress=[rule(peer(pods={"pod": "b"}), ports=[80])],
        ),
        netpol(
            "x/a-81-from-c",
            select={"pod": "a"},
            ingress=[rule(peer(pods={"pod": "c"}), ports=[81])],
        ),
    ]
    on80 = allow_all().ingress("x/a", False).set("x/b", "x/a", True)
    on81 = allow_all().ingress("x/a", False).set("x/c", "x/a", True)
    return Case(objs, [(80, "TCP", on80), (81, "TCP", on81)])


@scenario
def policy_in_another_namespace_selects_only_its_own_pods():
    """§3.1: a deny-all in y selecting ``pod=a`` isolates y/a only, never x/a or z/a."""
    expect = allow_all().ingress("y/a", False)
    return Case([netpol("y/deny-a", select={"pod": "a"})], [(80, "TCP", expect)])


@scenario
def empty_pod_selector_peer_is_the_policy_namespace():
    """§3.5 / upstream "should deny ingress from pods on other namespaces": peer ``podSelector: {}`` is
    every pod of the policy's namespace (x), not every pod."""
    pol = netpol("x/from-x", ingress=[rule(peer(pods={}))])
    expect = allow_all().ingress("x/*", False).set("x/*", "x/*", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def absent_peers_are_every_source():
    """§3.5: a rule without ``from`` (ports only) admits every source on those ports."""
    pol = netpol("x/any-on-81", ingress=[rule(ports=[81])])
    return Case([pol], [(81, "TCP", allow_all()), (80, "TCP", allow_all().ingress("x/*", False))])


@scenario
def both_ends_must_allow():
    """Item 26: x/a may only open connections to x/b, and x/b admits only x/c: x/a reaches no one."""
    objs = [
        netpol(
            "x/a-to-b",
            select={"pod": "a"},
            types=["Egress"],
            egress=[rule(peer(pods={"pod": "b"}))],
        ),
        netpol("x/b-from-c", select={"pod": "b"}, ingress=[rule(peer(pods={"pod": "c"}))]),
    ]
    expect = allow_all().egress("x/a", False).ingress("x/b", False).set("x/c", "x/b", True)
    return Case(objs, [(80, "TCP", expect)])


@scenario
def deny_egress_except_udp_to_a_namespace():
    """Item 18 for egress: x's pods may open only UDP to z: UDP 81 to z works, TCP to z does not."""
    pol = netpol(
        "x/udp-to-z", types=["Egress"], egress=[rule(peer(namespaces={"ns": "z"}), ports=["*/UDP"])]
    )
    udp = allow_all().egress("x/*", False).set("x/*", "z/*", True)
    return Case([pol], [(81, "UDP", udp), (80, "TCP", allow_all().egress("x/*", False))])


@scenario
def allow_ingress_for_a_target():
    """Item 5 / upstream "should enforce policy to allow ingress traffic for a target": deny-all in x plus
    ``{podSelector: {}, namespaceSelector: {}}`` into x/a: x/a accepts every pod, x/b and x/c none."""
    objs = [
        netpol("x/deny-all"),
        netpol(
            "x/allow-all-to-a", select={"pod": "a"}, ingress=[rule(peer(pods={}, namespaces={}))]
        ),
    ]
    expect = allow_all().ingress("x/b", False).ingress("x/c", False)
    return Case(objs, [(80, "TCP", expect)])


@scenario
def all_namespaces_peer():
    """Item 7 / upstream "should enforce policy to allow ingress traffic from pods in all namespaces":
    ``namespaceSelector: {}`` admits every pod (here: every probe passes)."""
    pol = netpol("x/a-from-all-ns", select={"pod": "a"}, ingress=[rule(peer(namespaces={}))])
    return Case([pol], [(80, "TCP", allow_all()), (81, "UDP", allow_all())])


@scenario
def any_pod_selectors():
    """Item 7 / upstream "should enforce policy based on any PodSelectors": peers ``pod=b`` and ``pod=c``
    are ORed: x/b and x/c reach x/a."""
    pol = netpol(
        "x/a-from-b-c",
        select={"pod": "a"},
        ingress=[rule(peer(pods={"pod": "b"}), peer(pods={"pod": "c"}))],
    )
    expect = allow_all().ingress("x/a", False).set("x/b", "x/a", True).set("x/c", "x/a", True)
    return Case([pol], [(80, "TCP", expect)])


@scenario
def multiple_pod_selectors_and_namespace_selectors():
    """Items 6, 11 / upstream "should enforce policy based on Multiple PodSelectors and
    NamespaceSelectors": namespaces ``NotIn [x]`` AND pods ``In [b, c]``."""
    both = peer(namespaces="kubernetes.io/metadata.name notin (x)", pods="pod in (b,c)")
    pol = netpol("x/a-from-yz-bc", select={"pod": "a"}, ingress=[rule(both)])
    expect = allow_all().ingress("x/a", False)
    for src in ("y/b", "y/c", "z/b", "z/c"):
        expect.set(src, "x/a", True)
    return Case([pol], [(80, "TCP", expect), (80, "UDP", expect)])


@scenario
def ingress_and_egress_together():
    """Items 3, 26 / upstream "should work with Ingress, Egress specified together": x/a admits x/b and
    may open TCP 80 only: on 81 x/a reaches no one else."""
    pol = netpol(
        "x/a-both",
        select={"pod": "a"},
        ingress=[rule(peer(pods={"pod": "b"}))],
        egress=[rule(ports=[80])],
        types=["Egress", "Ingress"],
    )
    on80 = allow_all().ingress("x/a", False).set("x/b", "x/a", True)
    on81 = allow_all().ingress("x/a", False).egress("x/a", False).set("x/b", "x/a", True)
    return Case([pol], [(80, "TCP", on80), (81, "TCP", on81)])


@scenario
def client_side_egress_denial():
    """Item 26 / upstream "should support denying of egress traffic on the client side (even if the
    server explicitly allows this traffic)": y/a and y/b admit x/a, x/a may only open to y/a."""
    xa = peer(namespaces={"kubernetes.io/metadata.name": "x"}, pods={"pod": "a"})
    objs = [
        netpol(
            "x/a-to-ya",
            select={"pod": "a"},
            egress=[rule(peer(namespaces={"kubernetes.io/metadata.name": "y"}, pods={"pod": "a"}))],
            types=["Egress"],
        ),
        netpol("y/ya-from-xa", select={"pod": "a"}, ingress=[rule(xa)]),
        netpol("y/yb-from-xa", select={"pod": "b"}, ingress=[rule(xa)]),
    ]
    expect = (
        allow_all()
        .egress("x/a", False)
        .ingress("y/a", False)
        .ingress("y/b", False)
        .set("x/a", "y/a", True)
    )
    return Case(objs, [(80, "TCP", expect)])


@scenario
def egress_named_port():
    """§3.7 / upstream "should allow egress access on one named port": x may open ``serve-80-tcp`` only:
    TCP 80 everywhere, TCP 81 from x nowhere."""
    pol = netpol("x/egress-80", types=["Egress"], egress=[rule(ports=["serve-80-tcp"])])
    return Case([pol], [(80, "TCP", allow_all()), (81, "TCP", allow_all().egress("x/*", False))])


@scenario
def egress_namespace_not_in_default_label():
    """Item 11 for namespaces / upstream "should enforce policy based on NamespaceSelector with
    MatchExpressions using default ns label": x/a may open to every namespace but y."""
    pol = netpol(
        "x/a-not-to-y",
        select={"pod": "a"},
        types=["Egress"],
        egress=[rule(peer(namespaces="kubernetes.io/metadata.name notin (y)"))],
    )
    return Case([pol], [(80, "TCP", allow_all().set("x/a", "y/*", False))])


@scenario
def protocol_only_port_entry():
    """Item 18 / upstream "should enforce ingress policy allowing any port traffic to a server on a
    specific protocol": ``ports: [{protocol: TCP}]`` admits TCP 80 and 81, not UDP."""
    pol = netpol("x/a-tcp-only", select={"pod": "a"}, ingress=[rule(ports=[{"protocol": "TCP"}])])
    closed = allow_all().ingress("x/a", False)
    return Case([pol], [(80, "TCP", allow_all()), (81, "TCP", allow_all()), (80, "UDP", closed)])


@scenario
def sctp_rule_is_not_tcp():
    """Item 16 / upstream "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the
    plugin doesn't support SCTP": deny-ingress in x plus SCTP 81 into x/a: TCP 81 stays closed."""
    objs = [
        netpol("x/deny-ingress"),
        netpol("x/a-sctp-81", select={"pod": "a"}, ingress=[rule(ports=["81/SCTP"])]),
    ]
    return Case(
        objs,
        [
            (81, "TCP", allow_all().ingress("x/*", False)),
            (81, "SCTP", allow_all().ingress("x/*", False).ingress("x/a", True)),
        ],
    )


@scenario
def ip_block_except_reallowed_by_another_policy():
    """Items 5, 14 / cf. upstream "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is
    allowed": an ``except`` only limits its own rule; a second policy admitting x/b's /32 re-allows it."""
    objs = [
        netpol(
            "x/a-wide",
            select={"pod": "a"},
            types=["Egress"],
            egress=[rule(peer(cidr="10.0.0.0/8", except_=[f"{pod_ip('x/b')}/32"]))],
        ),
    ]
    narrow = netpol(
        "x/a-to-b",
        select={"pod": "a"},
        types=["Egress"],
        egress=[rule(peer(cidr=f"{pod_ip('x/b')}/32"))],
    )
    return Case(objs + [narrow], [(80, "TCP", allow_all())])


@scenario
def ip_block_except_alone():
    """Item 14 / upstream "should enforce except clause while egress access to server in CIDR block" (large
    CIDR around x/b): x/a reaches every pod but x/b."""
    pol = netpol(
        "x/a-wide",
        select={"pod": "a"},
        types=["Egress"],
        egress=[rule(peer(cidr="10.0.0.0/8", except_=[f"{pod_ip('x/b')}/32"]))],
    )
    return Case([pol], [(80, "TCP", allow_all().set("x/a", "x/b", False))])


@scenario
def equal_labels_share_a_class():
    """§2.1 and the matrix's equivalence classes: x/c relabelled ``pod=a`` on the same node as x/a is
    indistinguishable from it: x/b reaches both, nothing else does, including x/a <-> x/c."""
    objs = [
        e2e_pod("x/c", labels={"pod": "a"}),
        netpol("x/a-from-b", select={"pod": "a"}, ingress=[rule(peer(pods={"pod": "b"}))]),
    ]
    expect = (
        allow_all()
        .ingress("x/a", False)
        .ingress("x/c", False)
        .set("x/b", "x/a", True)
        .set("x/b", "x/c", True)
    )
    return Case(objs, [(80, "TCP", expect)])


# --------------------------------------------------------------------------- the check


def observed_by_trace(c: Cluster, port: int, protocol: str) -> dict[tuple[str, str], bool]:
    return {(s, d): trace(c, s, d, port, protocol).reachable for s in PODS for d in PODS}


def test_scenario_count():
    """The suite covers at least 30 distinct policy scenarios."""
    assert len(SCENARIOS) >= 30


def test_equal_pods_are_evaluated_as_one_class():
    """The class scenario really merges x/a and x/c (so the matrix evaluates a class with itself)."""
    c = e2e_world(SCENARIOS["equal_labels_share_a_class"]())
    assert matrix(c).class_count == len(PODS) - 1


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_reachability(name):
    case = SCENARIOS[name]()
    c = e2e_world(case)
    full = matrix(c)
    assert set(full.pods) == set(PODS)
    failures = []
    for port, protocol, expect in case.probes:
        restricted = matrix(c, port=port, protocol=protocol)
        observed = {
            "trace": observed_by_trace(c, port, protocol),
            "matrix": {
                (s, d): full.allowed(s, d).contains(port, protocol) for s in PODS for d in PODS
            },
            "matrix(port=)": {(s, d): restricted.reachable(s, d) for s in PODS for d in PODS},
        }
        diff = compare(expect.with_loopback(), observed)
        if diff:
            failures.append(f"{protocol}/{port}:\n{diff}")
    assert not failures, f"{name}: {SCENARIOS[name].__doc__}\n\n" + "\n\n".join(failures)
