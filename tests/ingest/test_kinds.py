"""Each kind and field the model holds, with the API server's defaults."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

from verifier.model import LabelSelector, Requirement

from .helpers import load, one_error, pod_yaml

# --------------------------------------------------------------------------- Namespace / Node


def test_namespace_labels_and_automatic_name_label():
    (ns,) = load("""\
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
          labels: {team: a, kubernetes.io/metadata.name: wrong}
        """).namespaces
    assert dict(ns.labels) == {"team": "a", "kubernetes.io/metadata.name": "shop"}
    assert not ns.implicit and ns.source.line == 1


def test_node_fields():
    (node,) = load("""\
        apiVersion: v1
        kind: Node
        metadata: {name: n1, labels: {zone: a}}
        spec:
          podCIDR: 10.244.3.0/24
          podCIDRs: [10.244.3.0/24, "fd00:10:244:3::/64"]
          unschedulable: true
          taints:
          - {key: dedicated, value: db, effect: NoSchedule}
          - {key: soft, effect: PreferNoSchedule}
          - {key: gone, effect: NoExecute}
        status:
          addresses:
          - {type: InternalIP, address: 192.168.1.10}
          - {type: ExternalIP, address: 203.0.113.10}
          - {type: Hostname, address: n1}
        """).nodes
    assert node.labels["zone"] == "a" and node.unschedulable and not node.implicit
    assert node.pod_cidrs == (ip_network("10.244.3.0/24"), ip_network("fd00:10:244:3::/64"))
    assert node.ips == (ip_address("192.168.1.10"), ip_address("203.0.113.10"))
    assert node.taints == (("dedicated", "db", "NoSchedule"), ("gone", "", "NoExecute"))


# --------------------------------------------------------------------------- Pod


def test_pod_fields():
    cluster = load("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-0
          namespace: shop
          labels: {app: web}
          deletionTimestamp: "2024-01-01T00:00:00Z"
          ownerReferences:
          - {apiVersion: v1, kind: Node, name: n1}
          - {apiVersion: apps/v1, kind: StatefulSet, name: web, controller: true}
        spec:
          nodeName: n1
          hostname: web-0
          subdomain: web
          dnsPolicy: None
          dnsConfig:
            nameservers: [1.1.1.1]
            searches: [example.com]
            options: [{name: ndots, value: "1"}, {name: edns0}]
          initContainers:
          - name: setup
            ports: [{containerPort: 9999}]
          - name: proxy
            restartPolicy: Always
            ports: [{containerPort: 15001, name: proxy}]
          containers:
          - name: app
            ports:
            - {containerPort: 8080, name: http}
            - {containerPort: 53, protocol: UDP, name: dns, hostPort: 5353, hostIP: 10.0.0.1}
        status:
          phase: Running
          podIP: 10.244.1.5
          podIPs: [{ip: 10.244.1.5}, {ip: "fd00::5"}]
          conditions:
          - {type: Ready, status: "False"}
        """)
    (ns,) = cluster.namespaces
    assert ns.name == "shop" and ns.implicit
    (pod,) = cluster.pods
    assert (pod.ref, pod.node_name, pod.hostname, pod.subdomain) == (
        "shop/web-0",
        "n1",
        "web-0",
        "web",
    )
    assert pod.owner == "StatefulSet/web"
    assert pod.terminating and not pod.ready and pod.phase == "Running"
    assert pod.ips == (ip_address("10.244.1.5"), ip_address("fd00::5")) and not pod.ip_allocated
    assert pod.dns_policy == "None"
    assert pod.dns_config.nameservers == ("1.1.1.1",)
    assert pod.dns_config.searches == ("example.com",)
    assert pod.dns_config.options == (("ndots", "1"), ("edns0", None))
    assert [(c.name, c.role) for c in pod.containers] == [("app", "container"), ("proxy", "init")]
    http, dns = pod.containers[0].ports
    assert (http.container_port, http.protocol, http.name, http.host_port) == (
        8080,
        "TCP",
        "http",
        None,
    )
    assert (dns.protocol, dns.host_port, dns.host_ip) == ("UDP", 5353, "10.0.0.1")
    assert pod.named_port("proxy", "TCP") == 15001
    assert not pod.declares_port(9999, "TCP")  # plain init containers serve nothing


def test_pod_defaults():
    (pod,) = load(pod_yaml()).pods
    assert (pod.phase, pod.ready, pod.terminating, pod.dns_policy, pod.owner) == (
        "Running",
        True,
        False,
        "ClusterFirst",
        None,
    )
    assert pod.hostname is None and pod.dns_config is None


def test_pod_status_phases_and_readiness():
    cluster = load(
        pod_yaml("a", extra_spec="nodeName: n1")
        + "status: {phase: Succeeded, podIP: 10.244.0.9}\n---\n"
        + pod_yaml("b", extra_spec="nodeName: n1")
        + "status: {phase: Pending}\n"
    )
    a, b = cluster.pods
    assert a.terminal and a.ips == (ip_address("10.244.0.9"),)
    assert b.phase == "Pending" and not b.ready and b.ip_allocated  # non-terminal: addressed


def test_host_network_pod_host_port_defaults_to_container_port():
    (pod,) = load(
        pod_yaml(extra_spec="hostNetwork: true").replace(
            "containers: [{name: c}]", "containers: [{name: c, ports: [{containerPort: 9100}]}]"
        )
    ).pods
    assert pod.host_network and pod.containers[0].ports[0].host_port == 9100
    assert pod.ips and not pod.ip_allocated  # the node's address


# --------------------------------------------------------------------------- Service


SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
"""


def service(spec: str, config: str = ""):
    spec = "\n".join("  " + line for line in spec.strip().splitlines())
    cluster = load(SERVICE + spec + "\n" + config)
    return cluster.services[0]


def test_service_fields():
    svc = service("""\
type: LoadBalancer
selector: {app: web}
clusterIP: 10.96.0.50
clusterIPs: [10.96.0.50]
ports:
- {name: http, port: 80, targetPort: http, nodePort: 30080, appProtocol: http}
- {name: dns, port: 53, protocol: UDP}
externalIPs: [198.51.100.7]
externalTrafficPolicy: Local
internalTrafficPolicy: Local
sessionAffinity: ClientIP
publishNotReadyAddresses: true
allocateLoadBalancerNodePorts: false
status: null
""")
    assert svc.type == "LoadBalancer" and dict(svc.selector) == {"app": "web"}
    assert svc.cluster_ips == (ip_address("10.96.0.50"),) and not svc.headless
    assert (svc.ip_families, svc.ip_family_policy) == ((4,), "SingleStack")
    http, dns = svc.ports
    assert (
        http.name,
        http.port,
        http.protocol,
        http.target,
        http.node_port,
        http.app_protocol,
    ) == (
        "http",
        80,
        "TCP",
        "http",
        30080,
        "http",
    )
    assert (dns.protocol, dns.target, dns.node_port) == (
        "UDP",
        53,
        None,
    )  # no node port: allocation off
    assert svc.external_ips == (ip_address("198.51.100.7"),)
    assert (svc.external_traffic_policy, svc.internal_traffic_policy, svc.session_affinity) == (
        "Local",
        "Local",
        "ClientIP",
    )
    assert svc.publish_not_ready_addresses and not svc.allocate_load_balancer_node_ports
    assert [s.line for s in svc.port_sources] == [10, 11]


def test_service_load_balancer_status():
    cluster = load(
        SERVICE + "  type: LoadBalancer\n  ports: [{port: 80}]\n"
        "status:\n  loadBalancer:\n    ingress: [{ip: 203.0.113.5}, {hostname: lb.example.com}]\n"
    )
    (svc,) = cluster.services
    assert svc.load_balancer_ips == (ip_address("203.0.113.5"),)
    assert 30000 <= svc.ports[0].node_port <= 32767  # allocated


def test_service_load_balancer_source_ranges():
    """spec.loadBalancerSourceRanges, host bits cleared as the API server's ParseCIDR does."""
    cluster = load(
        SERVICE + "  type: LoadBalancer\n  ports: [{port: 80}]\n"
        "  loadBalancerSourceRanges: [203.0.113.0/24, 198.51.100.7/24, '2001:db8::/64']\n"
    )
    (svc,) = cluster.services
    assert svc.load_balancer_source_ranges == (
        ip_network("203.0.113.0/24"),
        ip_network("198.51.100.0/24"),
        ip_network("2001:db8::/64"),
    )


def test_service_defaults():
    svc = service("ports: [{port: 80}]")
    assert svc.type == "ClusterIP" and svc.selector is None
    assert svc.ports[0].target_port == 80 and svc.ports[0].protocol == "TCP"  # defaulted to port
    assert (svc.ip_families, svc.ip_family_policy) == ((4,), "SingleStack")
    assert len(svc.cluster_ips) == 1 and svc.cluster_ips[0] in ip_network("10.96.0.0/12")
    assert (svc.external_traffic_policy, svc.internal_traffic_policy, svc.session_affinity) == (
        "Cluster",
        "Cluster",
        "None",
    )
    assert svc.allocate_load_balancer_node_ports and not svc.publish_not_ready_addresses


def test_empty_selector_means_no_selector():
    assert service("selector: {}\nports: [{port: 80}]").selector is None


def test_headless_services_and_family_defaults():
    with_selector = service("clusterIP: None\nselector: {app: db}\nports: [{port: 5432}]")
    assert with_selector.headless and with_selector.cluster_ips == ()
    assert (with_selector.ip_family_policy, with_selector.ip_families) == ("SingleStack", (4,))
    without = service("clusterIP: None")  # no ports needed when headless
    # headless without selector: RequireDualStack, any families (semantics.md §9.2)
    assert (without.ip_family_policy, without.ip_families) == ("RequireDualStack", (4, 6))


def test_dual_stack_service_on_dual_stack_cluster():
    config = (
        "---\napiVersion: netverify.dev/v1alpha1\nkind: ClusterNetwork\nmetadata: {name: c}\n"
        "spec: {serviceCIDRs: [10.96.0.0/16, 'fd00:10:96::/112'], podCIDRs: [10.244.0.0/16, 'fd00:10:244::/56']}\n"
    )
    prefer = service("ipFamilyPolicy: PreferDualStack\nports: [{port: 80}]", config)
    assert prefer.ip_families == (4, 6) and [ip.version for ip in prefer.cluster_ips] == [4, 6]
    v6_first = service(
        "ipFamilyPolicy: RequireDualStack\nipFamilies: [IPv6]\nports: [{port: 80}]", config
    )
    assert v6_first.ip_families == (6, 4)
    assert v6_first.cluster_ips[0] in ip_network("fd00:10:96::/112")
    single = service("ports: [{port: 80}]", config)
    assert single.ip_families == (4,) and single.ip_family_policy == "SingleStack"
    two = service("ipFamilies: [IPv4, IPv6]\nports: [{port: 80}]", config)
    assert two.ip_family_policy == "RequireDualStack"
    given = service("clusterIPs: ['fd00:10:96::a']\nports: [{port: 80}]", config)
    assert given.ip_families == (6,) and given.cluster_ips == (ip_address("fd00:10:96::a"),)


def test_prefer_dual_stack_on_single_stack_cluster_gets_one_family():
    svc = service("ipFamilyPolicy: PreferDualStack\nports: [{port: 80}]")
    assert svc.ip_families == (4,) and len(svc.cluster_ips) == 1


def test_external_name_service():
    svc = service("type: ExternalName\nexternalName: db.example.com")
    assert (svc.external_name, svc.cluster_ips, svc.ports, svc.selector) == (
        "db.example.com",
        (),
        (),
        None,
    )


# --------------------------------------------------------------------------- EndpointSlice / Endpoints


def test_endpoint_slice_fields():
    cluster = load("""\
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: web-abc
          namespace: shop
          labels: {kubernetes.io/service-name: web}
        addressType: IPv4
        ports: [{name: http, port: 8080}, {name: all, protocol: UDP}]
        endpoints:
        - addresses: [10.244.1.5]
          conditions: {ready: false, serving: true, terminating: true}
          hostname: web-0
          nodeName: n1
          targetRef: {kind: Pod, name: web-0}
        - addresses: [10.244.1.6]
          conditions: {}
          targetRef: {kind: Pod, namespace: other, name: x}
        - addresses: [192.0.2.10]
        """)
    (s,) = cluster.endpoint_slices
    assert (s.ref, s.service_name, s.address_type, s.family, s.legacy) == (
        "shop/web-abc",
        "web",
        "IPv4",
        4,
        False,
    )
    assert [(p.name, p.port, p.protocol) for p in s.ports] == [
        ("http", 8080, "TCP"),
        ("all", None, "UDP"),
    ]
    a, b, c = s.endpoints
    assert (a.ready, a.serving, a.terminating, a.hostname, a.node_name, a.target_pod) == (
        False,
        True,
        True,
        "web-0",
        "n1",
        "shop/web-0",
    )
    assert (b.ready, b.serving, b.terminating, b.target_pod) == (True, True, False, "other/x")
    assert c.addresses == (ip_address("192.0.2.10"),) and c.target_pod is None


def test_legacy_endpoints_become_slices():
    cluster = load("""\
        apiVersion: v1
        kind: Endpoints
        metadata: {name: db, namespace: default}
        subsets:
        - addresses: [{ip: 10.244.0.5, nodeName: n1, targetRef: {kind: Pod, name: db-0}}]
          notReadyAddresses: [{ip: 10.244.0.6}]
          ports: [{port: 5432, name: pg}]
        """)
    (s,) = cluster.endpoint_slices
    assert (s.name, s.service_name, s.legacy, s.address_type) == ("db", "db", True, "IPv4")
    ready, not_ready = s.endpoints
    assert (ready.ready, ready.target_pod, ready.node_name) == (True, "default/db-0", "n1")
    assert (not_ready.ready, not_ready.serving) == (False, False)
    assert [(p.name, p.port) for p in s.ports] == [("pg", 5432)]


def test_legacy_endpoints_are_dropped_when_the_service_has_slices():
    cluster = load("""\
        apiVersion: v1
        kind: Endpoints
        metadata: {name: db}
        subsets: [{addresses: [{ip: 10.244.0.5}], ports: [{port: 5432}]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: db-x, labels: {kubernetes.io/service-name: db}}
        addressType: IPv4
        endpoints: [{addresses: [10.244.0.5]}]
        """)
    assert [s.name for s in cluster.endpoint_slices] == ["db-x"]


# --------------------------------------------------------------------------- NetworkPolicy


def test_network_policy_rules_peers_and_lines():
    cluster = load("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: x}
        spec:
          podSelector:
            matchLabels: {app: db}
            matchExpressions:
            - {key: tier, operator: NotIn, values: [a, b]}
            - {key: canary, operator: DoesNotExist}
          ingress:
          - from:
            - podSelector: {matchLabels: {app: api}}
              namespaceSelector: {}
            - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
            ports:
            - {port: 5432}
            - {protocol: UDP}
            - {port: http}
            - {port: 8000, endPort: 8100, protocol: SCTP}
          - {}
          egress:
          - to: [{namespaceSelector: {matchLabels: {team: a}}}]
        """)
    (pol,) = cluster.policies
    assert pol.ref == "x/p" and pol.policy_types == ("Ingress", "Egress")
    assert pol.pod_selector == LabelSelector(
        (
            Requirement("app", "In", ("db",)),
            Requirement("tier", "NotIn", ("a", "b")),
            Requirement("canary", "DoesNotExist"),
        )
    )
    r0, r1 = pol.ingress
    assert r0.source.line == 11 and r1.source.line == 20 and pol.egress[0].source.line == 22
    selectors, block = r0.peers
    assert selectors.source.line == 12 and block.source.line == 14
    assert (
        selectors.namespace_selector == LabelSelector() and str(selectors.pod_selector) == "app=api"
    )
    assert str(block.ip_block) == "10.0.0.0/8 except 10.1.0.0/16"
    assert [str(p) for p in r0.ports] == ["5432/TCP", "*/UDP", "http/TCP", "8000-8100/SCTP"]
    assert r1.peers == () and r1.ports == ()
    (peer,) = pol.egress[0].peers
    assert peer.pod_selector is None and str(peer.namespace_selector) == "team=a"


def test_policy_types_default_as_the_api_server_does():
    def types(spec):
        body = "\n".join("  " + line for line in spec.strip().splitlines()) if spec else ""
        text = f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p}}\nspec:\n  podSelector: {{}}\n{body}\n"
        return load(text).policies[0].policy_types

    assert types("") == ("Ingress",)
    assert types("ingress: [{}]") == ("Ingress",)
    assert types("egress: [{}]") == ("Ingress", "Egress")  # §3.2: egress rules imply Ingress too
    assert types("egress: []") == ("Ingress",)
    assert types("policyTypes: [Egress]") == ("Egress",)
    assert types("policyTypes: [Egress, Ingress]\negress: [{}]") == ("Egress", "Ingress")


def test_null_match_labels_is_an_empty_selector():
    # netpol recipe 04 writes `matchLabels:` with no value
    (pol,) = load("""\
        kind: NetworkPolicy
        apiVersion: networking.k8s.io/v1
        metadata: {name: p}
        spec:
          podSelector:
            matchLabels:
          ingress:
          - from:
            - podSelector: {}
        """).policies
    assert pol.pod_selector == LabelSelector()
    assert pol.ingress[0].peers[0].pod_selector == LabelSelector()


def test_null_rule_is_an_empty_rule():
    (pol,) = load(
        "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: p}\nspec:\n  ingress:\n  -\n"
    ).policies
    assert pol.ingress[0].peers == () and pol.ingress[0].ports == ()


def test_policy_without_spec_is_a_warning():
    cluster = load("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: p}\n")
    (w,) = cluster.warnings
    assert "denies all ingress" in w.message and w.severity == "warning"


# --------------------------------------------------------------------------- addressing objects


def test_service_cidr_objects_drive_allocation():
    cluster = load("""\
        apiVersion: networking.k8s.io/v1
        kind: ServiceCIDR
        metadata: {name: kubernetes}
        spec: {cidrs: [172.20.0.0/16]}
        ---
        apiVersion: networking.k8s.io/v1beta1
        kind: ServiceCIDR
        metadata: {name: extra}
        spec: {cidrs: ["fd00:20::/112"]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {ports: [{port: 80}]}
        """)
    assert [s.name for s in cluster.service_cidr_objects] == ["kubernetes", "extra"]
    assert cluster.service_cidrs == (ip_network("172.20.0.0/16"), ip_network("fd00:20::/112"))
    assert cluster.services[0].cluster_ips[0] in ip_network("172.20.0.0/16")


def test_ip_pools_both_api_groups():
    cluster = load("""\
        apiVersion: crd.projectcalico.org/v1
        kind: IPPool
        metadata: {name: v4}
        spec: {cidr: 192.168.0.0/16, natOutgoing: true, ipipMode: CrossSubnet, nodeSelector: "zone == 'a'"}
        ---
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: v6}
        spec: {cidr: "fd00:192::/48", vxlanMode: Always, blockSize: 120, disabled: true, allowedUses: [Tunnel]}
        ---
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: plain}
        spec: {cidr: 10.10.0.0/16}
        """)
    v4, v6, plain = cluster.ip_pools
    assert (v4.cidr, v4.nat_outgoing, v4.ipip_mode, v4.node_selector, v4.block_size) == (
        ip_network("192.168.0.0/16"),
        True,
        "CrossSubnet",
        "zone == 'a'",
        26,
    )
    assert (v6.vxlan_mode, v6.block_size, v6.disabled, v6.allowed_uses) == (
        "Always",
        120,
        True,
        ("Tunnel",),
    )
    assert (plain.nat_outgoing, plain.ipip_mode, plain.node_selector, plain.allowed_uses) == (
        False,
        "Never",
        "all()",
        ("Workload", "Tunnel"),
    )


def test_ip_pool_errors():
    p = one_error(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: x}\n"
        "spec: {cidr: 10.0.0.0/16, nodeSelector: \"zone = 'a'\"}\n"
    )
    assert p.field == "spec.nodeSelector" and "unexpected character '='" in p.message


# --------------------------------------------------------------------------- skipped and namespaces


def test_unknown_kinds_are_skipped_and_counted():
    cluster = load("""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: a, namespace: x}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: b}
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: m}
        ---
        apiVersion: example.com/v1
        kind: Service
        metadata: {name: not-a-core-service}
        """)
    assert cluster.skipped == (("ConfigMap", 2), ("ServiceMonitor", 1), ("Service.example.com", 1))
    assert [(k, ref, s.line) for k, ref, s in cluster.skipped_objects] == [
        ("ConfigMap", "x/a", 1),
        ("ConfigMap", "b", 5),
        ("ServiceMonitor", "m", 9),
        ("Service.example.com", "not-a-core-service", 13),
    ]
    assert cluster.services == () and cluster.namespaces == ()


def test_missing_namespace_is_a_warning_and_made_up():
    cluster = load(pod_yaml(namespace="shop") + "---\n" + pod_yaml("b", namespace="kube-system"))
    (w,) = cluster.warnings
    assert (w.severity, w.kind, w.namespace, w.name, w.field, w.line) == (
        "warning",
        "Pod",
        "shop",
        "a",
        "metadata.namespace",
        3,
    )
    assert "namespace 'shop' is not in the input" in w.message
    assert {n.name: n.implicit for n in cluster.namespaces} == {"shop": True, "kube-system": True}
    assert dict(cluster.namespace_by_name["shop"].labels) == {"kubernetes.io/metadata.name": "shop"}


def test_objects_without_namespace_go_to_default():
    cluster = load("""\
        kind: NetworkPolicy
        apiVersion: networking.k8s.io/v1
        metadata: {name: default-deny}
        spec: {podSelector: {}}
        """)
    assert cluster.policies[0].namespace == "default"
    assert cluster.warnings == ()  # default always exists
