"""Random mutations of valid manifests: InputError or a cluster, never another exception."""

from __future__ import annotations

import copy
from functools import partial

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifier import ingest
from verifier.errors import InputError

# The input alone, without the cluster DNS and API server every cluster adds.
load_objects = partial(ingest.load_objects, implicit=False)
loads = partial(ingest.loads, implicit=False)


VALID = """\
apiVersion: netverify.dev/v1alpha1
kind: ClusterNetwork
metadata: {name: c}
spec:
  serviceCIDRs: [10.96.0.0/16, "fd00:10:96::/112"]
  podCIDRs: [10.244.0.0/16, "fd00:10:244::/56"]
  masquerade: {mode: ip-masq-agent, nonMasqueradeCIDRs: [10.0.0.0/8]}
  clusterDNS: [10.96.0.10]
  nodePortRange: 30000-32767
  externalNames: {example.com: [93.184.216.34]}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: a}}
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {zone: a}}
spec: {podCIDRs: [10.244.1.0/24], taints: [{key: k, value: v, effect: NoSchedule}]}
status: {addresses: [{type: InternalIP, address: 192.168.0.1}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  labels: {app: web}
  ownerReferences: [{kind: StatefulSet, name: web, controller: true}]
spec:
  nodeName: n1
  hostname: web-0
  subdomain: web
  dnsConfig: {nameservers: [1.1.1.1], options: [{name: ndots, value: "2"}]}
  initContainers: [{name: side, restartPolicy: Always, ports: [{containerPort: 9000}]}]
  containers:
  - name: app
    ports: [{containerPort: 8080, name: http}, {containerPort: 53, protocol: UDP, hostPort: 53}]
status:
  phase: Running
  podIP: 10.244.1.5
  podIPs: [{ip: 10.244.1.5}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      nodeSelector: {zone: a}
      tolerations: [{key: k, operator: Exists}]
      containers: [{name: c, ports: [{containerPort: 80, name: http}]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {hostNetwork: true, containers: [{name: c, ports: [{containerPort: 9100}]}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "0 0 * * *"
  jobTemplate: {spec: {template: {metadata: {labels: {app: n}}, spec: {containers: [{name: c}]}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ipFamilyPolicy: PreferDualStack
  ports: [{name: http, port: 80, targetPort: http, nodePort: 30080}, {name: dns, port: 53, protocol: UDP}]
  externalIPs: [198.51.100.1]
status: {loadBalancer: {ingress: [{ip: 203.0.113.1}]}}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [10.244.1.5]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: web-0}
---
apiVersion: v1
kind: Endpoints
metadata: {name: legacy, namespace: shop}
subsets: [{addresses: [{ip: 10.244.1.9}], notReadyAddresses: [{ip: 10.244.1.10}], ports: [{port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: web}
    matchExpressions: [{key: env, operator: NotIn, values: [prod]}]
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
      namespaceSelector: {}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports: [{port: http}, {port: 8000, endPort: 8100}]
  egress: [{to: [{namespaceSelector: {matchLabels: {team: a}}}], ports: [{protocol: UDP, port: 53}]}]
---
apiVersion: networking.k8s.io/v1
kind: ServiceCIDR
metadata: {name: extra}
spec: {cidrs: [10.97.0.0/16]}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool}
spec: {cidr: 10.244.0.0/16, natOutgoing: true, nodeSelector: "zone == 'a'", blockSize: 26}
---
apiVersion: v1
kind: PodList
items:
- metadata: {name: listed, namespace: shop}
  spec: {containers: [{name: c}]}
"""

DOCS = list(yaml.safe_load_all(VALID))

GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.sampled_from(
        ["", "None", "x" * 300, "10.0.0.1/33", "::1/129", "fd00::/64", "All()", "-", "UPPER", "a b"]
    ),
    st.text(max_size=20),
    st.just({}),
    st.just([]),
    st.just({"x": [1, {"y": None}]}),
    st.just([None, "a", 1]),
    st.just([[[]]]),
)


def paths(value, prefix=()):
    """Every path into ``value`` (keys and list indexes)."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))


def mutate(doc, path, action, garbage):
    if not path:
        return garbage if action == "replace" else doc
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    elif action == "wrap":
        parent[last] = [parent[last]]
    elif action == "nest":
        parent[last] = {"value": parent[last]}
    else:
        parent[last] = garbage
    return doc


@st.composite
def mutated(draw):
    docs = copy.deepcopy(DOCS)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(docs) - 1))
        all_paths = list(paths(docs[i]))
        path = draw(st.sampled_from(all_paths))
        action = draw(
            st.sampled_from(["replace", "replace", "delete", "duplicate", "wrap", "nest"])
        )
        docs[i] = mutate(docs[i], path, action, copy.deepcopy(draw(GARBAGE)))
    return docs


def check(run):
    try:
        run()
    except InputError as exc:
        internal = [p for p in exc.problems if "internal error" in p.message]
        assert not internal, "\n".join(map(str, internal))


def test_the_valid_manifests_load():
    cluster = loads(VALID)
    assert len(cluster.pods) == 5 and cluster.dual_stack


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=mutated(), as_text=st.booleans())
def test_mutations_never_crash(docs, as_text):
    if as_text:
        try:
            text = yaml.safe_dump_all(docs)
        except (yaml.YAMLError, ValueError, OverflowError):
            return
        check(lambda: loads(text, "fuzz.yaml"))
    else:
        check(lambda: load_objects(docs, "<fuzz>"))


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet="{}[]:-,'\"#&*!|> \n\tab01.%@`", max_size=60))
def test_random_text_never_crashes(text):
    check(lambda: loads(text, "noise.yaml"))
