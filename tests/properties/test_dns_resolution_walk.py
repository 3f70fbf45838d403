"""dns-resolution walks each name once per group of queriers that type it the same way: the
groups must find exactly what walking every querier and every name finds."""

from __future__ import annotations

from tests.properties.support import check
from verifier import ingest
from verifier.properties import Status
from verifier.properties import dns_resolution as prop
from verifier.semantics import dns as dns_rules

NAMESPACES = [f"team{i}" for i in range(8)]


def _cluster(extra: str = ""):
    docs = ["apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}"]
    for ns in NAMESPACES:
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}")
        docs.append(
            f"apiVersion: v1\nkind: Pod\nmetadata: {{name: client, namespace: {ns}}}\n"
            "spec: {nodeName: node-1, containers: [{name: c}]}"
        )
    docs.append(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: db-0, namespace: prod, labels: {app: db}}\n"
        "spec: {nodeName: node-1, containers: [{name: c, ports: [{containerPort: 5432}]}]}"
    )
    docs.append(
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: prod}\n"
        "spec: {selector: {app: db}, ports: [{port: 5432}]}"
    )
    return ingest.loads("\n---\n".join(docs) + extra)


# team3 has a headless Service "prod" and a pod with hostname db under it:
# db.prod typed in team3 is db.prod.team3.svc.cluster.local first.
SHADOW = """
---
apiVersion: v1
kind: Pod
metadata: {name: db-shadow, namespace: team3, labels: {app: shadow}}
spec: {nodeName: node-1, hostname: db, subdomain: prod, containers: [{name: c}]}
---
apiVersion: v1
kind: Service
metadata: {name: prod, namespace: team3}
spec: {clusterIP: None, selector: {app: shadow}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: custom, namespace: team5}
spec:
  nodeName: node-1
  dnsConfig: {searches: [corp.example], options: [{name: ndots, value: "2"}]}
  containers: [{name: c}]
"""


def _every_walk(cluster) -> set[tuple[str, str, str]]:
    """(kind, querier, name typed) from resolving every name for every querier, one by one."""
    found = set()
    for pod in prop._queriers(cluster):
        for n in prop._names(cluster):
            if n.namespace is not None and n.namespace != pod.namespace:
                continue
            res = dns_rules.resolve(cluster, pod, n.typed, n.qtype)
            own = prop._own_answer(cluster, n)
            if res.answered_by is not None and res.answered_by != n.expected:
                found.add(("shadowed", pod.ref, n.typed))
            elif res.answered_by is None and own.records:
                found.add(("unresolved", pod.ref, n.typed))
    return found


def _walked(cluster) -> set[tuple[str, str, str]]:
    return {(kind, pod.ref, n.typed) for kind, pod, n, _res in prop._mismatches(cluster)}


def test_a_pod_record_under_one_namespace_shadows_the_name_there_only():
    cluster = _cluster(SHADOW)
    walked = _walked(cluster)
    assert {w for w in walked if w[2] == "db.prod"} == {("shadowed", "team3/client", "db.prod")}
    assert walked == _every_walk(cluster)
    result = check(cluster, "dns-resolution")
    assert result.status is Status.VIOLATED


def test_without_the_shadow_every_namespace_resolves_db_prod():
    cluster = _cluster()
    assert _walked(cluster) == _every_walk(cluster) == set()
    assert check(cluster, "dns-resolution").status is Status.HOLDS
