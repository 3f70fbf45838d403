"""Issue 7 item 3: background constraints that cannot be met are an input error, never a proof.

A pod whose address netverify allocates (``ip_allocated``) but whose node offers
no admissible address makes the allocation constraints unsatisfiable; any query
under them is UNSAT, so every property "HOLDS" -- including unique-pod-ips on a
cluster where y/dup1 and y/dup2 share 10.244.2.5, and an invariant that the
unpoliced cluster obviously breaks.

The loader never builds such a pod (it leaves a pod without a free address
without IP, with a warning), so the clusters are built directly, as a notebook
or an embedding tool may. Two ways to run out of addresses:

* ``full``: x/c is on n3, whose podCIDR 10.244.3.0/30 has two usable addresses,
  both held by running pods;
* ``no-range``: x/c is on n3, which has no podCIDR, no IP pool and no cluster pod CIDR.

Correct: an InputError naming x/c (exit 2 from the CLI).
Observed on the code the issue was filed against: every property and the
invariant HOLD, ``netverify check`` exits 0.
Fixed by 08cd08b ("One driver, one journey for every property"): the tests
fail on d7fb6f3 and pass since, so they carry no xfail marker.
"""

from __future__ import annotations

import pytest

import verifier.cli
from tests.builders import cluster, node, pod
from verifier.errors import InputError
from verifier.model import Cluster
from verifier.properties import PROPERTIES

from .support import N1, N2, TIMEOUT, netverify

#: y/dup1 never reaches x/a: false (no policy at all), so it must never HOLD.
FALSE_INVARIANT = {
    "name": "dup1 never reaches a",
    "isolated": {"from": {"pods": {"app": "dup1"}}, "to": {"pods": {"app": "a"}}},
}


def vacuous(variant: str) -> Cluster:
    if variant == "full":
        n3 = node("n3", "192.168.0.3", pod_cidr="10.244.3.0/30")
        neighbours = [
            pod("x/a3", ip="10.244.3.1", node="n3"),
            pod("x/b3", ip="10.244.3.2", node="n3"),
        ]
        config = {}
    else:
        n3 = node("n3", "192.168.0.3")
        neighbours = []
        config = {"pod_cidrs": []}
    return cluster(
        N1,
        N2,
        n3,
        pod("x/a", ip="10.244.1.10", node="n1"),
        pod("y/dup1", ip="10.244.2.5", node="n2"),
        pod("y/dup2", ip="10.244.2.5", node="n2"),
        # The address is a placeholder: ip_allocated says netverify chose it, so any
        # address of n3's ranges must be considered -- and there is none.
        pod("x/c", ip="10.244.3.1", node="n3", ip_allocated=True),
        *neighbours,
        **config,
    )


VARIANTS = pytest.mark.parametrize("variant", ["full", "no-range"])


@VARIANTS
def test_unique_pod_ips_is_an_input_error_naming_the_pod(variant):
    with pytest.raises(InputError, match="x/c"):
        PROPERTIES["unique-pod-ips"].check(vacuous(variant), timeout=TIMEOUT)


@VARIANTS
def test_a_false_invariant_is_an_input_error_naming_the_pod(variant):
    with pytest.raises(InputError, match="x/c"):
        verifier.check(
            vacuous(variant), properties=[], invariants=[FALSE_INVARIANT], timeout=TIMEOUT
        )


@VARIANTS
def test_check_of_everything_is_an_input_error_naming_the_pod(variant):
    with pytest.raises(InputError, match="x/c"):
        verifier.check(vacuous(variant), invariants=[FALSE_INVARIANT], timeout=TIMEOUT)


@VARIANTS
def test_cli_check_exits_2_naming_the_pod(monkeypatch, capsys, variant):
    monkeypatch.setattr(verifier.cli, "load_cluster", lambda filenames, **_kw: vacuous(variant))
    run = netverify(capsys, "check", "-f", "cluster/")
    assert run.code == 2, run.out + run.err
    assert "x/c" in run.err
