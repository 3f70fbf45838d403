"""One semantics, three interpreters: on generated clusters, every packet gets one answer.

For random small clusters (:mod:`tests.strategies`) and random packets from a
pod to another pod's own address (or to an address no pod holds), the verdict
of the direct path is the same in

* the concrete engine: ``verifier.engine.trace(...).reachable``;
* the Z3 encoding, built by ``Encoder.allowed`` over the direct journey path:
  - with a fully symbolic packet, closed by substituting the packet's fields
    and every allocated address (the closed term must simplify to a literal);
  - with the packet's fields as constants, decided by the solver under the
    encoder's allocation constraints: exactly one of "allowed" and "denied" is
    satisfiable;
* the port-set algebra: ``verifier.matrix.matrix(...).allowed(src, dst)`` (per
  equivalence class) for pod destinations, ``flow`` with the
  ``PortSetAlgebra`` for other destinations.

Pod-to-pod packets are probed in every family the two pods share. The Z3
formula and the port set are also compared on *every* port and protocol at once
(the solver looks for a packet where they differ; the engine then replays it).

Allocated addresses are unknowns in Z3. The engine and the port sets work on a
concrete cluster: the loader's (``ip_allocated`` pods keep the IP the loader
chose), or, in :func:`test_agreement_for_other_allocations`, the cluster with
the allocated pods moved elsewhere in their ranges (:func:`verifier.symbolic.encoder.instantiate`,
as the replay of a counterexample does); Z3's unknowns are pinned to the same
addresses, so all sides judge the same packet.

Packets to Service frontends and hostPorts are compared per backend (and
translating node) between the engine's branches and the Z3 evaluation of the
journey's translated paths (:func:`verifier.semantics.journey.translated_paths`).

A falsifying example prints the cluster, one object per line, and the packets.
"""

from __future__ import annotations

from dataclasses import replace

import z3
from hypothesis import HealthCheck, given, settings

from tests.engine.support import render
from tests.strategies import Probe, Scenario, address, examples, scenarios
from verifier.engine import trace
from verifier.matrix import Matrix, matrix
from verifier.semantics import journey
from verifier.semantics.addressing import endpoint_for_ip, endpoint_of_pod
from verifier.semantics.algebra import Packet
from verifier.semantics.endpoint import ExternalEndpoint
from verifier.semantics.journey import Path
from verifier.semantics.pipeline import Client
from verifier.semantics.portset import ANY_PORT, ANY_PROTOCOL, PortSet, PortSetAlgebra
from verifier.symbolic.algebra import PROTOCOL_CODES, width
from verifier.symbolic.encoder import Encoder, instantiate
from verifier.symbolic.solver import Status

SETTINGS = settings(
    max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _bv(ip, family: int) -> z3.BitVecNumRef:
    return z3.BitVecVal(int(ip), width(family))


def _port_and_protocol(packet: Packet, port: int, protocol: str) -> list[tuple]:
    return [
        (packet.dst_port, z3.BitVecVal(port, 16)),
        (packet.protocol, z3.BitVecVal(PROTOCOL_CODES[protocol], 2)),
    ]


def _literal(term, what: str) -> bool:
    closed = z3.simplify(term if not isinstance(term, bool) else z3.BoolVal(term))
    assert z3.is_true(closed) or z3.is_false(closed), (
        f"{what}: unknowns left besides the packet and the allocation: {closed}"
    )
    return z3.is_true(closed)


def _as_z3(cell: PortSet, port, protocol):
    """The port set as a formula over the packet's port and protocol."""
    return z3.Or(
        *(
            z3.And(
                protocol == PROTOCOL_CODES[name],
                z3.Or(*(z3.And(z3.UGE(port, lo), z3.ULE(port, hi)) for lo, hi in ranges)),
            )
            for name, ranges in cell.items()
        )
    )


class Interpreters:
    """The three interpreters on one scenario.

    ``model`` is the cluster as loaded (the encoder's view: allocated addresses
    are unknowns); ``world`` is the concrete cluster the engine and the port
    sets see, with the scenario's allocation filled in.
    """

    def __init__(self, scenario: Scenario):
        self.model = scenario.cluster
        self.world = instantiate(self.model, scenario.allocation)
        self._encoders: dict[int, Encoder] = {}
        self._matrices: dict[int, Matrix] = {}

    def encoder(self, family: int) -> Encoder:
        if family not in self._encoders:
            self._encoders[family] = Encoder(self.model, family)
        return self._encoders[family]

    def pins(self, family: int) -> list[tuple]:
        """Every allocated address of ``family``, pinned to where the world has it."""
        enc = self.encoder(family)
        return [
            (var, _bv(self.world.pod_by_ref[ref].ip(fam), fam))
            for (ref, fam), var in enc.allocated.items()
        ]

    def client(self, probe: Probe) -> Client:
        if not isinstance(probe.source, str):
            # An outside host, as the invariants encode one: its address is the packet's source.
            return Client("outside host", ExternalEndpoint(None), None, ())
        return Client.of_pod(self.model, self.model.pod_by_ref[probe.source])

    def source_ip(self, probe: Probe):
        if not isinstance(probe.source, str):
            return probe.source
        return address(self.world, self.world.pod_by_ref[probe.source], probe.family)

    def target(self, probe: Probe):
        """(destination address in the world, destination endpoint as the encoder's callers build it)."""
        if isinstance(probe.target, str):
            ip = address(self.world, self.world.pod_by_ref[probe.target], probe.family)
            return ip, endpoint_of_pod(self.model, self.model.pod_by_ref[probe.target])
        return probe.target, endpoint_for_ip(self.world, probe.target)

    # ----- the engine

    def engine(self, probe: Probe):
        ip, _ = self.target(probe)
        t = trace(self.world, probe.source, ip, probe.port, probe.protocol)
        assert len(t.branches) <= 1, f"{probe}: a direct path has one branch:\n{render(t)}"
        return t.reachable, t

    # ----- Z3

    def z3_formula(self, probe: Probe) -> tuple[object, Packet]:
        """The symbolic packet's formula with all but its port and protocol substituted."""
        enc = self.encoder(probe.family)
        ip, destination = self.target(probe)
        packet = enc.packet("probe")
        if not isinstance(probe.target, str):
            # Outside destinations are constants wherever the product asks (who owns an
            # address decides its route, which a symbolic address cannot say).
            packet = packet.with_(dst_ip=ip)
        term = self.direct(enc, probe, destination, packet)
        if isinstance(term, bool):
            return z3.BoolVal(term), packet
        pins = [(packet.src_ip, _bv(self.source_ip(probe), probe.family)), *self.pins(probe.family)]
        if isinstance(probe.target, str):
            pins.append((packet.dst_ip, _bv(ip, probe.family)))
        return z3.substitute(term, *pins), packet

    def direct(self, enc: Encoder, probe: Probe, destination, packet: Packet):
        """The direct path's term as the properties build it: no entry is hit, and the journey allows."""
        client = self.client(probe)
        guard = journey.direct_guard(enc.alg, self.model, client, packet)
        return enc.alg.and_(guard, enc.allowed(client, Path(destination, None, None), packet))

    def z3_symbolic(self, probe: Probe) -> bool:
        term, packet = self.z3_formula(probe)
        return _literal(
            z3.substitute(term, *_port_and_protocol(packet, probe.port, probe.protocol)), str(probe)
        )

    def z3_constant(self, probe: Probe) -> bool:
        """The formula for the concrete packet, decided by the solver with the allocation pinned."""
        enc = self.encoder(probe.family)
        ip, destination = self.target(probe)
        packet = Packet(probe.family, self.source_ip(probe), ip, probe.port, probe.protocol)
        term = self.direct(enc, probe, destination, packet)
        solver = enc.solver(timeout=10)
        solver.add(*(var == value for var, value in self.pins(probe.family)))
        allowed = solver.check(term).status
        denied = solver.check(z3.Not(term) if not isinstance(term, bool) else not term).status
        assert {allowed, denied} == {Status.SAT, Status.UNSAT}, (
            f"{probe}: with the allocation pinned the verdict must be determined, got allowed={allowed.name} "
            f"denied={denied.name} (both UNSAT: the allocation breaks the encoder's allocation constraints)"
        )
        return allowed is Status.SAT

    def z3_differs_from_port_set(self, probe: Probe) -> Probe | None:
        """A packet between the probe's two ends where the Z3 formula and the port set disagree, if any."""
        term, packet = self.z3_formula(probe)
        port, proto = packet.dst_port, packet.protocol
        solver = z3.Solver()
        solver.add(
            port != 0,
            z3.ULE(proto, len(PROTOCOL_CODES) - 1),
            z3.Xor(term, _as_z3(self.port_set_cell(probe), port, proto)),
        )
        if solver.check() != z3.sat:
            return None
        model = solver.model()
        code = model.eval(proto, model_completion=True).as_long()
        name = next(n for n, c in PROTOCOL_CODES.items() if c == code)
        return replace(probe, port=model.eval(port, model_completion=True).as_long(), protocol=name)

    # ----- the port-set algebra

    def port_set_cell(self, probe: Probe) -> PortSet:
        """Every (port, protocol) the port-set algebra allows between the probe's two ends."""
        if isinstance(probe.target, str):
            if probe.family not in self._matrices:
                self._matrices[probe.family] = matrix(self.world, family=probe.family)
            return self._matrices[probe.family].allowed(probe.source, probe.target)
        alg = PortSetAlgebra()
        client = Client.of_pod(self.world, self.world.pod_by_ref[probe.source])
        packet = Packet(probe.family, self.source_ip(probe), probe.target, ANY_PORT, ANY_PROTOCOL)
        path = Path(endpoint_for_ip(self.world, probe.target), probe.target, None)
        guard = journey.direct_guard(alg, self.world, client, packet)
        return alg.and_(guard, journey.evaluate(alg, self.world, client, path, packet).allowed(alg))

    def port_set(self, probe: Probe) -> bool:
        return self.port_set_cell(probe).contains(probe.port, probe.protocol)


def _agree_on(interpreters: Interpreters, probe: Probe) -> None:
    engine, t = interpreters.engine(probe)
    verdicts = {
        "Z3, symbolic packet": interpreters.z3_symbolic(probe),
        "Z3, constant packet": interpreters.z3_constant(probe),
        "port-set algebra": interpreters.port_set(probe),
    }
    assert all(v == engine for v in verdicts.values()), (
        f"interpreters disagree on {probe}: the engine says {t.verdict}, "
        + ", ".join(f"{name} says {'allowed' if v else 'denied'}" for name, v in verdicts.items())
        + f"\nengine trace:\n{render(t)}"
    )


def _shared_families(interpreters: Interpreters, probe: Probe) -> list[Probe]:
    """The probe in every family both ends have (outside addresses have one)."""
    if not isinstance(probe.target, str):
        return [probe]
    w = interpreters.world
    src, dst = w.pod_by_ref[probe.source], w.pod_by_ref[probe.target]
    return [
        replace(probe, family=f)
        for f in (4, 6)
        if address(w, src, f) is not None and address(w, dst, f) is not None
    ]


def check_agreement(scenario: Scenario) -> None:
    interpreters = Interpreters(scenario)
    for drawn in scenario.probes:
        for probe in _shared_families(interpreters, drawn):
            _agree_on(interpreters, probe)
            # Z3 and the port set each describe every port and protocol between the two ends:
            # where they differ, the engine replays that packet too, naming the culprit.
            other = interpreters.z3_differs_from_port_set(probe)
            if other is not None:
                _agree_on(interpreters, other)
                raise AssertionError(
                    f"Z3 and the port set disagree on {other}; the engine agrees with both?"
                )


@SETTINGS
@given(scenarios(probes_per_cluster=3))
def test_engine_z3_and_port_sets_agree_on_direct_packets(scenario):
    check_agreement(scenario)


@SETTINGS
@given(scenarios(probes_per_cluster=2, outside=False))
def test_agreement_between_pods(scenario):
    """Pod to pod only: where classes, allocation and policy selectors all matter."""
    check_agreement(scenario)


@settings(SETTINGS, max_examples=examples(200))
@given(scenarios(probes_per_cluster=2, reallocate=True))
def test_agreement_for_other_allocations(scenario):
    """A proof covers every allocation: the encoder agrees with the engine wherever the allocated pods are."""
    check_agreement(scenario)


# --------------------------------------------------------------------------- translated paths


def _translated_verdicts(interpreters: Interpreters, probe: Probe) -> dict[tuple, bool]:
    """Z3's verdict per (translating node, backend ``ip``, port) for a packet to a Service frontend or hostPort.

    Each journey path through the probe's entry is evaluated in Z3 on the
    post-DNAT packet (client address -> backend address and port), with the
    allocation pinned.
    """
    model, family = interpreters.model, probe.family
    enc = interpreters.encoder(family)
    client = interpreters.client(probe)
    out: dict[tuple, bool] = {}
    for path in journey.translated_paths(model, client, family):
        e = path.entry
        if (e.ip, e.port, e.protocol) != (probe.target, probe.port, probe.protocol):
            continue
        packet = enc.packet("probe")
        term = enc.allowed(client, path, packet)
        pod = path.backend_pod
        backend_ip = (
            address(interpreters.world, interpreters.world.pod_by_ref[pod.ref], family)
            if pod is not None
            else path.dst_ip
        )
        if not isinstance(term, bool):
            pins = [
                (packet.src_ip, _bv(interpreters.source_ip(probe), family)),
                (packet.dst_ip, _bv(backend_ip, family)),
                *_port_and_protocol(packet, path.dst_port, probe.protocol),
                *interpreters.pins(family),
            ]
            term = z3.substitute(term, *pins)
        node = path.dnat_node.name if path.dnat_node else None
        key = (node, backend_ip, path.dst_port)
        out[key] = out.get(key, False) or _literal(term, f"{probe} {path.describe()}")
    return out


def check_translated_agreement(scenario: Scenario) -> None:
    interpreters = Interpreters(scenario)
    for probe in scenario.probes:
        t = trace(interpreters.world, probe.source, probe.target, probe.port, probe.protocol)
        # A branch still addressed to the frontend was stopped before the DNAT (the client's
        # egress to another node's address): it denies every backend at once.
        before_dnat = [b for b in t.branches if (b.ip, b.port) == (probe.target, probe.port)]
        engine: dict[tuple, bool] = {}
        for b in t.branches:
            if b not in before_dnat and b.verdict.value != "NO_ENDPOINTS":
                key = (b.node, b.ip, b.port)
                engine[key] = engine.get(key, False) or b.reachable
        z3_side = _translated_verdicts(interpreters, probe)
        if before_dnat:
            assert not any(b.reachable for b in before_dnat) and not engine, render(t)
            engine = dict.fromkeys(z3_side, False)

        def show(verdicts: dict) -> str:
            items = sorted(verdicts.items(), key=str)
            return (
                ", ".join(
                    f"{ip}:{port} via {node} {'allowed' if ok else 'denied'}"
                    for (node, ip, port), ok in items
                )
                or "no backend"
            )

        assert engine == z3_side, (
            f"engine and Z3 disagree on {probe}: the engine says {show(engine)} ({t.verdict}), "
            f"Z3's paths say {show(z3_side)}\nengine trace:\n{render(t)}"
        )


@settings(
    SETTINGS,
    max_examples=examples(150),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(scenarios(probes_per_cluster=2, dnat=True))
def test_engine_and_z3_agree_through_services_and_host_ports(scenario):
    """Per backend, the engine's branch and the encoder's path for that frontend give one verdict."""
    check_translated_agreement(scenario)
