"""A directory is a repository, not a clean dump: what is skipped, what stays an error, -n, --strict.

``fixtures/tests/repository`` is a small application repository: a Helm chart
(``Chart.yaml``, ``values.yaml``, a ``{{ }}`` template and a ``.tpl``), a
``kustomization.yaml``, ``docs/notes.md``, a ``config.json``, and the real
manifests (two Deployments, a Service, a NetworkPolicy) without namespaces.
"""

from __future__ import annotations

import io
import shutil
from functools import partial
from pathlib import Path

import pytest

from tests.corpus import CORPUS, needs_corpus
from tests.properties.support import REPO
from verifier import ingest
from verifier.errors import InputError
from verifier.ingest.documents import SKIPPED

# Reading the repository: without the cluster DNS and API server every cluster adds.
load = partial(ingest.load, implicit=False)

REPOSITORY = REPO / "fixtures" / "tests" / "repository"

KUSTOMIZE = (
    "a kustomize configuration (Kustomization): the manifests it lists are loaded as written, "
    "without its patches or name changes (kustomize build DIR | netverify check -f - loads what "
    "it deploys)"
)
CHART_TEMPLATE = (
    "a Helm chart template; render the chart first (helm template ... | netverify check -f -)"
)

#: (file relative to the repository, line, reason): one warning per skipped file, nothing else.
EXPECTED_SKIPS = [
    ("charts/app/Chart.yaml", None, "no document has a kind"),
    ("charts/app/templates/deployment.yaml", None, CHART_TEMPLATE),
    ("charts/app/values.yaml", None, "no document has a kind"),
    ("config.json", None, "no document has a kind"),
    ("kustomization.yaml", 1, KUSTOMIZE),
]


def _rel(file: str, root: Path = REPOSITORY) -> str:
    return str(Path(file).relative_to(root))


def test_the_repository_loads_with_one_warning_per_skipped_file():
    cluster = load(REPOSITORY)
    assert [(_rel(w.file), w.line, w.severity, w.message) for w in cluster.warnings] == [
        (file, line, "warning", SKIPPED + reason) for file, line, reason in EXPECTED_SKIPS
    ]
    assert sorted(p.ref for p in cluster.pods) == [
        "default/frontend-0",
        "default/web-0",
        "default/web-1",
    ]
    assert [s.ref for s in cluster.services] == ["default/web"]
    assert [(p.namespace, p.name) for p in cluster.policies] == [("default", "web-from-frontend")]
    # The chart template's Deployment (named by a template) is not among them.
    assert {p.source.file for p in cluster.pods} == {str(REPOSITORY / "manifests/deployment.yaml")}


def test_strict_turns_every_skipped_file_into_an_error():
    with pytest.raises(InputError) as info:
        load(REPOSITORY, strict=True)
    assert [(_rel(p.file), p.line, p.severity, p.message) for p in info.value.errors] == [
        (file, line, "error", f"not a Kubernetes manifest (--strict): {reason}")
        for file, line, reason in EXPECTED_SKIPS
    ]


def test_namespace_places_objects_that_name_none():
    cluster = load(REPOSITORY, namespace="shop")
    assert sorted(p.ref for p in cluster.pods) == [
        "shop/frontend-0",
        "shop/web-0",
        "shop/web-1",
    ]
    assert [s.ref for s in cluster.services] == ["shop/web"]
    assert [p.namespace for p in cluster.policies] == ["shop"]
    # shop has no Namespace object: the usual warning, after the skipped files.
    assert [w.message for w in cluster.warnings][-1].startswith(
        "namespace 'shop' is not in the input"
    )


def test_namespace_leaves_objects_that_name_theirs(tmp_path):
    (tmp_path / "pods.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: dev}\nspec: {containers: [{name: c}]}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c}]}\n"
    )
    cluster = load(tmp_path, namespace="prod")
    assert [p.ref for p in cluster.pods] == ["dev/a", "prod/b"]


def test_a_file_named_explicitly_is_read_as_a_manifest():
    # The same values.yaml that a walk skips is an error when asked for by name.
    with pytest.raises(InputError) as info:
        load(REPOSITORY / "charts/app/values.yaml", REPOSITORY / "manifests")
    (error,) = info.value.errors
    assert (_rel(error.file), error.line, error.field, error.message) == (
        "charts/app/values.yaml",
        1,
        "kind",
        "missing required field (every object needs a kind)",
    )


def test_a_template_outside_a_chart_is_skipped_by_its_template_action(tmp_path):
    shutil.copytree(REPOSITORY / "manifests", tmp_path / "manifests")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "job.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n"
        "spec:\n  backoffLimit: {{ .Values.retries }}\n"
    )
    (warning,) = load(tmp_path).warnings
    assert (_rel(warning.file, tmp_path), warning.line, warning.message) == (
        "deploy/job.yaml",
        6,
        SKIPPED
        + "a template ({{ at line 6), not YAML; render it first (e.g. helm template ... | netverify check -f -)",
    )


def test_a_broken_manifest_in_a_directory_stays_an_error(tmp_path):
    # Skipping it would make a NetworkPolicy silently disappear from the proofs.
    shutil.copytree(REPOSITORY / "manifests", tmp_path / "manifests")
    (tmp_path / "manifests" / "deny.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny\nspec: {}\n"
    )
    with pytest.raises(InputError) as info:
        load(tmp_path)
    (error,) = info.value.errors
    assert (_rel(error.file, tmp_path), error.severity) == ("manifests/deny.yaml", "error")
    assert error.message.startswith("invalid YAML")


def test_a_broken_file_that_is_no_manifest_is_skipped(tmp_path):
    shutil.copytree(REPOSITORY / "manifests", tmp_path / "manifests")
    (tmp_path / "tsconfig.json").write_text('{\n  // comments are not JSON\n  "strict": true\n}\n')
    (warning,) = load(tmp_path).warnings
    assert (_rel(warning.file, tmp_path), warning.line, warning.severity) == (
        "tsconfig.json",
        2,
        "warning",
    )
    assert warning.message.startswith(SKIPPED + "not valid YAML or JSON (invalid JSON: ")


# --------------------------------------------------------------------------- nothing to verify


def test_empty_stdin_is_nothing_to_verify(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(InputError) as info:
        load("-")
    assert [str(p) for p in info.value.problems] == [
        "<input>: nothing to verify: the input holds no Kubernetes objects "
        "(stdin was empty: did the command before the pipe fail?)"
    ]


def test_policies_only_is_nothing_to_verify_and_says_what_was_found(tmp_path):
    shutil.copy(REPOSITORY / "manifests" / "networkpolicy.yaml", tmp_path)
    shutil.copy(REPOSITORY / "manifests" / "service.yaml", tmp_path)
    (tmp_path / "values.yaml").write_text("replicaCount: 1\n")
    with pytest.raises(InputError) as info:
        load(tmp_path)
    assert [p.severity for p in info.value.problems] == ["warning", "error"]
    assert info.value.errors[0].message == (
        "nothing to verify: the input has no pods, and no workloads that make one "
        "(Deployment, StatefulSet, DaemonSet, ...); it holds NetworkPolicy x1, Service x1; "
        "1 file(s) skipped as no Kubernetes manifests (-v lists them)"
    )
    assert len(load(tmp_path, allow_empty=True).policies) == 1


def test_a_workload_with_zero_replicas_is_nothing_to_verify():
    text = (REPOSITORY / "manifests" / "deployment.yaml").read_text()
    text = text.replace("replicas: 2", "replicas: 0").replace("replicas: 1", "replicas: 0")
    with pytest.raises(InputError, match="nothing to verify: .* it holds Deployment x2$"):
        load(io.StringIO(text))


# --------------------------------------------------------------------------- defined twice


POLICY = (
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
    "metadata: {name: web}\nspec: {podSelector: {}, policyTypes: [%s]}\n"
)


def _two_versions(tmp_path) -> Path:
    shutil.copy(REPOSITORY / "manifests" / "deployment.yaml", tmp_path)
    (tmp_path / "a-web.yaml").write_text(POLICY % "Ingress")
    (tmp_path / "b-web.yaml").write_text(POLICY % "Egress")
    return tmp_path


def test_an_object_in_two_files_the_later_one_is_used(tmp_path):
    cluster = load(_two_versions(tmp_path))
    (policy,) = cluster.policies
    assert (policy.source.file, policy.policy_types) == (str(tmp_path / "b-web.yaml"), ("Egress",))
    (warning,) = cluster.warnings
    assert str(warning) == (
        f"{tmp_path}/a-web.yaml:3: warning: NetworkPolicy default/web: metadata.name: "
        f"NetworkPolicy default/web is defined twice: the later definition at {tmp_path}/b-web.yaml:1 "
        "is used, this one is ignored (as kubectl apply would leave it)"
    )


def test_an_object_in_two_files_is_an_error_under_strict(tmp_path):
    with pytest.raises(InputError) as info:
        load(_two_versions(tmp_path), strict=True)
    assert [str(p) for p in info.value.errors] == [
        f"{tmp_path}/b-web.yaml:3: NetworkPolicy default/web: metadata.name: "
        f"NetworkPolicy default/web is defined twice: here and at {tmp_path}/a-web.yaml:1"
    ]


def test_an_object_twice_in_one_file_stays_an_error(tmp_path):
    shutil.copy(REPOSITORY / "manifests" / "deployment.yaml", tmp_path)
    (tmp_path / "web.yaml").write_text(POLICY % "Ingress" + "---\n" + POLICY % "Egress")
    with pytest.raises(InputError) as info:
        load(tmp_path)
    assert [(p.line, p.message) for p in info.value.errors] == [
        (8, f"NetworkPolicy default/web is defined twice: here and at {tmp_path}/web.yaml:1")
    ]


@needs_corpus
def test_netpol_recipes_alternative_versions_load_with_a_warning():
    folder = CORPUS / "netpol-recipes"
    cluster = load(folder, allow_empty=True)
    assert len(cluster.policies) == 14
    (policy,) = [p for p in cluster.policies if p.name == "foo-deny-egress"]
    assert policy.source.file == str(folder / "11-foo-deny-egress.yaml")
    (warning,) = cluster.warnings
    assert (warning.file, warning.severity) == (
        str(folder / "11-foo-deny-egress-with-dns.yaml"),
        "warning",
    )
    # The recipes are policies only: on their own there is nothing to verify.
    with pytest.raises(InputError, match="nothing to verify: .* it holds NetworkPolicy x15$"):
        load(folder)
