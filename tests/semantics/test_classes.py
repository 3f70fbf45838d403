"""Pod equivalence classes: pods are merged only when no rule can tell them apart.

Regression tests for what the generated-cluster agreement and soundness tests
(``tests/symbolic``) found.
"""

from __future__ import annotations

from tests.builders import cluster, netpol, node, pod
from verifier.engine import trace
from verifier.matrix import matrix
from verifier.semantics.classes import host_network_nodes_matter, pairs, pod_classes


def nodes():
    return [
        node("n1", "192.168.0.1", pod_cidr="10.244.1.0/24"),
        node("n2", "192.168.0.2", pod_cidr="10.244.2.0/24"),
    ]


def web(ref: str, ip: str, on: str):
    return pod(ref, ip=ip, node=on, labels={"app": "web"})


H = pod("x/h", ip="192.168.0.1", node="n1", host_network=True, labels={"app": "h"})


def refs(classes) -> list[list[str]]:
    return [[p.ref for p in c] for c in classes]


def split_pairs(c, sources, destinations):
    """(source refs, destination refs, same_node) of the class pairs ``pairs`` yields."""
    return [
        ([p.ref for p in x.sources], [p.ref for p in x.destinations], x.same_node)
        for x in pairs(c, sources, destinations)
    ]


def test_the_node_exception_splits_pods_by_node_when_a_host_network_pod_is_around():
    """x/a and x/b look alike, but only x/a is on x/h's node: x/h reaches x/a (node exception), not x/b."""
    c = cluster(
        *nodes(),
        H,
        web("x/a", "10.244.1.10", "n1"),
        web("x/b", "10.244.2.10", "n2"),
        netpol("x/deny", ingress=[]),
    )
    assert host_network_nodes_matter(c)
    # The two stay one class; the pair with the hostNetwork pod is split by node.
    web_class = pod_classes(c, [c.pod("x/a"), c.pod("x/b")])
    assert refs(web_class) == [["x/a", "x/b"]]
    assert split_pairs(c, [[c.pod("x/h")]], web_class) == [
        (["x/h"], ["x/a"], True),
        (["x/h"], ["x/b"], False),
    ]
    m = matrix(c)
    assert (str(m.allowed("x/h", "x/a")), str(m.allowed("x/h", "x/b"))) == ("all", "none")
    assert (
        trace(c, "x/h", "10.244.1.10", 80).reachable,
        trace(c, "x/h", "10.244.2.10", 80).reachable,
    ) == (True, False)


def test_drop_to_the_own_node_splits_pods_by_node():
    """DefaultEndpointToHostAction=Drop: x/a cannot reach x/h on its own node, x/b on n2 can."""
    c = cluster(
        *nodes(),
        H,
        web("x/a", "10.244.1.10", "n1"),
        web("x/b", "10.244.2.10", "n2"),
        endpoint_to_host="Drop",
    )
    web_class = pod_classes(c, [c.pod("x/a"), c.pod("x/b")])
    assert refs(web_class) == [["x/a", "x/b"]]
    assert split_pairs(c, web_class, [[c.pod("x/h")]]) == [
        (["x/a"], ["x/h"], True),
        (["x/b"], ["x/h"], False),
    ]
    m = matrix(c)
    assert (str(m.allowed("x/a", "x/h")), str(m.allowed("x/b", "x/h"))) == ("none", "all")


def test_without_policy_or_drop_a_host_network_pod_does_not_split_classes():
    """No rule compares nodes: pods on any node stay one class."""
    c = cluster(*nodes(), H, web("x/a", "10.244.1.10", "n1"), web("x/b", "10.244.2.10", "n2"))
    assert not host_network_nodes_matter(c)
    assert refs(pod_classes(c, [c.pod("x/a"), c.pod("x/b")])) == [["x/a", "x/b"]]
    without_host = cluster(
        *nodes(),
        web("x/a", "10.244.1.10", "n1"),
        web("x/b", "10.244.2.10", "n2"),
        netpol("x/deny", ingress=[]),
    )
    assert not host_network_nodes_matter(without_host)
