"""HorizontalPodAutoscalers of each version as ScaledObjects (and AppObservability objects): targets,
quantities, replicas, behavior, and every kind of metric an HPA can hold."""

from __future__ import annotations

from typing import Any

import pytest

from kedawatch.migration.results import Converted
from tests.migration import checks
from tests.migration.manifests import external, external_metric, hpa, stream

VERSIONS = ["autoscaling/v2beta1", "autoscaling/v2beta2", "autoscaling/v2"]


def only(results: list[Converted], kind: str = "ScaledObject") -> dict[str, Any]:
    (obj,) = [o for o in checks.check(results) if o["kind"] == kind]
    return obj


def texts(results: list[Converted], lost: bool | None = None) -> list[str]:
    return [n.text for r in results for n in r.notes if lost is None or n.lost == lost]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", ["AverageValue", "Value"])
def test_every_hpa_version_and_target_type_becomes_the_same_trigger(version: str, kind: str) -> None:
    results = checks.migrate_text(stream(hpa(version, [external(version, kind=kind)]), external_metric()))
    scaled = only(results)
    assert not texts(results, lost=True)
    (trigger,) = scaled["spec"]["triggers"]
    assert (trigger["metricType"], trigger["metadata"]["targetMetricValue"]) == (kind, "30")
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (2, 20)


@pytest.mark.parametrize(
    ("quantity", "target"),
    [
        pytest.param("500m", "0.5", id="milli"),
        pytest.param("1k", "1000", id="kilo"),
        pytest.param("1Ki", "1024", id="binary"),
        pytest.param("1.5e3", "1500", id="exponent"),
        pytest.param("250u", "0.00025", id="micro"),
        pytest.param(2.5, "2.5", id="a yaml float"),
        pytest.param(30, "30", id="a yaml integer"),
    ],
)
def test_quantities_become_plain_numbers(quantity: Any, target: str) -> None:
    results = checks.migrate_text(stream(hpa(metrics=[external("autoscaling/v2", value=quantity)]), external_metric()))
    assert only(results)["spec"]["triggers"][0]["metadata"]["targetMetricValue"] == target


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        pytest.param("ten", "target 'ten': not carried over, must be a quantity such as 30, 500m or 1k", id="words"),
        pytest.param("1K", "target '1K': not carried over, must be a quantity", id="upper-case kilo"),
        pytest.param("0", "target '0': not carried over, must be above 0", id="zero"),
        pytest.param(True, "target True: not carried over, must be a quantity", id="a boolean"),
    ],
)
def test_a_target_that_is_no_positive_quantity_is_not_carried_over(quantity: Any, expected: str) -> None:
    results = checks.migrate_text(stream(hpa(metrics=[external("autoscaling/v2", value=quantity)]), external_metric()))
    assert not checks.check(results)
    assert any(expected in text for text in texts(results, lost=True))


def test_an_hpa_without_min_replicas_gets_the_hpas_default_of_one_not_kedas_zero() -> None:
    manifest = hpa()
    del manifest["spec"]["minReplicas"]
    results = checks.migrate_text(stream(manifest, external_metric()))
    assert only(results)["spec"]["minReplicaCount"] == 1
    assert any("KEDA's default is 0" in text for text in texts(results, lost=False))


BEHAVIOR = {
    "scaleDown": {"stabilizationWindowSeconds": 120, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
    "scaleUp": {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
}


@pytest.mark.parametrize("app", [False, True], ids=["scaled object", "app observability"])
def test_behavior_is_carried_into_the_hpa_keda_makes(app: bool) -> None:
    results = checks.migrate_text(stream(hpa(behavior=BEHAVIOR), external_metric()), app=app)
    if app:
        assert only(results, "AppObservability")["spec"]["scaling"]["behavior"] == BEHAVIOR
    else:
        assert only(results)["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"] == BEHAVIOR


def test_labels_are_kept_and_the_namespace_is_the_hpas() -> None:
    manifest, metric = hpa(), external_metric()
    manifest["metadata"].update(namespace="shop", labels={"team": "orders"})
    metric["metadata"]["namespace"] = "shop"
    scaled = only(checks.migrate_text(stream(manifest, metric)))
    assert scaled["metadata"] == {
        "name": "orders", "namespace": "shop", "labels": {"team": "orders"},
        "annotations": {"scaledobject.keda.sh/transfer-hpa-ownership": "true"},
    }  # fmt: skip


MIXED = [
    external("autoscaling/v2", "orders-sent"),
    external("autoscaling/v2", "orders-failed", value="5", kind="Value"),
    {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
    {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "512Mi"}}},
    {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app", "target": {"type": "Utilization", "averageUtilization": 60}}},
    {"type": "Resource", "resource": {"name": "ephemeral-storage", "target": {"type": "AverageValue", "averageValue": "1Gi"}}},
    {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "10"}}},
    {"type": "Object", "object": {"describedObject": {"kind": "Ingress", "name": "web"}, "metric": {"name": "rps"}, "target": {"type": "Value", "value": "100"}}},
]  # fmt: skip


def test_several_metrics_become_several_triggers_and_what_keda_cannot_read_is_named() -> None:
    documents = stream(hpa(metrics=MIXED), external_metric(), external_metric("orders-failed"))
    results = checks.migrate_text(documents)
    triggers = only(results)["spec"]["triggers"]
    assert [(t["type"], t["metricType"]) for t in triggers] == [
        ("external", "AverageValue"), ("external", "Value"), ("cpu", "Utilization"), ("memory", "AverageValue"),
        ("cpu", "Utilization"),
    ]  # fmt: skip
    assert [t["metadata"].get("value") for t in triggers[2:]] == ["70", "512Mi", "60"]
    assert triggers[4]["metadata"]["containerName"] == "app"
    lost = texts(results, lost=True)
    assert any("spec.metrics[5] (Resource): not carried over, KEDA scales on cpu and memory only" in t for t in lost)
    assert any(
        "spec.metrics[6] (Pods): not carried over, a Pods metric comes from the custom metrics API" in t for t in lost
    )
    assert any("spec.metrics[7] (Object): not carried over" in t for t in lost)


def test_an_app_observability_carries_only_average_value_cloudwatch_triggers() -> None:
    documents = stream(hpa(metrics=MIXED[:3]), external_metric(), external_metric("orders-failed"))
    results = checks.migrate_text(documents, app=True)
    app = only(results, "AppObservability")
    assert [t["name"] for t in app["spec"]["scaling"]["triggers"]] == ["orders-sent"]
    lost = texts(results, lost=True)
    assert any(
        "target type Value: not carried over, an AppObservability's triggers always scale on AverageValue" in t
        for t in lost
    )
    assert any(
        "spec.metrics[2] (Resource): not carried over, an AppObservability has no cpu trigger" in t for t in lost
    )
    assert any(t.startswith("delete the HPA orders before applying") for t in texts(results, lost=False))


def test_an_hpa_naming_an_external_metric_not_in_the_files_is_not_converted() -> None:
    results = checks.migrate_text(stream(hpa()))
    assert not checks.check(results)
    (lost, *_) = texts(results, lost=True)
    assert "no ExternalMetric orders-sent in namespace default among the files given" in lost
    assert "KEDA now serves the cluster's external metrics API" in lost


def test_an_external_metric_in_another_namespace_is_not_the_hpas() -> None:
    metric = external_metric()
    metric["metadata"]["namespace"] = "other"
    results = checks.migrate_text(stream(hpa(), metric))
    lost = texts(results, lost=True)
    assert any("no ExternalMetric orders-sent in namespace default" in t for t in lost)
    assert any(t.startswith("ExternalMetric other/orders-sent") and "no HorizontalPodAutoscaler" in t for t in lost)


def test_an_external_metric_no_hpa_uses_is_named() -> None:
    results = checks.migrate_text(stream(external_metric()))
    assert texts(results, lost=True) == [
        "ExternalMetric default/orders-sent (metrics.aws/v1alpha1, test.yaml): not converted, no"
        " HorizontalPodAutoscaler in these files names it; pass the file of the HPA that uses it"
    ]


def test_a_metric_selector_is_dropped_since_the_adapter_ignored_it() -> None:
    metric = external("autoscaling/v2beta1")
    metric["external"]["metricSelector"] = {"matchLabels": {"queue": "orders"}}
    results = checks.migrate_text(stream(hpa("autoscaling/v2beta1", [metric]), external_metric()))
    assert only(results)
    assert any("selector: not carried over, the adapter ignored it" in t for t in texts(results, lost=False))


@pytest.mark.parametrize(
    "manifest",
    [
        pytest.param(hpa(metrics=[{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]), id="cpu only"),
        pytest.param({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
                      "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3}}, id="autoscaling v1"),
    ],
)  # fmt: skip
def test_an_hpa_with_no_external_metric_is_left_as_it_is(manifest: dict[str, Any]) -> None:
    results = checks.migrate_text(stream(manifest))
    assert not checks.check(results) and not texts(results, lost=True)
    assert "left as it is, it names no External metric" in texts(results)[0]


def test_a_list_as_kubectl_get_prints_it_is_read_item_by_item() -> None:
    live = hpa()
    live["metadata"].update(uid="1", resourceVersion="7", namespace="default")
    live["status"] = {"currentReplicas": 3}
    listed = {"apiVersion": "v1", "kind": "List", "items": [live, external_metric()]}
    scaled = only(checks.migrate_text(stream(listed)))
    assert scaled["metadata"]["name"] == "orders" and "uid" not in scaled["metadata"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("kind: [unclosed\n", "test.yaml: not read further, not valid YAML", id="bad yaml"),
        pytest.param("- just\n- a list\n", "test.yaml: a document without kind or apiVersion, not converted", id="not an object"),
        pytest.param(stream({"apiVersion": "metrics.aws/v1beta1", "kind": "ExternalMetric", "metadata": {"name": "x"}}),
                     "not converted, the adapter has no such kind", id="unknown adapter version"),
        pytest.param(stream(hpa(unknown=1), external_metric()), "spec.unknown: not carried over", id="unknown hpa field"),
        pytest.param(stream({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
                             "spec": {"metrics": [external("autoscaling/v2")]}}), "no spec.scaleTargetRef or maxReplicas", id="no target"),
    ],
)  # fmt: skip
def test_bad_input_is_named_and_not_converted(text: str, expected: str) -> None:
    results = checks.migrate_text(text)
    assert any(expected in t for t in texts(results, lost=True)), texts(results)


def test_unknown_kinds_are_skipped_without_failing() -> None:
    results = checks.migrate_text(stream({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}))
    assert texts(results) == ["Service default/web (v1, test.yaml): skipped, nothing to convert"]
    assert not any(r.lost for r in results)


@pytest.mark.parametrize("app", [False, True], ids=["scaled object", "app observability"])
def test_an_external_metric_named_twice_gets_two_triggers_of_distinct_names(app: bool) -> None:
    twice = [external("autoscaling/v2"), external("autoscaling/v2", value="60")]
    results = checks.migrate_text(stream(hpa(metrics=twice), external_metric()), app=app)
    obj = only(results, "AppObservability" if app else "ScaledObject")
    triggers = obj["spec"]["scaling"]["triggers"] if app else obj["spec"]["triggers"]
    assert [t["name"] for t in triggers] == ["orders-sent", "orders-sent-2"]
