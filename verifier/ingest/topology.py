"""Nodes and pod placement: the default topology when the input has no Node objects.

Manifests seldom include Nodes, but reachability needs them (node IPs, pod
CIDRs, the node exception of policy). The rules, in order:

1. Node objects in the input are used as written.
2. Without Node objects, the nodes are those pods name in ``spec.nodeName``
   (sorted by name; ``status.hostIP`` becomes the InternalIP), or else three
   nodes ``node-1``, ``node-2``, ``node-3``.
3. A pod naming a node that is not in the input gets an implicit node of that
   name, with a warning when the input did list Nodes.
4. Made-up nodes (``implicit=True``) are labelled ``kubernetes.io/hostname``,
   ``kubernetes.io/os=linux`` and ``kubernetes.io/arch=amd64``; those without
   an address get 192.168.0.11, .12, ... (and fd00:192:168::11, ... when the
   cluster is dual-stack).
5. Nodes without any podCIDR get one carved from the cluster pod CIDRs (a /24
   per IPv4 CIDR, a /64 per IPv6 CIDR) in node order.
6. Running pods without a node are spread round-robin over the schedulable
   nodes whose labels match their nodeSelector and whose NoSchedule/NoExecute
   taints they tolerate: a workload's pods in replica order, starting at the
   node a hash of ``namespace/Kind/name`` picks, so adding or removing a
   workload never moves another's pods (``netverify diff`` compares like with
   like); pods without an owner in namespace/name order, among themselves.

>>> nodes = default_nodes([], families=(4,))
>>> [(n.name, str(n.ip(4))) for n in nodes]
[('node-1', '192.168.0.11'), ('node-2', '192.168.0.12'), ('node-3', '192.168.0.13')]
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from ipaddress import ip_address

from ..errors import Problem
from ..model import IP, Labels, Network, Node, NodeAddress, Source
from .pods import PodEntry, Toleration

__all__ = [
    "DEFAULT_NODE_COUNT",
    "add_missing_nodes",
    "carve_pod_cidrs",
    "default_nodes",
    "fits",
    "schedule",
]

DEFAULT_NODE_COUNT = 3
_NODE_MASK = {4: 24, 6: 64}
_DEFAULT_SOURCE = Source("<default topology>")


def fits(node: Node, node_selector: Labels, tolerations: Sequence[Toleration]) -> bool:
    """Would the scheduler place a pod with this nodeSelector and these tolerations on ``node``?"""
    if node.unschedulable:
        return False
    if any(node.labels.get(k) != v for k, v in node_selector.items()):
        return False
    return all(any(t.tolerates(*taint) for t in tolerations) for taint in node.taints)


def _implicit_node(
    name: str, index: int, ips: Sequence[IP], families: Sequence[int], used: set[IP]
) -> Node:
    """A made-up node; ``index`` (1-based) picks its default addresses."""
    addresses = [NodeAddress("InternalIP", str(ip)) for ip in ips]
    have = {ip.version for ip in ips}
    for family in families:
        if family in have:
            continue
        ip = _default_node_ip(family, index, used)
        used.add(ip)
        addresses.append(NodeAddress("InternalIP", str(ip)))
    addresses.append(NodeAddress("Hostname", name))
    labels = Labels(
        {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    )
    return Node(
        name=name, labels=labels, addresses=tuple(addresses), source=_DEFAULT_SOURCE, implicit=True
    )


def _default_node_ip(family: int, index: int, used: set[IP]) -> IP:
    """192.168.0.<10+index>, or fd00:192:168::<10+index> written with the same digits."""
    while True:
        if family == 4:
            ip = ip_address(int(ip_address("192.168.0.0")) + 10 + index)
        else:
            ip = ip_address(f"fd00:192:168::{10 + index % 9000}")
        if ip not in used:
            return ip
        index += 1


def _host_ips(pods: Sequence[PodEntry]) -> dict[str, list[IP]]:
    """The addresses pods report for their node (status.hostIP/hostIPs)."""
    out: dict[str, list[IP]] = {}
    for e in pods:
        if e.pod.node_name:
            ips = out.setdefault(e.pod.node_name, [])
            for ip in e.host_ips:
                if ip not in ips and all(o.version != ip.version for o in ips):
                    ips.append(ip)
    return out


def default_nodes(pods: Sequence[PodEntry], families: Sequence[int]) -> list[Node]:
    """The nodes of a cluster given without Node objects (rule 2)."""
    named = _host_ips(pods)
    names = sorted(named) or [f"node-{i}" for i in range(1, DEFAULT_NODE_COUNT + 1)]
    used = {ip for ips in named.values() for ip in ips}
    return [_implicit_node(n, i, named.get(n, ()), families, used) for i, n in enumerate(names, 1)]


def add_missing_nodes(
    nodes: list[Node], pods: Sequence[PodEntry], families: Sequence[int]
) -> tuple[list[Node], list[Problem]]:
    """Rule 3: implicit nodes for nodes that pods name but the input lacks."""
    known = {n.name for n in nodes}
    named = _host_ips(pods)
    used = {ip for n in nodes for ip in n.ips} | {ip for ips in named.values() for ip in ips}
    problems: list[Problem] = []
    out = list(nodes)
    for name in sorted(set(named) - known):
        out.append(_implicit_node(name, len(out) + 1, named[name], families, used))
        first = next(e.pod for e in pods if e.pod.node_name == name)
        problems.append(
            Problem(
                f"runs on node {name!r}, which is not in the input; assuming it exists",
                file=first.source.file,
                line=first.source.line,
                kind="Pod",
                namespace=first.namespace,
                name=first.name,
                field="spec.nodeName",
                severity="warning",
            )
        )
    return out, problems


def _subnets(cidrs: Sequence[Network], family: int) -> Iterator[Network]:
    mask = _NODE_MASK[family]
    for net in cidrs:
        if net.version != family:
            continue
        if net.prefixlen >= mask:
            yield net
        else:
            yield from net.subnets(new_prefix=mask)


def carve_pod_cidrs(
    nodes: Sequence[Node], cluster_cidrs: Sequence[Network]
) -> tuple[list[Node], list[Problem]]:
    """Rule 5: give nodes without podCIDRs one per cluster family, skipping ranges nodes already hold."""
    taken = [c for n in nodes for c in n.pod_cidrs]
    families = list(dict.fromkeys(c.version for c in cluster_cidrs))
    pools = {f: _subnets(cluster_cidrs, f) for f in families}
    problems: list[Problem] = []
    out = []
    for node in nodes:
        if node.pod_cidrs or not families:
            out.append(node)
            continue
        carved: list[Network] = []
        for family in families:
            subnet = next((s for s in pools[family] if not any(s.overlaps(t) for t in taken)), None)
            if subnet is None:
                problems.append(
                    Problem(
                        f"no free /{_NODE_MASK[family]} left in the cluster pod CIDRs for node {node.name}",
                        file=node.source.file,
                        line=node.source.line,
                        kind="Node",
                        name=node.name,
                        severity="warning",
                    )
                )
                continue
            carved.append(subnet)
        out.append(replace(node, pod_cidrs=tuple(carved)))
    return out, problems


def schedule(
    entries: Sequence[PodEntry], nodes: Sequence[Node]
) -> tuple[list[PodEntry], list[Problem]]:
    """Rule 6: place running pods that name no node; returns entries in their original order."""
    placed: dict[int, PodEntry] = {}
    turns: dict[tuple, int] = {}
    problems: list[Problem] = []
    # Workload pods in input order (replica order), then the others by namespace/name.
    waiting = sorted(
        (i for i, e in enumerate(entries) if e.pod.node_name is None and e.pod.phase == "Running"),
        key=lambda i: (
            (0, i) if entries[i].pod.owner else (1, entries[i].pod.namespace, entries[i].pod.name)
        ),
    )
    fitting: dict[
        tuple, tuple[str, ...]
    ] = {}  # most pods share a few (selector, tolerations) pairs
    for i in waiting:
        e = entries[i]
        key = (e.node_selector, e.tolerations)
        if key not in fitting:
            fitting[key] = tuple(n.name for n in nodes if fits(n, e.node_selector, e.tolerations))
        candidates = fitting[key]
        if not candidates:
            wanted = f" with labels {e.node_selector}" if e.node_selector else ""
            problems.append(
                Problem(
                    f"no schedulable node{wanted} fits this pod; it stays Pending without an IP",
                    file=e.pod.source.file,
                    line=e.pod.source.line,
                    kind="Pod",
                    namespace=e.pod.namespace,
                    name=e.pod.name,
                    field="spec.nodeSelector" if e.node_selector else None,
                    severity="warning",
                )
            )
            placed[i] = replace(e, pod=replace(e.pod, phase="Pending", ready=False))
            continue
        group = f"{e.pod.namespace}/{e.pod.owner}" if e.pod.owner else None
        turn = turns.get((candidates, group), zlib.crc32(group.encode()) if group else 0)
        turns[(candidates, group)] = turn + 1
        placed[i] = replace(e, pod=replace(e.pod, node_name=candidates[turn % len(candidates)]))
    return [placed.get(i, e) for i, e in enumerate(entries)], problems
