"""A cluster as a reader wants it in a failure message: one line per object that matters.

Used by the oracle and by ``tests.strategies`` (which imports it: the oracle does not
depend on the strategies' imports of netverify's semantics).
"""

from __future__ import annotations

from verifier.model import AdminPort, Cluster, EntityRule

__all__ = ["describe"]


def describe(cluster: Cluster) -> str:
    """The cluster as a reader wants it in a failure message: one line per object that matters."""
    c = cluster
    config = (
        f"families {c.families}; masquerade {c.config.masquerade}; encapsulation {c.config.encapsulation}; "
        f"clusterDNS {[str(ip) for ip in c.config.cluster_dns]}; endpointToHost {c.config.endpoint_to_host}; "
        f"ipBlocks match pods: {c.config.ipblock_matches_pods}"
    )
    lines = [config]
    lines += [f"namespace {n.name} {dict(n.labels)}" for n in c.namespaces]
    lines += [
        f"node {n.name} {[str(a) for a in n.ips]} podCIDRs {[str(x) for x in n.pod_cidrs]} {dict(n.labels)}"
        for n in c.nodes
    ]
    lines += [
        f"pool {p.name} {p.cidr} natOutgoing={p.nat_outgoing} ipip={p.ipip_mode} nodeSelector={p.node_selector}"
        for p in c.ip_pools
    ]
    for p in c.pods:
        flags = [
            f
            for f, on in (
                ("hostNetwork", p.host_network),
                ("allocated", p.ip_allocated),
                (p.phase, p.terminal),
                ("not-ready", not p.ready),
                ("terminating", p.terminating),
            )
            if on
        ]
        ports = [
            f"{cp.name or '-'}={cp.container_port}/{cp.protocol}"
            + (f" hostPort {cp.host_port}" if cp.host_port else "")
            for cp in p.ports
        ]
        lines.append(
            f"pod {p.ref} on {p.node_name} {[str(a) for a in p.ips]} {dict(p.labels)} ports {ports} {' '.join(flags)}"
        )
    for s in c.services:
        ports = [
            f"{sp.port}/{sp.protocol}->{sp.target}"
            + (f" nodePort {sp.node_port}" if sp.node_port else "")
            for sp in s.ports
        ]
        extra = [str(a) for a in s.external_ips + s.load_balancer_ips]
        lines.append(
            f"service {s.ref} {s.type} {[str(a) for a in s.cluster_ips]} {extra or ''} selector {dict(s.selector or {})} "
            f"{ports} eTP={s.external_traffic_policy} iTP={s.internal_traffic_policy}"
            + (" publishNotReady" if s.publish_not_ready_addresses else "")
            + (
                f" sourceRanges {[str(n) for n in s.load_balancer_source_ranges]}"
                if s.load_balancer_source_ranges
                else ""
            )
        )
    for pol in c.policies:
        lines.append(f"netpol {pol.ref} select [{pol.pod_selector}] types {list(pol.policy_types)}")
        for direction in ("ingress", "egress"):
            for i, r in enumerate(getattr(pol, direction)):
                peers = " | ".join(map(str, r.peers)) or "<all peers>"
                ports = ", ".join(map(str, r.ports)) or "<all ports>"
                lines.append(f"    {direction}[{i}]: {peers} ; ports {ports}")
    for a in c.admin_policies:
        subject = (
            f"namespaces [{a.subject_namespaces}]"
            if a.subject_namespaces is not None
            else f"pods [{a.subject_pods}] in [{a.subject_pod_namespaces}]"
        )
        lines.append(f"{a.kind} {a.name} priority {a.priority} subject {subject}")
        for direction in ("ingress", "egress"):
            for i, r in enumerate(getattr(a, direction)):
                ports = (
                    "<all>" if r.ports is None else ", ".join(_admin_port_text(p) for p in r.ports)
                )
                lines.append(
                    f"    {direction}[{i}]: {r.action} {' | '.join(map(str, r.peers))} ; ports {ports}"
                )
    for sl in c.endpoint_slices:
        eps = [
            f"{','.join(map(str, e.addresses))}@{e.node_name}"
            + ("" if e.ready else " not-ready")
            + (f" ({e.target_pod})" if e.target_pod else "")
            for e in sl.endpoints
        ]
        ports = [f"{p.name or '-'}={p.port}/{p.protocol}" for p in sl.ports]
        lines.append(
            f"endpointslice {sl.ref} for {sl.service_name} {sl.address_type} {ports} {eps}"
        )
    lines += [f"tier {t.name} order {t.order} default {t.default_action}" for t in c.tiers]
    for cp in c.calico_policies:
        lines.append(
            f"{cp.kind} {cp.ref} tier {cp.tier} order {cp.order} selector {cp.selector!r} types {list(cp.types)}"
            + (f" namespaceSelector {cp.namespace_selector!r}" if cp.namespace_selector else "")
        )
        for direction in ("ingress", "egress"):
            for i, r in enumerate(getattr(cp, direction)):
                match = [
                    f"{k} {v}"
                    for k, v in (
                        ("proto", r.protocol),
                        ("notProto", r.not_protocol),
                        ("ipVersion", r.ip_version),
                    )
                    if v
                ]
                lines.append(
                    f"    {direction}[{i}]: {r.action} {' '.join(match)} "
                    f"from {_entity_text(r.source_rule)} to {_entity_text(r.destination)}"
                )
    return "\n".join(lines)


def _admin_port_text(p: AdminPort) -> str:
    if p.name is not None:
        return f"named {p.name}"
    return f"{p.port}-{p.end_port}/{p.protocol}" if p.end_port else f"{p.port}/{p.protocol}"


def _entity_text(e: EntityRule) -> str:
    fields = (
        ("selector", e.selector),
        ("notSelector", e.not_selector),
        ("namespaceSelector", e.namespace_selector),
        ("nets", [str(n) for n in e.nets]),
        ("notNets", [str(n) for n in e.not_nets]),
        ("ports", list(e.ports)),
        ("notPorts", list(e.not_ports)),
    )
    return "{" + ", ".join(f"{k}={v!r}" for k, v in fields if v) + "}"
