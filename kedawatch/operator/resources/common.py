"""Fields every alarm kind shares: naming, region, deletion policy, actions and tags, and their rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kedawatch.aws import names
from kedawatch.operator.resources.fields import Field, Rule, string_list

__all__ = ["ACTIONS", "IDENTITY", "RULES", "pascal", "recased"]

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
