"""Known findings: ``netverify.dev/ignore`` annotations, baselines, fingerprints, operator-managed pods.

Fixtures: ``fixtures/tests/suppression/`` and ``fixtures/tests/operator/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import verifier
from tests.corpus import CORPUS, needs_corpus
from tests.properties.support import FIXTURES, load_fixture, where
from verifier.errors import InputError
from verifier.ingest import load, loads
from verifier.properties import Counterexample, PropertyResult, Status, check
from verifier.properties.fingerprint import fingerprint
from verifier.properties.suppress import Baseline, load_baseline, pod_ignore, suppress
from verifier.trace import Decider

SR = "service-resolution"
SUPPRESSION = FIXTURES / "suppression"


def _only(report, prop: str) -> PropertyResult:
    (result,) = [r for r in report.results if r.property == prop]
    return result


# --------------------------------------------------------------------------- annotations


def test_the_annotation_is_in_the_model():
    cluster = load_fixture("suppression/annotated.yaml")
    (ignore,) = cluster.ignores
    assert (ignore.kind, ignore.namespace, ignore.name) == ("Service", "shop", "metrics")
    assert ignore.properties == frozenset({SR}) and ignore.reason == "scraped only in production"
    assert where(ignore.source) == "suppression/annotated.yaml:37"


def test_a_service_annotated_suppresses_its_own_service_resolution_counterexample():
    report = check(load_fixture("suppression/annotated.yaml"), [SR])
    result = _only(report, SR)
    (cx,) = result.counterexamples
    assert result.status is Status.VIOLATED and result.suppressed
    assert cx.summary.startswith("Service shop/metrics port metrics:9090/TCP (IPv4) has no usable")
    assert (cx.suppressed.kind, cx.suppressed.object, cx.suppressed.reason) == (
        "annotation",
        "Service shop/metrics",
        "scraped only in production",
    )
    assert report.outcome is Status.HOLDS and report.status is Status.VIOLATED
    assert report.summary_counts() == {"holds": 0, "violated": 0, "suppressed": 1, "unknown": 0}
    assert report.suppressed_counts() == {"annotation": 1, "baseline": 0}
    data = result.to_dict()["counterexamples"][0]
    assert data["suppressed"] == "annotation"
    assert data["suppression"] == {
        "object": "Service shop/metrics",
        "reason": "scraped only in production",
    }


def test_an_annotation_naming_another_property_does_not_suppress():
    report = check(load_fixture("suppression/other-property.yaml"), [SR])
    (cx,) = _only(report, SR).counterexamples
    assert cx.suppressed is None and report.outcome is Status.VIOLATED
    assert report.summary_counts()["violated"] == 1


def test_an_unknown_property_name_is_a_warning_and_suppresses_nothing():
    cluster = loads(
        (SUPPRESSION / "annotated.yaml")
        .read_text()
        .replace("ignore: service-resolution", "ignore: service-resolutoin"),
        "annotated.yaml",
    )
    assert cluster.ignores == ()
    (warning,) = [w for w in cluster.warnings if "netverify.dev/ignore" in w.message]
    assert warning.severity == "warning" and warning.line == 37
    assert "'service-resolutoin', which is no property" in warning.message
    assert _only(check(cluster, [SR]), SR).counterexamples[0].suppressed is None


ALLOCATION = (FIXTURES / "isolation" / "violated-allocation.yaml").read_text()


def test_a_network_policy_annotated_suppresses_the_isolation_counterexamples_it_decides():
    text = ALLOCATION.replace(
        "metadata: {name: db, namespace: prod}\nspec:\n  podSelector",
        "metadata:\n  name: db\n  namespace: prod\n"
        "  annotations: {netverify.dev/ignore: isolation}\nspec:\n  podSelector",
    )
    assert text != ALLOCATION
    result = _only(check(loads(text, "policy.yaml"), ["isolation"]), "isolation")
    assert result.counterexamples and result.suppressed
    assert {c.suppressed.object for c in result.counterexamples} == {"NetworkPolicy prod/db"}
    assert result.counterexamples[0].suppressed.reason == (
        "NetworkPolicy prod/db is annotated netverify.dev/ignore: isolation"
    )


def test_a_pod_template_annotation_counts_for_its_pods_all_of_them_needed():
    cluster = loads(
        """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {netverify.dev/ignore: "*"}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: shop}
spec: {containers: [{name: c, image: busybox}]}
""",
        "pods.yaml",
    )
    (pod,) = cluster.workload_pods("shop/web")
    assert pod_ignore(cluster, pod.ref).ref == "Deployment shop/web"
    assert pod_ignore(cluster, "shop/other") is None
    result = PropertyResult(
        "isolation",
        "isolation",
        Status.VIOLATED,
        "s",
        (
            Counterexample("only web", pods=(pod.ref,)),
            Counterexample("both", pods=(pod.ref, "shop/other")),
        ),
    )
    only, both = suppress(cluster, result).counterexamples
    assert only.suppressed.kind == "annotation" and both.suppressed is None


# --------------------------------------------------------------------------- baseline


def _report_data(*sources, **kwargs) -> dict:
    return json.loads(json.dumps(check(load(*sources), [SR], **kwargs).to_dict(), default=str))


def test_a_baseline_of_the_same_input_suppresses_every_counterexample():
    base = SUPPRESSION / "base.yaml"
    report = verifier.check(load(base), [SR], baseline=_report_data(base))
    result = _only(report, SR)
    assert result.counterexamples and all(
        c.suppressed is not None and c.suppressed.kind == "baseline" for c in result.counterexamples
    )
    assert report.outcome is Status.HOLDS


def test_a_new_violation_is_the_only_one_not_in_the_baseline():
    base, new = SUPPRESSION / "base.yaml", SUPPRESSION / "new.yaml"
    report = check(load(base, new), [SR], baseline=_report_data(base))
    result = _only(report, SR)
    assert [c.summary.split(" (")[0] for c in result.new_counterexamples] == [
        "Service shop/search port 9200/TCP"
    ]
    assert [c.summary.split(" (")[0] for c in result.suppressed_counterexamples] == [
        "Service shop/legacy port 8080/TCP"
    ]
    assert report.outcome is Status.VIOLATED


def test_the_search_goes_on_past_suppressed_counterexamples():
    # One counterexample wanted; the first one found is in the baseline: the new one must
    # still be found, not hidden behind it.
    base, new = SUPPRESSION / "base.yaml", SUPPRESSION / "new.yaml"
    report = check(load(base, new), [SR], baseline=_report_data(base), max_counterexamples=1)
    result = _only(report, SR)
    assert len(result.new_counterexamples) == 1 and report.outcome is Status.VIOLATED


def test_a_truncated_baseline_accepts_the_causes_it_lists_not_others():
    base, new = SUPPRESSION / "base.yaml", SUPPRESSION / "new.yaml"
    old = _report_data(base, new, max_counterexamples=1)
    (entry,) = old["results"]
    assert entry["truncated"] is True and len(entry["counterexamples"]) == 1
    result = _only(check(load(base, new), [SR], baseline=old), SR)
    assert len(result.suppressed_counterexamples) == 1 and len(result.new_counterexamples) == 1


def _variant(cidr: str) -> str:
    # dev/client has no address: netverify allocates one from its node's podCIDR.
    text = ALLOCATION.replace("        except: [10.244.1.0/25]\n", "")
    return text.replace(
        "podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24]", f"podCIDR: {cidr}, podCIDRs: [{cidr}]"
    )


def test_the_fingerprint_does_not_change_with_an_allocated_address():
    results = [
        _only(check(loads(_variant(cidr), "cluster.yaml"), ["isolation"]), "isolation")
        for cidr in ("10.244.1.0/24", "10.244.5.0/24")
    ]
    # The client dev/client's example (the cluster may hold other clients the rule lets in).
    a, b = (next(c for c in r.counterexamples if "dev/client" in c.pods) for r in results)
    assert a.allocation["dev/client"].startswith("10.244.1.")
    assert b.allocation["dev/client"].startswith("10.244.5.")
    assert a.summary != b.summary  # the address is in the summary ...
    assert fingerprint(results[0], a) == fingerprint(results[1], b)  # ... not in the fingerprint
    old = json.loads(json.dumps(results[0].to_dict(), default=str))
    assert Baseline.from_report({"results": [old]}, "old.json").covers(results[1], b)


def test_fingerprints_ignore_lines_but_not_objects():
    r = PropertyResult(SR, SR, Status.VIOLATED, "s")
    at = Decider("Service", "web", "shop", "port 80/TCP")
    one = Counterexample("Service shop/web at a.yaml:3 on 10.96.0.1:80", objects=(at,))
    moved = Counterexample("Service shop/web at a.yaml:9 on 10.96.4.4:80", objects=(at,))
    other = Counterexample(one.summary, objects=(Decider("Service", "api", "shop", "port 80/TCP"),))
    assert fingerprint(r, one) == fingerprint(r, moved) != fingerprint(r, other)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "neither JSON nor YAML"),
        ('{"results": 3}', "not a netverify check report: 'results' is missing or not a list"),
        ("[1, 2]", "not a netverify check report: expected a JSON object"),
        (
            '{"error": {"type": "input"}, "results": [], "summary": {"exit_code": 2}}',
            "a check whose input did not load",
        ),
    ],
)
def test_a_bad_baseline_is_an_input_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(InputError) as e:
        load_baseline(path)
    (problem,) = e.value.problems
    assert problem.file == str(path) and message in problem.message


def test_a_missing_baseline_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read the baseline"):
        load_baseline(tmp_path / "nope.json")


# --------------------------------------------------------------------------- operator-managed pods


def test_operator_managed_services_are_one_warning_each_not_counterexamples():
    result = check(load_fixture("operator/operator.yaml"), [SR]).results[0]
    (cx,) = result.counterexamples
    assert cx.summary.startswith("Service monitoring/orphan port 80/TCP (IPv4) has no usable")
    assert [(f.severity, f.message.split(":")[0]) for f in result.findings] == [
        (
            "warning",
            "Service monitoring/prometheus-k8s targets pods created by an operator from "
            "monitoring.coreos.com/v1 Prometheus k8s",
        ),
        (
            "warning",
            "Service monitoring/alertmanager-main targets pods created by an operator from "
            "monitoring.coreos.com/v1 Alertmanager main",
        ),
        (
            "warning",
            "Service monitoring/canary targets pods created by an operator from "
            "argoproj.io/v1alpha1 Rollout canary",
        ),
    ]
    prometheus = result.findings[0]
    assert "ports (web:9090/TCP, reloader-web:8080/TCP)" in prometheus.message
    assert [o.ref for o in prometheus.objects] == [
        "Service monitoring/prometheus-k8s spec.selector",
        "Prometheus monitoring/k8s",
    ]
    assert result.to_dict()["findings"][0]["severity"] == "warning"


@needs_corpus
@pytest.mark.corpus
def test_kube_prometheus_reports_each_operator_service_once():
    cluster = load(CORPUS / "kube-prometheus")
    result = check(cluster, [SR], max_counterexamples=50).results[0]
    services = [f.message.split(" targets ")[0] for f in result.findings]
    assert services == ["Service monitoring/alertmanager-main", "Service monitoring/prometheus-k8s"]
    assert "monitoring.coreos.com/v1 Prometheus k8s" in result.findings[1].message
    assert not any(
        "prometheus-k8s" in c.summary or "alertmanager-main" in c.summary
        for c in result.counterexamples
    )
    assert Path(CORPUS / "kube-prometheus").is_dir()
