"""A pod's side of DNS: its ``/etc/resolv.conf`` (kubelet, semantics.md §7.6) and the stub resolver (§7.7).

* :func:`resolver_config`: the pod's ``/etc/resolv.conf`` per ``dnsPolicy`` and ``dnsConfig``;
* :func:`resolve`: the glibc search-list walk for one pod, recording every
  candidate tried and which one answered, against the cluster DNS server
  (:mod:`verifier.semantics.dns.server`).

>>> from verifier.model import Cluster, Pod, Service, ServicePort, ip_address
>>> db = Service(namespace="y", name="db", cluster_ips=(ip_address("10.96.0.30"),), ports=(ServicePort(5432),))
>>> a = Pod(namespace="x", name="a", ips=(ip_address("10.244.0.5"),))
>>> r = resolve(Cluster(pods=(a,), services=(db,)), a, "db.y", "A")
>>> [x.data for x in r.answers], r.answered_by
(['10.96.0.30'], 'db.y.svc.cluster.local.')
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address

from ...model import IP, Cluster, DNSConfig, Pod
from .._cache import per_cluster
from .server import (
    NODATA,
    NOERROR,
    NXDOMAIN,
    Answer,
    Record,
    _zone,
    lookup,
    lookup_upstream,
    ptr_name,
)

__all__ = [
    "Attempt",
    "Resolution",
    "ResolvConf",
    "cluster_dns_ips",
    "resolve",
    "resolver_config",
    "search_candidates",
]

#: glibc caps ndots at RES_MAXNDOTS.
_MAX_NDOTS = 15
#: kubelet limits (pkg/apis/core/validation, pkg/kubelet/network/dns).
_MAX_NAMESERVERS = 3
_MAX_SEARCHES = 32
_MAX_SEARCH_CHARS = 2048
_MAX_SEARCH_LEN = 253
_POLICIES = ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")


# --------------------------------------------------------------------------- resolv.conf


def cluster_dns_ips(cluster: Cluster) -> tuple[IP, ...]:
    """kubelet's ``clusterDNS``: the configured IPs, else kube-system/kube-dns's ClusterIPs, else service CIDR + 10.

    >>> cluster_dns_ips(Cluster())
    (IPv4Address('10.96.0.10'),)
    """
    if cluster.config.cluster_dns:
        return cluster.config.cluster_dns
    if cluster.config.dns_profile == "nodelocal":
        from .profiles import NODE_LOCAL_DNS

        return (NODE_LOCAL_DNS,)
    kube_dns = cluster.service_by_ref.get("kube-system/kube-dns")
    if kube_dns is not None and kube_dns.cluster_ips:
        return kube_dns.cluster_ips
    # kubeadm's convention: the tenth address of the first service range.
    net = cluster.service_cidrs[0]
    return (net.network_address + 10,)


@dataclass(frozen=True, slots=True)
class ResolvConf:
    """A pod's ``/etc/resolv.conf`` as kubelet writes it (§7.6)."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    ndots: int
    #: Options as kubelet writes them (``ndots:5``, ``edns0``...).
    options: tuple[str, ...]
    #: Why the pod got this configuration (its dnsPolicy and any fallback).
    policy_note: str
    #: Does the first nameserver (the one glibc asks) serve the cluster zone?
    uses_cluster_dns: bool
    #: The effective policy: ClusterFirst, Default or None.
    policy: str = "ClusterFirst"

    @property
    def cluster_dns_server(self) -> IP | None:
        """The address glibc sends every query to, when that is the cluster DNS (else None)."""
        if not (self.uses_cluster_dns and self.nameservers):
            return None
        try:
            return ip_address(self.nameservers[0])
        except ValueError:  # (uses_cluster_dns already parsed it)
            return None

    @property
    def text(self) -> str:
        """The file's content."""
        lines = [f"nameserver {s}" for s in self.nameservers]
        if self.search:
            lines.append("search " + " ".join(self.search))
        if self.options:
            lines.append("options " + " ".join(self.options))
        return "\n".join(lines) + "\n"


def _dedup(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _merge_options(base: tuple[str, ...], extra) -> tuple[str, ...]:
    """kubelet ``mergeDNSOptions``: dnsConfig options replace same-named base options."""
    merged: dict[str, str] = {}
    for op in base:
        key, _, value = op.partition(":")
        merged[key] = value
    for key, value in extra:
        merged[key] = value or ""
    return tuple(f"{k}:{v}" if v else k for k, v in merged.items())


def _fit_searches(searches: tuple[str, ...]) -> tuple[str, ...]:
    """kubelet ``formDNSSearchFitsLimits``: 32 entries, none over 253 chars, 2048 chars in all."""
    out = [s for s in searches[:_MAX_SEARCHES] if len(s) <= _MAX_SEARCH_LEN]
    while out and len(" ".join(out)) > _MAX_SEARCH_CHARS:
        out.pop()
    return tuple(out)


def _ndots(options: tuple[str, ...]) -> int:
    ndots = 1  # glibc's default
    for op in options:
        key, _, value = op.partition(":")
        if key == "ndots" and value.strip().lstrip("-").isdigit():
            ndots = max(0, min(int(value), _MAX_NDOTS))
    return ndots


def _is_cluster_dns(cluster: Cluster, server: str) -> bool:
    try:
        ip = ip_address(server)
    except ValueError:
        return False
    kube_dns = cluster.service_by_ref.get("kube-system/kube-dns")
    return ip in cluster_dns_ips(cluster) or (kube_dns is not None and ip in kube_dns.cluster_ips)


def resolver_config(cluster: Cluster, pod: Pod) -> ResolvConf:
    """The pod's resolv.conf per ``dnsPolicy`` and ``dnsConfig`` (kubelet ``GetPodDNS``).

    ``ClusterFirst`` (the default) and ``ClusterFirstWithHostNet``: the cluster
    DNS IPs, search ``<ns>.svc.<zone> svc.<zone> <zone>`` then the node's
    search list, ``ndots:5``. A hostNetwork pod with ``ClusterFirst`` falls back
    to ``Default``: the node's resolv.conf (``ClusterNetwork.node_nameservers``,
    ``node_search``). ``None``: only ``dnsConfig``. ``dnsConfig`` is then merged
    in (nameservers and searches appended without duplicates, options
    overriding), and kubelet's limits apply (3 nameservers, 32 searches).

    >>> from verifier.model import Pod
    >>> print(resolver_config(Cluster(), Pod(namespace="x", name="a")).text, end="")
    nameserver 10.96.0.10
    search x.svc.cluster.local svc.cluster.local cluster.local
    options ndots:5
    """
    # Keyed by what kubelet reads of the pod: a namespace's pods mostly share one resolv.conf.
    return _resolver_config(
        cluster, pod.namespace, pod.dns_policy, pod.host_network, pod.dns_config
    )


@per_cluster
def _resolver_config(
    cluster: Cluster,
    namespace: str,
    policy: str,
    host_network: bool,
    dns_config: DNSConfig | None,
) -> ResolvConf:
    config = cluster.config
    zone = _zone(cluster)
    host_servers = tuple(config.node_nameservers)
    # kubelet trims trailing dots so "a.b" and "a.b." count once.
    host_search = tuple(s[:-1] if s.endswith(".") and s != "." else s for s in config.node_search)
    if policy == "None":
        servers, search, options, effective = (), (), (), "None"
        note = "dnsPolicy None: only the pod's dnsConfig"
    elif (
        policy == "ClusterFirstWithHostNet"
        or (policy == "ClusterFirst" and not host_network)
        or policy not in _POLICIES
    ):
        # (An unknown policy cannot pass validation; kubelet treats it as ClusterFirst.)
        servers = tuple(str(ip) for ip in cluster_dns_ips(cluster))
        cluster_search = (f"{namespace}.svc.{zone}", f"svc.{zone}", zone) if zone else ()
        search, options, effective = (
            _dedup(cluster_search + host_search),
            ("ndots:5",),
            "ClusterFirst",
        )
        note = f"dnsPolicy {policy}: cluster DNS first"
    else:
        servers, search, options, effective = host_servers, host_search, (), "Default"
        if policy == "ClusterFirst":
            note = (
                "hostNetwork pod with dnsPolicy ClusterFirst: kubelet falls back to Default (the node's "
                "resolv.conf), so cluster names do not resolve unless the node's resolver serves them; "
                "use ClusterFirstWithHostNet"
            )
        else:
            note = "dnsPolicy Default: the node's resolv.conf"
    if dns_config is not None:
        servers = _dedup(servers + dns_config.nameservers)
        search = _dedup(search + dns_config.searches)
        options = _merge_options(options, dns_config.options)
        note += "; merged with the pod's dnsConfig"
    servers = servers[:_MAX_NAMESERVERS]
    search = _fit_searches(search)
    uses = bool(servers) and _is_cluster_dns(cluster, servers[0])
    return ResolvConf(servers, search, _ndots(options), options, note, uses, effective)


# --------------------------------------------------------------------------- the stub resolver


@dataclass(frozen=True, slots=True)
class Attempt:
    """One query of the search-list walk: an absolute name and how it fared."""

    query_name: str
    #: NOERROR (records), NODATA or NXDOMAIN.
    rcode: str
    answered: bool
    answer: Answer | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of a pod resolving a name: the records, and the walk that found them."""

    name: str
    qtype: str
    #: NOERROR (answers found), NXDOMAIN or NODATA, as glibc reports a failed search.
    rcode: str
    answers: tuple[Record, ...]
    #: The queries made, in order; the last one answered if any did.
    candidates: tuple[Attempt, ...]
    #: The absolute name that answered, or None.
    answered_by: str | None
    resolver: ResolvConf
    #: Later candidates that would also have answered: names the winner shadows.
    shadowed: tuple[Attempt, ...] = ()
    #: The name was an IP literal: no query was made.
    literal: bool = False

    @property
    def ok(self) -> bool:
        return self.rcode == NOERROR and bool(self.answers)

    @property
    def addresses(self) -> tuple[IP, ...]:
        """The addresses of the asked type, in answer order."""
        return tuple(ip_address(r.data) for r in self.answers if r.type == self.qtype)


def search_candidates(name: str, resolver: ResolvConf) -> tuple[str, ...]:
    """The absolute names glibc ``res_search`` tries for ``name``, in order (§7.7).

    A trailing dot: the name only. ``dots >= ndots``: as-is first, then the
    search list. Otherwise the search list, then as-is last (not repeated when
    the search list holds the root, nor for a dotless name with ``no-tld-query``).

    >>> conf = ResolvConf(("10.96.0.10",), ("x.svc.cluster.local", "svc.cluster.local", "cluster.local"), 5, (), "", True)
    >>> search_candidates("db.y", conf)
    ('db.y.x.svc.cluster.local.', 'db.y.svc.cluster.local.', 'db.y.cluster.local.', 'db.y.')
    """
    name = name.strip().lower()
    if name.endswith("."):
        return (name,)
    dots = name.count(".")
    out: list[str] = []
    tried_as_is = dots >= resolver.ndots
    if tried_as_is:
        out.append(name + ".")
    root_on_list = False
    for domain in resolver.search:
        domain = domain.lower().lstrip(".").rstrip(".") if domain != "." else ""
        if not domain:
            root_on_list = True  # "name." tried at this position
            out.append(name + ".")
        else:
            out.append(f"{name}.{domain}.")
    no_tld = any(op.partition(":")[0] == "no-tld-query" for op in resolver.options)
    searched = bool(resolver.search)
    if (dots or not searched or not no_tld) and not (tried_as_is or root_on_list):
        out.append(name + ".")
    return tuple(out)


def _literal(name: str) -> IP | None:
    try:
        return ip_address(name.strip())
    except ValueError:
        return None


def resolve(cluster: Cluster, pod: Pod, name: str, qtype: str = "A") -> Resolution:
    """Resolve ``name`` from ``pod`` as glibc would: build its resolv.conf, walk the candidates.

    The walk moves on after NXDOMAIN or NODATA and stops at the first answer
    that carries records (CNAME chains included). A pod whose first nameserver
    is not the cluster DNS (``Default``/``None`` policies, a hostNetwork pod
    with ``ClusterFirst``) only gets upstream answers (:func:`lookup_upstream`).
    IP literals come back as they are (a PTR query for one asks its reverse name).
    When the search fails the rcode is glibc's: the as-is query's if it went
    first, else NODATA if any candidate had the name, else the last answer's.

    >>> from verifier.model import Service, ServicePort, ip_address
    >>> web = Service(namespace="x", name="web", cluster_ips=(ip_address("10.96.0.20"),), ports=(ServicePort(80),))
    >>> a = Pod(namespace="x", name="a")
    >>> r = resolve(Cluster(pods=(a,), services=(web,)), a, "web")
    >>> r.rcode, r.answered_by, [c.query_name for c in r.candidates]
    ('NOERROR', 'web.x.svc.cluster.local.', ['web.x.svc.cluster.local.'])
    """
    qtype = qtype.upper()
    conf = resolver_config(cluster, pod)
    if not name.strip():
        raise ValueError("resolve() needs a name")
    ip = _literal(name)
    if ip is not None:
        if qtype == "PTR":
            name = ptr_name(ip)
        else:
            wanted = {"A": 4, "AAAA": 6}.get(qtype)
            answers = (Record(str(ip), qtype, str(ip)),) if ip.version == wanted else ()
            return Resolution(
                name, qtype, NOERROR if answers else NODATA, answers, (), None, conf, literal=True
            )
    server = lookup if conf.uses_cluster_dns else lookup_upstream
    plan = search_candidates(name, conf)
    attempts: list[Attempt] = []
    winner: Attempt | None = None
    for query in plan:
        answer = server(cluster, query, qtype)
        attempt = Attempt(query, answer.status, bool(answer.records), answer)
        attempts.append(attempt)
        if attempt.answered:
            winner = attempt
            break
    if winner is not None:
        rest = plan[len(attempts) :]
        shadowed = tuple(a for q in rest if (a := _attempt(server(cluster, q, qtype), q)).answered)
        return Resolution(
            name,
            qtype,
            NOERROR,
            winner.answer.records,
            tuple(attempts),
            winner.query_name,
            conf,
            shadowed,
        )
    return Resolution(name, qtype, _failure(name, conf, attempts), (), tuple(attempts), None, conf)


def _attempt(answer: Answer, query: str) -> Attempt:
    return Attempt(query, answer.status, bool(answer.records), answer)


def _failure(name: str, conf: ResolvConf, attempts: list[Attempt]) -> str:
    """glibc's h_errno after a failed ``res_search``."""
    if not attempts:
        return NXDOMAIN
    if name.endswith(".") or name.count(".") >= conf.ndots:
        return attempts[0].rcode  # the as-is query went first: its error is kept
    # Otherwise NODATA if any candidate had the name, else the last query's error.
    return NODATA if any(a.rcode == NODATA for a in attempts) else attempts[-1].rcode
