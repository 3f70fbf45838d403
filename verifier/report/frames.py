"""pandas DataFrames of the cluster and of results, pybatfish style.

Every column has dtype ``object`` (so a missing value is always ``None``, never
``NaN``), the columns come in a fixed order even when there are no rows, and
cells hold the model's own objects (IP addresses, ``Decider``,
``PropertyResult``...), which print compactly and can be filtered with ordinary
pandas. Labels are ``k=v`` text and ``source`` is ``file:line`` relative to the
input's root directory, so neither is clipped; seconds are rounded:

>>> from verifier.model import Cluster, Pod, Labels, ip_address
>>> df = pods_frame(Cluster(pods=(Pod(namespace="x", name="a", labels=Labels({"app": "web", "tier": "fe"}), ips=(ip_address("10.0.0.5"),)),)))
>>> list(df.columns[:4]), df.loc[0, "labels"]
(['namespace', 'name', 'node', 'ips'], 'app=web, tier=fe')
>>> df[df["labels"].str.contains("app=web")]["name"].tolist()
['a']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..model import Cluster
from ..semantics.policy import selects
from ..trace import Trace
from .views import relative_source, trace_sections

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
    "input_root",
    "label_text",
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


def label_text(labels) -> str:
    """``k=v, k2=v2`` (sorted); empty for no labels.

    >>> label_text({"b": "2", "a": "1"})
    'a=1, b=2'
    """
    return ", ".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))


def input_root(cluster: Cluster) -> str | None:
    """The deepest directory holding every file the cluster was read from (None for none)."""
    import os

    files = {
        o.source.file
        for o in (*cluster.pods, *cluster.services, *cluster.policies)
        if getattr(o, "source", None) is not None
        and o.source.file
        and not o.source.file.startswith("<")
    }
    if not files:
        return None
    try:
        return os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files])
    except ValueError:  # files on different drives
        return None


def _where(source, root: str | None) -> str | None:
    return relative_source(source, root) if source is not None else None


def _frame(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    """One place that fixes dtype and column order, so an empty frame still has its columns."""
    return pd.DataFrame(list(rows), columns=list(columns), dtype=object)


def pods_frame(cluster: Cluster) -> pd.DataFrame:
    """One row per pod, in input order (terminal pods included: their ``phase`` says so).

    ``ips`` is a list of ``ipaddress`` objects, primary first; ``allocated`` is True
    when the input had no IP and netverify chose one from the node's range.
    """
    root = input_root(cluster)
    return _frame(
        (
            (p.namespace, p.name, p.node_name, list(p.ips), label_text(p.labels), p.phase, p.ready,
             p.host_network, p.ip_allocated, _where(p.source, root))
            for p in cluster.pods
        ),
        POD_COLUMNS,
    )  # fmt: skip


def services_frame(cluster: Cluster) -> pd.DataFrame:
    """One row per Service; ``selector`` is None for a selector-less Service.

    ``clusterIPs`` is empty for headless and ExternalName Services; ``ports`` lists
    :class:`~verifier.model.ServicePort` objects (printed ``name:80/TCP``).
    """
    root = input_root(cluster)
    return _frame(
        (
            (s.namespace, s.name, "Headless" if s.headless else s.type, list(s.cluster_ips), list(s.ports),
             None if s.selector is None else label_text(s.selector), s.ip_family_policy,
             s.external_name, _where(s.source, root))
            for s in cluster.services
        ),
        SERVICE_COLUMNS,
    )  # fmt: skip


def policies_frame(cluster: Cluster) -> pd.DataFrame:
    """One row per NetworkPolicy: its rule counts and the live pods its ``podSelector`` selects.

    ``selects`` lists ``ns/name`` references; hostNetwork pods are never selected
    (NetworkPolicy does not apply to them), so a policy meant for them shows an empty list.
    """
    root = input_root(cluster)
    rows = []
    for pol in cluster.policies:
        chosen = [
            p.ref
            for p in cluster.pods_by_namespace.get(pol.namespace, ())
            if not p.terminal and selects(pol, p)
        ]
        rows.append(
            (pol.namespace, pol.name, pol.pod_selector, list(pol.policy_types), len(pol.ingress),
             len(pol.egress), chosen, _where(pol.source, root))
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
                round(r.seconds, 2),
                r.reason,
                r,
            )
        )
    return _frame(rows, RESULT_COLUMNS)
