"""Replay a Z3 counterexample through the concrete engine, and insist that they agree.

A counterexample is only shown after the engine, fed the same packet (and the
same allocated addresses), reaches the same verdict. A disagreement is a bug in
netverify: :class:`~verifier.errors.SoundnessError`, never a result.
"""

from __future__ import annotations

from .engine import trace
from .errors import SoundnessError
from .model import IP, Cluster, Pod
from .trace import Trace

__all__ = ["replay_connection", "branch_for"]


def branch_for(t: Trace, backend: str | None):
    """The branch of ``t`` that goes to the backend pod ``backend`` (or the only branch)."""
    if backend is None:
        return t.decisive_branch
    return next((b for b in t.branches if b.pod == backend), None)


def replay_connection(
    cluster: Cluster,
    source: Pod | str,
    target: IP | str,
    port: int,
    protocol: str,
    *,
    expect_allowed: bool,
    backend: str | None = None,
    family: int | None = None,
    what: str = "counterexample",
) -> Trace:
    """Trace ``source`` -> ``target``:``port`` and check the engine's verdict is ``expect_allowed``.

    With ``backend``, the verdict of the branch through that backend pod is the
    one compared (a Service may have several backends).
    """
    t = trace(cluster, source, target, port, protocol, family=family)
    branch = branch_for(t, backend)
    got = branch.reachable if branch is not None else t.reachable
    if got != expect_allowed:
        src = source.ref if isinstance(source, Pod) else source
        raise SoundnessError(
            f"{what}: Z3 says {src} -> {target}:{port}/{protocol}"
            + (f" (backend {backend})" if backend else "")
            + f" is {'allowed' if expect_allowed else 'denied'}, the engine says {t.verdict}"
        )
    return t
