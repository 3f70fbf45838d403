"""Shared scaffolding for the engine's behavioural tests.

The clusters follow semantics.md §12: namespaces ``x``, ``y``, ``z``; pods ``a``,
``b``, ``c`` in each; nodes ``n1`` and ``n2``. Pods ``a`` and ``c`` run on ``n1``,
``b`` on ``n2``, so every scenario has same-node and cross-node pairs. Pod IPs
are fixed and readable: ``10.244.<node>.<10 * namespace + pod>``, e.g. x/a =
10.244.1.11, y/b = 10.244.2.22.

:func:`world` builds that cluster plus whatever a test adds; a pod given to it
replaces the standard pod of the same name. :func:`expect_flow` traces one
connection and checks its verdict and, per pipeline step, the outcome and the
objects that decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from tests.builders import cluster, namespace, node, peer, pod, rule, service
from verifier.engine import trace
from verifier.model import Cluster, Namespace, Pod
from verifier.trace import Hop, Trace, Verdict

NAMESPACES = ("x", "y", "z")
NAMES = ("a", "b", "c")
NODE_IPS = {"n1": "192.168.0.1", "n2": "192.168.0.2"}
NODE_OF = {"a": "n1", "b": "n2", "c": "n1"}
DNS_VIP = "10.96.0.10"
COREDNS_IP = "10.244.2.53"


def pod_ip(ref: str) -> str:
    """The standard IP of ``"ns/name"`` (a pod of the x/y/z x a/b/c grid)."""
    ns, name = ref.split("/")
    node_index = int(NODE_OF[name][1])
    return f"10.244.{node_index}.{10 * (NAMESPACES.index(ns) + 1) + NAMES.index(name) + 1}"


def nodes(**kw) -> list:
    """n1 and n2 with their InternalIPs and IPv4 podCIDRs 10.244.1.0/24, 10.244.2.0/24."""
    return [node(n, ip, pod_cidr=f"10.244.{n[1]}.0/24", **kw) for n, ip in NODE_IPS.items()]


def grid_pods(
    *,
    labels: Callable[[str, str], Mapping[str, str]] = lambda ns, name: {"app": name},
    ports: Iterable = (("http", 80),),
) -> list[Pod]:
    """The nine standard pods; ``labels(ns, name)`` gives each pod's labels."""
    return [
        pod(
            f"{ns}/{name}",
            ip=pod_ip(f"{ns}/{name}"),
            node=NODE_OF[name],
            labels=labels(ns, name),
            ports=ports,
        )
        for ns in NAMESPACES
        for name in NAMES
    ]


def world(*objects, pods: Iterable[Pod] | None = None, check_ips: bool = True, **config) -> Cluster:
    """Nodes n1, n2, the standard pods (or ``pods``), then ``objects``.

    A Pod among ``objects`` replaces the standard pod with the same ``ns/name``.
    Config keywords go to :func:`tests.builders.cluster`. Unless ``check_ips`` is
    False, two live pod-network pods with one IP are a mistake in the test. Outside
    hosts (203.0.113.9) reach pod IPs, as the checklist's items assume, unless a
    test says ``pods_routable_from_outside=False``.
    """
    config.setdefault("pods_routable_from_outside", True)
    flat = [o for obj in objects for o in (obj if isinstance(obj, (list, tuple)) else [obj])]
    given = {o.ref for o in flat if isinstance(o, Pod)}
    standard = [p for p in (grid_pods() if pods is None else pods) if p.ref not in given]
    has_ns = {o.name for o in flat if isinstance(o, Namespace)}
    namespaces = [namespace(ns) for ns in NAMESPACES if ns not in has_ns]
    c = cluster(*nodes(), *namespaces, *standard, *flat, **config)
    if check_ips:
        holders = [(ip, p.ref) for p in c.live_pods if not p.host_network for ip in p.ips]
        clashes = {ip for ip, _ in holders if sum(1 for other, _ in holders if other == ip) > 1}
        assert not clashes, (
            f"pods share IPs {sorted(map(str, clashes))}: {[r for ip, r in holders if ip in clashes]}"
        )
    return c


def cluster_dns() -> list:
    """CoreDNS (kube-system/coredns on n2) behind the kube-dns Service 10.96.0.10."""
    return [
        pod(
            "kube-system/coredns",
            ip=COREDNS_IP,
            node="n2",
            labels={"k8s-app": "kube-dns"},
            ports=[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")],
        ),
        service(
            "kube-system/kube-dns",
            ip=DNS_VIP,
            selector={"k8s-app": "kube-dns"},
            ports=[("dns", 53, "dns", "UDP"), ("dns-tcp", 53, "dns-tcp", "TCP")],
        ),
    ]


def dns_egress():
    """The usual recipe: egress to the cluster DNS pods (kube-system, k8s-app=kube-dns) on 53."""
    return rule(
        peer(
            namespaces={"kubernetes.io/metadata.name": "kube-system"}, pods={"k8s-app": "kube-dns"}
        ),
        ports=["53/UDP", "53/TCP"],
    )


# --------------------------------------------------------------------------- reading traces


def hops(t: Trace, step: str) -> list[Hop]:
    """The hops of ``step`` on the path the verdict reports (shared hops, then the decisive branch)."""
    return [h for h in t.all_hops if h.step == step]


def hop(t: Trace, step: str) -> Hop:
    """The one hop of ``step``; fails when there is none or several."""
    found = hops(t, step)
    assert len(found) == 1, f"expected one {step!r} hop, got {len(found)}:\n{render(t)}"
    return found[0]


def said(h: Hop) -> tuple[str, tuple[str, ...]]:
    """``(outcome, decider refs)`` of a hop, e.g. ``("denied", ("NetworkPolicy x/deny",))``."""
    return h.outcome, tuple(d.ref for d in h.deciders)


def render(t: Trace) -> str:
    lines = [t.summary]
    lines += [f"  {h}" for h in t.hops]
    for b in t.branches:
        lines.append(f"  branch {b.pod or b.ip}:{b.port} -> {b.verdict}")
        lines += [f"    {h}" for h in b.hops]
    return "\n".join(lines)


_ANY = object()


def expect_flow(
    c: Cluster,
    src,
    dst,
    port=80,
    protocol: str = "TCP",
    *,
    verdict: Verdict,
    family: int | None = None,
    **steps,
) -> Trace:
    """Trace ``src -> dst:port/protocol`` and check the verdict and the named steps.

    Each keyword names a pipeline step (``dns_query`` for ``dns-query``) and gives
    ``(outcome, [decider refs])``, or just the outcome string when the deciders
    do not matter, or None when the step must be absent from the path.
    """
    t = trace(c, src, dst, port, protocol, family=family)
    assert t.verdict is verdict, f"expected {verdict}, got:\n{render(t)}"
    for key, want in steps.items():
        step = key.replace("_", "-")
        if want is None:
            assert not hops(t, step), f"expected no {step!r} hop:\n{render(t)}"
            continue
        outcome, deciders = (want, _ANY) if isinstance(want, str) else want
        got = said(hop(t, step))
        assert got[0] == outcome, f"{step}: expected {outcome!r}, got {got}:\n{render(t)}"
        if deciders is not _ANY:
            assert got[1] == tuple(deciders), (
                f"{step}: expected deciders {tuple(deciders)}, got {got[1]}:\n{render(t)}"
            )
    return t
