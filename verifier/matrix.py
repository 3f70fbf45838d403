"""Who reaches whom: the pod x pod reachability matrix, computed per equivalence class.

Pods that no rule can tell apart (same namespace, labels, declared ports,
host-network flag, and the same membership in every CIDR a rule or a pool
names) are evaluated once, as a class. Cells are port sets (the port-set
algebra), so a cell lists *every* allowed port and protocol.

A cell is not evaluated pair by pair: each rule's peers are matched against every
class once and its ports computed per destination class, giving each class an
egress row (who its NetworkPolicies let it reach, on which ports) and an ingress
column (who may reach it); a cell is the intersection of its row, its column and
the destination's direct guard, composed when asked. The work grows with rules x
classes, not with class pairs x policies. Pairs that other tiers (AdminNetworkPolicies,
Calico), node source NAT or DefaultEndpointToHostAction=Drop decide are evaluated
along the journey one by one (:func:`pair_cell`), the reference every composed cell
is tested against.

>>> from verifier.model import Cluster, Pod, Labels, ip_address
>>> pods = tuple(Pod(namespace="x", name=n, labels=Labels({"app": "web"}), node_name="n1",
...                  ips=(ip_address(f"10.244.0.{i}"),)) for i, n in enumerate("abc", 2))
>>> m = matrix(Cluster(pods=pods))
>>> m.class_count, str(m.allowed("x/a", "x/b"))
(1, 'all')
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import Any

from ._callable import callable_module
from .model import Cluster, NetworkPolicy
from .query import workload
from .semantics import journey
from .semantics.addressing import endpoint_of_pod, host_address
from .semantics.algebra import CONCRETE, Packet
from .semantics.classes import host_network_nodes_matter, pairs, pod_classes, pod_snat_possible
from .semantics.pipeline import Client
from .semantics.policy import (
    DEFAULT_TIER,
    applicable_tiers,
    peer_in_scope,
    peer_matches,
    rule_ports_match,
)
from .semantics.portset import ANY_PORT, ANY_PROTOCOL, EMPTY, FULL, PortSet, PortSetAlgebra

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
    _cells: _Cells = field(repr=False)
    _self: PortSet = field(default=FULL, repr=False)
    _node_of: dict[str, str | None] = field(default_factory=dict, repr=False)
    _workload_of: dict[str, str] = field(default_factory=dict, repr=False)
    #: The pods of each class, in class order.
    _classes: tuple[tuple[str, ...], ...] = field(default=(), repr=False)

    def allowed(self, source: str, destination: str) -> PortSet:
        """What ``source`` may open to ``destination``'s pod IP."""
        if source == destination:
            # A pod reaching itself is never policed; a hostNetwork pod reaching its node's
            # address still hits that node's NodePorts and hostPorts (translated away).
            return self._cells.explicit.get(("self", self._class_of[source]), self._self)
        i, j = self._class_of[source], self._class_of[destination]
        if self._cells.splits(i, j):  # a pair split by node (see semantics.classes.pairs)
            return self._cells.get(i, j, self._node_of[source] == self._node_of[destination])
        return self._cells.get(i, j)

    def node_dependent_classes(self) -> frozenset[int]:
        """Classes with a cell that depends on which nodes the two pods are on."""
        return frozenset(i for i, found in enumerate(self._class_rows[2]) if found)

    def reachable_classes(self, source: str) -> Iterable[int]:
        """The classes ``source`` may reach (a superset: their cells are not all empty)."""
        return self._cells.candidates(self._class_of[source])

    def allowed_from(self, source: str) -> list[tuple[str, PortSet]]:
        """Every other pod ``source`` may open something to, with what (in pod order)."""
        return [
            (d, c) for _p, d, c in self._row_of(source, *self._class_row(self._class_of[source]))
        ]

    @cached_property
    def _order(self) -> dict[str, int]:
        return {ref: k for k, ref in enumerate(self.pods)}

    @cached_property
    def _members(self) -> tuple[tuple[tuple[int, str], ...], ...]:
        """Each class's pods with their place in pod order."""
        order = self._order
        return tuple(tuple((order[d], d) for d in members) for members in self._classes)

    def _class_cells(self, i: int) -> tuple[list[tuple[int, PortSet]], list[int]]:
        """From class ``i``: each destination class with its non-empty cell where the cell does
        not depend on nodes, and the classes whose cells do."""
        # A pod alone in its class: no other pod of it to reach.
        return self._cells.row(i, itself=len(self._classes[i]) > 1)

    def _class_row(self, i: int) -> tuple[list[tuple[int, str, PortSet]], list[int]]:
        """From class ``i``: ``(place, destination pod, cell)`` for every non-empty cell that
        does not depend on nodes, in pod order, and the classes whose cells do."""
        cells, split = self._class_cells(i)
        row: list[tuple[int, str, PortSet]] = []
        for j, cell in cells:
            row.extend((k, d, cell) for k, d in self._members[j])
        row.sort()  # by place: places are unique, so neither pods nor cells are compared
        return row, split

    def _row_of(
        self, source: str, row: list[tuple[int, str, PortSet]], split: list[int]
    ) -> list[tuple[int, str, PortSet]]:
        """``source``'s row from its class's: itself left out, the node-dependent cells added."""
        own = self._order[source]
        out = [item for item in row if item[0] != own]
        if split:
            i, here = self._class_of[source], self._node_of[source]
            local = self._placement.get(here, {})
            for j in split:
                # A cell that depends on nodes has one value towards the pods on the
                # source's node and one towards the others (asked only where there are some).
                members = self._members[j]
                here_members = local.get(j, ())
                same = self._cells.get(i, j, True) if here_members else None
                other = self._cells.get(i, j, False) if len(here_members) < len(members) else None
                if same is None or other is None or same == other:
                    cell = other if same is None else same
                    if cell:
                        out.extend((k, d, cell) for k, d in members if k != own)
                    continue
                if same:
                    out.extend((k, d, same) for k, d in here_members if k != own)
                if other:
                    nodes = self._node_of
                    out.extend((k, d, other) for k, d in members if nodes[d] != here and k != own)
            out.sort()
        return out

    @cached_property
    def _placement(self) -> dict[str | None, dict[int, list[tuple[int, str]]]]:
        """Node -> class -> the class's pods on that node, with their place in pod order."""
        found: dict[str | None, dict[int, list[tuple[int, str]]]] = {}
        for j, members in enumerate(self._members):
            for k, d in members:
                found.setdefault(self._node_of[d], {}).setdefault(j, []).append((k, d))
        return found

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
        by_node = self.node_dependent_classes()
        members: dict[str, list[str]] = {}
        for ref in self.pods:
            members.setdefault(self._workload_of.get(ref, ref), []).append(ref)
        out: list[tuple[str, tuple[str, ...]]] = []
        for name, refs in members.items():
            classes = {self._class_of[r] for r in refs}
            if (len(classes) == 1 and not classes & by_node) or self._agree(refs):
                out.append((name, tuple(refs)))
            else:
                out.extend((r, (r,)) for r in refs)
        return out

    def _agree(self, refs: list[str]) -> bool:
        """Do ``refs`` have one row and one column towards every other pod, and one cell among them?

        Compared class by class where cells do not depend on nodes (the classes' rows and
        columns may differ only at classes holding none of the other pods), pod by pod
        towards the classes whose cells with them do.
        """
        inside: dict[int, int] = {}
        for r in refs:
            inside[self._class_of[r]] = inside.get(self._class_of[r], 0) + 1
        rows, columns, partners = self._class_rows
        split = {j for i in inside for j in partners[i]}

        def differ_outside(a: dict[int, PortSet], b: dict[int, PortSet]) -> bool:
            return any(
                a.get(j) != b.get(j) and len(self._classes[j]) > inside.get(j, 0)
                for j in a.keys() | b.keys()
                if j not in split
            )

        first, *rest = sorted(inside)
        if any(
            differ_outside(rows[first], rows[i]) or differ_outside(columns[first], columns[i])
            for i in rest
        ):
            return False
        among: set[PortSet] = set()
        for a in refs:
            for b in refs:
                if a != b:
                    among.add(self.allowed(a, b))
                    if len(among) > 1:
                        return False
        members = set(refs)
        head, tail = refs[0], refs[1:]
        for j in sorted(split):
            for d in self._classes[j]:
                if d in members:
                    continue
                out, back = self.allowed(head, d), self.allowed(d, head)
                if any(self.allowed(r, d) != out or self.allowed(d, r) != back for r in tail):
                    return False
        return True

    @cached_property
    def _class_rows(
        self,
    ) -> tuple[list[dict[int, PortSet]], list[dict[int, PortSet]], list[set[int]]]:
        """Per class: its non-empty cells as a source (by destination class), as a destination
        (by source class), and the classes whose cells with it depend on nodes (left out of
        the first two)."""
        n = len(self._classes)
        rows: list[dict[int, PortSet]] = [{} for _ in range(n)]
        columns: list[dict[int, PortSet]] = [{} for _ in range(n)]
        partners: list[set[int]] = [set() for _ in range(n)]
        for i in range(n):
            cells, split = self._class_cells(i)
            for j in split:
                partners[i].add(j)
                partners[j].add(i)
            for j, cell in cells:
                rows[i][j] = cell
                columns[j][i] = cell
        return rows, columns, partners

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

    def grouped_allowed(self) -> Iterable[tuple[str, str, PortSet]]:
        """The pairs of :meth:`grouped_pairs` with something allowed, found from each
        endpoint's row of non-empty cells (no scan of every pair)."""
        ends = self.endpoints()
        index = {name: k for k, (name, _refs) in enumerate(ends)}
        name_of = {ref: name for name, refs in ends for ref in refs}
        for s, refs in ends:
            reached: dict[str, PortSet] = {}
            for ref, cell in self.allowed_from(refs[0]):
                reached.setdefault(name_of[ref], cell)
            for d in sorted(reached, key=index.__getitem__):
                yield s, d, reached[d]

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape: ``{"pods": [...], "allowed": {src: {dst: [{protocol, ports}]}}}``
        (equal cells share one list: copy before changing one)."""
        return {**self.header(), "allowed": dict(self.allowed_rows())}

    def header(self) -> dict[str, Any]:
        """:meth:`to_dict` without ``allowed``."""
        return {
            "pods": list(self.pods),
            "family": self.family,
            "port": self.port,
            "protocol": self.protocol,
            "classes": self.class_count,
        }

    def allowed_rows(self) -> Iterator[tuple[str, dict[str, list]]]:
        """``(source, {destination: [{protocol, ports}]})`` for every source that reaches
        something, in pod order, one at a time (a writer need not hold them all)."""
        listed: dict[PortSet, list] = {}

        def as_list(c: PortSet) -> list:
            found = listed.get(c)
            if found is None:
                found = listed[c] = c.to_list()
            return found

        # A class's row is made once while its pods come (they mostly come together).
        rows: OrderedDict[int, tuple] = OrderedDict()
        for s in self.pods:
            i = self._class_of[s]
            found = rows.get(i)
            if found is None:
                row, split = self._class_row(i)
                found = (
                    (row, split, None, None)
                    if split
                    else (
                        row,
                        split,
                        [(d, as_list(c)) for _k, d, c in row],
                        [k for k, _d, _c in row],
                    )
                )
                rows[i] = found
                if len(rows) > 256:
                    rows.popitem(last=False)
            else:
                rows.move_to_end(i)
            row, split, items, places = found
            own = self.allowed(s, s)
            if split:
                entries = self._row_of(s, row, split)
                if own:  # the pod itself, in its place
                    entries.append((self._order[s], s, own))
                    entries.sort()
                cells = {d: as_list(c) for _k, d, c in entries}
            else:
                # The class's row with the pod's own cell in its place in pod order
                # (replacing the class's cell to itself, if any).
                place = self._order[s]
                at = bisect_left(places, place)
                present = at < len(places) and places[at] == place
                cells = dict(items[:at])
                if own:
                    cells[s] = as_list(own)
                cells.update(items[at + present :])
            if cells:
                yield s, cells

    def frame(self):
        """A pandas DataFrame: rows are sources, columns destinations, cells the allowed ports."""
        import pandas as pd

        return pd.DataFrame(
            [[str(self.allowed(s, d)) for d in self.pods] for s in self.pods],
            index=pd.Index(self.pods, name="from"),
            columns=pd.Index(self.pods, name="to"),
            dtype=object,
        )


def _restriction(port: int | None, protocol: str | None) -> PortSet:
    """The port and protocol filter as a port set (FULL: no filter)."""
    alg = _ALG
    return alg.and_(
        alg.true if port is None else alg.eq(ANY_PORT, port),
        alg.true if protocol is None else alg.eq(ANY_PROTOCOL, protocol),
    )


def _plain_policies(cluster: Cluster, pod, direction: str) -> tuple | None:
    """The NetworkPolicies isolating ``pod`` in ``direction`` when they are all that decides it
    (() when nothing isolates it); None when another tier takes part (AdminNetworkPolicies,
    Calico tiers): those pairs are evaluated one by one."""
    if pod.host_network:
        return ()  # policy sees a hostNetwork pod as its node: no pod policy applies there
    tiers = applicable_tiers(cluster, pod, direction)
    if not tiers:
        return ()
    if len(tiers) == 1:
        name, default, policies = tiers[0]
        if (
            name == DEFAULT_TIER[0]
            and default == "Deny"
            and all(isinstance(p, NetworkPolicy) for p in policies)
        ):
            return policies
    return None


class _Cells:
    """The cell of every class pair, for one family and port/protocol filter.

    Most cells are composed on demand from three parts computed once per class:
    the destination's direct guard (no NodePort or hostPort at its address), the
    source's egress row (the destination classes its NetworkPolicies admit, and on
    which ports) and the destination's ingress column (the source classes admitted,
    and on which ports). Every rule is evaluated with the two halves of
    :func:`verifier.semantics.policy.rule_matches` (peers against each class once,
    ports per destination class), so the cost is rules x classes, not class pairs x
    policies; the composition is the one :meth:`policy.Decision.allowed` makes for a
    tier of NetworkPolicies with a default Deny.

    Pairs outside that shape (tiered policies, a node that may source-NAT pods,
    DefaultEndpointToHostAction=Drop) are evaluated one by one along the journey
    (:func:`pair_cell`), as are the tests that check the composition.
    """

    def __init__(self, cluster: Cluster, classes: list[list], family: int, restriction: PortSet):
        self.n = len(classes)
        reps = [members[0] for members in classes]
        self.host = [r.host_network for r in reps]
        self.node = [r.node_name for r in reps]
        self.restriction = restriction
        drop = cluster.config.endpoint_to_host == "Drop"
        #: hostNetwork source -> pod destination cells depend on the pod's node (classes.pairs)
        self.split = host_network_nodes_matter(cluster)
        factorable = not (pod_snat_possible(cluster) or drop)
        out_policies = [_plain_policies(cluster, r, "Egress") if factorable else None for r in reps]
        in_policies = [_plain_policies(cluster, r, "Ingress") if factorable else None for r in reps]
        self.generic_source = [p is None for p in out_policies]
        self.generic_destination = [p is None for p in in_policies]
        ends = [endpoint_of_pod(cluster, r) for r in reps]
        ips = [host_address(cluster, r, family) for r in reps]
        packets = [Packet(family, ip, ip, ANY_PORT, ANY_PROTOCOL) for ip in ips]
        self.direct = [
            _ALG.and_(
                restriction,
                journey.direct_guard(_ALG, cluster, Client.of_pod(cluster, r), packets[j]),
            )
            for j, r in enumerate(reps)
        ]

        by_namespace: dict[str, list[int]] = {}
        for k, r in enumerate(reps):
            by_namespace.setdefault(r.namespace, []).append(k)
        everyone = list(range(self.n))
        # Classes by address, to try an ipBlock only on the classes inside its CIDR.
        by_address = sorted((int(ip), k) for k, ip in enumerate(ips) if ip is not None)
        addresses = [a for a, _k in by_address]

        def inside(cidr) -> set[int]:
            if cidr.version != family:
                return set()
            lo = bisect_left(addresses, int(cidr.network_address))
            hi = bisect_right(addresses, int(cidr.broadcast_address))
            return {k for _a, k in by_address[lo:hi]}

        peer_classes: dict[int, set[int]] = {}

        def matched_by(policy, peer) -> set[int]:
            """The classes ``peer`` matches; a selector peer is tried only on the namespaces
            in its scope (it matches nothing elsewhere), an ipBlock on the classes whose
            address is inside its CIDR and none of its exceptions."""
            found = peer_classes.get(id(peer))
            if found is None:
                if peer.ip_block is not None:
                    block = peer.ip_block
                    tried = sorted(inside(block.cidr).difference(*map(inside, block.except_)))
                else:
                    tried = [
                        k
                        for ns, members in by_namespace.items()
                        if peer_in_scope(cluster, policy, peer, ns)
                        for k in members
                    ]
                found = peer_classes[id(peer)] = {
                    k
                    for k in tried
                    if peer_matches(CONCRETE, cluster, policy, peer, ends[k], ips[k], family)
                }
            return found

        peers: dict[tuple, list[int]] = {}  # (policy, rule index, direction) -> classes it admits

        def admitted(policy, index: int, rule, direction: str) -> list[int]:
            key = (id(policy), index, direction)
            found = peers.get(key)
            if found is None:
                if not rule.peers:  # a rule without peers admits everyone (rule_peers_match)
                    found = everyone
                else:
                    found = sorted(set().union(*(matched_by(policy, p) for p in rule.peers)))
                peers[key] = found
            return found

        ports: dict[tuple, PortSet] = {}

        def ports_at(policy, index: int, rule, direction: str, j: int) -> PortSet:
            # A rule without named ports admits the same ports everywhere.
            named = any(isinstance(p.port, str) for p in rule.ports)
            key = (id(policy), index, direction, j if named else None)
            found = ports.get(key)
            if found is None:
                found = ports[key] = rule_ports_match(_ALG, rule, ends[j], packets[j])
            return found

        def combine(policies: tuple, direction: str, j_of) -> dict[int, PortSet]:
            """Class -> the ports some rule of ``policies`` admits it on (OR over the rules)."""
            acc: dict[int, PortSet] = {}
            for policy in policies:
                for index, rule in enumerate(policy.rules(direction)):
                    for k in admitted(policy, index, rule, direction):
                        allowed = ports_at(policy, index, rule, direction, j_of(k))
                        if allowed:
                            acc[k] = _ALG.or_(acc[k], allowed) if k in acc else allowed
            return acc

        rows: dict[tuple, dict[int, PortSet]] = {}
        #: source class -> destination class -> egress ports; None: not isolated (every port)
        self.egress: list[dict[int, PortSet] | None] = []
        for policies in out_policies:
            if not policies:
                self.egress.append(None)
                continue
            key = tuple(id(p) for p in policies)
            if key not in rows:
                rows[key] = combine(policies, "Egress", lambda k: k)
            self.egress.append(rows[key])
        #: destination class -> source class -> ingress ports; None: not isolated
        self.ingress: list[dict[int, PortSet] | None] = []
        for j, policies in enumerate(in_policies):
            if not policies or self.host[j]:
                self.ingress.append(None)
                continue
            self.ingress.append(combine(policies, "Ingress", lambda _k, j=j: j))
        self.explicit: dict[tuple, PortSet] = {}
        self._memo: dict[tuple, PortSet] = {}
        # For candidates(): destinations open to everyone, and per source those admitting it.
        self._any_generic_destination = any(self.generic_destination)
        self._open = [j for j in range(self.n) if self.ingress[j] is None]
        self._admitting: dict[int, list[int]] = {}
        for j, column in enumerate(self.ingress):
            for k in column or ():
                self._admitting.setdefault(k, []).append(j)

    def generic(self, i: int, j: int) -> bool:
        return self.generic_source[i] or self.generic_destination[j]

    def splits(self, i: int, j: int) -> bool:
        """Does the cell of (i, j) depend on whether the two pods share a node?"""
        return (
            (i, j, True) in self.explicit
            or (i, j, False) in self.explicit
            or (self.split and self.host[i] and not self.host[j] and not self.generic(i, j))
        )

    def get(self, i: int, j: int, same_node: bool | None = None) -> PortSet:
        if self.generic(i, j):
            found = self.explicit.get((i, j) if same_node is None else (i, j, same_node))
            return found if found is not None else self.explicit[(i, j)]
        key = (i, j, same_node)
        cell = self._memo.get(key)
        if cell is None:
            cell = self._memo[key] = self._compose(i, j, same_node)
        return cell

    def _compose(self, i: int, j: int, same_node: bool | None) -> PortSet:
        row = self.egress[i]
        out = FULL if row is None else row.get(j, EMPTY)
        if not out:
            return EMPTY
        column = self.ingress[j]
        if same_node is None:
            same_node = self.node[i] == self.node[j]
        # Ingress from the pod's own node (a hostNetwork pod there) is never policed (§3.9).
        if column is not None and not (self.host[i] and same_node):
            admitted = column.get(i)
            if admitted is None:
                return EMPTY
            out = admitted if out is FULL else _ALG.and_(out, admitted)
        direct = self.direct[j]
        return out if direct is FULL else _ALG.and_(out, direct)

    def row(self, i: int, itself: bool = True) -> tuple[list[tuple[int, PortSet]], list[int]]:
        """From class ``i``: each candidate destination class with its non-empty cell where the
        cell does not depend on nodes, and the candidates whose cells do (``i`` itself among
        them only if ``itself``)."""
        cells: list[tuple[int, PortSet]] = []
        split: list[int] = []
        # From a source neither generic nor hostNetwork, only a generic destination's cell may
        # depend on nodes; the others are composed (get() without its checks: the hot loop).
        composed = not (self.generic_source[i] or self.host[i])
        generic, memo, compose = self.generic_destination, self._memo, self._compose
        for j in self.candidates(i):
            if j == i and not itself:
                continue
            if composed and not generic[j]:
                cell = memo.get((i, j, None))
                if cell is None:
                    cell = memo[(i, j, None)] = compose(i, j, None)
            elif self.splits(i, j):
                split.append(j)
                continue
            else:
                cell = self.get(i, j)
            if cell:
                cells.append((j, cell))
        return cells, split

    def candidates(self, i: int) -> Iterable[int]:
        """Every destination class whose cell from ``i`` may be non-empty (a superset)."""
        if self._any_generic_destination or self.generic_source[i] or self.host[i]:
            return range(self.n)
        row = self.egress[i]
        if row is not None:
            return [j for j in row if self.ingress[j] is None or i in self.ingress[j]]
        return self._open + self._admitting.get(i, [])


def pair_cell(cluster: Cluster, source, destination, family: int) -> PortSet:
    """What ``source`` may open to ``destination``'s address, evaluated along the journey (no filter)."""
    dst_ip = host_address(cluster, destination, family)
    packet = Packet(family, host_address(cluster, source, family), dst_ip, ANY_PORT, ANY_PROTOCOL)
    client = Client.of_pod(cluster, source)
    path = journey.Path(endpoint_of_pod(cluster, destination), dst_ip, None)
    # To a hostNetwork pod's node address, NodePorts and hostPorts are translated, not delivered.
    direct = journey.direct_guard(_ALG, cluster, client, packet)
    return _ALG.and_(direct, journey.evaluate(_ALG, cluster, client, path, packet).allowed(_ALG))


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

    ``progress(n)`` is called as source classes are done, ``n`` the number of classes
    (for a progress bar).
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
    restriction = _restriction(port, protocol)
    cells = _Cells(cluster, classes, fam, restriction)
    generic_sources = [c for i, c in enumerate(classes) if cells.generic_source[i]]
    factored_sources = [c for i, c in enumerate(classes) if not cells.generic_source[i]]
    generic_destinations = [c for j, c in enumerate(classes) if cells.generic_destination[j]]
    for pair in chain(
        pairs(cluster, generic_sources, classes),
        pairs(cluster, factored_sources, generic_destinations),
    ):
        src, dst = pair.sources[0], pair.destinations[1 if pair.same_class else 0]
        i, j = class_of[src.ref], class_of[dst.ref]
        key = (i, j) if pair.same_node is None else (i, j, pair.same_node)
        cells.explicit[key] = _ALG.and_(restriction, pair_cell(cluster, src, dst, fam))
    for i, members in enumerate(classes):
        if progress is not None:
            progress(len(classes))
        rep = members[0]
        if rep.host_network:
            client = Client.of_pod(cluster, rep)
            ip = host_address(cluster, rep, fam)
            packet = Packet(fam, ip, ip, ANY_PORT, ANY_PROTOCOL)
            cells.explicit[("self", i)] = _ALG.and_(
                restriction, journey.direct_guard(_ALG, cluster, client, packet)
            )
    return Matrix(
        tuple(p.ref for p in pods),
        fam,
        port,
        protocol,
        len(classes),
        class_of,
        cells,
        restriction,
        {p.ref: p.node_name for p in pods},
        {p.ref: workload(p) for p in pods},
        tuple(tuple(p.ref for p in members) for members in classes),
    )


def _matrix_function():
    from .matrix import matrix as run

    return run


# ``verifier.matrix(...)`` calls the function even after this module was imported (see _callable).
callable_module(__name__, _matrix_function)
