#!/usr/bin/env python3
"""Generate large, realistic ``kubectl get -A -o yaml`` cluster dumps for benchmarks.

The output is what ``kubectl get namespaces,nodes,pods,services,endpointslices,
networkpolicies -A -o yaml`` prints for a busy cluster: one ``kind: List`` whose
items are Namespaces, Nodes, Pods (with status, owner references, probes,
volumes, sidecars: 150-250 lines each, like the real thing), Services with
allocated cluster IPs and named target ports, EndpointSlices consistent with
the pods, and a realistic mix of NetworkPolicies. There are no Deployments or
ReplicaSets in it, exactly as in such a dump: the pods are already there.

The cluster is sane: pod IPs are unique (finished job pods keep a stale IP that
a running pod reuses, as in real clusters), every Service's named targetPort
resolves on its backends, and the EndpointSlices list exactly the backends.

Deterministic: the same arguments and seed give byte-identical output.

    python benchmarks/generate.py --pods 10000 --policies 1000 -o /tmp/c10k.yaml
    python benchmarks/generate.py --pods 1000 --policies 200 --format json -o c1k.json

    >>> from benchmarks.generate import generate_cluster
    >>> items = generate_cluster(pods=60, policies=12, namespaces=3, seed=1)
    >>> sum(1 for i in items if i["kind"] == "Pod")
    60
    >>> sum(1 for i in items if i["kind"] == "NetworkPolicy")
    12
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import random
import sys
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

__all__ = ["generate_cluster", "write_list", "main"]

# --------------------------------------------------------------------------- address plan
# Service range and cluster DNS as kubeadm sets them up; a /14 of pods (one /24
# per node, room for 1024 nodes) and nodes in a /16 of the VPC.

SERVICE_CIDR_V4 = ipaddress.ip_network("10.96.0.0/12")
SERVICE_CIDR_V6 = ipaddress.ip_network("fd00:10:96::/112")
POD_CIDR_V4 = ipaddress.ip_network("10.244.0.0/14")
POD_CIDR_V6 = ipaddress.ip_network("fd00:10:244::/48")
NODE_NET_V4 = ipaddress.ip_network("10.0.0.0/16")
NODE_NET_V6 = ipaddress.ip_network("fd00:0:0::/56")
KUBERNETES_SVC_IP = "10.96.0.1"
KUBE_DNS_IP = "10.96.0.10"
KUBE_DNS_IP_V6 = "fd00:10:96::a"

EPOCH = datetime(2024, 9, 2, 7, 30, tzinfo=UTC)

# --------------------------------------------------------------------------- vocabulary

TEAMS = [
    "storefront",
    "checkout",
    "payments",
    "catalog",
    "search",
    "identity",
    "messaging",
    "logistics",
    "pricing",
    "analytics",
    "media",
    "growth",
    "support",
    "billing",
    "risk",
    "inventory",
    "partners",
    "mobile",
    "reporting",
    "platform",
]
ENVS = ["prod", "prod", "prod", "staging", "dev"]
APP_NAMES = [
    "api",
    "web",
    "worker",
    "gateway",
    "auth",
    "orders",
    "cart",
    "search",
    "indexer",
    "notifier",
    "mailer",
    "scheduler",
    "reports",
    "profile",
    "media",
    "thumbnails",
    "pricing",
    "inventory",
    "ledger",
    "fraud",
    "recommender",
    "sessions",
    "webhooks",
    "exporter",
    "sync",
    "importer",
    "graphql",
    "admin",
    "audit",
    "geo",
]
#: (container port name, number, protocol, appProtocol-ish kind) by workload flavour.
FLAVOURS = {
    "http": [("http", 8080, "TCP"), ("metrics", 9090, "TCP")],
    "grpc": [("grpc", 50051, "TCP"), ("metrics", 9090, "TCP")],
    "worker": [("metrics", 9090, "TCP")],
    "redis": [("redis", 6379, "TCP"), ("metrics", 9121, "TCP")],
    "postgres": [("postgresql", 5432, "TCP"), ("metrics", 9187, "TCP")],
    "kafka": [("kafka", 9092, "TCP"), ("kafka-internal", 9093, "TCP"), ("metrics", 9308, "TCP")],
    "dns": [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")],
    "prometheus": [("web", 9090, "TCP")],
    "daemon": [],
}
IMAGES = {
    "http": "registry.example.com/{team}/{app}:{ver}",
    "grpc": "registry.example.com/{team}/{app}:{ver}",
    "worker": "registry.example.com/{team}/{app}-worker:{ver}",
    "redis": "docker.io/library/redis:7.2.5-alpine",
    "postgres": "docker.io/library/postgres:16.4",
    "kafka": "docker.io/bitnami/kafka:3.7.1",
}
EXTERNAL_APIS = [
    ("203.0.113.0/24", "2001:db8:113::/48"),
    ("198.51.100.0/24", "2001:db8:51::/48"),
    ("192.0.2.0/24", "2001:db8:2::/48"),
]
PRIVATE_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
ALNUM = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet of Kubernetes' generated name suffixes


# --------------------------------------------------------------------------- model of what we emit


@dataclass
class NodeInfo:
    name: str
    index: int
    ip4: str
    ip6: str | None
    cidr4: ipaddress.IPv4Network
    cidr6: ipaddress.IPv6Network | None
    zone: str
    next_host: int = 2  # .0 network, .1 the node's tunnel/gateway address
    pods: int = 0


@dataclass
class App:
    namespace: str
    team: str
    name: str
    flavour: str
    kind: str  # Deployment or StatefulSet
    replicas: int
    tier: str
    uid: str = ""
    rs_hash: str = ""
    pods: list[dict] = field(default_factory=list)

    @property
    def ports(self) -> list[tuple[str, int, str]]:
        return FLAVOURS[self.flavour]


class _Ids:
    """Deterministic uids, hashes, suffixes and timestamps from one RNG."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.rv = 4_800_000

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def suffix(self, n: int = 5) -> str:
        return "".join(self.rng.choice(ALNUM) for _ in range(n))

    def hexhash(self, n: int = 64) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def resource_version(self) -> str:
        self.rv += self.rng.randint(1, 900)
        return str(self.rv)

    def time(self, base: datetime | None = None, max_minutes: int = 60 * 24 * 60) -> datetime:
        return (base or EPOCH) + timedelta(seconds=self.rng.randint(0, max_minutes * 60))


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- generator


class _Generator:
    def __init__(
        self,
        *,
        pods: int,
        policies: int,
        namespaces: int,
        services: int | None,
        nodes: int | None,
        dual_stack: bool,
        seed: int,
    ):
        if pods < 1:
            raise ValueError("pods must be at least 1")
        self.rng = random.Random(seed)
        self.ids = _Ids(self.rng)
        self.n_pods = pods
        self.n_policies = policies
        self.n_namespaces = max(1, namespaces)
        self.n_services = services
        self.dual = dual_stack
        # pods/60 nodes, at least 3, at most 1,000 (100,000 pods: 100 per node, in its /24)
        self.n_nodes = nodes or min(1000, max(3, math.ceil(pods / 60)))
        if self.n_nodes > 1024:
            raise ValueError("at most 1024 nodes (one /24 each in 10.244.0.0/14)")
        self.svc_next = 20  # 10.96.0.1 kubernetes, 10.96.0.10 kube-dns
        self.items: list[dict] = []
        self.nodes: list[NodeInfo] = []
        self.apps: list[App] = []
        self.ns_meta: dict[str, dict[str, str]] = {}
        self.live_ips: list[tuple[NodeInfo, list[str]]] = []

    # ----------------------------------------------------------------- top level

    def run(self) -> list[dict]:
        self._make_nodes()
        app_namespaces = self._namespace_names()
        system = ["kube-system", "monitoring", "ingress-nginx"]
        for ns in ["default", *system, *app_namespaces]:
            self.items.append(self._namespace(ns))
        self.items.extend(self._node(n) for n in self.nodes)
        self.items.append(self._service_cidr())

        pods: list[dict] = []
        # Per-node daemons (hostNetwork), cluster DNS, monitoring and ingress.
        budget = self.n_pods
        daemon = self._daemonset_pods("kube-system", "kube-proxy", budget)
        pods += daemon
        budget -= len(daemon)
        system_apps = [
            App("kube-system", "platform", "coredns", "dns", "Deployment", 2, "system"),
            App("monitoring", "platform", "prometheus", "prometheus", "StatefulSet", 1, "system"),
            App(
                "ingress-nginx",
                "platform",
                "ingress-nginx-controller",
                "http",
                "Deployment",
                2,
                "edge",
            ),
        ]
        for app in system_apps:
            if budget <= 0:
                break
            app.replicas = min(app.replicas, budget)
            pods += self._app_pods(app)
            budget -= app.replicas
            self.apps.append(app)
        # Application pods: each namespace gets a share; apps of 1-6 replicas.
        finished = max(0, budget // 50) if budget > 20 else 0
        budget -= finished
        shares = self._split(budget, len(app_namespaces))
        for ns, share in zip(app_namespaces, shares, strict=True):
            pods += self._namespace_apps(ns, share)
        pods += self._finished_job_pods(app_namespaces, finished)
        self.items.extend(pods)

        self.items.extend(self._services())
        self.items.extend(self._policies(app_namespaces))
        return self.items

    @staticmethod
    def _split(total: int, parts: int) -> list[int]:
        base, extra = divmod(total, parts)
        return [base + (1 if i < extra else 0) for i in range(parts)]

    # ----------------------------------------------------------------- namespaces and nodes

    def _namespace_names(self) -> list[str]:
        names: list[str] = []
        for i in range(self.n_namespaces):
            team = TEAMS[i % len(TEAMS)]
            env = ENVS[i % len(ENVS)]  # 3 prod : 1 staging : 1 dev, at any size
            name, n = f"{team}-{env}", 1
            while name in self.ns_meta:
                n += 1
                name = f"{team}-{env}-{n}"
            names.append(name)
            self.ns_meta[name] = {"team": team, "env": env}
        return names

    def _namespace(self, name: str) -> dict:
        labels = {"kubernetes.io/metadata.name": name}
        meta = self.ns_meta.get(name)
        if meta:
            labels.update({"team": meta["team"], "env": meta["env"]})
            if meta["env"] == "prod":
                labels["pod-security.kubernetes.io/enforce"] = "restricted"
        elif name in ("monitoring", "ingress-nginx", "kube-system"):
            labels["purpose"] = {"monitoring": "monitoring", "ingress-nginx": "ingress"}.get(
                name, "system"
            )
        created = ts(EPOCH - timedelta(days=90 if not meta else self.rng.randint(1, 80)))
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "creationTimestamp": created,
                "labels": labels,
                "name": name,
                "resourceVersion": self.ids.resource_version(),
                "uid": self.ids.uid(),
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }

    def _make_nodes(self) -> None:
        zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
        for i in range(self.n_nodes):
            ip4 = str(NODE_NET_V4[(i // 200 + 1) * 256 + 10 + i % 200])
            cidr4 = ipaddress.ip_network(f"{POD_CIDR_V4[i * 256]}/24")
            ip6 = cidr6 = None
            if self.dual:
                ip6 = str(NODE_NET_V6[((i + 1) << 64) + 10])
                cidr6 = ipaddress.ip_network(f"fd00:10:244:{i:x}::/64")
            name = f"ip-{ip4.replace('.', '-')}.eu-west-1.compute.internal"
            self.nodes.append(NodeInfo(name, i, ip4, ip6, cidr4, cidr6, zones[i % 3]))

    def _node(self, n: NodeInfo) -> dict:
        control = n.index < 3 and self.n_nodes > 5
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/instance-type": "m6i.2xlarge",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": n.name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "m6i.2xlarge",
            "topology.kubernetes.io/region": "eu-west-1",
            "topology.kubernetes.io/zone": n.zone,
        }
        if control:
            labels["node-role.kubernetes.io/control-plane"] = ""
        addresses = [{"address": n.ip4, "type": "InternalIP"}]
        if n.ip6:
            addresses.append({"address": n.ip6, "type": "InternalIP"})
        addresses += [
            {"address": n.name, "type": "Hostname"},
            {"address": n.name, "type": "InternalDNS"},
        ]
        cidrs = [str(n.cidr4)] + ([str(n.cidr6)] if n.cidr6 else [])
        hb = ts(EPOCH + timedelta(days=60, minutes=n.index % 50))
        spec: dict[str, Any] = {
            "podCIDR": cidrs[0],
            "podCIDRs": cidrs,
            "providerID": f"aws:///{n.zone}/i-0{self.ids.hexhash(16)}",
        }
        if control:
            spec["taints"] = [
                {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}
            ]
        annotations = {
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            "projectcalico.org/IPv4Address": f"{n.ip4}/24",
        }
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "annotations": annotations,
                "creationTimestamp": ts(EPOCH - timedelta(days=30, hours=n.index)),
                "labels": labels,
                "name": n.name,
                "resourceVersion": self.ids.resource_version(),
                "uid": self.ids.uid(),
            },
            "spec": spec,
            "status": {
                "addresses": addresses,
                "allocatable": {
                    "cpu": "7910m",
                    "ephemeral-storage": "95551679124",
                    "memory": "31482932Ki",
                    "pods": "110",
                },
                "capacity": {
                    "cpu": "8",
                    "ephemeral-storage": "104845292Ki",
                    "memory": "32404532Ki",
                    "pods": "110",
                },
                "conditions": [
                    {
                        "lastHeartbeatTime": hb,
                        "lastTransitionTime": ts(EPOCH - timedelta(days=30)),
                        "message": msg,
                        "reason": reason,
                        "status": status,
                        "type": typ,
                    }
                    for typ, status, reason, msg in (
                        (
                            "MemoryPressure",
                            "False",
                            "KubeletHasSufficientMemory",
                            "kubelet has sufficient memory available",
                        ),
                        (
                            "DiskPressure",
                            "False",
                            "KubeletHasNoDiskPressure",
                            "kubelet has no disk pressure",
                        ),
                        (
                            "PIDPressure",
                            "False",
                            "KubeletHasSufficientPID",
                            "kubelet has sufficient PID available",
                        ),
                        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                    )
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": self.ids.uid(),
                    "containerRuntimeVersion": "containerd://1.7.20",
                    "kernelVersion": "6.8.0-1015-aws",
                    "kubeProxyVersion": "v1.30.4",
                    "kubeletVersion": "v1.30.4",
                    "machineID": self.ids.hexhash(32),
                    "operatingSystem": "linux",
                    "osImage": "Ubuntu 24.04.1 LTS",
                    "systemUUID": self.ids.uid(),
                },
            },
        }

    # ----------------------------------------------------------------- pods

    def _pick_node(self, app: App) -> NodeInfo:
        workers = [n for n in self.nodes if not (n.index < 3 and self.n_nodes > 5)] or self.nodes
        if app.kind == "StatefulSet" or app.tier == "system":
            # spread replicas across zones
            return workers[(len(app.pods) * 7 + hash_str(app.name)) % len(workers)]
        return min(self.rng.sample(workers, min(3, len(workers))), key=lambda n: n.pods)

    def _allocate(self, node: NodeInfo) -> list[str]:
        host = node.next_host
        if host > 254:
            raise ValueError(f"node {node.name} ran out of pod addresses; use more --nodes")
        node.next_host += 1
        ips = [str(node.cidr4[host])]
        if node.cidr6 is not None:
            ips.append(str(node.cidr6[host]))
        return ips

    def _namespace_apps(self, ns: str, share: int) -> list[dict]:
        team = self.ns_meta[ns]["team"]
        out: list[dict] = []
        names = APP_NAMES[:]
        self.rng.shuffle(names)
        i = 0
        while share > 0:
            base = names[i % len(names)]
            name = base if i < len(names) else f"{base}-{i // len(names) + 1}"
            roll = self.rng.random()
            if roll < 0.06:
                flavour, kind, tier = "postgres", "StatefulSet", "data"
            elif roll < 0.12:
                flavour, kind, tier = "redis", "StatefulSet", "data"
            elif roll < 0.14:
                flavour, kind, tier = "kafka", "StatefulSet", "data"
            elif roll < 0.30:
                flavour, kind, tier = "worker", "Deployment", "backend"
            elif roll < 0.55:
                flavour, kind, tier = "grpc", "Deployment", "backend"
            else:
                flavour, kind, tier = (
                    "http",
                    "Deployment",
                    "frontend" if base in ("web", "gateway", "graphql") else "backend",
                )
            if kind == "StatefulSet":
                name = f"{name}-{flavour}" if flavour not in name else name
            replicas = min(
                share,
                self.rng.choice([1, 2, 2, 3, 3, 3, 4, 6])
                if kind == "Deployment"
                else self.rng.choice([1, 3]),
            )
            app = App(ns, team, name, flavour, kind, replicas, tier)
            out += self._app_pods(app)
            self.apps.append(app)
            share -= replicas
            i += 1
        return out

    def _app_pods(self, app: App) -> list[dict]:
        app.uid = self.ids.uid()
        app.rs_hash = (
            self.ids.suffix(10) if app.kind == "Deployment" else f"{app.name}-{self.ids.suffix(10)}"
        )
        created = self.ids.time(EPOCH, 60 * 24 * 50)
        for i in range(app.replicas):
            node = self._pick_node(app)
            node.pods += 1
            ips = self._allocate(node)
            name = (
                f"{app.name}-{i}"
                if app.kind == "StatefulSet"
                else f"{app.name}-{app.rs_hash}-{self.ids.suffix()}"
            )
            pod = self._pod(app, name, node, ips, created + timedelta(seconds=3 * i), index=i)
            app.pods.append(pod)
            self.live_ips.append((node, ips))
        return app.pods

    def _pod(
        self,
        app: App,
        name: str,
        node: NodeInfo,
        ips: list[str] | None,
        created: datetime,
        index: int = 0,
        phase: str = "Running",
        host_network: bool = False,
        owner: tuple[str, str] | None = None,
    ) -> dict:
        rng = self.rng
        labels: dict[str, str] = {
            "app": app.name,
            "app.kubernetes.io/name": app.name,
            "app.kubernetes.io/part-of": app.team,
            "tier": app.tier,
        }
        if app.kind == "Deployment":
            labels["pod-template-hash"] = app.rs_hash
            owner_kind, owner_name = "ReplicaSet", f"{app.name}-{app.rs_hash}"
        elif app.kind == "StatefulSet":
            labels["apps.kubernetes.io/pod-index"] = str(index)
            labels["controller-revision-hash"] = app.rs_hash
            labels["statefulset.kubernetes.io/pod-name"] = name
            owner_kind, owner_name = "StatefulSet", app.name
        else:
            owner_kind, owner_name = owner or (app.kind, app.name)
            if app.kind == "DaemonSet":
                labels["controller-revision-hash"] = app.rs_hash
                labels["pod-template-generation"] = "3"
            if app.kind == "Job":
                labels["batch.kubernetes.io/job-name"] = owner_name
                labels["job-name"] = owner_name
        if app.name == "coredns":
            labels = {"k8s-app": "kube-dns", "pod-template-hash": app.rs_hash}
        if app.name == "ingress-nginx-controller":
            labels["app.kubernetes.io/name"] = "ingress-nginx"
            labels["app.kubernetes.io/component"] = "controller"
        version = f"v{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        image = IMAGES.get(app.flavour, "registry.example.com/{team}/{app}:{ver}").format(
            team=app.team, app=app.name, ver=version
        )
        if app.name == "coredns":
            image = "registry.k8s.io/coredns/coredns:v1.11.1"
        if app.name == "kube-proxy":
            image = "registry.k8s.io/kube-proxy:v1.30.4"
        sa = app.name if app.kind != "Job" else "default"
        token_vol = f"kube-api-access-{self.ids.suffix()}"
        started = created + timedelta(seconds=rng.randint(2, 40))
        containers = [self._main_container(app, image, token_vol)]
        sidecar = app.tier in ("frontend", "backend") and rng.random() < 0.35
        if sidecar:
            containers.append(self._log_sidecar(token_vol))
        volumes: list[dict] = []
        if app.flavour in ("http", "grpc", "worker"):
            volumes.append(
                {"configMap": {"defaultMode": 420, "name": f"{app.name}-config"}, "name": "config"}
            )
        if app.kind == "StatefulSet":
            volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": f"data-{name}"}})
        if sidecar:
            volumes.append({"emptyDir": {}, "name": "varlog"})
        volumes.append(
            {
                "name": token_vol,
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                "name": "kube-root-ca.crt",
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "fieldRef": {
                                            "apiVersion": "v1",
                                            "fieldPath": "metadata.namespace",
                                        },
                                        "path": "namespace",
                                    }
                                ]
                            }
                        },
                    ],
                },
            }
        )
        annotations = {
            "kubectl.kubernetes.io/default-container": app.name
            if app.name != "coredns"
            else "coredns"
        }
        if any(p[0] == "metrics" for p in app.ports):
            port = next(p[1] for p in app.ports if p[0] == "metrics")
            annotations.update(
                {
                    "prometheus.io/path": "/metrics",
                    "prometheus.io/port": str(port),
                    "prometheus.io/scrape": "true",
                }
            )
        if ips and not host_network:
            annotations["cni.projectcalico.org/containerID"] = self.ids.hexhash(64)
            annotations["cni.projectcalico.org/podIP"] = f"{ips[0]}/32"
            annotations["cni.projectcalico.org/podIPs"] = ",".join(
                f"{ip}/{32 if '.' in ip else 128}" for ip in ips
            )
        if app.kind == "Deployment":
            annotations["kubectl.kubernetes.io/restartedAt"] = ts(created - timedelta(minutes=5))
        spec: dict[str, Any] = {
            "containers": containers,
            "dnsPolicy": "ClusterFirstWithHostNet"
            if host_network
            else ("Default" if app.name == "coredns" else "ClusterFirst"),
            "enableServiceLinks": app.kind != "StatefulSet",
            "nodeName": node.name,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 2000001000 if app.tier == "system" else 0,
            "restartPolicy": "Never" if app.kind == "Job" else "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {"fsGroup": 2000, "runAsNonRoot": True, "runAsUser": 1000}
            if app.tier != "system"
            else {},
            "serviceAccount": sa,
            "serviceAccountName": sa,
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {
                    "effect": "NoExecute",
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "tolerationSeconds": 300,
                },
                {
                    "effect": "NoExecute",
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "tolerationSeconds": 300,
                },
            ],
            "volumes": volumes,
        }
        if app.tier == "system":
            spec["priorityClassName"] = (
                "system-node-critical" if host_network else "system-cluster-critical"
            )
            spec["tolerations"].insert(0, {"key": "CriticalAddonsOnly", "operator": "Exists"})
            spec["tolerations"].insert(
                1, {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}
            )
        if host_network:
            spec["hostNetwork"] = True
            spec["tolerations"] = [{"operator": "Exists"}]
        if app.kind == "StatefulSet":
            spec["hostname"] = name
            spec["subdomain"] = app.name
        if app.kind == "Deployment" and app.replicas > 1 and app.tier != "system":
            spec["affinity"] = {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "podAffinityTerm": {
                                "labelSelector": {"matchLabels": {"app": app.name}},
                                "topologyKey": "topology.kubernetes.io/zone",
                            },
                            "weight": 100,
                        }
                    ]
                }
            }

        # A few replicas of multi-replica workloads are not ready (rolling
        # restarts); single-replica workloads always are, so every Service keeps
        # a ready backend.
        ready = phase == "Running" and not (index > 0 and rng.random() < 0.03)
        status = self._pod_status(containers, node, ips, phase, ready, created, started, image)
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "annotations": annotations,
                "creationTimestamp": ts(created),
                **(
                    {"generateName": f"{app.name}-{app.rs_hash}-"}
                    if app.kind == "Deployment"
                    else {}
                ),
                **({"generateName": f"{owner_name}-"} if app.kind in ("Job", "DaemonSet") else {}),
                **({"generateName": f"{app.name}-"} if app.kind == "StatefulSet" else {}),
                "labels": labels,
                "name": name,
                "namespace": app.namespace,
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1" if owner_kind == "Job" else "apps/v1",
                        "blockOwnerDeletion": True,
                        "controller": True,
                        "kind": owner_kind,
                        "name": owner_name,
                        "uid": app.uid,
                    }
                ],
                "resourceVersion": self.ids.resource_version(),
                "uid": self.ids.uid(),
            },
            "spec": spec,
            "status": status,
        }

    def _main_container(self, app: App, image: str, token_vol: str) -> dict:
        rng = self.rng
        if app.name == "coredns":
            ports = [
                {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                {"containerPort": 9153, "name": "metrics", "protocol": "TCP"},
            ]
        elif app.name == "kube-proxy":
            ports = []
        else:
            ports = [
                {"containerPort": num, "name": pname, "protocol": proto}
                for pname, num, proto in app.ports
            ]
        env = [
            {
                "name": "POD_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
            },
            {
                "name": "POD_NAMESPACE",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}},
            },
            {
                "name": "POD_IP",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}},
            },
            {"name": "LOG_LEVEL", "value": rng.choice(["info", "info", "warn", "debug"])},
        ]
        if app.flavour in ("http", "grpc", "worker"):
            env += [
                {
                    "name": "OTEL_EXPORTER_OTLP_ENDPOINT",
                    "value": "http://otel-collector.monitoring:4317",
                },
                {
                    "name": "DATABASE_URL",
                    "valueFrom": {"secretKeyRef": {"key": "url", "name": f"{app.name}-db"}},
                },
                {
                    "name": "GOMAXPROCS",
                    "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}},
                },
            ]
        cpu = rng.choice(["50m", "100m", "250m", "500m"])
        mem = rng.choice(["64Mi", "128Mi", "256Mi", "512Mi", "1Gi"])
        container: dict[str, Any] = {
            "env": env,
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "name": app.name if app.name != "coredns" else "coredns",
            "ports": ports,
            "resources": {
                "limits": {"cpu": "1", "memory": mem},
                "requests": {"cpu": cpu, "memory": mem},
            },
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
            },
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "volumeMounts": [
                {
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                    "name": token_vol,
                    "readOnly": True,
                }
            ],
        }
        if not ports:
            del container["ports"]
        if app.flavour in ("http", "grpc", "worker"):
            container["volumeMounts"].insert(
                0, {"mountPath": "/etc/app", "name": "config", "readOnly": True}
            )
        if app.kind == "StatefulSet":
            container["volumeMounts"].insert(0, {"mountPath": "/data", "name": "data"})
        main_port = ports[0]["name"] if ports else None
        if main_port and app.flavour in ("http",):
            probe = {"httpGet": {"path": "/healthz", "port": main_port, "scheme": "HTTP"}}
        elif main_port and app.flavour == "grpc":
            probe = {"grpc": {"port": ports[0]["containerPort"], "service": ""}}
        elif main_port:
            probe = {"tcpSocket": {"port": main_port}}
        else:
            probe = None
        if probe:
            common = {
                "failureThreshold": 3,
                "periodSeconds": 10,
                "successThreshold": 1,
                "timeoutSeconds": 1,
            }
            container["livenessProbe"] = {**probe, **common, "initialDelaySeconds": 15}
            container["readinessProbe"] = {**probe, **common}
        return container

    def _log_sidecar(self, token_vol: str) -> dict:
        return {
            "args": ["--config=/fluent-bit/etc/fluent-bit.conf"],
            "image": "cr.fluentbit.io/fluent/fluent-bit:3.1.7",
            "imagePullPolicy": "IfNotPresent",
            "name": "log-shipper",
            "ports": [{"containerPort": 2020, "name": "fb-metrics", "protocol": "TCP"}],
            "resources": {
                "limits": {"memory": "64Mi"},
                "requests": {"cpu": "10m", "memory": "32Mi"},
            },
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "volumeMounts": [
                {"mountPath": "/var/log/app", "name": "varlog"},
                {
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                    "name": token_vol,
                    "readOnly": True,
                },
            ],
        }

    def _pod_status(
        self,
        containers: list[dict],
        node: NodeInfo,
        ips: list[str] | None,
        phase: str,
        ready: bool,
        created: datetime,
        started: datetime,
        image: str,
    ) -> dict:
        finished = phase in ("Succeeded", "Failed")

        def cond(typ: str, ok: bool, when: datetime, reason: str | None = None) -> dict:
            c = {
                "lastProbeTime": None,
                "lastTransitionTime": ts(when),
                "status": "True" if ok else "False",
                "type": typ,
            }
            if reason:
                c["reason"] = reason
            return c

        conditions = [
            cond("PodReadyToStartContainers", not finished, started),
            cond("Initialized", True, created, "PodCompleted" if finished else None),
            cond(
                "Ready",
                ready,
                started + timedelta(seconds=8),
                None if ready else ("PodCompleted" if finished else "ContainersNotReady"),
            ),
            cond(
                "ContainersReady",
                ready,
                started + timedelta(seconds=8),
                None if ready else ("PodCompleted" if finished else "ContainersNotReady"),
            ),
            cond("PodScheduled", True, created),
        ]
        statuses = []
        for c in containers:
            img = c["image"]
            if finished:
                state = {
                    "terminated": {
                        "containerID": f"containerd://{self.ids.hexhash(64)}",
                        "exitCode": 0 if phase == "Succeeded" else 1,
                        "finishedAt": ts(started + timedelta(minutes=3)),
                        "reason": "Completed" if phase == "Succeeded" else "Error",
                        "startedAt": ts(started),
                    }
                }
            else:
                state = {"running": {"startedAt": ts(started)}}
            statuses.append(
                {
                    "containerID": f"containerd://{self.ids.hexhash(64)}",
                    "image": img if "/" in img.split(":")[0] else f"docker.io/library/{img}",
                    "imageID": f"{img.rsplit(':', 1)[0]}@sha256:{self.ids.hexhash(64)}",
                    "lastState": {},
                    "name": c["name"],
                    "ready": ready,
                    "restartCount": 0 if self.rng.random() < 0.9 else self.rng.randint(1, 4),
                    "started": not finished,
                    "state": state,
                }
            )
        status: dict[str, Any] = {
            "conditions": conditions,
            "containerStatuses": statuses,
            "hostIP": node.ip4,
            "hostIPs": [{"ip": node.ip4}] + ([{"ip": node.ip6}] if node.ip6 else []),
            "phase": phase,
            "qosClass": "Burstable",
            "startTime": ts(created),
        }
        if ips:
            status["podIP"] = ips[0]
            status["podIPs"] = [{"ip": ip} for ip in ips]
        return status

    def _daemonset_pods(self, ns: str, name: str, budget: int) -> list[dict]:
        app = App(ns, "platform", name, "daemon", "DaemonSet", len(self.nodes), "system")
        app.uid = self.ids.uid()
        app.rs_hash = self.ids.suffix(10)
        out = []
        for node in self.nodes[: max(0, min(budget, len(self.nodes)))]:
            ips = [node.ip4] + ([node.ip6] if node.ip6 else [])
            out.append(
                self._pod(
                    app,
                    f"{name}-{self.ids.suffix()}",
                    node,
                    ips,
                    EPOCH - timedelta(days=29, seconds=node.index),
                    host_network=True,
                )
            )
        return out

    def _finished_job_pods(self, namespaces: list[str], count: int) -> list[dict]:
        """Completed/failed CronJob pods. Their status still shows an IP that a
        running pod now holds, as in any real cluster (semantics.md §1.4)."""
        out = []
        for i in range(count):
            ns = namespaces[i % len(namespaces)]
            job_id = 28790000 + self.rng.randint(0, 9999) * 5
            job = f"nightly-export-{job_id}"
            app = App(ns, self.ns_meta[ns]["team"], "nightly-export", "worker", "Job", 1, "batch")
            app.uid = self.ids.uid()
            node, ips = self.rng.choice(self.live_ips) if self.live_ips else (self.nodes[0], None)
            phase = "Succeeded" if self.rng.random() < 0.8 else "Failed"
            out.append(
                self._pod(
                    app,
                    f"{job}-{self.ids.suffix()}",
                    node,
                    list(ips) if ips else None,
                    self.ids.time(EPOCH, 60 * 24 * 50),
                    phase=phase,
                    owner=("Job", job),
                )
            )
        return out

    # ----------------------------------------------------------------- services and slices

    def _service_cidr(self) -> dict:
        """The API server's default ServiceCIDR object (networking.k8s.io/v1, Kubernetes >= 1.33)."""
        cidrs = [str(SERVICE_CIDR_V4)] + ([str(SERVICE_CIDR_V6)] if self.dual else [])
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "ServiceCIDR",
            "metadata": {
                "creationTimestamp": ts(EPOCH - timedelta(days=90)),
                "finalizers": ["networking.k8s.io/service-cidr-finalizer"],
                "generation": 1,
                "name": "kubernetes",
                "resourceVersion": self.ids.resource_version(),
                "uid": self.ids.uid(),
            },
            "spec": {"cidrs": cidrs},
            "status": {
                "conditions": [
                    {
                        "lastTransitionTime": ts(EPOCH - timedelta(days=90)),
                        "message": "Kubernetes Service CIDR is ready",
                        "reason": "",
                        "status": "True",
                        "type": "Ready",
                    }
                ]
            },
        }

    def _cluster_ip(self) -> list[str]:
        n = self.svc_next
        self.svc_next += 1
        out = [str(SERVICE_CIDR_V4[n])]
        if self.dual:
            out.append(str(SERVICE_CIDR_V6[n]))
        return out

    def _services(self) -> Iterator[dict]:
        # default/kubernetes: selector-less, EndpointSlice kept by the API server.
        yield self._service(
            "default",
            "kubernetes",
            None,
            [("https", 443, "TCP", 6443)],
            cluster_ips=[KUBERNETES_SVC_IP],
            labels={"component": "apiserver", "provider": "kubernetes"},
            single_stack=True,
        )
        control = self.nodes[: 3 if self.n_nodes > 5 else 1]
        yield self._slice(
            "default",
            "kubernetes",
            "IPv4",
            [("https", 6443, "TCP")],
            [
                {
                    "addresses": [n.ip4],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                }
                for n in control
            ],
            managed_by="endpointslicemirroring-controller.k8s.io",
            name="kubernetes",
        )

        services = [a for a in self.apps if a.kind != "DaemonSet"]
        limit = self.n_services if self.n_services is not None else len(services)
        made = 0
        for app in services:
            if made >= limit:
                break
            if app.name == "coredns":
                ips = [KUBE_DNS_IP] + ([KUBE_DNS_IP_V6] if self.dual else [])
                ports = [
                    ("dns", 53, "UDP", "dns"),
                    ("dns-tcp", 53, "TCP", "dns-tcp"),
                    ("metrics", 9153, "TCP", "metrics"),
                ]
                yield from self._service_with_slices(
                    app, "kube-dns", ports, ips, selector={"k8s-app": "kube-dns"}
                )
            else:
                ports = [
                    (pname, 80 if pname == "http" else num, proto, pname)
                    for pname, num, proto in app.ports
                    if pname != "metrics"
                ] or [(p[0], p[1], p[2], p[0]) for p in app.ports]
                headless = app.kind == "StatefulSet"
                yield from self._service_with_slices(
                    app,
                    app.name,
                    ports,
                    None if headless else self._cluster_ip(),
                    selector={"app": app.name},
                    headless=headless,
                )
            made += 1
        # More Services than workloads: per-app metrics Services, as ServiceMonitors want them.
        extra = [
            a for a in services if any(p[0] == "metrics" for p in a.ports) and a.name != "coredns"
        ]
        i = 0
        while made < limit and extra:
            app = extra[i % len(extra)]
            suffix = "metrics" if i < len(extra) else f"metrics-{i // len(extra) + 1}"
            port = next(p for p in app.ports if p[0] == "metrics")
            yield from self._service_with_slices(
                app,
                f"{app.name}-{suffix}",
                [("metrics", port[1], "TCP", "metrics")],
                self._cluster_ip(),
                selector={"app": app.name},
            )
            made += 1
            i += 1

    def _service(
        self,
        ns: str,
        name: str,
        selector: dict | None,
        ports: list[tuple[str, int, str, Any]],
        cluster_ips: list[str] | None,
        labels: dict | None = None,
        single_stack: bool = False,
    ) -> dict:
        headless = cluster_ips is None
        families = ["IPv4", "IPv6"] if self.dual and not single_stack else ["IPv4"]
        spec: dict[str, Any] = {
            "clusterIP": "None" if headless else cluster_ips[0],
            "clusterIPs": ["None"] if headless else cluster_ips,
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": families,
            "ipFamilyPolicy": "PreferDualStack" if len(families) == 2 else "SingleStack",
            "ports": [
                {"name": pname, "port": port, "protocol": proto, "targetPort": target}
                for pname, port, proto, target in ports
            ],
            "sessionAffinity": "None",
            "type": "ClusterIP",
        }
        if selector is not None:
            spec["selector"] = selector
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "creationTimestamp": ts(self.ids.time(EPOCH - timedelta(days=60), 60 * 24 * 30)),
                "labels": labels or {"app": name},
                "name": name,
                "namespace": ns,
                "resourceVersion": self.ids.resource_version(),
                "uid": self.ids.uid(),
            },
            "spec": spec,
            "status": {"loadBalancer": {}},
        }

    def _service_with_slices(
        self, app: App, name: str, ports, cluster_ips, selector, headless: bool = False
    ) -> Iterator[dict]:
        svc = self._service(app.namespace, name, selector, ports, cluster_ips)
        yield svc
        families = svc["spec"]["ipFamilies"]
        backends = [
            p
            for p in app.pods
            if p["status"]["phase"] not in ("Succeeded", "Failed") and p["status"].get("podIPs")
        ]
        for family in families:
            endpoints_by_ports: dict[tuple, list[dict]] = {}
            for pod in backends:
                resolved = []
                for pname, _port, proto, target in ports:
                    number = target if isinstance(target, int) else _named_port(pod, target, proto)
                    if number is None:
                        continue
                    resolved.append((pname, number, proto))
                addr = next(
                    (
                        a["ip"]
                        for a in pod["status"]["podIPs"]
                        if (":" in a["ip"]) == (family == "IPv6")
                    ),
                    None,
                )
                if addr is None or not resolved:
                    continue
                ready = any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in pod["status"]["conditions"]
                )
                ep: dict[str, Any] = {
                    "addresses": [addr],
                    "conditions": {"ready": ready, "serving": ready, "terminating": False},
                    "nodeName": pod["spec"]["nodeName"],
                    "targetRef": {
                        "kind": "Pod",
                        "name": pod["metadata"]["name"],
                        "namespace": app.namespace,
                        "uid": pod["metadata"]["uid"],
                    },
                    "zone": self.nodes_by_name[pod["spec"]["nodeName"]].zone,
                }
                if pod["spec"].get("subdomain") == name and pod["spec"].get("hostname"):
                    ep["hostname"] = pod["spec"]["hostname"]
                endpoints_by_ports.setdefault(tuple(resolved), []).append(ep)
            for resolved, eps in endpoints_by_ports.items():
                for chunk in range(0, len(eps), 100):  # the controller's maxEndpointsPerSlice
                    yield self._slice(
                        app.namespace,
                        name,
                        family,
                        list(resolved),
                        eps[chunk : chunk + 100],
                        owner_uid=svc["metadata"]["uid"],
                        headless=headless,
                    )

    @property
    def nodes_by_name(self) -> dict[str, NodeInfo]:
        if not hasattr(self, "_nbn"):
            self._nbn = {n.name: n for n in self.nodes}
        return self._nbn

    def _slice(
        self,
        ns: str,
        svc: str,
        family: str,
        ports: list[tuple[str, int, str]],
        endpoints: list[dict],
        managed_by: str = "endpointslice-controller.k8s.io",
        name: str | None = None,
        owner_uid: str | None = None,
        headless: bool = False,
    ) -> dict:
        labels = {
            "endpointslice.kubernetes.io/managed-by": managed_by,
            "kubernetes.io/service-name": svc,
        }
        if headless:
            labels["service.kubernetes.io/headless"] = ""
        meta: dict[str, Any] = {
            "annotations": {
                "endpoints.kubernetes.io/last-change-trigger-time": ts(
                    self.ids.time(EPOCH + timedelta(days=55), 60 * 24 * 5)
                )
            },
            "creationTimestamp": ts(self.ids.time(EPOCH - timedelta(days=60), 60 * 24 * 30)),
            "generateName": f"{svc}-",
            "generation": self.rng.randint(1, 40),
            "labels": labels,
            "name": name or f"{svc}-{self.ids.suffix()}",
            "namespace": ns,
            "resourceVersion": self.ids.resource_version(),
            "uid": self.ids.uid(),
        }
        if owner_uid:
            meta["ownerReferences"] = [
                {
                    "apiVersion": "v1",
                    "blockOwnerDeletion": True,
                    "controller": True,
                    "kind": "Service",
                    "name": svc,
                    "uid": owner_uid,
                }
            ]
        if name:
            del meta["generateName"]
        return {
            "addressType": family,
            "apiVersion": "discovery.k8s.io/v1",
            "endpoints": endpoints,
            "kind": "EndpointSlice",
            "metadata": meta,
            "ports": [
                {"name": pname, "port": num, "protocol": proto} for pname, num, proto in ports
            ],
        }

    # ----------------------------------------------------------------- network policies

    def _policies(self, namespaces: list[str]) -> list[dict]:
        """A realistic mix, round-robin over the namespaces: every namespace first
        gets default deny and DNS, then ingress-controller and Prometheus allows,
        then per-app allows (pod selectors, matchExpressions, namespace AND pod
        peers from other teams), then egress to external APIs by ipBlock."""
        if self.n_policies <= 0:
            return []
        queues = {ns: self._policy_queue(ns, namespaces) for ns in namespaces}
        out: list[dict] = []
        round_ = 0
        while len(out) < self.n_policies:
            progressed = False
            for ns in namespaces:
                if len(out) >= self.n_policies:
                    break
                q = queues[ns]
                if round_ < len(q):
                    out.append(q[round_])
                    progressed = True
            if not progressed:
                # Every template used: keep going with per-app port variants.
                for ns in namespaces:
                    if len(out) >= self.n_policies:
                        break
                    out.append(self._extra_policy(ns, round_))
            round_ += 1
        return out

    def _policy(
        self,
        ns: str,
        name: str,
        pod_selector: dict,
        types: list[str],
        ingress: list[dict] | None = None,
        egress: list[dict] | None = None,
    ) -> dict:
        spec: dict[str, Any] = {"podSelector": pod_selector, "policyTypes": types}
        if ingress is not None:
            spec["ingress"] = ingress
        if egress is not None:
            spec["egress"] = egress
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "annotations": {
                    "meta.helm.sh/release-name": ns,
                    "meta.helm.sh/release-namespace": ns,
                },
                "creationTimestamp": ts(self.ids.time(EPOCH, 60 * 24 * 50)),
                "generation": 1,
                "labels": {"app.kubernetes.io/managed-by": "Helm"},
                "name": name,
                "namespace": ns,
                "resourceVersion": self.ids.resource_version(),
                "uid": self.ids.uid(),
            },
            "spec": spec,
        }

    def _policy_queue(self, ns: str, namespaces: list[str]) -> list[dict]:
        rng = self.rng
        apps = [a for a in self.apps if a.namespace == ns]
        strict = self.ns_meta[ns]["env"] == "prod"
        q = [
            self._policy(
                ns,
                "default-deny-all" if strict else "default-deny-ingress",
                {},
                ["Ingress", "Egress"] if strict else ["Ingress"],
            )
        ]
        if strict:  # an Egress policy isolates what it selects: only where egress is denied
            q.append(
                self._policy(
                    ns,
                    "allow-dns",
                    {},
                    ["Egress"],
                    egress=[
                        {
                            "ports": [
                                {"port": 53, "protocol": "UDP"},
                                {"port": 53, "protocol": "TCP"},
                            ],
                            "to": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {
                                            "kubernetes.io/metadata.name": "kube-system"
                                        }
                                    },
                                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                                }
                            ],
                        }
                    ],
                )
            )
        fronts = [a for a in apps if a.tier == "frontend"]
        if fronts:
            q.append(
                self._policy(
                    ns,
                    "allow-ingress-controller",
                    {
                        "matchExpressions": [
                            {"key": "tier", "operator": "In", "values": ["frontend"]}
                        ]
                    },
                    ["Ingress"],
                    ingress=[
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {
                                            "kubernetes.io/metadata.name": "ingress-nginx"
                                        }
                                    },
                                    "podSelector": {
                                        "matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}
                                    },
                                }
                            ],
                            "ports": [{"port": "http", "protocol": "TCP"}],
                        }
                    ],
                )
            )
        q.append(
            self._policy(
                ns,
                "allow-prometheus-scrape",
                {},
                ["Ingress"],
                ingress=[
                    {
                        "from": [
                            {
                                "namespaceSelector": {"matchLabels": {"purpose": "monitoring"}},
                                "podSelector": {"matchLabels": {"app": "prometheus"}},
                            }
                        ],
                        "ports": [
                            {"port": "metrics", "protocol": "TCP"},
                            {"endPort": 9399, "port": 9100, "protocol": "TCP"},
                        ],
                    }
                ],
            )
        )
        if strict:
            blocks = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE_V4}}]
            if self.dual:
                blocks.append({"ipBlock": {"cidr": "::/0", "except": ["fd00::/8"]}})
            q.append(
                self._policy(
                    ns,
                    "allow-internet-egress-https",
                    {"matchLabels": {"tier": "backend"}},
                    ["Egress"],
                    egress=[{"to": blocks, "ports": [{"port": 443, "protocol": "TCP"}]}],
                )
            )
        for app in apps:
            serving = [p for p in app.ports if p[0] != "metrics"]
            if not serving:
                continue
            others = [a.name for a in apps if a is not app and a.tier != "data"]
            clients = (
                sorted(rng.sample(others, min(len(others), rng.randint(1, 3)))) if others else []
            )
            rules: list[dict] = []
            if clients:
                peer = (
                    {"podSelector": {"matchLabels": {"app": clients[0]}}}
                    if len(clients) == 1
                    else {
                        "podSelector": {
                            "matchExpressions": [
                                {"key": "app", "operator": "In", "values": clients}
                            ]
                        }
                    }
                )
                rules.append(
                    {"from": [peer], "ports": [{"port": serving[0][0], "protocol": "TCP"}]}
                )
            if app.tier != "data" and rng.random() < 0.35:
                other = rng.choice(namespaces)
                rules.append(
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {
                                        "team": self.ns_meta[other]["team"],
                                        "env": self.ns_meta[other]["env"],
                                    }
                                },
                                "podSelector": {"matchLabels": {"tier": "backend"}},
                            }
                        ],
                        "ports": [{"port": serving[0][1], "protocol": "TCP"}],
                    }
                )
            if rules:
                q.append(
                    self._policy(
                        ns,
                        f"{app.name}-ingress",
                        {"matchLabels": {"app": app.name}},
                        ["Ingress"],
                        ingress=rules,
                    )
                )
            if strict and app.tier != "data":
                deps = [a for a in apps if a.tier == "data" or a.flavour == "grpc"]
                deps = [a for a in deps if a is not app]
                if deps:
                    dep = rng.choice(deps)
                    egress = [
                        {
                            "to": [{"podSelector": {"matchLabels": {"app": dep.name}}}],
                            "ports": [{"port": dep.ports[0][0], "protocol": "TCP"}],
                        }
                    ]
                    if rng.random() < 0.3:
                        v4, v6 = rng.choice(EXTERNAL_APIS)
                        blocks = [{"ipBlock": {"cidr": v4}}] + (
                            [{"ipBlock": {"cidr": v6}}] if self.dual else []
                        )
                        egress.append({"to": blocks, "ports": [{"port": 443, "protocol": "TCP"}]})
                    q.append(
                        self._policy(
                            ns,
                            f"{app.name}-egress",
                            {"matchLabels": {"app": app.name}},
                            ["Egress"],
                            egress=egress,
                        )
                    )
        return q

    def _extra_policy(self, ns: str, round_: int) -> dict:
        apps = [a for a in self.apps if a.namespace == ns] or self.apps
        app = apps[round_ % len(apps)]
        port = app.ports[0]
        return self._policy(
            ns,
            f"{app.name}-allow-{round_}",
            {"matchLabels": {"app": app.name}},
            ["Ingress"],
            ingress=[
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": ns}
                            },
                            "podSelector": {
                                "matchExpressions": [
                                    {"key": "tier", "operator": "NotIn", "values": ["data"]}
                                ]
                            },
                        }
                    ],
                    "ports": [{"port": port[1], "protocol": port[2]}],
                }
            ],
        )


def _named_port(pod: dict, name: str, protocol: str) -> int | None:
    for c in pod["spec"]["containers"]:
        for p in c.get("ports", ()):
            if p.get("name") == name and p.get("protocol", "TCP") == protocol:
                return p["containerPort"]
    return None


def hash_str(s: str) -> int:
    """A stable string hash (Python's hash() is salted per process)."""
    h = 0
    for ch in s:
        h = (h * 131 + ord(ch)) & 0xFFFFFFFF
    return h


# --------------------------------------------------------------------------- public API


def generate_cluster(
    pods: int = 1000,
    policies: int = 200,
    namespaces: int | None = None,
    services: int | None = None,
    nodes: int | None = None,
    dual_stack: bool = False,
    seed: int = 0,
) -> list[dict]:
    """The items of a ``kubectl get ... -A -o yaml`` List for a cluster of this size.

    ``pods`` counts every pod in the dump (system DaemonSet pods and finished
    job pods included); ``namespaces`` counts application namespaces (default:
    one per 100 pods, at least 3), to which kube-system, monitoring,
    ingress-nginx and default are added; ``services`` defaults to one per
    workload; ``nodes`` to one per 60 pods (at least 3).
    """
    if namespaces is None:
        namespaces = max(3, pods // 100)
    gen = _Generator(
        pods=pods,
        policies=policies,
        namespaces=namespaces,
        services=services,
        nodes=nodes,
        dual_stack=dual_stack,
        seed=seed,
    )
    return gen.run()


_DUMPER: Any = None


def _yaml_dump(obj: Any) -> str:
    global _DUMPER
    if _DUMPER is None:
        import yaml

        class _NoAliases(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
            """kubectl never writes anchors; shared sub-objects are written out in full."""

            def ignore_aliases(self, data: Any) -> bool:
                return True

        _DUMPER = _NoAliases
    import yaml

    return yaml.dump(obj, Dumper=_DUMPER, default_flow_style=False, sort_keys=True, width=10_000)


def write_list(items: Iterable[dict], out: IO[str], fmt: str = "yaml") -> None:
    """Write ``items`` as one ``kind: List``, streaming item by item, the way kubectl prints it.

    YAML keys are sorted (kubectl's YAML goes through JSON maps); JSON keeps
    field order with four-space indentation, like ``kubectl -o json``.
    """
    if fmt == "yaml":
        out.write("apiVersion: v1\nitems:\n")
        for item in items:
            text = _yaml_dump(item)
            lines = text.splitlines()
            out.write("- " + lines[0] + "\n")
            out.writelines("  " + line + "\n" for line in lines[1:])
        out.write('kind: List\nmetadata:\n  resourceVersion: ""\n')
    elif fmt == "json":
        out.write('{\n    "apiVersion": "v1",\n    "items": [')
        first = True
        for item in items:
            text = json.dumps(item, indent=4)
            out.write(
                ("\n" if first else ",\n")
                + "\n".join("        " + line for line in text.splitlines())
            )
            first = False
        out.write(
            '\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
        )
    else:
        raise ValueError(f"unknown format {fmt!r} (yaml or json)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="generate.py",
        description="Generate a large, realistic `kubectl get -A -o yaml` cluster dump (a kind: List).",
    )
    ap.add_argument("--pods", type=int, default=1000, help="total pods (default 1000)")
    ap.add_argument("--policies", type=int, default=200, help="NetworkPolicies (default 200)")
    ap.add_argument(
        "--namespaces",
        type=int,
        default=None,
        help="application namespaces (default pods/100, at least 3)",
    )
    ap.add_argument(
        "--services",
        type=int,
        default=None,
        help="Services besides default/kubernetes (default: one per workload)",
    )
    ap.add_argument("--nodes", type=int, default=None, help="nodes (default pods/60, at least 3)")
    ap.add_argument(
        "--dual-stack", action="store_true", help="IPv4 and IPv6 pods, nodes and Services"
    )
    ap.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed (default 0); output is deterministic per seed",
    )
    ap.add_argument("--format", choices=("yaml", "json"), default="yaml")
    ap.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    args = ap.parse_args(argv)
    try:
        items = generate_cluster(
            pods=args.pods,
            policies=args.policies,
            namespaces=args.namespaces,
            services=args.services,
            nodes=args.nodes,
            dual_stack=args.dual_stack,
            seed=args.seed,
        )
    except ValueError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 2
    if args.output == "-":
        write_list(items, sys.stdout, args.format)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            write_list(items, f, args.format)
        kinds: dict[str, int] = {}
        for it in items:
            kinds[it["kind"]] = kinds.get(it["kind"], 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in kinds.items())
        print(f"wrote {args.output}: {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
