"""Default topology, pod placement and address allocation (pods, Services, node ports)."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

from verifier.ingest.allocate import hashed_ip

from .helpers import load, pod_yaml

CONFIG = "---\napiVersion: netverify.dev/v1alpha1\nkind: ClusterNetwork\nmetadata: {{name: c}}\nspec: {spec}\n"
DUAL = CONFIG.format(
    spec="{serviceCIDRs: [10.96.0.0/16, 'fd00:10:96::/112'], podCIDRs: [10.244.0.0/16, 'fd00:10:244::/56']}"
)


def pods(n: int, namespace: str = "default", extra: str = "") -> str:
    return "---\n".join(pod_yaml(f"p{i}", namespace, extra_spec=extra) for i in range(n))


def node(name: str, ip: str, cidr: str | None = None, labels: str = "{}") -> str:
    spec = f"spec: {{podCIDR: {cidr}}}\n" if cidr else ""
    return (
        f"---\napiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {labels}}}\n{spec}"
        f"status: {{addresses: [{{type: InternalIP, address: {ip}}}]}}\n"
    )


# --------------------------------------------------------------------------- topology


def test_default_topology_three_nodes():
    cluster = load(pods(4))
    assert [(n.name, str(n.ip(4)), str(n.pod_cidrs[0]), n.implicit) for n in cluster.nodes] == [
        ("node-1", "192.168.0.11", "10.244.0.0/24", True),
        ("node-2", "192.168.0.12", "10.244.1.0/24", True),
        ("node-3", "192.168.0.13", "10.244.2.0/24", True),
    ]
    assert dict(cluster.nodes[0].labels)["kubernetes.io/os"] == "linux"
    assert [p.node_name for p in cluster.pods] == ["node-1", "node-2", "node-3", "node-1"]


def test_default_topology_dual_stack():
    cluster = load(pods(1) + DUAL)
    n1 = cluster.nodes[0]
    assert [str(ip) for ip in n1.ips] == ["192.168.0.11", "fd00:192:168::11"]
    assert [str(c) for c in n1.pod_cidrs] == ["10.244.0.0/24", "fd00:10:244::/64"]
    (pod,) = cluster.pods
    assert [str(ip) for ip in pod.ips] == ["10.244.0.1", "fd00:10:244::1"]
    assert cluster.dual_stack


def test_nodes_named_by_pods_with_host_ips():
    text = (
        pod_yaml("a", extra_spec="nodeName: w2")
        + "status: {hostIP: 10.0.0.2, podIP: 172.16.0.5}\n---\n"
        + pod_yaml("b", extra_spec="nodeName: w1")
        + "---\n"
        + pod_yaml("c")
    )
    cluster = load(text)
    assert [(n.name, [str(ip) for ip in n.ips]) for n in cluster.nodes] == [
        ("w1", ["192.168.0.11"]),
        ("w2", ["10.0.0.2"]),
    ]
    assert [p.node_name for p in cluster.pods] == ["w2", "w1", "w1"]


def test_explicit_nodes_and_a_pod_on_an_unknown_node():
    cluster = load(
        node("n1", "192.168.5.1", "10.244.9.0/24")
        + "---\n"
        + pod_yaml("a", extra_spec="nodeName: ghost")
    )
    assert [(n.name, n.implicit) for n in cluster.nodes] == [("n1", False), ("ghost", True)]
    (w,) = cluster.warnings
    assert (w.kind, w.name, w.field, w.severity) == ("Pod", "a", "spec.nodeName", "warning")
    assert "not in the input" in w.message
    # carving skips the range n1 already holds
    assert cluster.nodes[1].pod_cidrs == (ip_network("10.244.0.0/24"),)


def test_pods_that_fit_no_node_stay_pending():
    cluster = load(
        node("n1", "192.168.5.1") + "---\n" + pod_yaml("a", extra_spec="nodeSelector: {gpu: 'yes'}")
    )
    (pod,) = cluster.pods
    assert (pod.node_name, pod.phase, pod.ready, pod.ips) == (None, "Pending", False, ())
    (w,) = cluster.warnings
    assert w.field == "spec.nodeSelector" and "no schedulable node" in w.message


# --------------------------------------------------------------------------- pod IPs


def test_allocated_pod_ips_are_in_the_node_cidr_and_distinct():
    text = (
        pods(30)
        + node("n1", "192.168.5.1", "10.1.1.0/24")
        + node("n2", "192.168.5.2", "10.1.2.0/24")
    )
    cluster = load(text)
    ips = [p.ip(4) for p in cluster.pods]
    assert len(set(ips)) == 30
    for p in cluster.pods:
        assert p.ip_allocated
        assert p.ip(4) in cluster.node_by_name[p.node_name].pod_cidr(4)
        assert p.ip(4) != cluster.node_by_name[p.node_name].pod_cidr(4).network_address


def test_allocation_skips_taken_addresses():
    taken = pod_yaml("z", extra_spec="nodeName: n1") + "status: {podIP: 10.1.1.1}\n"
    cluster = load(taken + "---\n" + pods(2) + node("n1", "10.1.1.2", "10.1.1.0/24"))
    assert [str(p.ip(4)) for p in cluster.pods] == ["10.1.1.1", "10.1.1.3", "10.1.1.4"]


def test_terminal_pods_get_no_address():
    cluster = load(pod_yaml("done", extra_spec="nodeName: n1") + "status: {phase: Failed}\n")
    assert cluster.pods[0].ips == ()


def test_allocation_is_deterministic():
    text = pods(5) + DUAL
    assert load(text).pods == load(text).pods


POOLS = """\
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: disabled-pool}
spec: {cidr: 10.99.0.0/16, disabled: true}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: tunnel}
spec: {cidr: 10.98.0.0/16, allowedUses: [Tunnel]}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: zone-a}
spec: {cidr: 192.168.0.0/16, blockSize: 26, nodeSelector: "zone == 'a'"}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: rest}
spec: {cidr: 172.20.0.0/16, nodeSelector: "!has(zone) || zone in {'b', 'c'}"}
"""


def test_allocation_from_calico_pools_by_node_block():
    text = (
        pods(6)
        + node("a1", "10.0.0.1", labels="{zone: a}")
        + node("a2", "10.0.0.2", labels="{zone: a}")
        + node("b1", "10.0.0.3", labels="{zone: b}")
        + POOLS
    )
    cluster = load(text)
    got = {p.name: (p.node_name, str(p.ip(4))) for p in cluster.pods}
    # a1 owns block 0 of zone-a (192.168.0.0/26), a2 block 1 (192.168.0.64/26), b1 block 0 of rest
    assert got == {
        "p0": ("a1", "192.168.0.1"),
        "p1": ("a2", "192.168.0.65"),
        "p2": ("b1", "172.20.0.1"),
        "p3": ("a1", "192.168.0.2"),
        "p4": ("a2", "192.168.0.66"),
        "p5": ("b1", "172.20.0.2"),
    }


def test_a_full_block_continues_in_the_nodes_next_block():
    pool = "---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.5.0.0/24, blockSize: 30}\n"
    cluster = load(pods(4) + node("n1", "10.0.0.1") + node("n2", "10.0.0.2") + pool)
    on_n1 = [str(p.ip(4)) for p in cluster.pods if p.node_name == "n1"]
    # blocks of 4 addresses; n1 owns blocks 0, 2, 4...; each block's first address is skipped
    assert on_n1 == ["10.5.0.1", "10.5.0.2"]
    assert load(pods(8) + node("n1", "10.0.0.1") + node("n2", "10.0.0.2") + pool).pods[6].ip(
        4
    ) == ip_address("10.5.0.9")


# --------------------------------------------------------------------------- Services


def service(name: str, extra: str = "") -> str:
    return f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: default}}\nspec: {{ports: [{{port: 80}}]{extra}}}\n"


def test_service_ips_are_hashed_stable_and_distinct():
    one = load(service("a") + service("b"))
    more = load(service("a") + service("zz") + service("b"))
    ips = {s.name: s.cluster_ips for s in one.services}
    assert ips == {s.name: s.cluster_ips for s in more.services if s.name != "zz"}
    assert len({s.cluster_ips for s in more.services}) == 3
    assert all(s.cluster_ips[0] in ip_network("10.96.0.0/12") for s in more.services)


def test_requested_cluster_ip_is_kept_and_never_reallocated():
    first = load(service("a"))
    taken = str(first.services[0].cluster_ips[0])
    cluster = load(service("b", f", clusterIP: {taken}") + service("a"))
    b, a = cluster.services
    assert str(b.cluster_ips[0]) == taken and a.cluster_ips[0] != b.cluster_ips[0]


def test_kube_dns_gets_the_configured_cluster_dns_ip():
    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: kube-dns, namespace: kube-system}\n"
        "spec: {ports: [{port: 53, protocol: UDP}], selector: {k8s-app: kube-dns}}\n"
        + CONFIG.format(spec="{clusterDNS: [10.96.0.10]}")
    )
    assert str(load(text).services[0].cluster_ips[0]) == "10.96.0.10"


def test_hashed_ip_avoids_reserved_and_taken():
    net = ip_network(
        "10.0.0.0/30"
    )  # only 10.0.0.2 is allowed: .0 network, .1 reserved, .3 broadcast
    assert hashed_ip(net, "x", set()) == ip_address("10.0.0.2")
    assert hashed_ip(net, "x", {ip_address("10.0.0.2")}) is None
    v6 = hashed_ip(ip_network("fd00::/120"), "y", set())
    assert v6.version == 6 and v6 in ip_network("fd00::/120")


def test_node_ports_are_allocated_in_range():
    cluster = load(
        service("np", ", type: NodePort") + CONFIG.format(spec="{nodePortRange: 31000-31001}")
    )
    assert cluster.services[0].ports[0].node_port in (31000, 31001)
