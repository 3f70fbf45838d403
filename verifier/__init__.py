"""netverify: prove that a Kubernetes cluster keeps the Kubernetes network model's promises."""

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
