"""User invariants: what a team declares its policies must guarantee, checked with Z3.

The file format (``--invariants FILE``, or ``cluster.check(invariants=[...])``)::

    invariants:
      - name: dev cannot reach prod
        isolated: {from: {namespace: dev}, to: {namespace: prod}}
      - name: only api reaches the database
        only: {to: {namespace: prod, pods: {app: db}}, port: 5432, protocol: TCP,
               from: [{namespace: prod, pods: {app: api}}]}
      - name: frontend reaches the cart
        reach: {from: shop/frontend-0, to: cartservice.shop, port: 7070, expect: allow}

A selector is a mapping with any of ``namespace`` (a name), ``namespaces``
(namespace labels), ``pods`` (pod labels) -- all must hold -- or else an
``ipBlock`` (a CIDR, or ``{cidr, except}``) for hosts outside the cluster.
``from``/``to`` take one selector or a list (any of them). ``port`` and
``protocol`` are optional for ``isolated`` (default: every port and protocol).

Meaning, for every address family, every packet and every allocation:

* ``isolated``: no source matching ``from`` opens a connection to a
  destination matching ``to`` (directly or through any Service frontend);
* ``only``: no source that matches none of ``from`` (pods, and outside hosts
  unless an ipBlock lists them) opens a connection to ``to`` on ``port``/``protocol``;
* ``reach``: the connection from one pod to a pod, IP or DNS name is allowed
  (``expect: allow``) or denied (``expect: deny``) for every allocation.

The node exception is not counted against ``isolated`` or ``only``: a
connection from a pod's own node into the pod is always allowed and no
NetworkPolicy can block it (kubelet probes, node daemons; semantics.md §3.4,
§3.9). A hostNetwork pod *is* its node for policy, so a hostNetwork source
reaching a destination pod on its own node is no counterexample (otherwise no
``only`` invariant could hold on a cluster with a hostNetwork DaemonSet). The
same hostNetwork pod reaching pods on *other* nodes (or its own node's pods
through another node's NodePort) is ordinary traffic from a node address,
matchable by ipBlock only, and is checked like any other source.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import z3

from ..errors import InputError, Problem, UsageError
from ..model import PROTOCOLS, Cluster, IPBlock, Labels, Pod, Source, ip_network
from ..semantics.algebra import Packet
from ..semantics.endpoint import ExternalEndpoint
from ..semantics.pipeline import Client
from ..semantics.selectors import matches, namespace_labels, selector_from_labels
from ..symbolic.encoder import Encoder, Path as FlowPath
from ..semantics.classes import pod_classes
from ..symbolic.solver import Case, search
from ..symbolic.solver import Status as SolverStatus
from ..trace import Decider
from . import flows
from .result import Counterexample, PropertyResult

__all__ = ["Selector", "Invariant", "load_invariants", "parse_invariants", "check_invariant"]

KINDS = ("isolated", "only", "reach")


@dataclass(frozen=True)
class Selector:
    """Pods by namespace name / namespace labels / pod labels (ANDed), or outside hosts by ipBlock."""

    namespace: str | None = None
    namespaces: Labels | None = None
    pods: Labels | None = None
    ip_block: IPBlock | None = None

    def matches_pod(self, cluster: Cluster, pod: Pod) -> bool:
        if self.ip_block is not None:
            return False
        if self.namespace is not None and pod.namespace != self.namespace:
            return False
        if self.namespaces is not None and not matches(selector_from_labels(self.namespaces), namespace_labels(cluster, pod.namespace)):
            return False
        return self.pods is None or matches(selector_from_labels(self.pods), pod.labels)

    def __str__(self) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block}"
        parts = []
        if self.namespace:
            parts.append(f"namespace {self.namespace}")
        if self.namespaces:
            parts.append(f"namespaces [{self.namespaces}]")
        if self.pods:
            parts.append(f"pods [{self.pods}]")
        return " and ".join(parts) or "every pod"


@dataclass(frozen=True)
class Invariant:
    name: str
    kind: str
    sources: tuple[Selector, ...] = ()
    destinations: tuple[Selector, ...] = ()
    port: int | None = None
    protocol: str | None = None
    #: reach: the client pod, the target as typed, and the expected outcome.
    client: str | None = None
    target: str | None = None
    expect_allow: bool = True
    source: Source | None = None

    def describe(self) -> str:
        if self.kind == "reach":
            return f"{self.client} {'reaches' if self.expect_allow else 'does not reach'} {self.target}:{self.port}/{self.protocol or 'TCP'}"
        what = f" on {self.port or '*'}/{self.protocol or '*'}" if (self.port or self.protocol) else ""
        src = " or ".join(map(str, self.sources))
        dst = " or ".join(map(str, self.destinations))
        if self.kind == "isolated":
            return f"nothing in {src} reaches {dst}{what}"
        return f"only {src} reach {dst}{what}"


# --------------------------------------------------------------------------- parsing


def load_invariants(path: str | Path) -> tuple[Invariant, ...]:
    """Read an invariants file; every mistake is reported with its line (:class:`InputError`)."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise InputError([Problem(f"cannot read invariants file: {e.strerror or e}", file=file)]) from None
    return parse_invariants(text, file)


def parse_invariants(data: str | Mapping | Sequence, file: str = "<invariants>") -> tuple[Invariant, ...]:
    """Invariants from YAML text, or from plain Python data (a list of mappings, or ``{"invariants": [...]}``)."""
    from ..ingest.documents import parse_text
    from ..ingest.reader import Origin, Reader

    if isinstance(data, str):
        objs, problems = parse_text(data, file)
        if problems:
            raise InputError(problems)
        if not objs:
            raise InputError([Problem("no invariants in the file", file=file)])
        body = objs[0].body
    else:
        body = _to_map({"invariants": list(data)} if not isinstance(data, Mapping) else data)
    origin = Origin(file, "Invariants")
    top = Reader(body, "", origin)
    out = []
    entries = top.maps("invariants")
    if not entries and "invariants" not in body:
        top.error("invariants", "missing required field")
    for entry in entries:
        inv = _parse_one(entry, file)
        if inv is not None:
            out.append(inv)
    errors = [p for p in origin.problems if p.severity == "error"]
    if errors:
        raise InputError(origin.problems)
    return tuple(out)


def _to_map(value: Any):
    from ..ingest.documents import Map, Seq

    if isinstance(value, Mapping):
        return Map.new({k: _to_map(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        s = Seq(_to_map(v) for v in value)
        s.line = None
        s.item_lines = [None] * len(s)
        return s
    return value


#: The fields of an invariant, and of each kind's body: anything else is a typo, and a
#: typo must not silently widen or narrow a claim (``ports: 80`` for ``port: 80``).
_ENTRY_FIELDS = ("name",) + KINDS
_BODY_FIELDS = {
    "isolated": ("from", "to", "port", "protocol"),
    "only": ("from", "to", "port", "protocol"),
    "reach": ("from", "to", "port", "protocol", "expect"),
}


def _parse_one(r, file: str) -> Invariant | None:
    from ..ingest.policies import reject_unknown

    reject_unknown(r, _ENTRY_FIELDS, "an invariant has")
    name = r.str("name", required=True) or f"invariant at line {r.line}"
    kinds = [k for k in KINDS if r.has(k)]
    if len(kinds) != 1:
        r.error(None, f"give exactly one of {', '.join(KINDS)}" + (f" (got {', '.join(kinds)})" if kinds else ""))
        return None
    kind = kinds[0]
    body = r.map(kind)
    if body is None:
        return None
    reject_unknown(body, _BODY_FIELDS[kind], f"{kind} has")
    src = Source(file, r.line)
    protocol = body.str("protocol", choices=PROTOCOLS)
    port = body.port("port")
    if kind == "reach":
        client = body.str("from", required=True)
        target = body.get("to")
        if target is None:
            body.error("to", "missing required field")
        elif not isinstance(target, (str, int)):
            body.error("to", "expected a pod (ns/name), an IP or a DNS name")
        expect = body.str("expect", default="allow", choices=("allow", "deny"))
        if port is None and not body.has("port"):
            body.error("port", "missing required field")
        return Invariant(name, kind, port=port, protocol=protocol or "TCP", client=client, target=str(target), expect_allow=expect == "allow", source=src)
    sources = _selectors(body, "from", required=True)
    destinations = _selectors(body, "to", required=True)
    if kind == "only" and port is None:
        body.error("port", "missing required field")
    return Invariant(name, kind, sources, destinations, port, protocol, source=src)


def _selectors(r, key: str, *, required: bool) -> tuple[Selector, ...]:
    value = r.get(key)
    if value is None:
        if required:
            r.error(key, "missing required field")
        return ()
    if isinstance(value, list):
        readers = r.maps(key)
    else:
        one = r.map(key)
        readers = [one] if one is not None else []
    return tuple(s for s in (_selector(x) for x in readers) if s is not None)


def _selector(r) -> Selector | None:
    from ..ingest.policies import read_ip_block
    from ..ingest.syntax import cidr_error

    known = {"namespace", "namespaces", "pods", "ipBlock"}
    for k in r.data:
        if k not in known:
            r.error(k, f"unknown selector field (use {', '.join(sorted(known))})")
    if r.has("ipBlock"):
        if any(r.has(k) for k in ("namespace", "namespaces", "pods")):
            r.error("ipBlock", "an ipBlock cannot be combined with namespace or pod selectors")
        raw = r.get("ipBlock")
        if isinstance(raw, str):
            err = cidr_error(raw)
            if err:
                r.error("ipBlock", err)
                return None
            return Selector(ip_block=IPBlock(ip_network(raw)))
        block = read_ip_block(r)  # {cidr, except}: validated as in a NetworkPolicy (§3.6)
        return Selector(ip_block=block) if block is not None else None
    namespaces = r.str_map("namespaces") if r.has("namespaces") else None
    pods = r.str_map("pods") if r.has("pods") else None
    return Selector(r.str("namespace"), Labels(namespaces) if namespaces is not None else None, Labels(pods) if pods is not None else None)


# --------------------------------------------------------------------------- checking


def check_invariant(cluster: Cluster, invariant: Invariant, *, timeout: float = 60.0, max_counterexamples: int = 3) -> PropertyResult:
    """Prove one invariant, or find up to ``max_counterexamples`` flows that break it."""
    start = time.perf_counter()
    if invariant.kind == "reach":
        found, unknown = _check_reach(cluster, invariant, timeout)
    else:
        found, unknown = _check_flows(cluster, invariant, timeout, max_counterexamples)
    seconds = time.perf_counter() - start
    statement = invariant.describe()
    return PropertyResult.decide("invariant", invariant.name, statement, found, unknown, seconds, source=invariant.source)


def _matching(cluster: Cluster, selectors: Iterable[Selector], pods: Iterable[Pod]) -> list[Pod]:
    sels = [s for s in selectors if s.ip_block is None]
    return [p for p in pods if any(s.matches_pod(cluster, p) for s in sels)]


def _by_role(classes: list[list[Pod]], src_pods: set[int], dst_pods: set[int]) -> list[list[Pod]]:
    """Split classes so every member plays the same role in the invariant (source, destination, both).

    Classes follow what the *policies* tell apart; the invariant's own selectors
    may split them further, and a class is judged by its first member.
    """
    out: list[list[Pod]] = []
    for members in classes:
        parts: dict[tuple[bool, bool], list[Pod]] = {}
        for p in members:
            parts.setdefault((id(p) in src_pods, id(p) in dst_pods), []).append(p)
        out.extend(parts.values())
    return out


def _check_flows(cluster: Cluster, inv: Invariant, timeout: float, limit: int):
    found: list[Counterexample] = []
    unknown: list[str] = []
    live = [p for p in cluster.live_pods if p.ips]
    for family in cluster.families:
        if len(found) >= limit:
            break
        enc = Encoder(cluster, family)
        alg = enc.alg
        packet = enc.packet("inv")
        fam_pods = [p for p in live if p.ip(family) is not None]
        dst_pods = set(map(id, _matching(cluster, inv.destinations, fam_pods)))
        if inv.kind == "isolated":
            src_pods = set(map(id, _matching(cluster, inv.sources, fam_pods)))
        else:
            src_pods = set(map(id, fam_pods)) - set(map(id, _matching(cluster, inv.sources, fam_pods)))
        involved = [p for p in fam_pods if id(p) in src_pods | dst_pods]
        classes = _by_role(pod_classes(cluster, involved), src_pods, dst_pods)
        src_classes = [c for c in classes if id(c[0]) in src_pods]
        dst_classes = [c for c in classes if id(c[0]) in dst_pods]
        cond = alg.and_(
            True if inv.port is None else alg.eq(packet.dst_port, inv.port),
            True if inv.protocol is None else alg.eq(packet.protocol, inv.protocol),
        )
        pod_sources = [c for c in src_classes if not c[0].host_network]
        cases = flows.flow_cases(enc, packet, pod_sources, dst_classes, packet_condition=cond)
        for hn in (c for c in src_classes if c[0].host_network):
            # The node exception (module docstring): a hostNetwork class is one node's pods.
            node = hn[0].node_name
            elsewhere = [[p for p in d if p.node_name != node] for d in dst_classes]
            cases += flows.flow_cases(enc, packet, [hn], [d for d in elsewhere if d], packet_condition=cond)
            # Pods on its own node only count when the packet comes back from another node
            # (a remote NodePort or hostPort), not from this one.
            here = [[p for p in d if p.node_name == node] for d in dst_classes]
            cases += flows.flow_cases(
                enc, packet, [hn], [d for d in here if d], packet_condition=cond,
                extra=lambda _s, _d, path, allowed, node=node: (
                    allowed if path.dnat_node is not None and path.dnat_node.name != node else False
                ),
            )
        cases += _external_cases(cluster, enc, inv, packet, cond, dst_classes, fam_pods)
        result = search(enc.solver(timeout), cases, limit - len(found), prefer=flows.prefer_declared_ports(enc, packet))
        if result.status is SolverStatus.UNKNOWN:
            unknown.append(f"IPv{family}: {result.reason}")
        for case, model in result.hits:
            found.append(_explain_flow(cluster, enc, inv, case, model, packet))
    return found, unknown


def _external_cases(cluster, enc, inv, packet, cond, dst_classes, pods) -> list[Case]:
    """Outside hosts as sources: ``isolated`` with an ipBlock source, or ``only`` (anyone not listed)."""
    alg = enc.alg
    blocks = [s.ip_block for s in inv.sources if s.ip_block is not None and s.ip_block.cidr.version == enc.family]
    if inv.kind == "isolated":
        if not blocks:
            return []
        where = alg.or_(*(_in_block(alg, packet.src_ip, b) for b in blocks))
    else:
        where = alg.not_(alg.or_(*(_in_block(alg, packet.src_ip, b) for b in blocks)))
    outside = alg.and_(
        where,
        *(alg.not_(alg.in_cidr(packet.src_ip, n)) for n in cluster.pod_cidrs if n.version == enc.family),
        *(alg.not_(alg.eq(packet.src_ip, ip)) for n in cluster.nodes for ip in n.ips if ip.version == enc.family),
        *(alg.not_(alg.in_cidr(packet.src_ip, n)) for n in cluster.service_cidrs if n.version == enc.family),
    )
    client = Client("outside host", ExternalEndpoint(None), None, ())
    cases = []
    for dst in dst_classes:
        rep = dst[0]
        dst_ep = flows.endpoint_of_pod(enc.cluster, rep)
        paths = [p for p in enc.paths(client, rep) if p.kind != "ClusterIP"]
        if not _routed(cluster):
            paths = [p for p in paths if p.frontend is not None]
        terms = [(p, enc.flow_allowed(client, dst_ep, packet, p)) for p in paths]
        terms = [(p, t) for p, t in terms if t is not False]
        if not terms:
            continue
        formula = alg.and_(cond, outside, enc.one_of(packet.dst_ip, dst), alg.or_(*(t for _, t in terms)))
        if formula is not False:
            cases.append(Case(("external", tuple(dst), tuple(terms)), formula))
    return cases


def _routed(cluster: Cluster) -> bool:
    """Can an outside host address pod IPs directly (BGP-routed pod network, no overlay)?"""
    if cluster.ip_pools:
        return all(p.ipip_mode == "Never" and p.vxlan_mode == "Never" for p in cluster.ip_pools)
    return cluster.config.encapsulation == "routed"


def _in_block(alg, ip, block: IPBlock):
    return alg.and_(alg.in_cidr(ip, block.cidr), *(alg.not_(alg.in_cidr(ip, e)) for e in block.except_))


def _explain_flow(cluster, enc, inv, case, model, packet) -> Counterexample:
    if isinstance(case.key, tuple) and case.key and case.key[0] == "external":
        _, dst, terms = case.key
        concrete = enc.concrete_packet(model, packet)
        dest = enc.pod_at(model, concrete.dst_ip, dst) or dst[0]
        path = next(p for p, t in terms if t is True or z3.is_true(model.eval(t, model_completion=True)))
        w = flows.FlowWitness(_outside_pod(concrete.src_ip), dest, path, concrete, enc.allocation(model))
        from ..replay import replay_connection
        from ..symbolic.encoder import instantiate

        inst = instantiate(cluster, w.allocation)
        t = replay_connection(inst, concrete.src_ip, w.target, w.target_port, concrete.protocol, expect_allowed=True,
                              backend=dest.ref if path.frontend else None, what=f"invariant {inv.name!r}")
        who = f"outside host {concrete.src_ip}"
        pods: tuple[str, ...] = (dest.ref,)
    else:
        w = flows.decode(enc, model, case.key, packet)
        _, t = flows.replay(cluster, w, what=f"invariant {inv.name!r}")
        who = w.source.ref
        dest = w.destination
        pods = (w.source.ref, dest.ref)
    deciders = flows.allowing_deciders(t, dest.ref if w.path.frontend else None)
    because = f"; allowed by {', '.join(d.ref for d in deciders)}" if deciders else "; no policy isolates these pods"
    return Counterexample(
        summary=f"{who} reaches {dest.ref} on {w.packet.dst_port}/{w.packet.protocol} {w.path.describe()}{because}",
        packet=w.packet,
        pods=pods,
        objects=deciders or (Decider.of(dest),),
        traces=(t,),
        allocation=flows.allocation_labels(w, cluster),
        details={"invariant": inv.name, "path": w.path.describe()},
    )


def _outside_pod(ip) -> Pod:
    return Pod(namespace="", name=str(ip))


def _check_reach(cluster: Cluster, inv: Invariant, timeout: float):
    """``reach``: Z3 decides the (possibly allocation-dependent) flow; DNS is concrete."""
    from ..engine import trace

    try:
        t = trace(cluster, inv.client, inv.target, inv.port, inv.protocol or "TCP")
    except UsageError as e:
        raise UsageError(f"invariant {inv.name!r}: {e}") from None
    client_pod = cluster.pod(inv.client)
    family = t.family or (client_pod.families[0] if client_pod.families else 4)
    enc = Encoder(cluster, family)
    alg = enc.alg
    client = Client.of_pod(cluster, client_pod)
    # The packet is fixed (client address, backend address, port, protocol);
    # only the addresses netverify allocated remain unknown.
    protocol = inv.protocol or "TCP"
    terms = []
    resolved = all(h.outcome not in ("nxdomain", "blocked") for h in t.hops if h.step in ("resolve", "dns-query"))
    svc_hop = next((h for h in t.hops if h.step == "service" and h.packet is not None), None)
    for b in t.branches if resolved else ():
        if b.pod is None:
            terms.append(b.reachable)  # a plain address outside the pods: the engine's concrete verdict
            continue
        dst_pod = cluster.pod_by_ref[b.pod]
        dst_ep = flows.endpoint_of_pod(cluster, dst_pod)
        packet = Packet(family, enc.client_ip(client, client_pod), enc.pod_ip(dst_pod), b.port, protocol)
        if svc_hop is None:
            ways = [FlowPath("direct")]
        else:
            ways = [
                p
                for p in enc.paths(client, dst_pod)
                if p.target == (svc_hop.packet.dst_ip, svc_hop.packet.dst_port)
            ]
        terms.extend(enc.flow_allowed(client, dst_ep, packet, path) for path in ways)
    reachable = alg.or_(*terms)
    query = alg.not_(reachable) if inv.expect_allow else reachable
    result = search(enc.solver(timeout), [Case("reach", query)], 1)
    if result.status is SolverStatus.UNKNOWN:
        return [], [f"solver: {result.reason}"]
    if not result.hits:
        return [], []
    model = result.hits[0][1]
    allocation = enc.allocation(model)
    from ..replay import replay_connection
    from ..symbolic.encoder import instantiate

    inst = instantiate(cluster, allocation)
    t2 = replay_connection(inst, inv.client, inv.target, inv.port, inv.protocol or "TCP", expect_allowed=not inv.expect_allow, what=f"invariant {inv.name!r}")
    verdict = "is not reachable" if inv.expect_allow else "is reachable"
    if inv.expect_allow:
        deciders = tuple(d for h in t2.all_hops if h.outcome in ("denied", "nxdomain", "blocked", "reject", "drop") for d in h.deciders)
    else:
        deciders = flows.allowing_deciders(t2)
    return [
        Counterexample(
            summary=f"{inv.target}:{inv.port}/{inv.protocol or 'TCP'} {verdict} from {inv.client} ({t2.verdict})",
            pods=(inv.client,),
            objects=deciders,
            traces=(t2,),
            allocation={ref: str(ip) for (ref, _f), ip in allocation.items() if ref == inv.client},
            details={"invariant": inv.name},
        )
    ], []
