"""Who reaches whom: the pod x pod reachability matrix, computed per equivalence class.

Pods that no rule can tell apart (same namespace, labels, declared ports,
host-network flag, and the same membership in every CIDR a rule or a pool
names) are evaluated once, as a class. Each class pair is evaluated with the
port-set algebra, so a cell lists *every* allowed port and protocol.

>>> from verifier.model import Cluster, Pod, Labels, ip_address
>>> pods = tuple(Pod(namespace="x", name=n, labels=Labels({"app": "web"}), node_name="n1",
...                  ips=(ip_address(f"10.244.0.{i}"),)) for i, n in enumerate("abc", 2))
>>> m = matrix(Cluster(pods=pods))
>>> m.class_count, str(m.allowed("x/a", "x/b"))
(1, 'all')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ._callable import callable_module
from .model import Cluster
from .query import workload
from .semantics import journey
from .semantics.addressing import endpoint_of_pod, host_address
from .semantics.algebra import Packet
from .semantics.classes import pairs, pod_classes, pod_snat_possible
from .semantics.pipeline import Client
from .semantics.policy import applicable_tiers
from .semantics.portset import ANY_PORT, ANY_PROTOCOL, FULL, PortSet, PortSetAlgebra

__all__ = ["Matrix", "matrix"]

_ALG = PortSetAlgebra()


@dataclass(frozen=True)
class Matrix:
    """Allowed ports and protocols for every ordered pod pair (by pod IP, one family)."""

    pods: tuple[str, ...]
    family: int
    port: int | None
    protocol: str | None
    class_count: int
    _class_of: dict[str, int] = field(repr=False)
    _cells: dict[tuple, PortSet] = field(repr=False)
    _self: PortSet = field(default=FULL, repr=False)
    _node_of: dict[str, str | None] = field(default_factory=dict, repr=False)
    _workload_of: dict[str, str] = field(default_factory=dict, repr=False)

    def allowed(self, source: str, destination: str) -> PortSet:
        """What ``source`` may open to ``destination``'s pod IP."""
        if source == destination:
            # A pod reaching itself is never policed; a hostNetwork pod reaching its node's
            # address still hits that node's NodePorts and hostPorts (translated away).
            return self._cells.get(("self", self._class_of[source]), self._self)
        i, j = self._class_of[source], self._class_of[destination]
        cell = self._cells.get((i, j))
        if cell is None:  # a pair split by node (see semantics.classes.pairs)
            cell = self._cells[(i, j, self._node_of[source] == self._node_of[destination])]
        return cell

    def reachable(self, source: str, destination: str) -> bool:
        return bool(self.allowed(source, destination))

    def __repr__(self) -> str:
        return (
            f"<Matrix {len(self.pods)} pods, {self.class_count} classes, IPv{self.family}, "
            f"{'all ports' if self.port is None and self.protocol is None else f'{self.port}/{self.protocol}'}>"
        )

    def __str__(self) -> str:
        from .report.views import filter_label, matrix_summary

        s = matrix_summary(self)
        return (
            f"Reachability matrix: {s.pods} pods in {s.namespaces} namespaces, IPv{self.family}, "
            f"{filter_label(self)}: {s.allowed} of {s.pairs} ordered pod pairs allowed "
            f"({s.all_ports} on every port, {s.some_ports} on some ports)"
        )

    def _repr_html_(self) -> str:
        from .report.html import matrix_html

        return matrix_html(self)

    def pairs(self) -> Iterable[tuple[str, str, PortSet]]:
        for s in self.pods:
            for d in self.pods:
                yield s, d, self.allowed(s, d)

    def endpoints(self) -> list[tuple[str, tuple[str, ...]]]:
        """The matrix's rows and columns as reports name them: a workload (``ns/Deployment/web``,
        the name ``diff`` uses) when all its pods agree on every cell, else each pod.

        Pods of one class whose cells do not depend on the node (see
        :func:`verifier.semantics.classes.pairs`) agree by construction; other workloads
        are compared row by row and column by column.
        """
        by_node = {k[0] for k in self._cells if len(k) == 3} | {
            k[1] for k in self._cells if len(k) == 3
        }
        members: dict[str, list[str]] = {}
        for ref in self.pods:
            members.setdefault(self._workload_of.get(ref, ref), []).append(ref)
        out: list[tuple[str, tuple[str, ...]]] = []
        for name, refs in members.items():
            classes = {self._class_of[r] for r in refs}
            same = len(classes) == 1 and not classes & by_node
            if same or self._agree(refs):
                out.append((name, tuple(refs)))
            else:
                out.extend((r, (r,)) for r in refs)
        return out

    def _agree(self, refs: list[str]) -> bool:
        """Do ``refs`` have one row and one column towards everyone else, and one cell among them?"""
        inside = set(refs)
        first = refs[0]
        others = [d for d in self.pods if d not in inside]
        row = [self.allowed(first, d) for d in others]
        column = [self.allowed(d, first) for d in others]
        among = {self.allowed(a, b) for a in refs for b in refs if a != b}
        return len(among) <= 1 and all(
            [self.allowed(r, d) for d in others] == row
            and [self.allowed(d, r) for d in others] == column
            for r in refs[1:]
        )

    def grouped_pairs(self) -> Iterable[tuple[str, str, PortSet]]:
        """Every ordered pair of :meth:`endpoints` with what the first may open to the second; a
        grouped workload to itself is one pod of it to another (a pod reaching itself is left out)."""
        ends = self.endpoints()
        for s, s_refs in ends:
            for d, d_refs in ends:
                if s == d:
                    if len(s_refs) < 2:
                        continue
                    yield s, d, self.allowed(s_refs[0], s_refs[1])
                else:
                    yield s, d, self.allowed(s_refs[0], d_refs[0])

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape: ``{"pods": [...], "allowed": {src: {dst: [{protocol, ports}]}}}``."""
        return {
            "pods": list(self.pods),
            "family": self.family,
            "port": self.port,
            "protocol": self.protocol,
            "classes": self.class_count,
            "allowed": {
                s: {d: self.allowed(s, d).to_list() for d in self.pods if self.allowed(s, d)}
                for s in self.pods
            },
        }

    def frame(self):
        """A pandas DataFrame: rows are sources, columns destinations, cells the allowed ports."""
        import pandas as pd

        return pd.DataFrame(
            [[str(self.allowed(s, d)) for d in self.pods] for s in self.pods],
            index=pd.Index(self.pods, name="from"),
            columns=pd.Index(self.pods, name="to"),
            dtype=object,
        )


def _restrict(cell: PortSet, port: int | None, protocol: str | None) -> PortSet:
    if port is None and protocol is None:
        return cell
    alg = _ALG
    cond = alg.and_(
        alg.true if port is None else alg.eq(ANY_PORT, port),
        alg.true if protocol is None else alg.eq(ANY_PROTOCOL, protocol),
    )
    return alg.and_(cell, cond)


def matrix(
    cluster: Cluster,
    namespaces: Iterable[str] | None = None,
    *,
    port: int | None = None,
    protocol: str | None = None,
    family: int | None = None,
    progress: Callable[[int], Any] | None = None,
) -> Matrix:
    """The reachability matrix of the live pods (of ``namespaces``, default all), the
    implicit cluster DNS pods included, as the live cluster would show them.

    ``progress(n)`` is called as class pairs are evaluated (for a progress bar).
    """
    wanted = None if namespaces is None else set(namespaces)
    pods = sorted(
        (p for p in cluster.live_pods if wanted is None or p.namespace in wanted),
        key=lambda p: (p.namespace, p.name),
    )
    fam = family or (cluster.families[0] if cluster.families else 4)
    pods = [p for p in pods if host_address(cluster, p, fam) is not None]
    classes = pod_classes(cluster, pods, addresses=True)
    class_of = {p.ref: i for i, members in enumerate(classes) for p in members}
    cells: dict[tuple, PortSet] = {}
    no_shortcut = pod_snat_possible(cluster) or cluster.config.endpoint_to_host == "Drop"
    guarded = {}  # class index -> does some policy (or NAT) apply to it as a source
    for pair in pairs(cluster, classes, classes):
        src, dst = pair.sources[0], pair.destinations[1 if pair.same_class else 0]
        i, j = class_of[src.ref], class_of[dst.ref]
        key = (i, j) if pair.same_node is None else (i, j, pair.same_node)
        if i not in guarded:
            guarded[i] = (
                src.host_network or no_shortcut or bool(applicable_tiers(cluster, src, "Egress"))
            )
            if progress is not None:
                progress(len(classes))
        if (
            not guarded[i]
            and not applicable_tiers(cluster, dst, "Ingress")
            and not dst.host_network
        ):
            cells[key] = _restrict(
                FULL, port, protocol
            )  # no policy on either side: flow() would say so too
            continue
        dst_ip = host_address(cluster, dst, fam)
        packet = Packet(fam, host_address(cluster, src, fam), dst_ip, ANY_PORT, ANY_PROTOCOL)
        client = Client.of_pod(cluster, src)
        path = journey.Path(endpoint_of_pod(cluster, dst), dst_ip, None)
        # To a hostNetwork pod's node address, NodePorts and hostPorts are translated, not delivered.
        direct = journey.direct_guard(_ALG, cluster, client, packet)
        cells[key] = _restrict(
            _ALG.and_(direct, journey.evaluate(_ALG, cluster, client, path, packet).allowed(_ALG)),
            port,
            protocol,
        )
    for i, members in enumerate(classes):
        rep = members[0]
        if rep.host_network:
            client = Client.of_pod(cluster, rep)
            ip = host_address(cluster, rep, fam)
            packet = Packet(fam, ip, ip, ANY_PORT, ANY_PROTOCOL)
            cells[("self", i)] = _restrict(
                journey.direct_guard(_ALG, cluster, client, packet), port, protocol
            )
    return Matrix(
        tuple(p.ref for p in pods),
        fam,
        port,
        protocol,
        len(classes),
        class_of,
        cells,
        _restrict(FULL, port, protocol),
        {p.ref: p.node_name for p in pods},
        {p.ref: workload(p) for p in pods},
    )


def _matrix_function():
    from .matrix import matrix as run

    return run


# ``verifier.matrix(...)`` calls the function even after this module was imported (see _callable).
callable_module(__name__, _matrix_function)
