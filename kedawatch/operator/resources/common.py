"""Fields every alarm kind shares: naming, region, deletion policy, actions and tags, and their rules; and those that
more than one kind takes (warm-up, tag propagation), each with its rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kedawatch.aws import names
from kedawatch.operator.resources.fields import Field, Rule, string_list

__all__ = [
    "ACTIONS",
    "ACTION_DEFAULTS",
    "IDENTITY",
    "PROPAGATION",
    "PROPAGATION_RULES",
    "RULES",
    "WARM_UP",
    "pascal",
    "recased",
]

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
MAX_TAG_KEY = 128

IDENTITY = (
    Field(
        "alarmName",
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": NO_CONTROL_CHARACTERS,
            "description": "Default: <cluster>/<namespace>/<name>.",
        },
        legacy=("AlarmName",),
    ),
    Field("region", {"type": "string", "pattern": names.REGION, "description": "Default: the operator's region."}),
    Field(
        "deletionPolicy",
        {"type": "string", "enum": ["Delete", "Retain"], "default": "Delete"},
        legacy=("DeletionPolicy",),
    ),
    Field("description", {"type": "string", "maxLength": 1024}, aws="AlarmDescription", legacy=("AlarmDescription",)),
    Field(
        "tags",
        {"type": "object", "maxProperties": 50, "additionalProperties": {"type": "string", "maxLength": 256}},
        legacy=("Tags",),
    ),
)

ACTIONS = (
    Field("actionsEnabled", {"type": "boolean"}, aws="ActionsEnabled", legacy=("ActionsEnabled",)),
    Field("alarmActions", string_list(5), aws="AlarmActions", legacy=("AlarmActions",)),
    Field("okActions", string_list(5), aws="OKActions", legacy=("OKActions", "OkActions")),
    Field(
        "insufficientDataActions", string_list(5), aws="InsufficientDataActions", legacy=("InsufficientDataActions",)
    ),
)

ACTION_DEFAULTS = {
    "ActionsEnabled": True,
    "AlarmActions": [],
    "OKActions": [],
    "InsufficientDataActions": [],
    "AlarmDescription": "",
}
"""What DescribeAlarms answers for the actions and the description of any alarm that sets none."""

RULES = (
    Rule(
        f"!has(self.tags) || self.tags.all(k, k.size() >= 1 && k.size() <= {MAX_TAG_KEY} && !k.startsWith('aws:'))",
        f"tags keys must be 1 to {MAX_TAG_KEY} characters and must not start with aws: (AWS reserves it)",
        lambda s: all(0 < len(key) <= MAX_TAG_KEY and not key.startswith("aws:") for key in s.get("tags", {})),
    ),
)


def pascal(value: Any) -> Any:
    """camelCase keys to AWS's PascalCase, all the way down (`metricStat.period` -> `MetricStat.Period`)."""
    return recased(value, str.upper)


def recased(value: Any, case: Callable[[str], str]) -> Any:
    """`value` with the first letter of every key, all the way down, put through `case`."""
    if isinstance(value, Mapping):
        return {case(key[:1]) + key[1:]: recased(item, case) for key, item in value.items()}
    if isinstance(value, list):
        return [recased(item, case) for item in value]
    return value


MAX_WARM_UP_MINUTES = 2880
WARM_UP = Field(
    "warmUp",
    {
        "type": "object",
        "required": ["warmUpPeriodDurationInMinutes"],
        "properties": {
            "warmUpPeriodDurationInMinutes": {"type": "integer", "minimum": 1, "maximum": MAX_WARM_UP_MINUTES},
            "onlyStartEvaluatingAfterWarmUpPeriodEnds": {"type": "boolean"},
        },
        "description": "Minutes after a create or update that the alarm stays INSUFFICIENT_DATA without actions.",
    },
    aws="WarmUpConfiguration",
    to_aws=pascal,
    legacy=("WarmUpConfiguration",),
    returned=False,
)
_TAG_KEYS = {
    "type": "array",
    "minItems": 1,
    "maxItems": 50,
    "items": {"type": "string", "minLength": 1, "maxLength": MAX_TAG_KEY},
}
PROPAGATION = Field(
    "actionConfiguration",
    {
        "type": "object",
        "properties": {
            "alarmTagsPropagation": {
                "type": "object",
                "required": ["enabled"],
                "properties": {
                    "enabled": {"type": "boolean"},
                    "includedTagKeys": _TAG_KEYS,
                    "excludedTagKeys": _TAG_KEYS,
                },
                "description": "The alarm's tags in its SNS and Lambda notifications and EventBridge events.",
            }
        },
    },
    aws="ActionConfiguration",
    to_aws=pascal,
    legacy=("ActionConfiguration",),
    returned=False,
)
PROPAGATION_RULES = (
    Rule(
        "!has(self.actionConfiguration) || !has(self.actionConfiguration.alarmTagsPropagation)"
        " || !(has(self.actionConfiguration.alarmTagsPropagation.includedTagKeys)"
        " && has(self.actionConfiguration.alarmTagsPropagation.excludedTagKeys))",
        "actionConfiguration.alarmTagsPropagation takes includedTagKeys or excludedTagKeys, not both",
        lambda s: (
            not {"includedTagKeys", "excludedTagKeys"}
            <= set(s.get("actionConfiguration", {}).get("alarmTagsPropagation", {}))
        ),
    ),
)
