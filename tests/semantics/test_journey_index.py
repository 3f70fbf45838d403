"""``journey.translated_paths_to`` translates only the entries that may lead to the destination;
it must give exactly the client's paths that end there (oracle-generated clusters: Services of
every kind, traffic policies, hostPorts, EndpointSlices, hostNetwork backends)."""

from __future__ import annotations

import pytest

from tests.oracle.generate import scenario
from verifier.model import ip_address
from verifier.semantics import journey
from verifier.semantics.pipeline import Client


def _clients(c, family):
    yield from (Client.of_pod(c, p) for p in c.live_pods if p.ip(family) is not None)
    yield from (Client.of_node(n) for n in c.nodes)
    yield Client.outside(ip_address("203.0.113.9" if family == 4 else "2001:db8::9"))


@pytest.mark.parametrize("seed", range(30))
def test_paths_to_a_destination_are_the_paths_that_end_there(seed):
    c = scenario(seed).cluster
    for family in c.families:
        destinations = [("pod", p.ref) for p in c.pods]
        destinations += [("node", n.name) for n in c.nodes] + [("outside",)]
        for client in _clients(c, family):
            # Restricted first: once every path of the client is known, they are used instead.
            restricted = {
                d: journey.translated_paths_to(c, client, family, d) for d in destinations
            }
            every = journey.translated_paths(c, client, family)
            for d in destinations:
                want = tuple(p for p in every if journey.destination_key(p.destination) == d)
                assert restricted[d] == want, (client.label, d)
                assert journey.translated_paths_to(c, client, family, d) == want
