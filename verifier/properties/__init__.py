"""The six properties of the Kubernetes network model, infrastructure-access (pods reach the
cluster DNS and the API server they use), and ``check``: run any of them at once.

Each property is a module here with ``check(cluster, *, timeout,
max_counterexamples) -> PropertyResult``; :data:`PROPERTIES` maps the names the
CLI accepts to those modules. The modules are imported on first use, so a
property whose module is missing or broken fails (with
:class:`PropertyUnavailable`) only when someone asks for it, and importing this
package stays cheap for the CLI's ``--help``.

>>> sorted(PROPERTIES)[:2]
['dns-resolution', 'dual-stack-coverage']
>>> report = check(Cluster(), properties=[])
>>> report.status.value, report.summary_counts()
('holds', {'holds': 0, 'violated': 0, 'suppressed': 0, 'unknown': 0})
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from ..errors import UsageError, VerifierError
from ..model import Cluster, Inference
from .result import Counterexample, Finding, PropertyResult, Status, Suppression

__all__ = [
    "PROPERTIES",
    "PROPERTY_NAMES",
    "TITLES",
    "CheckReport",
    "Counterexample",
    "Finding",
    "Progress",
    "PropertyResult",
    "PropertyUnavailable",
    "Status",
    "Suppression",
    "check",
    "load_invariants",
]

#: CLI name -> module of this package that implements it, in the order they are checked
#: and reported (cheap, structural properties first).
_MODULES: dict[str, str] = {
    "unique-pod-ips": "unique_ips",
    "nat-free-pod-to-pod": "nat_free",
    "isolation": "isolation",
    "service-resolution": "service_resolution",
    "dns-resolution": "dns_resolution",
    "dual-stack-coverage": "dual_stack",
    "infrastructure-access": "infrastructure_access",
}

PROPERTY_NAMES: tuple[str, ...] = tuple(_MODULES)

#: What each property promises, in a few words (CLI help, SARIF rule titles). Each
#: result's ``statement`` says it exactly.
TITLES: dict[str, str] = {
    "unique-pod-ips": "every pod IP is unique",
    "nat-free-pod-to-pod": "pod-to-pod traffic is not NATed",
    "isolation": "NetworkPolicies isolate the pods they select",
    "service-resolution": "every Service port reaches ready backends",
    "dns-resolution": "every name resolves to exactly the right records",
    "dual-stack-coverage": "both address families are covered",
    "infrastructure-access": "pods reach the cluster DNS and the API server they use",
    "invariant": "a declared invariant holds",
}


class PropertyUnavailable(VerifierError):
    """A property was asked for whose module cannot be imported (or has no ``check``)."""


class _LazyModules(Mapping[str, ModuleType]):
    """``{name: module}`` that imports a module the first time it is looked up."""

    def __init__(self, modules: Mapping[str, str]):
        self._modules = dict(modules)

    def __getitem__(self, name: str) -> ModuleType:
        qualified = f"{__name__}.{self._modules[name]}"
        try:
            module = importlib.import_module(qualified)
        except ImportError as e:
            # A missing piece of netverify itself (the property module, or a semantics
            # module it needs) is "not available in this build"; a missing third-party
            # package is an installation problem and keeps its own error.
            missing = getattr(e, "name", None) or ""
            if (
                isinstance(e, ModuleNotFoundError)
                and missing
                and not missing.startswith(__name__.split(".")[0])
            ):
                raise
            raise PropertyUnavailable(
                f"property {name!r} is not available: cannot import {qualified} ({e})"
            ) from e
        if not callable(getattr(module, "check", None)):
            raise PropertyUnavailable(
                f"property {name!r} is not available: {qualified} has no check()"
            )
        return module

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)


#: Property name -> its module (imported on lookup).
PROPERTIES: Mapping[str, ModuleType] = _LazyModules(_MODULES)

#: Called before (``result is None``) and after each property or invariant is checked,
#: with its display name; the CLI drives a progress bar with it.
Progress = Callable[[str, "PropertyResult | None"], None]


@dataclass(frozen=True)
class CheckReport:
    """The results of one ``check``: one :class:`PropertyResult` per property and invariant.

    >>> r = CheckReport((PropertyResult("isolation", "isolation", Status.UNKNOWN, "s", reason="timeout"),), 1.5)
    >>> r.status, r.summary_counts()["unknown"], len(r.invariants)
    (<Status.UNKNOWN: 'unknown'>, 1, 0)

    A result whose every counterexample is suppressed (an annotation, the
    baseline) keeps its VIOLATED status but is counted as ``suppressed``, and
    :attr:`outcome`, what the exit code follows, does not count it as a violation.
    """

    results: tuple[PropertyResult, ...]
    #: Wall-clock seconds for the whole check.
    seconds: float = 0.0
    #: What the loader inferred about the cluster checked (``Cluster.inferred``):
    #: every verdict rests on it, so every report says it.
    inferred: tuple[Inference, ...] = ()
    #: The path of the ``--baseline`` report the counterexamples were compared with.
    baseline: str | None = None

    def count(self, status: Status) -> int:
        return sum(r.status is status for r in self.results)

    def summary_counts(self) -> dict[str, int]:
        """``{"holds": n, "violated": n, "suppressed": n, "unknown": n}``, every key present:
        ``violated`` counts the results with a counterexample not suppressed, ``suppressed``
        the violated results whose every counterexample is."""
        suppressed = sum(r.suppressed for r in self.results)
        return {
            "holds": self.count(Status.HOLDS),
            "violated": self.count(Status.VIOLATED) - suppressed,
            "suppressed": suppressed,
            "unknown": self.count(Status.UNKNOWN),
        }

    def suppressed_counts(self) -> dict[str, int]:
        """Suppressed counterexamples by how: ``{"annotation": n, "baseline": n}``."""
        out = {"annotation": 0, "baseline": 0}
        for r in self.results:
            for c in r.suppressed_counterexamples:
                out[c.suppressed.kind] = out.get(c.suppressed.kind, 0) + 1  # type: ignore[union-attr]
        return out

    @property
    def outcome(self) -> Status:
        """What the exit code follows: :attr:`status` once suppressed counterexamples are
        set aside (a violation outranks an unknown, which outranks a proof)."""
        outcomes = {r.outcome for r in self.results}
        for s in (Status.VIOLATED, Status.UNKNOWN):
            if s in outcomes:
                return s
        return Status.HOLDS

    @property
    def status(self) -> Status:
        """The worst status: a violation outranks an unknown, which outranks a proof."""
        if self.count(Status.VIOLATED):
            return Status.VIOLATED
        if self.count(Status.UNKNOWN):
            return Status.UNKNOWN
        return Status.HOLDS

    @property
    def properties(self) -> tuple[PropertyResult, ...]:
        return tuple(r for r in self.results if r.property != "invariant")

    @property
    def invariants(self) -> tuple[PropertyResult, ...]:
        return tuple(r for r in self.results if r.property == "invariant")

    def frame(self):
        """One row per property and invariant (a pandas DataFrame)."""
        from ..report.frames import results_frame

        return results_frame(self.results)

    def _repr_html_(self) -> str:
        return self.frame().to_html()

    def __repr__(self) -> str:
        from ..report.describe import summary_line

        return f"<CheckReport {summary_line(self)}>"

    def __str__(self) -> str:
        """The text ``netverify check`` prints."""
        from ..report.console import render_text

        return render_text(self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape ``netverify check -o json`` prints (without the exit code)."""
        return {
            "inferred": [i.to_dict() for i in self.inferred],
            "results": [r.to_dict() for r in self.results],
            "summary": {
                **self.summary_counts(),
                "suppressed_counterexamples": self.suppressed_counts(),
                "baseline": self.baseline,
                "seconds": round(self.seconds, 4),
            },
        }


def check(
    cluster: Cluster,
    properties: Iterable[str] | None = None,
    invariants: Sequence[Any] = (),
    timeout: float = 60.0,
    max_counterexamples: int = 3,
    progress: Progress | None = None,
    baseline: Any = None,
) -> CheckReport:
    """Check ``properties`` (default: all six, in :data:`PROPERTY_NAMES` order), then each invariant.

    ``invariants`` are :class:`verifier.properties.invariants.Invariant` objects
    (``load_invariants(path)`` reads a file) or mappings written like the file's
    entries, e.g. ``{"name": "dev is isolated", "isolated": {"from": {"namespace":
    "dev"}, "to": {"namespace": "prod"}}}``. ``timeout`` is per property and
    invariant, in seconds. Every requested module is imported before anything is
    checked, so an unknown or unavailable property fails at once, not after minutes
    of solving.

    Counterexamples about objects annotated ``netverify.dev/ignore``, and those of
    ``baseline`` (the path of a previous ``netverify check -o json`` report, or its
    data), are marked suppressed (see :mod:`verifier.properties.suppress`); the
    search then goes on past them, so up to ``max_counterexamples`` new ones are
    still found.
    """
    names = list(PROPERTY_NAMES if properties is None else dict.fromkeys(properties))
    unknown = [n for n in names if n not in PROPERTIES]
    if unknown:
        raise UsageError(
            f"unknown property {', '.join(map(repr, unknown))} (properties: {', '.join(PROPERTY_NAMES)})"
        )
    if not timeout > 0:
        raise UsageError(f"timeout must be positive, not {timeout}")
    if max_counterexamples < 1:
        raise UsageError(f"max_counterexamples must be at least 1, not {max_counterexamples}")
    from .suppress import as_baseline

    known = as_baseline(baseline)
    modules = [(name, PROPERTIES[name]) for name in names]
    invariants = _as_invariants(invariants)
    check_invariant = _invariants_module().check_invariant if invariants else None

    def run(label: str, fn: Callable[[int], PropertyResult]) -> PropertyResult:
        if progress is not None:
            progress(label, None)
        result = _search_past_suppressed(cluster, fn, max_counterexamples, known)
        if progress is not None:
            progress(label, result)
        return result

    start = time.perf_counter()
    results = [
        run(
            name,
            lambda k, m=module: m.check(cluster, timeout=timeout, max_counterexamples=k),
        )
        for name, module in modules
    ]
    results += [
        run(
            f"invariant: {inv.name}",
            lambda k, i=inv: check_invariant(cluster, i, timeout=timeout, max_counterexamples=k),  # type: ignore[misc]
        )
        for inv in invariants
    ]
    return CheckReport(
        tuple(results),
        time.perf_counter() - start,
        cluster.inferred,
        baseline=known.path if known is not None else None,
    )


#: How many counterexamples a property may be searched for in all, to find new ones behind
#: the suppressed: past it, the result says the search stopped (and counts as UNKNOWN).
SEARCH_CAP = 200


def _search_past_suppressed(
    cluster: Cluster, fn: Callable[[int], PropertyResult], wanted: int, baseline: Any
) -> PropertyResult:
    """Run ``fn(limit)`` until ``wanted`` counterexamples that are not suppressed are found,
    or the search is exhausted (it found fewer than its limit), or :data:`SEARCH_CAP` is reached.

    Otherwise the first ``wanted`` counterexamples, all accepted, would hide a new
    one and the check would pass: never re-run when nothing is suppressed.
    """
    from .suppress import suppress

    limit = wanted
    while True:
        result = suppress(cluster, fn(limit), baseline)
        # Fewer than asked for, or the count past the limit says there is no other.
        exhausted = len(result.counterexamples) < limit or (result.more == 0 and result.more_exact)
        hidden = len(result.suppressed_counterexamples)
        if exhausted or not hidden or len(result.new_counterexamples) >= wanted:
            return replace(result, truncated=not exhausted)
        if limit >= SEARCH_CAP:
            why = (
                f"the search stopped after {limit} counterexamples, {hidden} of them suppressed: "
                "others, new or not, may remain"
            )
            reason = f"{result.reason}; {why}" if result.reason else why
            return replace(result, truncated=True, reason=reason)
        limit = min(SEARCH_CAP, max(2 * limit, hidden + wanted))


def _as_invariants(items: Sequence[Any]) -> tuple[Any, ...]:
    """Invariant objects as they are; mappings parsed (with the same errors as a file)."""
    items = tuple(items)
    if not any(isinstance(i, Mapping) for i in items):
        return items
    module = _invariants_module()
    parsed = iter(
        module.parse_invariants([i for i in items if isinstance(i, Mapping)], "<invariants>")
    )
    return tuple(next(parsed) if isinstance(i, Mapping) else i for i in items)


def load_invariants(path: str) -> tuple[Any, ...]:
    """The invariants declared in the YAML file ``path`` (see :mod:`verifier.properties.invariants`)."""
    return tuple(_invariants_module().load_invariants(path))


def _invariants_module() -> ModuleType:
    # Imported on demand, like the properties: a cluster check without invariants
    # must not depend on that module. Looked up in sys.modules like the properties
    # (``from . import`` would prefer the package attribute once it was imported).
    try:
        return importlib.import_module(f"{__name__}.invariants")
    except ImportError as e:
        raise PropertyUnavailable(
            f"invariants are not available: cannot import {__name__}.invariants ({e})"
        ) from e
