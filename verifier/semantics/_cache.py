"""Memoisation per :class:`~verifier.model.Cluster` object.

The model is frozen, so anything derived from a cluster (a Service's endpoints,
the frontend index, the DNS zone) can be computed once per cluster object.
``Cluster`` hashes all of its fields, which is slow for big clusters and not
what we mean anyway (two equal clusters loaded twice are two objects), so the
cache is keyed by identity and dropped when the cluster is garbage-collected.

>>> from verifier.model import Cluster
>>> calls = []
>>> @per_cluster
... def pods(cluster):
...     calls.append(1)
...     return len(cluster.pods)
>>> c = Cluster()
>>> pods(c), pods(c), len(calls)
(0, 0, 1)
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["per_cluster"]

F = TypeVar("F", bound=Callable[..., Any])


def per_cluster(fn: F) -> F:
    """Memoise ``fn(cluster, *args)`` per cluster object; ``args`` must be hashable and positional."""
    store: dict[int, tuple[weakref.ref, dict]] = {}

    def forget(ref: weakref.ref, key: int) -> None:
        # Only drop the entry if it still belongs to the dead cluster: ids are
        # reused after an object dies, and a new cluster may own the slot.
        entry = store.get(key)
        if entry is not None and entry[0] is ref:
            del store[key]

    @functools.wraps(fn)
    def wrapper(cluster, *args):
        key = id(cluster)
        entry = store.get(key)
        if entry is None or entry[0]() is not cluster:
            ref = weakref.ref(cluster, lambda r, k=key: forget(r, k))
            entry = store[key] = (ref, {})
        memo = entry[1]
        try:
            return memo[args]
        except KeyError:
            value = memo[args] = fn(cluster, *args)
            return value

    return wrapper  # type: ignore[return-value]
