"""Property *infrastructure-access*: pods reach what the cluster runs for them.

The two most common policy mistakes are about the cluster, not the
application: a default-deny egress that blocks name lookups, and an operator
whose egress cannot reach the Kubernetes API. Formally, for every family and
every allocation:

* every live pod whose resolver uses the cluster DNS sends its lookups to its
  nameserver on 53/UDP and some DNS pod receives them (the pod's egress and the
  DNS pods' ingress allow it), when DNS pods stand behind the nameserver: the
  input's, or the ``ClusterNetwork.dnsProfile`` ones the loader adds;
* every live pod that talks to the API server (``Pod.api_client``: its
  ServiceAccount is bound by a RoleBinding or ClusterRoleBinding and its token
  is mounted, or the ``netverify.dev/api-client`` annotation,
  :mod:`verifier.ingest.rbac`) connects to ``kubernetes.default`` on 443/TCP,
  which its egress must allow to the API servers' addresses on 6443 (policy is
  applied after the Service's DNAT).

Pods are checked per class of pods the rules treat alike (split by node where a
node decides, :func:`verifier.semantics.classes.pod_classes`); each
counterexample is one such class, replayed by the engine from its first pod
(``netverify reach`` shows the same trace), with the policy at fault.

Implicit pods (the cluster DNS the loader adds) are servers and never checked.
"""

from __future__ import annotations

from ..errors import SoundnessError
from ..model import IP, Cluster, Pod
from ..semantics import dns as dns_rules
from ..semantics.classes import pod_classes
from ..semantics.dns.profiles import lookup_assumed
from ..semantics.pipeline import Client
from ..symbolic.encoder import Encoder, instantiate
from ..symbolic.solver import Case
from . import flows
from .driver import Query, prove
from .result import Counterexample, PropertyResult

NAME = "infrastructure-access"
STATEMENT = (
    "every pod that uses the cluster DNS can send it its lookups (53/UDP), and every pod that "
    "talks to the API server (a bound ServiceAccount with its token mounted, or the "
    "netverify.dev/api-client annotation) reaches kubernetes.default on 443/TCP, for every allocation"
)

_DNS, _API = "dns", "api"


def check(
    cluster: Cluster, *, timeout: float = 60.0, max_counterexamples: int = 3
) -> PropertyResult:
    queries = [_query(cluster, family) for family in cluster.families]
    return prove(
        NAME,
        NAME,
        STATEMENT,
        [q for q in queries if q is not None],
        timeout=timeout,
        limit=max_counterexamples,
    )


def _targets(cluster: Cluster, pod: Pod, family: int) -> list[tuple[str, IP, int, str]]:
    """What ``pod`` must reach in ``family``: ``(what, address, port, protocol)``."""
    out = []
    server = dns_rules.resolver_config(cluster, pod).cluster_dns_server
    if (
        server is not None
        and server.version == family
        and not lookup_assumed(cluster, Client.of_pod(cluster, pod), server)
    ):
        out.append((_DNS, server, 53, "UDP"))
    api = cluster.service_by_ref.get("default/kubernetes")
    if pod.api_client is not None and api is not None:
        ip = api.cluster_ip(family)
        if ip is not None and family in pod.families:
            out.append((_API, ip, 443, "TCP"))
    return out


def _query(cluster: Cluster, family: int) -> Query | None:
    clients = [p for p in cluster.live_pods if not p.implicit and p.ip(family) is not None]
    if not clients:
        return None
    enc = Encoder(cluster, family)
    alg = enc.alg

    def cases() -> list[Case]:
        out = []
        for members in pod_classes(cluster, clients, addresses=True):
            # The rules treat a class alike, but what each pod must reach is its own (an API
            # client or not, its resolver): one case per class and target, for the pods that
            # have that target.
            by_target: dict[tuple, list[Pod]] = {}
            for p in members:
                for target in _targets(cluster, p, family):
                    by_target.setdefault(target, []).append(p)
            for (what, ip, port, protocol), group in by_target.items():
                client = Client.of_pod(cluster, group[0])
                reaches = flows.connects(enc, client, ip, port, protocol)
                out.append(Case((what, tuple(group), ip, port, protocol), alg.not_(reaches)))
        return out

    def explain(case: Case, model) -> Counterexample:
        from ..engine import dns_requirement, trace

        what, members, ip, port, protocol = case.key
        rep = members[0]
        allocation = enc.allocation(model)
        t = trace(instantiate(cluster, allocation), rep.ref, str(ip), port, protocol)
        if t.reachable:
            raise SoundnessError(
                f"{NAME}: Z3 says {rep.ref} cannot reach {ip}:{port}/{protocol}, the engine says "
                f"{t.verdict.value}"
            )
        deciders = tuple(
            d for h in t.all_hops if h.outcome in ("denied", "reject", "drop") for d in h.deciders
        )
        others = f" (and {len(members) - 1} more like it)" if len(members) > 1 else ""
        if what == _DNS:
            summary = (
                f"{rep.ref}{others} cannot send its DNS lookups to {ip}:53/UDP ({t.verdict.value}): "
                f"every name it looks up fails{dns_requirement(cluster, ip, t.branches)}"
            )
        else:
            servers = ", ".join(
                dict.fromkeys(f"{b.ip}/{b.ip.max_prefixlen}" for b in t.branches if b.ip)
            )
            ports = "/".join(sorted({str(b.port) for b in t.branches if b.port}))
            summary = (
                f"{rep.ref}{others} cannot reach the API server kubernetes.default "
                f"({ip}:443/TCP, {t.verdict.value}) although {rep.api_client}; policy applies "
                f"after the Service's DNAT, so egress must allow the API servers {servers or ip} "
                f"on {ports or 443}/TCP"
            )
        return Counterexample(
            summary=summary,
            pods=tuple(p.ref for p in members),
            objects=deciders,
            traces=(t,),
            # The client and every DNS pod or API server it may reach: the verdict is theirs.
            allocation=flows.allocation_for(
                cluster, allocation, {rep.ref} | {b.pod for b in t.branches if b.pod}
            ),
            details={"target": what, "address": str(ip), "port": port, "protocol": protocol},
        )

    return Query(f"IPv{family}", (enc,), cases, explain)
