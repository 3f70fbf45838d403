"""The ClusterNetwork configuration object: every field, its defaults, its errors."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from verifier.model import ClusterNetwork, MasqueradeConfig

from .helpers import load, one_error, pod_yaml

HEAD = "apiVersion: netverify.dev/v1alpha1\nkind: ClusterNetwork\nmetadata: {name: cluster}\n"


def config(spec: str) -> ClusterNetwork:
    return load(
        HEAD + "spec:\n" + "\n".join("  " + line for line in spec.strip().splitlines()) + "\n"
    ).config


def test_defaults_without_a_config_object():
    cfg = load(pod_yaml()).config
    assert cfg == ClusterNetwork()
    assert cfg.service_cidrs == (ip_network("10.96.0.0/12"),) and cfg.pod_cidrs == (
        ip_network("10.244.0.0/16"),
    )
    assert (cfg.cluster_domain, cfg.encapsulation, cfg.dns_pods, cfg.endpoint_to_host) == (
        "cluster.local",
        "overlay",
        "insecure",
        "Accept",
    )
    assert cfg.masquerade == MasqueradeConfig() and cfg.masquerade.mode == "calico"
    assert cfg.ipblock_matches_pods and cfg.node_port_range == (30000, 32767)


def test_empty_spec_is_all_defaults():
    cfg = load(HEAD).config
    assert cfg.service_cidrs == ClusterNetwork().service_cidrs and cfg.source.line == 1


def test_every_field():
    cfg = config("""
clusterDomain: corp.local.
serviceCIDRs: [10.96.0.0/16, "fd00:10:96::/112"]
podCIDRs: [10.244.0.0/16, 10.245.0.0/16, "fd00:10:244::/56"]
encapsulation: routed
masquerade: {mode: ip-masq-agent, nonMasqueradeCIDRs: [10.0.0.0/8], masqLinkLocal: true, enableIPv6: true, excludeHostIPs: true}
clusterDNS: [10.96.0.10, "fd00:10:96::a"]
nodeSearch: [corp.example]
nodeNameservers: [192.168.0.2]
dnsPods: verified
ipBlockMatchesPods: false
endpointToHostAction: Drop
nodePortRange: 20000-20999
externalNames: {Example.COM.: [93.184.216.34, "2606:2800::1"]}
""")
    assert cfg.cluster_domain == "corp.local"
    assert cfg.service_cidrs == (ip_network("10.96.0.0/16"), ip_network("fd00:10:96::/112"))
    assert len(cfg.pod_cidrs) == 3 and cfg.encapsulation == "routed"
    assert cfg.masquerade == MasqueradeConfig(
        mode="ip-masq-agent",
        non_masquerade_cidrs=(ip_network("10.0.0.0/8"),),
        masquerade_link_local=True,
        ipv6=True,
        exclude_host_ips=True,
    )
    assert cfg.cluster_dns == (ip_address("10.96.0.10"), ip_address("fd00:10:96::a"))
    assert (cfg.node_search, cfg.node_nameservers) == (("corp.example",), ("192.168.0.2",))
    assert (cfg.dns_pods, cfg.ipblock_matches_pods, cfg.endpoint_to_host) == (
        "verified",
        False,
        "Drop",
    )
    assert cfg.node_port_range == (20000, 20999)
    assert cfg.external_names == (
        ("example.com", (ip_address("93.184.216.34"), ip_address("2606:2800::1"))),
    )


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("ip-masq-agent", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
        ("non-masquerade-cidr", ["10.0.0.0/8"]),
        ("pod-network", []),
        ("none", []),
        ("calico", []),
    ],
)
def test_masquerade_mode_defaults(mode, expected):
    cfg = config(f"masquerade: {{mode: {mode}}}")
    assert [str(c) for c in cfg.masquerade.non_masquerade_cidrs] == expected


def test_non_masquerade_cidrs_ignored_by_other_modes_is_a_warning():
    cluster = load(HEAD + "spec: {masquerade: {mode: calico, nonMasqueradeCIDRs: [10.0.0.0/8]}}\n")
    (w,) = cluster.warnings
    assert (
        w.field == "spec.masquerade.nonMasqueradeCIDRs" and "ignored with mode calico" in w.message
    )


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        (
            "{serviceCIDRs: [10.96.0.0/16, 10.97.0.0/16]}",
            "spec.serviceCIDRs[1]",
            "at most 1 IPv4 CIDR",
        ),
        ("{serviceCIDRs: []}", "spec.serviceCIDRs", "at least one service CIDR"),
        ("{podCIDRs: [10.244.0.1/16]}", "spec.podCIDRs[0]", "has host bits set"),
        ("{encapsulation: vxlan}", "spec.encapsulation", "must be 'overlay' or 'routed'"),
        (
            "{masquerade: {mode: iptables}}",
            "spec.masquerade.mode",
            "must be 'calico', 'ip-masq-agent'",
        ),
        (
            "{masquerade: {mode: non-masquerade-cidr, nonMasqueradeCIDRs: [10.0.0.0/8, 11.0.0.0/8]}}",
            "spec.masquerade.nonMasqueradeCIDRs",
            "exactly one CIDR",
        ),
        ("{masquerade: {modes: calico}}", "spec.masquerade.modes", "unknown field 'modes'"),
        ("{clusterDNS: [kube-dns]}", "spec.clusterDNS[0]", "not a valid IP address"),
        ("{dnsPods: yes}", "spec.dnsPods", "expected a string, got the boolean true"),
        ("{ipBlockMatchesPods: cilium}", "spec.ipBlockMatchesPods", "expected true or false"),
        ("{nodePortRange: '30000'}", "spec.nodePortRange", "must be 'first-last'"),
        (
            "{externalNames: {'bad name!': [1.2.3.4]}}",
            "spec.externalNames.bad name!",
            "is not a DNS name",
        ),
        ("{clusterDomain: Not_A_Domain}", "spec.clusterDomain", "must be a DNS subdomain"),
    ],
)
def test_config_errors(spec, field, message):
    p = one_error(HEAD + f"spec: {spec}\n")
    assert (p.kind, p.name, p.field, p.line) == ("ClusterNetwork", "cluster", field, 4)
    assert message in p.message


def test_config_applies_wherever_it_is_in_the_input():
    cluster = load(pod_yaml() + "---\n" + HEAD + "spec: {podCIDRs: [172.30.0.0/16]}\n")
    assert cluster.pods[0].ip(4) in ip_network("172.30.0.0/16")
    assert str(cluster.nodes[0].pod_cidrs[0]) == "172.30.0.0/24"
