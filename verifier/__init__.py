"""netverify: prove that a Kubernetes cluster keeps the Kubernetes network model's promises.

The notebook surface::

    import verifier

    cluster = verifier.load("fixtures/demo")                      # manifests, dumps, directories
    verifier.trace(cluster, "shop/frontend-0", "cartservice.shop", 7070)
    verifier.check(cluster)                                        # the seven properties, proven with Z3
    verifier.matrix(cluster).frame()                               # who reaches whom, as a DataFrame
    verifier.diff(old, new)                                        # what a change opens up

The work is done in ``verifier.engine``, ``verifier.properties``,
``verifier.matrix`` and ``verifier.diff``, imported on first use, so ``import
verifier`` stays cheap (and the model, below them all, imports none of them).
"""

from .errors import InputError, Problem, SoundnessError, UsageError, VerifierError
from .ingest import load, loads
from .model import Cluster

__all__ = [
    "Cluster",
    "check",
    "diff",
    "matrix",
    "trace",
    "InputError",
    "Problem",
    "SoundnessError",
    "UsageError",
    "VerifierError",
    "load",
    "loads",
]

__version__ = "0.1.0"


def trace(cluster, source, destination, port=None, protocol="TCP", **kwargs):
    """:func:`verifier.engine.trace`: replay one connection and explain it."""
    from .engine import trace as run

    return run(cluster, source, destination, port, protocol, **kwargs)


def check(cluster, properties=None, invariants=(), **kwargs):
    """:func:`verifier.properties.check`: prove the properties and invariants (mappings accepted).

    >>> check(Cluster(), properties=[]).status.value
    'holds'
    """
    from .properties import check as run

    return run(cluster, properties, invariants, **kwargs)


def matrix(cluster, namespaces=None, **kwargs):
    """:func:`verifier.matrix.matrix`: who reaches whom."""
    from .matrix import matrix as run

    return run(cluster, namespaces, **kwargs)


def diff(old, new, **kwargs):
    """:func:`verifier.diff.diff`: the flows a change newly allows and newly denies."""
    from .diff import diff as run

    return run(old, new, **kwargs)
