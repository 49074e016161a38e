"""What an AppObservability becomes: a KEDA ScaledObject, CloudWatchMetricAlarm objects, a dashboard.

Pure functions of the object and the operator's settings, shared by the operator and `kedawatch render`,
so what a pull request shows is exactly what the operator will create.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import yaml

from kedawatch.operator.resources import app_observability as app_kind
from kedawatch.operator.resources import fields, metric_alarm

__all__ = ["RenderSettings", "Rendered", "dump", "render", "render_checked", "render_file"]

GROUP_VERSION = "kedawatch.io/v1alpha1"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kedawatch"}


@dataclasses.dataclass(frozen=True)
class RenderSettings:
    scaler_address: str = "kedawatch-scaler.kedawatch.svc:9090"
    """Where KEDA reaches the scaler; the Helm chart sets it to the scaler Service."""
    cluster_name: str = "kubernetes"
    region: str = "us-east-1"
    scaler_tls: bool = False
    scaler_authentication: str | None = None
    """`Kind/name` of the TriggerAuthentication with KEDA's client certificate, for mTLS."""


@dataclasses.dataclass(frozen=True)
class Rendered:
    scaled_object: dict[str, Any]
    alarms: list[dict[str, Any]]
    dashboard: dict[str, Any] | None
    """`{"name": ..., "body": {...}}` for PutDashboard, or None when the dashboard is off."""

    def objects(self) -> list[dict[str, Any]]:
        return [self.scaled_object, *self.alarms]


def render_checked(app: Mapping[str, Any], settings: RenderSettings) -> tuple[Rendered | None, list[str]]:
    """The children, or every problem with the spec (each naming its field) and none of them."""
    problems = fields.validate(app_kind.APP_OBSERVABILITY, app.get("spec", {}))
    if problems:
        return None, problems
    try:
        rendered = render(app, settings)
    except ValueError as exc:
        return None, [str(exc)]
    for alarm, child in zip(app["spec"].get("alarms", []), rendered.alarms, strict=True):
        for problem in fields.validate(metric_alarm.METRIC_ALARM, child["spec"]):
            problems.append(f"spec.alarms[{alarm['name']}]{problem.removeprefix('spec')}")
    return (None if problems else rendered), problems


def render_file(text: str, settings: RenderSettings) -> list[dict[str, Any]]:
    """Every object the AppObservability documents in `text` become; other documents are skipped.

    Raises ValueError naming each bad object and field.
    """
    objects: list[dict[str, Any]] = []
    problems: list[str] = []
    for document in yaml.safe_load_all(text):
        if not isinstance(document, dict) or document.get("kind") != "AppObservability":
            continue
        meta = document.get("metadata", {})
        rendered, found = render_checked(document, settings)
        problems += [f"{meta.get('namespace', 'default')}/{meta.get('name')}: {problem}" for problem in found]
        if rendered is not None:
            objects += rendered.objects()
    if problems:
        raise ValueError("invalid AppObservability:\n  " + "\n  ".join(problems))
    return objects


def dump(objects: list[dict[str, Any]], output: str) -> str:
    if output == "json":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}, indent=2) + "\n"
    return "---\n".join(yaml.safe_dump(obj, sort_keys=False) for obj in objects)


def render(app: Mapping[str, Any], settings: RenderSettings) -> Rendered:
    meta, spec = app["metadata"], app["spec"]
    owner = _owner_reference(app)
    alarms = [_alarm_object(app, alarm, owner, settings) for alarm in spec.get("alarms", [])]
    dashboard = _dashboard(app, alarms, settings) if spec.get("dashboard", {}).get("enabled") else None
    return Rendered(_scaled_object(meta, spec, owner, settings), alarms, dashboard)


def _owner_reference(app: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": GROUP_VERSION,
        "kind": "AppObservability",
        "name": app["metadata"]["name"],
        "uid": app["metadata"].get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _child_meta(meta: Mapping[str, Any], name: str, owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": meta.get("namespace", "default"),
        "labels": {**MANAGED_BY, "kedawatch.io/app": meta["name"]},
        "ownerReferences": [owner],
    }


def _scaled_object(
    meta: Mapping[str, Any], spec: Mapping[str, Any], owner: dict[str, Any], settings: RenderSettings
) -> dict[str, Any]:
    scaling, target = spec["scaling"], spec["target"]
    trigger_type = "external-push" if scaling.get("push") else "external"
    body: dict[str, Any] = {
        "scaleTargetRef": {
            "apiVersion": target.get("apiVersion", "apps/v1"),
            "kind": target.get("kind", "Deployment"),
            "name": target["name"],
        },
        "minReplicaCount": scaling.get("minReplicas", 1),
        "maxReplicaCount": scaling["maxReplicas"],
        "triggers": [_trigger(trigger, trigger_type, settings) for trigger in scaling["triggers"]],
    }
    for key, keda_key in (("idleReplicas", "idleReplicaCount"), ("pollingInterval", "pollingInterval"),
                          ("cooldownPeriod", "cooldownPeriod"), ("fallback", "fallback")):  # fmt: skip
        if key in scaling:
            body[keda_key] = scaling[key]
    if "behavior" in scaling:
        body["advanced"] = {"horizontalPodAutoscalerConfig": {"behavior": scaling["behavior"]}}
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _child_meta(meta, meta["name"], owner),
        "spec": body,
    }


def _trigger(trigger: Mapping[str, Any], trigger_type: str, settings: RenderSettings) -> dict[str, Any]:
    metadata = {"scalerAddress": settings.scaler_address, **trigger_metadata(trigger)}
    if settings.scaler_tls:
        metadata["enableTLS"] = "true"
    rendered: dict[str, Any] = {"type": trigger_type, "metadata": metadata}
    if "name" in trigger:
        rendered["name"] = trigger["name"]
    if settings.scaler_authentication:
        kind, _, name = settings.scaler_authentication.rpartition("/")
        rendered["authenticationRef"] = {"name": name, "kind": kind or "TriggerAuthentication"}
    return rendered


def trigger_metadata(trigger: Mapping[str, Any]) -> dict[str, str]:
    """The scaler's metadata for one trigger: KEDA's keys, every value a string."""
    if "sqs" in trigger:
        return {"source": "aws-sqs-queue", **_mapped(trigger["sqs"], app_kind.SQS_METADATA)}
    source = trigger["cloudwatch"]
    metadata = {"source": "aws-cloudwatch", **_mapped(source, app_kind.CLOUDWATCH_METADATA)}
    if source.get("dimensions"):
        metadata["dimensionName"] = ";".join(d["name"] for d in source["dimensions"])
        metadata["dimensionValue"] = ";".join(d["value"] for d in source["dimensions"])
    return metadata


def _mapped(fields: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, str]:
    return {keys[key]: _text(value) for key, value in fields.items() if key in keys}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _alarm_object(
    app: Mapping[str, Any], alarm: Mapping[str, Any], owner: dict[str, Any], settings: RenderSettings
) -> dict[str, Any]:
    spec = dict(_alarm_spec(app, alarm, settings))
    actions = alarm.get("alarmActions", app["spec"].get("alarmActions"))
    if actions and "alarmActions" not in spec:
        spec["alarmActions"] = list(actions)
    spec.setdefault("description", f"{app['metadata']['name']}: {alarm['name']} (kedawatch AppObservability)")
    return {
        "apiVersion": GROUP_VERSION,
        "kind": "CloudWatchMetricAlarm",
        "metadata": _child_meta(app["metadata"], f"{app['metadata']['name']}-{alarm['name']}", owner),
        "spec": spec,
    }


def _alarm_spec(app: Mapping[str, Any], alarm: Mapping[str, Any], settings: RenderSettings) -> Mapping[str, Any]:
    if "metric" in alarm:
        return dict(alarm["metric"])
    if "replicasNearMax" in alarm:
        return _replicas_near_max(app, alarm["replicasNearMax"], settings)
    if "queueBacklogAge" in alarm:
        return _queue_backlog_age(app, alarm["queueBacklogAge"])
    return _scaler_unavailable(app, alarm["scalerUnavailable"])


def running_pods_dimensions(app: Mapping[str, Any], settings: RenderSettings) -> list[dict[str, str]]:
    """Container Insights' dimensions for the target's running pods, as in the reference scenario."""
    return [
        {"name": "ClusterName", "value": settings.cluster_name},
        {"name": "Service", "value": app["spec"]["target"]["name"]},
        {"name": "Namespace", "value": app["metadata"].get("namespace", "default")},
    ]


def _replicas_near_max(app: Mapping[str, Any], preset: Mapping[str, Any], settings: RenderSettings) -> dict[str, Any]:
    """Alarm when running pods reach `fraction` of maxReplicas: 8 of 10 at the default 0.8."""
    threshold = math.ceil(preset.get("fraction", 0.8) * app["spec"]["scaling"]["maxReplicas"])
    return {
        "namespace": "ContainerInsights",
        "metricName": "service_number_of_running_pods",
        "dimensions": running_pods_dimensions(app, settings),
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

    A count is never below 0, so only missing data (treated as breaching) can trip it.
    """
    trigger = app["spec"]["scaling"]["triggers"][0]
    periods = preset.get("periods", 3)
    common = {"evaluationPeriods": periods, "threshold": 0, "comparisonOperator": "LessThanThreshold",
              "treatMissingData": "breaching"}  # fmt: skip
    if "sqs" in trigger:
        dimensions = [{"name": "QueueName", "value": _queue_name(trigger["sqs"]["queueUrl"])}]
        return {"namespace": "AWS/SQS", "metricName": "ApproximateNumberOfMessagesVisible",
                "dimensions": dimensions, "statistic": "SampleCount", "period": 300, **common}  # fmt: skip
    source = trigger["cloudwatch"]
    period = source.get("period", 300)
    if "expression" in source:
        return {"metrics": [{"id": "scaling", "expression": source["expression"], "period": period}], **common}
    return {"namespace": source["namespace"], "metricName": source["metricName"],
            "dimensions": source["dimensions"], "statistic": "SampleCount", "period": period, **common}  # fmt: skip


def _first_queue_name(app: Mapping[str, Any]) -> str:
    for trigger in app["spec"]["scaling"]["triggers"]:
        if "sqs" in trigger:
            return _queue_name(trigger["sqs"]["queueUrl"])
    raise ValueError("spec.alarms[].queueBacklogAge.queueName is required when no trigger is sqs")


def _queue_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def dashboard_name(app: Mapping[str, Any], settings: RenderSettings) -> str:
    raw = f"{settings.cluster_name}-{app['metadata'].get('namespace', 'default')}-{app['metadata']['name']}"
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:255]


def _dashboard(app: Mapping[str, Any], alarms: list[dict[str, Any]], settings: RenderSettings) -> dict[str, Any]:
    widgets = [_metric_widget(trigger, settings) for trigger in app["spec"]["scaling"]["triggers"]]
    pods = ["ContainerInsights", "service_number_of_running_pods"]
    for dimension in running_pods_dimensions(app, settings):
        pods += [dimension["name"], dimension["value"]]
    widgets.append(_widget("Running pods", [pods], settings, stat="Maximum"))
    widgets.append({"type": "text", "width": 24, "height": 2, "properties": {"markdown": _alarm_list(alarms)}})
    return {"name": dashboard_name(app, settings), "body": {"widgets": widgets}}


def with_alarm_widget(body: Mapping[str, Any], arns: list[str]) -> dict[str, Any]:
    """The dashboard with an alarm status widget, once the alarms exist and their ARNs are known."""
    if not arns:
        return dict(body)
    widget = {"type": "alarm", "width": 24, "height": 3, "properties": {"title": "Alarms", "alarms": arns}}
    return {**body, "widgets": [*body["widgets"], widget]}


def _metric_widget(trigger: Mapping[str, Any], settings: RenderSettings) -> dict[str, Any]:
    if "sqs" in trigger:
        queue = _queue_name(trigger["sqs"]["queueUrl"])
        metric = ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue]
        return _widget(f"Queue depth: {queue}", [metric], settings, stat="Maximum")
    source = trigger["cloudwatch"]
    if "expression" in source:
        return _widget("Scaling expression", [[{"expression": source["expression"], "id": "e1"}]], settings)
    metric = [source["namespace"], source["metricName"]]
    for dimension in source.get("dimensions", []):
        metric += [dimension["name"], dimension["value"]]
    return _widget(source["metricName"], [metric], settings, stat=source.get("statistic", "Average"))


def _widget(title: str, metrics: list[Any], settings: RenderSettings, stat: str = "Average") -> dict[str, Any]:
    return {
        "type": "metric",
        "width": 12,
        "height": 6,
        "properties": {"title": title, "metrics": metrics, "region": settings.region, "stat": stat, "period": 60},
    }


def _alarm_list(alarms: list[dict[str, Any]]) -> str:
    names = [alarm["metadata"]["name"] for alarm in alarms]
    return "Alarms: " + (", ".join(names) if names else "none") + " (see `kubectl get cwalarm`)"
