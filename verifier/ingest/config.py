"""The netverify configuration object: what the Kubernetes API does not show.

Put one ``ClusterNetwork`` object anywhere in the input (at most one); every
field is optional and defaults to a kubeadm + Calico cluster::

    apiVersion: netverify.dev/v1alpha1
    kind: ClusterNetwork
    metadata: {name: cluster}
    spec:
      clusterDomain: cluster.local          # kubelet clusterDomain
      serviceCIDRs: [10.96.0.0/12]          # --service-cluster-ip-range; one per family,
                                            # the first is the primary family
      podCIDRs: [10.244.0.0/16]             # --cluster-cidr: the cluster's pod ranges
      encapsulation: overlay                # overlay | routed (when no IPPool says)
      podsRoutableFromOutside: null         # can outside hosts route to pod IPs? null: routed
                                            # pod networks yes, overlays no (per IPPool)
      masquerade:
        mode: calico                        # calico | ip-masq-agent | non-masquerade-cidr
                                            # | pod-network | none
        nonMasqueradeCIDRs: []              # ip-masq-agent default: 10.0.0.0/8, 172.16.0.0/12,
                                            # 192.168.0.0/16; non-masquerade-cidr: [10.0.0.0/8]
        masqLinkLocal: false
        enableIPv6: false                   # ip-masq-agent --enable-ipv6
        excludeHostIPs: false               # Felix natOutgoingExclusions: IPPoolsAndHostIPs
      clusterDNS: []                        # kubelet clusterDNS; empty = kube-system/kube-dns IPs
      nodeSearch: []                        # the nodes' resolv.conf search list
      nodeNameservers: []                   # the nodes' resolv.conf nameservers
      dnsPods: insecure                     # CoreDNS pods mode: insecure | verified | disabled
      dnsProfile: coredns                   # the cluster DNS added when the input has none:
                                            # coredns | openshift | assumed
      ipBlockMatchesPods: true              # false: ipBlocks never match pod IPs (Cilium)
      endpointToHostAction: Accept          # Felix DefaultEndpointToHostAction: Accept | Drop
      nodePortRange: 30000-32767
      externalNames: {example.com: [93.184.216.34]}   # upstream DNS answers

The full description is in ``docs/cluster-network.md``.

>>> from verifier.ingest.documents import parse_text
>>> from verifier.ingest.objects import read_header
>>> objs, _ = parse_text("kind: ClusterNetwork\\nmetadata: {name: c}\\nspec: {masquerade: {mode: ip-masq-agent}}")
>>> cfg = read_cluster_network(read_header(objs[0], [], namespaced=False))
>>> [str(c) for c in cfg.masquerade.non_masquerade_cidrs]
['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']
"""

from __future__ import annotations

from ..model import IP, ClusterNetwork, MasqueradeConfig, ip_network
from ..semantics.dns.profiles import DNS_PROFILES
from .objects import Header, read_cidrs
from .reader import Reader, one_of
from .syntax import dns_subdomain_error, ip_error, parse_ip

__all__ = ["KIND", "read_cluster_network"]

KIND = "ClusterNetwork"

MASQUERADE_MODES = ("calico", "ip-masq-agent", "non-masquerade-cidr", "pod-network", "none")
#: ip-masq-agent's built-in nonMasqueradeCIDRs (RFC 1918).
IP_MASQ_AGENT_DEFAULT = tuple(
    ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
#: kubelet --non-masquerade-cidr default.
KUBELET_DEFAULT = (ip_network("10.0.0.0/8"),)

_SPEC_FIELDS = (
    "clusterDomain",
    "serviceCIDRs",
    "podCIDRs",
    "encapsulation",
    "podsRoutableFromOutside",
    "masquerade",
    "clusterDNS",
    "nodeSearch",
    "nodeNameservers",
    "dnsPods",
    "dnsProfile",
    "apiServerAddresses",
    "ipBlockMatchesPods",
    "endpointToHostAction",
    "nodePortRange",
    "externalNames",
)
_MASQUERADE_FIELDS = ("mode", "nonMasqueradeCIDRs", "masqLinkLocal", "enableIPv6", "excludeHostIPs")


def read_cluster_network(h: Header) -> ClusterNetwork:
    """The configuration; unknown fields are errors (a typo must not silently keep a default)."""
    defaults = ClusterNetwork()
    spec = h.root.map_or_empty("spec")
    _reject_unknown(spec, _SPEC_FIELDS)
    service_cidrs = (
        read_cidrs(spec, "serviceCIDRs") if spec.has("serviceCIDRs") else defaults.service_cidrs
    )
    pod_cidrs = (
        read_cidrs(spec, "podCIDRs", per_family=None)
        if spec.has("podCIDRs")
        else defaults.pod_cidrs
    )
    # An empty list is an error; a list of invalid entries was reported entry by entry.
    if not service_cidrs:
        if spec.get("serviceCIDRs") == []:
            spec.error("serviceCIDRs", "at least one service CIDR is required")
        service_cidrs = defaults.service_cidrs
    if not pod_cidrs:
        if spec.get("podCIDRs") == []:
            spec.error("podCIDRs", "at least one pod CIDR is required")
        pod_cidrs = defaults.pod_cidrs
    dns_profile = spec.str("dnsProfile", default="coredns", choices=DNS_PROFILES) or "coredns"
    if dns_profile == "external" and not spec.has("clusterDNS"):
        spec.error("dnsProfile", "dnsProfile external needs clusterDNS: the resolver's address")
    return ClusterNetwork(
        cluster_domain=(
            spec.str("clusterDomain", check=_domain_error) or defaults.cluster_domain
        ).rstrip("."),
        service_cidrs=service_cidrs,
        pod_cidrs=pod_cidrs,
        encapsulation=spec.str("encapsulation", default="overlay", choices=("overlay", "routed"))
        or "overlay",
        pods_routable_from_outside=spec.bool("podsRoutableFromOutside", None),  # type: ignore[arg-type]
        masquerade=_read_masquerade(spec),
        cluster_dns=_ips(spec, "clusterDNS"),
        node_search=tuple(v for v, _, _ in spec.strs("nodeSearch", check=_domain_error)),
        node_nameservers=tuple(v for v, _, _ in spec.strs("nodeNameservers", check=ip_error)),
        dns_pods=spec.str(
            "dnsPods", default="insecure", choices=("insecure", "verified", "disabled")
        )
        or "insecure",
        dns_profile=dns_profile,
        api_server_addresses=_ips(spec, "apiServerAddresses"),
        ipblock_matches_pods=spec.bool("ipBlockMatchesPods", True),
        endpoint_to_host=spec.str(
            "endpointToHostAction", default="Accept", choices=("Accept", "Drop")
        )
        or "Accept",
        node_port_range=_read_port_range(spec) or defaults.node_port_range,
        external_names=_read_external_names(spec),
        source=h.source,
    )


def _reject_unknown(r: Reader, known: tuple[str, ...]) -> None:
    for name in r.data:
        if name not in known:
            r.error(name, f"unknown field {name!r} (expected {one_of(known)})")


def _domain_error(value: str) -> str | None:
    return dns_subdomain_error(value.rstrip("."))


def _ips(r: Reader, key: str) -> tuple[IP, ...]:
    return tuple(parse_ip(v) for v, _, _ in r.strs(key, check=ip_error))


def _read_masquerade(spec: Reader) -> MasqueradeConfig:
    m = spec.map("masquerade")
    if m is None:
        return MasqueradeConfig()
    _reject_unknown(m, _MASQUERADE_FIELDS)
    mode = m.str("mode", default="calico", choices=MASQUERADE_MODES) or "calico"
    cidrs = read_cidrs(m, "nonMasqueradeCIDRs", per_family=None)
    if not m.has("nonMasqueradeCIDRs"):
        cidrs = {
            "ip-masq-agent": IP_MASQ_AGENT_DEFAULT,
            "non-masquerade-cidr": KUBELET_DEFAULT,
        }.get(mode, ())
    elif mode == "non-masquerade-cidr" and len(cidrs) != 1:
        m.error(
            "nonMasqueradeCIDRs",
            f"mode non-masquerade-cidr takes exactly one CIDR, got {len(cidrs)}",
        )
    elif mode not in ("ip-masq-agent", "non-masquerade-cidr") and cidrs:
        m.warn("nonMasqueradeCIDRs", f"ignored with mode {mode}")
    return MasqueradeConfig(
        mode=mode,
        non_masquerade_cidrs=cidrs,
        masquerade_link_local=m.bool("masqLinkLocal"),
        ipv6=m.bool("enableIPv6"),
        exclude_host_ips=m.bool("excludeHostIPs"),
    )


def _read_port_range(spec: Reader) -> tuple[int, int] | None:
    text = spec.str("nodePortRange")
    if text is None:
        return None
    lo, sep, hi = text.partition("-")
    if sep and lo.strip().isdigit() and hi.strip().isdigit():
        first, last = int(lo), int(hi)
        if 1 <= first <= last <= 65535:
            return first, last
    spec.error(
        "nodePortRange", f"must be 'first-last' with 1 <= first <= last <= 65535, got {text!r}"
    )
    return None


def _read_external_names(spec: Reader) -> tuple[tuple[str, tuple[IP, ...]], ...]:
    names = spec.map("externalNames")
    if names is None:
        return ()
    out = []
    for name in names.data:
        if dns_subdomain_error(name.rstrip(".").lower()):
            names.error(name, f"{name!r} is not a DNS name")
            continue
        out.append((name.rstrip(".").lower(), _ips(names, name)))
    return tuple(out)
