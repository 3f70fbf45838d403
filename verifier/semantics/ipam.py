"""IPAM: where a pod's address may come from (semantics.md §1.4, §8.4).

One definition serves the loader, which picks a concrete address for a pod
the input leaves without one, and the Z3 encoder, which lets that address range
over every address the IPAM could have picked (so a proof covers every
allocation):

* with Calico IP pools: every enabled pool for ``Workload`` use whose
  ``nodeSelector`` selects the pod's node (Calico may borrow blocks from any of
  them); the loader takes addresses from the first one's blocks affine to the node;
* otherwise the node's podCIDR (host-local IPAM), never its network address
  nor its IPv4 broadcast address;
* otherwise the cluster's pod CIDRs;
* never an address an EndpointSlice names (:func:`named_by_endpoints`): the
  slice is evidence that the address is in use, by the pod its ``targetRef``
  names (whose own address it then is) or by whatever the slice points at.

>>> from verifier.model import IPPool, Node, ip_network
>>> n1 = Node("n1", pod_cidrs=(ip_network("10.244.1.0/24"),))
>>> [str(n) for n in ranges(n1, (), 4)]
['10.244.1.0/24']
>>> [str(a) for a in reserved(ip_network("10.244.1.0/24"), ())]
['10.244.1.0', '10.244.1.255']
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import IP, EndpointSlice, IPPool, Network, Node
from .calico_selector import matches as calico_matches

__all__ = ["named_by_endpoints", "usable_pools", "pool_selects", "ranges", "reserved"]


def usable_pools(pools: Sequence[IPPool]) -> list[IPPool]:
    """Pools pods may take addresses from: enabled, for ``Workload`` use."""
    return [p for p in pools if not p.disabled and "Workload" in p.allowed_uses]


def pool_selects(pool: IPPool, node: Node | None) -> bool:
    """Does the pool's ``nodeSelector`` select ``node`` (every node when unknown)?"""
    if pool.node_selector in ("", "all()") or node is None:
        return True
    return calico_matches(pool.node_selector, node.labels)


def ranges(
    node: Node | None, pools: Sequence[IPPool], family: int, cluster_cidrs: Sequence[Network] = ()
) -> tuple[Network, ...]:
    """Where a pod on ``node`` may get its ``family`` address, in the order the loader prefers."""
    chosen = [
        p.cidr for p in usable_pools(pools) if p.cidr.version == family and pool_selects(p, node)
    ]
    if chosen:
        return tuple(chosen)
    if node is not None and node.pod_cidr(family) is not None:
        return (node.pod_cidr(family),)
    return tuple(c for c in cluster_cidrs if c.version == family)


def reserved(net: Network, pools: Sequence[IPPool]) -> tuple[IP, ...]:
    """Addresses of a range no IPAM hands to a pod.

    host-local IPAM (a node's podCIDR) never allocates the network address, nor
    the IPv4 broadcast address; Calico pools use every address of their blocks.
    """
    if any(pool.cidr == net for pool in pools) or net.num_addresses <= 2:
        return ()
    if net.version == 4:
        return (net.network_address, net.broadcast_address)
    return (net.network_address,)


def named_by_endpoints(slices: Sequence[EndpointSlice]) -> dict[IP, str | None]:
    """Every address an IPv4/IPv6 EndpointSlice names, with the ``targetRef`` pod it names it for.

    A slice the API server accepted says the address is in use: the IPAM does not
    hand it to another pod, and a pod whose address the input leaves open but that
    a slice names as its target holds that address.

    >>> from verifier.model import Endpoint, EndpointSlice, ip_address
    >>> s = EndpointSlice("x", "web-1", "web", "IPv4",
    ...                   endpoints=(Endpoint((ip_address("10.244.1.7"),), target_pod="x/web-0"),))
    >>> {str(ip): pod for ip, pod in named_by_endpoints([s]).items()}
    {'10.244.1.7': 'x/web-0'}
    """
    out: dict[IP, str | None] = {}
    for sl in slices:
        if sl.family is None:
            continue
        for ep in sl.endpoints:
            # Consumers read only the first address (discovery/v1 Endpoint.addresses).
            if ep.addresses and ep.addresses[0].version == sl.family:
                out.setdefault(ep.addresses[0], ep.target_pod)
    return out
