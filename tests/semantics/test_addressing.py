"""Pod ranges: the nodes' podCIDRs and the IP pools, merged, and membership in them."""

from __future__ import annotations

import random
from ipaddress import ip_address

from tests.builders import cluster, ip_pool, node
from verifier.semantics.addressing import in_pod_ranges, pod_ranges


def _cluster():
    nodes = [node(f"n{i}", f"192.168.0.{i + 1}", pod_cidr=f"10.244.{i}.0/24") for i in range(6)]
    nodes.append(node("far", "192.168.0.99", pod_cidr=["10.250.0.0/24", "fd00:10:244:7::/64"]))
    return cluster(
        nodes,
        ip_pool("extra", "10.244.3.128/25"),
        ip_pool("v6", "fd00:10:244:8::/64"),
        pod_cidrs=["10.251.0.0/16"],
    )


def test_neighbouring_pod_cidrs_merge_and_nested_pools_vanish():
    c = _cluster()
    assert [str(n) for n in pod_ranges(c, 4)] == [
        "10.244.0.0/22",
        "10.244.4.0/23",
        "10.250.0.0/24",
        "10.251.0.0/16",
    ]
    assert [str(n) for n in pod_ranges(c, 6)] == ["fd00:10:244:7::/64", "fd00:10:244:8::/64"]


def test_membership_at_every_boundary_and_against_every_cidr_one_by_one():
    c = _cluster()
    probes = [
        "10.244.0.0",
        "10.243.255.255",
        "10.244.5.255",
        "10.244.6.0",
        "10.250.0.255",
        "10.250.1.0",
        "0.0.0.0",
        "255.255.255.255",
        "fd00:10:244:7::",
        "fd00:10:244:6:ffff:ffff:ffff:ffff",
        "fd00:10:244:9::",
        "::",
    ]
    rng = random.Random(7)
    probes += [
        f"10.{rng.choice((243, 244, 250, 251, 252))}.{rng.randrange(256)}.{rng.randrange(256)}"
        for _ in range(300)
    ]
    for text in probes:
        ip = ip_address(text)
        expected = any(ip.version == n.version and ip in n for n in c.pod_cidrs)
        assert in_pod_ranges(c, ip) is expected, text
