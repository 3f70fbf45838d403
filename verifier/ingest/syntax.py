"""Syntax rules of Kubernetes values: names, labels, port names, IPs and CIDRs.

Each ``*_error`` function returns why a value is invalid, or ``None`` when it
is fine, so the caller decides where the problem is reported. The rules are
those of k8s.io/apimachinery ``pkg/util/validation``.

>>> dns_label_error("web-0"), iana_svc_name_error("8080")
(None, 'must contain at least one letter')
>>> cidr_error("10.0.0.1/24")
'10.0.0.1/24 has host bits set (the network is 10.0.0.0/24)'
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from ..model import IP, Network

__all__ = [
    "cidr_error",
    "dns_label_error",
    "dns_subdomain_error",
    "iana_svc_name_error",
    "ip_error",
    "label_key_error",
    "label_value_error",
    "masked_cidr",
    "masked_cidr_error",
    "host_bits_warning",
    "parse_cidr",
    "parse_ip",
]

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_IANA = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z")


def dns_label_error(value: str) -> str | None:
    """RFC 1123 label: Namespace and Service names, hostnames, port names."""
    if len(value) > 63:
        return f"must be at most 63 characters, got {len(value)}"
    if not _DNS_LABEL.match(value):
        return "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit"
    return None


def dns_subdomain_error(value: str) -> str | None:
    """RFC 1123 subdomain: most object names."""
    if len(value) > 253:
        return f"must be at most 253 characters, got {len(value)}"
    if not _DNS_SUBDOMAIN.match(value):
        return (
            "must be a DNS subdomain: lowercase letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_key_error(key: str) -> str | None:
    """``[prefix/]name``: prefix a DNS subdomain, name at most 63 characters of [A-Za-z0-9-_.]."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return f"label key {key!r} has an empty prefix"
    if slash and dns_subdomain_error(prefix):
        return f"label key {key!r}: the prefix must be a DNS subdomain"
    if not name:
        return f"label key {key!r} has an empty name"
    if len(name) > 63:
        return f"label key {key!r}: the name part must be at most 63 characters"
    if not _LABEL_NAME.match(name):
        return (
            f"label key {key!r}: the name must be letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_value_error(value: str) -> str | None:
    """Empty, or at most 63 characters of [A-Za-z0-9-_.] starting and ending alphanumeric."""
    if value == "":
        return None
    if len(value) > 63:
        return f"label value {value!r} is longer than 63 characters"
    if not _LABEL_NAME.match(value):
        return (
            f"label value {value!r} must be letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def iana_svc_name_error(value: str) -> str | None:
    """IANA_SVC_NAME: named ports (containerPort names, targetPort and policy port names)."""
    if len(value) > 15:
        return f"port name {value!r} must be at most 15 characters"
    if not _IANA.match(value):
        return f"port name {value!r} must be lowercase letters, digits and '-', starting and ending with a letter or digit"
    if "--" in value:
        return f"port name {value!r} must not contain '--'"
    if not any(c.isalpha() for c in value):
        return "must contain at least one letter"
    return None


@lru_cache(maxsize=1 << 16)  # dumps repeat addresses: a pod IP, again in its EndpointSlices
def parse_ip(text: str) -> IP | None:
    """The address, or ``None`` when ``text`` is not one (leading zeros and zones refused)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def ip_error(text: str) -> str | None:
    return None if parse_ip(text) is not None else f"{text!r} is not a valid IP address"


def parse_cidr(text: str) -> Network | None:
    """The network, or ``None`` unless ``text`` is ``address/prefix`` with no host bits set."""
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None


def masked_cidr(text: str) -> Network | None:
    """The network of ``address/prefix``, host bits cleared (``10.0.0.5/24`` is ``10.0.0.0/24``).

    NetworkPolicy ipBlocks and AdminNetworkPolicy networks are validated by the
    API server with Go's ``net.ParseCIDR``, which accepts host bits and keeps
    the network; other fields (podCIDRs, service CIDRs) refuse them.

    >>> str(masked_cidr("10.0.0.5/24")), masked_cidr("10.0.0.5")
    ('10.0.0.0/24', None)
    """
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def masked_cidr_error(text: str) -> str | None:
    """Like :func:`cidr_error`, but host bits are allowed (see :func:`masked_cidr`)."""
    return None if masked_cidr(text) is not None else cidr_error(text)


def host_bits_warning(text: str) -> str | None:
    """Why a CIDR with host bits set is read as its network, or None when it has none."""
    net = masked_cidr(text)
    if net is None or parse_cidr(text) is not None:
        return None
    return f"{text} has host bits set: read as the network {net}, as the API server does"


def cidr_error(text: str) -> str | None:
    if parse_cidr(text) is not None:
        return None
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            pass
        else:
            return f"{text} has host bits set (the network is {net})"
    return f"{text!r} is not a valid CIDR (address/prefix)"
