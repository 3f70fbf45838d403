"""What a user names in a query, as the engine takes it: a client, a destination, a port, a protocol.

Shared by the engine (``trace``), the CLI (``reach``, ``dns``) and the
invariants (``reach``): ``ns/pod`` (or a workload ``ns/NAME``, whose first pod
is used), ``node/NAME``, an IP literal; port numbers or names; TCP, UDP or SCTP.

>>> from verifier.model import Cluster
>>> str(ip_literal("10.0.0.1")), ip_literal("cartservice.shop")
('10.0.0.1', None)
>>> client_for(Cluster(), "203.0.113.9").kind
'external'
"""

from __future__ import annotations

import ipaddress
import string

from .errors import UsageError
from .model import IP, PROTOCOLS, Cluster, Node, Pod
from .semantics.pipeline import Client
from .trace import host_port

__all__ = [
    "workload",
    "check_protocol",
    "check_query",
    "client_for",
    "host_port",
    "in_namespace",
    "ip_literal",
    "pod_or_workload",
    "resolve_port",
    "split_host_port",
    "target_in_namespace",
]


# --------------------------------------------------------------------------- the client


def workload(pod: Pod) -> str:
    """How reports name a pod's workload: ``ns/Deployment/web`` for controller-owned pods,
    ``ns/pod`` otherwise (``matrix`` and ``diff`` group pods under it).

    >>> from verifier.model import Pod
    >>> workload(Pod(namespace="x", name="web-0", owner="StatefulSet/web")), workload(Pod(namespace="x", name="a"))
    ('x/StatefulSet/web', 'x/a')
    """
    return f"{pod.namespace}/{pod.owner}" if pod.owner else pod.ref


def pod_or_workload(cluster: Cluster, ref: str) -> Pod:
    """The pod ``ns/name``; or, when no pod has that name, the first pod of the workload ``ns/name``.

    So ``--from shop/frontend`` works for a Deployment ``frontend`` (its pod
    ``shop/frontend-0`` is used, and the trace says so).
    """
    if ref in cluster.pod_by_ref:
        return cluster.pod_by_ref[ref]
    pods = cluster.workload_pods(ref)
    if pods:
        return pods[0]
    return cluster.pod(ref)  # raises UsageError listing what exists


def client_for(cluster: Cluster, source: str | Pod | Node | IP) -> Client:
    """A client from ``ns/pod``, ``node/NAME``, an IP literal, or a model object."""
    if isinstance(source, Pod):
        return Client.of_pod(cluster, source)
    if isinstance(source, Node):
        return Client.of_node(source)
    if isinstance(source, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return Client.of_ip(cluster, source)
    text = str(source)
    if text.startswith("node/"):
        node = cluster.node_by_name.get(text[5:])
        if node is None:
            known = ", ".join(sorted(cluster.node_by_name)) or "none"
            raise UsageError(f"unknown node {text[5:]!r} (nodes: {known})")
        return Client.of_node(node)
    ip = ip_literal(text)
    if ip is not None:
        return Client.of_ip(cluster, ip)
    return Client.of_pod(cluster, pod_or_workload(cluster, text))


def _looks_like_ip(text: str) -> bool:
    """Dotted digits (no DNS name has an all-numeric top label), or hex digits with colons."""
    if ":" in text:
        return all(c in string.hexdigits or c in ":." for c in text)
    return "." in text and all(part.isdigit() for part in text.split("."))


def ip_literal(text: str) -> IP | None:
    """``text`` as an IP address; None when it is no address (a pod, a name).

    Text that only an address could be (dotted digits, or hex with colons) but
    that is not a valid one is a mistake, not a DNS name: UsageError.
    """
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        if _looks_like_ip(text):
            raise UsageError(f"{text!r} is not a valid IP address") from None
        return None


# --------------------------------------------------------------------------- names as typed


def _bare(text: str) -> bool:
    """A name with no namespace: not ``ns/name``, ``node/NAME`` or an IP address."""
    return "/" not in text and ip_literal(text) is None


def in_namespace(ref: str, namespace: str) -> str:
    """A client as typed: a bare pod or workload name is in ``namespace`` (``-n``), as kubectl reads it.

    >>> in_namespace("frontend", "shop"), in_namespace("dev/api", "shop"), in_namespace("10.0.0.1", "shop")
    ('shop/frontend', 'dev/api', '10.0.0.1')
    """
    return f"{namespace}/{ref}" if _bare(ref) else ref


def target_in_namespace(cluster: Cluster, ref: str, namespace: str) -> str:
    """A destination as typed: a bare name is the pod ``namespace/ref`` when that pod exists.

    Any other bare name stays a DNS name as the client types it (``web``, ``web.shop``):
    a Service usually shares its workload's name, and the name is what clients connect to.
    """
    if _bare(ref) and "." not in ref and f"{namespace}/{ref}" in cluster.pod_by_ref:
        return f"{namespace}/{ref}"
    return ref


def split_host_port(text: str) -> tuple[str, str | None]:
    """``HOST:PORT`` as (host, port); ``[IPv6]:PORT`` and ``[IPv6]`` too; a bare IPv6 address has no port.

    >>> split_host_port("apiserver:5001"), split_host_port("10.0.0.1:80"), split_host_port("shop/web:http")
    (('apiserver', '5001'), ('10.0.0.1', '80'), ('shop/web', 'http'))
    >>> split_host_port("[fd00::1]:80"), split_host_port("fd00::1"), split_host_port("web.shop")
    (('fd00::1', '80'), ('fd00::1', None), ('web.shop', None))
    """
    if text.startswith("["):
        host, close, rest = text[1:].partition("]")
        if not close or (rest and not (rest.startswith(":") and len(rest) > 1)):
            raise UsageError(f"{text!r} is not [IPv6 address]:PORT")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise UsageError(f"{text!r}: only an IPv6 address goes in brackets") from None
        return host, rest[1:] or None
    if text.count(":") == 1:  # two or more: an IPv6 address without a port
        host, _, port = text.partition(":")
        if not host or not port:
            raise UsageError(f"{text!r} is not HOST:PORT")
        return host, port
    return text, None


# --------------------------------------------------------------------------- ports


def resolve_port(port: int | str | None, protocol: str, pod: Pod | None) -> int | None:
    """A port number from a number, a numeric string or a container port name on ``pod``."""
    if port is None or isinstance(port, int):
        return port
    if str(port).isdigit():
        return int(port)
    if pod is None:
        return None
    return pod.named_port(str(port), protocol)


def check_protocol(protocol: str) -> None:
    if protocol not in PROTOCOLS:
        # ICMP & co.: NetworkPolicy leaves them undefined, so no verdict would be
        # sound; say so instead of answering NO_SUCH_PORT or DENIED (semantics.md §3.7).
        raise UsageError(
            f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}: NetworkPolicy behaviour "
            "for other protocols (ICMP, ...) is undefined upstream and depends on the plugin "
            "(semantics.md §3.7, §11 row 5), so netverify gives no verdict for it"
        )


def check_query(port: int | None, protocol: str) -> None:
    check_protocol(protocol)
    if port is not None and not 1 <= port <= 65535:
        raise UsageError(f"port must be in 1..65535, got {port}")
