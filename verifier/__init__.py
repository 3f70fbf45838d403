"""netverify: prove that a Kubernetes cluster keeps the Kubernetes network model's promises.

The notebook surface::

    import verifier

    cluster = verifier.load("fixtures/demo")               # manifests, dumps, directories
    cluster.trace("shop/frontend-0", "cartservice.shop", 7070)
    cluster.check()                                         # the six properties, proven with Z3
    cluster.matrix().frame()                                # who reaches whom, as a DataFrame

and ``verifier.diff.diff(old, new)`` for what a change opens up. The work is
done in ``verifier.engine``, ``verifier.properties`` and ``verifier.matrix``,
imported on first use, so ``import verifier`` stays cheap.
"""

from .errors import InputError, Problem, SoundnessError, UsageError, VerifierError
from .ingest import load, loads
from .model import Cluster

__all__ = [
    "Cluster",
    "InputError",
    "Problem",
    "SoundnessError",
    "UsageError",
    "VerifierError",
    "load",
    "loads",
]

__version__ = "0.1.0"
