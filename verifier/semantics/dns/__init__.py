"""Cluster DNS (semantics.md §7), in two halves: the server and the pod's resolver.

* :mod:`verifier.semantics.dns.server`: the zone CoreDNS serves and the
  resolvers upstream (:func:`lookup`, :func:`lookup_upstream`);
* :mod:`verifier.semantics.dns.resolver`: a pod's resolv.conf and the glibc
  search-list walk (:func:`resolver_config`, :func:`resolve`).

DNS data never depends on packet fields, so everything here is concrete.
"""

from .resolver import (
    Attempt,
    Resolution,
    ResolvConf,
    cluster_dns_ips,
    resolve,
    resolver_config,
    search_candidates,
)
from .server import (
    NODATA,
    NOERROR,
    NXDOMAIN,
    SCHEMA_VERSION,
    Answer,
    Record,
    answer_filter,
    dashed,
    lookup,
    lookup_upstream,
    may_answer,
    names_below_namespaces,
    namespace_search_domain,
    ptr_name,
    undeclared_upstream,
    wire_rcode,
    zone_names,
)

__all__ = [
    "undeclared_upstream",
    "wire_rcode",
    "NODATA",
    "NOERROR",
    "NXDOMAIN",
    "SCHEMA_VERSION",
    "Answer",
    "Attempt",
    "answer_filter",
    "Record",
    "Resolution",
    "ResolvConf",
    "cluster_dns_ips",
    "dashed",
    "lookup",
    "lookup_upstream",
    "may_answer",
    "names_below_namespaces",
    "namespace_search_domain",
    "ptr_name",
    "resolve",
    "resolver_config",
    "search_candidates",
    "zone_names",
]
