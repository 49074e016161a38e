"""Small builders of the manifests the migration tests feed in: HPAs of each version and adapter ExternalMetrics."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["external", "external_metric", "hpa", "metric_stat", "stream"]


def metric_stat(period: int = 60, stat: str = "Sum", unit: str | None = "Count", **metric: Any) -> dict[str, Any]:
    found = {
        "metric": {"namespace": "AWS/SQS", "metricName": "NumberOfMessagesSent",
                   "dimensions": [{"name": "QueueName", "value": "orders"}], **metric},
        "period": period,
        "stat": stat,
    }  # fmt: skip
    return found | ({"unit": unit} if unit else {})


def external_metric(name: str = "orders-sent", queries: list[Any] | None = None, **spec: Any) -> dict[str, Any]:
    queries = queries if queries is not None else [{"id": "sent", "metricStat": metric_stat(), "returnData": True}]
    return {
        "apiVersion": "metrics.aws/v1alpha1",
        "kind": "ExternalMetric",
        "metadata": {"name": name},
        "spec": {"name": name, "queries": queries, **spec},
    }


def external(version: str, name: str = "orders-sent", value: Any = 30, kind: str = "AverageValue") -> dict[str, Any]:
    """An HPA's External metric as `version` writes it."""
    if version == "autoscaling/v2beta1":
        key = "targetAverageValue" if kind == "AverageValue" else "targetValue"
        return {"type": "External", "external": {"metricName": name, key: value}}
    field = "averageValue" if kind == "AverageValue" else "value"
    return {"type": "External", "external": {"metric": {"name": name}, "target": {"type": kind, field: value}}}


def hpa(
    version: str = "autoscaling/v2", metrics: list[Any] | None = None, name: str = "orders", **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": version,
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "orders"},
            "minReplicas": 2,
            "maxReplicas": 20,
            "metrics": metrics if metrics is not None else [external(version)],
            **spec,
        },
    }


def stream(*documents: dict[str, Any]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False)
