"""`AppObservability`: one app's scaling, alarms, log alarms, maintenance windows and dashboard, declared once.

The scaling triggers' camelCase fields map onto the scaler's metadata keys here and only here
(`TRIGGER_KEYS`), with the scaler's own checks of AWS's names and of PromQL; a test parses every generated trigger
with the scaler's own parser. A trigger or an alarm may be PromQL (`promql`): the `aws-cloudwatch-promql` source,
a PromQL alarm.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from kedawatch.aws import metric_math, names, promql_syntax, vocabulary
from kedawatch.operator.resources import common, log_alarm, metric_alarm, mute_rule
from kedawatch.operator.resources.fields import Field, Kind, Rule

__all__ = ["APP_OBSERVABILITY", "TRIGGER_KEYS"]


def _text(value: Any) -> str:
    """A field's value as KEDA's metadata carries it: a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _queries_text(queries: Any) -> str:
    return json.dumps(common.pascal(queries), separators=(",", ":"))


def _queries_problem(queries: Any) -> str | None:
    """What the scaler's metric_math would refuse in the list, in its words."""
    return "; ".join(str(problem) for problem in metric_math.validate(common.pascal(queries))) or None


@dataclasses.dataclass(frozen=True)
class TriggerKey:
    """The scaler's metadata key a trigger field becomes, the scaler's own check of its value, if any, and how
    the value is written as metadata's text."""

    key: str
    check: Callable[[Any], str | None] | None = None
    text: Callable[[Any], str] = _text


_IDENTITY = {
    "region": TriggerKey("awsRegion", names.region_problem),
    "roleArn": TriggerKey("awsRoleArn", names.role_arn_problem),
}
TRIGGER_KEYS: dict[str, dict[str, TriggerKey]] = {
    "sqs": {
        "queueUrl": TriggerKey("queueURL", names.queue_url_problem),
        "targetMessagesPerReplica": TriggerKey("queueLength"),
        "activationMessages": TriggerKey("activationQueueLength"),
        "scaleOnInFlight": TriggerKey("scaleOnInFlight"),
        "scaleOnDelayed": TriggerKey("scaleOnDelayed"),
        **_IDENTITY,
    },
    "cloudwatch": {
        "namespace": TriggerKey("namespace"),
        "metricName": TriggerKey("metricName"),
        "statistic": TriggerKey("metricStat", vocabulary.statistic_problem),
        "period": TriggerKey("metricStatPeriod", vocabulary.metric_period_problem),
        "collectionTime": TriggerKey("metricCollectionTime"),
        "endTimeOffset": TriggerKey("metricEndTimeOffset"),
        "expression": TriggerKey("expression"),
        "metricDataQueries": TriggerKey("metricDataQueries", _queries_problem, _queries_text),
        "target": TriggerKey("targetMetricValue"),
        "activationTarget": TriggerKey("activationTargetMetricValue"),
        "minValue": TriggerKey("minMetricValue"),
        "ignoreNullValues": TriggerKey("ignoreNullValues"),
        "unit": TriggerKey("metricUnit", vocabulary.unit_problem),
        "accountId": TriggerKey("awsAccountId", names.account_id_problem),
        **_IDENTITY,
    },
    "promql": {
        "query": TriggerKey("query", promql_syntax.instant_query_problem),
        "threshold": TriggerKey("threshold"),
        "activationThreshold": TriggerKey("activationThreshold"),
        "ignoreNullValues": TriggerKey("ignoreNullValues"),
        **_IDENTITY,
    },
}
"""Each trigger kind's fields, by camelCase name. Besides these, `dimensions` becomes `dimensionName` and
`dimensionValue`, `;`-joined."""

_NAME = {"type": "string", "minLength": 1, "maxLength": 253}
_ROLE = {"type": "string", "pattern": names.ROLE_ARN}
_REGION = {"type": "string", "pattern": names.REGION}
_SQS = {
    "type": "object",
    "required": ["queueUrl"],
    "properties": {
        "queueUrl": {"type": "string", "pattern": r"^https?://"},
        "targetMessagesPerReplica": {"type": "integer", "minimum": 1, "default": 5},
        "activationMessages": {"type": "integer", "minimum": 0},
        "scaleOnInFlight": {"type": "boolean"},
        "scaleOnDelayed": {"type": "boolean"},
        "region": _REGION,
        "roleArn": _ROLE,
    },
}
_CLOUDWATCH = {
    "type": "object",
    "required": ["target"],
    "properties": {
        "namespace": {"type": "string", "minLength": 1},
        "metricName": {"type": "string", "minLength": 1},
        "dimensions": metric_alarm.FIELDS_BY_KEY["dimensions"].schema,
        "statistic": {"type": "string", "minLength": 1},
        "period": {"type": "integer", "minimum": 1},
        "collectionTime": {"type": "integer", "minimum": 1},
        "endTimeOffset": {"type": "integer", "minimum": 0},
        "expression": {"type": "string", "minLength": 1},
        "metricDataQueries": {
            **metric_alarm.FIELDS_BY_KEY["metrics"].schema,
            "maxItems": vocabulary.MAX_QUERIES,
            "description": "Metric math over several queries, as an alarm's metrics: exactly one returns data.",
        },
        "target": {"type": "number", "exclusiveMinimum": 0},
        "activationTarget": {"type": "number"},
        "minValue": {"type": "number"},
        "ignoreNullValues": {"type": "boolean"},
        "unit": metric_alarm.FIELDS_BY_KEY["unit"].schema,
        "accountId": {"type": "string", "pattern": names.ACCOUNT_ID},
        "region": _REGION,
        "roleArn": _ROLE,
    },
}
_PROMQL = {
    "type": "object",
    "required": ["query", "threshold"],
    "properties": {
        "query": {
            "type": "string",
            "minLength": 1,
            "maxLength": promql_syntax.MAX_LENGTH,
            "description": "PromQL answering one number: an instant vector of one series, or a scalar.",
        },
        "threshold": {"type": "number", "exclusiveMinimum": 0, "description": "The value per replica."},
        "activationThreshold": {"type": "number"},
        "ignoreNullValues": {"type": "boolean"},
        "region": _REGION,
        "roleArn": _ROLE,
    },
}
TRIGGER_KINDS = ("sqs", "cloudwatch", "promql")
_TRIGGER = {
    "type": "object",
    "properties": {"name": _NAME, "sqs": _SQS, "cloudwatch": _CLOUDWATCH, "promql": _PROMQL},
}
_ALARM_SPEC = metric_alarm.METRIC_ALARM.schema()
PRESETS = ("replicasNearMax", "queueBacklogAge", "scalerUnavailable")
ALARM_KINDS = ("metric", "promql", *PRESETS)
_PROMQL_ALARM = {
    "type": "object",
    "required": ["query"],
    "properties": {
        **metric_alarm.PROMQL_CRITERIA["properties"],
        "evaluationInterval": {**metric_alarm.FIELDS_BY_KEY["evaluationInterval"].schema, "default": 60},
    },
    "description": "A PromQL alarm: ALARM while the query answers a series for pendingPeriod seconds.",
}
_CHILD_NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"}
"""An alarm's, log alarm's or maintenance window's name: a DNS label, as `<app>-<name>` names its object."""
_ALARM = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": _CHILD_NAME,
        "metric": _ALARM_SPEC,
        "promql": _PROMQL_ALARM,
        "replicasNearMax": {
            "type": "object",
            "properties": {"fraction": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.8}},
        },
        "queueBacklogAge": {
            "type": "object",
            "required": ["seconds"],
            "properties": {"seconds": {"type": "integer", "minimum": 1}, "queueName": {"type": "string"}},
        },
        "scalerUnavailable": {
            "type": "object",
            "properties": {"periods": {"type": "integer", "minimum": 1, "default": 3}},
        },
        "alarmActions": metric_alarm.FIELDS_BY_KEY["alarmActions"].schema,
    },
}
LOG_PRESETS = ("containerLogLines",)
_LOG_ALARM = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": _CHILD_NAME,
        "log": log_alarm.LOG_ALARM.schema(),
        "containerLogLines": {
            "type": "object",
            "required": ["pattern"],
            "properties": {
                "pattern": {"type": "string", "minLength": 1, "maxLength": 1000},
                "container": {"type": "string", "minLength": 1, "maxLength": 253},
                "threshold": {"type": "number", "minimum": 0, "default": 1},
                "minutes": {"type": "integer", "minimum": 1, "maximum": log_alarm.MAX_OFFSET // 60, "default": 5},
            },
            "description": "ALARM when the target's container logs hold `threshold` or more lines matching `pattern`"
            " (a Logs Insights regular expression) in `minutes`.",
        },
        "alarmActions": metric_alarm.FIELDS_BY_KEY["alarmActions"].schema,
    },
}
_MAINTENANCE_WINDOW = {
    "type": "object",
    "required": ["name", "schedule"],
    "properties": {
        "name": _CHILD_NAME,
        "schedule": mute_rule.SCHEDULE.schema,
        **{field.key: field.schema for field in (*mute_rule.DATES, mute_rule.DESCRIPTION)},
    },
}
_SCALING = {
    "type": "object",
    "required": ["maxReplicas", "triggers"],
    "properties": {
        "minReplicas": {"type": "integer", "minimum": 0, "default": 1},
        "maxReplicas": {"type": "integer", "minimum": 1},
        "idleReplicas": {"type": "integer", "minimum": 0},
        "pollingInterval": {"type": "integer", "minimum": 1},
        "cooldownPeriod": {"type": "integer", "minimum": 0},
        "push": {"type": "boolean", "description": "Use external-push: activation within seconds."},
        "fallback": {
            "type": "object",
            "required": ["failureThreshold", "replicas"],
            "properties": {
                "failureThreshold": {"type": "integer", "minimum": 1},
                "replicas": {"type": "integer", "minimum": 0},
            },
        },
        "behavior": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "triggers": {"type": "array", "minItems": 1, "items": _TRIGGER},
    },
}


def _scaling(spec: Any) -> dict[str, Any]:
    return dict(spec.get("scaling", {}))


def _one_of(kinds: tuple[str, ...]) -> str:
    return ", ".join(kinds[:-1]) + " or " + kinds[-1]


_SINGLE_METRIC = ("namespace", "metricName", "dimensions")
_SINGLE_QUERY = (*_SINGLE_METRIC, "expression", "statistic", "unit")
"""A cloudwatch trigger's fields for one query, which metricDataQueries replaces."""


def _cloudwatch_ok(trigger: Any) -> bool:
    source = trigger.get("cloudwatch")
    return (
        source is None
        or "expression" in source
        or "metricDataQueries" in source
        or all(k in source for k in _SINGLE_METRIC)
    )


def _queries_alone(trigger: Any) -> bool:
    source = trigger.get("cloudwatch")
    return source is None or "metricDataQueries" not in source or not any(k in source for k in _SINGLE_QUERY)


FIELDS = (
    Field(
        "target",
        {
            "type": "object",
            "required": ["name"],
            "properties": {
                "apiVersion": {"type": "string", "default": "apps/v1"},
                "kind": {"type": "string", "default": "Deployment"},
                "name": _NAME,
            },
        },
        required=True,
    ),
    Field("scaling", _SCALING, required=True),
    Field("alarmActions", metric_alarm.FIELDS_BY_KEY["alarmActions"].schema),
    Field("alarms", {"type": "array", "maxItems": 50, "items": _ALARM}),
    Field("dashboard", {"type": "object", "properties": {"enabled": {"type": "boolean", "default": False}}}),
    Field("logAlarms", {"type": "array", "maxItems": 50, "items": _LOG_ALARM}),
    Field(
        "maintenanceWindows",
        {
            "type": "array",
            "maxItems": 20,
            "items": _MAINTENANCE_WINDOW,
            "description": "Windows that mute the actions of this app's alarms and log alarms.",
        },
    ),
)
RULES = (
    Rule(
        "!has(self.scaling.minReplicas) || self.scaling.minReplicas <= self.scaling.maxReplicas",
        "scaling.minReplicas must not exceed scaling.maxReplicas",
        lambda s: _scaling(s).get("minReplicas", 1) <= _scaling(s)["maxReplicas"],
    ),
    Rule(
        "!has(self.scaling.idleReplicas) || self.scaling.idleReplicas < "
        "(has(self.scaling.minReplicas) ? self.scaling.minReplicas : 1)",
        "scaling.idleReplicas must be less than scaling.minReplicas",
        lambda s: "idleReplicas" not in _scaling(s) or _scaling(s)["idleReplicas"] < _scaling(s).get("minReplicas", 1),
    ),
    Rule(
        "self.scaling.triggers.all(t, " + " + ".join(f"(has(t.{kind}) ? 1 : 0)" for kind in TRIGGER_KINDS) + " == 1)",
        "each of scaling.triggers is exactly one of " + _one_of(TRIGGER_KINDS),
        lambda s: all(sum(kind in t for kind in TRIGGER_KINDS) == 1 for t in _scaling(s)["triggers"]),
    ),
    Rule(
        "self.scaling.triggers.all(t, !has(t.cloudwatch) || has(t.cloudwatch.expression)"
        " || has(t.cloudwatch.metricDataQueries)"
        " || (has(t.cloudwatch.namespace) && has(t.cloudwatch.metricName) && has(t.cloudwatch.dimensions)))",
        "a cloudwatch trigger needs expression, or namespace, metricName and dimensions, or metricDataQueries",
        lambda s: all(_cloudwatch_ok(t) for t in _scaling(s)["triggers"]),
    ),
    Rule(
        "self.scaling.triggers.all(t, !has(t.cloudwatch) || !has(t.cloudwatch.metricDataQueries) || !("
        + " || ".join(f"has(t.cloudwatch.{key})" for key in _SINGLE_QUERY)
        + "))",
        "with metricDataQueries, a cloudwatch trigger's " + ", ".join(_SINGLE_QUERY) + " belong in its queries",
        lambda s: all(_queries_alone(t) for t in _scaling(s)["triggers"]),
    ),
    Rule(
        "!has(self.alarms) || self.alarms.all(a, ["
        + ", ".join(f"has(a.{kind})" for kind in ALARM_KINDS)
        + "].filter(x, x).size() == 1)",
        "each of alarms is exactly one of " + _one_of(ALARM_KINDS),
        lambda s: all(sum(kind in a for kind in ALARM_KINDS) == 1 for a in s.get("alarms", [])),
    ),
    Rule(
        "!has(self.alarms) || self.alarms.all(a, self.alarms.exists_one(b, b.name == a.name))",
        "alarm names must be unique",
        lambda s: _unique(_names(s, "alarms")),
    ),
)

LOG_RULES = (
    Rule(
        "!has(self.logAlarms) || self.logAlarms.all(a, [has(a.log), has(a.containerLogLines)]"
        ".filter(x, x).size() == 1)",
        "each of logAlarms is exactly one of log or containerLogLines",
        lambda s: all(sum(p in a for p in ("log", *LOG_PRESETS)) == 1 for a in s.get("logAlarms", [])),
    ),
    Rule(
        "!has(self.logAlarms) || self.logAlarms.all(a, self.logAlarms.exists_one(b, b.name == a.name)"
        " && (!has(self.alarms) || !self.alarms.exists(b, b.name == a.name)))",
        "log alarm names must be unique, and differ from alarm names (both name alarms <app>-<name>)",
        lambda s: _unique(_names(s, "logAlarms")) and not set(_names(s, "logAlarms")) & set(_names(s, "alarms")),
    ),
    Rule(
        "!has(self.maintenanceWindows) || self.maintenanceWindows.all(w,"
        " self.maintenanceWindows.exists_one(v, v.name == w.name))",
        "maintenance window names must be unique",
        lambda s: _unique(_names(s, "maintenanceWindows")),
    ),
    Rule(
        "!has(self.maintenanceWindows) || self.maintenanceWindows.all(w, !has(w.startDate) || !has(w.expireDate)"
        " || timestamp(w.expireDate) > timestamp(w.startDate))",
        "maintenanceWindows[].expireDate must be after its startDate",
        lambda s: all(
            "startDate" not in w
            or "expireDate" not in w
            or mute_rule.instant(w["expireDate"]) > mute_rule.instant(w["startDate"])
            for w in s.get("maintenanceWindows", [])
        ),
    ),
)


def _names(spec: Any, key: str) -> list[str]:
    return [item["name"] for item in spec.get(key, [])]


def _unique(names: list[str]) -> bool:
    return len(set(names)) == len(names)


APP_OBSERVABILITY = Kind(FIELDS, (*RULES, *LOG_RULES))
