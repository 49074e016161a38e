"""`CloudWatchLogAlarm`: every PutLogAlarm parameter, in camelCase: an alarm on a CloudWatch Logs Insights query
that CloudWatch runs on a schedule, M of N of whose results must breach the threshold.

The scheduled query's members are flat in the spec (`query`, `logGroups`, `queryRoleArn`, `schedule`,
`aggregationExpression`) and nested in `ScheduledQueryConfiguration` for AWS. The operator fills in two defaults
that the API server cannot know: the cluster's Container Insights application log group, and the role the
operator was started with (`--log-query-role-arn`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kedawatch import settings, tenancy
from kedawatch.aws import alarms, names
from kedawatch.operator.resources import common
from kedawatch.operator.resources.fields import AlarmApi, Field, Kind, Rule

__all__ = ["LOG_ALARM", "MAX_OFFSET", "application_log_group"]

OPERATORS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
"""A log alarm's operators: the static-threshold ones (the model's other three are for anomaly bands)."""
MAX_OFFSET = 2592000
"""Seconds a query's time range may reach back: 30 days."""
RATE = r"^rate\(\s*[1-9][0-9]*\s+(minute|minutes|hour|hours|day|days)\s*\)$"
"""The schedule's rate() expression, as the API reference gives it (rate(5 minutes))."""
ACTION = r"^arn:aws[a-z-]*:(sns|lambda|ssm):"
"""A log alarm notifies SNS, invokes Lambda or opens a Systems Manager OpsItem; no EC2 or Auto Scaling actions."""
_ROLE = {"type": "string", "maxLength": 1024, "pattern": names.ROLE_ARN}
_QUERY = "ScheduledQueryConfiguration"


def application_log_group(cluster: str) -> str:
    """Container Insights' log group of the cluster's container logs: where a log alarm looks by default."""
    return tenancy.APPLICATION_LOG_GROUP.replace("{cluster}", cluster)


def _schedule(schedule: Mapping[str, Any]) -> dict[str, Any]:
    """`expression` is AWS's ScheduleExpression; the offsets keep their names."""
    offsets = {key: value for key, value in schedule.items() if key != "expression"}
    return {"ScheduleExpression": schedule["expression"], **common.pascal(offsets)}


FIELDS = (
    *common.IDENTITY,
    Field(
        "query",
        {"type": "string", "maxLength": 10000, "description": "The Logs Insights query run on each schedule."},
        aws=f"{_QUERY}.QueryString",
        required=True,
    ),
    Field(
        "logGroups",
        {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {"type": "string", "minLength": 1, "maxLength": 1024},
            "description": "Names or ARNs. Default: the cluster's /aws/containerinsights/<cluster>/application.",
        },
        aws=f"{_QUERY}.LogGroupIdentifiers",
    ),
    Field(
        "queryRoleArn",
        {**_ROLE, "description": "The role CloudWatch runs the query as. Default: the operator's."},
        aws=f"{_QUERY}.ScheduledQueryRoleARN",
    ),
    Field(
        "schedule",
        {
            "type": "object",
            "required": ["expression", "startTimeOffset"],
            "properties": {
                "expression": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": RATE},
                "startTimeOffset": {"type": "integer", "minimum": 1, "maximum": MAX_OFFSET},
                "endTimeOffset": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
            },
            "description": "How often the query runs, and the seconds before each run its time range starts and"
            " ends (default 0).",
        },
        aws=f"{_QUERY}.ScheduleConfiguration",
        to_aws=_schedule,
        required=True,
    ),
    Field(
        "aggregationExpression",
        {"type": "string", "minLength": 1, "maxLength": 2048, "description": "count(*), avg(latency) by host, ..."},
        aws=f"{_QUERY}.AggregationExpression",
        required=True,
    ),
    Field(
        "queryResultsToEvaluate",
        {"type": "integer", "minimum": 1, "maximum": 100},
        aws="QueryResultsToEvaluate",
        required=True,
    ),
    Field("queryResultsToAlarm", {"type": "integer", "minimum": 1}, aws="QueryResultsToAlarm", required=True),
    Field("threshold", {"type": "number"}, aws="Threshold", required=True),
    Field("comparisonOperator", {"type": "string", "enum": list(OPERATORS)}, aws="ComparisonOperator", required=True),
    Field(
        "treatMissingData",
        {"type": "string", "enum": ["breaching", "notBreaching", "ignore", "missing"]},
        aws="TreatMissingData",
    ),
    *common.ACTIONS,
    Field("actionLogLineCount", {"type": "integer", "minimum": 0, "maximum": 50}, aws="ActionLogLineCount"),
    Field("actionLogLineRoleArn", _ROLE, aws="ActionLogLineRoleArn"),
    common.WARM_UP,
    common.PROPAGATION,
)

_ACTION_KEYS = ("alarmActions", "okActions", "insufficientDataActions")
RULES = (
    Rule(
        "self.queryResultsToAlarm <= self.queryResultsToEvaluate",
        "queryResultsToAlarm (M) must not exceed queryResultsToEvaluate (N)",
        lambda s: s["queryResultsToAlarm"] <= s["queryResultsToEvaluate"],
    ),
    Rule(
        "!has(self.schedule.endTimeOffset) || self.schedule.endTimeOffset < self.schedule.startTimeOffset",
        "schedule.endTimeOffset must be less than schedule.startTimeOffset",
        lambda s: s["schedule"].get("endTimeOffset", 0) < s["schedule"]["startTimeOffset"],
    ),
    Rule(
        "!has(self.actionLogLineCount) || self.actionLogLineCount == 0 || has(self.actionLogLineRoleArn)",
        "actionLogLineCount above 0 needs actionLogLineRoleArn (the role CloudWatch reads the log lines as)",
        lambda s: s.get("actionLogLineCount", 0) == 0 or "actionLogLineRoleArn" in s,
    ),
    Rule(
        " && ".join(f"(!has(self.{key}) || self.{key}.all(a, a.matches('{ACTION}')))" for key in _ACTION_KEYS),
        "a log alarm's actions are SNS topics, Lambda functions or Systems Manager OpsItems",
        lambda s: all(re.match(ACTION, action) for key in _ACTION_KEYS for action in s.get(key, ())),
    ),
)


def _complete(spec: dict[str, Any], operator: settings.OperatorSettings) -> tuple[dict[str, Any], list[str]]:
    """The cluster's application log group and the operator's query role where the spec names none."""
    completed = {"logGroups": [application_log_group(operator.cluster_name)], **spec}
    if "queryRoleArn" not in completed and operator.log_query_role_arn:
        completed["queryRoleArn"] = operator.log_query_role_arn
    if "queryRoleArn" not in completed:
        return completed, [
            "spec.queryRoleArn: required: the IAM role CloudWatch runs the query as (the operator was started"
            " without --log-query-role-arn to default to)"
        ]
    return completed, []


def _comparable(params: Mapping[str, Any]) -> dict[str, Any]:
    """AWS answers Threshold as a double, the scheduled query's ARN (its own), and EndTimeOffset 0 where it was
    left out."""
    comparable = dict(params)
    if comparable.get("Threshold") is not None:
        comparable["Threshold"] = float(comparable["Threshold"])
    query = {key: value for key, value in comparable.get(_QUERY, {}).items() if key != "QueryARN"}
    if "ScheduleConfiguration" in query:
        query["ScheduleConfiguration"] = {"EndTimeOffset": 0, **query["ScheduleConfiguration"]}
    comparable[_QUERY] = query
    return comparable


API = AlarmApi(
    "LogAlarm",
    alarms.put_log_alarm,
    {**common.ACTION_DEFAULTS, "TreatMissingData": "missing", "ActionLogLineCount": 0},
    _comparable,
    _complete,
)
LOG_ALARM = Kind(FIELDS, (*RULES, *common.RULES, *common.PROPAGATION_RULES), API)
