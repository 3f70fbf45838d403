"""The exceptions netverify raises, and what to do about each.

Every error a user can cause is a :class:`VerifierError`; the CLI maps each
class to an exit code in one place (``cli.py``). Anything else escaping is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "VerifierError",
    "InputError",
    "Problem",
    "UsageError",
    "SoundnessError",
]


class VerifierError(Exception):
    """Base class of every error netverify raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can.

    ``str(problem)`` is ``file:line: Kind ns/name: field: message``, the format
    compilers and linters use, so editors and CI annotations can jump to it.
    """

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    field: str | None = None
    severity: str = "error"  # "error" or "warning"

    @property
    def location(self) -> str:
        if self.file is None:
            return "<input>"
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def object(self) -> str | None:
        if self.kind is None:
            return None
        ident = self.name or "<unnamed>"
        if self.namespace:
            ident = f"{self.namespace}/{ident}"
        return f"{self.kind} {ident}"

    def __str__(self) -> str:
        parts = [self.location]
        if self.severity != "error":
            parts.append(self.severity)
        if self.object:
            parts.append(self.object)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class InputError(VerifierError, ValueError):
    """The cluster state could not be loaded; ``problems`` lists every reason.

    Loading collects all problems in one pass and raises once, so a user fixes
    their manifests in one round instead of one error at a time. Nothing is
    loaded when this is raised.

    >>> err = InputError([Problem("not an IP", file="a.yaml", line=3, kind="Pod",
    ...                           namespace="x", name="a", field="status.podIP")])
    >>> print(err)
    a.yaml:3: Pod x/a: status.podIP: not an IP
    """

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


class UsageError(VerifierError, ValueError):
    """A query or option does not make sense for this cluster (unknown pod, bad IP, ...).

    The message says what was asked and what exists, e.g.
    ``unknown pod 'shop/web' (pods in shop: cart-0, frontend-1)``.
    """


class SoundnessError(VerifierError, AssertionError):
    """The Z3 encoding and the concrete engine disagree about a packet.

    This is a bug in netverify, never a property of your cluster: please report it
    with the input that triggered it. The result in question is not shown.
    """
