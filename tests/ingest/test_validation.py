"""Every class of bad input: the right message, at the right file:line and field, all in one pass."""

from __future__ import annotations

from functools import partial

import pytest

from verifier import ingest
from verifier.errors import InputError

from .helpers import errors, one_error

loads = partial(ingest.loads, implicit=False)  # the input alone

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: default}
spec:
  containers:
  - name: c
    ports:
    - {PORT}
status: {STATUS}
"""


def pod(port: str = "containerPort: 80", status: str = "{}") -> str:
    return POD.replace("{PORT}", "{" + port + "}").replace("{STATUS}", status)


SVC = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  SPEC
"""


def svc(spec: str) -> str:
    return SVC.replace("SPEC", spec.replace("\n", "\n  "))


POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: default}
spec:
  podSelector: {}
  ingress:
  - from:
    - PEER
    ports:
    - PORT
"""


def policy(peer: str = "podSelector: {}", port: str = "port: 80") -> str:
    return POLICY.replace("PEER", "{" + peer + "}").replace("PORT", "{" + port + "}")


SINGLE_STACK = """\
apiVersion: netverify.dev/v1alpha1
kind: ClusterNetwork
metadata: {name: c}
spec: {serviceCIDRs: [10.96.0.0/12]}
---
"""

CASES = [
    # ---- missing required fields
    (
        "apiVersion: v1\nkind: Namespace\nmetadata: {labels: {a: b}}\n",
        3,
        "metadata.name",
        "missing required field",
    ),
    ("apiVersion: v1\nkind: Namespace\n", 1, "metadata", "missing required field"),
    (svc("ports: [{name: http}]"), 5, "spec.ports[0].port", "missing required field"),
    (
        pod(port="name: http"),
        8,
        "spec.containers[0].ports[0].containerPort",
        "missing required field",
    ),
    (
        pod().replace("  - name: c\n", "  - image: x\n"),
        6,
        "spec.containers[0].name",
        "missing required field",
    ),
    (
        pod().replace("spec:\n  containers:", "spec:\n  nodeName: n\n  x:"),
        4,
        "spec",
        "a pod needs at least one container",
    ),
    (
        policy(peer="ipBlock: {except: [10.0.0.0/8]}"),
        8,
        "spec.ingress[0].from[0].ipBlock.cidr",
        "missing required field",
    ),
    (
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s}\n",
        1,
        "addressType",
        "missing",
    ),
    # ---- wrong types
    (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: containers\n",
        4,
        "spec",
        "expected a mapping, got the string 'containers'",
    ),
    (
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: 5}\n",
        3,
        "metadata.name",
        "expected a string, got the number 5",
    ),
    (
        "apiVersion: v1\nkind: Namespace\nmetadata: [a]\n",
        3,
        "metadata",
        "expected a mapping, got a list",
    ),
    (
        pod().replace("ports:\n    - {containerPort: 80}", "ports: {containerPort: 80}"),
        7,
        "spec.containers[0].ports",
        "expected a list, got a mapping",
    ),
    (
        pod(port='containerPort: "80"'),
        8,
        "spec.containers[0].ports[0].containerPort",
        "expected an integer, got the string '80'",
    ),
    (
        pod().replace("  containers:", "  hostNetwork: 'true'\n  containers:"),
        5,
        "spec.hostNetwork",
        "expected true or false",
    ),
    (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {team: {x: y}}\n",
        5,
        "metadata.labels[team]",
        "expected a string, got a mapping",
    ),
    # ---- invalid IPs and CIDRs
    (
        pod(status="{podIP: 10.0.0.256}"),
        9,
        "status.podIP",
        "'10.0.0.256' is not a valid IP address",
    ),
    (
        policy(peer="ipBlock: {cidr: 10.0.0.0/33}"),
        8,
        "spec.ingress[0].from[0].ipBlock.cidr",
        "'10.0.0.0/33' is not a valid CIDR",
    ),
    (
        "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec: {podCIDR: 10.244.1.0}\n",
        4,
        "spec.podCIDR",
        "not a valid CIDR",
    ),
    (
        svc("ports: [{port: 80}]\nexternalIPs: [nope]"),
        6,
        "spec.externalIPs[0]",
        "'nope' is not a valid IP address",
    ),
    (
        svc("ports: [{port: 80}]\nclusterIP: 10.96.0.300"),
        6,
        "spec.clusterIP",
        "is not a valid IP address (or 'None'",
    ),
    # ---- address families
    (
        policy(peer="ipBlock: {cidr: 10.0.0.0/8, except: ['fd00::/64']}"),
        8,
        "spec.ingress[0].from[0].ipBlock.except[0]",
        "fd00::/64 is IPv6 but the cidr 10.0.0.0/8 is IPv4",
    ),
    (
        policy(peer="ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}"),
        8,
        "spec.ingress[0].from[0].ipBlock.except[0]",
        "must be strictly inside the cidr 10.0.0.0/16",
    ),
    (
        policy(peer="ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}"),
        8,
        "spec.ingress[0].from[0].ipBlock.except[0]",
        "strictly inside",
    ),
    (
        pod(status="\n  podIPs:\n  - ip: 10.0.0.1\n  - ip: 10.0.0.2"),
        12,
        "status.podIPs[1].ip",
        "at most one IPv4 address",
    ),
    (
        pod(status="{podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.2}]}"),
        9,
        "status.podIPs",
        "podIPs[0] (10.0.0.2) must equal podIP (10.0.0.1)",
    ),
    (
        svc("ports: [{port: 80}]\nclusterIPs: [10.96.0.5]\nipFamilies: [IPv6]"),
        7,
        "spec.ipFamilies",
        "ipFamilies[0] is IPv6 but clusterIPs[0] (10.96.0.5) is IPv4",
    ),
    (
        # a config saying single-stack: without one, the cluster is taken as dual-stack
        SINGLE_STACK + svc("ports: [{port: 80}]\nipFamilyPolicy: RequireDualStack"),
        11,
        "spec.ipFamilyPolicy",
        "RequireDualStack needs a dual-stack cluster",
    ),
    (
        svc("ports: [{port: 80}]\nipFamilyPolicy: SingleStack\nipFamilies: [IPv4, IPv6]"),
        6,
        "spec.ipFamilyPolicy",
        "SingleStack allows one IP family",
    ),
    (
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s}\naddressType: IPv6\nendpoints:\n- addresses: [10.0.0.1]\n",
        6,
        "endpoints[0].addresses[0]",
        "10.0.0.1 is not an IPv6 address",
    ),
    # ---- label selectors and labels
    (
        policy(peer="podSelector: {matchExpressions: [{key: a, operator: Equals, values: [x]}]}"),
        8,
        "spec.ingress[0].from[0].podSelector.matchExpressions[0].operator",
        "must be 'In', 'NotIn', 'Exists' or 'DoesNotExist', got 'Equals'",
    ),
    (
        policy(peer="podSelector: {matchExpressions: [{key: a, operator: In}]}"),
        8,
        "spec.ingress[0].from[0].podSelector.matchExpressions[0]",
        "operator In needs at least one value",
    ),
    (
        policy(peer="podSelector: {matchExpressions: [{key: a, operator: NotIn, values: []}]}"),
        8,
        "spec.ingress[0].from[0].podSelector.matchExpressions[0].values",
        "operator NotIn needs at least one value",
    ),
    (
        policy(peer="podSelector: {matchExpressions: [{key: a, operator: Exists, values: [x]}]}"),
        8,
        "spec.ingress[0].from[0].podSelector.matchExpressions[0].values",
        "operator Exists takes no values",
    ),
    (
        policy(peer="podSelector: {matchLabel: {app: x}}"),
        8,
        "spec.ingress[0].from[0].podSelector.matchLabel",
        "unknown field 'matchLabel'",
    ),
    (
        policy(peer="podSelector: {matchLabels: {'bad key!': x}}"),
        8,
        "spec.ingress[0].from[0].podSelector.matchLabels[bad key!]",
        "label key 'bad key!'",
    ),
    (
        policy(peer="namespaceSelector: {matchLabels: {team: 'a b'}}"),
        8,
        "spec.ingress[0].from[0].namespaceSelector.matchLabels[team]",
        "label value 'a b'",
    ),
    # ---- ports and protocols
    (
        pod(port="containerPort: 0"),
        8,
        "spec.containers[0].ports[0].containerPort",
        "must be between 1 and 65535, got 0",
    ),
    (
        policy(port="port: 65536"),
        10,
        "spec.ingress[0].ports[0].port",
        "must be between 1 and 65535, got 65536",
    ),
    (
        policy(port="port: 9000, endPort: 8000"),
        10,
        "spec.ingress[0].ports[0].endPort",
        "must be at least port (9000), got 8000",
    ),
    (
        policy(port="port: http, endPort: 8000"),
        10,
        "spec.ingress[0].ports[0].endPort",
        "cannot be used with the named port 'http'",
    ),
    (policy(port="endPort: 8000"), 10, "spec.ingress[0].ports[0].endPort", "needs a numeric port"),
    (
        policy(port="protocol: ICMP"),
        10,
        "spec.ingress[0].ports[0].protocol",
        "must be 'TCP', 'UDP' or 'SCTP', got 'ICMP'",
    ),
    (
        policy(port="port: Http"),
        10,
        "spec.ingress[0].ports[0].port",
        "port name 'Http' must be lowercase",
    ),
    (
        policy(port="port: a-very-long-port-name"),
        10,
        "spec.ingress[0].ports[0].port",
        "at most 15 characters",
    ),
    (
        svc("ports: [{port: 80, targetPort: '8080'}]"),
        5,
        "spec.ports[0].targetPort",
        "must contain at least one letter",
    ),
    (
        pod(port="containerPort: 80, name: web--x"),
        8,
        "spec.containers[0].ports[0].name",
        "must not contain '--'",
    ),
    (
        svc("ports: [{port: 80, name: a}, {port: 81}]"),
        5,
        "spec.ports[1].name",
        "required when a Service has more than one port",
    ),
    (
        svc("ports: [{port: 80, name: a}, {port: 80, name: b}]"),
        5,
        "spec.ports[1].port",
        "80/TCP is already used by spec.ports[0]",
    ),
    (
        svc("type: NodePort\nports: [{port: 80, nodePort: 80}]"),
        6,
        "spec.ports[0].nodePort",
        "outside the node port range 30000-32767",
    ),
    (
        svc("ports: [{port: 80, nodePort: 30001}]"),
        5,
        "spec.ports[0].nodePort",
        "only NodePort and LoadBalancer",
    ),
    (
        pod(port="containerPort: 80, hostPort: 81").replace(
            "spec:\n", "spec:\n  hostNetwork: true\n"
        ),
        9,
        "spec.containers[0].ports[0].hostPort",
        "hostPort == containerPort",
    ),
    # ---- peers and rules
    (
        policy(peer=""),
        8,
        "spec.ingress[0].from[0]",
        "a peer must set 'podSelector', 'namespaceSelector' or 'ipBlock'",
    ),
    (
        policy(peer="podSelector: {}, ipBlock: {cidr: 10.0.0.0/8}"),
        8,
        "spec.ingress[0].from[0].ipBlock",
        "may not be combined",
    ),
    (
        POLICY.replace("  - from:", "  - to:")
        .replace("PEER", "{podSelector: {}}")
        .replace("PORT", "{port: 80}"),
        7,
        "spec.ingress[0].to",
        "unknown field 'to' (ingress rules have 'from' or 'ports')",
    ),
    (
        policy().replace("  podSelector: {}\n", "  podSelector: {}\n  policyTypes: [Ingres]\n"),
        6,
        "spec.policyTypes[0]",
        "must be 'Ingress' or 'Egress', got 'Ingres'",
    ),
    # ---- names, enums, config
    (
        "apiVersion: v1\nkind: Service\nmetadata: {name: Web}\nspec: {ports: [{port: 80}]}\n",
        3,
        "metadata.name",
        "must be a DNS label",
    ),
    (
        svc("type: Internal\nports: [{port: 80}]"),
        5,
        "spec.type",
        "must be 'ClusterIP', 'NodePort', 'LoadBalancer' or 'ExternalName'",
    ),
    (
        "apiVersion: netverify.dev/v1alpha1\nkind: ClusterNetwork\nmetadata: {name: c}\nspec: {podCIRDs: [10.0.0.0/8]}\n",
        4,
        "spec.podCIRDs",
        "unknown field 'podCIRDs'",
    ),
    (
        "apiVersion: netverify.dev/v1alpha1\nkind: ClusterNetwork\nmetadata: {name: c}\nspec: {nodePortRange: 3-2}\n",
        4,
        "spec.nodePortRange",
        "must be 'first-last'",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "field", "message"), CASES, ids=[f"{c[2]}:{c[3][:30]}" for c in CASES]
)
def test_bad_input(text, line, field, message):
    p = one_error(text, "bad.yaml")
    assert message in p.message
    assert (p.file, p.line, p.field) == ("bad.yaml", line, field), str(p)
    assert p.kind is not None and str(p).startswith(f"bad.yaml:{line}: ")


def test_problem_names_the_object():
    p = one_error(pod(port="containerPort: 0"))
    assert (p.kind, p.namespace, p.name) == ("Pod", "default", "a")
    assert (
        str(p)
        == "m.yaml:8: Pod default/a: spec.containers[0].ports[0].containerPort: must be between 1 and 65535, got 0"
    )


def test_duplicate_objects_name_both_locations():
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"
    p = one_error(text)
    assert p.message == "Namespace a is defined twice: here and at m.yaml:1"
    assert (p.line, p.field) == (8, "metadata.name")


def test_same_name_in_other_namespace_or_kind_is_not_a_duplicate():
    text = (
        pod().replace("namespace: default", "namespace: x")
        + "---\n"
        + pod()
        + "---\n"
        + svc("ports: [{port: 80}]").replace("name: web", "name: a")
    )
    cluster = loads(text)
    assert len(cluster.pods) == 2 and len(cluster.services) == 1


def test_duplicate_cluster_ip_and_node_port():
    text = (
        svc("type: NodePort\nclusterIP: 10.96.0.9\nports: [{port: 80, nodePort: 30009}]")
        + "---\n"
        + svc("type: NodePort\nclusterIP: 10.96.0.9\nports: [{port: 80, nodePort: 30009}]").replace(
            "name: web", "name: api"
        )
    )
    found = errors(text)
    assert [(p.name, p.field) for p in found] == [
        ("api", "spec.clusterIP"),
        ("api", "spec.ports[0].nodePort"),
    ]
    assert "also the cluster IP of Service default/web (m.yaml:1)" in found[0].message
    assert "already used by Service default/web" in found[1].message


def test_two_cluster_network_objects():
    cfg = "apiVersion: netverify.dev/v1alpha1\nkind: ClusterNetwork\nmetadata: {name: c}\n"
    p = one_error(cfg + "---\n" + cfg)
    assert (
        p.message == "only one ClusterNetwork object is allowed; the first is at m.yaml:1"
        and p.line == 5
    )


def test_every_problem_is_reported_in_one_pass(tmp_path):
    (tmp_path / "a.yaml").write_text(
        pod(port="containerPort: 0", status="{podIP: bad}") + "---\n" + policy(peer="")
    )
    (tmp_path / "b.yaml").write_text("kind: [\n")
    (tmp_path / "c.yaml").write_text(svc("ports: [{port: 99999}]"))
    with pytest.raises(InputError) as info:
        from verifier import load

        load(tmp_path)
    got = [(p.file.rsplit("/", 1)[-1], p.line, p.field) for p in info.value.problems]
    assert got == [
        ("a.yaml", 8, "spec.containers[0].ports[0].containerPort"),
        ("a.yaml", 9, "status.podIP"),
        ("a.yaml", 18, "spec.ingress[0].from[0]"),
        ("b.yaml", 2, None),
        ("c.yaml", 5, "spec.ports[0].port"),
    ]
    assert str(info.value).count("\n") == 4


def test_warnings_travel_with_errors():
    text = pod(port="containerPort: 0").replace("namespace: default", "namespace: shop")
    with pytest.raises(InputError) as info:
        loads(text)
    assert [p.severity for p in info.value.problems] == ["warning", "error"]
    assert len(info.value.errors) == 1
