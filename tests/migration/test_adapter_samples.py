"""The adapter repository's own SQS sample (its HPA, ExternalMetric and Deployments), migrated as a user would."""

from __future__ import annotations

from kedawatch.migration.results import Converted
from tests.migration import checks

SAMPLE = checks.DATA / "k8s-cloudwatch-adapter"
FILES = [
    SAMPLE / name
    for name in ("consumer-deployment.yaml", "externalmetric.yaml", "hpa.yaml", "producer-deployment.yaml")
]


def notes(results: list[Converted]) -> list[str]:
    return [note.text for result in results for note in result.notes]


def test_the_sqs_sample_becomes_one_scaled_object_that_keda_and_the_scaler_accept() -> None:
    results = checks.migrate(*FILES)
    (scaled,) = checks.check(results)
    assert not any(result.lost for result in results)
    spec = scaled["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1beta1", "kind": "Deployment", "name": "sqs-consumer"}
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 10)
    assert spec["advanced"] == {"horizontalPodAutoscalerConfig": {"name": "sqs-consumer-scaler"}}
    assert scaled["metadata"]["annotations"] == {"scaledobject.keda.sh/transfer-hpa-ownership": "true"}
    (trigger,) = spec["triggers"]
    assert (trigger["type"], trigger["metricType"], trigger["name"]) == (
        "external",
        "AverageValue",
        "sqs-helloworld-length",
    )
    assert trigger["metadata"] == {
        "scalerAddress": checks.SCALER, "source": "aws-cloudwatch", "namespace": "AWS/SQS",
        "metricName": "ApproximateNumberOfMessagesVisible", "metricStat": "Average", "metricStatPeriod": "60",
        "metricCollectionTime": "300", "metricUnit": "Count", "dimensionName": "QueueName",
        "dimensionValue": "helloworld", "targetMetricValue": "30",
    }  # fmt: skip


def test_the_samples_deployments_are_skipped_and_the_external_metric_accounted_for() -> None:
    found = notes(checks.migrate(*FILES))
    assert sum("skipped, nothing to convert" in text for text in found) == 2
    assert any(
        text.startswith("ExternalMetric default/sqs-helloworld-length") and "carried into" in text for text in found
    )


def test_the_sqs_sample_becomes_an_app_observability_kedawatch_accepts() -> None:
    (app,) = checks.check(checks.migrate(*FILES, app=True))
    assert app["spec"]["target"] == {"apiVersion": "apps/v1beta1", "kind": "Deployment", "name": "sqs-consumer"}
    (trigger,) = app["spec"]["scaling"]["triggers"]
    assert trigger == {
        "name": "sqs-helloworld-length",
        "cloudwatch": {
            "namespace": "AWS/SQS", "metricName": "ApproximateNumberOfMessagesVisible",
            "dimensions": [{"name": "QueueName", "value": "helloworld"}], "statistic": "Average", "period": 60,
            "collectionTime": 300, "unit": "Count", "target": 30,
        },
    }  # fmt: skip
