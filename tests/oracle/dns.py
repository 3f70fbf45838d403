"""The oracle for ``dns-resolution``: DNS variety for the generated clusters, and an independent resolver.

Two halves:

* :func:`with_dns_variety` gives a share (:data:`SHARE`) of the generated clusters the DNS
  corners semantics.md §7 describes, from its own random stream (``seed * 7919 + 2``, so the
  clusters of other seeds stay what they were): a non-default cluster domain, Services named
  like namespaces, namespaces ``com``/``svc``/``pod``, headless Services (by selector over pods
  with ``hostname``/``subdomain``, or selector-less with hand-written EndpointSlices carrying
  endpoint hostnames, ready or not, ``publishNotReadyAddresses`` or not), ExternalName
  Services, external names an in-cluster name captures, node search domains and
  nameservers, pods with ``dnsPolicy`` None/Default/ClusterFirstWithHostNet and ``dnsConfig``
  (searches, ``ndots`` 1..5). It adds namespaces and Services, never pods, and its ClusterIP
  Services use port 80/TCP, so the judge's flow enumeration costs about the same.
* :func:`check_dns_resolution` enumerates, for every live pod whose resolver asks the cluster
  DNS and every name of the property's name set (its module docstring) and record type, the
  glibc search walk (§7.7) against a zone written here from §7.1-7.5 (never from
  ``verifier.semantics.dns``), and compares the violations with the property's answer.

The readings taken where the statement or semantics.md leave room, each said once:

* the name set: every Service (``s.ns`` and ``s.ns.svc`` from everywhere, ``s`` from its
  namespace), every live pod with ``hostname``, ``subdomain`` and an address (``h.sub`` from its
  namespace: its FQDN, whether or not a headless Service serves it: then nothing may answer
  it), every external name (as written, from everywhere);
* record types: a Service's are the families of its cluster IPs (a headless Service: its
  ``ipFamilies``); an ExternalName Service's CNAME answers every type, so the cluster's
  families; a pod's, its addresses' families; an external name's, its addresses' families;
* the clients: live pods the input shows (the implicit DNS pods are servers, never clients:
  issue 10) whose first nameserver is the cluster DNS (kubelet's ``clusterDNS``: the
  configured addresses, else kube-system/kube-dns's ClusterIPs, else the tenth address of the
  first Service range);
* a ready endpoint (§7.2): ``ready`` true, or any endpoint of a Service with
  ``publishNotReadyAddresses``, in hand-written slices too; an endpoint's label is its
  hostname, else its dashed address, for every Service with endpoints (CoreDNS answers
  ``<label>.<svc>.<ns>.svc.<zone>`` for non-headless Services too);
* A and AAAA are separate walks (§7.7's last paragraph); an answer carrying any record (a
  CNAME whose target has no address included) stops the walk.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from ipaddress import ip_address

from tests.builders import endpoint, endpoint_slice, namespace, service
from verifier.model import Cluster, DNSConfig, Pod, Service

__all__ = [
    "SHARE",
    "Conf",
    "Name",
    "Walk",
    "Zone",
    "candidates",
    "check_dns_resolution",
    "cluster_dns",
    "dns_names",
    "resolv_conf",
    "violations",
    "walk",
    "with_dns_variety",
]

#: The share of generated clusters that get DNS variety.
SHARE = 0.4

NOERROR, NODATA, NXDOMAIN = "NOERROR", "NODATA", "NXDOMAIN"
_QTYPE = {4: "A", 6: "AAAA"}
_FAMILY = {"A": 4, "AAAA": 6}


# =========================================================================== the resolver


def _norm(name: str) -> str:
    return name.strip().lower().rstrip(".")


def _under(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def cluster_dns(c: Cluster) -> tuple:
    """kubelet's ``clusterDNS`` (§7.6, with the project's conventions: docs/cluster-network.md)."""
    if c.config.cluster_dns:
        return tuple(c.config.cluster_dns)
    if c.config.dns_profile == "nodelocal":
        return (ip_address("169.254.20.10"),)
    dns = next(
        (s for s in c.services if s.namespace == "kube-system" and s.name == "kube-dns"), None
    )
    if dns is not None and dns.cluster_ips:
        return tuple(dns.cluster_ips)
    return (c.service_cidrs[0].network_address + 10,)


@dataclass(frozen=True)
class Conf:
    """A pod's resolv.conf, as far as the walk needs it."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    ndots: int
    policy: str
    #: The first nameserver (the one glibc asks) is the cluster DNS.
    cluster: bool


def resolv_conf(c: Cluster, p: Pod) -> Conf:
    """§7.6: the nameservers, search list and ndots kubelet gives ``p``."""
    zone = _norm(c.config.cluster_domain)
    dns = [str(ip) for ip in cluster_dns(c)]
    node_search = [s.rstrip(".") for s in c.config.node_search]
    node_servers = list(c.config.node_nameservers)
    policy = p.dns_policy
    options: dict[str, str] = {}
    if policy == "None":
        servers, search, effective = [], [], "None"
    elif policy == "ClusterFirstWithHostNet" or (policy == "ClusterFirst" and not p.host_network):
        servers = list(dns)
        search = [f"{p.namespace}.svc.{zone}", f"svc.{zone}", zone] + node_search
        options = {"ndots": "5"}
        effective = "ClusterFirst"
    else:  # Default, or ClusterFirst on the host network
        servers, search, effective = node_servers, list(node_search), "Default"
    if p.dns_config is not None:
        servers += list(p.dns_config.nameservers)
        search += list(p.dns_config.searches)
        for key, value in p.dns_config.options:
            options[key] = value or ""
    servers = list(dict.fromkeys(servers))[:3]
    search = [s for s in dict.fromkeys(search) if s][:32]
    ndots = 1  # glibc's default
    if "ndots" in options and options["ndots"].isdigit():
        ndots = min(int(options["ndots"]), 15)
    first = servers[0] if servers else None
    return Conf(tuple(servers), tuple(search), ndots, effective, first is not None and first in dns)


def candidates(name: str, conf: Conf) -> list[str]:
    """§7.7 steps 1-3: the absolute names glibc asks for ``name``, in order."""
    name = name.strip().lower()
    if name.endswith("."):
        return [name]
    dots = name.count(".")
    out = [name + "."] if dots >= conf.ndots else []
    out += [f"{name}.{d.lower().strip('.')}." for d in conf.search]
    if dots < conf.ndots:
        out.append(name + ".")
    return out


@dataclass(frozen=True)
class Answer:
    status: str  # NOERROR (records), NODATA or NXDOMAIN
    #: (type, data, what it comes from), data an address or a CNAME target.
    records: tuple = ()


@dataclass
class _Endpoint:
    ip: object
    label: str
    what: str


class Zone:
    """The cluster DNS (CoreDNS, kubeadm Corefile: §7.1-7.5) and the upstream resolvers of ``c``."""

    def __init__(self, c: Cluster):
        self.c = c
        self.zone = _norm(c.config.cluster_domain)
        self.namespaces = {n.name.lower() for n in c.namespaces}
        self.namespaces |= {s.namespace.lower() for s in c.services}
        self.namespaces |= {p.namespace.lower() for p in c.pods}
        self.services = {(s.namespace.lower(), s.name.lower()): s for s in reversed(c.services)}
        self.upstream_table: dict[str, list] = {}
        for name, ips in c.config.external_names:
            self.upstream_table.setdefault(_norm(name), []).extend(ips)
        self._eps: dict[str, list[_Endpoint]] = {}
        self._memo: dict = {}

    # ----- endpoints (§6.3, §7.2)

    def endpoints(self, s: Service) -> list[_Endpoint]:
        """The ready endpoints of ``s``, both families: its EndpointSlices when the input has
        any, else the controller's from the selector."""
        if s.ref in self._eps:
            return self._eps[s.ref]
        out: list[_Endpoint] = []
        slices = [
            sl
            for sl in self.c.endpoint_slices
            if sl.namespace == s.namespace and sl.service_name == s.name
        ]
        if [sl for sl in slices if not sl.legacy]:
            slices = [sl for sl in slices if not sl.legacy]
        if s.type == "ExternalName":
            pass
        elif slices:
            for sl in slices:
                family = {"IPv4": 4, "IPv6": 6}.get(sl.address_type)
                for e in sl.endpoints:
                    if not e.addresses or e.addresses[0].version != family:
                        continue
                    if e.ready or s.publish_not_ready_addresses:
                        ip = e.addresses[0]
                        out.append(
                            _Endpoint(
                                ip, (e.hostname or _dashed(ip)).lower(), f"EndpointSlice {sl.ref}"
                            )
                        )
        elif s.selector:
            families = s.ip_families or tuple(ip.version for ip in s.cluster_ips[:1]) or (4, 6)
            for p in self.c.pods:
                if p.namespace != s.namespace or p.terminal:
                    continue
                if any(p.labels.get(k) != v for k, v in s.selector.items()):
                    continue
                ready = s.publish_not_ready_addresses or (p.ready and not p.terminating)
                if not ready:
                    continue
                for family in families:
                    ip = next((a for a in p.ips if a.version == family), None)
                    if ip is None:
                        continue
                    label = p.hostname if p.hostname and p.subdomain == s.name else _dashed(ip)
                    out.append(_Endpoint(ip, label.lower(), f"pod {p.ref}"))
        self._eps[s.ref] = out
        return out

    # ----- the servers

    def upstream(self, name: str, qtype: str) -> Answer:
        ips = self.upstream_table.get(_norm(name))
        if ips is None:
            return Answer(NXDOMAIN)
        recs = tuple((qtype, str(ip), "upstream") for ip in ips if ip.version == _FAMILY[qtype])
        return Answer(NOERROR if recs else NODATA, recs)

    def lookup(self, name: str, qtype: str) -> Answer:
        """What the cluster DNS answers for the absolute ``name``."""
        key = (_norm(name), qtype)
        if key not in self._memo:
            self._memo[key] = self._lookup(key[0], qtype, 0)
        return self._memo[key]

    def _lookup(self, name: str, qtype: str, depth: int) -> Answer:
        if not _under(name, self.zone):
            return self.upstream(name, qtype)  # forwarded (§7.5)
        rel = name[: -len(self.zone)].rstrip(".")
        labels = rel.split(".") if rel else []
        if not labels or labels in (["svc"], ["pod"]):
            return Answer(NODATA)  # the zone's apexes
        kind = labels[-1]
        if kind not in ("svc", "pod"):
            return Answer(NXDOMAIN)
        ns = labels[-2]
        if ns not in self.namespaces:
            return Answer(NXDOMAIN)
        if len(labels) == 2:
            return Answer(NODATA)  # <ns>.svc / <ns>.pod of an existing namespace
        if len(labels) > 5:
            return Answer(NXDOMAIN)  # too many labels
        first = labels[-3]
        rest = labels[:-3]
        if kind == "pod":
            return self._pod(first, ns, qtype)
        s = self.services.get((ns, first))
        if s is None:
            return Answer(NXDOMAIN)
        fqdn = f"{s.name}.{s.namespace}.svc.{self.zone}".lower()
        if s.type == "ExternalName":
            target = _norm(s.external_name or "")
            if rest or not target or _is_ip(target):
                return Answer(NXDOMAIN)
            cname = ("CNAME", target + ".", f"ExternalName {s.ref}")
            if _under(target, fqdn) or depth > 7:
                return Answer(NODATA)
            if _under(target, self.zone):
                more = self._lookup(target, qtype, depth + 1)
                return Answer(NOERROR, (cname, *more.records)) if more.records else Answer(NODATA)
            return Answer(NOERROR, (cname, *self.upstream(target, qtype).records))
        if len(rest) == 2:  # _port._proto: matches a named port
            port, proto = (x.removeprefix("_") for x in rest)
            if s.headless:
                return Answer(NXDOMAIN)  # (never asked with a port by the names checked)
            if not any(
                (sp.name or "").lower() == port and sp.protocol.lower() == proto for sp in s.ports
            ):
                return Answer(NXDOMAIN)
            return self._addresses([(ip, f"Service {s.ref}") for ip in s.cluster_ips], qtype)
        if rest or s.headless:
            eps = self.endpoints(s)
            if rest:
                eps = [e for e in eps if e.label == rest[0]]
            if not eps:
                return Answer(NXDOMAIN)  # headless without a ready endpoint, or no such hostname
            return self._addresses([(e.ip, e.what) for e in eps], qtype)
        return self._addresses([(ip, f"Service {s.ref}") for ip in s.cluster_ips], qtype)

    def _addresses(self, ips, qtype: str) -> Answer:
        recs = []
        for ip, what in ips:
            r = (qtype, str(ip), what)
            if ip.version == _FAMILY[qtype] and all(x[1] != r[1] for x in recs):
                recs.append(r)
        return Answer(NOERROR if recs else NODATA, tuple(recs))

    def _pod(self, label: str, ns: str, qtype: str) -> Answer:
        mode = self.c.config.dns_pods
        if mode == "disabled":
            return Answer(NXDOMAIN)
        text = (
            label.replace("-", ".")
            if label.count("-") == 3 and "--" not in label
            else label.replace("-", ":")
        )
        try:
            ip = ip_address(text)
        except ValueError:
            return Answer(NXDOMAIN)
        if mode == "verified" and not any(
            p.namespace.lower() == ns
            and p.ips
            and p.ips[0] == ip
            and not p.terminal
            and not p.terminating
            for p in self.c.pods
        ):
            return Answer(NXDOMAIN)
        return self._addresses([(ip, "pod record")], qtype)


def _is_ip(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _dashed(ip) -> str:
    if ip.version == 4:
        return str(ip).replace(".", "-")
    label = str(ip).replace(":", "-")
    return label + "0" if label.endswith("-") else label


@dataclass
class Walk:
    """One search walk: each candidate with its answer, and who answered (None: nobody)."""

    steps: list[tuple[str, Answer]]
    answered_by: str | None

    @property
    def records(self) -> tuple:
        return self.steps[-1][1].records if self.answered_by else ()

    def text(self) -> str:
        return ", ".join(
            f"{q} {a.status}" + (f" {[r[1] for r in a.records]}" if a.records else "")
            for q, a in self.steps
        )


def walk(zone: Zone, conf: Conf, name: str, qtype: str) -> Walk:
    """§7.7 step 4: ask each candidate until one answers with records."""
    steps = []
    for q in candidates(name, conf):
        a = zone.lookup(q, qtype) if conf.cluster else zone.upstream(q, qtype)
        steps.append((q, a))
        if a.records:
            return Walk(steps, q)
    return Walk(steps, None)


# =========================================================================== the claim


@dataclass(frozen=True)
class Name:
    """A name of the property's set: as typed, the absolute name that must answer it, who types it."""

    typed: str
    expected: str
    qtype: str
    #: Only pods of this namespace type it (None: every pod).
    namespace: str | None
    owner: str
    upstream: bool = False


def dns_names(c: Cluster) -> list[Name]:
    """The name set of the property's statement (read as the module docstring says)."""
    zone = _norm(c.config.cluster_domain)
    out = []
    for s in c.services:
        fqdn = f"{s.name}.{s.namespace}.svc.{zone}.".lower()
        if s.type == "ExternalName":
            families = c.families
        elif s.headless:
            families = s.ip_families or (4, 6)
        else:
            families = tuple(ip.version for ip in s.cluster_ips) or s.ip_families
        for f in dict.fromkeys(families):
            for typed, ns in (
                (f"{s.name}.{s.namespace}", None),
                (f"{s.name}.{s.namespace}.svc", None),
                (s.name, s.namespace),
            ):
                out.append(Name(typed.lower(), fqdn, _QTYPE[f], ns, f"Service {s.ref}"))
    for p in c.live_pods:
        if p.hostname and p.subdomain and p.ips:
            fqdn = f"{p.hostname}.{p.subdomain}.{p.namespace}.svc.{zone}.".lower()
            for f in dict.fromkeys(ip.version for ip in p.ips):
                out.append(
                    Name(
                        f"{p.hostname}.{p.subdomain}".lower(),
                        fqdn,
                        _QTYPE[f],
                        p.namespace,
                        f"Pod {p.ref}",
                    )
                )
    for name, ips in c.config.external_names:
        for f in dict.fromkeys(ip.version for ip in ips):
            n = _norm(name)
            out.append(Name(n, n + ".", _QTYPE[f], None, "an external name", upstream=True))
    return out


@dataclass
class Violation:
    kind: str  # shadowed or unresolved
    name: Name
    answered_by: str | None
    #: pod ref -> its walk
    pods: dict[str, Walk] = field(default_factory=dict)
    own: Answer | None = None

    @property
    def namespaces(self) -> set[str]:
        return {ref.split("/", 1)[0] for ref in self.pods}


def clients(c: Cluster) -> list[tuple[Pod, Conf]]:
    """Every live pod of the input whose first nameserver is the cluster DNS, with its resolv.conf."""
    out = []
    for p in c.live_pods:
        if p.implicit:
            continue
        conf = resolv_conf(c, p)
        if conf.cluster:
            out.append((p, conf))
    return out


def violations(c: Cluster, zone: Zone | None = None) -> dict[tuple, Violation]:
    """Brute force: every client, every name, every type. Keyed by (typed, type, expected, answered_by)."""
    zone = zone or Zone(c)
    names = dns_names(c)
    own: dict = {}
    found: dict[tuple, Violation] = {}
    for p, conf in clients(c):
        for n in names:
            if n.namespace is not None and n.namespace != p.namespace:
                continue
            key = (n.expected, n.qtype)
            if key not in own:
                own[key] = (
                    zone.upstream(n.expected, n.qtype)
                    if n.upstream
                    else zone.lookup(n.expected, n.qtype)
                )
            w = walk(zone, conf, n.typed, n.qtype)
            if w.answered_by is not None and w.answered_by != n.expected:
                kind = "shadowed"
            elif w.answered_by is None and own[key].records:
                kind = "unresolved"
            else:
                continue
            v = found.setdefault(
                (n.typed, n.qtype, n.expected, w.answered_by),
                Violation(kind, n, w.answered_by, own=own[key]),
            )
            v.pods[p.ref] = w
    return found


# =========================================================================== the judge's check


def check_dns_resolution(ctx, report) -> None:
    """``dns-resolution`` against :func:`violations`: VIOLATED exactly when some violation exists,
    every counterexample one of them (name, type, expected, answering candidate, addresses, the
    walk of the pod it shows, the namespaces whose pods see it: all of them, no other)."""
    from tests.oracle import judge as J

    result = J._run_property(ctx, report, "dns-resolution")
    if result is None:
        return
    c = ctx.c
    zone = Zone(c)
    found = violations(c, zone)
    status = result.status.value

    def mismatch(kind: str, text: str) -> None:
        report.mismatches.append(
            J.Mismatch(
                f"{kind}{ctx.suffix}",
                f"{ctx.header()}\n{describe_dns(c)}\n{J._answer(result)}\n  {text}",
            )
        )

    if status == "unknown":
        mismatch("dns-resolution UNKNOWN", f"reason: {result.reason}")
        return
    if status == "holds":
        if found:
            v = next(iter(found.values()))
            mismatch(f"false HOLDS: dns-resolution ({v.kind})", _violation_text(v))
        return
    if not found:
        mismatch("bogus VIOLATED: dns-resolution (the oracle finds no violation)", "")
    if not result.counterexamples:
        mismatch("VIOLATED without a counterexample: dns-resolution", "")
    for cx in result.counterexamples:
        d = cx.details
        key = (d.get("name"), d.get("type"), d.get("expected"), d.get("answered_by"))
        v = found.get(key)
        head = f"counterexample {cx.summary}\n    details {d}\n  "
        if v is None:
            near = [x for k, x in found.items() if k[:3] == key[:3]]
            mismatch(
                "bogus counterexample: dns-resolution (no such violation)",
                head
                + "the oracle finds no violation of that name, type and answer"
                + (f"; for that name it finds: {_violation_text(near[0])}" if near else "")
                + "\n  "
                + _walks_for(c, zone, key[0], key[1], cx.pods),
            )
            continue
        problems = []
        listed = set(d.get("namespaces", ()))
        if listed - v.namespaces:
            problems.append(f"pods of {sorted(listed - v.namespaces)} do not see it")
        if v.namespaces - listed:
            problems.append(
                f"pods of {sorted(v.namespaces - listed)} see it too but are not listed"
            )
        pod = cx.pods[0] if cx.pods else None
        if pod not in v.pods:
            problems.append(f"the pod shown, {pod}, does not see it")
        else:
            mine = [f"{q} {a.status}" for q, a in v.pods[pod].steps]
            if list(d.get("search", ())) != mine:
                problems.append(f"the walk shown is not {pod}'s: {mine}")
        want = {r[1] for r in (v.pods[pod].records if pod in v.pods else ()) if r[0] == key[1]}
        got = {a for a in d.get("answers", ()) if _is_ip(a)}
        if want != got and pod in v.pods:
            problems.append(f"the addresses are {sorted(want)}, not {sorted(got)}")
        if problems:
            mismatch(
                "bogus counterexample: dns-resolution ("
                + problems[0].split(",")[0].split(":")[0]
                + ")",
                head + "; ".join(problems) + "\n  oracle: " + _violation_text(v),
            )


def _violation_text(v: Violation) -> str:
    ref, w = next(iter(sorted(v.pods.items())))
    what = f"{v.name.owner} {v.name.qtype}"
    own = f"its own records {[r[1] for r in v.own.records]} ({v.own.status})" if v.own else ""
    return (
        f"{v.kind}: {ref} (and {len(v.pods) - 1} more pods, namespaces {sorted(v.namespaces)}) looking up "
        f"{v.name.typed!r} ({what}, expected {v.name.expected}, {own}) is answered by {v.answered_by}; "
        f"walk: {w.text()}"
    )


def _walks_for(c: Cluster, zone: Zone, typed, qtype, pods) -> str:
    lines = []
    for ref in pods:
        p = c.pod_by_ref.get(ref)
        if p is None or qtype not in _FAMILY:
            continue
        conf = resolv_conf(c, p)
        lines.append(f"{ref} ({conf}): {walk(zone, conf, typed or '', qtype).text()}")
    return "\n  ".join(lines)


def describe_dns(c: Cluster) -> str:
    """What the DNS depends on, which ``describe`` does not show."""
    lines = [
        f"dns: zone {c.config.cluster_domain}; clusterDNS {[str(i) for i in cluster_dns(c)]}; "
        f"node search {list(c.config.node_search)}; node nameservers {list(c.config.node_nameservers)}; "
        f"pods {c.config.dns_pods}; externalNames "
        f"{[(n, [str(i) for i in ips]) for n, ips in c.config.external_names]}"
    ]
    for p in c.pods:
        extra = []
        if p.dns_policy != "ClusterFirst" or p.host_network:
            extra.append(f"dnsPolicy {p.dns_policy}" + (" hostNetwork" if p.host_network else ""))
        if p.dns_config is not None:
            extra.append(f"dnsConfig {p.dns_config}")
        if p.hostname or p.subdomain:
            extra.append(f"hostname {p.hostname} subdomain {p.subdomain}")
        if extra:
            lines.append(f"  pod {p.ref}: " + "; ".join(extra))
    for s in c.services:
        if s.headless or s.type == "ExternalName":
            lines.append(
                f"  service {s.ref} "
                + (
                    f"ExternalName {s.external_name}"
                    if s.type == "ExternalName"
                    else f"headless {list(s.ip_families)}"
                )
            )
    for sl in c.endpoint_slices:
        hosts = [
            (str(e.addresses[0]) if e.addresses else "-", e.hostname, e.ready) for e in sl.endpoints
        ]
        lines.append(f"  endpointslice {sl.ref} (address, hostname, ready): {hosts}")
    return "\n".join(lines)


# =========================================================================== the generator

#: Upstream names and addresses (addresses the judge already counts as outside hosts).
_UPSTREAM = {4: "8.8.8.8", 6: "2001:db8::1"}
_ZONES = ("k8s.internal", "kube.example.org")
_LABELS = ("db", "web-0", "example", "svc", "pod", "com", "prod")


def with_dns_variety(seed: int, sc):
    """The scenario with DNS variety in :data:`SHARE` of the seeds (its own draws); the
    mutations get the same objects, so ``diff`` still compares what it did."""
    r = random.Random(seed * 7919 + 2)
    if r.random() >= SHARE:
        return sc
    new = _vary(r, sc.cluster)

    def same(m: Cluster) -> Cluster:
        return replace(
            m,
            namespaces=new.namespaces,
            pods=new.pods,
            services=new.services,
            endpoint_slices=new.endpoint_slices,
            config=new.config,
        )

    sc.cluster = new
    sc.mutations = [(label, same(m)) for label, m in sc.mutations]
    return sc


def _vary(r: random.Random, c: Cluster) -> Cluster:
    families = c.families
    config = c.config
    zone = r.choice(_ZONES) if r.random() < 0.25 else _norm(config.cluster_domain)
    namespaces = list(c.namespaces)
    ns_names = [n.name for n in namespaces]
    services = list(c.services)
    slices = list(c.endpoint_slices)
    pods = list(c.pods)
    external = dict(config.external_names)
    svc_names = sorted({s.name for s in services})
    k = [0]

    def fams() -> tuple:
        return tuple(families) if len(families) == 1 or r.random() < 0.5 else (r.choice(families),)

    def add_namespace(name: str) -> None:
        if name not in ns_names:
            ns_names.append(name)
            namespaces.append(namespace(name))

    def cluster_ip(fs) -> list[str]:
        k[0] += 1
        return [f"10.96.1.{10 + k[0]}" if f == 4 else f"fd00:10:96::{0x110 + k[0]:x}" for f in fs]

    def taken(ns: str, name: str) -> bool:
        return any(s.namespace == ns and s.name == name for s in services)

    def external_ips(fs) -> tuple:
        return tuple(ip_address(_UPSTREAM[f]) for f in fs)

    def headless(ns: str, name: str, hostnames: list[str]) -> None:
        """A selector-less headless Service with a hand-written slice per family: endpoints at the
        addresses of pods of ``ns`` (or unused ones), hostnames given or none, ready or not."""
        fs = fams()
        services.append(
            service(
                f"{ns}/{name}",
                headless=True,
                selector=None,
                ports=(),
                families=fs,
                family_policy="PreferDualStack" if len(fs) == 2 else None,
                publish_not_ready=r.random() < 0.2,
            )
        )
        local = [
            p
            for p in c.live_pods
            if p.namespace == ns and not p.host_network and not p.ip_allocated and p.ips
        ]
        # One endpoint per hostname, the same pod (or unused address) and readiness in each
        # family: the families differ only where a pod lacks one.
        chosen = [
            (h, r.choice(local) if local and r.random() < 0.7 else None, r.random() < 0.8)
            for h in hostnames or [None]
        ]
        for f in fs:
            eps = []
            for i, (h, holder, ready) in enumerate(chosen):
                if holder is not None:
                    ip = holder.ip(f)
                    if ip is None:
                        continue
                else:
                    ip = f"10.244.9.{240 + i}" if f == 4 else f"fd00:10:244:9::{0xF0 + i:x}"
                eps.append(
                    endpoint(
                        str(ip),
                        ready=ready,
                        hostname=h,
                        node=holder.node_name if holder is not None else None,
                        pod=holder.ref if holder is not None else None,
                    )
                )
            slices.append(
                endpoint_slice(
                    f"{ns}/{name}-{f}", service=name, endpoints=eps, address_type=f"IPv{f}"
                )
            )

    traps = r.sample(range(8), r.randint(2, 4))
    for trap in traps:
        if trap == 0:  # namespace com + Service example capture example.com
            add_namespace("com")
            if not taken("com", "example"):
                kind = r.choice(("ClusterIP", "ClusterIP", "ExternalName", "headless"))
                if kind == "ClusterIP":
                    services.append(
                        service(
                            "com/example",
                            ip=cluster_ip(fams()),
                            ports=[("http", 80)],
                            selector=None,
                        )
                    )
                elif kind == "ExternalName":
                    services.append(
                        service("com/example", type="ExternalName", external_name="ext.example.com")
                    )
                else:
                    headless("com", "example", [])
            external["example.com"] = external_ips(fams())
        elif (
            trap == 1
        ):  # a Service named like a namespace, with endpoint hostnames named like Services
            a = r.choice(ns_names)
            b = r.choice([n for n in ns_names if n != a] or ["prod"])
            add_namespace(b)
            if not taken(a, b):
                hosts = r.sample(list(dict.fromkeys(svc_names + list(_LABELS))), r.randint(1, 2))
                headless(a, b, hosts)
        elif trap == 2:  # pods with hostname + subdomain, a headless Service selecting them or not
            candidates_ = [p for p in pods if p.labels and not p.implicit and p.ips]
            if not candidates_:
                continue
            p = r.choice(candidates_)
            sub = r.choice(["nginx", *[n for n in ns_names if n != p.namespace], *svc_names])
            host = r.choice(["web-0", *svc_names, "db"])
            pods[pods.index(p)] = replace(p, hostname=host, subdomain=sub)
            if r.random() < 0.7 and not taken(p.namespace, sub):
                fs = fams()
                if r.random() < 0.8:
                    svc = service(
                        f"{p.namespace}/{sub}",
                        headless=True,
                        selector=dict(p.labels),
                        ports=(),
                        families=fs,
                        family_policy="PreferDualStack" if len(fs) == 2 else None,
                        publish_not_ready=r.random() < 0.2,
                    )
                else:  # a ClusterIP Service: CoreDNS answers its endpoint names too
                    svc = service(
                        f"{p.namespace}/{sub}",
                        ip=cluster_ip(fs),
                        selector=dict(p.labels),
                        ports=[("http", 80)],
                    )
                services.append(svc)
        elif trap == 3:  # namespace svc or pod holding a Service named like a namespace
            t = r.choice(("svc", "pod"))
            add_namespace(t)
            b = r.choice(ns_names[:3])
            if not taken(t, b):
                headless(t, b, r.sample(list(dict.fromkeys(svc_names + ["db"])), 1))
        elif trap == 4:  # a headless Service with no ready endpoint
            ns = r.choice(ns_names)
            name = r.choice(("db", "cache", *[n for n in ns_names if n != ns]))
            if not taken(ns, name):
                services.append(
                    service(
                        f"{ns}/{name}",
                        headless=True,
                        selector={"app": "nothing"},
                        ports=(),
                        families=fams(),
                    )
                )
        elif trap == 5:  # ExternalName Services
            ns = r.choice(ns_names)
            name = r.choice(("ext", "example", "db"))
            if not taken(ns, name):
                target = r.choice(
                    (
                        "ext.example.com",
                        "example.com",
                        "unknown.example.net",
                        "192.0.2.1",
                        f"{r.choice(svc_names or ['db'])}.{r.choice(ns_names)}.svc.{zone}",
                    )
                )
                services.append(service(f"{ns}/{name}", type="ExternalName", external_name=target))
        elif trap == 6:  # node search domains and external names they reach
            search = r.choice((("corp.example",), ("corp.example", "example.com")))
            config = replace(config, node_search=search)
            for name in r.sample(svc_names + ["db", "example"], min(2, len(svc_names) + 1)):
                external[f"{name}.corp.example"] = external_ips(fams())
        elif trap == 7:  # an external name that looks like a cluster name
            if svc_names:
                s = r.choice([s for s in services if s.type != "ExternalName"] or services)
                external[f"{s.name}.{s.namespace}"] = external_ips(fams())
    # Node nameservers: sometimes the cluster DNS itself (Default pods then ask it).
    dns = str(cluster_dns(replace(c, config=config))[0])
    config = replace(
        config,
        cluster_domain=zone,
        node_nameservers=r.choice(((), ("192.168.0.53",), (dns,), (dns, "192.168.0.53"))),
        external_names=tuple((n, tuple(ips)) for n, ips in external.items()),
    )
    # Pods' resolvers.
    for i, p in enumerate(pods):
        if p.implicit or r.random() >= 0.35:
            continue
        policy = r.choice(("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None", "None"))
        searches = r.sample(
            [
                f"{r.choice(ns_names)}.svc.{zone}",
                f"svc.{zone}",
                zone,
                "corp.example",
                "example.com",
            ],
            r.randint(0, 3),
        )
        options = (("ndots", str(r.randint(1, 5))),) if r.random() < 0.7 else ()
        servers: tuple = ()
        if policy == "None":
            servers = r.choice(((dns,), (dns,), ("1.1.1.1",), (dns, "1.1.1.1")))
        elif r.random() < 0.1:
            servers = ("1.1.1.1",)
        dns_config = (
            DNSConfig(servers, tuple(searches), options) if servers or searches or options else None
        )
        pods[i] = replace(p, dns_policy=policy, dns_config=dns_config)
    return replace(
        c,
        namespaces=tuple(namespaces),
        pods=tuple(pods),
        services=tuple(services),
        endpoint_slices=tuple(slices),
        config=config,
    )
