"""The loaded model of files already loaded once, keyed by their content.

Parsing a 10,000-pod dump takes seconds; a second ``netverify reach`` on the
same files should not. :func:`cached` keeps the loaded :class:`~verifier.model.Cluster`
in ``$NETVERIFY_CACHE_DIR`` (default ``$XDG_CACHE_HOME/netverify``, else
``~/.cache/netverify``), under a key made of

* every byte of every file the sources name (each file, and every file below
  each directory, with its path), so any change to the input is a miss;
* the load options (namespace, strict, implicit objects);
* netverify's own code (the size and modification time of each of its source
  files), so a new version or a local edit never reads an old model.

Only loads from paths are cached (stdin and streams are read once anyway), and
only successful ones: an input with errors is reported afresh every time.
``NETVERIFY_NO_CACHE=1`` turns the cache off. The newest :data:`KEEP` models are
kept. The files are pickles the cache wrote itself, in a directory only the
user can write; one that fails to read is a miss, never an error.

When the model is not kept (a pull request changed one policy file beside an
unchanged 70 MB dump), :func:`cached_parse` still spares the big texts their
parse: a YAML text of at least :data:`TEXT_MIN` characters met a second time has
its parse kept under ``texts/``, keyed by its content and netverify's code. Only
the second time: a dump taken afresh for every run never pays for pickling it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..model import Cluster

__all__ = ["KEEP", "KEEP_TEXTS", "TEXT_MIN", "cache_dir", "cached", "cached_parse"]

#: How many loaded models the cache keeps (the least recently used go first).
KEEP = 8
#: Texts shorter than this are parsed every time (a manifest file parses in milliseconds).
TEXT_MIN = 1 << 20
#: How many parsed texts, and how many "seen once" marks, are kept (a kept parse takes
#: about 0.8x its YAML's size on disk: 58 MB for a 10,000-pod dump).
KEEP_TEXTS = 4
_PACKAGE = Path(__file__).resolve().parent.parent


def cache_dir() -> Path | None:
    """Where models are kept, or None when caching is off."""
    if os.environ.get("NETVERIFY_NO_CACHE", "") not in ("", "0"):
        return None
    if os.environ.get("NETVERIFY_CACHE_DIR"):
        return Path(os.environ["NETVERIFY_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "netverify"


def cached(sources: Sequence[Any], options: dict[str, Any], load: Callable[[], Cluster]) -> Cluster:
    """``load()``, or the model it returned last time for the same files, options and code."""
    where = cache_dir()
    key = _key(sources, options) if where is not None else None
    if where is None or key is None:
        return load()
    entry = where / f"{key}.pickle"
    try:
        with entry.open("rb") as f:
            cluster = pickle.load(f)
        if isinstance(cluster, Cluster):
            os.utime(entry)  # recently used
            return cluster
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError):
        pass
    cluster = load()
    _store(where, entry, cluster)
    return cluster


def cached_parse(text: str, parse: Callable[[], Any]) -> Any:
    """``parse()`` of ``text``, or what it returned the last time this text (of at least
    :data:`TEXT_MIN` characters) was parsed by the same code; see the module docstring."""
    where = cache_dir()
    if where is None or len(text) < TEXT_MIN:
        return parse()
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    key = hashlib.sha256((digest + _code_fingerprint()).encode()).hexdigest()
    folder = where / "texts"
    entry = folder / f"{key}.pickle"
    try:
        with entry.open("rb") as f:
            found = pickle.load(f)
        os.utime(entry)
        return found
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError):
        pass
    parsed = parse()
    seen = folder / f"{key}.seen"
    if seen.exists():
        seen.unlink(missing_ok=True)
        _store(folder, entry, parsed, keep=KEEP_TEXTS)
    else:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            seen.touch()
            _prune(folder, "*.seen", KEEP_TEXTS)
        except OSError:
            pass
    return parsed


def _key(sources: Sequence[Any], options: dict[str, Any]) -> str | None:
    if not all(isinstance(s, (str, os.PathLike)) and str(s) != "-" for s in sources):
        return None
    digest = hashlib.sha256()
    digest.update(repr(sorted(options.items())).encode())
    digest.update(_code_fingerprint().encode())
    for source in sources:
        path = Path(source)
        files = [path] if not path.is_dir() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            try:
                data = file.read_bytes()
            except OSError:
                return None  # the load reports it
            digest.update(str(file).encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _code_fingerprint() -> str:
    parts = []
    for file in sorted(_PACKAGE.rglob("*.py")):
        st = file.stat()
        parts.append(f"{file.relative_to(_PACKAGE)}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


def _prune(where: Path, pattern: str, keep: int) -> None:
    """Remove all but the ``keep`` most recently used files matching ``pattern``."""
    found = sorted(where.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in found[keep:]:
        old.unlink(missing_ok=True)


def _store(where: Path, entry: Path, value: Any, *, keep: int = KEEP) -> None:
    partial: str | None = None
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=where, delete=False, suffix=".tmp") as f:
            partial = f.name
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f.name, entry)
        partial = None
        _prune(where, "*.pickle", keep)
    except (OSError, pickle.PickleError, RecursionError, AttributeError, TypeError):
        pass  # a cache that cannot be written is no cache, not an error
    finally:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
