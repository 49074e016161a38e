"""An AppObservability's alarms: a full CloudWatchMetricAlarm spec, a PromQL alarm, or a preset built from the app's
spec."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from kedawatch import settings
from kedawatch.aws import names
from kedawatch.operator.rendering import owned
from kedawatch.operator.resources import crds

__all__ = ["alarm_object", "queue_name", "running_pods_dimensions"]

PROMQL_PERIOD = 60
"""Seconds a `scalerUnavailable` period lasts over a PromQL trigger, which has no period of its own: a minute."""


def alarm_object(
    app: Mapping[str, Any], alarm: Mapping[str, Any], operator: settings.OperatorSettings
) -> dict[str, Any]:
    return owned.alarm_child(app, alarm, crds.METRIC_ALARMS, _alarm_spec(app, alarm, operator))


def _alarm_spec(
    app: Mapping[str, Any], alarm: Mapping[str, Any], operator: settings.OperatorSettings
) -> Mapping[str, Any]:
    if "metric" in alarm:
        return dict(alarm["metric"])
    if "promql" in alarm:
        return _promql(alarm["promql"])
    if "replicasNearMax" in alarm:
        return _replicas_near_max(app, alarm["replicasNearMax"], operator)
    if "queueBacklogAge" in alarm:
        return _queue_backlog_age(app, alarm["queueBacklogAge"])
    return _scaler_unavailable(app, alarm["scalerUnavailable"])


def _promql(alarm: Mapping[str, Any]) -> dict[str, Any]:
    """A PromQL alarm: its criteria, and how often CloudWatch evaluates them (each minute by default)."""
    criteria = {key: alarm[key] for key in ("query", "pendingPeriod", "recoveryPeriod") if key in alarm}
    return {
        "evaluationCriteria": {"promQLCriteria": criteria},
        "evaluationInterval": alarm.get("evaluationInterval", 60),
    }


def running_pods_dimensions(app: Mapping[str, Any], operator: settings.OperatorSettings) -> list[dict[str, str]]:
    """Container Insights' dimensions for the target's running pods, as in the reference scenario."""
    return [
        {"name": "ClusterName", "value": operator.cluster_name},
        {"name": "Service", "value": app["spec"]["target"]["name"]},
        {"name": "Namespace", "value": app["metadata"].get("namespace", "default")},
    ]


def _replicas_near_max(
    app: Mapping[str, Any], preset: Mapping[str, Any], operator: settings.OperatorSettings
) -> dict[str, Any]:
    """Alarm when running pods reach `fraction` of maxReplicas: 8 of 10 at the default 0.8."""
    threshold = math.ceil(preset.get("fraction", 0.8) * app["spec"]["scaling"]["maxReplicas"])
    return {
        "namespace": "ContainerInsights",
        "metricName": "service_number_of_running_pods",
        "dimensions": running_pods_dimensions(app, operator),
        "statistic": "Maximum",
        "period": 60,
        "evaluationPeriods": 1,
        "threshold": threshold,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "treatMissingData": "missing",
    }


def _queue_backlog_age(app: Mapping[str, Any], preset: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "namespace": "AWS/SQS",
        "metricName": "ApproximateAgeOfOldestMessage",
        "dimensions": [{"name": "QueueName", "value": preset.get("queueName") or _first_queue_name(app)}],
        "statistic": "Maximum",
        "period": 60,
        "evaluationPeriods": 1,
        "threshold": preset["seconds"],
        "comparisonOperator": "GreaterThanThreshold",
        "treatMissingData": "notBreaching",
    }


def _scaler_unavailable(app: Mapping[str, Any], preset: Mapping[str, Any]) -> dict[str, Any]:
    """ALARM when the first trigger's metric has had no data for `periods` periods: nothing to scale on.

    A count is never below 0, so only missing data (treated as breaching) can trip it. A PromQL trigger's periods
    are minutes: a PromQL alarm on `absent(query)`, evaluated each minute, pending `periods` minutes.
    """
    trigger = app["spec"]["scaling"]["triggers"][0]
    periods = preset.get("periods", 3)
    if "promql" in trigger:  # a query answering nothing: absent() answers one series then, which breaches
        query = f"absent({trigger['promql']['query']})"
        return _promql({"query": query, "pendingPeriod": periods * PROMQL_PERIOD, "evaluationInterval": PROMQL_PERIOD})
    common = {"evaluationPeriods": periods, "threshold": 0, "comparisonOperator": "LessThanThreshold",
              "treatMissingData": "breaching"}  # fmt: skip
    if "sqs" in trigger:
        dimensions = [{"name": "QueueName", "value": queue_name(trigger["sqs"]["queueUrl"])}]
        return {"namespace": "AWS/SQS", "metricName": "ApproximateNumberOfMessagesVisible",
                "dimensions": dimensions, "statistic": "SampleCount", "period": 300, **common}  # fmt: skip
    source = trigger["cloudwatch"]
    period = source.get("period", 300)
    if "expression" in source:
        return {"metrics": [{"id": "scaling", "expression": source["expression"], "period": period}], **common}
    if "metricDataQueries" in source:
        return {"metrics": source["metricDataQueries"], **common}
    return {"namespace": source["namespace"], "metricName": source["metricName"],
            "dimensions": source["dimensions"], "statistic": "SampleCount", "period": period, **common}  # fmt: skip


def _first_queue_name(app: Mapping[str, Any]) -> str:
    for trigger in app["spec"]["scaling"]["triggers"]:
        if "sqs" in trigger:
            return queue_name(trigger["sqs"]["queueUrl"])
    raise ValueError("spec.alarms[].queueBacklogAge.queueName is required when no trigger is sqs")


def queue_name(url: str) -> str:
    """The queue's name in a URL the trigger checks have already accepted (`scaled_object.trigger_problems`)."""
    name = names.queue_name(url)
    assert name is not None, f"{url} was not checked before rendering"
    return name
