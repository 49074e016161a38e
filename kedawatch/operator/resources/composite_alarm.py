"""`CloudWatchCompositeAlarm`: every PutCompositeAlarm parameter, in camelCase."""

from __future__ import annotations

from kedawatch.aws import alarms
from kedawatch.operator.resources import common
from kedawatch.operator.resources.fields import AlarmApi, Field, Kind, Rule

__all__ = ["COMPOSITE_ALARM"]

FIELDS = (
    *common.IDENTITY,
    Field(
        "alarmRule",
        {"type": "string", "minLength": 1, "maxLength": 10240},
        aws="AlarmRule",
        required=True,
        legacy=("AlarmRule",),
    ),
    *common.ACTIONS,
    Field("actionsSuppressor", {"type": "string", "minLength": 1, "maxLength": 1600}, aws="ActionsSuppressor"),
    Field("actionsSuppressorWaitPeriod", {"type": "integer", "minimum": 0}, aws="ActionsSuppressorWaitPeriod"),
    Field(
        "actionsSuppressorExtensionPeriod", {"type": "integer", "minimum": 0}, aws="ActionsSuppressorExtensionPeriod"
    ),
)

RULES = (
    Rule(
        "has(self.actionsSuppressor) || !(has(self.actionsSuppressorWaitPeriod)"
        " || has(self.actionsSuppressorExtensionPeriod))",
        "actionsSuppressorWaitPeriod and actionsSuppressorExtensionPeriod need actionsSuppressor",
        lambda s: (
            "actionsSuppressor" in s
            or not ("actionsSuppressorWaitPeriod" in s or "actionsSuppressorExtensionPeriod" in s)
        ),
    ),
    Rule(
        "!has(self.actionsSuppressor) || (has(self.actionsSuppressorWaitPeriod)"
        " && has(self.actionsSuppressorExtensionPeriod))",
        "actionsSuppressor needs actionsSuppressorWaitPeriod and actionsSuppressorExtensionPeriod",
        lambda s: (
            "actionsSuppressor" not in s
            or ("actionsSuppressorWaitPeriod" in s and "actionsSuppressorExtensionPeriod" in s)
        ),
    ),
)

COMPOSITE_ALARM = Kind(
    FIELDS, (*RULES, *common.RULES), AlarmApi("CompositeAlarm", alarms.put_composite_alarm, common.ACTION_DEFAULTS)
)
