"""What the input shows about the cluster's network when no configuration says it.

A dump of a running cluster is evidence: the API server accepted its objects,
so its addresses came from the cluster's ranges and its Services' families are
families the cluster runs. Without a ``ClusterNetwork`` object (or with one
that leaves a field out) and without ``ServiceCIDR`` objects, the loader reads
the configuration from that evidence instead of refusing it, and records each
conclusion as an :class:`~verifier.model.Inference` (``Cluster.inferred``).
A field the configuration sets is never inferred; evidence that contradicts it
stays an error (or the warnings :mod:`.allocate` gives, as before).

The rules (also in ``docs/cluster-network.md``):

* **families**: those of the pods' IPs, the Services' cluster IPs and the
  nodes' podCIDRs. Without any of them the cluster is IPv4. A Service that
  *requires* another family (``ipFamilyPolicy: RequireDualStack``, two
  ``ipFamilies``, or an ``ipFamilies`` entry of the other family) adds it, with
  one warning, unless the configuration gives service or pod CIDRs. The
  primary family is that of the ``default/kubernetes`` Service's cluster IP,
  else of the configured ranges, else of the first pod IP, else of the first
  node podCIDR, else IPv4.
* **serviceCIDRs**, per family: the default range when every cluster IP of
  that family lies in it (IPv4 ``10.96.0.0/12``, IPv6 ``fd00:10:96::/112``),
  else the /16 (IPv4) or /112 (IPv6) holding them all, else the smallest prefix
  covering them; one /16 (/112) per group of them when that prefix would hold
  a pod address. A family without cluster IPs gets its default range.
* **podCIDRs**, per family: a range covering the nodes' podCIDRs, then one
  covering the pod IPs that no podCIDR or IP pool holds (VPC-CNI style
  clusters have no podCIDRs at all), each chosen the same way with the
  defaults ``10.244.0.0/16`` and ``fd00:10:244::/56`` and blocks of /16
  (IPv4) or /56 (IPv6), split the same way rather than hold a Service range.
  A family without such evidence gets its default range, unless IP pools of
  that family exist.
* **clusterDomain**: the domain most pods' ``dnsConfig.searches`` name as
  ``<namespace>.svc.<domain>`` or ``svc.<domain>``.

Only what differs from the documented defaults is recorded.

>>> from ipaddress import ip_address, ip_network
>>> [str(n) for n in cover([ip_address("172.20.0.1"), ip_address("172.20.9.3")], 4, "service")]
['172.20.0.0/16']
>>> [str(n) for n in cover([ip_network("10.96.0.0/24")], 4, "service")]
['10.96.0.0/12']
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from ..model import IP, ClusterNetwork, Inference, IPPool, Network, Node, ServiceCIDR, ip_network
from ..semantics import ipam
from .pods import PodEntry
from .services import ServiceEntry
from .workloads import Workload

__all__ = ["DEFAULT_RANGES", "cover", "infer_network"]

#: The range a family gets when nothing shows one (IPv4: the kubeadm defaults).
DEFAULT_RANGES: dict[str, dict[int, Network]] = {
    "service": {4: ip_network("10.96.0.0/12"), 6: ip_network("fd00:10:96::/112")},
    "pod": {4: ip_network("10.244.0.0/16"), 6: ip_network("fd00:10:244::/56")},
}
#: The block size a cluster's range usually has: tried before the smallest cover.
_BLOCKS: dict[str, dict[int, int]] = {"service": {4: 16, 6: 112}, "pod": {4: 16, 6: 56}}
_FAMILY = {4: "IPv4", 6: "IPv6"}
_DEFAULTS = ClusterNetwork()


def _net(item: Network | IP) -> Network:
    return (
        item
        if isinstance(item, (ipaddress.IPv4Network, ipaddress.IPv6Network))
        else ip_network(item)
    )


def _block(net: Network, prefix: int) -> Network:
    return net.supernet(new_prefix=prefix) if net.prefixlen > prefix else net


def cover(
    items: Sequence[Network | IP],
    family: int,
    kind: str,
    avoid: Sequence[Network | IP] = (),
) -> tuple[Network, ...]:
    """Ranges holding every one of ``items`` (of ``family``), by the rule of the module docstring.

    ``kind`` is ``"service"`` or ``"pod"``; ``avoid`` are addresses or ranges of
    the other kind, which a smallest cover must not hold.
    """
    nets = [_net(i) for i in items if i.version == family]
    if not nets:
        return ()
    default = DEFAULT_RANGES[kind][family]
    if all(n.subnet_of(default) for n in nets):
        return (default,)
    prefix = _BLOCKS[kind][family]
    block = _block(nets[0], prefix)
    if all(n.subnet_of(block) for n in nets):
        return (block,)
    smallest = block
    while not all(n.subnet_of(smallest) for n in nets):
        smallest = smallest.supernet()
    others = [_net(a) for a in avoid if a.version == family]
    if not any(smallest.overlaps(o) for o in others):
        return (smallest,)
    groups = list(dict.fromkeys(_block(n, prefix) for n in nets))
    return tuple(g for g in groups if not any(g != o and g.subnet_of(o) for o in groups))


def _names(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _span(ips: Sequence[IP]) -> str:
    lo, hi = min(ips), max(ips)
    return str(lo) if lo == hi else f"{lo} to {hi}"


def _requested(e: ServiceEntry) -> tuple[int, ...]:
    """The families a Service asks for as written (none for those the API server never checks)."""
    s = e.service
    if s.type == "ExternalName" or (s.headless and s.selector is None):
        return ()  # any family goes: semantics.md §9.2
    if e.policy == "RequireDualStack" or (len(e.families) == 2 and e.policy != "SingleStack"):
        return (4, 6)
    return e.families


def infer_network(
    config: ClusterNetwork,
    given: frozenset[str],
    service_cidr_objects: Sequence[ServiceCIDR],
    nodes: Sequence[Node],
    pods: Sequence[PodEntry],
    workloads: Sequence[Workload],
    services: Sequence[ServiceEntry],
    pools: Sequence[IPPool],
) -> tuple[ClusterNetwork, tuple[Inference, ...]]:
    """The configuration with the fields nothing set read from the evidence, and what was inferred.

    ``given`` are the ``spec`` fields the ClusterNetwork object sets. The one
    warning (a Service requiring a family nothing else shows) goes to that
    Service's problems.
    """
    explicit_services = [n for s in service_cidr_objects for n in s.cidrs] or (
        list(config.service_cidrs) if "serviceCIDRs" in given else []
    )
    explicit_pods = list(config.pod_cidrs) if "podCIDRs" in given else []
    pod_ips = [ip for e in pods if not e.pod.host_network for ip in e.pod.ips]
    node_cidrs = [c for n in nodes for c in n.pod_cidrs]
    cluster_ips = [(e, ip) for e in services for ip in e.ips]

    assigned = {a.version for a in (*pod_ips, *node_cidrs)} | {ip.version for _, ip in cluster_ips}
    explicit = {n.version for n in (*explicit_services, *explicit_pods)}
    base = assigned | explicit or {4}
    families = set(base)
    requiring = [(e, f) for e in services for f in _requested(e) if f not in base]
    if not explicit:
        families |= {f for _, f in requiring}

    primary, primary_why = _primary(
        services, explicit_services or explicit_pods, pods, nodes, families
    )
    order = tuple(sorted(families, key=lambda f: f != primary))
    out: list[Inference] = []

    service_cidrs = tuple(explicit_services) or config.service_cidrs
    if not explicit_services:
        pod_evidence = [*pod_ips, *node_cidrs]
        service_cidrs, notes = _service_ranges(
            order,
            {f: [ip for _, ip in cluster_ips if ip.version == f] for f in order},
            pod_evidence,
            lambda f, ips: (
                f"the cluster IPs of {len({e.service.ref for e, ip in cluster_ips if ip.version == f})} "
                f"Services, {_span(ips)}"
            ),
        )
        if service_cidrs != _DEFAULTS.service_cidrs:
            out += [Inference("serviceCIDRs", str(n), why) for n, why in notes]

    pod_cidrs = tuple(explicit_pods) or config.pod_cidrs
    if not explicit_pods:
        pod_cidrs, notes = _pod_ranges(order, node_cidrs, pod_ips, pools, service_cidrs, pods)
        if pod_cidrs != _DEFAULTS.pod_cidrs:
            out += [Inference("podCIDRs", str(n), why) for n, why in notes]

    if order != (4,):
        value = "dual-stack" if len(order) == 2 else _FAMILY[order[0]] + " only"
        if len(order) == 2:
            value += f", {_FAMILY[primary]} primary"
        out.insert(
            0,
            Inference(
                "families",
                value,
                _family_evidence(pods, nodes, cluster_ips, requiring, order, primary_why),
            ),
        )

    domain = config.cluster_domain
    if "clusterDomain" not in given:
        found = _cluster_domain(pods, workloads)
        if found is not None and found[0] != _DEFAULTS.cluster_domain:
            domain = found[0]
            out.append(Inference("clusterDomain", domain, found[1]))

    if requiring and not explicit:
        _warn_required(requiring, order, primary, service_cidrs, pod_cidrs)
    inferred = replace(
        config, service_cidrs=service_cidrs, pod_cidrs=pod_cidrs, cluster_domain=domain
    )
    return inferred, tuple(out)


def _primary(services, explicit, pods, nodes, families: set[int]) -> tuple[int, str]:
    """The primary family, and why."""
    kubernetes = next(
        (e for e in services if e.service.ref == "default/kubernetes" and e.ips), None
    )
    first_pod = next((e.pod for e in pods if e.pod.ips and not e.pod.host_network), None)
    first_node = next((n for n in nodes if n.pod_cidrs), None)
    candidates = (
        (kubernetes.ips[0] if kubernetes else None, "the kubernetes Service's cluster IP {}"),
        (explicit[0] if explicit else None, "the first configured range, {}"),
        (
            first_pod.ips[0] if first_pod else None,
            f"the first IP of pod {first_pod and first_pod.ref}, {{}}",
        ),
        (
            first_node.pod_cidrs[0] if first_node else None,
            f"the first podCIDR of node {first_node and first_node.name}, {{}}",
        ),
    )
    for value, why in candidates:
        if value is not None and value.version in families:
            return value.version, why.format(value)
    return (4 if 4 in families else 6), "the default"


def _service_ranges(order, evidence, avoid, describe) -> tuple[tuple[Network, ...], list]:
    """Per family: a cover of the cluster IPs ``evidence[family]``, or the family's default; with the reason for each."""
    nets: list[Network] = []
    notes: list[tuple[Network, str]] = []
    for family in order:
        items = evidence.get(family, [])
        found = cover(items, family, "service", avoid)
        if found:
            why = describe(family, items)
        else:
            found = (DEFAULT_RANGES["service"][family],)
            why = f"the default, as no {_FAMILY[family]} cluster IP is in the input"
        nets += found
        notes += [(n, why) for n in found]
    return tuple(nets), notes


def _pod_ranges(order, node_cidrs, pod_ips, pools, service_cidrs, pods):
    nets: list[Network] = []
    notes: list[tuple[Network, str]] = []
    usable = ipam.usable_pools(pools)
    for family in order:
        found: list[Network] = []
        own = [c for c in node_cidrs if c.version == family]
        for n in cover(own, family, "pod", service_cidrs):
            found.append(n)
            notes.append((n, f"the podCIDRs of {len(own)} nodes"))
        held = [*found, *(p.cidr for p in usable)]
        stray = [ip for ip in pod_ips if ip.version == family and not any(ip in n for n in held)]
        for n in cover(stray, family, "pod", service_cidrs):
            found.append(n)
            count = sum(
                1 for e in pods if any(ip in n for ip in e.pod.ips) and not e.pod.host_network
            )
            where = " outside every node podCIDR" if own else ""
            notes.append(
                (n, f"the IPs of {count} pods{where}, {_span([ip for ip in stray if ip in n])}")
            )
        if not found and not any(p.cidr.version == family for p in usable):
            found.append(DEFAULT_RANGES["pod"][family])
            notes.append(
                (
                    found[-1],
                    f"the default, as no {_FAMILY[family]} podCIDR or pod IP is in the input",
                )
            )
        nets += found
    if not nets:  # every family comes from IP pools: keep the documented default
        return _DEFAULTS.pod_cidrs, []
    return tuple(nets), notes


def _family_evidence(pods, nodes, cluster_ips, requiring, order, primary_why) -> str:
    """What shows each family but IPv4, the default; and why the primary is primary."""
    parts = []
    for family in order:
        if family == 4:
            continue
        name = _FAMILY[family]
        n_pods = sum(1 for e in pods if not e.pod.host_network and family in e.pod.families)
        n_services = len({e.service.ref for e, ip in cluster_ips if ip.version == family})
        n_nodes = sum(1 for n in nodes if any(c.version == family for c in n.pod_cidrs))
        parts += [
            f"{count} {what}"
            for count, what in (
                (n_pods, f"pods with an {name} address"),
                (n_services, f"Services with an {name} cluster IP"),
                (n_nodes, f"nodes with an {name} podCIDR"),
            )
            if count
        ]
        asked = sorted({e.service.ref for e, f in requiring if f == family})
        if asked:
            parts.append(f"Services requiring {name}: {_names(asked)}")
    if 4 not in order:
        parts.append("no IPv4 address")
    if len(order) == 2:
        parts.append(f"{_FAMILY[order[0]]} primary: {primary_why}")
    return "; ".join(parts)


def _cluster_domain(pods: Sequence[PodEntry], workloads: Sequence[Workload]):
    """(domain, evidence) from the dnsConfig search lists, or None when none names one."""
    votes: Counter[str] = Counter()
    for namespace, config in [
        *((e.pod.namespace, e.pod.dns_config) for e in pods if not e.expanded),
        *((w.namespace, w.spec.dns_config) for w in workloads),
    ]:
        if config is None:
            continue
        found = set()
        for search in config.searches:
            name = search.rstrip(".").lower()
            for prefix in (f"{namespace}.svc.", "svc."):
                if name.startswith(prefix) and len(name) > len(prefix):
                    found.add(name[len(prefix) :])
        votes.update(found)
    if not votes:
        return None
    domain, count = votes.most_common(1)[0]
    return (
        domain,
        f"the dnsConfig search lists of {count} pods or workloads (<namespace>.svc.{domain})",
    )


def _warn_required(requiring, order, primary, service_cidrs, pod_cidrs) -> None:
    """One warning, on the first Service that needs a family nothing else shows."""
    entry, family = requiring[0]
    others = sorted({e.service.ref for e, _ in requiring} - {entry.service.ref})
    needs = (
        "requires a dual-stack cluster"
        if entry.policy == "RequireDualStack" or len(entry.families) == 2
        else f"asks for {_FAMILY[family]}"
    )
    more = f"; so do {_names(others)}" if others else ""
    entry.spec.warn(
        "ipFamilyPolicy" if entry.spec.has("ipFamilyPolicy") else "ipFamilies",
        f"{needs}, and no ClusterNetwork serviceCIDRs/podCIDRs or ServiceCIDR object says which "
        f"families the cluster runs: loading it as "
        + ("dual-stack" if len(order) == 2 else _FAMILY[order[0]])
        + f" ({_FAMILY[primary]} primary), service CIDRs {', '.join(map(str, service_cidrs))}, "
        f"pod CIDRs {', '.join(map(str, pod_cidrs))}{more} (a ClusterNetwork with single-stack "
        "serviceCIDRs makes this an error)",
    )
