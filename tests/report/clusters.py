"""A small two-namespace cluster shared by the report and widget tests.

Built from :mod:`tests.builders` (no loader involved), so these tests pin the
renderers, not ingest::

    shop/web-0, shop/web-1   app=web, containerPort http 8080, nodes n1 / n2
    shop/db-0                app=db, 5432, node n1
    dev/tool                 no ports, node n2
    shop/web                 Service 10.96.0.20:80 -> targetPort http
    shop policies            allow-db: db from app=web on 5432; allow-web: web from
                             every namespace on http; deny-all ingress (each with a file:line)
"""

from __future__ import annotations

from tests.builders import cluster, node, pod, service
from verifier.model import (
    LabelSelector,
    NetworkPolicy,
    Peer,
    PolicyPort,
    PolicyRule,
    Requirement,
    Source,
)

__all__ = ["POLICY_FILE", "shop"]

POLICY_FILE = "policies/shop.yaml"


def _app(name: str) -> LabelSelector:
    return LabelSelector((Requirement("app", "In", (name,)),))


def shop():
    """The cluster described in the module docstring."""
    # Listed in name order, which is also the order the engine names isolating policies in.
    policies = (
        NetworkPolicy(
            "shop",
            "allow-db",
            _app("db"),
            ("Ingress",),
            (
                PolicyRule(
                    (Peer(pod_selector=_app("web")),),
                    (PolicyPort(port=5432),),
                    Source(POLICY_FILE, 14),
                ),
            ),
            source=Source(POLICY_FILE, 8),
        ),
        NetworkPolicy(
            "shop",
            "allow-web",
            _app("web"),
            ("Ingress",),
            (
                PolicyRule(
                    (Peer(namespace_selector=LabelSelector()),),
                    (PolicyPort(port="http"),),
                    Source(POLICY_FILE, 26),
                ),
            ),
            source=Source(POLICY_FILE, 20),
        ),
        NetworkPolicy(
            "shop", "deny-all", LabelSelector(), ("Ingress",), source=Source(POLICY_FILE, 1)
        ),
    )
    return cluster(
        node("n1", "10.0.1.1", pod_cidr="10.244.1.0/24"),
        node("n2", "10.0.1.2", pod_cidr="10.244.2.0/24"),
        pod(
            "shop/web-0", ip="10.244.1.10", node="n1", labels={"app": "web"}, ports=[("http", 8080)]
        ),
        pod(
            "shop/web-1", ip="10.244.2.11", node="n2", labels={"app": "web"}, ports=[("http", 8080)]
        ),
        pod("shop/db-0", ip="10.244.1.20", node="n1", labels={"app": "db"}, ports=[("pg", 5432)]),
        pod("dev/tool", ip="10.244.2.30", node="n2"),
        service("shop/web", ip="10.96.0.20", ports=[("http", 80, "http")], selector={"app": "web"}),
        list(policies),
    )
