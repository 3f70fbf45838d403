"""Services (semantics.md §6, §9.2), in two halves: which endpoints a Service has, and what kube-proxy does.

* :mod:`verifier.semantics.services.endpointslices`: the EndpointSlice
  controller (:func:`service_endpoints`), or the input's slices;
* :mod:`verifier.semantics.services.kubeproxy`: frontends, endpoint choice,
  DNAT and masquerade (:func:`translate`).

Everything here is concrete: which endpoints a Service has, which addresses it
answers on and what kube-proxy does with a connection to one of them never
depend on packet fields other than the destination, so the engine and the Z3
encoder both call these functions with plain values and loop over the result
(through :mod:`verifier.semantics.journey`).
"""

from .endpointslices import (
    GENERATED,
    ServiceEndpoint,
    families_of,
    generated_endpoints,
    service_endpoints,
)
from .kubeproxy import (
    CLIENT_KINDS,
    CLUSTER_IP,
    DNAT,
    DROP,
    EXTERNAL_IP,
    LOAD_BALANCER,
    NODE_PORT,
    REJECT,
    Backend,
    Frontend,
    Translation,
    candidates,
    frontend_index,
    frontends,
    in_service_range,
    match_frontend,
    port_source,
    service_ranges,
    translate,
    unserved,
)

__all__ = [
    "CLIENT_KINDS",
    "CLUSTER_IP",
    "DNAT",
    "DROP",
    "EXTERNAL_IP",
    "GENERATED",
    "LOAD_BALANCER",
    "NODE_PORT",
    "REJECT",
    "Backend",
    "Frontend",
    "ServiceEndpoint",
    "Translation",
    "candidates",
    "families_of",
    "frontend_index",
    "frontends",
    "generated_endpoints",
    "in_service_range",
    "match_frontend",
    "port_source",
    "service_endpoints",
    "service_ranges",
    "translate",
    "unserved",
]
