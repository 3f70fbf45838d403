"""pandas DataFrames of the cluster and of results, pybatfish style.

Every column has dtype ``object`` (so a missing value is always ``None``, never
``NaN``), the columns come in a fixed order even when there are no rows, and
cells hold the model's own objects (``Labels``, ``Source``, IP addresses,
``Decider``, ``PropertyResult``...), which print compactly and can be filtered
with ordinary pandas:

>>> from verifier.model import Cluster, Pod, Labels, ip_address
>>> df = pods_frame(Cluster(pods=(Pod(namespace="x", name="a", labels=Labels({"app": "web"}), ips=(ip_address("10.0.0.5"),)),)))
>>> list(df.columns[:4]), df.loc[0, "labels"]["app"]
(['namespace', 'name', 'node', 'ips'], 'web')
>>> df[df["labels"].map(lambda l: l.get("app") == "web")]["name"].tolist()
['a']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..model import Cluster
from ..semantics.policy import selects
from ..trace import Trace
from .views import trace_sections

if TYPE_CHECKING:  # annotations only
    from ..properties.result import PropertyResult

__all__ = [
    "POD_COLUMNS",
    "POLICY_COLUMNS",
    "RESULT_COLUMNS",
    "SERVICE_COLUMNS",
    "TRACE_COLUMNS",
    "pods_frame",
    "policies_frame",
    "results_frame",
    "services_frame",
    "trace_frame",
]

POD_COLUMNS = (
    "namespace",
    "name",
    "node",
    "ips",
    "labels",
    "phase",
    "ready",
    "hostNetwork",
    "allocated",
    "source",
)
SERVICE_COLUMNS = (
    "namespace", "name", "type", "clusterIPs", "ports", "selector",
    "ipFamilyPolicy", "externalName", "source",
)  # fmt: skip
POLICY_COLUMNS = (
    "namespace",
    "name",
    "podSelector",
    "policyTypes",
    "ingress",
    "egress",
    "selects",
    "source",
)
TRACE_COLUMNS = ("number", "backend", "step", "outcome", "detail", "deciders", "packet", "verdict")
RESULT_COLUMNS = (
    "name",
    "property",
    "status",
    "statement",
    "counterexamples",
    "example",
    "seconds",
    "reason",
    "result",
)


def _frame(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    """One place that fixes dtype and column order, so an empty frame still has its columns."""
    return pd.DataFrame(list(rows), columns=list(columns), dtype=object)


def pods_frame(cluster: Cluster) -> pd.DataFrame:
    """One row per pod, in input order (terminal pods included: their ``phase`` says so).

    ``ips`` is a list of ``ipaddress`` objects, primary first; ``allocated`` is True
    when the input had no IP and netverify chose one from the node's range.
    """
    return _frame(
        (
            (p.namespace, p.name, p.node_name, list(p.ips), p.labels, p.phase, p.ready,
             p.host_network, p.ip_allocated, p.source)
            for p in cluster.pods
        ),
        POD_COLUMNS,
    )  # fmt: skip


def services_frame(cluster: Cluster) -> pd.DataFrame:
    """One row per Service; ``selector`` is None for a selector-less Service.

    ``clusterIPs`` is empty for headless and ExternalName Services; ``ports`` lists
    :class:`~verifier.model.ServicePort` objects (printed ``name:80/TCP``).
    """
    return _frame(
        (
            (s.namespace, s.name, "Headless" if s.headless else s.type, list(s.cluster_ips), list(s.ports),
             s.selector, s.ip_family_policy, s.external_name, s.source)
            for s in cluster.services
        ),
        SERVICE_COLUMNS,
    )  # fmt: skip


def policies_frame(cluster: Cluster) -> pd.DataFrame:
    """One row per NetworkPolicy: its rule counts and the live pods its ``podSelector`` selects.

    ``selects`` lists ``ns/name`` references; hostNetwork pods are never selected
    (NetworkPolicy does not apply to them), so a policy meant for them shows an empty list.
    """
    rows = []
    for pol in cluster.policies:
        chosen = [
            p.ref
            for p in cluster.pods_by_namespace.get(pol.namespace, ())
            if not p.terminal and selects(pol, p)
        ]
        rows.append(
            (pol.namespace, pol.name, pol.pod_selector, list(pol.policy_types), len(pol.ingress),
             len(pol.egress), chosen, pol.source)
        )  # fmt: skip
    return _frame(rows, POLICY_COLUMNS)


def trace_frame(trace: Trace) -> pd.DataFrame:
    """One row per hop: the shared hops, then each backend's hops.

    ``number`` is the hop number as :func:`verifier.report.html.trace_html` shows it
    (each backend restarts at the same number); ``backend`` is None for shared hops
    and otherwise the backend pod (or IP); ``verdict`` is how that hop's path ends
    (None for hops every path shares).
    """
    rows = []
    for section in trace_sections(trace):
        branch = section.branch
        backend = None if branch is None else (branch.pod or str(branch.ip))
        for number, hop in enumerate(section.hops, section.start):
            rows.append(
                (
                    number,
                    backend,
                    hop.step,
                    hop.outcome,
                    hop.detail,
                    list(hop.deciders),
                    hop.packet,
                    section.verdict,
                )
            )
    return _frame(rows, TRACE_COLUMNS)


def results_frame(results: Iterable[PropertyResult]) -> pd.DataFrame:
    """One row per property result; ``result`` holds the object itself (it renders as HTML).

    ``counterexamples`` is their number and ``example`` the first one's summary, so
    the table stays one line per property; drill down with ``df.loc[i, "result"]``.
    """
    rows = []
    for r in results:
        first = r.counterexamples[0].summary if r.counterexamples else None
        rows.append(
            (
                r.name,
                r.property,
                r.status,
                r.statement,
                len(r.counterexamples),
                first,
                r.seconds,
                r.reason,
                r,
            )
        )
    return _frame(rows, RESULT_COLUMNS)
