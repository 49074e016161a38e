"""`CloudWatchAlarmMuteRule`: PutAlarmMuteRule in camelCase, its targets named as kedawatch's alarm objects.

A rule mutes the actions of the alarms it targets during the windows of its schedule. Its targets are alarm
objects of its own namespace, by reference (`targets.alarms`) or by label selector (`targets.selector`); the
operator resolves them to the AWS alarms those objects own, at most 100 (PutAlarmMuteRule's limit), and keeps them
current as objects come and go. The schedule is checked as CloudWatch reads it (`kedawatch.aws.mute_schedules`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from kedawatch.aws import mute_schedules
from kedawatch.operator.resources import common
from kedawatch.operator.resources.fields import Field, Kind, Rule, Spec

__all__ = ["DATES", "DESCRIPTION", "MAX_TARGETS", "SCHEDULE", "comparable", "instant", "mute_rule_kind", "selected"]

MAX_TARGETS = 100
"""Alarms a mute rule targets at most (PutAlarmMuteRule's MuteTargets.AlarmNames)."""
_EXPRESSION = r"^(cron\([^()]*\)|at\([^()]*\))$"
_LABEL_SELECTOR = {
    "type": "object",
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string", "minLength": 1},
                    "operator": {"type": "string", "enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "description": "Kubernetes' label selector, over kedawatch's alarm objects in this namespace.",
}
_DATE = {"type": "string", "format": "date-time"}


def instant(value: str) -> datetime.datetime:
    """An RFC 3339 date-time (`2026-12-24T18:00:00Z`) as an aware datetime; a naive one is taken as UTC."""
    parsed = datetime.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _schedule_problems(schedule: Spec, path: str) -> list[str]:
    try:
        mute_schedules.Schedule.parse(schedule["expression"], schedule["duration"], schedule.get("timezone", "UTC"))
    except mute_schedules.ScheduleError as exc:
        return [f"{path}: {exc}"]
    return []


def _date_problems(value: str, path: str) -> list[str]:
    try:
        instant(value)
    except ValueError:
        return [f"{path}: {value!r} is not an RFC 3339 date-time such as 2026-12-24T18:00:00Z"]
    return []


def _targets(alarm_kinds: Sequence[str]) -> dict[str, Any]:
    reference = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "kind": {"type": "string", "enum": list(alarm_kinds), "default": alarm_kinds[0]},
            "name": {"type": "string", "minLength": 1, "maxLength": 253},
        },
    }
    return {
        "type": "object",
        "properties": {
            "alarms": {"type": "array", "minItems": 1, "maxItems": MAX_TARGETS, "items": reference},
            "selector": _LABEL_SELECTOR,
        },
        "description": "The alarm objects whose alarms it mutes: by reference, or by label selector.",
    }


_IDENTITY = {field.key: field for field in common.IDENTITY}
RULES = (
    Rule(
        "has(self.targets.alarms) != has(self.targets.selector)",
        "targets is exactly one of alarms (references) or selector (labels)",
        lambda s: ("alarms" in s["targets"]) != ("selector" in s["targets"]),
    ),
    Rule(
        "!has(self.targets.selector) || !has(self.targets.selector.matchExpressions)"
        " || self.targets.selector.matchExpressions.all(e,"
        " (e.operator == 'In' || e.operator == 'NotIn') == (has(e.values) && size(e.values) > 0))",
        "targets.selector.matchExpressions: In and NotIn need values, Exists and DoesNotExist take none",
        lambda s: all(
            (e["operator"] in ("In", "NotIn")) == bool(e.get("values"))
            for e in s["targets"].get("selector", {}).get("matchExpressions", [])
        ),
    ),
    Rule(
        "!has(self.startDate) || !has(self.expireDate) || timestamp(self.expireDate) > timestamp(self.startDate)",
        "expireDate must be after startDate",
        lambda s: "startDate" not in s or "expireDate" not in s or instant(s["expireDate"]) > instant(s["startDate"]),
    ),
    *common.RULES,
)


SCHEDULE = Field(
    "schedule",
    {
        "type": "object",
        "required": ["expression", "duration"],
        "properties": {
            "expression": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": _EXPRESSION},
            "duration": {"type": "string", "minLength": 1, "maxLength": 50, "pattern": mute_schedules.DURATION},
            "timezone": {"type": "string", "minLength": 1, "maxLength": 50},
        },
        "description": "cron(Minutes Hours Day-of-month Month Day-of-week) or at(yyyy-MM-ddThh:mm), read in"
        " timezone (default UTC); each window lasts duration (ISO 8601, PT1M to P15D).",
    },
    aws="Rule.Schedule",
    to_aws=common.pascal,
    required=True,
    check=_schedule_problems,
)
DATES = (
    Field("startDate", _DATE, aws="StartDate", to_aws=instant, check=_date_problems),
    Field("expireDate", _DATE, aws="ExpireDate", to_aws=instant, check=_date_problems),
)
DESCRIPTION = Field("description", {"type": "string", "maxLength": 1024}, aws="Description")


def mute_rule_kind(alarm_kinds: Sequence[str]) -> Kind:
    """The kind, whose targets may name objects of `alarm_kinds` (the first is the default)."""
    fields = (
        Field(
            "muteRuleName",
            {
                "type": "string",
                "minLength": 1,
                "maxLength": 255,
                "description": "Default: <cluster>/<namespace>/<name>.",
            },
        ),
        _IDENTITY["region"],
        _IDENTITY["deletionPolicy"],
        DESCRIPTION,
        _IDENTITY["tags"],
        SCHEDULE,
        *DATES,
        Field("targets", _targets(alarm_kinds), required=True),
    )
    return Kind(fields, RULES)


def selected(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a Kubernetes label selector selects an object with `labels` (an empty selector selects all)."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        held = key in labels
        if operator == "In" and not (held and labels[key] in values):
            return False
        if operator == "NotIn" and held and labels[key] in values:
            return False
        if (operator == "Exists" and not held) or (operator == "DoesNotExist" and held):
            return False
    return True


def comparable(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A mute rule's params or GetAlarmMuteRule's answer, in one form: AWS's defaults filled in (no description,
    UTC, no targets), targets in order, dates as instants."""
    schedule = rule.get("Rule", {}).get("Schedule", {})
    return {
        "Description": rule.get("Description", ""),
        "Schedule": {"Timezone": "UTC", **schedule},
        "AlarmNames": sorted(rule.get("MuteTargets", {}).get("AlarmNames", [])),
        "StartDate": rule.get("StartDate"),
        "ExpireDate": rule.get("ExpireDate"),
    }
