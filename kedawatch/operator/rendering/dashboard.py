"""An AppObservability's CloudWatch dashboard: a widget per scaling metric, running pods, and the alarms."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kedawatch import settings
from kedawatch.operator.rendering import alarm_presets

__all__ = ["dashboard", "with_alarm_widget"]


def dashboard_name(app: Mapping[str, Any], operator: settings.OperatorSettings) -> str:
    raw = f"{operator.cluster_name}-{app['metadata'].get('namespace', 'default')}-{app['metadata']['name']}"
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:255]


def dashboard(
    app: Mapping[str, Any], alarms: list[dict[str, Any]], operator: settings.OperatorSettings
) -> dict[str, Any]:
    """`{"name": ..., "body": {...}}` for PutDashboard."""
    widgets = [_metric_widget(trigger, operator) for trigger in app["spec"]["scaling"]["triggers"]]
    pods = ["ContainerInsights", "service_number_of_running_pods"]
    for dimension in alarm_presets.running_pods_dimensions(app, operator):
        pods += [dimension["name"], dimension["value"]]
    widgets.append(_widget("Running pods", [pods], operator, stat="Maximum"))
    widgets.append({"type": "text", "width": 24, "height": 2, "properties": {"markdown": _alarm_list(alarms)}})
    return {"name": dashboard_name(app, operator), "body": {"widgets": widgets}}


def with_alarm_widget(body: Mapping[str, Any], arns: list[str]) -> dict[str, Any]:
    """The dashboard with an alarm status widget, once the alarms exist and their ARNs are known."""
    if not arns:
        return dict(body)
    widget = {"type": "alarm", "width": 24, "height": 3, "properties": {"title": "Alarms", "alarms": arns}}
    return {**body, "widgets": [*body["widgets"], widget]}


def _metric_widget(trigger: Mapping[str, Any], operator: settings.OperatorSettings) -> dict[str, Any]:
    if "sqs" in trigger:
        queue = alarm_presets.queue_name(trigger["sqs"]["queueUrl"])
        metric = ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue]
        return _widget(f"Queue depth: {queue}", [metric], operator, stat="Maximum")
    if "promql" in trigger:
        return _promql_widget(trigger["promql"])
    source = trigger["cloudwatch"]
    if "expression" in source:
        return _widget("Scaling expression", [[{"expression": source["expression"], "id": "e1"}]], operator)
    if "metricDataQueries" in source:
        return _widget("Scaling metric math", [_graphed(query) for query in source["metricDataQueries"]], operator)
    metric = [source["namespace"], source["metricName"]]
    for dimension in source.get("dimensions", []):
        metric += [dimension["name"], dimension["value"]]
    return _widget(source["metricName"], [metric], operator, stat=source.get("statistic", "Average"))


def _promql_widget(source: Mapping[str, Any]) -> dict[str, Any]:
    """A PromQL trigger's query, as text: a dashboard's metric widget graphs metrics and metric math only."""
    markdown = f"**Scaling query (PromQL)**, {source['threshold']} per replica:\n\n```\n{source['query']}\n```"
    return {"type": "text", "width": 12, "height": 6, "properties": {"markdown": markdown}}


def _graphed(query: Mapping[str, Any]) -> list[Any]:
    """A metric-math query as a dashboard graphs it: shown only when it is the one returned."""
    shown = {"id": query["id"], "visible": query.get("returnData", True)}
    if "expression" in query:
        return [{"expression": query["expression"], **shown}]
    stat = query["metricStat"]
    metric = [stat["metric"]["namespace"], stat["metric"]["metricName"]]
    for dimension in stat["metric"].get("dimensions", []):
        metric += [dimension["name"], dimension["value"]]
    return [*metric, {**shown, "stat": stat["stat"], "period": stat["period"]}]


def _widget(
    title: str, metrics: list[Any], operator: settings.OperatorSettings, stat: str = "Average"
) -> dict[str, Any]:
    properties = {"title": title, "metrics": metrics, "region": operator.region, "stat": stat, "period": 60}
    return {"type": "metric", "width": 12, "height": 6, "properties": properties}


def _alarm_list(alarms: list[dict[str, Any]]) -> str:
    names = [alarm["metadata"]["name"] for alarm in alarms]
    return "Alarms: " + (", ".join(names) if names else "none") + " (see `kubectl get cwalarm`)"
