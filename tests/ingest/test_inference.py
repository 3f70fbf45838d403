"""Real cluster state without a netverify configuration: what the loader infers, and from what.

The fixtures in ``fixtures/tests/inference/`` are dumps and repositories as users
have them: no ClusterNetwork object, no ServiceCIDR objects (clusters before 1.33).
"""

from __future__ import annotations

import io
from ipaddress import ip_address, ip_network

import pytest

from tests.cli.support import netverify
from tests.properties.support import REPO
from verifier.engine import trace
from verifier.errors import InputError
from verifier.ingest import load
from verifier.ingest.infer import cover
from verifier.properties import check
from verifier.trace import Verdict

from .helpers import given, one_error
from .helpers import load as load_text

HERE = REPO / "fixtures" / "tests" / "inference"
DUAL = str(HERE / "dual-stack-dump.yaml")
EKS = str(HERE / "eks-dump.yaml")
REQUIRES = str(HERE / "requires-dual-stack")
SINGLE_STACK = str(HERE / "single-stack.yaml")
HOST_BITS = str(HERE / "host-bits.yaml")
ANP_PODS_PEER = str(HERE / "anp-pods-peer.yaml")

FRONTEND = "shop/frontend-7d4b9c8f6d-abcde"
DUAL_INFERRED = [
    (
        "families",
        "dual-stack, IPv4 primary",
        "3 pods with an IPv6 address; 2 Services with an IPv6 cluster IP; 2 nodes with an IPv6 "
        "podCIDR; IPv4 primary: the kubernetes Service's cluster IP 10.96.0.1",
    ),
    ("serviceCIDRs", "10.96.0.0/12", "the cluster IPs of 3 Services, 10.96.0.1 to 10.96.120.7"),
    (
        "serviceCIDRs",
        "fd00:10:96::/111",
        "the cluster IPs of 2 Services, fd00:10:96::a to fd00:10:96::1:2c",
    ),
    ("podCIDRs", "10.244.0.0/16", "the podCIDRs of 2 nodes"),
    ("podCIDRs", "fd00:10:244::/56", "the podCIDRs of 2 nodes"),
]
EKS_INFERRED = [
    (
        "serviceCIDRs",
        "172.20.0.0/16",
        "the cluster IPs of 4 Services, 172.20.0.1 to 172.20.143.7",
    ),
    ("podCIDRs", "192.168.0.0/16", "the IPs of 3 pods, 192.168.20.11 to 192.168.88.5"),
]


def triples(cluster_or_report) -> list[tuple[str, str, str]]:
    return [(i.what, i.value, i.evidence) for i in cluster_or_report.inferred]


# --------------------------------------------------------------------------- a dual-stack dump


def test_dual_stack_dump_loads_as_dual_stack_without_configuration():
    cluster = load(DUAL)
    assert cluster.warnings == ()
    assert cluster.families == (4, 6) and cluster.dual_stack
    assert cluster.service_cidrs == (ip_network("10.96.0.0/12"), ip_network("fd00:10:96::/111"))
    assert cluster.config.pod_cidrs == (
        ip_network("10.244.0.0/16"),
        ip_network("fd00:10:244::/56"),
    )
    assert triples(cluster) == DUAL_INFERRED
    # The families the dump shows, as written: nothing was defaulted away.
    b = cluster.service_by_ref["shop/b"]
    assert b.ip_families == (4, 6)
    assert b.cluster_ips == (ip_address("10.96.120.7"), ip_address("fd00:10:96::1:2c"))


@pytest.mark.parametrize(
    "target, family, dst",
    [
        ("fd00:10:244:2::7", None, "fd00:10:244:2::7"),
        ("10.244.2.7", None, "10.244.2.7"),
        ("b", 6, "fd00:10:96::1:2c"),
        ("b", 4, "10.96.120.7"),
    ],
)
def test_dual_stack_dump_reach_over_both_families(target, family, dst):
    result = trace(load(DUAL), "shop/a", target, 80, "TCP", family=family)
    assert result.verdict is Verdict.ALLOWED
    assert str(result.address) == dst
    assert result.decisive_branch.pod == "shop/b"


def test_dual_stack_dump_policy_applies_to_both_families():
    cluster = load(DUAL)
    for ip in ("10.244.2.7", "fd00:10:244:2::7"):
        assert trace(cluster, "shop/b", ip, 80, "TCP").verdict is Verdict.ALLOWED  # itself
        assert trace(cluster, "node/worker-2", ip, 80, "TCP").verdict is Verdict.ALLOWED
        assert trace(cluster, "kube-system/coredns-5d78c9869d-x2k8p", ip, 80, "TCP").verdict is (
            Verdict.DENIED
        )


def test_dual_stack_dump_reach_cli_ipv6(capsys):
    run = netverify(
        capsys, "reach", "-f", DUAL, "--from", "shop/a", "--to", "fd00:10:244:2::7", "--port", "80"
    )
    assert run.code == 0, run.err
    assert run.lines[0].startswith("ALLOWED  shop/a -> ")


@pytest.mark.parametrize("qtype, answer", [("A", "10.96.120.7"), ("AAAA", "fd00:10:96::1:2c")])
def test_dual_stack_dump_dns_answers_both_families(capsys, qtype, answer):
    run = netverify(
        capsys, "dns", "-f", DUAL, "--from", "shop/a", "b", "--type", qtype, "-o", "json"
    )
    assert run.code == 0, run.err
    assert (run.json["rcode"], run.json["answers"]) == ("NOERROR", [answer])


def test_dual_stack_dump_check_covers_both_families(capsys):
    run = netverify(capsys, "check", "-f", DUAL, "-o", "json")
    assert run.code == 0, run.out
    results = {r["property"]: r for r in run.json["results"]}
    assert {r["status"] for r in results.values()} == {"holds"}
    coverage = results["dual-stack-coverage"]
    assert "single-stack" not in coverage["statement"]
    assert coverage["statement"] == check(load(DUAL), ["dual-stack-coverage"]).results[0].statement


# --------------------------------------------------------------------------- an EKS-style dump


def test_eks_dump_loads_without_a_warning():
    cluster = load(EKS)
    assert cluster.warnings == ()
    assert triples(cluster) == EKS_INFERRED
    assert cluster.families == (4,)
    assert cluster.service_cidrs == (ip_network("172.20.0.0/16"),)
    assert cluster.config.pod_cidrs == (ip_network("192.168.0.0/16"),)
    assert not any(p.ip_allocated for p in cluster.pods)


def test_eks_dump_with_the_default_service_range_warns_per_service():
    """What loading did before: the configured default range holds none of the cluster IPs."""
    with_config = load(EKS, SINGLE_STACK)
    outside = [w for w in with_config.warnings if "outside the service CIDRs" in w.message]
    assert [w.name for w in outside] == ["kubernetes", "kube-dns", "frontend", "api"]
    assert [i.what for i in with_config.inferred] == ["podCIDRs"]


@pytest.mark.parametrize(
    "target, port, backend",
    [
        ("api", 9090, "shop/api-5f6d7c8b9a-fghij"),
        ("192.168.88.5", 9090, "shop/api-5f6d7c8b9a-fghij"),
        ("kube-dns.kube-system", 53, "kube-system/coredns-6b9575c64c-4hq2v"),
    ],
)
def test_eks_dump_reach(target, port, backend):
    result = trace(load(EKS), FRONTEND, target, port, "TCP")
    assert result.verdict is Verdict.ALLOWED
    assert result.decisive_branch.pod == backend


def test_eks_dump_check(capsys):
    run = netverify(capsys, "check", "-f", EKS, "-o", "json")
    assert run.code == 0, run.out
    assert [(r["property"], r["status"]) for r in run.json["results"]] == [
        ("unique-pod-ips", "holds"),
        ("nat-free-pod-to-pod", "holds"),
        ("isolation", "holds"),
        ("service-resolution", "holds"),
        ("dns-resolution", "holds"),
        ("dual-stack-coverage", "holds"),
        ("infrastructure-access", "holds"),
    ]
    assert [(i["what"], i["value"], i["evidence"]) for i in run.json["inferred"]] == EKS_INFERRED
    assert "warning" not in run.err


# --------------------------------------------------------------------------- a repository requiring dual-stack


def test_repository_requiring_dual_stack_loads_as_dual_stack_with_one_warning():
    cluster = load(REQUIRES)
    (warning,) = cluster.warnings
    assert (warning.file, warning.line, warning.field, warning.name) == (
        f"{REQUIRES}/web.yaml",
        30,
        "spec.ipFamilyPolicy",
        "web",
    )
    assert warning.severity == "warning"
    assert warning.message.startswith(
        "requires a dual-stack cluster, and no ClusterNetwork serviceCIDRs/podCIDRs or "
        "ServiceCIDR object says which families the cluster runs: loading it as dual-stack "
        "(IPv4 primary), service CIDRs 10.96.0.0/12, fd00:10:96::/112, pod CIDRs "
        "10.244.0.0/16, fd00:10:244::/56; so do shop/cache"
    )
    assert cluster.families == (4, 6)
    families = {s.name: s.ip_families for s in given(cluster.services)}
    assert families == {"web": (4, 6), "cache": (6, 4)}
    assert all(len(s.cluster_ips) == 2 for s in given(cluster.services))
    assert [len(p.ips) for p in cluster.pods] == [2, 2, 2, 2]  # with the implicit CoreDNS pods
    assert triples(cluster)[0] == (
        "families",
        "dual-stack, IPv4 primary",
        "Services requiring IPv6: shop/cache, shop/web; IPv4 primary: the default",
    )
    assert triples(cluster)[1:] == [
        ("serviceCIDRs", "10.96.0.0/12", "the default, as no IPv4 cluster IP is in the input"),
        ("serviceCIDRs", "fd00:10:96::/112", "the default, as no IPv6 cluster IP is in the input"),
        (
            "podCIDRs",
            "10.244.0.0/16",
            "the default, as no IPv4 podCIDR or pod IP is in the input",
        ),
        (
            "podCIDRs",
            "fd00:10:244::/56",
            "the default, as no IPv6 podCIDR or pod IP is in the input",
        ),
    ]


def test_repository_requiring_dual_stack_with_a_single_stack_config_is_an_error():
    with pytest.raises(InputError) as info:
        load(REQUIRES, SINGLE_STACK)
    found = [(p.line, p.field, p.message) for p in info.value.errors]
    assert found == [
        (
            30,
            "spec.ipFamilyPolicy",
            "RequireDualStack needs a dual-stack cluster, but the service CIDRs are IPv4 only "
            "(add a service CIDR of the other family: spec.serviceCIDRs of the ClusterNetwork object)",
        ),
        (41, "spec.ipFamilies", "IPv6 is not configured on this cluster (no IPv6 service CIDR)"),
    ]


def test_a_config_giving_pod_cidrs_of_one_family_also_says_single_stack():
    config = (
        "apiVersion: netverify.dev/v1alpha1\nkind: ClusterNetwork\nmetadata: {name: c}\n"
        "spec: {podCIDRs: [10.42.0.0/16]}\n---\n"
    )
    svc = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {ipFamilyPolicy: RequireDualStack, ports: [{port: 80}]}\n"
    )
    p = one_error(config + svc)
    assert (p.line, p.field) == (9, "spec.ipFamilyPolicy")


# --------------------------------------------------------------------------- explicit configuration wins


def test_explicit_service_cidrs_win_and_contradictions_stay():
    config = HERE / "dual-config.yaml"
    cluster = load(DUAL, str(config))
    assert cluster.service_cidrs == (ip_network("10.96.0.0/16"), ip_network("fd00:10:96::/112"))
    assert [i.what for i in cluster.inferred] == ["families", "podCIDRs", "podCIDRs"]
    (outside,) = cluster.warnings
    assert outside.message == (
        "fd00:10:96::1:2c is outside the service CIDRs (10.96.0.0/16, fd00:10:96::/112)"
    )


def test_service_cidr_objects_are_configuration_too():
    text = """\
    apiVersion: networking.k8s.io/v1
    kind: ServiceCIDR
    metadata: {name: kubernetes}
    spec: {cidrs: [172.20.0.0/16]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec: {clusterIP: 172.20.5.5, ports: [{port: 80}]}
    """
    cluster = load_text(text)
    assert cluster.service_cidrs == (ip_network("172.20.0.0/16"),)
    assert cluster.inferred == () and cluster.warnings == ()


# --------------------------------------------------------------------------- what is inferred from what


def test_ipv6_only_dump_is_not_dual_stack():
    """The IPv4 default pod range must not make an IPv6-only cluster dual-stack."""
    text = """\
    apiVersion: v1
    kind: Node
    metadata: {name: n1}
    spec: {podCIDRs: ["fd00:1:2:1::/64"]}
    status: {addresses: [{type: InternalIP, address: "2001:db8::11"}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: default}
    spec: {nodeName: n1, containers: [{name: c}]}
    status: {podIPs: [{ip: "fd00:1:2:1::5"}]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: kubernetes, namespace: default}
    spec: {clusterIPs: ["fd00:1:96::1"], ports: [{port: 443}]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: default}
    spec: {ports: [{port: 80}]}
    """
    cluster = load_text(text)
    assert cluster.families == (6,) and not cluster.dual_stack
    assert triples(cluster) == [
        (
            "families",
            "IPv6 only",
            "1 pods with an IPv6 address; 1 Services with an IPv6 cluster IP; "
            "1 nodes with an IPv6 podCIDR; no IPv4 address",
        ),
        ("serviceCIDRs", "fd00:1:96::/112", "the cluster IPs of 1 Services, fd00:1:96::1"),
        ("podCIDRs", "fd00:1:2::/56", "the podCIDRs of 1 nodes"),
    ]
    # A Service without families gets the primary (and only) family.
    web = cluster.service_by_ref["default/web"]
    assert web.ip_families == (6,) and web.cluster_ips[0] in ip_network("fd00:1:96::/112")


def test_the_kubernetes_service_names_the_primary_family():
    text = """\
    apiVersion: v1
    kind: Service
    metadata: {name: kubernetes, namespace: default}
    spec: {clusterIPs: ["fd00:10:96::1"], ports: [{port: 443}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: default}
    spec: {nodeName: n1, containers: [{name: c}]}
    status: {podIPs: [{ip: 10.244.0.5}, {ip: "fd00:10:244::5"}]}
    """
    cluster = load_text(text)
    assert cluster.service_cidrs == (ip_network("fd00:10:96::/112"), ip_network("10.96.0.0/12"))
    assert triples(cluster)[0][1:] == (
        "dual-stack, IPv6 primary",
        "1 pods with an IPv6 address; 1 Services with an IPv6 cluster IP; "
        "IPv6 primary: the kubernetes Service's cluster IP fd00:10:96::1",
    )


def test_pod_ranges_from_pod_ips_leave_pools_and_podcidrs_alone():
    text = """\
    apiVersion: v1
    kind: Node
    metadata: {name: n1}
    spec: {podCIDR: 10.42.0.0/24}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: default}
    spec: {nodeName: n1, containers: [{name: c}]}
    status: {podIP: 10.42.0.9}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: b, namespace: default}
    spec: {nodeName: n1, containers: [{name: c}]}
    status: {podIP: 100.64.3.2}
    """
    cluster = load_text(text)
    assert cluster.config.pod_cidrs == (ip_network("10.42.0.0/16"), ip_network("100.64.0.0/16"))
    assert triples(cluster) == [
        ("podCIDRs", "10.42.0.0/16", "the podCIDRs of 1 nodes"),
        (
            "podCIDRs",
            "100.64.0.0/16",
            "the IPs of 1 pods outside every node podCIDR, 100.64.3.2",
        ),
    ]


def test_a_dump_in_the_default_ranges_infers_nothing():
    text = """\
    apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: default}
    spec: {nodeName: n1, containers: [{name: c}]}
    status: {podIP: 10.244.1.9}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: default}
    spec: {clusterIP: 10.100.0.7, ports: [{port: 80}]}
    """
    cluster = load_text(text)
    assert cluster.inferred == ()
    assert cluster.config == type(cluster.config)()


def test_cluster_domain_from_dns_config_searches():
    text = """\
    apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: shop}
    spec:
      containers: [{name: c}]
      dnsConfig:
        searches: [shop.svc.corp.example, svc.corp.example, corp.example]
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: c, ports: [{containerPort: 80}]}]
          dnsConfig: {searches: [svc.corp.example]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec: {selector: {app: web}, ports: [{port: 80}]}
    """
    cluster = load_text(text)
    assert cluster.config.cluster_domain == "corp.example"
    assert triples(cluster) == [
        (
            "clusterDomain",
            "corp.example",
            "the dnsConfig search lists of 2 pods or workloads (<namespace>.svc.corp.example)",
        )
    ]
    from verifier.semantics.dns import resolve

    res = resolve(cluster, cluster.pod("shop/a"), "web.shop.svc.corp.example", "A")
    assert res.rcode == "NOERROR" and res.answers


def test_an_explicit_cluster_domain_is_not_inferred():
    text = """\
    apiVersion: netverify.dev/v1alpha1
    kind: ClusterNetwork
    metadata: {name: c}
    spec: {clusterDomain: cluster.local}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: shop}
    spec:
      containers: [{name: c}]
      dnsConfig: {searches: [shop.svc.corp.example]}
    """
    cluster = load_text(text)
    assert cluster.config.cluster_domain == "cluster.local" and cluster.inferred == ()


@pytest.mark.parametrize(
    "items, family, kind, avoid, expected",
    [
        (["10.96.3.4", "10.100.0.1"], 4, "service", [], ["10.96.0.0/12"]),
        (["172.20.0.1", "172.20.250.3"], 4, "service", [], ["172.20.0.0/16"]),
        (["34.118.224.1", "34.118.239.9"], 4, "service", [], ["34.118.0.0/16"]),
        (["172.20.0.1", "172.21.0.1"], 4, "service", [], ["172.20.0.0/15"]),
        (
            ["172.20.0.1", "172.31.0.1"],
            4,
            "service",
            ["172.24.0.9"],
            ["172.20.0.0/16", "172.31.0.0/16"],
        ),
        (["fd00:10:96::a"], 6, "service", [], ["fd00:10:96::/112"]),
        (["fd00:20::1", "fd00:20::2:1"], 6, "service", [], ["fd00:20::/110"]),
        (["192.168.20.11", "192.168.88.5"], 4, "pod", [], ["192.168.0.0/16"]),
        (["10.244.1.0/24", "10.244.2.0/24"], 4, "pod", [], ["10.244.0.0/16"]),
        (["fd00:10:244:1::/64"], 6, "pod", [], ["fd00:10:244::/56"]),
        (["2001:db8:1:1::/64"], 6, "pod", [], ["2001:db8:1::/56"]),
        (["10.0.0.5"], 6, "pod", [], []),
    ],
)
def test_cover(items, family, kind, avoid, expected):
    parse = lambda t: ip_network(t) if "/" in t else ip_address(t)  # noqa: E731
    found = cover([parse(i) for i in items], family, kind, [parse(a) for a in avoid])
    assert [str(n) for n in found] == expected


# --------------------------------------------------------------------------- inferred items are shown


def test_inferred_items_under_verbose(capsys):
    run = netverify(
        capsys, "reach", "-v", "-f", EKS, "--from", FRONTEND, "--to", "api", "--port", "9090"
    )
    assert run.code == 0, run.err
    lines = run.err.splitlines()
    start = lines.index(
        "inferred from the input (set them in a ClusterNetwork object to override):"
    )
    assert lines[start + 1 : start + 3] == [
        "  serviceCIDRs: 172.20.0.0/16 (from the cluster IPs of 4 Services, 172.20.0.1 to 172.20.143.7)",
        "  podCIDRs: 192.168.0.0/16 (from the IPs of 3 pods, 192.168.20.11 to 192.168.88.5)",
    ]
    quiet = netverify(
        capsys, "reach", "-f", EKS, "--from", FRONTEND, "--to", "api", "--port", "9090"
    )
    assert "inferred" not in quiet.err


def test_inferred_items_head_the_check_text(capsys):
    run = netverify(capsys, "check", "-f", DUAL)
    assert run.code == 0, run.out
    assert run.lines[:6] == [
        "inferred from the input (set them in a ClusterNetwork object to override):",
        *(f"  {what}: {value} (from {evidence})" for what, value, evidence in DUAL_INFERRED),
    ]
    assert run.lines[6] == ""
    assert run.lines[7].split() == ["HOLDS", "unique-pod-ips", run.lines[7].split()[-1]]


def test_inferred_items_in_the_check_json(capsys):
    run = netverify(capsys, "check", "-f", DUAL, "-o", "json")
    assert run.json["inferred"] == [
        {"what": w, "value": v, "evidence": e} for w, v, e in DUAL_INFERRED
    ]
    nothing = netverify(
        capsys,
        "check",
        "-f",
        str(REPO / "fixtures" / "tests" / "isolation" / "holds.yaml"),
        "-o",
        "json",
    )
    assert nothing.json["inferred"] == []


def test_inferred_items_in_the_python_api():
    report = check(load(DUAL), ["unique-pod-ips"])
    assert triples(report) == DUAL_INFERRED
    assert report.to_dict()["inferred"][0]["what"] == "families"


# --------------------------------------------------------------------------- CIDRs with host bits


ROUTED = """\
apiVersion: netverify.dev/v1alpha1
kind: ClusterNetwork
metadata: {name: routed}
spec: {podsRoutableFromOutside: true}
"""


def test_host_bits_are_a_warning_and_the_network_is_used():
    cluster = load(HOST_BITS)
    found = [(w.severity, w.line, w.kind, w.field, w.message) for w in cluster.warnings]
    suffix = "has host bits set: read as the network {}, as the API server does"
    assert found == [
        (
            "warning",
            18,
            "NetworkPolicy",
            "spec.ingress[0].from[0].ipBlock.cidr",
            "10.0.0.5/24 " + suffix.format("10.0.0.0/24"),
        ),
        (
            "warning",
            19,
            "NetworkPolicy",
            "spec.ingress[0].from[0].ipBlock.except[0]",
            "10.0.0.129/25 " + suffix.format("10.0.0.128/25"),
        ),
        (
            "warning",
            30,
            "AdminNetworkPolicy",
            "spec.egress[0].to[0].networks[0]",
            "203.0.113.7/24 " + suffix.format("203.0.113.0/24"),
        ),
        (
            "warning",
            30,
            "AdminNetworkPolicy",
            "spec.egress[0].to[0].networks[1]",
            "2001:db8::1/64 " + suffix.format("2001:db8::/64"),
        ),
    ]
    assert str(cluster.warnings[0]).startswith(
        f"{HOST_BITS}:18: warning: NetworkPolicy default/office: "
    )
    (policy,) = cluster.policies
    block = policy.ingress[0].peers[0].ip_block
    assert (block.cidr, block.except_) == (
        ip_network("10.0.0.0/24"),
        (ip_network("10.0.0.128/25"),),
    )
    (anp,) = cluster.admin_policies
    assert anp.egress[0].peers[0].networks == (
        ip_network("203.0.113.0/24"),
        ip_network("2001:db8::/64"),
    )
    routed = load(HOST_BITS, io.StringIO(ROUTED))
    assert trace(routed, "10.0.0.77", "default/a", 80, "TCP").verdict is Verdict.ALLOWED
    assert trace(routed, "10.0.0.200", "default/a", 80, "TCP").verdict is Verdict.DENIED


def test_host_bits_stay_errors_where_the_api_server_refuses_them():
    p = one_error(
        "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec: {podCIDR: 10.244.1.5/24}\n"
    )
    assert p.message == "10.244.1.5/24 has host bits set (the network is 10.244.1.0/24)"


# --------------------------------------------------------------------------- ANP pods peers


def test_anp_pods_peer_without_namespace_selector_is_refused():
    with pytest.raises(InputError) as info:
        load(ANP_PODS_PEER)
    (p,) = info.value.errors
    assert (p.file, p.line, p.kind, p.name, p.field, p.message) == (
        ANP_PODS_PEER,
        16,
        "AdminNetworkPolicy",
        "from-monitoring",
        "spec.ingress[0].from[0].pods.namespaceSelector",
        "missing required field",
    )


ANP = """\
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: p}
spec:
  priority: 1
  subject: SUBJECT
  ingress:
  - action: Deny
    from: [PEER]
"""


@pytest.mark.parametrize(
    "subject, peer, field",
    [
        ("{pods: {podSelector: {}}}", "{namespaces: {}}", "spec.subject.pods.namespaceSelector"),
        (
            "{namespaces: {}}",
            "{pods: {podSelector: {}}}",
            "spec.ingress[0].from[0].pods.namespaceSelector",
        ),
        ("{pods: {namespaceSelector: {}}}", "{namespaces: {}}", "spec.subject.pods.podSelector"),
        (
            "{namespaces: {}}",
            "{pods: {namespaceSelector: {}}}",
            "spec.ingress[0].from[0].pods.podSelector",
        ),
    ],
)
def test_anp_pods_need_both_selectors_in_subject_and_peers_alike(subject, peer, field):
    p = one_error(ANP.replace("SUBJECT", subject).replace("PEER", peer))
    assert (p.field, p.message, p.kind, p.name) == (
        field,
        "missing required field",
        "AdminNetworkPolicy",
        "p",
    )


ENDPOINT_EVIDENCE = """
    apiVersion: v1
    kind: Node
    metadata: {name: n1}
    spec: {podCIDR: 10.244.1.0/30, podCIDRs: [10.244.1.0/30]}
    status: {addresses: [{type: InternalIP, address: 192.168.0.1}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: x, labels: {app: web}}
    spec: {nodeName: n1, containers: [{name: c, image: nginx}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: other, namespace: x}
    spec: {nodeName: n1, containers: [{name: c, image: nginx}]}
    ---
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: web-abc, namespace: x, labels: {kubernetes.io/service-name: web}}
    addressType: IPv4
    ports: [{name: http, port: 80, protocol: TCP}]
    endpoints:
    - addresses: [10.244.1.2]
      targetRef: {kind: Pod, name: web, namespace: x}
    - addresses: [10.244.1.1]
      targetRef: {kind: Pod, name: web-old, namespace: x}
"""


def test_an_endpoint_slice_gives_its_target_pod_its_address():
    """x/web has no status in the manifests; its EndpointSlice says it holds 10.244.1.2, so it
    does (fixed, not allocated, and said). 10.244.1.1, named for a pod the input lacks, is in
    use too: x/other, whose node range /30 has no third address, gets no address."""
    c = load_text(ENDPOINT_EVIDENCE)
    web, other = c.pod_by_ref["x/web"], c.pod_by_ref["x/other"]
    assert (web.ips, web.ip_allocated) == ((ip_address("10.244.1.2"),), False)
    assert other.ips == ()
    assert [(i.what, i.value) for i in c.inferred if i.what == "pod address"] == [
        ("pod address", "x/web 10.244.1.2")
    ]
    assert any(
        "node n1 has no free IPv4 address left" in w.message and w.name == "other"
        for w in c.warnings
    )
