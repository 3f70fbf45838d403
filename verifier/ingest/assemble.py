"""From raw objects to a :class:`~verifier.model.Cluster`: dispatch, cross-object checks, defaults.

The stages, in order:

1. classify each object by API group and kind; unknown kinds are skipped and
   counted, objects without ``kind`` or ``apiVersion`` are errors;
2. read the ``ClusterNetwork`` configuration (at most one);
3. convert every object, reporting duplicates (same kind, namespace and name);
4. expand workloads that have no pods in the input (:mod:`.workloads`);
5. nodes and placement (:mod:`.topology`), then addresses (:mod:`.allocate`);
6. namespaces that objects live in but the input lacks are made up
   (``implicit=True``) with a warning, except the system namespaces.

Problems of every stage are collected; if any is an error, one
:class:`~verifier.errors.InputError` lists them all, sorted by file and line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InputError, Problem
from ..model import (
    IP,
    AdminNetworkPolicy,
    CalicoPolicy,
    Cluster,
    ClusterNetwork,
    EndpointSlice,
    Inference,
    IPPool,
    Labels,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    ServiceCIDR,
    Source,
    Tier,
)
from ..semantics import ipam
from ..semantics.infrastructure import with_implicit_infrastructure
from . import config as config_module
from .allocate import allocate_pod_ips, families_of, finish_services
from .documents import RawObject, describe
from .ignores import read_ignores
from .infer import infer_network
from .objects import (
    NAMESPACE_NAME_LABEL,
    Header,
    read_header,
    read_ip_pool,
    read_namespace,
    read_node,
    read_service_cidr,
)
from .operators import read_operator_workloads
from .pods import PodEntry, read_pod
from .policies import read_network_policy
from .rbac import (
    Binding,
    ServiceAccount,
    api_client_reason,
    read_binding,
    read_service_account,
)
from .services import ServiceEntry, read_endpoint_slice, read_endpoints, read_service
from .tiered import (
    read_admin_network_policy,
    read_baseline_admin_network_policy,
    read_calico_policy,
    read_tier,
)
from .topology import add_missing_nodes, carve_pod_cidrs, default_nodes, schedule
from .workloads import WORKLOAD_GROUPS, ExistingPods, Workload, expand, read_workload

__all__ = ["KINDS", "SYSTEM_NAMESPACES", "assemble"]

#: Namespaces every cluster has: referring to them without a Namespace object is not worth a warning.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


@dataclass(frozen=True)
class Kind:
    """How to read one kind: whether it is namespaced and its converter."""

    namespaced: bool
    read: Callable[[Header], Any]


_CALICO_GROUPS = ("projectcalico.org", "crd.projectcalico.org")

KINDS: dict[tuple[str, str], Kind] = {
    ("", "Namespace"): Kind(False, read_namespace),
    ("", "Node"): Kind(False, read_node),
    ("", "Pod"): Kind(True, read_pod),
    ("", "Service"): Kind(True, read_service),
    ("", "Endpoints"): Kind(True, read_endpoints),
    ("discovery.k8s.io", "EndpointSlice"): Kind(True, read_endpoint_slice),
    ("networking.k8s.io", "NetworkPolicy"): Kind(True, read_network_policy),
    ("extensions", "NetworkPolicy"): Kind(True, read_network_policy),
    ("networking.k8s.io", "ServiceCIDR"): Kind(False, read_service_cidr),
    ("crd.projectcalico.org", "IPPool"): Kind(False, read_ip_pool),
    ("projectcalico.org", "IPPool"): Kind(False, read_ip_pool),
    ("netverify.dev", config_module.KIND): Kind(False, config_module.read_cluster_network),
    ("policy.networking.k8s.io", "AdminNetworkPolicy"): Kind(False, read_admin_network_policy),
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"): Kind(
        False, read_baseline_admin_network_policy
    ),
    ("", "ServiceAccount"): Kind(True, read_service_account),
    ("rbac.authorization.k8s.io", "RoleBinding"): Kind(True, read_binding),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): Kind(False, read_binding),
    **{(g, "NetworkPolicy"): Kind(True, read_calico_policy) for g in _CALICO_GROUPS},
    **{(g, "GlobalNetworkPolicy"): Kind(False, read_calico_policy) for g in _CALICO_GROUPS},
    **{(g, "Tier"): Kind(False, read_tier) for g in _CALICO_GROUPS},
    **{(g, k): Kind(True, read_workload) for k, groups in WORKLOAD_GROUPS.items() for g in groups},
}
_KNOWN_KIND_NAMES = {k for _, k in KINDS}


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def _namespaced(raw: RawObject) -> bool | None:
    """Whether the object's kind is namespaced; ``None`` for a kind netverify does not read."""
    kind = KINDS.get((_group(raw.api_version or ""), raw.kind or ""))
    return None if kind is None else kind.namespaced


def _missing_string(raw: RawObject, field: str, hint: str = "") -> Problem:
    """The problem with an absent or non-string ``kind``/``apiVersion``."""
    written = raw.body.get(field)
    if written is None:
        message = "missing required field"
    elif written == "":
        message = "must not be empty"
    else:
        message = f"expected a string, got {describe(written)}"
    line = raw.located().key_lines.get(field, raw.source.line)
    return Problem(message + hint, file=raw.source.file, line=line, kind=raw.kind, field=field)


def _identity(raw: RawObject) -> str:
    """``ns/name`` (or ``name``) of an object we do not read, without validating anything."""
    meta = raw.body.get("metadata")
    if not isinstance(meta, dict):
        return "<unnamed>"
    name, ns = meta.get("name"), meta.get("namespace")
    name = name if isinstance(name, str) else "<unnamed>"
    return f"{ns}/{name}" if isinstance(ns, str) and ns else name


@dataclass
class _Converted:
    """Everything read from the input, before defaults and allocation."""

    namespaces: list[Namespace] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    #: (input position, pods) so pods keep the order of the objects they came from.
    pods: list[tuple[int, list[PodEntry]]] = field(default_factory=list)
    workloads: list[tuple[int, Workload]] = field(default_factory=list)
    services: list[ServiceEntry] = field(default_factory=list)
    slices: list[EndpointSlice] = field(default_factory=list)
    legacy_slices: list[EndpointSlice] = field(default_factory=list)
    policies: list[NetworkPolicy] = field(default_factory=list)
    admin_policies: list[AdminNetworkPolicy] = field(default_factory=list)
    calico_policies: list[CalicoPolicy] = field(default_factory=list)
    tiers: list[Tier] = field(default_factory=list)
    pools: list[IPPool] = field(default_factory=list)
    service_cidrs: list[ServiceCIDR] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    accounts: list[ServiceAccount] = field(default_factory=list)
    config: ClusterNetwork = field(default_factory=ClusterNetwork)
    #: The spec fields the ClusterNetwork object sets: those are never inferred.
    config_fields: frozenset[str] = frozenset()
    #: namespace -> where it was first used, for the missing-namespace warning.
    used_namespaces: dict[str, Header] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    skipped_objects: list[tuple[str, str, Source]] = field(default_factory=list)


def assemble(
    objects: Sequence[RawObject],
    problems: list[Problem],
    *,
    namespace: str = "default",
    strict: bool = False,
    implicit: bool = True,
) -> Cluster:
    """Build the cluster; raises :class:`InputError` when ``problems`` holds or gains an error.

    ``namespace`` is where objects without one go (``-n``); ``strict`` makes an
    object defined in two files an error instead of a warning (see :func:`_convert`);
    ``implicit`` adds the cluster DNS and API server the input lacks.
    """
    c = _convert(objects, problems, namespace, strict)
    c.config, inferred = infer_network(
        c.config,
        c.config_fields,
        c.service_cidrs,
        c.nodes,
        [e for _, entries in c.pods for e in entries],
        [w for _, w in c.workloads],
        c.services,
        c.pools,
    )
    namespaces = _namespaces(c, problems)
    pods, nodes = _place_pods(c, problems)
    # Addresses the input already gives to something: allocation must not hand them out again.
    taken: set[IP] = {ip for e in pods for ip in e.pod.ips} | {ip for n in nodes for ip in n.ips}
    for e in c.services:
        taken |= {*e.ips, *e.service.external_ips, *e.service.load_balancer_ips}
    in_slices = ipam.named_by_endpoints([*c.slices, *c.legacy_slices])
    taken |= set(in_slices)
    named = _addresses_named(pods, in_slices)
    families = _pod_families(c, pods)
    pods, warnings = allocate_pod_ips(pods, nodes, c.pools, families, taken, named)
    pods = _with_api_clients(pods, c)
    problems.extend(warnings)
    inferred += tuple(
        Inference(
            "pod address",
            f"{ref} {', '.join(str(ip) for ip in by_family.values())}",
            "the EndpointSlices naming it as the target of that address",
        )
        for ref, by_family in named.items()
    )
    service_cidrs = tuple(n for s in c.service_cidrs for n in s.cidrs) or c.config.service_cidrs
    services = finish_services(c.services, service_cidrs, c.config, taken)
    ignores = read_ignores(objects, problems, namespace=namespace, namespaced=_namespaced)
    operated = read_operator_workloads(
        objects, namespace=namespace, known=lambda raw: _namespaced(raw) is not None
    )
    errors = [p for p in problems if p.severity == "error"]
    ordered = sorted(problems, key=lambda p: (p.file or "", p.line or 0, p.column or 0))
    if errors:
        raise InputError(ordered)
    cluster = Cluster(
        namespaces=tuple(namespaces),
        nodes=tuple(nodes),
        pods=tuple(e.pod for e in pods),
        services=tuple(services),
        endpoint_slices=tuple(c.slices) + tuple(_unmirrored(c.legacy_slices, c.slices)),
        policies=tuple(c.policies),
        admin_policies=tuple(c.admin_policies),
        calico_policies=tuple(c.calico_policies),
        tiers=tuple(c.tiers),
        ip_pools=tuple(c.pools),
        service_cidr_objects=tuple(c.service_cidrs),
        config=c.config,
        skipped=tuple(c.skipped.items()),
        warnings=tuple(ordered),
        skipped_objects=tuple(c.skipped_objects),
        inferred=inferred,
        ignores=ignores,
        operator_workloads=operated,
    )
    # What the cluster runs whether or not the input shows it: its DNS, its API server.
    return with_implicit_infrastructure(cluster) if implicit else cluster


def _with_api_clients(pods: list[PodEntry], c: _Converted) -> list[PodEntry]:
    """Each pod with the reason it talks to the API server, if the input shows one."""
    accounts = {(a.namespace, a.name): a for a in c.accounts}
    out = []
    for e in pods:
        reason = api_client_reason(
            e.pod.namespace,
            e.pod.service_account,
            e.automount_token,
            e.api_annotation,
            c.bindings,
            accounts,
        )
        out.append(e if reason is None else replace(e, pod=replace(e.pod, api_client=reason)))
    return out


def _addresses_named(
    pods: Sequence[PodEntry], in_slices: dict[IP, str | None]
) -> dict[str, dict[int, IP]]:
    """For each pod the input leaves without an address, the addresses EndpointSlices give it."""
    open_pods = {
        e.pod.ref
        for e in pods
        if not e.pod.ips and not e.pod.host_network and not e.pod.terminal and e.pod.node_name
    }
    named: dict[str, dict[int, IP]] = {}
    for ip, ref in in_slices.items():
        if ref in open_pods:
            named.setdefault(ref, {}).setdefault(ip.version, ip)
    return named


# --------------------------------------------------------------------------- stage 1-3


def _classify(
    objects: Sequence[RawObject], problems: list[Problem], c: _Converted
) -> list[tuple[int, RawObject, Kind]]:
    known = []
    for pos, raw in enumerate(objects):
        if raw.kind is None:
            problems.append(_missing_string(raw, "kind", " (every object needs a kind)"))
            continue
        if raw.api_version is None:
            problems.append(_missing_string(raw, "apiVersion"))
            continue
        group = _group(raw.api_version)
        kind = KINDS.get((group, raw.kind))
        if kind is None:
            label = f"{raw.kind}.{group}" if raw.kind in _KNOWN_KIND_NAMES and group else raw.kind
            c.skipped[label] += 1
            c.skipped_objects.append((label, _identity(raw), raw.source))
            continue
        known.append((pos, raw, kind))
    return known


def _convert(
    objects: Sequence[RawObject], problems: list[Problem], namespace: str, strict: bool
) -> _Converted:
    """Convert every object; an object defined twice is read once.

    Defined in two files, the later definition is used with a warning, as
    ``kubectl apply -f DIR`` applies every file in order and the last one wins
    (a repository keeping alternative versions of one object, such as
    netpol-recipes' two ``foo-deny-egress``). Defined twice in one file, or
    under ``strict``, it is an error naming both places.
    """
    c = _Converted()
    known = _classify(objects, problems, c)
    # The configuration first: node port ranges and CIDRs of other objects are checked against it.
    configs = [(raw, kind) for _, raw, kind in known if raw.kind == config_module.KIND]
    for i, (raw, kind) in enumerate(configs):
        header = read_header(raw, problems, namespaced=False)
        if i == 0:
            c.config = kind.read(header)
            spec = raw.body.get("spec")
            c.config_fields = frozenset(spec) if isinstance(spec, dict) else frozenset()
        else:
            header.origin.report(
                f"only one ClusterNetwork object is allowed; the first is at {configs[0][0].source}",
                line=raw.source.line,
            )
    headers = [
        (
            pos,
            raw,
            kind,
            read_header(raw, problems, namespaced=kind.namespaced, default_namespace=namespace),
        )
        for pos, raw, kind in known
        if raw.kind != config_module.KIND
    ]
    latest: dict[tuple[str, str, str | None, str], tuple[int, Header]] = {}
    superseded: set[int] = set()
    for pos, raw, _, h in headers:
        if h.name is None:
            continue
        key = (_group(raw.api_version or ""), raw.kind or "", h.namespace, h.name)
        earlier_pos, earlier = latest.get(key, (pos, None))
        if earlier is None:
            latest[key] = (pos, h)
        elif strict or earlier.source.file == raw.source.file:
            h.origin.report(
                f"{raw.kind} {_ref(h)} is defined twice: here and at {earlier.source}",
                "metadata.name",
                h.meta.line_of("name"),
            )
            superseded.add(pos)
        else:
            earlier.origin.report(
                f"{raw.kind} {_ref(h)} is defined twice: the later definition at "
                f"{raw.source} is used, this one is ignored (as kubectl apply would leave it)",
                "metadata.name",
                earlier.meta.line_of("name"),
                severity="warning",
            )
            superseded.add(earlier_pos)
            latest[key] = (pos, h)
    for pos, raw, kind, h in headers:
        if pos in superseded:
            continue
        if h.namespace is not None:
            c.used_namespaces.setdefault(h.namespace, h)
        _store(c, pos, raw.kind or "", kind.read(h))
    return c


def _ref(h: Header) -> str:
    return f"{h.namespace}/{h.name}" if h.namespace else str(h.name)


def _store(c: _Converted, pos: int, kind: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Namespace):
        c.namespaces.append(value)
    elif isinstance(value, Node):
        c.nodes.append(value)
    elif isinstance(value, PodEntry):
        c.pods.append((pos, [value]))
    elif isinstance(value, Workload):
        c.workloads.append((pos, value))
    elif isinstance(value, ServiceEntry):
        c.services.append(value)
    elif isinstance(value, EndpointSlice):
        c.slices.append(value)
    elif isinstance(value, list):  # legacy Endpoints
        c.legacy_slices.extend(value)
    elif isinstance(value, NetworkPolicy):
        c.policies.append(value)
    elif isinstance(value, AdminNetworkPolicy):
        c.admin_policies.append(value)
    elif isinstance(value, CalicoPolicy):
        c.calico_policies.append(value)
    elif isinstance(value, Tier):
        c.tiers.append(value)
    elif isinstance(value, IPPool):
        c.pools.append(value)
    elif isinstance(value, ServiceCIDR):
        c.service_cidrs.append(value)
    elif isinstance(value, Binding):
        c.bindings.append(value)
    elif isinstance(value, ServiceAccount):
        c.accounts.append(value)


# --------------------------------------------------------------------------- namespaces


def _namespaces(c: _Converted, problems: list[Problem]) -> list[Namespace]:
    out = list(c.namespaces)
    have = {n.name for n in out}
    for name, h in c.used_namespaces.items():
        if name in have:
            continue
        have.add(name)
        out.append(Namespace(name, Labels({NAMESPACE_NAME_LABEL: name}), h.source, implicit=True))
        if name not in SYSTEM_NAMESPACES:
            line = h.meta.line_of("namespace") if h.meta.has("namespace") else h.source.line
            h.origin.report(
                f"namespace {name!r} is not in the input; assuming it exists with no labels "
                f"but {NAMESPACE_NAME_LABEL}={name}",
                "metadata.namespace",
                line,
                severity="warning",
            )
    return out


# --------------------------------------------------------------------------- pods and nodes


def _pod_families(c: _Converted, pods: Sequence[PodEntry] = ()) -> tuple[int, ...]:
    """The pod address families: cluster CIDRs, pools, node podCIDRs and pod IPs (primary first)."""
    nets: list[Any] = list(c.config.pod_cidrs)
    nets += [p.cidr for p in c.pools if "Workload" in p.allowed_uses]
    nets += [cidr for n in c.nodes for cidr in n.pod_cidrs]
    nets += [ip for e in pods for ip in e.pod.ips if not e.pod.host_network]
    return families_of(nets)


def _place_pods(c: _Converted, problems: list[Problem]) -> tuple[list[PodEntry], list[Node]]:
    """Expand workloads, settle the nodes, schedule: the pods in input order and the nodes."""
    slots = list(c.pods)
    input_pods = [e for _, entries in c.pods for e in entries]
    families = _pod_families(c, input_pods)
    by_namespace: dict[str, list[Pod]] = {}
    for e in input_pods:
        by_namespace.setdefault(e.pod.namespace, []).append(e.pod)
    owners: dict[str, dict[str, str]] = {}
    for _, w in c.workloads:
        if w.owner:
            owners.setdefault(w.namespace, {})[w.ref] = w.owner
    existing = {
        ns: ExistingPods(by_namespace.get(ns, ()), owners.get(ns, {}))
        for ns in {w.namespace for _, w in c.workloads}
    }
    to_expand = [(pos, w) for pos, w in c.workloads if not existing[w.namespace].covers(w)]
    daemonsets = [(pos, w) for pos, w in to_expand if w.kind == "DaemonSet"]
    slots += [(pos, expand(w, ())) for pos, w in to_expand if w.kind != "DaemonSet"]
    placed = [e for _, entries in slots for e in entries]
    if c.nodes:
        nodes, warnings = add_missing_nodes(c.nodes, placed, families)
        problems.extend(warnings)
    else:
        nodes = default_nodes(placed, families)
    nodes, warnings = carve_pod_cidrs(nodes, c.config.pod_cidrs)
    problems.extend(warnings)
    slots += [(pos, expand(w, nodes)) for pos, w in daemonsets]
    slots.sort(key=lambda slot: slot[0])
    pods = _unique_pods([e for _, entries in slots for e in entries], problems)
    pods, warnings = schedule(pods, nodes)
    problems.extend(warnings)
    return pods, nodes


def _unique_pods(entries: list[PodEntry], problems: list[Problem]) -> list[PodEntry]:
    """Drop expanded pods whose name an input pod (or an earlier expansion) already has."""
    names = {e.pod.ref for e in entries if not e.expanded}
    out = []
    for e in entries:
        if e.expanded:
            if e.pod.ref in names:
                problems.append(
                    Problem(
                        f"pod {e.pod.ref} {e.pod.source.derived} is not modelled: another pod has that name",
                        file=e.pod.source.file,
                        line=e.pod.source.line,
                        kind=e.pod.owner.partition("/")[0] if e.pod.owner else "Pod",
                        namespace=e.pod.namespace,
                        name=e.pod.owner.partition("/")[2] if e.pod.owner else e.pod.name,
                        severity="warning",
                    )
                )
                continue
            names.add(e.pod.ref)
        out.append(e)
    return out


def _unmirrored(
    legacy: Sequence[EndpointSlice], slices: Sequence[EndpointSlice]
) -> list[EndpointSlice]:
    """Legacy Endpoints of Services that have no EndpointSlice.

    A dump of a live cluster holds both for every Service (the controllers
    mirror one into the other); the slices are authoritative.
    """
    covered = {(s.namespace, s.service_name) for s in slices if s.service_name}
    return [s for s in legacy if (s.namespace, s.service_name) not in covered]
