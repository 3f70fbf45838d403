"""Let ``verifier.trace(...)``, ``verifier.matrix(...)`` and ``verifier.diff(...)`` stay calls.

``verifier`` offers the functions ``trace``, ``matrix`` and ``diff`` for notebooks, and has
submodules of the same names; importing a submodule rebinds the package attribute to the
module. Making those modules callable (with the function they are named after) keeps
``import verifier; verifier.trace(...)`` working whatever was imported before.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["callable_module"]


def callable_module(name: str, target: Callable[[], Callable[..., Any]]) -> None:
    """Make module ``name`` callable: calling it calls ``target()`` (resolved at call time)."""

    class _Callable(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return target()(*args, **kwargs)

    sys.modules[name].__class__ = _Callable
