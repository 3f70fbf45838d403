"""Names resolved outside the cluster: a connection decided for every address they may have.

A pod connecting to ``google.com`` asks the cluster DNS, which forwards the
name upstream; what the internet answers is not in the input. Unless the name
is pinned with ``ClusterNetwork.externalNames``, the connection is decided for
*every* address outside the cluster (outside the pod, Service and node ranges,
and none of the Services' externalIPs and LoadBalancer IPs: the cluster takes
those in, so a name pointing at one is the cluster's own and must be declared):
Z3 looks for one such address the connection is allowed to and one it is denied
to, and the engine then traces each example concretely. Allowed for some and
denied for others means the answer depends on where the name points.

>>> from verifier.model import Cluster, Pod, ip_address
>>> a = Pod(namespace="x", name="a", node_name="n1", ips=(ip_address("10.244.1.5"),))
>>> examples = outside_examples(Cluster(pods=(a,)), a, 443, "TCP", 4)
>>> examples.allowed is not None, examples.denied is None
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import IP, Cluster, Pod, ip_network
from .properties import flows
from .semantics import services as svc_rules
from .semantics.pipeline import Client
from .symbolic.encoder import Encoder
from .symbolic.solver import Solver
from .symbolic.solver import Status as SolverStatus

__all__ = ["OutsideExamples", "outside_examples"]


@dataclass(frozen=True, slots=True)
class OutsideExamples:
    """One outside address the connection is allowed to and one it is denied to (None: there is
    none, proven), or ``unknown`` with the solver's reason when it gave up."""

    allowed: IP | None
    denied: IP | None
    unknown: str | None = None


def outside_examples(
    cluster: Cluster, pod: Pod, port: int, protocol: str, family: int, *, timeout: float = 20.0
) -> OutsideExamples:
    """Example outside addresses ``pod`` may and may not open ``port/protocol`` to, directly."""
    enc = Encoder(cluster, family, prefix="upstream.")
    alg = enc.alg
    packet = enc.packet("up")
    (src,) = flows.pod_parties(cluster, [[pod]])
    dst = flows.outside_party()
    client: Client = src.client(cluster)
    reaches = alg.or_(
        *(
            alg.and_(cond, enc.allowed(client, path, packet))
            for path, cond in flows.paths_to(enc, client, dst, None, packet)
        )
    )
    # The cluster's own externalIPs and LoadBalancer IPs lie outside its ranges, but kube-proxy
    # takes a packet to one of them in: a name pointing there is the cluster's own, not upstream.
    captured = {
        f.ip
        for f in svc_rules.frontends(cluster)
        if f.kind in (svc_rules.EXTERNAL_IP, svc_rules.LOAD_BALANCER) and f.family == family
    }
    somewhere = alg.and_(
        flows.address(enc, src, packet.src_ip),
        flows.address(enc, dst, packet.dst_ip),
        *(alg.not_(alg.eq(packet.dst_ip, alg.ip(ip))) for ip in sorted(captured)),
        alg.eq(packet.dst_port, alg.port(port)),
        alg.eq(packet.protocol, alg.protocol(protocol)),
    )
    public = alg.or_(*(alg.in_cidr(packet.dst_ip, n) for n in PUBLIC[family]))
    solver = Solver(timeout=timeout)
    solver.add(*enc.constraints)
    found: dict[bool, IP | None] = {}
    for wanted in (True, False):
        query = (somewhere, reaches if wanted else alg.not_(reaches))
        answer = solver.check(*query)
        if answer.status is SolverStatus.UNKNOWN:
            return OutsideExamples(None, None, answer.reason or "the solver gave up")
        if answer.status is SolverStatus.UNSAT:
            found[wanted] = None
            continue
        # A public address reads better than 0.0.0.0 when there is one (never decides *whether*).
        nicer = solver.check(*query, public)
        model = nicer.model if nicer.status is SolverStatus.SAT else answer.model
        found[wanted] = enc.concrete_packet(model, packet).dst_ip
    return OutsideExamples(found[True], found[False])


#: Where example hosts are looked for first: most of the public unicast space, clear of the
#: private, shared, loopback, link-local, multicast and reserved ranges (2000::/3 for IPv6).
PUBLIC = {
    4: tuple(
        ip_network(n)
        for n in (
            "1.0.0.0/8",
            "2.0.0.0/7",
            "4.0.0.0/6",
            "8.0.0.0/7",
            "11.0.0.0/8",
            "12.0.0.0/6",
            "16.0.0.0/4",
            "32.0.0.0/3",
            "64.0.0.0/3",
            "96.0.0.0/6",
            "101.0.0.0/8",
            "102.0.0.0/7",
            "104.0.0.0/5",
            "112.0.0.0/5",
            "120.0.0.0/6",
            "124.0.0.0/7",
            "126.0.0.0/8",
            "128.0.0.0/3",
            "160.0.0.0/5",
            "168.0.0.0/8",
            "170.0.0.0/7",
            "173.0.0.0/8",
            "174.0.0.0/7",
            "176.0.0.0/4",
            "193.0.0.0/8",
            "194.0.0.0/7",
            "196.0.0.0/6",
            "200.0.0.0/5",
            "208.0.0.0/4",
        )
    ),
    6: (ip_network("2000::/3"),),
}
