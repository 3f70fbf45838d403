"""Addresses the input leaves open: pod IPs, Service families and cluster IPs, node ports.

Everything here is deterministic, so two loads of the same input agree.

Pods (non-hostNetwork, not Succeeded/Failed, placed on a node, without IPs)
get one address per family, marked ``ip_allocated=True``:

* with Calico IPPools (enabled, ``allowedUses`` Workload): for each family the
  first pool whose ``nodeSelector`` selects the node; the node that is the
  i-th of N nodes that pool selects owns blocks i, i+N, i+2N... of
  ``blockSize`` (/26 and /122 by default);
* otherwise from the node's podCIDRs;

skipping each block's or range's network address (and the IPv4 broadcast)
and every address a pod, node, Service or EndpointSlice already holds. A pod
an EndpointSlice names as the target of an address holds that address (it is
fixed, not allocated; the families no slice gives are picked as above).
hostNetwork pods without IPs get their node's addresses.

Services get the API server's family defaulting (semantics.md §9.2), and the
IPs they lack are picked by a hash of ``namespace/name`` inside the service
CIDR of each family (so adding a Service does not move the others), skipping
the network address, the first address (the ``kubernetes`` Service's) and the
configured cluster DNS IPs, which only ``kube-system/kube-dns`` receives.
NodePort and LoadBalancer ports without ``nodePort`` get one the same way.

>>> from ipaddress import ip_network
>>> ip = hashed_ip(ip_network("10.96.0.0/12"), "shop/web", set())
>>> ip in ip_network("10.96.0.0/12")
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address

from ..errors import Problem
from ..model import IP, ClusterNetwork, IPPool, Network, Node, Service, ServicePort
from ..semantics import ipam
from .pods import PodEntry
from .services import ServiceEntry

__all__ = ["allocate_pod_ips", "families_of", "finish_services", "hashed_ip", "one_per_family"]

_BLOCK_DEFAULT = {4: 26, 6: 122}
_FAMILY_NAME = {4: "IPv4", 6: "IPv6"}


def _address(family: int, value: int) -> IP:
    # ipaddress.ip_address(int) would turn small IPv6 values into IPv4 addresses.
    return IPv4Address(value) if family == 4 else IPv6Address(value)


def one_per_family(ips: Sequence[IP]) -> tuple[IP, ...]:
    """The first address of each family, in order."""
    out: list[IP] = []
    for ip in ips:
        if all(o.version != ip.version for o in out):
            out.append(ip)
    return tuple(out)


def families_of(nets: Sequence[Network | IP]) -> tuple[int, ...]:
    """The families of ``nets``, in order of first appearance (the first is the primary)."""
    return tuple(dict.fromkeys(n.version for n in nets))


# --------------------------------------------------------------------------- pods


def _range_addresses(net: Network) -> Iterator[IP]:
    """Usable addresses of a node's podCIDR in order (host-local IPAM: :func:`verifier.semantics.ipam.reserved`)."""
    skip = set(ipam.reserved(net, ()))
    for value in range(int(net.network_address), int(net.broadcast_address) + 1):
        ip = _address(net.version, value)
        if ip not in skip:
            yield ip


class _Blocks:
    """The addresses a node may use in one pool: its blocks i, i+N, i+2N..., each without its first address."""

    def __init__(self, pool: IPPool, index: int, count: int):
        self.pool = pool
        self.size = 1 << (
            (32 if pool.cidr.version == 4 else 128)
            - (pool.block_size or _BLOCK_DEFAULT[pool.cidr.version])
        )
        self.total = pool.cidr.num_addresses // self.size
        self.index = index
        self.count = count

    def __iter__(self) -> Iterator[IP]:
        base = int(self.pool.cidr.network_address)
        block = self.index
        while block < self.total:
            start = base + block * self.size
            for value in range(start + 1, start + self.size):
                yield _address(self.pool.cidr.version, value)
            block += self.count


def _pool_ranges(
    nodes: Sequence[Node], pools: Sequence[IPPool]
) -> dict[str, dict[int, Iterator[IP]]]:
    """For each node and family, the address iterator of the first pool that selects the node."""
    usable = ipam.usable_pools(pools)
    # pool name -> {node name: its position among the nodes the pool selects}
    members: dict[str, dict[str, int]] = {}
    for pool in usable:
        chosen = [n.name for n in nodes if ipam.pool_selects(pool, n)]
        members[pool.name] = {name: i for i, name in enumerate(chosen)}
    out: dict[str, dict[int, Iterator[IP]]] = {}
    for node in nodes:
        ranges: dict[int, Iterator[IP]] = {}
        for pool in usable:
            family = pool.cidr.version
            position = members[pool.name].get(node.name)
            if family in ranges or position is None:
                continue
            ranges[family] = iter(_Blocks(pool, position, len(members[pool.name])))
        out[node.name] = ranges
    return out


def allocate_pod_ips(
    entries: Sequence[PodEntry],
    nodes: Sequence[Node],
    pools: Sequence[IPPool],
    families: Sequence[int],
    taken: set[IP],
    named: Mapping[str, Mapping[int, IP]] | None = None,
) -> tuple[list[PodEntry], list[Problem]]:
    """Give addresses to pods that need them (see the module docstring); ``taken`` is updated.

    ``named`` maps a pod to the address of each family EndpointSlices name it the target of.
    """
    by_name = {n.name: n for n in nodes}
    if ipam.usable_pools(pools):
        ranges = _pool_ranges(nodes, pools)
    else:
        ranges = {n.name: {c.version: _range_addresses(c) for c in n.pod_cidrs} for n in nodes}
    order = list(dict.fromkeys([*families, 4, 6]))
    problems: list[Problem] = []
    out: list[PodEntry] = []
    for e in entries:
        pod = e.pod
        node = by_name.get(pod.node_name or "")
        if pod.ips or pod.terminal or node is None:
            out.append(e)
            continue
        if pod.host_network:
            out.append(replace(e, pod=replace(pod, ips=one_per_family(node.ips))))
            continue
        given = (named or {}).get(pod.ref, {})
        ips: list[IP] = []
        node_ranges = ranges.get(node.name, {})
        for family in order:
            if family in given:
                ips.append(given[family])
                continue
            if family not in node_ranges:
                continue
            ip = next((a for a in node_ranges[family] if a not in taken), None)
            if ip is None:
                problems.append(
                    _pod_problem(pod, f"node {node.name} has no free IPv{family} address left")
                )
                continue
            taken.add(ip)
            ips.append(ip)
        if not ips:
            if not node_ranges:
                problems.append(
                    _pod_problem(
                        pod, f"node {node.name} has no podCIDR or IP pool to take an address from"
                    )
                )
            out.append(e)
            continue
        out.append(replace(e, pod=replace(pod, ips=tuple(ips), ip_allocated=not given)))
    return out, problems


def _pod_problem(pod, message: str) -> Problem:
    return Problem(
        message + "; the pod gets no IP",
        file=pod.source.file,
        line=pod.source.line,
        kind="Pod",
        namespace=pod.namespace,
        name=pod.name,
        severity="warning",
    )


# --------------------------------------------------------------------------- services


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


def hashed_ip(net: Network, key: str, taken: set[IP], *, reserved: int = 2) -> IP | None:
    """An address of ``net`` chosen by hashing ``key``, probing forward past ``taken`` ones.

    The first ``reserved`` addresses (network address and ``.1``) and the IPv4
    broadcast are never chosen. None when ``net`` is full.
    """
    base = int(net.network_address)
    size = net.num_addresses - reserved - (1 if net.version == 4 else 0)
    if size <= 0:
        return None
    start = _hash(key) % size
    for probe in range(min(size, 1 << 16)):
        ip = _address(net.version, base + reserved + (start + probe) % size)
        if ip not in taken:
            return ip
    return None


def _service_families(entry: ServiceEntry, cluster: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    """(ipFamilyPolicy, ipFamilies) after API-server defaulting; problems go to the entry's spec."""
    s, spec = entry.service, entry.spec
    written = entry.families or tuple(ip.version for ip in entry.ips)
    primary = cluster[0]
    policy = entry.policy
    if s.headless and s.selector is None:
        # Headless without selector: any families, even ones the cluster lacks.
        policy = policy or "RequireDualStack"
        families = written or (primary,)
        if policy != "SingleStack" and len(families) < 2:
            families = (*families, 6 if families[0] == 4 else 4)
        return policy, families
    if policy is None:
        policy = (
            "RequireDualStack" if len(entry.families) == 2 or len(entry.ips) == 2 else "SingleStack"
        )
    if policy == "SingleStack" and len(written) > 1:
        spec.error("ipFamilyPolicy", f"SingleStack allows one IP family, got {len(written)}")
        written = written[:1]
    dual = len(cluster) == 2
    if policy == "RequireDualStack" and not dual:
        spec.error(
            "ipFamilyPolicy",
            f"RequireDualStack needs a dual-stack cluster, but the service CIDRs are {_FAMILY_NAME[primary]} only "
            "(add a service CIDR of the other family: spec.serviceCIDRs of the ClusterNetwork object)",
        )
        written = ()  # one explanation is enough; do not also complain about each family
    for family in written:
        if family not in cluster:
            spec.error(
                "ipFamilies",
                f"{_FAMILY_NAME[family]} is not configured on this cluster (no {_FAMILY_NAME[family]} service CIDR)",
            )
    families = tuple(f for f in written if f in cluster) or (primary,)
    if policy in ("PreferDualStack", "RequireDualStack") and dual and len(families) < 2:
        families = (*families, 6 if families[0] == 4 else 4)
    return policy, families


def finish_services(
    entries: Sequence[ServiceEntry],
    service_cidrs: Sequence[Network],
    config: ClusterNetwork,
    taken: set[IP],
) -> list[Service]:
    """Defaulted families and policy, validated requested IPs, allocated missing IPs and node ports.

    ``taken`` holds addresses already used (pods, nodes); Service IPs are added.
    """
    cluster = families_of(service_cidrs) or (4,)
    holders: dict[IP, ServiceEntry] = {}
    for e in entries:
        for ip in e.ips:
            if ip in holders:
                other = holders[ip].service
                e.spec.error(
                    "clusterIP",
                    f"{ip} is also the cluster IP of Service {other.ref} ({other.source})",
                )
            holders[ip] = e
            if not any(ip in net for net in service_cidrs):
                nets = ", ".join(str(n) for n in service_cidrs)
                e.spec.warn("clusterIP", f"{ip} is outside the service CIDRs ({nets})")
    taken |= set(holders)
    dns_ips = set(config.cluster_dns)
    # Only kube-system/kube-dns may take the configured cluster DNS addresses.
    blocked = taken | dns_ips
    used_node_ports = {
        p.node_port for e in entries for p in e.service.ports if p.node_port is not None
    }
    lo, hi = config.node_port_range
    out: list[Service] = []
    seen_node_ports: dict[int, ServiceEntry] = {}
    for e in entries:
        s = e.service
        if s.type == "ExternalName":
            out.append(s)
            continue
        policy, families = _service_families(e, cluster)
        ips: tuple[IP, ...] = ()
        if e.needs_ips:
            ips = _cluster_ips(e, families, service_cidrs, taken, blocked, dns_ips)
        ports = _node_ports(e, (lo, hi), used_node_ports, seen_node_ports)
        out.append(
            replace(s, ip_families=families, ip_family_policy=policy, cluster_ips=ips, ports=ports)
        )
    return out


def _cluster_ips(
    e: ServiceEntry,
    families: tuple[int, ...],
    service_cidrs: Sequence[Network],
    taken: set[IP],
    blocked: set[IP],
    dns_ips: set[IP],
) -> tuple[IP, ...]:
    """The Service's cluster IPs, requested or allocated; ``taken`` and ``blocked`` are updated."""
    given = {ip.version: ip for ip in e.ips}
    ips: list[IP] = []
    for family in families:
        if family in given:
            ips.append(given[family])
            continue
        net = next((n for n in service_cidrs if n.version == family), None)
        if net is None:
            continue
        s = e.service
        wanted = next((ip for ip in dns_ips if ip.version == family and ip not in taken), None)
        if s.ref == "kube-system/kube-dns" and wanted is not None and wanted in net:
            ip = wanted
        else:
            ip = hashed_ip(net, f"{s.ref}/{family}", blocked)
        if ip is None:
            e.spec.error(None, f"the service CIDR {net} has no free address left")
            continue
        taken.add(ip)
        blocked.add(ip)
        ips.append(ip)
    return tuple(ips)


def _node_ports(
    e: ServiceEntry, port_range: tuple[int, int], used: set[int], seen: dict[int, ServiceEntry]
) -> tuple[ServicePort, ...]:
    s = e.service
    lo, hi = port_range
    wants = s.type == "NodePort" or (
        s.type == "LoadBalancer" and s.allocate_load_balancer_node_ports
    )
    ports = []
    for i, p in enumerate(s.ports):
        if p.node_port is not None:
            line = s.port_sources[i].line if i < len(s.port_sources) else None
            if not lo <= p.node_port <= hi:
                e.spec.error(
                    f"ports[{i}].nodePort",
                    f"{p.node_port} is outside the node port range {lo}-{hi}",
                    line=line,
                )
            owner = seen.get(p.node_port)
            if owner is not None and owner is not e:
                e.spec.error(
                    f"ports[{i}].nodePort",
                    f"node port {p.node_port} is already used by Service {owner.service.ref} ({owner.service.source})",
                    line=line,
                )
            seen[p.node_port] = e
        elif wants:
            size = hi - lo + 1
            start = _hash(f"{s.ref}/{p.port}/{p.protocol}") % size
            number = next(
                (
                    lo + (start + k) % size
                    for k in range(size)
                    if lo + (start + k) % size not in used
                ),
                None,
            )
            if number is not None:
                used.add(number)
                p = replace(p, node_port=number)
        ports.append(p)
    return tuple(ports)
