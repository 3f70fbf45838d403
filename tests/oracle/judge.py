"""The oracle's verdicts: what each statement netverify makes means, on the enumerated flows.

:func:`judge` runs netverify (properties, invariants, the matrix, ``diff``) on a generated
scenario and compares every answer with the brute-force enumeration of
:mod:`tests.oracle.flows`:

* a HOLDS result must have no violating flow, on the loader's allocation and on
  alternative allocations of the allocated pods;
* a violating flow found by enumeration means the result must be VIOLATED;
* every counterexample of a VIOLATED result is re-traced from its own trace's
  source, destination, port and protocol, with its allocation filled in, and
  must be a violation by the oracle's own definition;
* ``diff`` must list every enumerated change, and every change it lists must
  really change verdict;
* any exception other than a clean result is a crash.

Each disagreement is a :class:`Mismatch` whose ``kind`` names the class of
problem (used to count distinct kinds over a run) and whose ``message`` is
self-contained: the cluster (``describe``), the claim, netverify's answer and the
flow with its trace.

The definitions, written from issue 7's intended meaning and semantics.md
(never from netverify's code), are in the docstrings of the functions below
(``_Invariant``, ``_nat_violation``, ``_unique_violations``, ``_ipblock_dependent``,
``_hostnetwork_selected``, ``_dual_violation``, ``_check_diff``). Choices where the
intended meaning leaves room, each said once here:

* an invariant's ``port`` is the port the client addresses (before DNAT) or the one
  the backend receives (after DNAT): either counts (``INVARIANT_PORT``, settable with
  ``NETVERIFY_ORACLE_INVARIANT_PORT=client|backend|either``). A mismatch found under one
  reading only says so in its kind; under a reading the oracle does not count it is
  *soft* (printed, not failing);
* ``only``: hostNetwork pods are pods, so an ipBlock of ``from`` never lists them
  (it lists outside hosts and nodes); a node (or a hostNetwork pod) reaching its
  own host network is exempt like a pod reaching itself; an outside host sending to
  an outside address (an externalIP on a port no Service opens) is not counted;
* a destination hostNetwork pod is reached by any delivery to its node's host network;
* nat-free speaks of the NAT rule whatever the policies allow (its statement says
  so): pod-to-pod flows are also traced on the cluster without any policy, and a
  counterexample the engine denies before the NAT step replays there;
* isolation part 1 (hostNetwork pods a NetworkPolicy selects): a proof is checked
  only against policies that allow nothing in a direction (no rules); every
  counterexample is replayed;
* dual-stack: Services are compared through every frontend that exists in both families
  (ClusterIPs, externalIPs, LoadBalancer IPs, NodePorts) and pods through hostPorts;
* diff: flows from pods and outside hosts to pods (their own address, every Service
  frontend and hostPort; a node's address for its hostNetwork pods) and to outside
  hosts; a change is covered by a listed change of the same kind and workloads whose
  ports hold the client's or the backend's port (and, for outside hosts, whose
  ``addresses`` hold the address). Node clients, and alternative allocations, are
  not enumerated for ``diff``;
* the implicit DNS pods the loader adds (``Pod.implicit``) are servers: never the source
  of a flow any statement is judged on (issue 10: properties and diff never take them as
  clients), always a destination;
* matrix: a cell holds a port iff the engine delivers the packet untranslated to the
  destination pod's own address and port (``_check_matrix``); an address two pods share is
  left to unique-pod-ips;
* infrastructure-access: see ``_infrastructure_targets`` (the cluster DNS under the
  default ``coredns`` profile, and API clients to ``default/kubernetes``).
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv6Address, ip_address

from tests.oracle import flows as F
from tests.oracle.describe import describe
from tests.oracle.dns import check_dns_resolution, resolv_conf
from tests.oracle.generate import Scenario, allocation_ranges, alternative_allocation, ip_block_of
from verifier.errors import InputError
from verifier.model import Cluster, IPBlock, LabelSelector, Pod

__all__ = ["Mismatch", "Report", "judge", "INVARIANT_PORT"]

#: Which port an invariant's ``port`` names for a connection through a Service or hostPort:
#: "either" (the port the client addresses or the one the backend receives: both count, as the
#: README says since the issue-7 work), "client" (before DNAT) or "backend" (after DNAT).
#: Violations are computed under each reading, and a mismatch that exists under one reading
#: only says so in its kind.
INVARIANT_PORT = os.environ.get("NETVERIFY_ORACLE_INVARIANT_PORT", "either")
#: Solver timeout per property, invariant and diff (seconds).
TIMEOUT = float(os.environ.get("NETVERIFY_ORACLE_TIMEOUT", "30"))
#: Alternative allocations of the allocated pods per cluster.
ALTERNATIVES = int(os.environ.get("NETVERIFY_ORACLE_ALTERNATIVES", "1"))
PROPERTIES = ("unique-pod-ips", "nat-free-pod-to-pod", "isolation", "dual-stack-coverage")


@dataclass
class Mismatch:
    kind: str
    message: str
    #: Reported, but not counted as a failure: the brief and netverify's own statement differ.
    soft: bool = False


@dataclass
class Report:
    seed: int
    mismatches: list[Mismatch] = field(default_factory=list)
    flows: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> list[Mismatch]:
        return [m for m in self.mismatches if not m.soft]


# --------------------------------------------------------------------------- helpers


def _fam_ip(c: Cluster, p: Pod, family: int):
    """Where ``p`` is reached in ``family``: its own address, or its node's (hostNetwork)."""
    if p.host_network:
        n = c.node_by_name.get(p.node_name or "")
        return n.ip(family) if n is not None else None
    return p.ip(family)


def _in_block(ip, block: IPBlock) -> bool:
    return (
        ip.version == block.cidr.version
        and ip in block.cidr
        and not any(ip in e for e in block.except_)
    )


def _requirement(r, labels) -> bool:
    has = r.key in labels
    if r.operator == "In":
        return has and labels[r.key] in r.values
    if r.operator == "NotIn":
        return not has or labels[r.key] not in r.values
    if r.operator == "Exists":
        return has
    if r.operator == "DoesNotExist":
        return not has
    raise AssertionError(r.operator)


def _selects(sel: LabelSelector, labels) -> bool:
    """A LabelSelector (semantics.md §2.2), written here from the table, not taken from netverify."""
    return all(_requirement(r, labels) for r in sel.requirements)


def _ns_labels(c: Cluster, name: str):
    ns = c.namespace_by_name.get(name)
    return ns.labels if ns is not None else {"kubernetes.io/metadata.name": name}


def apply_allocation(c: Cluster, allocation: dict[str, str]) -> Cluster:
    """``c`` with the pods of ``allocation`` (``{pod: "ip[, ip]"}``) at those addresses; another
    allocated pod in their way is moved to a free address of its ranges."""
    if not allocation:
        return c
    chosen: dict[str, tuple] = {}
    for ref, text in allocation.items():
        if ref not in c.pod_by_ref:
            continue
        p = c.pod_by_ref[ref]
        given = [ip_address(a.strip()) for a in str(text).split(",") if a.strip()]
        ips = tuple(
            next((g for g in given if g.version == ip.version), ip) for ip in p.ips
        ) or tuple(given)
        chosen[ref] = ips
    taken = {ip for ips in chosen.values() for ip in ips}
    held = {ip for p in c.pods for ip in p.ips} | taken | {ip for n in c.nodes for ip in n.ips}
    pods = []
    for p in c.pods:
        if p.ref in chosen:
            p = replace(p, ips=chosen[p.ref])
        elif p.ip_allocated and any(ip in taken for ip in p.ips):
            ips = []
            for ip in p.ips:
                if ip in taken:
                    ip = _free(c, p, ip.version, held) or ip
                    held.add(ip)
                ips.append(ip)
            p = replace(p, ips=tuple(ips))
        pods.append(p)
    return replace(c, pods=tuple(pods))


def _free(c: Cluster, p: Pod, family: int, held: set):
    for net in allocation_ranges(c, p, family):
        for k in range(1, min(net.num_addresses - 1, 4096)):
            a = net.network_address + k
            if a not in held:
                return a
    return None


def _allocation_admissible(c: Cluster, allocation: dict[str, str]) -> str | None:
    """Why a counterexample's allocation is not one the IPAM may hand out (None when it is)."""
    for ref, text in (allocation or {}).items():
        p = c.pod_by_ref.get(ref)
        if p is None:
            return f"{ref} is not a pod"
        if not p.ip_allocated:
            continue  # netverify lists pods it moved out of the way too; their addresses are their own
        for a in str(text).split(","):
            ip = ip_address(a.strip())
            ranges = allocation_ranges(c, p, ip.version)
            if not any(ip in n for n in ranges):
                return f"{ref} at {ip}, outside its ranges {[str(n) for n in ranges]}"
            for n in ranges:
                if ip in n and not any(pool.cidr == n for pool in c.ip_pools):
                    if ip == n.network_address or (
                        n.version == 4 and ip == n.broadcast_address and n.num_addresses > 2
                    ):
                        return f"{ref} at {ip}, the network or broadcast address of {n}"
    return None


def inadmissible_pods(c: Cluster) -> list[str]:
    """Allocated pods with an address of a family their IPAM has no range for (issue 7 item 3)."""
    out = []
    for p in c.live_pods:
        if p.ip_allocated and not p.host_network:
            if any(not allocation_ranges(c, p, ip.version) for ip in p.ips):
                out.append(p.ref)
    return out


def source_of_label(c: Cluster, label: str) -> F.Source:
    if label in c.pod_by_ref:
        p = c.pod_by_ref[label]
        return F.Source("pod", p.ref, p, p.node_name, p.host_network)
    if label.startswith("node/"):
        return F.Source("node", label[5:], label, label[5:])
    ip = ip_address(label)
    return F.Source("outside", str(ip), ip, None)


def retrace(c: Cluster, t) -> tuple[F.Flow | None, object, str | None]:
    """Trace again what a counterexample's trace shows: (flow record, trace, error)."""
    try:
        s = source_of_label(c, t.source)
        if t.destination in c.pod_by_ref:
            p = c.pod_by_ref[t.destination]
            fam = t.family or next(iter(p.families), 4)
            target = _fam_ip(c, p, fam)
        else:
            target = ip_address(t.destination)
        tr = F.trace_flow(c, s, target, int(t.port), t.protocol)
    except Exception as e:  # noqa: BLE001
        return None, None, f"{type(e).__name__}: {e}"
    return F._record(s, target, int(t.port), t.protocol, tr), tr, None


def _retrace_first(ctx: Context, cx):
    """A counterexample's first trace, traced again on its allocation: ``(None, (cluster, flow,
    trace))``, or ``((kind, text), None)`` saying why it cannot be (an allocation the IPAM
    cannot make, no trace, a crash)."""
    bad = _allocation_admissible(ctx.c, cx.allocation)
    if bad:
        return (", allocation the IPAM cannot make", bad), None
    c = apply_allocation(ctx.c, cx.allocation)
    if not cx.traces:
        return (" without a trace", "no trace to replay"), None
    f, t, err = retrace(c, cx.traces[0])
    if err:
        return (": re-trace crashed", err), None
    return None, (c, f, t)


def _answer(result) -> str:
    lines = [
        f"  netverify: {result.status} {result.name}: {result.statement}"
        + (f" ({result.reason})" if result.reason else "")
    ]
    for cx in result.counterexamples:
        lines.append(
            f"    counterexample: {cx.summary}"
            + (f" allocation {cx.allocation}" if cx.allocation else "")
        )
        for t in cx.traces:
            lines.append(f"      trace {t.summary}")
    return "\n".join(lines)


class Context:
    """One scenario: the cluster, what to try, and the flow tables (computed once, shared)."""

    def __init__(self, sc: Scenario):
        self.sc = sc
        self.c = sc.cluster
        inv_cidrs = []
        for inv in sc.invariants:
            body = next(v for k, v in inv.items() if k != "name")
            for key in ("from", "to"):
                specs = body.get(key)
                for spec in specs if isinstance(specs, list) else [specs]:
                    b = ip_block_of(spec)
                    if b is not None:
                        inv_cidrs += [b.cidr, *b.except_]
        everything = [self.c] + [m for _, m in sc.mutations]
        self.outside = list(
            dict.fromkeys(ip for cl in everything for ip in F.outside_samples(cl, inv_cidrs))
        )
        # Outside hosts the cluster names for DNS (dual-stack twins).
        for _name, ips in self.c.config.external_names:
            self.outside += [
                ip for ip in ips if ip not in self.outside and ip.version in self.c.families
            ]
        self.ports: dict[str, list[int]] = {p: [] for p in F.PROTOCOLS}
        for cl in everything:
            for proto, ports in F.ports_by_protocol(cl).items():
                self.ports[proto] = sorted(set(self.ports[proto]) | set(ports))
        self.targets = F.targets(self.c, self.outside)
        self.table = F.enumerate_flows(
            self.c, F.sources(self.c, self.outside), self.targets, self.ports
        )
        self.alternatives: list[tuple[Cluster, dict, F.FlowTable]] = []
        self.inadmissible = inadmissible_pods(self.c)
        held = [ip for p in self.c.live_pods if not p.host_network for ip in p.ips]
        self.duplicates = len(held) != len(set(held))
        self.flow_count = len(self.table.flows)

    def add_alternatives(self, count: int) -> None:
        for k in range(count):
            alt = alternative_allocation(self.c, self.sc.seed * 1000 + k)
            if alt is None:
                return
            c2, labels = alt
            moved = {
                ref
                for ref, text in labels.items()
                if tuple(self.c.pod_by_ref[ref].ips) != c2.pod_by_ref[ref].ips
            }
            if not moved:
                continue
            moved_ips = {ip for ref in moved for ip in c2.pod_by_ref[ref].ips}
            translating = {
                ip
                for s in c2.services
                for ip in s.cluster_ips + s.external_ips + s.load_balancer_ips
            }
            node_ips = {ip for n in c2.nodes for ip in n.ips}
            mapped = {
                (port, proto)
                for p in c2.pods
                for cp in p.ports
                if cp.host_port
                for port, proto in [(cp.host_port, cp.protocol)]
            } | {(sp.node_port, sp.protocol) for s in c2.services for sp in s.ports if sp.node_port}
            service_ports = {(sp.port, sp.protocol) for s in c2.services for sp in s.ports}

            def focus(s, target, port, proto):
                if s.kind == "pod" and s.ref in moved:
                    return True
                if target in moved_ips:
                    return True
                if target in node_ips:
                    return (port, proto) in mapped
                if target in translating:
                    return (port, proto) in service_ports or target in {
                        ip for s2 in c2.services for ip in s2.cluster_ips
                    }
                return False

            table = F.enumerate_flows(
                c2,
                F.sources(c2, self.outside),
                F.targets(c2, self.outside),
                self.ports,
                focus=focus,
            )
            self.alternatives.append((c2, labels, table))
            self.flow_count += len(table.flows)

    def tables(self) -> Iterable[tuple[Cluster, dict, F.FlowTable]]:
        """The loader's allocation, then each alternative."""
        yield self.c, {}, self.table
        yield from self.alternatives

    @property
    def suffix(self) -> str:
        """Appended to the kind of a false HOLDS on a cluster with an allocated pod without any range."""
        if self.inadmissible:
            return " [allocated pod without an address range]"
        return " [duplicate pod IPs]" if self.duplicates else ""

    def header(self, extra: str = "") -> str:
        note = (
            f"\n  allocated pods without any admissible address range: {self.inadmissible}"
            if self.inadmissible
            else ""
        )
        return f"seed {self.sc.seed}{extra}\n{describe(self.c)}{note}"


def _where(labels: dict) -> str:
    return f" (with the allocation {labels})" if labels else ""


def _flow_text(c: Cluster, f: F.Flow) -> str:
    try:
        t = F.trace_flow(c, f.source, f.target, f.port, f.protocol)
        return f"  flow {f}\n{F.render(t)}"
    except Exception as e:  # noqa: BLE001
        return f"  flow {f} (re-trace failed: {type(e).__name__}: {e})"


# --------------------------------------------------------------------------- invariants


@dataclass(frozen=True)
class _Sel:
    namespace: str | None = None
    namespaces: dict | None = None
    pods: dict | None = None
    block: IPBlock | None = None

    @classmethod
    def of(cls, spec: dict) -> "_Sel":
        b = ip_block_of(spec)
        if b is not None:
            return cls(block=b)
        return cls(spec.get("namespace"), spec.get("namespaces"), spec.get("pods"))

    def pod(self, c: Cluster, p: Pod) -> bool:
        if self.block is not None:
            return False
        if self.namespace is not None and p.namespace != self.namespace:
            return False
        if self.namespaces is not None:
            labels = _ns_labels(c, p.namespace)
            if any(labels.get(k) != v for k, v in self.namespaces.items()):
                return False
        return self.pods is None or all(p.labels.get(k) == v for k, v in self.pods.items())

    def address(self, ip) -> bool:
        return self.block is not None and ip is not None and _in_block(ip, self.block)


class _Invariant:
    def __init__(self, spec: dict):
        self.spec = spec
        self.kind = "isolated" if "isolated" in spec else "only"
        body = spec[self.kind]
        as_list = lambda v: v if isinstance(v, list) else [v]  # noqa: E731
        self.sources = [_Sel.of(s) for s in as_list(body["from"])]
        self.destinations = [_Sel.of(s) for s in as_list(body["to"])]
        self.port = body.get("port")
        self.protocol = body.get("protocol")

    def is_source(self, c: Cluster, s: F.Source, family: int) -> bool:
        """isolated: pods (hostNetwork too) a pod selector of ``from`` matches, and non-pod
        addresses (outside hosts, nodes) an ipBlock of ``from`` holds. only: everything else."""
        if s.kind == "pod":
            listed = any(sel.pod(c, c.pod_by_ref[s.ref]) for sel in self.sources)
        else:
            ip = F.source_ip(c, s, family)
            listed = any(sel.address(ip) for sel in self.sources)
        return listed if self.kind == "isolated" else not listed

    def destinations_of(
        self, c: Cluster, b: F.Branch, family: int
    ) -> list[tuple[str, str | None, str | None]]:
        """What a delivery reaches that ``to`` matches: (what, pod ref, node name)."""
        out = []
        pod = c.pod_by_ref.get(b.pod) if b.pod else None
        node = None
        if pod is not None and pod.host_network:
            node = pod.node_name
        elif pod is None and b.ip in c.node_by_ip:
            node = c.node_by_ip[b.ip].name
        for sel in self.destinations:
            if sel.block is not None:
                if pod is None and node is None and b.ip is not None and b.ip not in c.pod_by_ip:
                    if sel.address(b.ip):
                        out.append((f"outside host {b.ip}", None, None))
                elif node is not None:
                    n = c.node_by_name[node]
                    addr = b.ip if b.ip in c.node_by_ip else n.ip(family)
                    if sel.address(addr):
                        out.append((f"node {node} ({addr})", None, node))
                continue
            if pod is not None and sel.pod(c, pod):
                out.append((pod.ref, pod.ref, node))
            elif pod is None and node is not None:
                for h in c.live_pods:
                    if h.host_network and h.node_name == node and sel.pod(c, h):
                        out.append((f"{h.ref} (hostNetwork on {node})", h.ref, node))
        return out

    def violations(self, c: Cluster, f: F.Flow) -> list[tuple[str, str, F.Branch]]:
        """The violations ``f`` shows: (destination, reading, branch); reading is
        "both", "client" or "backend" (which reading of ``port`` counts it)."""
        if not f.allowed:
            return []
        if self.protocol is not None and f.protocol != self.protocol:
            return []
        family = f.target.version
        if not self.is_source(c, f.source, family):
            return []
        out = []
        for b in f.allowed:
            for what, ref, node in self.destinations_of(c, b, family):
                if f.source.kind == "outside" and ref is None and node is None:
                    continue  # an outside host to an outside address never enters the cluster
                if self._exempt(c, f, ref, node):
                    continue
                if self.port is None:
                    reading = "both"
                else:
                    client, backend = f.port == self.port, b.port == self.port
                    reading = (
                        "both"
                        if client and backend
                        else "client"
                        if client
                        else "backend"
                        if backend
                        else None
                    )
                if reading is not None:
                    out.append((what, reading, b))
        return out

    @staticmethod
    def _exempt(c: Cluster, f: F.Flow, ref: str | None, node: str | None) -> bool:
        """A pod reaching itself; the node exception (a node or a hostNetwork pod reaching a pod
        on its own node, unless through another node's address); a node reaching itself."""
        s = f.source
        if s.kind == "pod" and ref is not None and ref == s.ref:
            return True
        on_node = s.kind == "node" or (s.kind == "pod" and s.host_network)
        if not on_node:
            return False
        if node is not None and node == s.node:
            return True  # its own host network
        dst = c.pod_by_ref.get(ref) if ref else None
        if dst is not None and not dst.host_network and dst.node_name == s.node:
            other = c.node_by_ip.get(f.target)
            return other is None or other.name == s.node
        return False

    def counts(self, reading: str) -> bool:
        return reading == "both" or INVARIANT_PORT == "either" or reading == INVARIANT_PORT


def _check_invariants(ctx: Context, report: Report) -> None:
    from verifier.properties import check

    for spec in ctx.sc.invariants:
        if "reach" in spec:
            _check_reach(ctx, report, spec)
            continue
        inv = _Invariant(spec)
        claim = f"  invariant {spec}"
        start = time.perf_counter()
        try:
            result = check(ctx.c, properties=[], invariants=[spec], timeout=TIMEOUT).results[0]
        except InputError as e:
            report.seconds["invariants"] = (
                report.seconds.get("invariants", 0) + time.perf_counter() - start
            )
            if not inadmissible_pods(ctx.c):
                report.mismatches.append(
                    Mismatch(
                        "crash: InputError from an invariant on a valid cluster",
                        f"{ctx.header()}\n{claim}\n  {e}",
                    )
                )
            continue
        except Exception as e:  # noqa: BLE001
            report.seconds["invariants"] = (
                report.seconds.get("invariants", 0) + time.perf_counter() - start
            )
            report.mismatches.append(
                Mismatch(
                    f"crash: {type(e).__name__} checking an invariant{ctx.suffix}",
                    f"{ctx.header()}\n{claim}\n  {traceback.format_exc(limit=6)}",
                )
            )
            continue
        report.seconds["invariants"] = (
            report.seconds.get("invariants", 0) + time.perf_counter() - start
        )
        status = result.status.value
        if status == "unknown":
            if not result.reason:
                report.mismatches.append(
                    Mismatch(
                        "UNKNOWN without a reason", f"{ctx.header()}\n{claim}\n{_answer(result)}"
                    )
                )
            continue
        if status == "holds":
            _invariant_holds(ctx, report, inv, claim, result)
        else:
            _invariant_counterexamples(ctx, report, inv, claim, result)


def _category(c: Cluster, f: F.Flow, what: str, b: F.Branch) -> str:
    """``pod -> pod directly``, ``node -> outside host directly``, ``pod -> pod through a Service or hostPort``..."""
    s = f.source
    src = (
        "outside host"
        if s.kind == "outside"
        else "node"
        if s.kind == "node"
        else "hostNetwork pod"
        if s.host_network
        else "pod"
    )
    backend = c.pod_by_ref.get(b.pod) if b.pod else None
    if what.startswith("outside host"):
        dst = "outside host (ipBlock)"
    elif what.startswith("node "):
        dst = "node (ipBlock)"
    elif "(hostNetwork" in what or (backend is not None and backend.host_network):
        dst = "hostNetwork pod"
    else:
        dst = "pod"
    return f"{src} -> {dst} {'directly' if b.ip == f.target else 'through a Service or hostPort'}"


def _invariant_holds(ctx: Context, report: Report, inv: _Invariant, claim: str, result) -> None:
    """One mismatch per category of violating flow (the first flow of each), so that distinct
    problems are counted apart. A category whose flows violate the claim under one reading of
    ``port`` only says so: under the oracle's reading (INVARIANT_PORT) it fails, under the
    other one it is soft."""
    found: dict[str, dict[str, tuple]] = {}
    for c, labels, table in ctx.tables():
        for f in table.flows:
            for what, reading, b in inv.violations(c, f):
                category = _category(c, f, what, b)
                if labels:
                    if category in found:
                        continue  # the loader's allocation shows it already
                    category += " (alternative allocation)"
                found.setdefault(category, {}).setdefault(reading, (c, labels, f, what, b.port))
    for category, readings in found.items():
        if "both" in readings:
            hit, qualifier, soft = readings["both"], "", False
        else:
            reading = next(
                (r for r in ("client", "backend") if r in readings and inv.counts(r)), None
            )
            soft = reading is None
            reading = reading or next(iter(readings))
            hit, qualifier = readings[reading], f", only with port read as the {reading}'s port"
        c, labels, f, what, backend_port = hit
        report.mismatches.append(
            Mismatch(
                f"false HOLDS: invariant {inv.kind}: {category}{qualifier}{ctx.suffix}",
                f"{ctx.header()}\n{claim}\n{_answer(result)}\n  but {f.source} reaches {what} "
                f"(client port {f.port}, backend port {backend_port}){_where(labels)}:\n{_flow_text(c, f)}",
                soft,
            )
        )


def _reach_outcome(c: Cluster, body: dict):
    """(reachable, trace) of a ``reach`` invariant's connection on ``c``; UsageError passes through."""
    t = F.trace(c, body["from"], body["to"], body["port"], body.get("protocol", "TCP"))
    return t.reachable, t


def _check_reach(ctx: Context, report: Report, spec: dict) -> None:
    """``reach``: HOLDS iff the engine's verdict is the expected one on every allocation (the
    loader's and the alternatives); a counterexample's trace, re-traced, has the other verdict."""
    from verifier.errors import UsageError
    from verifier.properties import check

    body = spec["reach"]
    allow = body.get("expect", "allow") == "allow"
    claim = f"  invariant {spec}"
    start = time.perf_counter()
    try:
        result = check(ctx.c, properties=[], invariants=[spec], timeout=TIMEOUT).results[0]
    except UsageError as e:
        try:
            _reach_outcome(ctx.c, body)
        except UsageError:
            return  # the connection makes no sense: both say so
        report.mismatches.append(
            Mismatch(
                "crash: UsageError from a reach invariant the engine traces",
                f"{ctx.header()}\n{claim}\n  {e}",
            )
        )
        return
    except Exception as e:  # noqa: BLE001
        if isinstance(e, InputError) and ctx.inadmissible:
            return
        report.mismatches.append(
            Mismatch(
                f"crash: {type(e).__name__} checking a reach invariant{ctx.suffix}",
                f"{ctx.header()}\n{claim}\n  {traceback.format_exc(limit=8)}",
            )
        )
        return
    finally:
        report.seconds["invariants"] = (
            report.seconds.get("invariants", 0) + time.perf_counter() - start
        )
    status = result.status.value
    if status == "unknown":
        if not result.reason:
            report.mismatches.append(
                Mismatch("UNKNOWN without a reason", f"{ctx.header()}\n{claim}\n{_answer(result)}")
            )
        return
    what = "expect allow" if allow else "expect deny"
    if status == "holds":
        for c, labels, _table in ctx.tables():
            try:
                reachable, t = _reach_outcome(c, body)
            except Exception as e:  # noqa: BLE001
                report.mismatches.append(
                    Mismatch(
                        "crash: trace raised", f"{ctx.header()}\n{claim}\n  {type(e).__name__}: {e}"
                    )
                )
                return
            if reachable != allow:
                kind = f"false HOLDS: invariant reach ({what}){' (alternative allocation)' if labels else ''}{ctx.suffix}"
                report.mismatches.append(
                    Mismatch(
                        kind,
                        f"{ctx.header()}\n{claim}\n{_answer(result)}\n  but the engine says{_where(labels)}:\n{F.render(t)}",
                    )
                )
                return
        return
    for cx in result.counterexamples:
        bad = _allocation_admissible(ctx.c, cx.allocation)
        if bad:
            report.mismatches.append(
                Mismatch(
                    f"bogus counterexample: invariant reach ({what}), allocation the IPAM cannot make",
                    f"{ctx.header()}\n{claim}\n{_answer(result)}\n  {bad}",
                )
            )
            continue
        c = apply_allocation(ctx.c, cx.allocation)
        try:
            reachable, t = _reach_outcome(c, body)
        except Exception as e:  # noqa: BLE001
            report.mismatches.append(
                Mismatch(
                    "crash: trace raised", f"{ctx.header()}\n{claim}\n  {type(e).__name__}: {e}"
                )
            )
            continue
        if reachable == allow:
            report.mismatches.append(
                Mismatch(
                    f"bogus counterexample: invariant reach ({what}){ctx.suffix}",
                    f"{ctx.header()}\n{claim}\n{_answer(result)}\n  re-traced{_where(cx.allocation)}:\n{F.render(t)}",
                )
            )


def _invariant_counterexamples(
    ctx: Context, report: Report, inv: _Invariant, claim: str, result
) -> None:
    if not result.counterexamples:
        report.mismatches.append(
            Mismatch(
                "VIOLATED without a counterexample", f"{ctx.header()}\n{claim}\n{_answer(result)}"
            )
        )
    for cx in result.counterexamples:
        why, replayed = _retrace_first(ctx, cx)
        if why is not None:
            suffix, text = why
            kind = (
                f"crash: re-tracing a counterexample of invariant {inv.kind}"
                if suffix == ": re-trace crashed"
                else f"bogus counterexample: invariant {inv.kind}{suffix}"
            )
            report.mismatches.append(
                Mismatch(kind, f"{ctx.header()}\n{claim}\n{_answer(result)}\n  {text}")
            )
            continue
        c, f, t = replayed
        hits = inv.violations(c, f)
        if any(inv.counts(r) for _, r, _ in hits):
            continue
        soft = bool(hits)
        itself = f.source.kind == "pod" and any(
            b.pod == f.source.ref
            or (
                b.pod is None
                and b.ip in c.node_by_ip
                and f.source.host_network
                and c.node_by_ip[b.ip].name == f.source.node
            )
            for b in f.allowed
        )
        qualifier = (
            f", a violation only with port read as the {'backend' if INVARIANT_PORT == 'client' else 'client'}'s port"
            if soft
            else ", the source reaching itself"
            if itself
            else ""
        )
        kind = f"bogus counterexample: invariant {inv.kind}{qualifier}{ctx.suffix}"
        report.mismatches.append(
            Mismatch(
                kind,
                f"{ctx.header()}\n{claim}\n{_answer(result)}\n  re-traced{_where(cx.allocation)}:\n{F.render(t)}",
                soft,
            )
        )


# --------------------------------------------------------------------------- properties


def _run_property(ctx: Context, report: Report, name: str):
    from verifier.properties import check

    start = time.perf_counter()
    try:
        return check(ctx.c, properties=[name], timeout=TIMEOUT).results[0]
    except InputError as e:
        if not inadmissible_pods(ctx.c):
            report.mismatches.append(
                Mismatch(
                    f"crash: InputError from {name} on a valid cluster", f"{ctx.header()}\n  {e}"
                )
            )
        return None
    except Exception as e:  # noqa: BLE001
        report.mismatches.append(
            Mismatch(
                f"crash: {type(e).__name__} in {name}{ctx.suffix}",
                f"{ctx.header()}\n  {traceback.format_exc(limit=8)}",
            )
        )
        return None
    finally:
        report.seconds[name] = report.seconds.get(name, 0) + time.perf_counter() - start


def _property(ctx: Context, report: Report, name: str, violations, replay):
    """The common shape: HOLDS <=> no violation; every counterexample replays (``replay(cx) -> why not``).
    Returns the property's result (None when it crashed)."""
    result = _run_property(ctx, report, name)
    if result is None:
        return None
    status = result.status.value
    if status == "unknown":
        if not result.reason:
            report.mismatches.append(
                Mismatch("UNKNOWN without a reason", f"{ctx.header()}\n{_answer(result)}")
            )
        return result
    if status == "holds":
        found = violations()
        if found is not None:
            kind, text = found
            report.mismatches.append(
                Mismatch(
                    f"false HOLDS: {name}{kind}{ctx.suffix}",
                    f"{ctx.header()}\n{_answer(result)}\n  but {text}",
                )
            )
        return result
    if not result.counterexamples:
        report.mismatches.append(
            Mismatch("VIOLATED without a counterexample", f"{ctx.header()}\n{_answer(result)}")
        )
    for cx in result.counterexamples:
        why = replay(cx)
        if why is not None:
            kind, text, *soft = why
            report.mismatches.append(
                Mismatch(
                    f"bogus counterexample: {name}{kind}{ctx.suffix}",
                    f"{ctx.header()}\n{_answer(result)}\n  {cx.summary}: {text}",
                    bool(soft and soft[0]),
                )
            )
    return result


# ----- nat-free-pod-to-pod


def _nat_violation(c: Cluster, f: F.Flow) -> bool:
    """A pod-network pod's packet to another pod-network pod's own address (neither implicit)
    is source-NATed (an ``snat`` hop with outcome ``masquerade``) on some branch."""
    if f.source.kind != "pod" or f.source.host_network or not f.masquerade:
        return False
    dst = c.pod_by_ip.get(f.target)
    src = c.pod_by_ref[f.source.ref]
    # The implicit DNS pods are left out at both ends: their placement is made up (issue 10).
    return dst is not None and not dst.implicit and dst.ref != src.ref and f.target not in src.ips


def _policy_free(c: Cluster) -> Cluster:
    """``c`` without any policy: every pod-to-pod packet reaches the NAT step (NAT does not look at policy)."""
    return replace(c, policies=(), admin_policies=(), calico_policies=(), tiers=())


def _nat_free_flows(c: Cluster) -> list[F.Flow]:
    """Every live pod-network pod to every other live pod-network pod's address, one port per protocol,
    on the cluster without policies: the statement speaks of the NAT rule, whatever the policies allow."""
    free = _policy_free(c)
    out = []
    # The implicit DNS pods are left out at both ends: their placement is made up (issue 10).
    pods = [
        p
        for p in free.live_pods
        if not p.host_network and p.ips and p.node_name in free.node_by_name and not p.implicit
    ]
    for p in pods:
        s = F.Source("pod", p.ref, p, p.node_name)
        for q in pods:
            if q.ref == p.ref:
                continue
            for ip in q.ips:
                if ip in p.ips or p.ip(ip.version) is None:
                    continue
                for protocol in F.PROTOCOLS:
                    try:
                        t = F.trace_flow(free, s, ip, F.UNRELATED_PORT, protocol)
                    except Exception:  # noqa: BLE001 - crashes are reported by the enumeration
                        continue
                    out.append(F._record(s, ip, F.UNRELATED_PORT, protocol, t))
    return out


def _check_nat_free(ctx: Context, report: Report) -> None:
    def violations():
        for c, labels, table in ctx.tables():
            for f in list(table.flows) + _nat_free_flows(c):
                if _nat_violation(c, f):
                    return (
                        "" if not labels else " (alternative allocation)",
                        f"a pod-to-pod packet is source-NATed{_where(labels)} (traced without policies):\n{_flow_text(_policy_free(c), f)}",
                    )
        return None

    def replay(cx):
        why, replayed = _retrace_first(ctx, cx)
        if why is not None:
            return why
        c, f, t = replayed
        if _nat_violation(c, f):
            return None
        f2, t2, err = retrace(
            _policy_free(c), cx.traces[0]
        )  # denied before the NAT step: the rule still NATs
        if not err and _nat_violation(c, f2):
            return None
        return (
            "",
            f"no masquerade in the re-trace{_where(cx.allocation)}, with or without policies:\n{F.render(t)}",
        )

    _property(ctx, report, "nat-free-pod-to-pod", violations, replay)


# ----- unique-pod-ips


def _unique_violations(c: Cluster) -> str | None:
    """Two live pod-network pods share an address, or a pod address equals a Service clusterIP or a
    node IP, now or for some address the IPAM may give an allocated pod (semantics.md §1.4)."""
    pods = [p for p in c.live_pods if not p.host_network]
    holders: dict = {}
    for p in pods:
        for ip in p.ips:
            holders.setdefault(ip, []).append(p.ref)
    for ip, refs in holders.items():
        if len(refs) > 1:
            return f"{refs} share {ip}"
    others = {ip: f"Service {s.ref}" for s in c.services for ip in s.cluster_ips}
    others.update({ip: f"node {n.name}" for n in c.nodes for ip in n.ips})
    for p in pods:
        for ip in p.ips:
            if ip in others:
                return f"{p.ref} holds {ip}, the address of {others[ip]}"
            if p.ip_allocated:
                for net in allocation_ranges(c, p, ip.version):
                    for other, what in others.items():
                        if (
                            other in net
                            and other != net.network_address
                            and not (
                                net.version == 4
                                and other == net.broadcast_address
                                and not any(pool.cidr == net for pool in c.ip_pools)
                            )
                        ):
                            return f"allocated {p.ref} may get {other} from {net}, the address of {what}"
    return None


def _check_unique(ctx: Context, report: Report) -> None:
    def violations():
        why = _unique_violations(ctx.c)
        return None if why is None else ("", why)

    def replay(cx):
        bad = _allocation_admissible(ctx.c, cx.allocation)
        if bad:
            return (", allocation the IPAM cannot make", bad)
        c = apply_allocation(ctx.c, cx.allocation)
        ip = ip_address(cx.details.get("ip")) if cx.details.get("ip") else None
        live = {p.ref: p for p in c.live_pods if not p.host_network}
        if ip is None or not cx.pods:
            return (" without an address", f"pods {cx.pods} details {cx.details}")
        if any(r not in live or ip not in live[r].ips for r in cx.pods):
            return ("", f"with allocation {cx.allocation}, {cx.pods} do not all hold {ip}")
        if len(cx.pods) == 1:
            others = {a for s in c.services for a in s.cluster_ips} | {
                a for n in c.nodes for a in n.ips
            }
            if ip not in others:
                return ("", f"{ip} is no Service or node address")
        return None

    _property(ctx, report, "unique-pod-ips", violations, replay)


# ----- isolation


def _strict(c: Cluster) -> Cluster:
    return replace(c, config=replace(c.config, ipblock_matches_pods=False))


def _pod_network(c: Cluster, ref: str | None) -> bool:
    p = c.pod_by_ref.get(ref) if ref else None
    return p is not None and not p.host_network


def _ipblock_dependent(c: Cluster, table: F.FlowTable) -> tuple[F.Flow, str] | None:
    """Part 2: a flow between pod-network pods ALLOWED (to some backend) that is not ALLOWED to
    that backend when ipBlocks never match pod IPs (``ipblock_matches_pods=False``)."""
    if not c.config.ipblock_matches_pods:
        return None
    strict = _strict(c)
    for f in table.flows:
        if f.source.kind != "pod" or f.source.host_network:
            continue
        backends = {b.pod for b in f.allowed if _pod_network(c, b.pod) and b.pod != f.source.ref}
        if not backends:
            continue
        try:
            t = F.trace_flow(strict, f.source, f.target, f.port, f.protocol)
        except Exception:  # noqa: BLE001 - the same flow traced fine on the cluster as given
            continue
        still = {b.pod for b in t.branches if b.reachable}
        lost = backends - still
        if lost:
            return f, sorted(lost)[0]
    return None


def _hostnetwork_selected(c: Cluster, table: F.FlowTable) -> tuple[F.Flow, str] | None:
    """Part 1, one direction only: a NetworkPolicy whose podSelector selects a hostNetwork pod h
    and that allows *nothing* in a direction (Ingress or Egress in policyTypes, no rules), while
    some flow into h (to a port h declares on its node's address, or through a Service to h)
    from a client not on h's node, or out of h to another node or outside, is allowed."""
    for pol in c.policies:
        for h in c.live_pods:
            if (
                not h.host_network
                or h.namespace != pol.namespace
                or not _selects(pol.pod_selector, h.labels)
            ):
                continue
            n = c.node_by_name.get(h.node_name or "")
            if n is None:
                continue
            if "Ingress" in pol.policy_types and not pol.ingress:
                declared = {(cp.container_port, cp.protocol) for cp in h.ports}
                for f in table.flows:
                    s = f.source
                    if s.ref == h.ref or (s.kind in ("pod", "node") and s.node == n.name):
                        continue
                    for b in f.allowed:
                        direct = (
                            b.pod is None
                            and b.ip in n.ips
                            and f.target in n.ips
                            and (f.port, f.protocol) in declared
                        )
                        if direct or b.pod == h.ref:
                            return (
                                f,
                                f"Ingress of {pol.ref} (no ingress rules) selects hostNetwork {h.ref}",
                            )
            if "Egress" in pol.policy_types and not pol.egress:
                for f in table.flows:
                    if f.source.kind != "pod" or f.source.ref != h.ref:
                        continue
                    for b in f.allowed:
                        dst = c.pod_by_ref.get(b.pod) if b.pod else None
                        if dst is not None and dst.node_name == n.name:
                            continue
                        if dst is None and b.ip in n.ips:
                            continue
                        return (
                            f,
                            f"Egress of {pol.ref} (no egress rules) selects hostNetwork {h.ref}",
                        )
    return None


def _check_isolation(ctx: Context, report: Report) -> None:
    def violations():
        for c, labels, table in ctx.tables():
            hit = _ipblock_dependent(c, table)
            if hit is not None:
                f, lost = hit
                return (
                    " (ipBlock matching pod IPs)" + (" (alternative allocation)" if labels else ""),
                    f"{f.source} reaches {lost} only because ipBlocks match pod IPs{_where(labels)}:\n{_flow_text(c, f)}\n"
                    f"  with ipBlocks matching no pod IP:\n{_flow_text(_strict(c), f)}",
                )
            hit = _hostnetwork_selected(c, table)
            if hit is not None:
                f, what = hit
                return (
                    " (hostNetwork pod selected)",
                    f"{what}, and this flow is allowed{_where(labels)}:\n{_flow_text(c, f)}",
                )
        return None

    def replay(cx):
        why, replayed = _retrace_first(ctx, cx)
        if why is not None:
            return why
        c, f, t = replayed
        dst = cx.pods[1] if len(cx.pods) > 1 else None
        reached = {b.pod for b in f.allowed} | {str(b.ip) for b in f.allowed}
        if len(cx.traces) >= 2:  # part 2: allowed as given, not with ipBlocks matching no pod IP
            if f.source.kind != "pod" or f.source.host_network or not _pod_network(c, dst):
                return (" (ipBlock)", f"not a flow between pod-network pods: {f.source} -> {dst}")
            if dst not in reached:
                return (" (ipBlock)", f"{dst} not reached as given:\n{F.render(t)}")
            f2, t2, err = retrace(_strict(c), cx.traces[1])
            if err:
                return (" (ipBlock): re-trace crashed", err)
            if dst in {b.pod for b in f2.allowed}:
                return (
                    " (ipBlock)",
                    f"{dst} is still reached when ipBlocks match no pod IP:\n{F.render(t2)}",
                )
            return None
        # part 1: a hostNetwork pod a NetworkPolicy selects is reached (or reaches out)
        pods = [c.pod_by_ref.get(r) for r in cx.pods]
        hn = [p for p in pods if p is not None and p.host_network]
        pol_refs = [o for o in cx.objects if o.kind == "NetworkPolicy"]
        if not hn or not pol_refs:
            return (
                " (hostNetwork)",
                f"no hostNetwork pod or no NetworkPolicy named: pods {cx.pods}, objects {[str(o) for o in cx.objects]}",
            )
        pol = next(
            (
                p
                for p in c.policies
                if p.namespace == pol_refs[0].namespace and p.name == pol_refs[0].name
            ),
            None,
        )
        if pol is None or not any(
            p.namespace == pol.namespace and _selects(pol.pod_selector, p.labels) for p in hn
        ):
            return (" (hostNetwork)", f"{pol_refs[0]} selects none of {[p.ref for p in hn]}")
        if not f.allowed:
            return (" (hostNetwork)", f"the flow is not allowed:\n{F.render(t)}")
        return None

    _property(ctx, report, "isolation", violations, replay)


# ----- infrastructure-access


def _infrastructure_targets(c: Cluster, p: Pod) -> list[tuple[str, object, int, str]]:
    """What pod ``p`` must reach: ``(what, address, port, protocol)``.

    * its lookups: a pod whose resolv.conf's first nameserver is the cluster DNS (ClusterFirst
      on the pod network, ClusterFirstWithHostNet: the first clusterDNS address,
      ``ClusterNetwork.clusterDNS``, else kube-system/kube-dns's first ClusterIP, else the tenth
      address of the first Service range, kubeadm's convention; or a dnsConfig or node
      nameserver at a cluster DNS address) asks it on 53/UDP, when the pod has an address of
      that family. Only under the default ``coredns`` profile (the generator's).
      The lookups count only when some DNS pod stands behind that address (the flow's trace
      DNATs to a pod: :func:`_dns_backed`); else a working DNS is assumed, never checked;
    * the API server: a pod that is an API client reaches default/kubernetes's ClusterIP of
      each of its families on 443/TCP.
    """
    out: list[tuple[str, object, int, str]] = []
    conf = resolv_conf(c, p)  # §7.6, written in tests.oracle.dns
    if conf.cluster and c.config.dns_profile == "coredns":
        server = ip_address(conf.nameservers[0])
        if server.version in p.families:
            out.append((_DNS_LOOKUPS, server, 53, "UDP"))
    api = c.service_by_ref.get("default/kubernetes")
    if p.api_client is not None and api is not None:
        out += [
            ("the API server", ip, 443, "TCP") for ip in api.cluster_ips if ip.version in p.families
        ]
    return out


_DNS_LOOKUPS = "DNS lookups"


def _dns_backed(t) -> bool:
    """Does some DNS pod stand behind the address: does the trace DNAT to a pod?"""
    return any(b.pod for b in t.branches)


def _check_infrastructure(ctx: Context, report: Report) -> None:
    """HOLDS: every pod reaches (some allowed branch) every target above, in every allocation."""

    def violations():
        for c, labels, _table in ctx.tables():
            for p in c.live_pods:
                if p.implicit:
                    continue
                s = source_of_label(c, p.ref)
                for what, ip, port, protocol in _infrastructure_targets(c, p):
                    t = F.trace_flow(c, s, ip, port, protocol)
                    if what == _DNS_LOOKUPS and not _dns_backed(t):
                        continue  # no DNS pod behind the address: assumed
                    f = F._record(s, ip, port, protocol, t)
                    if not f.allowed:
                        return (
                            f" ({what})" + (" (alternative allocation)" if labels else ""),
                            f"{p.ref} cannot send {what} to {ip}:{port}/{protocol}{_where(labels)}:\n"
                            f"{_flow_text(c, f)}",
                        )
        return None

    def replay(cx):
        why, replayed = _retrace_first(ctx, cx)
        if why is not None:
            return why
        c, f, t = replayed
        p = c.pod_by_ref.get(f.source.ref)
        wanted = {
            (str(ip), port, protocol): what
            for what, ip, port, protocol in (_infrastructure_targets(c, p) if p else ())
        }
        what = wanted.get((str(f.target), f.port, f.protocol))
        if what is None or (what == _DNS_LOOKUPS and not _dns_backed(t)):
            return (" (target)", f"{f} is not a flow the pod must make:\n{F.render(t)}")
        if f.allowed:
            return ("", f"the flow is allowed:\n{F.render(t)}")
        return None

    _property(ctx, report, "infrastructure-access", violations, replay)


# ----- dual-stack-coverage


def _reached_at(c: Cluster, q: Pod, family: int):
    """Where a pod is reached: its own address, or its node's for a hostNetwork pod."""
    return c.node_by_name[q.node_name].ip(family) if q.host_network else q.ip(family)


def _receives(q: Pod, f: F.Flow, address) -> bool:
    """Did the flow deliver to ``q``: its branch, or for a hostNetwork pod its node's host network?"""
    if q.host_network:
        return any(b.ip == address for b in f.allowed)
    return q.ref in {b.pod for b in f.allowed}


def _frontend_twins(c: Cluster) -> list[tuple[str, IPv4Address, IPv6Address, int, str]]:
    """The ways to address a backend that exist in both families, as (what, IPv4 address, IPv6
    address, port, protocol): a dual-stack Service's ClusterIPs, externalIPs and LoadBalancer IPs
    (any of one family with any of the other) and its NodePort on each node with both addresses;
    a pod's hostPort bound to no hostIP on its node's two addresses. A node port that a hostPort
    and a NodePort both claim is left out (which one wins is the same rule in both families, but
    a hostIP would make one family's frontend another's)."""
    both = [n for n in c.nodes if n.ip(4) and n.ip(6)]
    host_ports: dict[tuple[str, int, str], list] = {}
    for p in c.live_pods:
        for cp in (cp for ctr in p.containers for cp in ctr.ports):
            if cp.host_port and not p.host_network:
                host_ports.setdefault((p.node_name, cp.host_port, cp.protocol), []).append((p, cp))
    node_ports = {
        (sp.node_port, sp.protocol) for svc in c.services for sp in svc.ports if sp.node_port
    }
    out = []
    for svc in c.services:
        if svc.headless or {ip.version for ip in svc.cluster_ips} != {4, 6}:
            continue
        pairs = [("ClusterIP", svc.cluster_ip(4), svc.cluster_ip(6))]
        for kind, ips in (
            ("externalIP", svc.external_ips),
            ("LoadBalancer IP", svc.load_balancer_ips),
        ):
            pairs += [(kind, a, b) for a in ips if a.version == 4 for b in ips if b.version == 6]
        for sp in svc.ports:
            out += [
                (f"{kind} {a}/{b} of Service {svc.ref}", a, b, sp.port, sp.protocol)
                for kind, a, b in pairs
            ]
            if sp.node_port and svc.type in ("NodePort", "LoadBalancer"):
                out += [
                    (
                        f"NodePort of Service {svc.ref} on node {n.name}",
                        n.ip(4),
                        n.ip(6),
                        sp.node_port,
                        sp.protocol,
                    )
                    for n in both
                    if (n.name, sp.node_port, sp.protocol) not in host_ports
                ]
    for n in both:
        for (node, port, proto), holders in host_ports.items():
            if node != n.name or (port, proto) in node_ports:
                continue
            if (
                len(holders) == 1
                and not holders[0][1].host_ip
                and len(set(holders[0][0].families)) == 2
            ):
                out.append(
                    (
                        f"hostPort of {holders[0][0].ref} on node {n.name}",
                        n.ip(4),
                        n.ip(6),
                        port,
                        proto,
                    )
                )
    return out


def _dual_violation(ctx: Context, c: Cluster, table: F.FlowTable) -> str | None:
    """Dual-stack clusters: a flow between the same two dual-stack pods (same port and protocol)
    ALLOWED over one family and not the other, to the pod addresses or through a dual-stack
    Service's two ClusterIPs (same backend); a pod to a dual-stack outside host (externalNames)
    likewise; and the coverage part: a live pod-network pod, a node with podCIDRs or a
    Prefer/RequireDualStack Service (not headless) missing a family, or such a Service whose
    ready endpoints are other pods in one family than in the other."""
    if not c.dual_stack:
        return None
    for p in c.live_pods:
        if not p.host_network and p.ips and not p.implicit and len(set(p.families)) < 2:
            return f"pod {p.ref} has only {p.families}"
    for n in c.nodes:
        if n.pod_cidrs and len({x.version for x in n.pod_cidrs}) < 2:
            return f"node {n.name} has podCIDRs {[str(x) for x in n.pod_cidrs]}"
    for s in c.services:
        if (
            s.ip_family_policy in ("PreferDualStack", "RequireDualStack")
            and s.type != "ExternalName"
            and not s.source.implicit
        ):
            if not s.headless and len({ip.version for ip in s.cluster_ips}) < 2:
                return f"Service {s.ref} is {s.ip_family_policy} with cluster IPs {[str(i) for i in s.cluster_ips]}"
            r4, r6 = _ready_pods(c, s, 4), _ready_pods(c, s, 6)
            if r4 != r6:
                return f"Service {s.ref}'s ready pods differ by family: IPv4 {sorted(r4)}, IPv6 {sorted(r6)}"
    dual = [p for p in c.live_pods if not p.host_network and len(set(p.families)) == 2]
    # hostNetwork pods are reached at their node's addresses: both families when the node has both.
    hosts = [
        p
        for p in c.live_pods
        if p.host_network
        and p.node_name in c.node_by_name
        and all(c.node_by_name[p.node_name].ip(f) for f in (4, 6))
    ]
    # Every pod the statement pairs is a client too, a hostNetwork pod sending from its node's
    # two addresses included.
    srcs = [F.Source("pod", p.ref, p, p.node_name, p.host_network) for p in dual + hosts]
    for s in srcs:
        for q in dual + hosts:
            if q.ref == s.ref:
                continue
            a4, a6 = _reached_at(c, q, 4), _reached_at(c, q, 6)
            for proto in F.PROTOCOLS:
                for port in ctx.ports[proto]:
                    f4, f6 = table.get(s, a4, port, proto), table.get(s, a6, port, proto)
                    if f4 is None or f6 is None:
                        continue
                    r4, r6 = _receives(q, f4, a4), _receives(q, f6, a6)
                    if r4 != r6:
                        return f"{s.ref} -> {q.ref} {port}/{proto}: IPv4 {f4.verdict}, IPv6 {f6.verdict}\n{_flow_text(c, f4)}\n{_flow_text(c, f6)}"
        for what, a4, a6, port, proto in _frontend_twins(c):
            f4, f6 = table.get(s, a4, port, proto), table.get(s, a6, port, proto)
            if f4 is None or f6 is None:
                continue
            # Pairs of two pods (the statement's p != q): a backend that is the client itself
            # (a hairpin) is not compared.
            b4 = {b.pod for b in f4.allowed if b.pod and b.pod != s.ref}
            b6 = {b.pod for b in f6.allowed if b.pod and b.pod != s.ref}
            if b4 != b6:
                return f"{s.ref} -> {what} {port}/{proto}: IPv4 reaches {sorted(b4)}, IPv6 {sorted(b6)}\n{_flow_text(c, f4)}\n{_flow_text(c, f6)}"
        for _name, ips in c.config.external_names:
            h4 = next((i for i in ips if i.version == 4), None)
            h6 = next((i for i in ips if i.version == 6), None)
            if h4 is None or h6 is None:
                continue
            for proto in F.PROTOCOLS:
                for port in ctx.ports[proto]:
                    f4, f6 = table.get(s, h4, port, proto), table.get(s, h6, port, proto)
                    if f4 is not None and f6 is not None and bool(f4.allowed) != bool(f6.allowed):
                        return f"{s.ref} -> outside host {h4} / {h6} {port}/{proto}: IPv4 {f4.verdict}, IPv6 {f6.verdict}\n{_flow_text(c, f4)}\n{_flow_text(c, f6)}"
    return None


def _check_dual_stack(ctx: Context, report: Report) -> None:
    def violations():
        for c, labels, table in ctx.tables():
            why = _dual_violation(ctx, c, table)
            if why is not None:
                return (" (alternative allocation)" if labels else "", why + _where(labels))
        return None

    def replay(cx):
        bad = _allocation_admissible(ctx.c, cx.allocation)
        if bad:
            return (", allocation the IPAM cannot make", bad)
        c = apply_allocation(ctx.c, cx.allocation)
        if len(cx.traces) >= 2:
            f4, t4, err4 = retrace(c, cx.traces[0])
            f6, t6, err6 = retrace(c, cx.traces[1])
            if err4 or err6:
                return (": re-trace crashed", err4 or err6)
            dst = c.pod_by_ref.get(cx.pods[1]) if len(cx.pods) > 1 else None
            r4 = bool(f4.allowed) if dst is None else _receives(dst, f4, _reached_at(c, dst, 4))
            r6 = bool(f6.allowed) if dst is None else _receives(dst, f6, _reached_at(c, dst, 6))
            if r4 == r6:
                return (
                    "",
                    f"both families {'allowed' if r4 else 'not allowed'}:\n{F.render(t4)}\n{F.render(t6)}",
                )
            return None
        obj = cx.objects[0] if cx.objects else None
        if obj is None:
            return (" without an object", cx.summary)
        if obj.kind == "Pod":
            p = c.pod_by_ref.get(f"{obj.namespace}/{obj.name}")
            return (
                None
                if p is not None and len(set(p.families)) < 2
                else ("", f"{obj} has both families")
            )
        if obj.kind == "Node":
            n = c.node_by_name.get(obj.name)
            return (
                None
                if n is not None and len({x.version for x in n.pod_cidrs}) < 2
                else ("", f"{obj} has both families")
            )
        if obj.kind == "Service":
            s = c.service_by_ref.get(f"{obj.namespace}/{obj.name}")
            if s is None:
                return ("", f"no Service {obj}")
            if not cx.pods:  # cluster IPs missing a family
                if not s.headless and len({ip.version for ip in s.cluster_ips}) < 2:
                    return None
                return ("", f"{s.ref} has cluster IPs {[str(i) for i in s.cluster_ips]}")
            ready = {f: _ready_pods(c, s, f) for f in (4, 6)}
            if set(cx.pods) == ready[4] ^ ready[6]:
                return None
            return (
                " (Service endpoints)",
                f"{s.ref}: ready pods over IPv4 {sorted(ready[4])}, over IPv6 {sorted(ready[6])}; "
                f"the counterexample names {cx.pods}",
            )
        return ("", f"unexpected object {obj}")

    fast = _property(ctx, report, "dual-stack-coverage", violations, replay)
    if fast is not None and ctx.c.dual_stack:
        _check_family_blind_shortcut(ctx, report, fast)


def _ready_pods(c: Cluster, s, family: int) -> set[str]:
    """The pods ``s``'s ready endpoints of ``family`` are, read as written: its EndpointSlices
    of that address type when it has any slice (an endpoint is its targetRef's pod, else the
    pod at its first address), else the pods its selector matches with an address of the
    family (ready as the controller writes it: a terminating pod is not, unless the Service
    publishes not-ready addresses)."""
    slices = [
        sl for sl in c.endpoint_slices if sl.namespace == s.namespace and sl.service_name == s.name
    ]
    if any(not sl.legacy for sl in slices):
        slices = [sl for sl in slices if not sl.legacy]
    if slices:
        found = set()
        for sl in slices:
            for e in sl.endpoints:
                if sl.address_type != f"IPv{family}" or not e.addresses or not e.ready:
                    continue
                ip = e.addresses[0]
                pod = c.pod_by_ref.get(e.target_pod or "") or next(
                    (p for p in c.pods if ip in p.ips), None
                )
                if pod is not None:
                    found.add(pod.ref)
        return found
    if not s.selector or s.type == "ExternalName":
        return set()
    return {
        p.ref
        for p in c.live_pods
        if p.namespace == s.namespace
        and all(p.labels.get(k) == v for k, v in s.selector.items())
        and _fam_ip(c, p, family) is not None
        and (s.publish_not_ready_addresses or (p.ready and not p.terminating))
    }


def _check_family_blind_shortcut(ctx: Context, report: Report, fast) -> None:
    """dual-stack-coverage skips the pairs it deems family-blind: with that shortcut off, every
    pair is a solver case over every port and allocation, so a pair it skipped wrongly shows as
    a violation there (replayed by the engine) and not here, even where no enumerated flow does."""
    from verifier.properties import dual_stack

    dual_stack.FAMILY_BLIND_SHORTCUT = False
    try:
        full = _run_property(ctx, report, "dual-stack-coverage")
    finally:
        dual_stack.FAMILY_BLIND_SHORTCUT = True
    if full is None:
        return
    if fast.status.value == "holds" and full.status.value == "violated":
        report.mismatches.append(
            Mismatch(
                f"false HOLDS: dual-stack-coverage (family-blind shortcut){ctx.suffix}",
                f"{ctx.header()}\n{_answer(fast)}\n  but without the shortcut:\n{_answer(full)}",
            )
        )


# --------------------------------------------------------------------------- diff


def _workload(p: Pod) -> str:
    try:
        from verifier.diff import workload

        return workload(p)
    except Exception:  # noqa: BLE001 - the rewrite may move it; the meaning is fixed
        return f"{p.namespace}/{p.owner}" if p.owner else p.ref


def _contains(ports, port: int, protocol: str) -> bool:
    try:
        return bool(ports.contains(port, protocol))
    except Exception:  # noqa: BLE001
        return True


def _covers(change, ip) -> bool:
    """Do the change's ``addresses`` (networks, or ipBlocks with excepts) hold ``ip``?"""
    for a in getattr(change, "addresses", None) or ():
        cidr = getattr(a, "cidr", a)
        excepts = getattr(a, "except_", ())
        if ip.version == cidr.version and ip in cidr and not any(ip in e for e in excepts):
            return True
    return False


def _ends(c: Cluster, f: F.Flow, b: F.Branch) -> tuple[set[str], set[str], str, bool]:
    """(source labels, destination labels, category, soft) as ``diff`` may name the two ends: a
    pod's workload, ``outside``, or for a node ``node/NAME`` (or the workload of a hostNetwork pod
    on it). Node clients are soft: the brief asks ``diff`` for pods and outside hosts."""
    s = f.source
    if s.kind == "pod":
        src = {_workload(c.pod_by_ref[s.ref])}
    elif s.kind == "outside":
        src = {"outside"}
    else:
        src = {f"node/{s.ref}"} | {
            _workload(p) for p in c.live_pods if p.host_network and p.node_name == s.ref
        }
    pod = c.pod_by_ref.get(b.pod) if b.pod else None
    node = None
    if pod is not None and pod.host_network:
        node = pod.node_name
    elif pod is None and b.ip in c.node_by_ip:
        node = c.node_by_ip[b.ip].name
    if pod is not None:
        dst = {_workload(pod)}
    elif node is not None:
        dst = set()
    elif b.ip is not None and b.ip not in c.pod_by_ip:
        dst = {"outside"}
    else:
        dst = set()
    if node is not None:
        dst |= {f"node/{node}"} | {
            _workload(p) for p in c.live_pods if p.host_network and p.node_name == node
        }
    if "outside" in src or "outside" in dst:
        category = "outside host"
    elif node is not None or s.kind == "node":
        category = "node"
    elif pod is not None and f.target in _addresses(c, pod):
        category = "pod-to-pod"
    else:
        category = "through a Service or hostPort"
    return src, dst, category, s.kind == "node"


def _addresses(c: Cluster, p: Pod):
    return tuple(a for a in (_fam_ip(c, p, 4), _fam_ip(c, p, 6)) if a is not None)


def _branch_key(b: F.Branch):
    """A path: the backend (pod, or delivered address), the port it receives the packet on and
    the node that translated it. A Service's targetPort edited sends the same client port to
    another backend port: the old path closes, a new one opens (as ``diff`` lists them)."""
    return (b.pod or ("addr", b.ip), b.node, b.port)


def _check_matrix(ctx: Context, report: Report) -> None:
    """The matrix (composed per class from rows and columns) against the enumeration: for every
    pod client, pod and enumerated port, the cell holds the port iff the engine delivers the
    packet, untranslated, to that pod's own address and port. A hostNetwork pod's address is its
    node's, and it is reached by a delivery to its node's host network; a NodePort or hostPort
    there is a translation, not the pod."""
    from verifier.matrix import matrix

    c = ctx.c
    for family in c.families:
        try:
            m = matrix(c, family=family)
        except Exception:  # noqa: BLE001
            report.mismatches.append(
                Mismatch("crash: matrix raised", f"{ctx.header()}\n{traceback.format_exc()}")
            )
            return
        listed = set(m.pods)
        at = {}
        for p in c.live_pods:
            ip = _fam_ip(c, p, family)
            if p.ref in listed and ip is not None:
                at.setdefault(ip, []).append(p)
        for f in ctx.table.flows:
            if f.source.kind != "pod" or f.source.ref not in listed:
                continue
            direct = [b for b in f.allowed if b.ip == f.target and b.port == f.port]
            holders = at.get(f.target, ())
            if sum(1 for d in holders if not d.host_network) > 1:
                continue  # two pods on one address (unique-pod-ips' finding): which one answers is the engine's pick
            for d in holders:
                if d.host_network:
                    node = c.node_by_name.get(d.node_name or "")
                    reached = any(
                        (b.pod is None and node is not None and b.ip in node.ips)
                        or (
                            b.pod is not None
                            and c.pod_by_ref[b.pod].host_network
                            and c.pod_by_ref[b.pod].node_name == d.node_name
                        )
                        for b in direct
                    )
                else:
                    reached = any(b.pod == d.ref for b in direct)
                cell = m.allowed(f.source.ref, d.ref)
                says = bool(cell.contains(f.port, f.protocol))
                if says != reached:
                    report.mismatches.append(
                        Mismatch(
                            f"matrix {'allows' if says else 'denies'} what the engine "
                            f"{'denies' if says else 'delivers'}"
                            f"{' (hostNetwork destination)' if d.host_network else ''}",
                            f"{ctx.header()}\n  matrix IPv{family} {f.source.ref} -> {d.ref}: "
                            f"{cell}\n{_flow_text(c, f)}",
                        )
                    )
                    return


def _check_diff(ctx: Context, report: Report) -> None:
    from verifier.diff import diff

    for label, new in ctx.sc.mutations:
        start = time.perf_counter()
        try:
            d = diff(ctx.c, new, timeout=TIMEOUT)
        except Exception as e:  # noqa: BLE001
            report.seconds["diff"] = report.seconds.get("diff", 0) + time.perf_counter() - start
            if isinstance(e, InputError) and inadmissible_pods(ctx.c):
                continue
            report.mismatches.append(
                Mismatch(
                    f"crash: {type(e).__name__} in diff{ctx.suffix}",
                    f"{ctx.header()}\n  mutation: {label}\n  {traceback.format_exc(limit=8)}",
                )
            )
            continue
        report.seconds["diff"] = report.seconds.get("diff", 0) + time.perf_counter() - start
        answer = (
            "\n".join(
                f"    {c.change} {c.source} -> {c.destination} ports {c.ports}"
                + (
                    f" addresses {[str(a) for a in c.addresses]}"
                    if getattr(c, "addresses", None)
                    else ""
                )
                for c in d.changes
            )
            or "    no flow changes"
        )
        head = f"{ctx.header()}\n  mutation: {label}\n  netverify diff ({d.status}):\n{answer}"
        _diff_examples(ctx, report, new, d, head)
        if not str(d.status).startswith("complete"):
            continue
        if label == "no change":
            # The same state written differently: nothing may change (a listed change fails its example above).
            continue
        start = time.perf_counter()
        affected = _affected(ctx.c, new)
        focus = None
        if affected is not None:
            fixed = {
                ip
                for p in new.live_pods
                if not p.host_network and p.ref not in affected
                for ip in p.ips
            }
            fixed |= {t for t in ctx.targets if F.is_outside(new, t)}

            def focus(s, target, port, proto, affected=affected, fixed=fixed):
                # A flow between pods no changed policy selects keeps its verdict (and is taken from before).
                return (s.kind == "pod" and s.ref in affected) or target not in fixed

        table_new = F.enumerate_flows(
            new,
            F.sources(new, ctx.outside),
            F.targets(new, ctx.outside),
            ctx.ports,
            focus=focus,
        )
        report.seconds["diff enumeration"] = (
            report.seconds.get("diff enumeration", 0) + time.perf_counter() - start
        )
        ctx.flow_count += len(table_new.flows)
        for cr in table_new.crashes[:1]:
            report.mismatches.append(
                Mismatch(
                    "crash: trace raised",
                    f"{ctx.header()}\n  mutation: {label}\n  {cr.flow}: {cr.error}",
                )
            )
        seen_kinds: set = set()
        for fn in table_new.flows:
            fo = ctx.table.get(
                fn.source, fn.target, fn.port, fn.protocol
            )  # flows outside the focus are the same
            if fo is None:
                continue
            old_keys = {_branch_key(b): b for b in fo.allowed}
            new_keys = {_branch_key(b): b for b in fn.allowed}
            for change, keys, other, f, cl in (
                ("allowed", new_keys, old_keys, fn, new),
                ("denied", old_keys, new_keys, fo, ctx.c),
            ):
                for key, b in keys.items():
                    if key in other:
                        continue
                    src, dst, category, soft = _ends(cl, f, b)
                    if not dst or src == dst == {"outside"}:
                        # (an outside host to an outside address never enters the cluster: a
                        # Service port gone from a LoadBalancer IP leaves the address to the outside)
                        continue
                    outside_ip = (
                        f.source.given
                        if f.source.kind == "outside"
                        else (b.ip if "outside" in dst else None)
                    )
                    covered = any(
                        c.change == change
                        and c.source in src
                        and c.destination in dst
                        and (
                            _contains(c.ports, f.port, f.protocol)
                            or (b.port is not None and _contains(c.ports, b.port, f.protocol))
                        )
                        and (outside_ip is None or _covers(c, outside_ip))
                        for c in d.changes
                    )
                    if covered or (category, change) in seen_kinds:
                        continue
                    seen_kinds.add((category, change))
                    report.mismatches.append(
                        Mismatch(
                            f"diff omission: newly {change} ({category}{', node client' if soft else ''}){ctx.suffix}",
                            f"{head}\n  but newly {change}: {' or '.join(sorted(src))} -> {' or '.join(sorted(dst))} "
                            f"{f.port}/{f.protocol} (backend port {b.port})\n"
                            f"  before:\n{_flow_text(ctx.c, fo)}\n  after:\n{_flow_text(new, fn)}",
                            soft,
                        )
                    )


def _affected(old: Cluster, new: Cluster) -> set[str] | None:
    """The pods a change of NetworkPolicies or AdminNetworkPolicies can affect: those the changed
    policies select (podSelector, subject), in either state. None when something else changed."""
    if (
        old.pods,
        old.services,
        old.nodes,
        old.calico_policies,
        old.tiers,
        old.config,
        old.endpoint_slices,
    ) != (
        new.pods,
        new.services,
        new.nodes,
        new.calico_policies,
        new.tiers,
        new.config,
        new.endpoint_slices,
    ):
        return None
    changed = set(old.policies) ^ set(new.policies)
    admin = set(old.admin_policies) ^ set(new.admin_policies)
    out: set[str] = set()
    for p in new.live_pods:
        if p.host_network:
            continue  # no selector selects a hostNetwork pod
        for pol in changed:
            if pol.namespace == p.namespace and _selects(pol.pod_selector, p.labels):
                out.add(p.ref)
        for a in admin:
            ns = _ns_labels(new, p.namespace)
            if a.subject_namespaces is not None:
                if _selects(a.subject_namespaces, ns):
                    out.add(p.ref)
            elif a.subject_pods is not None and a.subject_pod_namespaces is not None:
                if _selects(a.subject_pod_namespaces, ns) and _selects(a.subject_pods, p.labels):
                    out.add(p.ref)
            else:
                return None
    return out


def _diff_examples(ctx: Context, report: Report, new: Cluster, d, head: str) -> None:
    """Every change netverify lists: the connection its traces show (re-traced on both states, with
    the example's addresses for allocated pods) reaches the destination after and not before
    (newly allowed), or the other way round."""
    for ch in d.changes:
        ex = ch.example
        src_ref, dst_ref = ch.example_pods
        alloc = {}
        for ref, ip in (
            (src_ref, getattr(ex, "src_ip", None)),
            (dst_ref, getattr(ex, "dst_ip", None)),
        ):
            p = ctx.c.pod_by_ref.get(ref)
            if p is not None and p.ip_allocated and ip is not None and ip not in p.ips:
                alloc[ref] = ", ".join(str(ip if a.version == ip.version else a) for a in p.ips)
        verdicts = []
        for cl, t in ((ctx.c, ch.old_trace), (new, ch.new_trace)):
            c2 = apply_allocation(cl, alloc)
            f, t2, err = retrace(c2, t)
            if err:
                report.mismatches.append(
                    Mismatch(
                        "crash: re-tracing a diff example",
                        f"{head}\n  {ch.change} {src_ref} -> {dst_ref} {ex} ({t.summary}): {err}",
                    )
                )
                verdicts = None
                break
            verdicts.append((_reached(c2, f, dst_ref, ch.destination), t2))
        if verdicts is None:
            continue
        (before, t_old), (after, t_new) = verdicts
        changed = (after - before) if ch.change == "allowed" else (before - after)
        if not changed:
            report.mismatches.append(
                Mismatch(
                    f"diff bogus change: its example does not change verdict{ctx.suffix}",
                    f"{head}\n  {ch.change} {ch.source} -> {ch.destination}: example {src_ref} -> {dst_ref} {ex}{_where(alloc)}\n"
                    f"  before:\n{F.render(t_old)}\n  after:\n{F.render(t_new)}",
                )
            )


def _reached(c: Cluster, f: F.Flow, dst_ref: str, label: str) -> set:
    """The paths (:func:`_branch_key`) of ``f`` that deliver to the example's destination (a pod, a
    node, outside): a change is real when some path opens or closes."""
    dst = c.pod_by_ref.get(dst_ref)
    out = set()
    for b in f.allowed:
        if dst is not None:
            hit = b.pod == dst_ref or (b.pod is None and b.ip in _addresses(c, dst))
        elif label.startswith("node/") or dst_ref.startswith("node/"):
            n = c.node_by_name.get((dst_ref if dst_ref.startswith("node/") else label)[5:])
            hit = n is not None and b.pod is None and b.ip in n.ips
        else:
            hit = b.pod is None and b.ip not in c.node_by_ip and b.ip not in c.pod_by_ip
        if hit:
            out.add(_branch_key(b))
    return out


# --------------------------------------------------------------------------- the whole scenario


def judge(sc: Scenario, *, alternatives: int = ALTERNATIVES, diff: bool = True) -> Report:
    report = Report(sc.seed)
    start = time.perf_counter()
    ctx = Context(sc)
    report.seconds["enumeration"] = time.perf_counter() - start
    for cr in ctx.table.crashes[:3]:
        report.mismatches.append(
            Mismatch("crash: trace raised", f"{ctx.header()}\n  {cr.flow}: {cr.error}")
        )
    start = time.perf_counter()
    ctx.add_alternatives(alternatives)
    report.seconds["alternatives"] = time.perf_counter() - start
    for _c, labels, table in ctx.alternatives:
        for cr in table.crashes[:1]:
            report.mismatches.append(
                Mismatch(
                    "crash: trace raised", f"{ctx.header(_where(labels))}\n  {cr.flow}: {cr.error}"
                )
            )
    _check_unique(ctx, report)
    _check_nat_free(ctx, report)
    _check_isolation(ctx, report)
    _check_dual_stack(ctx, report)
    _check_infrastructure(ctx, report)
    _run_property(ctx, report, "service-resolution")  # no oracle: only a crash is a finding
    check_dns_resolution(ctx, report)
    _check_invariants(ctx, report)
    _check_matrix(ctx, report)
    if diff:
        _check_diff(ctx, report)
    report.flows = ctx.flow_count
    F.STATS["clusters"] += 1
    return report
