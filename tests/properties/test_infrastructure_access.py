"""Property ``infrastructure-access`` (issue 10): pods reach the cluster DNS and the API server they use,
as the cluster the repository is deployed to has them (the loader adds what the input lacks)."""

from __future__ import annotations

from textwrap import dedent

import pytest

from tests.corpus import load_folder, needs_corpus
from tests.properties.support import load_demo
from verifier.ingest import loads
from verifier.properties import PROPERTIES, Status

PROP = "infrastructure-access"

#: Two web pods, and nothing of the cluster they run in.
WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}
"""

#: Egress within the namespace only.
EGRESS = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {}}]
"""

APP = WEB + EGRESS

#: The common recipe: egress to the cluster DNS pods on 53.
DNS_RECIPE = """
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},
          podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
"""

#: What the ACS security demo allows for DNS: 5353/UDP anywhere (OpenShift's DNS pod port).
PORT_5353 = """
  - ports: [{port: 5353, protocol: UDP}]
"""

OPENSHIFT = """
---
apiVersion: netverify.dev/v1alpha1
kind: ClusterNetwork
metadata: {name: cluster}
spec: {dnsProfile: openshift}
"""

OPERATOR = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: operator, namespace: ops}
spec:
  replicas: 1
  selector: {matchLabels: {app: operator}}
  template:
    metadata: {labels: {app: operator}%s}
    spec:
      serviceAccountName: operator%s
      containers: [{name: op, image: op}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: own-namespace, namespace: ops}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {}}]
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},
          podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}]
%s"""

BINDING = """
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: operator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: operator}
subjects: [{kind: ServiceAccount, name: operator, namespace: ops}]
"""

TO_API = """
  - to: [{ipBlock: {cidr: 192.168.0.10/32}}]
    ports: [{port: 6443, protocol: TCP}]
"""


def check(text: str):
    return PROPERTIES[PROP].check(loads(dedent(text), "repo.yaml"))


def test_a_default_deny_egress_without_a_dns_rule_blocks_every_lookup():
    result = check(APP)
    assert result.status is Status.VIOLATED
    (cx,) = result.counterexamples  # web-0 and web-1: one class, where they run does not matter
    assert cx.pods == ("shop/web-0", "shop/web-1")
    assert cx.summary.startswith(
        "shop/web-0 (and 1 more like it) cannot send its DNS lookups to 10.96.0.10:53/UDP"
    )
    assert cx.summary.endswith(
        "the cluster DNS is kube-system/kube-dns of the coredns profile (assumed: the input "
        "has no cluster DNS; ClusterNetwork.dnsProfile chooses another): egress must allow "
        "its pods (kube-system, k8s-app=kube-dns) on 53/UDP and 53/TCP"
    )
    assert [str(o.ref) for o in cx.objects][:1] == ["NetworkPolicy shop/egress"]
    (t,) = cx.traces
    assert not t.reachable and t.destination == "10.96.0.10"


def test_the_usual_dns_recipe_unblocks_them():
    assert check(APP + DNS_RECIPE).status is Status.HOLDS


def test_5353_only_is_blocked_under_coredns_and_allowed_under_openshift():
    assert check(APP + PORT_5353).status is Status.VIOLATED
    assert check(APP + PORT_5353 + OPENSHIFT).status is Status.HOLDS
    # and the CoreDNS recipe does not fit OpenShift's DNS (other namespace, other port)
    assert check(APP + DNS_RECIPE + OPENSHIFT).status is Status.VIOLATED


def test_an_operator_whose_egress_stays_in_its_namespace_cannot_reach_the_api_server():
    result = check(OPERATOR % ("", "", BINDING))
    assert result.status is Status.VIOLATED
    (cx,) = result.counterexamples
    assert cx.summary == (
        "ops/operator-0 cannot reach the API server kubernetes.default (10.96.0.1:443/TCP, DENIED) "
        "although ServiceAccount ops/operator is bound by ClusterRoleBinding operator and its "
        "token is mounted; policy applies after the Service's DNAT, so egress must allow the API "
        "servers 192.168.0.10/32 on 6443/TCP"
    )
    assert [str(o.ref) for o in cx.objects] == ["NetworkPolicy ops/own-namespace"]


def test_allowing_the_api_servers_address_after_dnat_fixes_it():
    assert check(OPERATOR % ("", "", TO_API + BINDING)).status is Status.HOLDS


def test_without_a_binding_or_with_the_token_unmounted_the_pod_is_no_api_client():
    assert check(OPERATOR % ("", "", "")).status is Status.HOLDS
    unmounted = OPERATOR % ("", "\n      automountServiceAccountToken: false", BINDING)
    assert check(unmounted).status is Status.HOLDS


def test_the_annotation_says_so_without_rbac():
    annotated = OPERATOR % (", annotations: {netverify.dev/api-client: 'true'}", "", "")
    result = check(annotated)
    assert result.status is Status.VIOLATED
    assert (
        result.counterexamples[0]
        .summary.split(" although ")[1]
        .startswith("annotation netverify.dev/api-client;")
    )


def test_control_plane_nodes_are_the_api_servers():
    nodes = """
apiVersion: v1
kind: Node
metadata: {name: cp, labels: {node-role.kubernetes.io/control-plane: ""}}
spec: {podCIDR: 10.244.0.0/24, taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]}
status: {addresses: [{type: InternalIP, address: 172.18.0.2}]}
---
apiVersion: v1
kind: Node
metadata: {name: w1}
spec: {podCIDR: 10.244.1.0/24}
status: {addresses: [{type: InternalIP, address: 172.18.0.3}]}
---
"""
    result = check(nodes + OPERATOR % ("", "", BINDING))
    (cx,) = result.counterexamples
    assert cx.summary.endswith("egress must allow the API servers 172.18.0.2/32 on 6443/TCP")


def test_inputs_with_their_own_dns_pods_use_them():
    """The demo has CoreDNS and the kubernetes Service: nothing is made up, and every pod's
    egress admits its lookups."""
    cluster = load_demo("base")
    assert not any(p.implicit for p in cluster.pods)
    assert not any(s.source.implicit for s in cluster.services)
    assert PROPERTIES[PROP].check(cluster).status is Status.HOLDS


@needs_corpus
def test_the_acs_security_demo_blocks_its_lookups_and_its_api_clients():
    result = PROPERTIES[PROP].check(load_folder("acs-security-demos"), max_counterexamples=20)
    assert result.status is Status.VIOLATED
    dns = {cx.pods[0] for cx in result.counterexamples if cx.details["target"] == "dns"}
    api = {cx.pods[0] for cx in result.counterexamples if cx.details["target"] == "api"}
    assert len(dns) == 11  # every pod: its only DNS egress is 5353/UDP
    # the two processors' ServiceAccounts are bound by RoleBindings in the demo
    assert api == {"payments/mastercard-processor-0", "payments/visa-processor-0"}


@pytest.mark.parametrize("policy", ["ClusterFirst", "Default"])
def test_only_pods_that_use_the_cluster_dns_are_checked(policy):
    """dnsPolicy Default uses the node's resolver: its lookups never go to the cluster DNS."""
    text = APP.replace("spec: {containers:", f"spec: {{dnsPolicy: {policy}, containers:")
    status = check(text).status
    assert status is (Status.VIOLATED if policy == "ClusterFirst" else Status.HOLDS)


def _profile(spec: str) -> str:
    return f"""
---
apiVersion: netverify.dev/v1alpha1
kind: ClusterNetwork
metadata: {{name: cluster}}
spec: {spec}
"""


def test_nodelocal_dnscache_needs_its_node_local_address_allowed():
    """NodeLocal DNSCache answers on 169.254.20.10 on every node's host network: the recipe
    to the kube-dns pods does not cover it, an ipBlock for the address does."""
    nodelocal = _profile("{dnsProfile: nodelocal}")
    blocked = check(APP + DNS_RECIPE + nodelocal)
    assert blocked.status is Status.VIOLATED
    assert blocked.counterexamples[0].summary.endswith(
        "the cluster DNS is NodeLocal DNSCache on every node's host network (nodelocal "
        "profile): egress must allow 169.254.20.10/32 on 53/UDP and 53/TCP"
    )
    allowed = """
  - to: [{ipBlock: {cidr: 169.254.20.10/32}}]
    ports: [{port: 53, protocol: UDP}]
"""
    assert check(APP + allowed + nodelocal).status is Status.HOLDS


def test_an_external_resolver_is_an_outside_host():
    external = _profile("{dnsProfile: external, clusterDNS: [10.0.0.2]}")
    assert check(APP + external).status is Status.VIOLATED
    allowed = """
  - to: [{ipBlock: {cidr: 10.0.0.2/32}}]
    ports: [{port: 53, protocol: UDP}]
"""
    assert check(APP + allowed + external).status is Status.HOLDS


def test_the_external_profile_needs_the_resolver_address():
    from verifier.errors import InputError

    with pytest.raises(InputError) as info:
        loads(dedent(APP + _profile("{dnsProfile: external}")), "repo.yaml")
    (problem,) = [p for p in info.value.problems if p.severity == "error"]
    assert problem.field == "spec.dnsProfile" and problem.message == (
        "dnsProfile external needs clusterDNS: the resolver's address"
    )


def test_an_api_client_is_checked_even_when_a_pod_of_its_class_is_none():
    """Oracle seed 30095: two pods the rules treat alike (one class), the first no API client, the
    second annotated as one and denied by egress: the class was checked with the first pod's
    targets only, and the property HELD. Each pod's own targets count."""
    cluster = loads(
        dedent(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: a, namespace: shop, labels: {app: web}}
            spec: {containers: [{name: web, image: nginx}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: b
              namespace: shop
              labels: {app: web}
              annotations: {netverify.dev/api-client: "true"}
            spec: {containers: [{name: web, image: nginx}]}
            """
        )
        + EGRESS
    )
    result = PROPERTIES[PROP].check(cluster)
    assert result.status is Status.VIOLATED
    api = [cx for cx in result.counterexamples if cx.details["target"] == "api"]
    assert [cx.pods for cx in api] == [("shop/b",)]
