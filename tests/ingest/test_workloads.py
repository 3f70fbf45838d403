"""Workloads expanded into pods: names, counts, hostnames, placement, no duplicates."""

from __future__ import annotations

from textwrap import dedent

from verifier.semantics.selectors import matches

from .helpers import load, one_error, pod_yaml


def workload(
    kind: str, name: str = "web", spec: str = "", template_spec: str = "", api: str = "apps/v1"
) -> str:
    """A workload manifest with a template labelled app=<name>."""
    spec = "\n".join("  " + line for line in dedent(spec).strip().splitlines())
    tspec = "\n".join("      " + line for line in dedent(template_spec).strip().splitlines())
    return (
        f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}, namespace: default}}\nspec:\n"
        f"{spec}\n"
        f"  selector: {{matchLabels: {{app: {name}}}}}\n"
        f"  template:\n    metadata: {{labels: {{app: {name}, tier: x}}}}\n    spec:\n"
        f"      containers: [{{name: c, ports: [{{containerPort: 8080, name: http}}]}}]\n{tspec}\n"
    )


def names(cluster):
    return [p.name for p in cluster.pods]


def test_deployment_expands_to_replicas():
    cluster = load(workload("Deployment", spec="replicas: 3"))
    assert names(cluster) == ["web-0", "web-1", "web-2"]
    pod = cluster.pods[1]
    assert dict(pod.labels) == {"app": "web", "tier": "x"}
    assert pod.named_port("http", "TCP") == 8080
    assert (pod.owner, pod.phase, pod.ready, pod.namespace) == (
        "Deployment/web",
        "Running",
        True,
        "default",
    )
    assert (pod.source.file, pod.source.line) == ("m.yaml", 1)
    assert pod.source.derived == "expanded from Deployment default/web replica 1"
    assert all(p.ip_allocated and p.node_name for p in cluster.pods)


def test_replicas_default_and_zero():
    assert names(load(workload("Deployment"))) == ["web-0"]
    assert names(load(workload("Deployment", spec="replicas: 0"))) == []


def test_replicaset_and_replication_controller():
    assert names(load(workload("ReplicaSet", spec="replicas: 2"))) == ["web-0", "web-1"]
    rc = (
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\n"
        "spec:\n  replicas: 2\n  selector: {app: rc}\n"
        "  template:\n    metadata: {labels: {app: rc}}\n    spec: {containers: [{name: c}]}\n"
    )
    cluster = load(rc)
    assert (
        names(cluster) == ["rc-0", "rc-1"] and cluster.pods[0].owner == "ReplicationController/rc"
    )


def test_jobs_and_cronjobs():
    assert names(load(workload("Job", spec="parallelism: 3\ncompletions: 2", api="batch/v1"))) == [
        "web-0",
        "web-1",
    ]
    assert names(load(workload("Job", api="batch/v1"))) == ["web-0"]
    cron = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\n"
        "spec:\n  schedule: '0 0 * * *'\n  jobTemplate:\n    spec:\n      template:\n"
        "        metadata: {labels: {app: nightly}}\n"
        "        spec: {restartPolicy: OnFailure, containers: [{name: c}]}\n"
    )
    cluster = load(cron)
    assert names(cluster) == ["nightly-0"] and cluster.pods[0].owner == "CronJob/nightly"
    assert names(load(cron.replace("schedule:", "suspend: true\n  schedule:"))) == []


def test_statefulset_hostnames_and_subdomain():
    cluster = load(workload("StatefulSet", "db", spec="replicas: 2\nserviceName: db-headless"))
    assert [(p.name, p.hostname, p.subdomain) for p in cluster.pods] == [
        ("db-0", "db-0", "db-headless"),
        ("db-1", "db-1", "db-headless"),
    ]


NODES = """\
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {disk: ssd}}
status: {addresses: [{type: InternalIP, address: 192.168.1.1}]}
---
apiVersion: v1
kind: Node
metadata: {name: n2, labels: {disk: ssd}}
spec: {taints: [{key: dedicated, value: db, effect: NoSchedule}]}
status: {addresses: [{type: InternalIP, address: 192.168.1.2}]}
---
apiVersion: v1
kind: Node
metadata: {name: n3, labels: {disk: hdd}}
status: {addresses: [{type: InternalIP, address: 192.168.1.3}]}
---
apiVersion: v1
kind: Node
metadata: {name: n4, labels: {disk: ssd}}
spec: {unschedulable: true}
status: {addresses: [{type: InternalIP, address: 192.168.1.4}]}
"""


def test_daemonset_one_pod_per_fitting_node():
    plain = load(workload("DaemonSet", "agent") + NODES)
    assert names(plain) == ["agent-n1", "agent-n3"]  # n2 tainted, n4 unschedulable
    assert plain.pods[0].source.derived == "expanded from DaemonSet default/agent on node n1"
    selected = load(
        workload("DaemonSet", "agent", template_spec="nodeSelector: {disk: ssd}") + NODES
    )
    assert names(selected) == ["agent-n1"]
    tolerant = load(
        workload(
            "DaemonSet", "agent", template_spec="tolerations: [{key: dedicated, operator: Exists}]"
        )
        + NODES
    )
    assert names(tolerant) == ["agent-n1", "agent-n2", "agent-n3"]
    assert [p.node_name for p in tolerant.pods] == ["n1", "n2", "n3"]


def test_host_network_daemonset_pods_use_node_addresses():
    cluster = load(workload("DaemonSet", "exporter", template_spec="hostNetwork: true") + NODES)
    assert [(p.node_name, str(p.ip(4))) for p in cluster.pods] == [
        ("n1", "192.168.1.1"),
        ("n3", "192.168.1.3"),
    ]
    assert not any(p.ip_allocated for p in cluster.pods)
    assert cluster.pods[0].containers[0].ports[0].host_port == 8080


def test_daemonset_on_the_default_topology():
    cluster = load(
        workload("DaemonSet", "agent", template_spec="nodeSelector: {kubernetes.io/os: linux}")
    )
    assert names(cluster) == ["agent-node-1", "agent-node-2", "agent-node-3"]


def test_template_fields_reach_the_pods():
    cluster = load(
        workload(
            "Deployment",
            template_spec="""
            hostname: h
            subdomain: s
            dnsPolicy: ClusterFirstWithHostNet
            dnsConfig: {searches: [corp.example]}
            nodeName: n3
            """,
        )
        + NODES
    )
    (pod,) = cluster.pods
    assert (pod.hostname, pod.subdomain, pod.dns_policy, pod.node_name) == (
        "h",
        "s",
        "ClusterFirstWithHostNet",
        "n3",
    )
    assert pod.dns_config.searches == ("corp.example",)


def test_pods_are_scheduled_round_robin_by_node_selector():
    cluster = load(
        workload("Deployment", "a", spec="replicas: 3", template_spec="nodeSelector: {disk: ssd}")
        + "---\n"
        + workload("Deployment", "b", spec="replicas: 2")
        + NODES
    )
    placed = {p.name: p.node_name for p in cluster.pods}
    # b starts on the node a hash of "default/Deployment/b" picks, then round-robin.
    assert placed == {"a-0": "n1", "a-1": "n1", "a-2": "n1", "b-0": "n3", "b-1": "n1"}
    # Another workload (sorting first) moves nobody: a diff compares like with like.
    more = load(
        workload("Deployment", "0-first", spec="replicas: 2")
        + "---\n"
        + workload("Deployment", "b", spec="replicas: 2")
        + NODES
    )
    assert {p.name: p.node_name for p in more.pods if p.name.startswith("b-")} == {
        "b-0": "n3",
        "b-1": "n1",
    }


# --------------------------------------------------------------------------- no duplicates


OWNED_POD = """\
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7c9d8b-xk2p
  namespace: default
  labels: {app: web, tier: x}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7c9d8b, controller: true}]
spec: {nodeName: node-1, containers: [{name: c}]}
status: {podIP: 10.244.0.77}
"""


def test_deployment_with_pods_in_the_input_is_not_expanded():
    cluster = load(workload("Deployment", spec="replicas: 3") + OWNED_POD)
    assert names(cluster) == ["web-7c9d8b-xk2p"]


def test_pods_of_another_replicaset_do_not_count():
    other = OWNED_POD.replace("app: web, tier: x", "app: other")  # does not match the selector
    cluster = load(workload("Deployment", spec="replicas: 1") + other)
    assert names(cluster) == ["web-0", "web-7c9d8b-xk2p"]


def test_owned_and_same_name_pods_count():
    owned = pod_yaml("db-x").replace(
        "labels: {app: a}", "labels: {app: a}, ownerReferences: [{kind: StatefulSet, name: db}]"
    )
    assert names(load(workload("StatefulSet", "db", spec="replicas: 2") + "---\n" + owned)) == [
        "db-x"
    ]
    same_name = pod_yaml("db-1")
    assert names(load(workload("StatefulSet", "db", spec="replicas: 2") + "---\n" + same_name)) == [
        "db-1"
    ]


def test_replicaset_owned_by_a_deployment_is_expanded_instead():
    rs = (
        workload("ReplicaSet", "web-5d9c", spec="replicas: 2")
        .replace(
            "metadata: {name: web-5d9c, namespace: default}",
            "metadata: {name: web-5d9c, namespace: default, ownerReferences: [{kind: Deployment, name: web}]}",
        )
        .replace("app: web-5d9c", "app: web")
    )
    cluster = load(workload("Deployment", spec="replicas: 5") + "---\n" + rs)
    assert names(cluster) == ["web-5d9c-0", "web-5d9c-1"]


def test_expanded_name_colliding_with_another_workloads_pod_is_dropped_with_a_warning():
    cluster = load(
        workload("Deployment", "web", spec="replicas: 1")
        + "---\n"
        + workload("StatefulSet", "web", spec="replicas: 1")
    )
    assert names(cluster) == ["web-0"]
    (w,) = cluster.warnings
    assert "another pod has that name" in w.message and (w.kind, w.line) == ("StatefulSet", 13)


def test_template_is_validated_like_a_pod():
    bad = workload("Deployment").replace("containerPort: 8080", "containerPort: 0")
    p = one_error(bad)
    assert (p.kind, p.namespace, p.name, p.line) == ("Deployment", "default", "web", 10)
    assert p.field == "spec.template.spec.containers[0].ports[0].containerPort"
    assert p.message == "must be between 1 and 65535, got 0"


def test_selector_must_match_template_labels():
    bad = workload("Deployment").replace(
        "selector: {matchLabels: {app: web}}", "selector: {matchLabels: {app: api}}"
    )
    p = one_error(bad)
    assert p.field == "spec.selector" and "does not match the template labels" in p.message


def test_selector_helper_agrees():
    # the workload selector logic relies on the shared selector semantics
    from verifier.model import LabelSelector, Requirement

    assert matches(LabelSelector((Requirement("app", "In", ("web",)),)), {"app": "web"})


def test_huge_replica_counts_are_capped_with_a_warning():
    cluster = load(workload("Deployment", spec="replicas: 100000"))
    assert len(cluster.pods) == 2000
    assert any("only the first 2000" in w.message for w in cluster.warnings)
