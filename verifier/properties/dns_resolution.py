"""Property *dns-resolution*: names resolve, through each pod's search list, to the right records.

Formally, for every pod p whose resolver uses the cluster DNS (grouped by
namespace and resolv.conf, which is all the walk depends on) and every name n
in the set below, the first search-list candidate that answers n from p is the
name's own record set E(n) (and if E(n) has no records, no candidate answers):

* every Service s: ``s.ns`` and ``s.ns.svc`` from everywhere, ``s`` from s's
  namespace; E = ``s.ns.svc.<zone>``;
* every pod with ``hostname`` and ``subdomain`` served by a headless Service:
  ``hostname.subdomain`` from its namespace; E = its FQDN;
* every name the upstream resolver knows (``ClusterNetwork.externalNames``):
  the name as written; E = the name itself (an in-cluster name must not capture it).

A violation is a name answered by the wrong candidate (shadowing, §7.7), or not
answered at all although its own record set exists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..model import Cluster, Pod, Service
from ..semantics import dns as dns_rules
from ..symbolic.encoder import Encoder
from ..symbolic.solver import Case, search
from ..symbolic.solver import Status as SolverStatus
from ..trace import Decider
from .result import Counterexample, PropertyResult

NAME = "dns-resolution"
STATEMENT = (
    "every Service, pod hostname and known external name resolves, from every pod that uses the cluster "
    "DNS, through its search list to its own records: nothing is shadowed or unresolvable"
)


@dataclass(frozen=True)
class _Name:
    """A name as a pod would type it, and the absolute name that must answer it."""

    typed: str
    expected: str
    namespace: str | None  # only pods of this namespace type it (None: every pod)
    obj: object
    qtype: str


def check(cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3) -> PropertyResult:
    start = time.perf_counter()
    enc = Encoder(cluster, cluster.families[0])
    # One finding per (name, wrong answer): the namespaces that see it are listed together.
    grouped: dict = {}
    for kind, pod, n, res in _mismatches(cluster):
        grouped.setdefault((kind, n.typed, n.expected, res.answered_by), (kind, pod, n, res, []))[4].append(pod.namespace)
    cases = [Case(key, True) for key in grouped.values()]
    result = search(enc.solver(timeout), cases, max_counterexamples)
    seconds = time.perf_counter() - start
    found = tuple(_explain(cluster, *case.key) for case, _m in result.hits)
    return PropertyResult.decide(NAME, NAME, STATEMENT, found, [result.reason] if result.status is SolverStatus.UNKNOWN else [], seconds)


def _names(cluster: Cluster) -> list[_Name]:
    zone = cluster.config.cluster_domain.rstrip(".").lower()
    out: list[_Name] = []
    for svc in cluster.services:
        fqdn = f"{svc.name}.{svc.namespace}.svc.{zone}.".lower()
        qtype = "AAAA" if svc.cluster_ips and svc.cluster_ips[0].version == 6 else "A"
        if svc.headless and svc.ip_families and svc.ip_families[0] == 6:
            qtype = "AAAA"
        for typed, ns in ((f"{svc.name}.{svc.namespace}", None), (f"{svc.name}.{svc.namespace}.svc", None), (svc.name, svc.namespace)):
            out.append(_Name(typed, fqdn, ns, svc, qtype))
    for pod in cluster.live_pods:
        if pod.hostname and pod.subdomain and pod.ips:
            fqdn = f"{pod.hostname}.{pod.subdomain}.{pod.namespace}.svc.{zone}.".lower()
            qtype = "A" if pod.ips[0].version == 4 else "AAAA"
            out.append(_Name(f"{pod.hostname}.{pod.subdomain}", fqdn, pod.namespace, pod, qtype))
    for name, ips in cluster.config.external_names:
        qtype = "A" if any(ip.version == 4 for ip in ips) else "AAAA"
        out.append(_Name(name.rstrip("."), name.rstrip(".").lower() + ".", None, cluster.config, qtype))
    return out


def _queriers(cluster: Cluster) -> list[Pod]:
    """One pod per (namespace, resolv.conf): the search walk depends on nothing else."""
    seen: dict = {}
    # Pod-network pods first: the example a finding shows is the most ordinary client.
    for pod in sorted(cluster.live_pods, key=lambda p: p.host_network):
        conf = dns_rules.resolver_config(cluster, pod)
        if not conf.uses_cluster_dns:
            continue
        seen.setdefault((pod.namespace, conf), pod)
    return list(seen.values())


def _mismatches(cluster: Cluster):
    names = _names(cluster)
    expected_cache: dict = {}
    # Two pods whose walks differ only in names that exist nowhere get the same
    # answer: resolve once per distinct list of candidates that may answer.
    walks: dict = {}
    for pod in _queriers(cluster):
        conf = dns_rules.resolver_config(cluster, pod)
        for n in names:
            if n.namespace is not None and n.namespace != pod.namespace:
                continue
            key = (n.expected, n.qtype)
            if key not in expected_cache:
                expected_cache[key] = _own_answer(cluster, n)
            own = expected_cache[key]
            live = tuple(q for q in dns_rules.search_candidates(n.typed, conf) if dns_rules.may_answer(cluster, q))
            walk = (n.typed, n.qtype, live)
            res = walks.get(walk)
            if res is None:
                res = walks[walk] = dns_rules.resolve(cluster, pod, n.typed, n.qtype)
            if res.answered_by is not None and res.answered_by != n.expected:
                yield ("shadowed", pod, n, res)
            elif res.answered_by is None and own.records:
                yield ("unresolved", pod, n, res)


def _own_answer(cluster: Cluster, n: _Name):
    if n.obj is cluster.config:
        return dns_rules.lookup_upstream(cluster, n.expected, n.qtype)
    return dns_rules.lookup(cluster, n.expected, n.qtype)


def _explain(cluster: Cluster, kind: str, pod: Pod, n: _Name, res, namespaces: list[str]) -> Counterexample:
    what = _describe(cluster, n)
    who = _who(namespaces)
    if kind == "shadowed":
        got = ", ".join(r.data for r in res.answers)
        culprits = [r.origin for r in res.answers if r.origin is not None]
        objects = [Decider.of(o, source=r.source) for r, o in ((r, r.origin) for r in res.answers) if o is not None]
        ns = cluster.namespace_by_name.get(res.answered_by.split(".")[1] if res.answered_by.count(".") > 3 else "")
        if ns is not None and not culprits:
            objects.append(Decider.of(ns))
        summary = (
            f"{who} looking up {n.typed!r} ({what}) get {got} from {res.answered_by}, "
            f"not {n.expected}: an in-cluster name shadows it"
        )
    else:
        objects = []
        summary = f"{who} cannot resolve {n.typed!r} ({what}): {res.rcode} after trying " + ", ".join(
            a.query_name for a in res.candidates
        )
    objects.append(_decider(cluster, n))
    return Counterexample(
        summary=summary,
        pods=(pod.ref,),
        objects=tuple(dict.fromkeys(objects)),
        traces=(_replay(cluster, pod, n, res),),
        details={
            "name": n.typed,
            "type": n.qtype,
            "expected": n.expected,
            "answered_by": res.answered_by,
            "answers": [r.data for r in res.answers],
            "search": [f"{a.query_name} {a.rcode}" for a in res.candidates],
            "namespaces": sorted(set(namespaces)),
        },
    )


def _replay(cluster: Cluster, pod: Pod, n: _Name, res):
    """The engine's trace of a connection to the name: its resolve hop must tell the same story."""
    from ..engine import trace
    from ..errors import SoundnessError

    port, protocol = _probe_port(n, res)
    family = 6 if n.qtype == "AAAA" else 4
    t = trace(cluster, pod, n.typed, port, protocol, family=family)
    hop = next((h for h in t.hops if h.step == "resolve"), None)
    agrees = hop is not None and (
        (res.answered_by is not None and hop.outcome == "resolved" and res.answered_by in hop.detail)
        or (res.answered_by is None and hop.outcome != "resolved")
    )
    if not agrees and not any(h.step == "dns-query" and h.outcome == "blocked" for h in t.hops):
        raise SoundnessError(f"dns-resolution: the resolver says {n.typed!r} from {pod.ref} is answered by {res.answered_by}, the engine's trace disagrees")
    return t


def _probe_port(n: _Name, res) -> tuple[int, str]:
    """A port worth connecting to: the answering Service's, the named object's, else HTTPS."""
    for obj in [r.origin for r in res.answers] + [n.obj]:
        if isinstance(obj, Service) and obj.ports:
            return obj.ports[0].port, obj.ports[0].protocol
        if isinstance(obj, Pod):
            first = next(obj.ports, None)
            if first is not None:
                return first.container_port, first.protocol
    return 443, "TCP"


def _who(namespaces: list[str]) -> str:
    names = sorted(set(namespaces))
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return f"pods in {shown}"


def _describe(cluster: Cluster, n: _Name) -> str:
    if n.obj is cluster.config:
        return "an external name"
    return f"{n.obj.kind} {n.obj.ref}"


def _decider(cluster: Cluster, n: _Name) -> Decider:
    if n.obj is cluster.config:
        return Decider("ClusterNetwork", "cluster", part=f"externalNames[{n.typed}]", source=cluster.config.source)
    return Decider.of(n.obj)
