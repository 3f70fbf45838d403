"""User invariants: the file format (what a team declares its policies must guarantee).

The file (``--invariants FILE``, or ``verifier.check(cluster, invariants=[...])``)::

    invariants:
      - name: dev cannot reach prod
        isolated: {from: {namespace: dev}, to: {namespace: prod}}
      - name: only api reaches the database
        only: {to: {namespace: prod, pods: {app: db}}, port: 5432, protocol: TCP,
               from: [{namespace: prod, pods: {app: api}}]}
      - name: frontend reaches the cart
        reach: {from: shop/frontend-0, to: cartservice.shop, port: 7070, expect: allow}

A selector is a mapping with any of ``namespace`` (a name), ``namespaces``
(namespace labels), ``pods`` (pod labels) -- all must hold -- or else an
``ipBlock`` (a CIDR, or ``{cidr, except}``) for hosts that are not pods: outside
hosts, and nodes whose address lies in the block. ``from``/``to`` take one
selector or a list (any of them). ``port`` and ``protocol`` are optional for
``isolated`` (default: every port and protocol). What the claims mean is
documented (and checked) in :mod:`verifier.properties.invariants`.

>>> [i.kind for i in parse_invariants([{"name": "n", "isolated": {"from": {"namespace": "a"}, "to": {"ipBlock": "10.0.0.0/8"}}}])]
['isolated']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..model import PROTOCOLS, Cluster, IPBlock, Labels, Pod, Source, ip_network
from ..semantics.selectors import matches, namespace_labels, selector_from_labels
from ..trace import host_port

__all__ = ["KINDS", "Selector", "Invariant", "load_invariants", "parse_invariants"]

KINDS = ("isolated", "only", "reach")


@dataclass(frozen=True)
class Selector:
    """Pods by namespace name / namespace labels / pod labels (ANDed), or outside hosts by ipBlock."""

    namespace: str | None = None
    namespaces: Labels | None = None
    pods: Labels | None = None
    ip_block: IPBlock | None = None

    def matches_pod(self, cluster: Cluster, pod: Pod) -> bool:
        if self.ip_block is not None:
            return False
        if self.namespace is not None and pod.namespace != self.namespace:
            return False
        if self.namespaces is not None and not matches(
            selector_from_labels(self.namespaces), namespace_labels(cluster, pod.namespace)
        ):
            return False
        return self.pods is None or matches(selector_from_labels(self.pods), pod.labels)

    def __str__(self) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block}"
        parts = []
        if self.namespace:
            parts.append(f"namespace {self.namespace}")
        if self.namespaces:
            parts.append(f"namespaces [{self.namespaces}]")
        if self.pods:
            parts.append(f"pods [{self.pods}]")
        return " and ".join(parts) or "every pod"


@dataclass(frozen=True)
class Invariant:
    name: str
    kind: str
    sources: tuple[Selector, ...] = ()
    destinations: tuple[Selector, ...] = ()
    port: int | None = None
    protocol: str | None = None
    #: reach: the client pod, the target as typed, and the expected outcome.
    client: str | None = None
    target: str | None = None
    expect_allow: bool = True
    source: Source | None = None

    def describe(self) -> str:
        if self.kind == "reach":
            return f"{self.client} {'reaches' if self.expect_allow else 'does not reach'} {host_port(self.target, self.port)}/{self.protocol or 'TCP'}"
        what = (
            f" on {self.port or '*'}/{self.protocol or '*'}" if (self.port or self.protocol) else ""
        )
        src = " or ".join(map(str, self.sources))
        dst = " or ".join(map(str, self.destinations))
        if self.kind == "isolated":
            return f"nothing in {src} reaches {dst}{what}"
        return f"only {src} reach {dst}{what}"


# --------------------------------------------------------------------------- parsing


def load_invariants(path: str | Path) -> tuple[Invariant, ...]:
    """Read an invariants file; every mistake is reported with its line (:class:`InputError`)."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(
            [Problem(f"cannot read invariants file: {e.strerror or e}", file=file)]
        ) from None
    return parse_invariants(text, file)


def parse_invariants(
    data: str | Mapping | Sequence, file: str = "<invariants>"
) -> tuple[Invariant, ...]:
    """Invariants from YAML text, or from plain Python data (a list of mappings, or ``{"invariants": [...]}``)."""
    from .documents import parse_text
    from .reader import Origin, Reader

    if isinstance(data, str):
        objs, problems = parse_text(data, file)
        if problems:
            raise InputError(problems)
        if not objs:
            raise InputError([Problem("no invariants in the file", file=file)])
        body = objs[0].body
    else:
        body = _to_map({"invariants": list(data)} if not isinstance(data, Mapping) else data)
    origin = Origin(file, "Invariants")
    top = Reader(body, "", origin)
    out = []
    entries = top.maps("invariants")
    if not entries and "invariants" not in body:
        top.error("invariants", "missing required field")
    for entry in entries:
        inv = _parse_one(entry, file)
        if inv is not None:
            out.append(inv)
    errors = [p for p in origin.problems if p.severity == "error"]
    if errors:
        raise InputError(origin.problems)
    return tuple(out)


def _to_map(value: Any):
    from .documents import Map, Seq

    if isinstance(value, Mapping):
        return Map.new({k: _to_map(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        s = Seq(_to_map(v) for v in value)
        s.line = None
        s.item_lines = [None] * len(s)
        return s
    return value


#: The fields of an invariant, and of each kind's body: anything else is a typo, and a
#: typo must not silently widen or narrow a claim (``ports: 80`` for ``port: 80``).
_ENTRY_FIELDS = ("name",) + KINDS
_BODY_FIELDS = {
    "isolated": ("from", "to", "port", "protocol"),
    "only": ("from", "to", "port", "protocol"),
    "reach": ("from", "to", "port", "protocol", "expect"),
}


def _parse_one(r, file: str) -> Invariant | None:
    from .policies import reject_unknown

    reject_unknown(r, _ENTRY_FIELDS, "an invariant has")
    name = r.str("name", required=True) or f"invariant at line {r.line}"
    kinds = [k for k in KINDS if r.has(k)]
    if len(kinds) != 1:
        r.error(
            None,
            f"give exactly one of {', '.join(KINDS)}"
            + (f" (got {', '.join(kinds)})" if kinds else ""),
        )
        return None
    kind = kinds[0]
    body = r.map(kind)
    if body is None:
        return None
    reject_unknown(body, _BODY_FIELDS[kind], f"{kind} has")
    src = Source(file, r.line)
    protocol = body.str("protocol", choices=PROTOCOLS)
    port = body.port("port")
    if kind == "reach":
        client = body.str("from", required=True)
        target = body.get("to")
        if target is None:
            body.error("to", "missing required field")
        elif not isinstance(target, (str, int)):
            body.error("to", "expected a pod (ns/name), an IP or a DNS name")
        expect = body.str("expect", default="allow", choices=("allow", "deny"))
        if port is None and not body.has("port"):
            body.error("port", "missing required field")
        return Invariant(
            name,
            kind,
            port=port,
            protocol=protocol or "TCP",
            client=client,
            target=str(target),
            expect_allow=expect == "allow",
            source=src,
        )
    sources = _selectors(body, "from", required=True)
    destinations = _selectors(body, "to", required=True)
    if kind == "only" and port is None:
        body.error("port", "missing required field")
    return Invariant(name, kind, sources, destinations, port, protocol, source=src)


def _selectors(r, key: str, *, required: bool) -> tuple[Selector, ...]:
    value = r.get(key)
    if value is None:
        if required:
            r.error(key, "missing required field")
        return ()
    if isinstance(value, list):
        readers = r.maps(key)
    else:
        one = r.map(key)
        readers = [one] if one is not None else []
    return tuple(s for s in (_selector(x) for x in readers) if s is not None)


def _selector(r) -> Selector | None:
    from .policies import read_ip_block
    from .syntax import cidr_error

    known = {"namespace", "namespaces", "pods", "ipBlock"}
    for k in r.data:
        if k not in known:
            r.error(k, f"unknown selector field (use {', '.join(sorted(known))})")
    if r.has("ipBlock"):
        if any(r.has(k) for k in ("namespace", "namespaces", "pods")):
            r.error("ipBlock", "an ipBlock cannot be combined with namespace or pod selectors")
        raw = r.get("ipBlock")
        if isinstance(raw, str):
            err = cidr_error(raw)
            if err:
                r.error("ipBlock", err)
                return None
            return Selector(ip_block=IPBlock(ip_network(raw)))
        block = read_ip_block(r)  # {cidr, except}: validated as in a NetworkPolicy (§3.6)
        return Selector(ip_block=block) if block is not None else None
    namespaces = r.str_map("namespaces") if r.has("namespaces") else None
    pods = r.str_map("pods") if r.has("pods") else None
    return Selector(
        r.str("namespace"),
        Labels(namespaces) if namespaces is not None else None,
        Labels(pods) if pods is not None else None,
    )
