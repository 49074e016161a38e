"""An AppObservability's log alarms: a full CloudWatchLogAlarm spec, or a preset over the app's container logs.

Both look in the cluster's Container Insights application log group unless they name log groups, where Fluent Bit
sends every container's lines with their Kubernetes metadata (`kubernetes.container_name`,
`kubernetes.namespace_name`) and the line itself in `log`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedawatch import settings
from kedawatch.operator.rendering import owned
from kedawatch.operator.resources import crds, log_alarm

__all__ = ["log_alarm_object"]


def log_alarm_object(
    app: Mapping[str, Any], item: Mapping[str, Any], operator: settings.OperatorSettings
) -> dict[str, Any]:
    spec = dict(item["log"]) if "log" in item else _container_log_lines(app, item["containerLogLines"])
    spec.setdefault("logGroups", [log_alarm.application_log_group(operator.cluster_name)])
    return owned.alarm_child(app, item, crds.LOG_ALARMS, spec)


def _container_log_lines(app: Mapping[str, Any], preset: Mapping[str, Any]) -> dict[str, Any]:
    """ALARM when the target's containers log `threshold` (1) or more lines matching `pattern` in `minutes` (5)."""
    container = preset.get("container", app["spec"]["target"]["name"])
    namespace = app["metadata"].get("namespace", "default")
    minutes = preset.get("minutes", 5)
    pattern = preset["pattern"].replace("/", "\\/")
    return {
        "query": (
            f'filter kubernetes.container_name like "{container}"'
            f' | filter kubernetes.namespace_name = "{namespace}"'
            f" | filter log like /{pattern}/"
        ),
        "aggregationExpression": "count(*)",
        "schedule": {
            "expression": f"rate({minutes} minute{'s' if minutes > 1 else ''})",
            "startTimeOffset": minutes * 60,
        },
        "queryResultsToEvaluate": 1,
        "queryResultsToAlarm": 1,
        "threshold": preset.get("threshold", 1),
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "treatMissingData": "notBreaching",
    }
