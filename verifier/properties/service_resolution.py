"""Property *service-resolution*: every Service leads to its intended, ready backends.

Formally, for every Service s (not ExternalName), every family f of s and every
service port sp, with R(s, f) the live pods of s's namespace its selector
matches (for selector-less Services: the endpoints written by hand), and every
allocation of the addresses netverify allocated:

1. s has a usable endpoint for sp somewhere in the cluster (kube-proxy does
   not REJECT connections to it); a Local traffic policy that DROPs clients on
   nodes without a local endpoint is by design and not reported;
2. a named ``targetPort`` resolves on every ready pod of R(s, f): a pod that
   lacks the name silently receives no traffic for that port;
3. every ``ip:port`` a frontend of s (ClusterIP, NodePort, externalIP,
   LoadBalancer IP) DNATs to is a pod of R(s, f) at sp's resolved target port
   (no stale or foreign EndpointSlice entry);
4. no two Services answer on the same ``ip:port/protocol``.

A Service whose selector matches no pod of the input but the pods an operator
makes from a custom resource of the input (:class:`~verifier.model.OperatorWorkload`:
kube-prometheus' ``Prometheus``, ...) is not checked against 1: its pods are
not in the input. It is one warning finding, naming the resource, not a
counterexample per port.
"""

from __future__ import annotations

from typing import Any

from ..errors import SoundnessError
from ..model import Cluster, OperatorWorkload, Pod, Service, ServicePort
from ..semantics import journey
from ..semantics import services as svc_rules
from ..semantics._cache import per_cluster
from ..semantics.pipeline import Client
from ..symbolic.encoder import Encoder
from ..symbolic.solver import Case
from ..trace import Decider, Trace, Verdict, host_port
from .driver import Query, prove
from .result import Counterexample, Finding, PropertyResult

NAME = "service-resolution"
STATEMENT = (
    "every Service port has ready endpoints, every named targetPort resolves on every selected pod, every "
    "frontend DNATs only to the selected pods at the resolved port, and no two Services share a frontend"
)


def check(
    cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3
) -> PropertyResult:
    reported: set = set()
    operated = _operated(cluster)
    queries = []
    for family in cluster.families:
        enc = Encoder(cluster, family)

        def cases(enc=enc, family=family) -> list[Case]:
            # A Service port empty (or a pod lacking the named port) in both families is one finding.
            return [
                c
                for c in _cases(cluster, enc, family)
                if _identity(c.key) not in reported
                and not (c.key[0] == "empty" and c.key[1].ref in operated)
            ]

        def explain(case: Case, model) -> Counterexample:
            reported.add(_identity(case.key))
            return _explain(cluster, case.key)

        queries.append(Query(f"IPv{family}", (enc,), cases, explain))
    findings = tuple(
        _operator_finding(cluster.service_by_ref[ref], w) for ref, w in operated.items()
    )
    return prove(
        NAME,
        NAME,
        STATEMENT,
        queries,
        timeout=timeout,
        limit=max_counterexamples,
        findings=findings,
    )


def _operated(cluster: Cluster) -> dict[str, OperatorWorkload]:
    """Services whose selector matches no pod of the input but an operator's pods: ref -> the resource."""
    out: dict[str, OperatorWorkload] = {}
    if not cluster.operator_workloads:
        return out
    for svc in cluster.services:
        if svc.type == "ExternalName" or not svc.selector:
            continue
        maker = next(
            (
                w
                for w in cluster.operator_workloads
                if w.makes_pods_for(svc.namespace, svc.selector)
            ),
            None,
        )
        if maker is not None and not any(
            _selected(cluster, svc, f) for f in svc_rules.families_of(svc)
        ):
            out[svc.ref] = maker
    return out


def _operator_finding(svc: Service, maker: OperatorWorkload) -> Finding:
    ports = ", ".join(map(str, svc.ports)) or "none"
    return Finding(
        f"Service {svc.ref} targets pods created by an operator from {maker}: they are not in "
        f"the input, so whether its ports ({ports}) have endpoints is not checked",
        (
            Decider.of(svc, part="spec.selector"),
            Decider(maker.kind, maker.name, maker.namespace, source=maker.source),
        ),
        severity="warning",
    )


def _identity(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a finding is about, whatever the family it was found in."""
    if key[0] in ("empty", "unresolved"):
        return (key[0], key[1].ref, key[2], *(p.ref for p in key[4:]))
    return (id(key),)


def _selected(cluster: Cluster, svc: Service, family: int) -> list[Pod]:
    """R(s, f): the live pods of the Service's namespace its selector matches, with an f address."""
    return [e.pod for e in svc_rules.generated_endpoints(cluster, svc, family) if e.pod is not None]


@per_cluster
def _clients(cluster: Cluster, family: int, near: str | None) -> list[Client]:
    """Who may connect, those on node ``near`` first: a pod-network pod on each node (if any),
    each node, and an outside host. Which backends a frontend DNATs to depends only on the
    kind of client and its node."""
    by_node = _clients_by_node(cluster, family)
    first = by_node.get(near, [])
    return (
        first + [c for name, cs in by_node.items() if name != near for c in cs] + [Client.outside()]
    )


@per_cluster
def _clients_by_node(cluster: Cluster, family: int) -> dict[str, list[Client]]:
    pods: dict[str, Pod] = {}
    for p in cluster.live_pods:
        if p.node_name and not p.host_network and p.ip(family) is not None:
            pods.setdefault(p.node_name, p)
    out: dict[str, list[Client]] = {}
    for node in cluster.nodes:
        clients = [Client.of_pod(cluster, pods[node.name])] if node.name in pods else []
        if node.ip(family) is not None:
            clients.append(Client.of_node(node))
        out[node.name] = clients
    return out


@per_cluster
def _frontends_by_service(cluster: Cluster) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in svc_rules.frontends(cluster):
        out.setdefault(f.service.ref, []).append(f)
    return out


def _frontends_of(cluster: Cluster, ref: str) -> list:
    return _frontends_by_service(cluster).get(ref, [])


def _dnat_targets(
    cluster: Cluster, svc: Service, sp: ServicePort, family: int
) -> dict[tuple, tuple[Client, journey.Path]]:
    """Every backend ``ip:port`` some client is DNATed to through a frontend of this Service port,
    with one client and path that show it (the journey, as the engine walks it).

    Only kube-proxy's candidates can be chosen; for each, the clients on its node
    are tried first (a Local traffic policy picks the backends of the client's node).
    """
    out: dict[tuple, tuple[Client, journey.Path]] = {}
    fronts = sorted(
        (
            f
            for f in _frontends_of(cluster, svc.ref)
            if f.service is svc and f.service_port == sp and f.family == family
        ),
        key=lambda f: f.kind != svc_rules.CLUSTER_IP,
    )
    for b in svc_rules.candidates(cluster, svc, sp, family):
        if (b.ip, b.port) in out:
            continue
        found = False  # (a flag: hashing the address again after every path was most of the cost)
        for client in _clients(cluster, family, b.node_name):
            for f in fronts:
                for p in journey.plan(cluster, client, f.ip, f.port, f.protocol).paths:
                    t = p.translation
                    if p.backend is not None and t is not None and t.service is svc:
                        out.setdefault((p.backend.ip, p.backend.port), (client, p))
                        found = found or (p.backend.ip == b.ip and p.backend.port == b.port)
                if found:
                    break
            if found:
                break
    return out


def _cases(cluster: Cluster, enc: Encoder, family: int) -> list[Case]:
    alg = enc.alg
    cases: list[Case] = []
    for svc in cluster.services:
        if svc.type == "ExternalName" or family not in svc_rules.families_of(svc):
            continue
        selected = _selected(cluster, svc, family) if svc.selector else None
        for sp in svc.ports:
            usable = svc_rules.candidates(cluster, svc, sp, family)
            # 1. no usable endpoint at all
            cases.append(Case(("empty", svc, sp, family), not usable))
            if selected is None:
                continue
            # 2. a ready selected pod on which the named targetPort does not resolve
            # (when it resolves on none of them, case 1 already says so, naming them)
            if isinstance(sp.target, str) and any(
                p.named_port(sp.target, sp.protocol) is not None for p in selected
            ):
                for pod in selected:
                    if pod.ready and pod.named_port(sp.target, sp.protocol) is None:
                        cases.append(Case(("unresolved", svc, sp, family, pod), True))
            # 3. a backend some frontend DNATs to that is no selected pod at its resolved port
            expected = {p.ref: _target_port(p, sp) for p in selected}
            for client, path in _dnat_targets(cluster, svc, sp, family).values():
                b = path.backend
                if b.endpoint.generated:
                    # Generated from the selector: the backend *is* a selected pod.
                    intended = b.pod is not None and expected.get(b.pod.ref) == b.port
                else:
                    # Written in a slice: its address must be a selected pod's (an
                    # allocated pod's address is an unknown), at the resolved port.
                    intended = alg.or_(
                        *(
                            alg.eq(alg.ip(b.ip), enc.pod_ip(p))
                            for p in selected
                            if expected[p.ref] is not None and expected[p.ref] == b.port
                        )
                    )
                cases.append(
                    Case(("foreign", svc, sp, family, b, client, path), alg.not_(intended))
                )
    # 4. two Services on one frontend
    for (ip, _port, _proto), fronts in svc_rules.frontend_index(cluster).items():
        services = {f.service.ref for f in fronts}
        if ip.version == family and len(services) > 1:
            cases.append(Case(("collision", fronts), True))
    return cases


def _target_port(pod: Pod, sp: ServicePort) -> int | None:
    return pod.named_port(sp.target, sp.protocol) if isinstance(sp.target, str) else sp.target


def _outside_example(cluster: Cluster, family: int):
    """A concrete outside address to replay an outside client with (documentation ranges first)."""
    from ipaddress import ip_address

    from ..semantics.addressing import outside_region
    from ..semantics.algebra import CONCRETE

    for text in (
        ("203.0.113.10", "198.51.100.10", "192.0.2.10", "8.8.8.8")
        if family == 4
        else ("2001:db8::10", "2001:4860::8888")
    ):
        ip = ip_address(text)
        if outside_region(CONCRETE, cluster, ip, family):
            return ip
    raise SoundnessError(f"service-resolution: no outside address to replay with in IPv{family}")


def _replay_client(cluster: Cluster, client: Client, family: int):
    """``client`` as the engine's trace() takes it."""
    if client.pod is not None:
        return client.pod.ref
    if client.node is not None:
        return f"node/{client.node.name}"
    return _outside_example(cluster, family)


def _client(cluster: Cluster, svc: Service, family: int):
    """Who replays a connection to the Service: a pod of its namespace, else any pod, else a node.

    It needs an address of ``family``: an IPv4-only pod has no route to an IPv6 ClusterIP.
    """
    pods = [p for p in cluster.live_pods if not p.host_network and p.ip(family) is not None]
    same = [p for p in pods if p.namespace == svc.namespace]
    if same or pods:
        return (same or pods)[0].ref
    node = next((n for n in cluster.nodes if n.ip(family) is not None), None)
    return f"node/{node.name}" if node is not None else None


def _frontend(cluster: Cluster, svc: Service, sp: ServicePort, family: int):
    """The frontend to replay with: the ClusterIP of ``family``, else another of the Service's."""
    fronts = [
        f
        for f in svc_rules.frontends(cluster)
        if f.service is svc and f.service_port == sp and f.family == family
    ]
    return next(
        (f for f in fronts if f.kind == svc_rules.CLUSTER_IP), fronts[0] if fronts else None
    )


def _trace_to(cluster: Cluster, svc: Service, sp: ServicePort, family: int) -> Trace:
    """The engine's trace of a connection to the Service port (its name, for a headless Service)."""
    from ..engine import trace

    client = _client(cluster, svc, family)
    if svc.headless:
        pod = client if client is not None and not client.startswith("node/") else None
        if pod is None:
            raise SoundnessError(
                f"service-resolution: no pod to resolve the headless Service {svc.ref} from"
            )
        # The absolute name: a pod's search list may let another name answer first (§7.7),
        # which is dns-resolution's finding, not this one's.
        zone = cluster.config.cluster_domain.strip().rstrip(".")
        fqdn = f"{svc.name}.{svc.namespace}.svc.{zone}."
        return trace(cluster, pod, fqdn, sp.port, sp.protocol, family=family)
    front = _frontend(cluster, svc, sp, family)
    if front is None:  # pragma: no cover - a non-headless Service port has a ClusterIP frontend
        raise SoundnessError(f"service-resolution: {svc.ref} port {sp} has no frontend to replay")
    if client is None:
        client = _outside_example(cluster, family)
    return trace(cluster, client, front.ip, front.port, front.protocol)


def _replay_empty(
    cluster: Cluster, svc: Service, sp: ServicePort, family: int
) -> tuple[Trace, ...]:
    """The engine (or, for a headless Service, the cluster DNS) must show the port has no endpoint."""
    from ..semantics import dns as dns_rules

    if not svc.headless:
        t = _trace_to(cluster, svc, sp, family)
        if t.verdict is not Verdict.NO_ENDPOINTS:
            raise SoundnessError(
                f"service-resolution: {svc.ref} port {sp} has no endpoint, the engine says {t.verdict}"
            )
        return (t,)
    # No kube-proxy for a headless Service: its endpoints are DNS records. None at all: the name
    # is NXDOMAIN; some, but none with this port: the port's SRV records are missing.
    zone = cluster.config.cluster_domain
    if not any(e.ready for e in svc_rules.service_endpoints(cluster, svc, family)):
        client = _client(cluster, svc, family)
        t = (
            None
            if client is None or client.startswith("node/")
            else _trace_to(cluster, svc, sp, family)
        )
        if t is None or t.verdict is Verdict.DNS_BLOCKED:
            # No pod of that family to resolve from, or its policy keeps it from the cluster
            # DNS: ask the cluster DNS itself.
            qtype = "A" if family == 4 else "AAAA"
            fqdn = f"{svc.name}.{svc.namespace}.svc.{zone}"
            answer = dns_rules.lookup(cluster, fqdn, qtype)
            if answer.records:
                raise SoundnessError(
                    f"service-resolution: headless {svc.ref} has no ready endpoint, the cluster DNS answers {fqdn} {qtype}"
                )
            return ()
        if t.verdict is not Verdict.NXDOMAIN:
            raise SoundnessError(
                f"service-resolution: headless {svc.ref} has no ready endpoint, the engine says {t.verdict}"
            )
        return (t,)
    if sp.name:
        srv = f"_{sp.name}._{sp.protocol.lower()}.{svc.name}.{svc.namespace}.svc.{zone}"
        answer = dns_rules.lookup(cluster, srv, "SRV")
        # SRV records name hosts, whatever their family: only a target with an address of
        # this family would be an endpoint of the port here.
        qtype = "A" if family == 4 else "AAAA"
        targets = [r.data.split()[-1] for r in answer.records if r.type == "SRV"]
        found = [t for t in targets if dns_rules.lookup(cluster, t, qtype).records]
        if found:
            raise SoundnessError(
                f"service-resolution: headless {svc.ref} port {sp} has no IPv{family} endpoint, the "
                f"cluster DNS answers {srv} SRV with {found[0]}, which has {qtype} records"
            )
    return ()


def _replay_unpublished(
    cluster: Cluster, svc: Service, sp: ServicePort, pod: Pod, family: int
) -> None:
    """The cluster DNS publishes no SRV record of a headless Service's port for ``pod``."""
    from ..semantics import dns as dns_rules

    if not sp.name:
        return  # an unnamed port has no SRV record at all
    zone = cluster.config.cluster_domain
    srv = f"_{sp.name}._{sp.protocol.lower()}.{svc.name}.{svc.namespace}.svc.{zone}"
    ip = pod.ip(family)
    names = {dns_rules.dashed(ip)} if ip is not None else set()
    if pod.hostname:
        names.add(pod.hostname)
    for record in dns_rules.lookup(cluster, srv, "SRV").records:
        if isinstance(record.origin, Pod):
            # Two pods may share an address (and so a record name): the record's pod decides.
            named = record.origin.ref == pod.ref
        else:
            named = record.data.split()[-1].split(".")[0] in names
        if named:
            raise SoundnessError(
                f"service-resolution: {pod.ref} lacks {sp.target}, yet {srv} SRV names it"
            )


def _port_decider(svc: Service, sp: ServicePort, part: str) -> Decider:
    return Decider.of(svc, part=part, source=svc_rules.port_source(svc, sp))


def _explain(cluster: Cluster, key: tuple[Any, ...]) -> Counterexample:
    kind = key[0]
    if kind == "collision":
        fronts = key[1]
        f = fronts[0]
        names = " and ".join(sorted({x.service.ref for x in fronts}))
        return Counterexample(
            summary=f"Services {names} both answer on {f.kind} {host_port(f.ip, f.port)}/{f.protocol}; kube-proxy sends every connection to one of them",
            objects=tuple(
                _port_decider(x.service, x.service_port, f"port {x.service_port}") for x in fronts
            ),
            details={"frontend": f"{host_port(f.ip, f.port)}/{f.protocol}"},
        )
    svc, sp, family = key[1], key[2], key[3]
    if kind == "empty":
        empty = [
            f for f in svc_rules.families_of(svc) if not svc_rules.candidates(cluster, svc, sp, f)
        ] or [family]
        traces = tuple(t for f in empty for t in _replay_empty(cluster, svc, sp, f))
        lacking = _lacking(cluster, svc, sp, family)
        families = " and ".join(f"IPv{f}" for f in empty)
        return Counterexample(
            summary=f"Service {svc.ref} port {sp} ({families}) has no usable endpoint: {_why_empty(cluster, svc, sp, empty)}",
            pods=tuple(p.ref for p in lacking),
            objects=(_port_decider(svc, sp, f"port {sp}" + (" targetPort" if lacking else "")),),
            traces=traces,
        )
    if kind == "unresolved":
        pod = key[4]
        if svc.headless:
            # No kube-proxy: the port lives in the SRV records, which must not name the pod.
            traces = ()
            _replay_unpublished(cluster, svc, sp, pod, family)
        else:
            t = _trace_to(cluster, svc, sp, family)
            traces = (t,)
            if any(b.pod == pod.ref for b in t.branches):
                raise SoundnessError(
                    f"service-resolution: {pod.ref} lacks {sp.target}, yet the engine DNATs to it"
                )
        return Counterexample(
            summary=(
                f"Service {svc.ref} port {sp}: targetPort {sp.target!r}/{sp.protocol} is declared by no container of "
                f"{pod.ref}, which the selector matches: it gets no traffic for this port"
            ),
            pods=(pod.ref,),
            objects=(_port_decider(svc, sp, f"port {sp} targetPort"), Decider.of(pod)),
            traces=traces,
        )
    from ..engine import trace
    from .flows import branch_of

    backend, client, path = key[4], key[5], key[6]
    where = backend.endpoint.origin
    t = trace(
        cluster,
        _replay_client(cluster, client, family),
        path.entry.ip,
        path.entry.port,
        path.entry.protocol,
    )
    traces = (t,)
    if branch_of(t, path, backend.ip, backend.port) is None:
        raise SoundnessError(
            f"service-resolution: Z3 says {svc.ref} DNATs to {host_port(backend.ip, backend.port)} {path.describe()}, the engine does not"
        )
    objects = [_port_decider(svc, sp, f"port {sp}")]
    if backend.endpoint.slice is not None:
        objects.insert(0, Decider.of(backend.endpoint.slice))
    holder = cluster.pod_by_ip.get(backend.ip)
    who = (
        f" (held by {holder.ref}, which the selector does not match)"
        if holder
        else " (no selected pod holds it)"
    )
    return Counterexample(
        summary=f"Service {svc.ref} port {sp} DNATs to {host_port(backend.ip, backend.port)}{who}, from {where}",
        pods=(holder.ref,) if holder else (),
        objects=tuple(objects),
        traces=traces,
        details={"backend": host_port(backend.ip, backend.port)},
    )


def _why_empty(cluster: Cluster, svc: Service, sp: ServicePort, families: list[int]) -> str:
    if not svc.selector:
        if any(svc_rules.service_endpoints(cluster, svc, f) for f in families):
            return "its EndpointSlices have no ready address with this port"
        return "it has no selector and no EndpointSlice"
    pods = list({p.ref: p for f in families for p in _selected(cluster, svc, f)}.values())
    if not pods:
        sel = ",".join(f"{k}={v}" for k, v in sorted(svc.selector.items()))
        which = " or ".join(f"IPv{f}" for f in families)
        return (
            f"the selector {sel} matches no running pod with an {which} address in {svc.namespace}"
        )
    if all(_lacking(cluster, svc, sp, f) for f in families):
        names = ", ".join(p.ref for p in pods)
        return (
            f"no selected pod ({names}) declares a {sp.protocol} container port named {sp.target!r}"
        )
    return "none of the selected pods is ready"


def _lacking(cluster: Cluster, svc: Service, sp: ServicePort, family: int) -> list[Pod]:
    """The selected pods, when the named targetPort resolves on none of them (else [])."""
    if not svc.selector or not isinstance(sp.target, str):
        return []
    pods = _selected(cluster, svc, family)
    return pods if pods and all(p.named_port(sp.target, sp.protocol) is None for p in pods) else []
