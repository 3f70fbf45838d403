"""Workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
ReplicationController) and the pods they stand for.

Manifests rarely contain Pods: they contain workloads whose pods the
controllers would create. :func:`read_workload` validates the pod template
like a Pod; :func:`expand` makes the pods, named deterministically so they can
be named on the command line:

=========================================== ===================================
workload                                     pods
=========================================== ===================================
Deployment, ReplicaSet, ReplicationController ``<name>-0 .. <name>-<replicas-1>``
Job                                          ``<name>-0 ..`` (``parallelism``, capped by ``completions``)
CronJob                                      ``<name>-0`` (none when suspended)
StatefulSet                                  ``<name>-<i>``, hostname ``<name>-<i>``, subdomain ``serviceName``
DaemonSet                                    ``<name>-<node>`` on every schedulable node it fits
=========================================== ===================================

Expanded pods are Running and Ready, owned by the workload (``Deployment/web``),
and their source is the workload's, with ``derived`` saying which replica.
A workload that already has pods in the input is not expanded (see
:class:`ExistingPods`).

>>> from verifier.ingest.documents import parse_text
>>> from verifier.ingest.objects import read_header
>>> objs, _ = parse_text('''
... apiVersion: apps/v1
... kind: StatefulSet
... metadata: {name: db, namespace: x}
... spec:
...   serviceName: db
...   replicas: 2
...   selector: {matchLabels: {app: db}}
...   template:
...     metadata: {labels: {app: db}}
...     spec: {containers: [{name: c}]}
... ''')
>>> w = read_workload(read_header(objs[0], [], namespaced=True))
>>> [(e.pod.name, e.pod.hostname, e.pod.subdomain) for e in expand(w, [])]
[('db-0', 'db-0', 'db'), ('db-1', 'db-1', 'db')]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..model import Labels, LabelSelector, Node, Pod, Requirement, Source
from ..semantics.selectors import matches
from .labels import read_labels, read_selector
from .objects import Header
from .pods import PodEntry, PodSpecInfo, read_owner, read_pod_spec
from .rbac import read_annotation
from .reader import Reader
from .syntax import dns_label_error
from .topology import fits

__all__ = ["MAX_REPLICAS", "WORKLOAD_GROUPS", "ExistingPods", "Workload", "expand", "read_workload"]

#: Workload kinds and the API groups that serve them.
WORKLOAD_GROUPS = {
    "Deployment": ("apps", "extensions"),
    "ReplicaSet": ("apps", "extensions"),
    "StatefulSet": ("apps",),
    "DaemonSet": ("apps", "extensions"),
    "Job": ("batch",),
    "CronJob": ("batch",),
    "ReplicationController": ("",),
}

#: Pods made per workload at most: a typo like ``replicas: 100000`` must not exhaust memory.
MAX_REPLICAS = 2000


@dataclass(frozen=True)
class Workload:
    kind: str
    namespace: str
    name: str
    selector: LabelSelector | None
    template_labels: Labels
    spec: PodSpecInfo
    #: Pods to make; None for a DaemonSet (one per fitting node).
    replicas: int | None
    #: StatefulSet spec.serviceName: the pods' subdomain.
    service_name: str | None
    #: The workload's own controller ("Deployment/web" for a ReplicaSet), if any.
    owner: str | None
    source: Source
    #: The pod template's netverify.dev/api-client annotation (verifier.ingest.rbac).
    api_annotation: bool | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


def read_workload(h: Header) -> Workload | None:
    kind = h.raw.kind or ""
    spec = h.root.map("spec", required=True)
    if spec is None:
        return None
    template_parent = spec
    replicas: int | None
    if kind == "CronJob":
        job = spec.map("jobTemplate", required=True)
        job_spec = job.map("spec", required=True) if job else None
        if job_spec is None:
            return None
        template_parent = job_spec
        replicas = 0 if spec.bool("suspend") else 1
    elif kind == "Job":
        replicas = spec.int("parallelism", default=1, lo=0)
        completions = spec.int("completions", lo=0)
        if replicas is not None and completions is not None:
            replicas = min(replicas, completions)
    elif kind == "DaemonSet":
        replicas = None
    else:
        replicas = spec.int("replicas", default=1, lo=0)
    if replicas is not None and replicas > MAX_REPLICAS:
        spec.warn("replicas", f"only the first {MAX_REPLICAS} of {replicas} replicas are modelled")
        replicas = MAX_REPLICAS
    template = template_parent.map("template", required=True)
    if template is None:
        return None
    tmeta = template.map_or_empty("metadata")
    labels = read_labels(tmeta)
    pod_spec = read_pod_spec(template.map_or_empty("spec", required=True))
    selector = _read_workload_selector(spec if kind != "CronJob" else template_parent, kind, labels)
    service_name = None
    if kind == "StatefulSet":
        service_name = spec.str("serviceName", check=dns_label_error) or None
    return Workload(
        kind=kind,
        namespace=h.namespace or "default",
        name=h.name or "",
        selector=selector,
        template_labels=labels,
        spec=pod_spec,
        replicas=replicas,
        service_name=service_name,
        owner=read_owner(h.meta),
        source=h.source,
        api_annotation=read_annotation(tmeta),
    )


def _read_workload_selector(spec: Reader, kind: str, labels: Labels) -> LabelSelector | None:
    """spec.selector (a plain map for ReplicationController); it must select the template's labels."""
    if kind == "ReplicationController":
        plain = spec.str_map("selector")
        selector = (
            LabelSelector(tuple(Requirement(k, "In", (v,)) for k, v in sorted(plain.items())))
            if plain
            else None
        )
    else:
        selector = read_selector(spec, "selector")
    if selector is not None and not selector.is_empty and not matches(selector, labels):
        spec.error(
            "selector", f"selector [{selector}] does not match the template labels [{labels}]"
        )
    return selector


# --------------------------------------------------------------------------- expansion


def expand(w: Workload, nodes: Sequence[Node]) -> list[PodEntry]:
    """The pods ``w`` stands for; ``nodes`` are the cluster's nodes (DaemonSets only)."""
    if w.kind == "DaemonSet":
        targets = [
            (f"{w.name}-{n.name}", n.name)
            for n in nodes
            if fits(n, w.spec.node_selector, w.spec.tolerations)
        ]
    else:
        targets = [(f"{w.name}-{i}", w.spec.node_name) for i in range(w.replicas or 0)]
    pods = []
    for i, (name, node_name) in enumerate(targets):
        stateful = w.kind == "StatefulSet"
        replica = f"on node {node_name}" if w.kind == "DaemonSet" else f"replica {i}"
        pod = Pod(
            namespace=w.namespace,
            name=name,
            labels=w.template_labels,
            node_name=node_name,
            host_network=w.spec.host_network,
            containers=w.spec.containers,
            phase="Running",
            ready=True,
            hostname=name if stateful else w.spec.hostname,
            subdomain=w.service_name if stateful else w.spec.subdomain,
            dns_policy=w.spec.dns_policy,
            dns_config=w.spec.dns_config,
            owner=w.ref,
            service_account=w.spec.service_account,
            source=Source(
                w.source.file,
                w.source.line,
                w.source.document,
                w.source.item,
                f"expanded from {w.kind} {w.namespace}/{w.name} {replica}",
            ),
        )
        pods.append(
            PodEntry(
                pod,
                w.spec.node_selector,
                w.spec.tolerations,
                expanded=True,
                automount_token=w.spec.automount_token,
                api_annotation=w.api_annotation,
            )
        )
    return pods


class ExistingPods:
    """The input's pods and workloads of one namespace, indexed to tell which workloads have pods.

    A workload ``w`` has pods (and is not expanded) when an input pod is owned
    by ``w``, or by a ReplicaSet ``<deployment>-<hash>`` and matches the
    Deployment's selector, or by a Job ``<cronjob>-<n>``; when a pod has the
    name of one of ``w``'s pods (or of ``w``); and when another input workload
    is owned by ``w`` (that one is expanded instead).

    Built once per namespace so a dump with thousands of pods and workloads
    stays linear.
    """

    def __init__(self, pods: Sequence[Pod], workload_owners: Mapping[str, str]):
        self.names = {p.name for p in pods}
        self.owners = {p.owner for p in pods if p.owner}
        # Owners of owners: a pod owned by ReplicaSet web-5d9c also belongs to Deployment/web.
        self.owners |= {workload_owners[o] for o in list(self.owners) if o in workload_owners}
        self.owners |= set(workload_owners.values())
        #: "<deployment>" -> pods of its ReplicaSets "<deployment>-<hash>"
        self.by_replicaset_prefix: dict[str, list[Pod]] = {}
        #: "<cronjob>" of Jobs "<cronjob>-<digits>" owning pods
        self.cronjob_prefixes: set[str] = set()
        for p in pods:
            kind, _, name = (p.owner or "").partition("/")
            prefix, dash, suffix = name.rpartition("-")
            if not dash or not prefix:
                continue
            if kind == "ReplicaSet" and _HASH.fullmatch(suffix):
                self.by_replicaset_prefix.setdefault(prefix, []).append(p)
            elif kind == "Job" and suffix.isdigit():
                self.cronjob_prefixes.add(prefix)

    def covers(self, w: Workload) -> bool:
        if w.ref in self.owners or w.name in self.names:
            return True
        if any(f"{w.name}-{i}" in self.names for i in range(w.replicas or 0)):
            return True
        if w.kind == "Deployment":
            pods = self.by_replicaset_prefix.get(w.name, ())
            return any(w.selector is None or matches(w.selector, p.labels) for p in pods)
        return w.kind == "CronJob" and w.name in self.cronjob_prefixes


_HASH = re.compile(r"[a-z0-9]+")
