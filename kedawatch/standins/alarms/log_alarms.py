"""PutLogAlarm: an alarm on a CloudWatch Logs Insights scheduled query, what AWS refuses and what it stores.

Checked, each a 400 ValidationError (as the API reference words each member's rule), on top of the input
shape (StartTimeOffset 1..2592000 and EndTimeOffset 0..2592000 s, 1 to 50 log groups, QueryString up to
10,000 and AggregationExpression 1..2048 characters) and `checks`: QueryResultsToEvaluate (N) is 1..100 and
QueryResultsToAlarm (M) at most N; ComparisonOperator is one of the four static-threshold operators;
ScheduleExpression is a rate() expression such as rate(5 minutes); EndTimeOffset is less than
StartTimeOffset; ScheduledQueryRoleARN (and ActionLogLineRoleArn) is an IAM role's ARN; ActionLogLineCount is
0..50 and needs ActionLogLineRoleArn when above 0; actions are SNS, Lambda or Systems Manager OpsItems.
The scheduled query's ARN (QueryARN) is the service's to give, kept across updates.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from kedawatch.standins.alarms import checks
from kedawatch.standins.alarms.checks import refuse

__all__ = ["check", "configuration"]

ACTION_SERVICES = ("sns", "lambda", "ssm")
OPERATORS = ("GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold")
MAX_RESULTS, MAX_LOG_LINES = 100, 50
_RATE = re.compile(r"^rate\(\s*([1-9]\d*)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")


def check(params: Mapping[str, Any], region: str) -> None:
    checks.check_common(params, region, ACTION_SERVICES)
    evaluate, alarm = params["QueryResultsToEvaluate"], params["QueryResultsToAlarm"]
    if evaluate > MAX_RESULTS:
        refuse(f"QueryResultsToEvaluate must be 1 to {MAX_RESULTS}, not {evaluate}")
    if alarm > evaluate:
        refuse(f"QueryResultsToAlarm ({alarm}) must be less than or equal to QueryResultsToEvaluate ({evaluate})")
    if params["ComparisonOperator"] not in OPERATORS:
        refuse(f"ComparisonOperator must be one of {', '.join(OPERATORS)}, not {params['ComparisonOperator']}")
    _check_query(params["ScheduledQueryConfiguration"])
    lines = params.get("ActionLogLineCount", 0)
    if not 0 <= lines <= MAX_LOG_LINES:
        refuse(f"ActionLogLineCount must be 0 to {MAX_LOG_LINES}, not {lines}")
    role = params.get("ActionLogLineRoleArn")
    if lines > 0 and role is None:
        refuse("ActionLogLineRoleArn is required when ActionLogLineCount is greater than 0")
    if role is not None and not _ROLE.match(role):
        refuse(f"ActionLogLineRoleArn must be an IAM role's ARN, not {role!r}")


def configuration(
    settings: Mapping[str, Any], region: str, account: str, previous: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A log alarm's `settings` as DescribeAlarms returns them, with the ARN of the scheduled query it runs."""
    query = dict(settings["ScheduledQueryConfiguration"])
    kept = (previous or {}).get("ScheduledQueryConfiguration", {}).get("QueryARN")
    query["QueryARN"] = kept or f"arn:aws:logs:{region}:{account}:scheduled-query:{uuid.uuid4()}"
    return {**settings, "ScheduledQueryConfiguration": query}


def _check_query(query: Mapping[str, Any]) -> None:
    schedule = query["ScheduleConfiguration"]
    if not _RATE.match(schedule["ScheduleExpression"]):
        expression = schedule["ScheduleExpression"]
        refuse(f"ScheduleExpression must be a rate() expression such as rate(5 minutes), not {expression!r}")
    start, end = schedule["StartTimeOffset"], schedule.get("EndTimeOffset", 0)
    if end >= start:
        refuse(f"EndTimeOffset ({end}) must be less than StartTimeOffset ({start})")
    if not _ROLE.match(query["ScheduledQueryRoleARN"]):
        refuse(f"ScheduledQueryRoleARN must be an IAM role's ARN, not {query['ScheduledQueryRoleARN']!r}")
