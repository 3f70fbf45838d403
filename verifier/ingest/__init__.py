"""Ingestion: Kubernetes manifests, dumps and live clusters into a :class:`~verifier.model.Cluster`.

>>> cluster = loads('''
... apiVersion: v1
... kind: Pod
... metadata: {name: web, namespace: shop, labels: {app: web}}
... spec: {containers: [{name: nginx, ports: [{containerPort: 80}]}]}
... ''')
>>> pod = cluster.pod("shop/web")
>>> pod.node_name, str(pod.ip(4)), pod.ip_allocated
('node-1', '10.244.0.1', True)

Modules, in the order data flows through them:

- :mod:`.documents`: files, directories, stdin; YAML/JSON with line numbers; Lists flattened
- :mod:`.reader`, :mod:`.syntax`, :mod:`.labels`: typed field access, value syntax, selectors
- :mod:`.objects`, :mod:`.pods`, :mod:`.services`, :mod:`.policies`, :mod:`.tiered`,
  :mod:`.config`: one converter per kind
- :mod:`.workloads`: Deployments & co. expanded into pods
- :mod:`.topology`: nodes (made up when absent) and pod placement
- :mod:`.allocate`: pod IPs, Service families, cluster IPs and node ports
- :mod:`.assemble`: the stages put together, problems collected
- :mod:`.live`: the same from a running cluster (optional ``kube`` extra)
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Problem
from ..model import Cluster
from .cache import cached

if TYPE_CHECKING:  # the parsers are imported when a model is not in the cache
    from .documents import RawObject

__all__ = ["load", "load_live", "load_objects", "loads", "nothing_to_verify"]


def load(
    *sources: Any,
    namespace: str | None = None,
    strict: bool = False,
    allow_empty: bool = False,
    implicit: bool = True,
) -> Cluster:
    """Load a cluster state from files, directories, ``"-"`` (stdin) or text streams, merged.

    Directories are walked recursively in sorted order (``.yaml``, ``.yml``,
    ``.json``); their files that are no Kubernetes manifests (Helm charts'
    values and templates, kustomizations, JSON configurations) are skipped with a
    warning each. Every problem in the input is collected first; if any is an
    error, one :class:`~verifier.errors.InputError` lists them all, sorted by
    file and line, and nothing is loaded. Warnings end up in ``Cluster.warnings``.

    Args:
        sources: paths, ``"-"``, or objects with a ``read()`` method (lists of
            them are accepted too), e.g. ``load("k8s/", "cluster-network.yaml")``.
        namespace: the namespace of objects that name none (``kubectl apply -n``);
            ``default`` when not given.
        strict: files skipped in a directory, and objects defined in two files,
            are errors instead of warnings.
        allow_empty: accept an input without pods or workloads (by default
            "nothing to verify" is an error: an empty ``helm template`` output,
            a folder of policies only).
        implicit: add what every cluster runs and the input does not show, as a
            real cluster has it (the cluster DNS of ``ClusterNetwork.dnsProfile``,
            the ``default/kubernetes`` API server:
            :mod:`verifier.semantics.infrastructure`); their sources say
            ``<implicit: ...>``. ``False`` gives the input alone.

    A load from files is kept, keyed by their content, so loading them again is
    fast (:mod:`verifier.ingest.cache`; ``NETVERIFY_NO_CACHE=1`` turns it off).

    Raises:
        InputError: the input is malformed, invalid or inconsistent, or has
            nothing to verify.

    >>> load()
    Traceback (most recent call last):
    ...
    verifier.errors.InputError: <input>: nothing to load: give at least one file, directory or '-'
    >>> import io
    >>> load(io.StringIO(""))
    Traceback (most recent call last):
    ...
    verifier.errors.InputError: <input>: nothing to verify: the input holds no Kubernetes objects
    """
    flat = tuple(
        s
        for source in sources
        for s in (source if isinstance(source, (list, tuple)) else (source,))
    )
    if not flat:
        raise InputError("nothing to load: give at least one file, directory or '-'")
    options = {
        "namespace": namespace or "default",
        "strict": strict,
        "allow_empty": allow_empty,
        "implicit": implicit,
    }
    return _guarded(lambda: cached(flat, options, lambda: _load(flat, **options)))


def loads(text: str, filename: str = "<string>", *, implicit: bool = True) -> Cluster:
    """Load a cluster state from YAML or JSON text (tests, notebooks).

    ``filename`` is what problems and sources name as the file.
    """
    if not isinstance(text, str):
        raise InputError(f"loads() takes text (str), got {type(text).__name__}")
    from .documents import parse_text

    return _guarded(lambda: _load_objects(*parse_text(text, filename), implicit=implicit))


def load_objects(
    objects: Iterable[Mapping[str, Any]], source: str = "<objects>", *, implicit: bool = True
) -> Cluster:
    """Load a cluster state from parsed objects (plain dicts in the ``kubectl -o json`` shape).

    Lists (``PodList`` API responses...) are flattened as in files. Line
    numbers are unknown, so problems name ``source`` only. Used by :func:`load_live`.
    ``implicit`` as for :func:`load`.
    """
    from .documents import objects_from_data

    return _guarded(lambda: _load_objects(*objects_from_data(objects, source), implicit=implicit))


def _load(
    sources: tuple[Any, ...], *, namespace: str, strict: bool, allow_empty: bool, implicit: bool
) -> Cluster:
    from .assemble import assemble
    from .documents import read_sources

    objects, problems = read_sources(sources, strict=strict)
    cluster = assemble(objects, problems, namespace=namespace, strict=strict, implicit=implicit)
    if all(p.implicit for p in cluster.pods) and not allow_empty:
        stdin = any(s == "-" for s in sources)
        raise InputError([*cluster.warnings, nothing_to_verify(objects, problems, stdin=stdin)])
    return cluster


def nothing_to_verify(
    objects: Sequence[RawObject], problems: Sequence[Problem], *, stdin: bool = False
) -> Problem:
    """The error for an input without pods or workloads, saying what it did hold."""
    from .documents import SKIPPED

    skipped = sum(1 for p in problems if p.message.startswith(SKIPPED))
    files = (
        f"; {skipped} file(s) skipped as no Kubernetes manifests (-v lists them)" if skipped else ""
    )
    if not objects:
        hint = " (stdin was empty: did the command before the pipe fail?)" if stdin else ""
        return Problem(f"nothing to verify: the input holds no Kubernetes objects{hint}{files}")
    kinds = Counter(o.kind or "<no kind>" for o in objects)
    found = ", ".join(f"{kind} x{n}" for kind, n in sorted(kinds.items()))
    return Problem(
        "nothing to verify: the input has no pods, and no workloads that make one "
        f"(Deployment, StatefulSet, DaemonSet, ...); it holds {found}{files}"
    )


def _load_objects(
    objects: list[RawObject], problems: list[Problem], *, implicit: bool = True
) -> Cluster:
    from .assemble import assemble

    return assemble(objects, problems, implicit=implicit)


def _guarded(run) -> Cluster:
    """Run a load. Only problems with the input become an :class:`InputError`.

    Any other exception is a bug in netverify and propagates as it is (the
    CLI reports it as an internal error, exit 70): it must never look like
    bad input. Input nested deeper than Python's recursion limit is the one
    exception turned into an input problem here.

    The cyclic garbage collector is paused meanwhile: loading creates millions
    of small acyclic containers, and the collector's repeated full scans of
    them took 40% of the time of a 10,000-pod dump.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return run()
    except RecursionError:
        raise InputError("the input is nested too deeply to be a Kubernetes object") from None
    finally:
        if was_enabled:
            gc.enable()


def load_live(
    kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None
) -> Cluster:
    """Load the current state of a running cluster; see :func:`verifier.ingest.live.load_live`."""
    from .live import load_live as _live

    return _live(kubeconfig=kubeconfig, context=context, namespace=namespace)
