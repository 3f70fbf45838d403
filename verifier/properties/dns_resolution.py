"""Property *dns-resolution*: names resolve, through each pod's search list, to the right records.

Formally, for every pod p of the input (the implicit cluster DNS pods are servers
only) whose resolver uses the cluster DNS (grouped by namespace and resolv.conf,
which is all the walk depends on) and every name n
in the set below, the first search-list candidate that answers n from p is the
name's own record set E(n) (and if E(n) has no records, no candidate answers):

* every Service s: ``s.ns`` and ``s.ns.svc`` from everywhere, ``s`` from s's
  namespace; E = ``s.ns.svc.<zone>``;
* every pod with ``hostname``, ``subdomain`` and an address: ``hostname.subdomain``
  from its namespace; E = its FQDN (records only when a Service named ``subdomain``
  serves it; otherwise nothing may answer the name);
* every name the upstream resolver knows (``ClusterNetwork.externalNames``):
  the name as written; E = the name itself (an in-cluster name must not capture it).

Every name is checked for each record type its owner has (A for IPv4, AAAA for
IPv6: both on a dual-stack cluster; an ExternalName's CNAME answers both). A violation is a name answered by the wrong
candidate (shadowing, §7.7), or not answered at all although its own record set
exists. Each counterexample is replayed by the engine (on the cluster without
its policies, so a blocked lookup does not hide the answer): the name it
resolves, the candidate that answered and the address it connects to must be
the ones shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Cluster, Pod, Service
from ..semantics import dns as dns_rules
from ..symbolic.encoder import Encoder
from ..symbolic.solver import Case
from ..trace import Decider
from .driver import Query, prove
from .result import Counterexample, PropertyResult

NAME = "dns-resolution"
STATEMENT = (
    "every Service, pod hostname and known external name resolves, from every pod that uses the cluster "
    "DNS, through its search list to its own records (A and AAAA): nothing is shadowed or unresolvable"
)


@dataclass(frozen=True)
class _Name:
    """A name as a pod would type it, and the absolute name that must answer it."""

    typed: str
    expected: str
    namespace: str | None  # only pods of this namespace type it (None: every pod)
    obj: object
    qtype: str


def check(
    cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3
) -> PropertyResult:
    # The walk is over names, not packets: every case is decided here, and the
    # driver only orders, limits and explains them.
    def cases() -> list[Case]:
        # One finding per (name, type, wrong answer): the namespaces that see it are listed together.
        grouped: dict = {}
        for kind, pod, n, res in _mismatches(cluster):
            grouped.setdefault(
                (kind, n.typed, n.qtype, n.expected, res.answered_by), (kind, pod, n, res, [])
            )[4].append(pod.namespace)
        return [Case(key, True) for key in grouped.values()]

    enc = Encoder(cluster, cluster.families[0])
    query = Query("names", (enc,), cases, lambda case, _model: _explain(cluster, *case.key))
    return prove(NAME, NAME, STATEMENT, [query], timeout=timeout, limit=max_counterexamples)


def _names(cluster: Cluster) -> list[_Name]:
    zone = cluster.config.cluster_domain.rstrip(".").lower()
    out: list[_Name] = []
    for svc in cluster.services:
        fqdn = f"{svc.name}.{svc.namespace}.svc.{zone}.".lower()
        # An ExternalName's CNAME answers every type: every family of the cluster.
        families = (
            list(cluster.families)
            if svc.type == "ExternalName"
            else [ip.version for ip in svc.cluster_ips]
            or list(svc.ip_families)
            or [cluster.families[0]]
        )
        for qtype in _qtypes(families):
            for typed, ns in (
                (f"{svc.name}.{svc.namespace}", None),
                (f"{svc.name}.{svc.namespace}.svc", None),
                (svc.name, svc.namespace),
            ):
                out.append(_Name(typed, fqdn, ns, svc, qtype))
    for pod in cluster.live_pods:
        if pod.hostname and pod.subdomain and pod.ips:
            fqdn = f"{pod.hostname}.{pod.subdomain}.{pod.namespace}.svc.{zone}.".lower()
            for qtype in _qtypes(pod.families):
                out.append(
                    _Name(f"{pod.hostname}.{pod.subdomain}", fqdn, pod.namespace, pod, qtype)
                )
    for name, ips in cluster.config.external_names:
        for qtype in _qtypes([ip.version for ip in ips]):
            out.append(
                _Name(name.rstrip("."), name.rstrip(".").lower() + ".", None, cluster.config, qtype)
            )
    return out


def _qtypes(families) -> list[str]:
    """A for IPv4, AAAA for IPv6, in the order the families come."""
    return [{4: "A", 6: "AAAA"}[f] for f in dict.fromkeys(families)]


def _queriers(cluster: Cluster) -> list[Pod]:
    """One pod of the input per (namespace, resolv.conf): the search walk depends on nothing else."""
    seen: dict = {}
    # Pod-network pods first: the example a finding shows is the most ordinary client.
    for pod in sorted(cluster.live_pods, key=lambda p: p.host_network):
        if pod.implicit:
            continue  # the cluster DNS pods the loader adds are servers, never clients
        conf = dns_rules.resolver_config(cluster, pod)
        if not conf.uses_cluster_dns:
            continue
        seen.setdefault((pod.namespace, conf), pod)
    return list(seen.values())


def _mismatches(cluster: Cluster) -> list[tuple[str, Pod, _Name, object]]:
    """(kind, querier, name, resolution) for every querier and name that resolves wrong, in
    the order of the names, then of the queriers.

    Two walks that differ only in candidates that exist nowhere give the same answer, so a
    walk is resolved once per distinct list of candidates that may answer. Queriers whose
    resolv.conf differs only in their namespace's search domain (``<ns>.svc.<zone>``) share
    that list for every name nothing under their namespace's domain answers: those are found
    from the names that exist under each namespace, not by walking every querier and name.
    """
    names = _names(cluster)
    expected_cache: dict = {}
    walks: dict = {}
    may_answer = dns_rules.answer_filter(cluster)

    def check(pod: Pod, conf, n: _Name):
        key = (n.expected, n.qtype)
        if key not in expected_cache:
            expected_cache[key] = _own_answer(cluster, n)
        own = expected_cache[key]
        live = [q for q in dns_rules.search_candidates(n.typed, conf) if may_answer(q)]
        walk = (n.typed, n.qtype, tuple(live))
        res = walks.get(walk)
        if res is None:
            res = walks[walk] = dns_rules.resolve(cluster, pod, n.typed, n.qtype)
        if res.answered_by is not None and res.answered_by != n.expected:
            return "shadowed", res
        if res.answered_by is None and own.records:
            return "unresolved", res
        return None

    queriers = [(pod, dns_rules.resolver_config(cluster, pod)) for pod in _queriers(cluster)]
    order = {id(n): i for i, n in enumerate(names)}
    rank = {id(pod): k for k, (pod, _conf) in enumerate(queriers)}
    found = sorted(
        _walk_all(cluster, names, queriers, check),
        key=lambda f: (order[id(f[2])], rank[id(f[1])]),
    )
    return found


def _walk_all(cluster: Cluster, names: list[_Name], queriers: list, check):
    own_names: dict[str, list[_Name]] = {}
    everywhere: dict[str, list[_Name]] = {}  # typed the same way from every namespace
    for n in names:
        if n.namespace is not None:
            own_names.setdefault(n.namespace, []).append(n)
        else:
            everywhere.setdefault(n.typed.strip().lower(), []).append(n)
    zone = cluster.config.cluster_domain.strip().lower().removesuffix(".")
    if not zone or zone.endswith("arpa"):  # (the reverse zones would make the filter differ)
        for pod, conf in queriers:
            for n in names:
                if n.namespace is None or n.namespace == pod.namespace:
                    found = check(pod, conf, n)
                    if found is not None:
                        yield found[0], pod, n, found[1]
        return
    below = dns_rules.names_below_namespaces(cluster)
    templates: dict[tuple, list[tuple[Pod, object]]] = {}
    for pod, conf in queriers:
        for n in own_names.get(pod.namespace, ()):
            found = check(pod, conf, n)
            if found is not None:
                yield found[0], pod, n, found[1]
        domain = dns_rules.namespace_search_domain(cluster, pod.namespace)
        search = tuple(None if d.strip().lower().strip(".") == domain else d for d in conf.search)
        templates.setdefault((search, conf.ndots, conf.options), []).append((pod, conf))
    for members in templates.values():
        # The names something under a member's own namespace domain may answer: walked apart.
        special: dict[int, set[int]] = {}
        for k, (pod, _conf) in enumerate(members):
            for typed in below.get(pod.namespace.lower(), ()):
                for n in everywhere.get(typed, ()):
                    special.setdefault(id(n), set()).add(k)
        for group in everywhere.values():
            for n in group:
                apart = special.get(id(n), set())
                shared = None
                for k, (pod, conf) in enumerate(members):
                    if k in apart:
                        found = check(pod, conf, n)
                    else:
                        if shared is None:
                            shared = (check(pod, conf, n),)
                        found = shared[0]
                        if found is None:
                            if not apart:
                                break  # nobody else of the template walks differently
                            continue
                    if found is not None:
                        yield found[0], pod, n, found[1]


def _own_answer(cluster: Cluster, n: _Name):
    if n.obj is cluster.config:
        return dns_rules.lookup_upstream(cluster, n.expected, n.qtype)
    return dns_rules.lookup(cluster, n.expected, n.qtype)


def _explain(
    cluster: Cluster, kind: str, pod: Pod, n: _Name, res, namespaces: list[str]
) -> Counterexample:
    # The walk again for the pod shown: the one found may be another pod's whose
    # candidates differ only in names that exist nowhere (same answer, other walk).
    res = dns_rules.resolve(cluster, pod, n.typed, n.qtype)
    what = _describe(cluster, n) + (", AAAA" if n.qtype == "AAAA" else "")
    who = _who(namespaces)
    if kind == "shadowed":
        got = ", ".join(r.data for r in res.answers)
        culprits = [r.origin for r in res.answers if r.origin is not None]
        objects = [
            Decider.of(o, source=r.source)
            for r, o in ((r, r.origin) for r in res.answers)
            if o is not None
        ]
        ns = cluster.namespace_by_name.get(
            res.answered_by.split(".")[1] if res.answered_by.count(".") > 3 else ""
        )
        if ns is not None and not culprits:
            objects.append(Decider.of(ns))
        summary = (
            f"{who} looking up {n.typed!r} ({what}) get {got} from {res.answered_by}, "
            f"not {n.expected}: an in-cluster name shadows it"
        )
    else:
        objects = []
        summary = (
            f"{who} cannot resolve {n.typed!r} ({what}): {res.rcode} after trying "
            + ", ".join(a.query_name for a in res.candidates)
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
    """The engine's trace of a connection to the name, on the cluster without its policies (the
    walk does not depend on them): it must be answered by the same name, with one of the same
    addresses, or not at all."""
    from dataclasses import replace

    from ..engine import trace
    from ..errors import SoundnessError

    port, protocol = _probe_port(n, res)
    family = 6 if n.qtype == "AAAA" else 4
    # Nothing but the walk may decide: no policy, and no Felix rule dropping a pod's packets
    # to its own node (where a hostNetwork DNS backend may listen).
    open_cluster = replace(
        cluster,
        policies=(),
        admin_policies=(),
        calico_policies=(),
        config=replace(cluster.config, endpoint_to_host="Accept"),
    )
    t = trace(open_cluster, pod, n.typed, port, protocol, family=family)
    addresses = {r.data for r in res.answers if r.type == n.qtype}
    if addresses and pod.ip(family) is None:
        # The pod has no address of that family: it resolves the name but connects nowhere.
        agrees = t.resolved_by == res.answered_by and t.address is None
    elif addresses:
        agrees = (
            t.resolved_by == res.answered_by
            and t.address is not None
            and str(t.address) in addresses
        )
    else:
        agrees = t.address is None
    if not agrees:
        raise SoundnessError(
            f"dns-resolution: the resolver says {n.typed!r} {n.qtype} from {pod.ref} is answered by "
            f"{res.answered_by} with {sorted(addresses)}, the engine resolves it by {t.resolved_by} to {t.address}"
        )
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
        return Decider(
            "ClusterNetwork",
            "cluster",
            part=f"externalNames[{n.typed}]",
            source=cluster.config.source,
        )
    return Decider.of(n.obj)
