"""Concise constructors for model objects in tests.

Every builder returns a plain :mod:`verifier.model` object; nothing here is
magic beyond a few documented defaults, so a test reads like the cluster it
describes::

    from tests.builders import cluster, node, pod, service

    c = cluster(
        node("n1", ip="192.168.0.1", pod_cidr="10.244.1.0/24"),
        pod("x/a", ip="10.244.1.5", node="n1", ports=[("http", 8080)]),
        service("x/web", ip="10.96.0.20", ports=[("http", 80, "http")]),
    )

Conventions (those of semantics.md §12):

* objects are named ``"<namespace>/<name>"``;
* a pod gets the label ``app=<name>`` unless ``labels`` is given;
* a Service selects ``app=<name>`` unless ``selector`` is given (``selector=None``
  for a selector-less Service);
* IPs are strings; a list gives several (one per family, primary first);
* ports are compact tuples (see :func:`container_port`, :func:`service_port`);
* NetworkPolicies read like their manifests (:func:`netpol`, :func:`rule`,
  :func:`peer`, :func:`policy_port`; selectors as mappings or kubectl syntax,
  see :func:`selector`)::

      netpol("x/allow-b", select={"app": "a"},
             ingress=[rule(peer(pods={"app": "b"}, namespaces={}), ports=[80, "*/UDP"])])

:func:`cluster` sorts objects into the right collections, adds a ``Namespace``
for every namespace used, and turns keyword arguments into the
:class:`~verifier.model.ClusterNetwork` configuration.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from ipaddress import ip_network

from verifier.model import (
    UNKNOWN_SOURCE,
    AdminNetworkPolicy,
    CalicoPolicy,
    Cluster,
    ClusterNetwork,
    Container,
    ContainerPort,
    DNSConfig,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    IPBlock,
    IPPool,
    Labels,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Node,
    NodeAddress,
    Peer,
    Pod,
    PolicyPort,
    PolicyRule,
    Requirement,
    Service,
    ServiceCIDR,
    ServicePort,
    Source,
    Tier,
    ip_address,
)

__all__ = [
    "cluster",
    "container_port",
    "endpoint",
    "endpoint_slice",
    "ip_pool",
    "ips",
    "namespace",
    "netpol",
    "node",
    "peer",
    "pod",
    "policy_port",
    "rule",
    "selector",
    "service",
    "service_port",
    "source",
]


def _split(ref: str) -> tuple[str, str]:
    if "/" not in ref:
        raise ValueError(f"give objects as 'namespace/name', got {ref!r}")
    ns, name = ref.split("/", 1)
    return ns, name


def ips(value) -> tuple:
    """``"10.0.0.1"``, ``["10.0.0.1", "fd00::1"]`` or None -> a tuple of IP objects."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    return tuple(ip_address(v) for v in value)


def namespace(name: str, **labels: str) -> Namespace:
    """A Namespace with its ``kubernetes.io/metadata.name`` label plus ``labels``."""
    return Namespace(name, Labels({"kubernetes.io/metadata.name": name, **labels}))


def node(
    name: str, ip=None, *, pod_cidr=None, labels: Mapping[str, str] | None = None, external_ip=None
) -> Node:
    """A node with InternalIP(s) ``ip`` (str or list) and podCIDR(s) ``pod_cidr`` (str or list)."""
    addresses = [NodeAddress("InternalIP", str(a)) for a in ips(ip)]
    addresses += [NodeAddress("ExternalIP", str(a)) for a in ips(external_ip)]
    cidrs = [pod_cidr] if isinstance(pod_cidr, str) else list(pod_cidr or ())
    return Node(name, Labels(labels or {}), tuple(ip_network(c) for c in cidrs), tuple(addresses))


def container_port(spec) -> ContainerPort:
    """``8080`` | ``("http", 8080)`` | ``("http", 8080, "TCP")`` | ``("http", 80, "TCP", 8080)``
    (the last element is the ``hostPort``) | a ContainerPort. ``name`` may be None."""
    if isinstance(spec, ContainerPort):
        return spec
    if isinstance(spec, int):
        return ContainerPort(spec)
    name, number, *rest = spec
    return ContainerPort(
        number, rest[0] if rest else "TCP", name, rest[1] if len(rest) > 1 else None
    )


def pod(
    ref: str,
    *,
    ip=None,
    node: str | None = None,
    labels: Mapping[str, str] | None = None,
    ports: Iterable = (),
    sidecar_ports: Iterable = (),
    ready: bool = True,
    terminating: bool = False,
    phase: str = "Running",
    host_network: bool = False,
    hostname: str | None = None,
    subdomain: str | None = None,
    dns_policy: str = "ClusterFirst",
    nameservers: Sequence[str] = (),
    searches: Sequence[str] = (),
    options: Mapping[str, str | None] | None = None,
    **extra,
) -> Pod:
    """A pod ``"ns/name"``; labels default to ``app=<name>``.

    ``ports`` go to one container ``main``; ``sidecar_ports`` to a restartable
    init container. ``nameservers``/``searches``/``options`` make a
    ``dnsConfig`` (options as ``{"ndots": "1"}``). Other model fields pass
    through ``extra``.
    """
    ns, name = _split(ref)
    containers = [Container("main", tuple(container_port(p) for p in ports))]
    sidecars = tuple(container_port(p) for p in sidecar_ports)
    if sidecars:
        containers.append(Container("sidecar", sidecars, role="init"))
    dns_config = None
    if nameservers or searches or options:
        dns_config = DNSConfig(tuple(nameservers), tuple(searches), tuple((options or {}).items()))
    return Pod(
        namespace=ns,
        name=name,
        labels=Labels({"app": name} if labels is None else labels),
        node_name=node,
        host_network=host_network,
        containers=tuple(containers),
        ips=ips(ip),
        phase=phase,
        ready=ready,
        terminating=terminating,
        hostname=hostname,
        subdomain=subdomain,
        dns_policy=dns_policy,
        dns_config=dns_config,
        **extra,
    )


def service_port(spec) -> ServicePort:
    """``80`` | ``(name, port)`` | ``(name, port, target)`` | ``(name, port, target, protocol)``
    | ``(name, port, target, protocol, node_port)`` | a ServicePort. ``name`` may be None."""
    if isinstance(spec, ServicePort):
        return spec
    if isinstance(spec, int):
        return ServicePort(spec)
    name, number, *rest = spec
    target = rest[0] if len(rest) > 0 else None
    protocol = rest[1] if len(rest) > 1 else "TCP"
    node_port = rest[2] if len(rest) > 2 else None
    return ServicePort(number, protocol, name, target, node_port)


_UNSET = object()


def _auto_ip(ref: str) -> str:
    # A stable ClusterIP per Service name, in 10.96.128.0/17 (tests that care give one).
    n = zlib.crc32(ref.encode()) % (1 << 15)
    return str(ip_address("10.96.128.0") + n)


def service(
    ref: str,
    *,
    ip=_UNSET,
    ports: Iterable = (80,),
    selector=_UNSET,
    type: str = "ClusterIP",
    headless: bool = False,
    families: Sequence[int] | None = None,
    family_policy: str | None = None,
    external_name: str | None = None,
    external_ips=None,
    lb_ips=None,
    etp: str = "Cluster",
    itp: str = "Cluster",
    publish_not_ready: bool = False,
    **extra,
) -> Service:
    """A Service ``"ns/name"`` selecting ``app=<name>``.

    ``ip`` is the ClusterIP(s) (str or list; one per family); when omitted a
    stable address is derived from the name; headless and ExternalName Services
    get none. ``families`` defaults to the families of the ClusterIPs (IPv4 for
    a headless Service). ``etp``/``itp`` are the external/internal traffic policies.
    """
    ns, name = _split(ref)
    if type == "ExternalName":
        headless, cluster_ips, fams = False, (), ()
    elif headless:
        cluster_ips = ()
        fams = tuple(families or (4,))
    else:
        cluster_ips = ips(_auto_ip(ref) if ip is _UNSET else ip)
        fams = tuple(families or tuple(a.version for a in cluster_ips))
    if selector is _UNSET:
        selector = {"app": name} if type != "ExternalName" else None
    policy = family_policy or ("PreferDualStack" if len(fams) == 2 else "SingleStack")
    return Service(
        namespace=ns,
        name=name,
        type=type,
        selector=None if selector is None else Labels(selector),
        cluster_ips=cluster_ips,
        headless=headless,
        ip_families=fams,
        ip_family_policy=policy,
        ports=tuple(service_port(p) for p in ports),
        external_name=external_name,
        external_ips=ips(external_ips),
        load_balancer_ips=ips(lb_ips),
        external_traffic_policy=etp,
        internal_traffic_policy=itp,
        publish_not_ready_addresses=publish_not_ready,
        **extra,
    )


def endpoint(
    ip,
    *,
    ready: bool = True,
    serving: bool | None = None,
    terminating: bool = False,
    hostname: str | None = None,
    node: str | None = None,
    pod: str | None = None,
) -> Endpoint:
    """One EndpointSlice endpoint; ``serving`` defaults to ``ready``; ``pod`` is the targetRef ``"ns/name"``."""
    return Endpoint(
        ips(ip), ready, ready if serving is None else serving, terminating, hostname, node, pod
    )


def endpoint_slice(
    ref: str,
    *,
    service: str,
    endpoints: Iterable[Endpoint | str] = (),
    ports: Iterable = (),
    address_type: str = "IPv4",
    legacy: bool = False,
) -> EndpointSlice:
    """A slice ``"ns/name"`` labelled for Service ``service`` (a name in the same namespace).

    ``ports``: ``(name, port)`` or ``(name, port, protocol)`` (name may be None);
    ``endpoints``: :func:`endpoint` objects or bare IP strings (ready).
    """
    ns, name = _split(ref)
    eps = tuple(endpoint(e) if isinstance(e, str) else e for e in endpoints)
    eports = tuple(EndpointPort(p[1], p[2] if len(p) > 2 else "TCP", p[0]) for p in ports)
    return EndpointSlice(ns, name, service, address_type, eports, eps, legacy)


def source(where: str | Source | None) -> Source | None:
    """``"policies.yaml:12"`` -> ``Source("policies.yaml", 12)``; a Source or None passes through."""
    if where is None or isinstance(where, Source):
        return where
    file, _, line = where.rpartition(":")
    if file and line.isdigit():
        return Source(file, int(line))
    return Source(where)


def _selector_term(term: str) -> Requirement:
    term = term.strip()
    m = re.fullmatch(r"([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)", term)
    if m:
        values = tuple(v.strip() for v in m.group(3).split(",") if v.strip())
        if not values:
            raise ValueError(f"selector term {term!r}: in/notin need at least one value")
        return Requirement(m.group(1), "In" if m.group(2) == "in" else "NotIn", values)
    m = re.fullmatch(r"([^\s!=(),]+)\s*(!=|==|=)\s*([^\s!=(),]*)", term)
    if m:
        return Requirement(m.group(1), "NotIn" if m.group(2) == "!=" else "In", (m.group(3),))
    m = re.fullmatch(r"(!?)\s*([^\s!=(),]+)", term)
    if m:
        return Requirement(m.group(2), "DoesNotExist" if m.group(1) else "Exists")
    raise ValueError(f"cannot read selector term {term!r}")


def selector(spec) -> LabelSelector | None:
    """A LabelSelector from a compact spec; ``None`` stays None (an *absent* selector).

    * a mapping is ``matchLabels``: ``{"app": "b"}``; ``{}`` is the empty selector (matches all);
    * a string uses kubectl's selector syntax, terms ANDed by commas:
      ``"app=b"`` (In), ``"env!=prod"`` (NotIn), ``"env in (dev,test)"``,
      ``"env notin (prod)"``, ``"tier"`` (Exists), ``"!tier"`` (DoesNotExist);
      ``""`` is the empty selector;
    * a LabelSelector passes through.

    >>> str(selector("env notin (prod),!tier")), str(selector({})), selector(None)
    ('env notin (prod),!tier', '<all>', None)
    """
    if spec is None or isinstance(spec, LabelSelector):
        return spec
    if isinstance(spec, Mapping):
        return LabelSelector(tuple(Requirement(k, "In", (v,)) for k, v in sorted(spec.items())))
    if isinstance(spec, str):
        terms, depth, cur = [], 0, ""
        for ch in spec:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if ch == "," and depth == 0:
                terms.append(cur)
                cur = ""
            else:
                cur += ch
        terms.append(cur)
        return LabelSelector(tuple(_selector_term(t) for t in terms if t.strip()))
    raise TypeError(f"a selector is a mapping, a selector string or a LabelSelector, got {spec!r}")


def peer(
    *, pods=None, namespaces=None, cidr: str | None = None, except_: Iterable[str] = (), at=None
) -> Peer:
    """One ``from``/``to`` entry, validated as the API server does (semantics.md §3.5).

    ``pods`` is the peer's ``podSelector`` and ``namespaces`` its
    ``namespaceSelector`` (specs for :func:`selector`; None = the field is
    absent); ``cidr``/``except_`` make an ``ipBlock``. ``at`` is the Source.

    >>> str(peer(pods={"app": "b"}, namespaces={})), str(peer(cidr="10.0.0.0/16", except_=["10.0.1.0/24"]))
    ('namespaces [<all>] and pods [app=b]', 'ipBlock 10.0.0.0/16 except 10.0.1.0/24')
    """
    block = None
    if cidr is not None:
        if pods is not None or namespaces is not None:
            raise ValueError("may not specify both ipBlock and another peer")
        net = ip_network(cidr)
        excepts = tuple(ip_network(e) for e in except_)
        for e in excepts:
            if e.version != net.version or not e.subnet_of(net) or e.prefixlen <= net.prefixlen:
                raise ValueError(f"except {e} must be a strict subset of {net}")
        block = IPBlock(net, excepts)
    elif except_:
        raise ValueError("except_ needs cidr")
    elif pods is None and namespaces is None:
        raise ValueError("must specify a peer")
    return Peer(selector(pods), selector(namespaces), block, source(at) or UNKNOWN_SOURCE)


_PORT_TEXT = re.compile(r"(?:(\*|\d+|[a-z0-9-]+)(?:-(\d+))?)?(?:/(TCP|UDP|SCTP))?")


def policy_port(spec=None) -> PolicyPort:
    """One ``ports`` entry, with the API server's defaults (protocol TCP).

    * ``80`` or ``"http"`` (a named port): TCP;
    * text in the form the model prints: ``"80/UDP"``, ``"8000-8100"``, ``"*/UDP"``
      (every UDP port), ``"dns/UDP"``;
    * a mapping with the manifest's fields: ``{"port": 80}``, ``{"protocol": "UDP"}``,
      ``{"port": 8000, "endPort": 8100}``; ``{}`` is every TCP port;
    * a PolicyPort passes through.

    >>> [str(policy_port(s)) for s in (80, "http", "8000-8100", "*/UDP", {}, {"port": 53, "protocol": "UDP"})]
    ['80/TCP', 'http/TCP', '8000-8100/TCP', '*/UDP', '*/TCP', '53/UDP']
    """
    if isinstance(spec, PolicyPort):
        return spec
    if spec is None:
        return PolicyPort()
    if isinstance(spec, int):
        return PolicyPort("TCP", spec)
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"port", "protocol", "endPort"}
        if unknown:
            raise ValueError(f"unknown NetworkPolicyPort fields: {', '.join(sorted(unknown))}")
        port, end = spec.get("port"), spec.get("endPort")
        if end is not None and (not isinstance(port, int) or end < port):
            raise ValueError("endPort needs a numeric port <= endPort")
        return PolicyPort(spec.get("protocol", "TCP"), port, end)
    m = _PORT_TEXT.fullmatch(str(spec))
    if not m or not str(spec):
        raise ValueError(f"cannot read policy port {spec!r}")
    port_text, end_text, protocol = m.group(1), m.group(2), m.group(3) or "TCP"
    if port_text in (None, "*"):
        return PolicyPort(protocol)
    port: int | str = int(port_text) if port_text.isdigit() else port_text
    if end_text is not None and not isinstance(port, int):
        raise ValueError(f"a port range needs numbers: {spec!r}")
    return PolicyPort(protocol, port, None if end_text is None else int(end_text))


def rule(*peers: Peer, ports: Iterable = (), at=None) -> PolicyRule:
    """An ingress or egress rule: ``from``/``to`` = ``peers``, ``ports`` = :func:`policy_port` specs.

    No peers means every peer and no ports every port: ``rule()`` is ``ingress: [{}]``.
    """
    return PolicyRule(
        tuple(peers), tuple(policy_port(p) for p in ports), source(at) or UNKNOWN_SOURCE
    )


def netpol(
    ref: str,
    *,
    select="",
    ingress: Iterable[PolicyRule] | None = None,
    egress: Iterable[PolicyRule] | None = None,
    types: Sequence[str] | None = None,
    at=None,
) -> NetworkPolicy:
    """A NetworkPolicy ``"ns/name"`` as the API server stores it.

    ``select`` is ``spec.podSelector`` (:func:`selector` spec; default ``""`` =
    every pod of the namespace). ``ingress``/``egress`` are lists of
    :func:`rule`; None = the section is absent. ``types`` is ``policyTypes``;
    when None it is defaulted as the API server does (semantics.md §3.2):
    ``Ingress``, plus ``Egress`` iff there are egress rules. ``at`` is the
    Source (``"file.yaml:7"``).

    >>> p = netpol("x/only-egress", select={"app": "a"}, egress=[rule(peer(pods={}))])
    >>> p.policy_types, str(p.pod_selector)
    (('Ingress', 'Egress'), 'app=a')
    """
    ns, name = _split(ref)
    ingress_rules = tuple(ingress or ())
    egress_rules = tuple(egress or ())
    if types is None:
        types = ("Ingress", "Egress") if egress_rules else ("Ingress",)
    for t in types:
        if t not in ("Ingress", "Egress"):
            raise ValueError(f"policyTypes entries are Ingress or Egress, got {t!r}")
    sel = selector(select)
    if sel is None:
        raise ValueError("spec.podSelector cannot be absent (it defaults to {}): use select=''")
    return NetworkPolicy(
        namespace=ns,
        name=name,
        pod_selector=sel,
        policy_types=tuple(types),
        ingress=ingress_rules,
        egress=egress_rules,
        source=source(at) or UNKNOWN_SOURCE,
    )


def ip_pool(
    name: str,
    cidr: str,
    *,
    nat_outgoing: bool = False,
    ipip: str = "Never",
    vxlan: str = "Never",
    **extra,
) -> IPPool:
    """A Calico IPPool; ``ipip``/``vxlan`` are the modes (Never, Always, CrossSubnet)."""
    return IPPool(name, ip_network(cidr), nat_outgoing, ipip, vxlan, **extra)


_CONFIG_FIELDS = {f.name for f in fields(ClusterNetwork)}


def _config(**kwargs) -> ClusterNetwork:
    unknown = set(kwargs) - _CONFIG_FIELDS
    if unknown:
        raise TypeError(f"unknown ClusterNetwork fields: {', '.join(sorted(unknown))}")
    conv = dict(kwargs)
    if "cluster_dns" in conv:
        conv["cluster_dns"] = ips(conv["cluster_dns"])
    for key in ("service_cidrs", "pod_cidrs"):
        if key in conv:
            conv[key] = tuple(
                ip_network(c) for c in ([conv[key]] if isinstance(conv[key], str) else conv[key])
            )
    if "external_names" in conv and isinstance(conv["external_names"], Mapping):
        conv["external_names"] = tuple((k, ips(v)) for k, v in conv["external_names"].items())
    for key in ("node_search", "node_nameservers"):
        if key in conv:
            conv[key] = tuple(conv[key])
    return ClusterNetwork(**conv)


def cluster(*objects, **config) -> Cluster:
    """A Cluster of ``objects`` (any order; lists are flattened) with ClusterNetwork ``config``.

    A Namespace is added for every namespace an object uses unless one is given.
    Config keywords take plain values: ``cluster_dns="10.96.0.10"``,
    ``external_names={"db.example.com": ["192.0.2.7"]}``, ``dns_pods="verified"``.
    """
    flat: list = []
    for o in objects:
        flat.extend(o if isinstance(o, (list, tuple)) else [o])
    kinds: dict[type, list] = {}
    for o in flat:
        kinds.setdefault(type(o), []).append(o)
    namespaces = list(kinds.get(Namespace, []))
    known = {n.name for n in namespaces}
    for o in flat:
        ns = getattr(o, "namespace", None)
        if isinstance(ns, str) and ns not in known:
            namespaces.append(namespace(ns))
            known.add(ns)
    return Cluster(
        namespaces=tuple(namespaces),
        nodes=tuple(kinds.get(Node, [])),
        pods=tuple(kinds.get(Pod, [])),
        services=tuple(kinds.get(Service, [])),
        endpoint_slices=tuple(kinds.get(EndpointSlice, [])),
        policies=tuple(kinds.get(NetworkPolicy, [])),
        admin_policies=tuple(kinds.get(AdminNetworkPolicy, [])),
        calico_policies=tuple(kinds.get(CalicoPolicy, [])),
        tiers=tuple(kinds.get(Tier, [])),
        ip_pools=tuple(kinds.get(IPPool, [])),
        service_cidr_objects=tuple(kinds.get(ServiceCIDR, [])),
        config=_config(**config),
    )
