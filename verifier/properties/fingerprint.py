"""What identifies a counterexample from one run to the next: its fingerprint.

A baseline (``netverify check --baseline FILE``) is only useful if a problem
keeps its identity while everything around it moves: netverify re-allocates the
addresses of pods the input gives none (their addresses are unknowns, and Z3
may pick others once a pod is added), allocates ClusterIPs and NodePorts, and
manifests gain lines above the object at fault. So a fingerprint hashes

- the property (``invariant`` and the invariant's name for user invariants);
- the objects the counterexample names (kind, namespace, name and part, e.g.
  ``NetworkPolicy payments/allow-vpn ingress[0]``; never a line number);
- the pods it names (``namespace/name``);
- its summary, with every IP address (and ``address:port``) replaced by ``<ip>``
  and every ``file:line`` by the file alone.

The *root* fingerprint keeps only the property and the objects: the cause,
whatever the example. A baseline whose list of counterexamples for a property
was cut at ``--max-counterexamples`` (``"truncated": true``) accepts every
counterexample with a root it lists, as the rest of that list was never written.

>>> from verifier.trace import Decider
>>> objs = (Decider("Service", "web", "shop", "port 80/TCP"),)
>>> a = fingerprint_parts("service-resolution", "service-resolution", objs, (), "10.96.0.4:80 has no endpoint")
>>> b = fingerprint_parts("service-resolution", "service-resolution", objs, (), "10.96.7.9:80 has no endpoint")
>>> a == b, len(a)
(True, 32)
>>> normalise("a at x/y.yaml:12 to [fd00::1]:80 and 10.0.0.0/8 via 10.1.2.3")
'a at x/y.yaml to <ip> and <ip>/8 via <ip>'
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["fingerprint", "fingerprint_parts", "normalise", "object_ref", "root_fingerprint"]

#: Bump when the recipe changes: old baselines then match nothing, loudly, rather than wrongly.
VERSION = "netverify-fingerprint/1"

# Candidates only; each is parsed before it is replaced, so "web:9093" or "3.13.2" stay.
_ADDRESS = re.compile(
    r"\[[0-9A-Fa-f:.]+\](?::\d+)?"  # [v6]:port
    r"|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*"  # v6: two colons at least
    r"|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?"  # v4, v4:port
)
_FILE_LINE = re.compile(r"(\.(?:ya?ml|json)):\d+(?::\d+)?")


def _is_address(text: str) -> bool:
    host = text
    if host.startswith("["):
        host = host[1 : host.index("]")]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def normalise(summary: str) -> str:
    """The summary without what moves between runs: addresses (with their ports) and lines."""
    text = _FILE_LINE.sub(r"\1", summary)
    return _ADDRESS.sub(lambda m: "<ip>" if _is_address(m.group(0)) else m.group(0), text)


def object_ref(obj: Any) -> str:
    """``Kind ns/name part`` of a :class:`~verifier.trace.Decider` or of its JSON form."""
    if isinstance(obj, Mapping):
        kind, ns, name, part = (obj.get(k) for k in ("kind", "namespace", "name", "part"))
    else:
        kind, ns, name, part = obj.kind, obj.namespace, obj.name, obj.part
    ident = f"{ns}/{name}" if ns else f"{name}"
    return f"{kind} {ident}" + (f" {part}" if part else "")


def _hash(parts: list[Any]) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def fingerprint_parts(
    prop: str, name: str, objects: Iterable[Any], pods: Iterable[str], summary: str
) -> str:
    """The fingerprint from its parts (objects as deciders or their JSON form)."""
    return _hash(
        [
            VERSION,
            prop,
            name,
            sorted(object_ref(o) for o in objects),
            sorted(pods),
            normalise(summary),
        ]
    )


def root_fingerprint(prop: str, name: str, objects: Iterable[Any]) -> str:
    """The cause only: the property and the objects named."""
    return _hash([VERSION, "root", prop, name, sorted(object_ref(o) for o in objects)])


def fingerprint(result: Any, cx: Any) -> str:
    """The fingerprint of counterexample ``cx`` of ``result`` (a PropertyResult)."""
    return fingerprint_parts(result.property, result.name, cx.objects, cx.pods, cx.summary)
