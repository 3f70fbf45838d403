"""The cluster DNS server: the zone CoreDNS serves (semantics.md §7.1-7.5), and the resolvers upstream.

Reference profile: CoreDNS ``kubernetes`` plugin with the kubeadm Corefile
(``pods insecure``, reverse zones ``in-addr.arpa ip6.arpa`` with
``fallthrough``, ``forward . /etc/resolv.conf``).

* :func:`lookup`: what the cluster DNS server answers for one absolute name and
  type. The zone logic follows CoreDNS's code path (``parseRequest``,
  ``findServices``, ``findPods``, ``plugin.A``/``SRV``/``PTR``...), so its
  corner cases (NODATA vs NXDOMAIN, CNAME chasing, SRV weights) are CoreDNS's.
* :func:`lookup_upstream`: the resolvers outside the cluster, modelled by
  ``ClusterNetwork.external_names`` (name -> IPs).

>>> from verifier.model import Cluster, Service, ServicePort, ip_address
>>> db = Service(namespace="y", name="db", cluster_ips=(ip_address("10.96.0.30"),), ports=(ServicePort(5432),))
>>> lookup(Cluster(services=(db,)), "db.y.svc.cluster.local", "A").records[0].data
'10.96.0.30'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import ip_address

from ...model import IP, Cluster, Service, Source
from .._cache import per_cluster
from ..services import service_endpoints

__all__ = [
    "NODATA",
    "answer_filter",
    "wire_rcode",
    "undeclared_upstream",
    "NOERROR",
    "NXDOMAIN",
    "SCHEMA_VERSION",
    "Answer",
    "Record",
    "dashed",
    "lookup",
    "lookup_upstream",
    "may_answer",
    "ptr_name",
    "zone_names",
]

#: The DNS schema version CoreDNS publishes at ``dns-version.<zone>`` (spec 1.1.0).
SCHEMA_VERSION = "1.1.0"

NOERROR = "NOERROR"
NXDOMAIN = "NXDOMAIN"
#: Not a DNS rcode: NOERROR with an empty answer, as the stub resolver reports it.
NODATA = "NODATA"

_REVERSE_ZONES = ("in-addr.arpa", "ip6.arpa")


# --------------------------------------------------------------------------- names


def ptr_name(ip: IP) -> str:
    """The reverse-lookup name of ``ip`` (nibble format for IPv6), absolute.

    >>> ptr_name(ip_address("10.96.0.10"))
    '10.0.96.10.in-addr.arpa.'
    """
    return ip.reverse_pointer + "."


def dashed(ip: IP) -> str:
    """The DNS label CoreDNS makes of an IP: ``10-1-2-3``; IPv6 ``:`` -> ``-`` and a trailing ``-`` gets ``0``.

    >>> dashed(ip_address("10.1.2.3")), dashed(ip_address("fd00::"))
    ('10-1-2-3', 'fd00--0')
    """
    if ip.version == 4:
        return str(ip).replace(".", "-")
    label = str(ip).replace(":", "-")
    return label + "0" if label.endswith("-") else label


def _norm(name: str) -> str:
    """Lower-case, without the trailing dot: the form names are compared in."""
    name = name.strip().lower()
    return name.removesuffix(".")


def _fqdn(name: str) -> str:
    return name + "." if name else "."


def _under(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def _zone(cluster: Cluster) -> str:
    return _norm(cluster.config.cluster_domain)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Record:
    """One resource record, in presentation form, pointing back at what produced it.

    ``data``: an address for A/AAAA; an absolute name (trailing dot) for
    CNAME/PTR; ``priority weight port target.`` for SRV (RFC 2782 order); a
    quoted string for TXT.
    """

    name: str
    type: str
    data: str
    #: The manifest line of the most specific object behind the record.
    source: Source | None = None
    #: The model objects behind the record, most general first (Service, then EndpointSlice or Pod).
    objects: tuple = ()

    @property
    def origin(self):
        """The most specific model object behind the record (None for upstream and synthesised data)."""
        return self.objects[-1] if self.objects else None

    def __str__(self) -> str:
        return f"{self.name}\t{self.type}\t{self.data}"


def wire_rcode(status: str) -> str:
    """The rcode a DNS message carries for a status: NODATA is NOERROR with no answer.

    >>> wire_rcode(NODATA), wire_rcode(NXDOMAIN)
    ('NOERROR', 'NXDOMAIN')
    """
    return NOERROR if status == NODATA else status


@dataclass(frozen=True, slots=True)
class Answer:
    """A DNS server's response: ``rcode`` is NOERROR or NXDOMAIN; NOERROR and no records is NODATA."""

    rcode: str
    records: tuple[Record, ...] = ()
    #: "cluster" (CoreDNS's kubernetes plugin answered) or "upstream".
    authority: str = "cluster"
    name: str = ""
    qtype: str = "A"

    @property
    def nodata(self) -> bool:
        return self.rcode == NOERROR and not self.records

    @property
    def status(self) -> str:
        """NOERROR (records), NODATA or NXDOMAIN."""
        return NODATA if self.nodata else self.rcode

    @property
    def addresses(self) -> tuple[IP, ...]:
        return tuple(ip_address(r.data) for r in self.records if r.type in ("A", "AAAA"))


# --------------------------------------------------------------------------- the zone index


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """A ready endpoint as CoreDNS stores it: one address, its hostname label, its slice's ports."""

    ip: IP
    hostname: str
    #: (port name, protocol, port); the sentinel ("", "", -1) when the slice has no ports.
    ports: tuple[tuple[str, str, int], ...]
    objects: tuple
    source: Source | None


@dataclass(frozen=True)
class _Zone:
    zone: str
    namespaces: frozenset[str]
    services: dict[tuple[str, str], Service]
    endpoints: dict[str, tuple[_Endpoint, ...]]
    by_cluster_ip: dict[IP, Service]
    by_endpoint_ip: dict[IP, tuple[tuple[str, _Endpoint], ...]]
    dns_ips: tuple[IP, ...]


def _dns_endpoints(cluster: Cluster, svc: Service) -> tuple[_Endpoint, ...]:
    out = []
    for family in (4, 6):
        for e in service_endpoints(cluster, svc, family):
            # CoreDNS keeps only ready addresses (EndpointSliceToEndpoints); with
            # publishNotReadyAddresses every endpoint is ready (§7.2), also in hand-written slices.
            if not (e.ready or svc.publish_not_ready_addresses):
                continue
            # Slice ports as CoreDNS reads them: nil name -> "", nil port -> -1,
            # and a sentinel port -1 when the slice lists no port at all, so
            # a port-less endpoint still gets A records but no SRV.
            ports = tuple(
                (p.name or "", p.protocol or "", p.port if p.port is not None else -1)
                for p in e.ports
            )
            objects = tuple(o for o in (svc, e.slice or e.pod) if o is not None)
            out.append(
                _Endpoint(
                    e.ip, e.hostname or dashed(e.ip), ports or (("", "", -1),), objects, e.source
                )
            )
    return tuple(out)


@per_cluster
def _zone_index(cluster: Cluster) -> _Zone:
    zone = _zone(cluster)
    namespaces = {n.lower() for n in cluster.namespace_by_name}
    # A Service or pod cannot exist outside an existing namespace, even when
    # the input has no Namespace object for it.
    namespaces |= {s.namespace.lower() for s in cluster.services} | {
        p.namespace.lower() for p in cluster.pods
    }
    services: dict[tuple[str, str], Service] = {}
    endpoints: dict[str, tuple[_Endpoint, ...]] = {}
    by_cluster_ip: dict[IP, Service] = {}
    by_endpoint_ip: dict[IP, list[tuple[str, _Endpoint]]] = {}
    for svc in cluster.services:
        services.setdefault((svc.namespace.lower(), svc.name.lower()), svc)
        for ip in svc.cluster_ips:
            by_cluster_ip.setdefault(ip, svc)
        if svc.type == "ExternalName":
            continue
        eps = endpoints[svc.ref] = _dns_endpoints(cluster, svc)
        for e in eps:
            owner = f"{e.hostname}.{svc.name}.{svc.namespace}.svc.{zone}".lower()
            by_endpoint_ip.setdefault(e.ip, []).append((owner, e))
    kube_dns = cluster.service_by_ref.get("kube-system/kube-dns")
    return _Zone(
        zone=zone,
        namespaces=frozenset(namespaces),
        services=services,
        endpoints=endpoints,
        by_cluster_ip=by_cluster_ip,
        by_endpoint_ip={k: tuple(v) for k, v in by_endpoint_ip.items()},
        dns_ips=kube_dns.cluster_ips if kube_dns is not None else (),
    )


# --------------------------------------------------------------------------- CoreDNS kubernetes plugin


@dataclass(frozen=True, slots=True)
class _Entry:
    """CoreDNS's ``msg.Service``: a host (IP, name or text) under a key name."""

    host: str
    #: The name the entry belongs to (SRV target), without trailing dot.
    key: str
    port: int = 0
    objects: tuple = ()
    source: Source | None = None
    text: bool = False


@dataclass(frozen=True, slots=True)
class _Request:
    pod_or_svc: str = ""
    namespace: str = ""
    service: str = ""
    endpoint: str = ""
    port: str = ""
    protocol: str = ""


class _Invalid(Exception):
    """``errInvalidRequest``: a name the plugin cannot parse (NXDOMAIN)."""


def _parse(name: str, zone: str) -> _Request:
    """CoreDNS ``parseRequest``: ``[_port._proto.|endpoint.]service.namespace.(svc|pod).zone``."""
    base = "" if name == zone else name[: -len(zone) - 1]
    if base in ("", "svc", "pod"):  # apex queries: NODATA
        return _Request()
    segs = base.split(".")
    kind = segs.pop()
    if kind not in ("svc", "pod"):
        raise _Invalid
    r = {"pod_or_svc": kind}
    if segs:
        r["namespace"] = segs.pop()
    if segs:
        r["service"] = segs.pop()
    if len(segs) == 1:
        r["endpoint"] = segs[0]
    elif len(segs) == 2:
        r["port"], r["protocol"] = segs[0].removeprefix("_"), segs[1].removeprefix("_")
    elif len(segs) > 2:
        raise _Invalid  # too long
    return _Request(**r)


def _host_type(host: str) -> str:
    """``msg.Service.HostType``: A, AAAA, or CNAME for anything that is not an IP."""
    try:
        return "A" if ip_address(host).version == 4 else "AAAA"
    except ValueError:
        return "CNAME"


def _match(a: str, b: str) -> bool:
    """``matchPortAndProtocol`` half: case-insensitive, an empty query value is a wildcard."""
    return a == "" or a.lower() == b.lower()


def _find_pods(cluster: Cluster, z: _Zone, r: _Request) -> tuple[list[_Entry], bool]:
    mode = cluster.config.dns_pods
    if mode == "disabled":
        return [], True
    if r.service == "":
        return [], False  # "<ns>.pod.<zone>": NODATA
    label = r.service
    text = (
        label.replace("-", ".")
        if label.count("-") == 3 and "--" not in label
        else label.replace("-", ":")
    )
    try:
        ip = ip_address(text)
    except ValueError:
        return [], True
    key = f"{label}.{r.namespace}.pod.{z.zone}"
    if mode == "insecure":
        # Any well-formed IP is answered as long as the namespace exists (checked before).
        return [_Entry(str(ip), key, source=cluster.config.source)], False
    # verified: a live, non-terminating pod of that namespace whose status.podIP
    # (the primary address only, as CoreDNS indexes it) is this IP.
    pods = [
        p
        for p in cluster.pods_by_namespace.get(r.namespace, ())
        if p.ips
        and p.ips[0] == ip
        and not p.terminating
        and p.phase not in ("Succeeded", "Failed", "Unknown")
    ]
    entries = [_Entry(str(ip), key, objects=(p,), source=p.source) for p in pods]
    return entries, not entries


def _find_services(cluster: Cluster, z: _Zone, r: _Request) -> tuple[list[_Entry], bool]:
    if r.service == "":
        return [], False  # "<ns>.svc.<zone>" of an existing namespace: NODATA
    svc = z.services.get((r.namespace, r.service))
    if svc is None:
        return [], True
    fqdn = f"{svc.name}.{svc.namespace}.svc.{z.zone}".lower()
    if svc.type == "ExternalName":
        # ExternalName Services have no endpoints nor ports (``_port._proto.`` names are
        # NXDOMAIN, CoreDNS findServices); a target that parses as an IP is no name, and
        # CoreDNS emits nothing for it (NXDOMAIN).
        if (
            r.endpoint
            or r.port
            or r.protocol
            or not svc.external_name
            or _host_type(svc.external_name) != "CNAME"
        ):
            return [], True
        return [_Entry(_norm(svc.external_name), fqdn, objects=(svc,), source=svc.source)], False
    entries: list[_Entry] = []
    if svc.headless or r.endpoint:
        for e in z.endpoints.get(svc.ref, ()):
            if r.endpoint and r.endpoint != e.hostname.lower():
                continue
            for name, protocol, port in e.ports:
                if _match(r.port, name) and _match(r.protocol, protocol):
                    entries.append(
                        _Entry(str(e.ip), f"{e.hostname.lower()}.{fqdn}", port, e.objects, e.source)
                    )
        return entries, not entries
    found = False
    for sp in svc.ports:
        if not (_match(r.port, sp.name or "") and _match(r.protocol, sp.protocol)):
            continue
        found = True  # a matching port is enough: no ClusterIP gives NODATA, not NXDOMAIN
        for ip in svc.cluster_ips:
            entries.append(_Entry(str(ip), fqdn, sp.port, (svc,), svc.source))
    return entries, not found


def _records(cluster: Cluster, z: _Zone, name: str, zone: str) -> tuple[list[_Entry], bool]:
    """``Kubernetes.Records``: the entries for ``name`` and whether it is a name error."""
    try:
        r = _parse(name, zone)
    except _Invalid:
        return [], True
    if not r.pod_or_svc:
        return [], False
    if any(_under(name, rz) for rz in _REVERSE_ZONES):
        return [], True
    if r.namespace not in z.namespaces:
        return [], True
    if r.pod_or_svc == "pod":
        return _find_pods(cluster, z, r)
    return _find_services(cluster, z, r)


def _services(
    cluster: Cluster, z: _Zone, name: str, zone: str, qtype: str
) -> tuple[list[_Entry], bool]:
    """``Kubernetes.Services``: ``_records`` plus the TXT and ``ns.dns`` special cases."""
    if qtype == "TXT":
        # Only dns-version.<zone> has a TXT; every other name gets an empty
        # NOERROR, never NXDOMAIN (current CoreDNS).
        if name == f"dns-version.{zone}":
            return [_Entry(SCHEMA_VERSION, name, text=True, source=cluster.config.source)], False
        return [], False
    if name == f"ns.dns.{zone}":
        # The name CoreDNS gives its own service (nsAddrs): kube-dns's ClusterIPs.
        return [_Entry(str(ip), name) for ip in z.dns_ips if _host_type(str(ip)) == qtype], False
    entries, error = _records(cluster, z, name, zone)
    if qtype == "SRV":
        # "SRV for external services is not yet implemented": ExternalName -> NODATA.
        entries = [e for e in entries if _host_type(e.host) != "CNAME"]
    return entries, error


def _record(owner: str, qtype: str, data: str, entry: _Entry) -> Record:
    return Record(_fqdn(owner), qtype, data, entry.source, entry.objects)


def _address(
    cluster: Cluster, z: _Zone, name: str, zone: str, qtype: str, chain: tuple[Record, ...]
) -> tuple[list[Record], bool]:
    """``plugin.A`` / ``plugin.AAAA``: addresses, following CNAMEs (in the zone, else upstream)."""
    entries, error = _services(cluster, z, name, zone, qtype)
    if error:
        return [], True
    out: list[Record] = []
    seen: set[str] = set()
    for e in entries:
        kind = _host_type(e.host)
        if kind == "CNAME":
            target = _norm(e.host)
            if _under(target, name) or len(chain) > 7:
                continue  # "x CNAME x" loops, and CoreDNS's chain limit
            cname = _record(name, "CNAME", _fqdn(target), e)
            if any(c.name == cname.name and c.data == cname.data for c in chain):
                continue
            if _under(target, zone):
                more, err = _address(cluster, z, target, zone, qtype, chain + (cname,))
                if not err and more:
                    out += [cname, *more]
                continue
            # Outside the zone: CoreDNS asks itself again, i.e. the forwarder;
            # the CNAME is returned even if the upstream has no address for it.
            out += [cname, *lookup(cluster, target, qtype).records]
        elif kind == qtype and e.host not in seen:
            seen.add(e.host)
            out.append(_record(name, qtype, e.host, e))
    return out, False


def _srv(cluster: Cluster, z: _Zone, name: str, zone: str) -> tuple[list[Record], bool]:
    """``plugin.SRV``: priority 0, weight ``floor(100 / n)`` for n entries (at least 1)."""
    entries, error = _services(cluster, z, name, zone, "SRV")
    if error:
        return [], True
    # CoreDNS sums a weight of 100 per entry (the Kubernetes plugin sets none),
    # before removing duplicates and port-less sentinels: n counts them all.
    total = 100 * len(entries)
    out: list[Record] = []
    seen: set[tuple[str, int]] = set()
    for e in entries:
        if e.port == -1:
            continue
        weight = max(1, math.floor(100.0 / total * 100))
        target = _fqdn(e.key)
        if (target, e.port) in seen:
            continue
        seen.add((target, e.port))
        out.append(_record(name, "SRV", f"0 {weight} {e.port} {target}", e))
    return out, False


def _address_from_reverse(name: str) -> IP | None:
    """``dnsutil.ExtractAddressFromReverse``: the IP a full reverse name stands for."""
    try:
        if name.endswith(".in-addr.arpa"):
            labels = name[: -len(".in-addr.arpa")].split(".")
            ip = ip_address(".".join(reversed(labels)))
            return ip if ip.version == 4 else None
        if name.endswith(".ip6.arpa"):
            nibbles = list(reversed(name[: -len(".ip6.arpa")].split(".")))
            if len(nibbles) != 32 or any(len(n) != 1 for n in nibbles):
                return None
            return ip_address(":".join("".join(nibbles[i : i + 4]) for i in range(0, 32, 4)))
    except ValueError:
        return None
    return None


def _ptr(cluster: Cluster, z: _Zone, name: str, zone: str) -> tuple[list[Record], bool]:
    """``Kubernetes.Reverse``: a ClusterIP names its Service; else every ready endpoint with that IP."""
    ip = _address_from_reverse(name)
    if ip is None:
        _, error = _records(cluster, z, name, zone)
        return [], error
    svc = z.by_cluster_ip.get(ip)
    if svc is not None:
        target = f"{svc.name}.{svc.namespace}.svc.{z.zone}".lower()
        return [Record(_fqdn(name), "PTR", _fqdn(target), svc.source, (svc,))], False
    out: list[Record] = []
    for owner, e in z.by_endpoint_ip.get(ip, ()):
        if all(r.data != _fqdn(owner) for r in out):
            out.append(Record(_fqdn(name), "PTR", _fqdn(owner), e.source, e.objects))
    return out, not out


def _serve(
    cluster: Cluster, z: _Zone, name: str, zone: str, qtype: str
) -> tuple[list[Record], bool]:
    if qtype in ("A", "AAAA"):
        return _address(cluster, z, name, zone, qtype, ())
    if qtype == "SRV":
        return _srv(cluster, z, name, zone)
    if qtype == "PTR":
        return _ptr(cluster, z, name, zone)
    if qtype == "TXT":
        entries, error = _services(cluster, z, name, zone, "TXT")
        return [_record(name, "TXT", f'"{e.host}"', e) for e in entries if e.text], error
    if qtype == "CNAME":
        entries, error = _services(cluster, z, name, zone, "CNAME")
        if error or not entries or _host_type(entries[0].host) != "CNAME":
            return [], error
        return [_record(name, "CNAME", _fqdn(entries[0].host), entries[0])], False
    # Any other type: CoreDNS does an A lookup only to tell NODATA from NXDOMAIN.
    _, error = _address(cluster, z, name, zone, "A", ())
    return [], error


def _serving_zone(name: str, zone: str) -> str | None:
    """The kubernetes plugin zone (the longest match) that owns ``name``, if any."""
    owners = [z for z in (zone, *_REVERSE_ZONES) if z and _under(name, z)]
    return max(owners, key=len) if owners else None


def lookup(cluster: Cluster, qname: str, qtype: str) -> Answer:
    """What the cluster DNS server (CoreDNS) answers for an absolute name.

    Names in the cluster zone are answered by the kubernetes plugin (§7.2-7.5);
    reverse names it does not own and every other name are forwarded upstream
    (:func:`lookup_upstream`). Case-insensitive; a trailing dot is optional.

    >>> from verifier.model import Service, ServicePort, ip_address
    >>> web = Service(namespace="x", name="web", cluster_ips=(ip_address("10.96.0.20"),),
    ...               ports=(ServicePort(80, name="http"),))
    >>> c = Cluster(services=(web,))
    >>> lookup(c, "web.x.svc.cluster.local", "A").records[0].data
    '10.96.0.20'
    >>> lookup(c, "web.x.svc.cluster.local", "AAAA").status, lookup(c, "nope.x.svc.cluster.local", "A").status
    ('NODATA', 'NXDOMAIN')
    >>> lookup(c, "_http._tcp.web.x.svc.cluster.local.", "SRV").records[0].data
    '0 100 80 web.x.svc.cluster.local.'
    """
    name, qtype = _norm(qname), qtype.upper()
    z = _zone_index(cluster)
    zone = _serving_zone(name, z.zone)
    if zone is None:
        return lookup_upstream(cluster, name, qtype)
    records, error = _serve(cluster, z, name, zone, qtype)
    if error:
        if zone in _REVERSE_ZONES:  # "fallthrough in-addr.arpa ip6.arpa"
            return lookup_upstream(cluster, name, qtype)
        return Answer(NXDOMAIN, (), "cluster", _fqdn(name), qtype)
    return Answer(NOERROR, tuple(records), "cluster", _fqdn(name), qtype)


@per_cluster
def _upstream_table(cluster: Cluster) -> dict[str, tuple[IP, ...]]:
    out: dict[str, tuple[IP, ...]] = {}
    for name, ips in cluster.config.external_names:
        out[_norm(name)] = out.get(_norm(name), ()) + tuple(ips)
    return out


#: Top-level domains no public resolver answers for (RFC 6761, RFC 2606).
RESERVED_TLDS = frozenset({"invalid", "test", "localhost", "example", "local"})


def undeclared_upstream(cluster: Cluster, qname: str) -> bool:
    """Is ``qname`` a public name netverify knows nothing about?

    A name outside the cluster zone is answered by the resolvers upstream, which
    netverify models only through ``ClusterNetwork.external_names``. A name not
    declared there, with at least two labels and not under a reserved TLD, may
    well exist on the internet (``google.com``): its address is unknown, not
    absent. (:func:`lookup_upstream` still answers NXDOMAIN for it, so a search
    walk moves on; whoever asks for the name itself decides for every address.)

    >>> undeclared_upstream(Cluster(), "google.com."), undeclared_upstream(Cluster(), "web")
    (True, False)
    >>> undeclared_upstream(Cluster(), "web.x.svc.cluster.local"), undeclared_upstream(Cluster(), "db.test")
    (False, False)
    >>> from verifier.model import Namespace
    >>> undeclared_upstream(Cluster(namespaces=(Namespace("shop"),)), "cartservice.shop")
    False
    """
    name = _norm(qname)
    labels = name.split(".")
    if len(labels) < 2 or not all(labels) or labels[-1] in RESERVED_TLDS:
        return False
    # Every top-level domain has two letters or more; ``<service>.<namespace>`` is a cluster
    # name asked the wrong way (a hostNetwork pod's resolver), not an internet one.
    if len(labels[-1]) < 2 or labels[-1] in _namespace_names(cluster):
        return False
    if _under(name, _zone(cluster)):
        return False
    return name not in _upstream_table(cluster)


@per_cluster
def _namespace_names(cluster: Cluster) -> frozenset[str]:
    return frozenset(ns.name for ns in cluster.namespaces) | frozenset(
        p.namespace for p in cluster.pods
    )


def lookup_upstream(cluster: Cluster, qname: str, qtype: str) -> Answer:
    """The answer of the resolvers outside the cluster: ``ClusterNetwork.external_names``.

    A listed name answers its addresses of the asked family (NODATA for other
    types); any other name is NXDOMAIN.

    >>> from verifier.model import ClusterNetwork, ip_address
    >>> c = Cluster(config=ClusterNetwork(external_names=(("db.example.com", (ip_address("192.0.2.7"),)),)))
    >>> lookup_upstream(c, "DB.example.com.", "A").records[0].data, lookup_upstream(c, "x.example.com", "A").rcode
    ('192.0.2.7', 'NXDOMAIN')
    """
    name, qtype = _norm(qname), qtype.upper()
    ips = _upstream_table(cluster).get(name)
    if ips is None:
        return Answer(NXDOMAIN, (), "upstream", _fqdn(name), qtype)
    family = {"A": 4, "AAAA": 6}.get(qtype)
    records = tuple(
        Record(_fqdn(name), qtype, str(ip), cluster.config.source)
        for ip in ips
        if ip.version == family
    )
    return Answer(NOERROR, records, "upstream", _fqdn(name), qtype)


@per_cluster
def _owned(cluster: Cluster) -> frozenset[str]:
    """Every name of the cluster zone that exists: the record owners and all their ancestors."""
    z = _zone_index(cluster)
    out: set[str] = set()
    names = list(zone_names(cluster)) + [f"{ns.name}.svc.{z.zone}." for ns in cluster.namespaces]
    for name in names:
        labels = _norm(name).split(".")
        for i in range(len(labels)):
            out.add(".".join(labels[i:]))
    return frozenset(out)


def namespace_search_domain(cluster: Cluster, namespace: str) -> str:
    """``<ns>.svc.<zone>``, the first search domain of a ClusterFirst pod of ``namespace``
    (normalised: lower case, no trailing dot)."""
    return _norm(f"{namespace}.svc.{_zone(cluster)}")


@per_cluster
def names_below_namespaces(cluster: Cluster) -> dict[str, frozenset[str]]:
    """For each namespace ``ns``, the relative names ``x`` (normalised) for which
    ``x.<ns>.svc.<zone>`` exists: what :func:`answer_filter` lets through under a namespace's
    search domain. (None of them is reverse or pod-zone: those are the filter's other cases.)"""
    suffix = f".svc.{_zone(cluster)}"
    out: dict[str, set[str]] = {}
    for name in _owned(cluster):
        if name.endswith(suffix):
            rest = name[: -len(suffix)]
            if "." in rest:
                below, _, namespace = rest.rpartition(".")
                out.setdefault(namespace, set()).add(below)
    return {ns: frozenset(names) for ns, names in out.items()}


def may_answer(cluster: Cluster, qname: str) -> bool:
    """A fast negative test: False only when :func:`lookup` has no record for ``qname`` whatever the type
    (NXDOMAIN, except TXT, which CoreDNS answers with NODATA anywhere in its zone).

    Search-list walks try many names that exist nowhere; this lets a caller skip
    them. Names outside the cluster zone, reverse names and pod names (which
    CoreDNS synthesises) are always "maybe". :func:`answer_filter` is the same
    test as a function of the name, for loops over many names.

    >>> from verifier.model import Service, ip_address
    >>> c = Cluster(services=(Service(namespace="x", name="web", cluster_ips=(ip_address("10.96.0.20"),)),))
    >>> may_answer(c, "web.x.svc.cluster.local."), may_answer(c, "web.y.x.svc.cluster.local.")
    (True, False)
    """
    return answer_filter(cluster)(qname)


@per_cluster
def answer_filter(cluster: Cluster) -> Callable[[str], bool]:
    """:func:`may_answer` for ``cluster``, as a function of the name alone."""
    zone = _zone_index(cluster).zone
    pod_zone = f"pod.{zone}"
    owned = _owned(cluster)
    # The kubernetes plugin serves the cluster zone unless a longer (reverse) zone owns the name.
    longer = tuple(r for r in _REVERSE_ZONES if len(r) > len(zone))

    in_zone, in_pod_zone = "." + zone, "." + pod_zone

    def may(qname: str) -> bool:
        # _norm and _under, inlined: walks call this millions of times.
        name = qname.strip().lower().removesuffix(".")
        if not (name == zone or name.endswith(in_zone)):
            return True
        if longer and any(_under(name, r) for r in longer):
            return True
        if name == pod_zone or name.endswith(in_pod_zone):
            return True
        return name in owned

    return may


def zone_names(cluster: Cluster) -> tuple[str, ...]:
    """Every name in the cluster zone that carries records, sorted (pod names only for existing pods).

    Services, their ``_port._proto`` SRV names, endpoint names of ready
    endpoints, ``<dashed-ip>.<ns>.pod`` names of live pods (unless pod records
    are disabled) and ``dns-version``.

    >>> from verifier.model import Service, ServicePort, ip_address
    >>> zone_names(Cluster(services=(Service(namespace="x", name="web", cluster_ips=(ip_address("10.96.0.20"),),
    ...                                      ports=(ServicePort(80, name="http"),)),)))
    ('_http._tcp.web.x.svc.cluster.local.', 'dns-version.cluster.local.', 'web.x.svc.cluster.local.')
    """
    z = _zone_index(cluster)
    names = {f"dns-version.{z.zone}"}
    for svc in cluster.services:
        fqdn = f"{svc.name}.{svc.namespace}.svc.{z.zone}".lower()
        names.add(fqdn)
        if svc.type == "ExternalName":
            continue
        eps = z.endpoints.get(svc.ref, ())
        if svc.headless:
            ports = {(n, p) for e in eps for n, p, num in e.ports if n and num != -1}
        else:
            ports = {(sp.name, sp.protocol) for sp in svc.ports if sp.name}
        names |= {f"_{n}._{p.lower()}.{fqdn}" for n, p in ports}
        names |= {f"{e.hostname}.{fqdn}".lower() for e in eps}
    if cluster.config.dns_pods != "disabled":
        names |= {
            f"{dashed(ip)}.{p.namespace}.pod.{z.zone}".lower()
            for p in cluster.live_pods
            for ip in p.ips
        }
    return tuple(sorted(_fqdn(n) for n in names))
