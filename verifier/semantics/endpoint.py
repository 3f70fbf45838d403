"""The two ends of a connection, as policy sees them (semantics.md §3.4, §3.9).

Policy rules speak of pods, nodes and outside addresses differently: selector
peers match pod-network pods only; a hostNetwork pod is its node; an address
no pod or node owns is external.

>>> from verifier.model import Pod
>>> str(PodEndpoint(Pod(namespace="x", name="a")))
'x/a'
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import IP, Node, Pod

__all__ = ["PodEndpoint", "NodeEndpoint", "ExternalEndpoint", "Endpoint"]


@dataclass(frozen=True, slots=True)
class PodEndpoint:
    """A pod on the pod network (never hostNetwork: those are :class:`NodeEndpoint`)."""

    pod: Pod

    def __str__(self) -> str:
        return self.pod.ref


@dataclass(frozen=True, slots=True)
class NodeEndpoint:
    """A node's host network namespace: kubelet, node daemons, hostNetwork pods."""

    node: Node
    #: The hostNetwork pod speaking from this node, if any (for display only).
    pod: Pod | None = None

    def __str__(self) -> str:
        if self.pod is not None:
            return f"{self.pod.ref} (hostNetwork on node {self.node.name})"
        return f"node {self.node.name}"


@dataclass(frozen=True, slots=True)
class ExternalEndpoint:
    """An address outside the cluster's pods and nodes. ``ip`` is None when symbolic."""

    ip: IP | None = None

    def __str__(self) -> str:
        return f"external {self.ip}" if self.ip is not None else "external host"


Endpoint = PodEndpoint | NodeEndpoint | ExternalEndpoint
