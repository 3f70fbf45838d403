"""Hand-built ``netverify check`` results for the CI-format tests.

The results are written by hand (no solver), but their traces are real: the
concrete engine replays one connection on a two-pod cluster, so the renderers
are tested on exactly what a property module hands them::

    payments/db-0    10.244.0.5   base/db.yaml:3
    dev/toolbox      10.244.0.6   base/dev.yaml:40
    NetworkPolicy payments/allow-vpn-to-db ingress[0]  at POLICY_FILE:12  (the object at fault)

``POLICY_FILE`` has a space and a comma in its name, which SARIF must
percent-encode and GitHub annotations must escape.
"""

from __future__ import annotations

from verifier.engine import trace
from verifier.model import Cluster, Pod, Source, ip_address
from verifier.properties import CheckReport, Counterexample, Finding, PropertyResult, Status
from verifier.symbolic.encoder import ConcretePacket
from verifier.trace import Decider, Trace

__all__ = [
    "INVARIANTS_FILE",
    "POLICY_FILE",
    "real_trace",
    "result",
    "sample_report",
    "tiny_cluster",
    "violation",
]

POLICY_FILE = "change/vpn access,db.yaml"
INVARIANTS_FILE = "invariants.yaml"


def tiny_cluster() -> Cluster:
    return Cluster(
        pods=(
            Pod(
                "payments",
                "db-0",
                ips=(ip_address("10.244.0.5"),),
                source=Source("base/db.yaml", 3),
            ),
            Pod(
                "dev",
                "toolbox",
                ips=(ip_address("10.244.0.6"),),
                source=Source("base/dev.yaml", 40),
            ),
        )
    )


def real_trace() -> Trace:
    """``dev/toolbox -> payments/db-0:5432/TCP`` as the engine explains it (ALLOWED: no policy)."""
    return trace(tiny_cluster(), "dev/toolbox", "payments/db-0", 5432)


def violation(
    summary: str = "dev/toolbox reaches payments/db-0 on 5432/TCP", line: int = 12
) -> Counterexample:
    toolbox = tiny_cluster().pod_by_ref["dev/toolbox"]
    return Counterexample(
        summary=summary,
        packet=ConcretePacket(4, ip_address("10.244.0.6"), ip_address("10.244.0.5"), 5432, "TCP"),
        pods=("dev/toolbox", "payments/db-0"),
        objects=(
            Decider(
                "NetworkPolicy",
                "allow-vpn-to-db",
                "payments",
                "ingress[0]",
                Source(POLICY_FILE, line),
            ),
            Decider.of(toolbox),
        ),
        traces=(real_trace(),),
        allocation={"dev/stripe-mock": "10.244.1.9"},
    )


def result(property: str, status: Status, *, name: str | None = None, **kw) -> PropertyResult:
    """A result with a statement derived from its name, so tests can predict every string."""
    name = name or property
    return PropertyResult(property, name, status, kw.pop("statement", f"{name} statement"), **kw)


def sample_report() -> CheckReport:
    """Two properties hold (one with a finding), one is violated, one unknown; two invariants."""
    db_pod = Decider("Pod", "db-0", "payments", "status.podIPs", Source("base/db.yaml", 3))
    return CheckReport(
        (
            result(
                "unique-pod-ips",
                Status.HOLDS,
                seconds=0.12,
                findings=(
                    Finding("payments/db-0 has 10.244.0.5, outside every pod CIDR", (db_pod,)),
                ),
            ),
            result("isolation", Status.VIOLATED, counterexamples=(violation(),), seconds=1.3),
            result(
                "dns-resolution",
                Status.UNKNOWN,
                reason="IPv4: solver timeout after 60s",
                seconds=60.0,
            ),
            result(
                "invariant",
                Status.VIOLATED,
                name="dev cannot reach payments",
                counterexamples=(violation(),),
                seconds=0.4,
                source=Source(INVARIANTS_FILE, 9),
            ),
            result(
                "invariant",
                Status.HOLDS,
                name="frontend reaches the cart",
                seconds=0.05,
                source=Source(INVARIANTS_FILE, 14),
            ),
        ),
        seconds=61.9,
    )
