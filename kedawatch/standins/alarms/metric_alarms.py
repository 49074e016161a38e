"""PutMetricAlarm: what AWS refuses before it stores an alarm, and the configuration DescribeAlarms returns.

The rules checked here, each a 400 ValidationError (AWS's own wording where an answer of AWS is on record in
public issue reports, quoted below; otherwise worded alike), on top of the input shape (`kedawatch.aws.wire`:
lengths, enums, ranges, at most 5 actions per list, EvaluationInterval 10..3600, PendingPeriod and
RecoveryPeriod 0..86400, Query 1..10000 characters, WarmUpPeriodDurationInMinutes 1..2880) and the rules
shared by every kind of alarm (`checks`):

- exactly one of MetricName, Metrics and EvaluationCriteria ("MetricName must not be null" when none);
- a single-metric alarm needs Namespace and Period, and exactly one of Statistic and ExtendedStatistic, the
  latter in one of the documented forms (p90, tm90, TM(10%:90%), IQM, ...);
- Metrics excludes Namespace, Dimensions, Period, Unit, Statistic and ExtendedStatistic ("Statistic should not
  be set if list of Metrics is set."); holds at most 20 queries with unique ids of the form ^[a-z][a-zA-Z0-9_]*$,
  each with exactly one of Expression and MetricStat ("The parameters MetricDataQuery Expression and MetricStat
  are mutually exclusive and you have specified both.");
- Period (and each query's) is 10, 20, 30 or a multiple of 60 ("Period must be 10, 20, 30 or a multiple of 60"),
  and Period x EvaluationPeriods is at most one day, or seven days with a period of an hour or more;
- DatapointsToAlarm <= EvaluationPeriods ("DatapointsToAlarm must be less than or equal to EvaluationPeriods");
- Threshold XOR ThresholdMetricId ("Threshold and ThresholdMetricId cannot both be set"); ThresholdMetricId
  goes with the three band operators and they with it, and such an alarm has no Auto Scaling action;
- ReturnData (omitted counts as true): with ThresholdMetricId the band and the metric it is computed from
  both return data ("Exactly two elements of the metrics list should return data.", "Metrics list must contain
  exactly one metric matching the ThresholdMetricId parameter"), otherwise exactly one query does ("Exactly one
  element of the metrics list should return data.");
- EvaluationCriteria (PromQL) excludes Namespace, MetricName, Dimensions, Period, Unit, Statistic,
  ExtendedStatistic, Metrics, Threshold, ComparisonOperator, ThresholdMetricId, EvaluationPeriods and
  DatapointsToAlarm (PutMetricAlarm's reference), EvaluationWindow ("any type of metric alarm except alarms that
  are based on a PromQL query") and TreatMissingData ("not applicable to PromQL alarms"; AWS's SDK example for
  PromQL alarms: "you must not set ... TreatMissingData"), and needs EvaluationInterval, which no other alarm
  takes; the interval is 10, 20, 30 or a multiple of 60;
- EvaluationPeriods and ComparisonOperator are required of every other alarm;
- a WallClockWindow needs a period of 1 minute, 5 minutes, 1 hour, 1 day or 1 week, and a time zone that is an
  IANA name, a UTC offset (+05:30) or UTC+05:30, in steps of 5 minutes;
- EvaluateLowSampleCountPercentile is evaluate or ignore.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from kedawatch.aws import vocabulary
from kedawatch.standins.alarms import checks
from kedawatch.standins.alarms.checks import refuse

__all__ = ["check", "configuration", "is_promql"]

ACTION_SERVICES = ("automate", "swf", "autoscaling", "lambda", "sns", "ssm", "ssm-incidents", "aiops")
BAND_OPERATORS = ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")
SINGLE_METRIC = ("Namespace", "Dimensions", "Period", "Unit", "Statistic", "ExtendedStatistic")
"""What a metric-math alarm gives in its queries instead."""
NOT_WITH_PROMQL = (
    "Namespace", "MetricName", "Dimensions", "Period", "Unit", "Statistic", "ExtendedStatistic", "Metrics",
    "Threshold", "ComparisonOperator", "ThresholdMetricId", "EvaluationPeriods", "DatapointsToAlarm",
    "EvaluationWindow", "TreatMissingData",
)  # fmt: skip
MAX_QUERIES = 20
QUERY_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
ONE_DAY, SEVEN_DAYS = 86400, 604800


def is_promql(params: Mapping[str, Any]) -> bool:
    return "EvaluationCriteria" in params


def check(params: Mapping[str, Any], region: str) -> None:
    checks.check_common(params, region, ACTION_SERVICES)
    kinds = [key for key in ("MetricName", "Metrics", "EvaluationCriteria") if key in params]
    if not kinds:
        refuse("MetricName must not be null")
    if len(kinds) > 1:
        refuse(f"Specify exactly one of MetricName, Metrics or EvaluationCriteria, not {' and '.join(kinds)}")
    if is_promql(params):
        _check_promql(params)
        return
    _check_classic(params)
    if "Metrics" in params:
        _check_queries(params)
    else:
        _check_single_metric(params)
    if "EvaluationWindow" in params:
        _check_window(params["EvaluationWindow"], _period_of(params))


def configuration(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A metric alarm's `settings` as DescribeAlarms returns them: with the defaults AWS fills in for this kind."""
    filled = dict(settings)
    if "MetricName" in filled:
        filled.setdefault("Dimensions", [])
    if "Metrics" in filled:
        filled["Metrics"] = [{**query, "ReturnData": query.get("ReturnData", True)} for query in filled["Metrics"]]
    return filled


def _check_promql(params: Mapping[str, Any]) -> None:
    for key in NOT_WITH_PROMQL:
        if key in params:
            refuse(f"{key} should not be set if EvaluationCriteria is set.")
    interval = params.get("EvaluationInterval")
    if interval is None:
        refuse("EvaluationInterval must be set if EvaluationCriteria is set.")
    if not vocabulary.alarm_period_ok(interval):
        refuse("EvaluationInterval must be 10, 20, 30 or a multiple of 60")


def _check_classic(params: Mapping[str, Any]) -> None:
    for key in ("EvaluationPeriods", "ComparisonOperator"):
        if key not in params:
            refuse(f"{key} must not be null")
    if "EvaluationInterval" in params:
        refuse("EvaluationInterval should not be set unless EvaluationCriteria is set.")
    if "DatapointsToAlarm" in params and params["DatapointsToAlarm"] > params["EvaluationPeriods"]:
        refuse("DatapointsToAlarm must be less than or equal to EvaluationPeriods")
    if "Threshold" in params and "ThresholdMetricId" in params:
        refuse("Threshold and ThresholdMetricId cannot both be set")
    if "Threshold" not in params and "ThresholdMetricId" not in params:
        refuse("Threshold must not be null")
    operator = params["ComparisonOperator"]
    if operator in BAND_OPERATORS and "ThresholdMetricId" not in params:
        refuse(f"ComparisonOperator {operator} is for anomaly detection alarms, which set ThresholdMetricId")
    if operator not in BAND_OPERATORS and "ThresholdMetricId" in params:
        refuse(f"An anomaly detection alarm (ThresholdMetricId) needs one of {', '.join(BAND_OPERATORS)}")
    if "ThresholdMetricId" in params and any(
        action.startswith("arn:aws:autoscaling:") for key in checks.ACTION_LISTS for action in params.get(key, ())
    ):
        refuse("An alarm based on an anomaly detection model (ThresholdMetricId) cannot have Auto Scaling actions")
    if params.get("EvaluateLowSampleCountPercentile", "evaluate") not in ("evaluate", "ignore"):
        refuse("EvaluateLowSampleCountPercentile must be evaluate or ignore")


def _check_single_metric(params: Mapping[str, Any]) -> None:
    if "ThresholdMetricId" in params:
        refuse("ThresholdMetricId needs a list of Metrics that holds the band it names")
    for key in ("Namespace", "Period"):
        if key not in params:
            refuse(f"{key} must not be null")
    if ("Statistic" in params) == ("ExtendedStatistic" in params):
        refuse("Exactly one of Statistic or ExtendedStatistic must be set when MetricName is set")
    extended = params.get("ExtendedStatistic")
    if extended is not None and not re.fullmatch(vocabulary.EXTENDED_STATISTIC, extended):
        refuse(f"The value {extended} for parameter ExtendedStatistic is not supported.")
    _check_period("Period", params["Period"], params["EvaluationPeriods"])


def _check_queries(params: Mapping[str, Any]) -> None:
    for key in SINGLE_METRIC:
        if key in params:
            refuse(f"{key} should not be set if list of Metrics is set.")
    queries: Sequence[Mapping[str, Any]] = params["Metrics"]
    if not queries or len(queries) > MAX_QUERIES:
        refuse(f"Metrics must hold 1 to {MAX_QUERIES} queries, not {len(queries)}")
    ids = [query["Id"] for query in queries]
    for query_id in ids:
        if not QUERY_ID.match(query_id):
            refuse(
                f"Invalid metrics list: the Id {query_id!r} must start with a lowercase letter"
                " and hold only letters, digits and _"
            )
    if len(set(ids)) != len(ids):
        refuse("Invalid metrics list: the Ids of the queries must be unique")
    for query in queries:
        if "Expression" in query and "MetricStat" in query:
            refuse(
                "The parameters MetricDataQuery Expression and MetricStat are mutually exclusive"
                " and you have specified both."
            )
        if "Expression" not in query and "MetricStat" not in query:
            refuse(f"The query {query['Id']} needs one of Expression or MetricStat")
        period = query.get("MetricStat", {}).get("Period", query.get("Period"))
        if period is not None:
            _check_period(f"Period of query {query['Id']}", period, params["EvaluationPeriods"])
    _check_return_data(queries, params.get("ThresholdMetricId"))


def _check_return_data(queries: Sequence[Mapping[str, Any]], band: str | None) -> None:
    returning = [query["Id"] for query in queries if query.get("ReturnData", True)]
    if band is None:
        if len(returning) != 1:
            refuse("Exactly one element of the metrics list should return data.")
        return
    if band not in returning:
        refuse("Metrics list must contain exactly one metric matching the ThresholdMetricId parameter")
    if len(returning) != 2:
        refuse("Exactly two elements of the metrics list should return data.")


def _check_period(what: str, period: int, evaluation_periods: int) -> None:
    if not vocabulary.alarm_period_ok(period):
        refuse(f"{what} must be 10, 20, 30 or a multiple of 60")
    limit = SEVEN_DAYS if period >= 3600 else ONE_DAY
    if period * evaluation_periods > limit:
        refuse(
            f"{what} ({period} s) multiplied by EvaluationPeriods ({evaluation_periods}) must not exceed {limit} s:"
            " an alarm evaluates at most one day, or seven days with a period of an hour or more"
        )


def _period_of(params: Mapping[str, Any]) -> int | None:
    """The period the alarm evaluates: its own, or that of the query it watches."""
    if "Period" in params:
        return int(params["Period"])
    for query in params.get("Metrics", ()):
        if query.get("ReturnData", True) and query["Id"] != params.get("ThresholdMetricId"):
            period = query.get("MetricStat", {}).get("Period", query.get("Period"))
            return int(period) if period is not None else None
    return None


def _check_window(window: Mapping[str, Any], period: int | None) -> None:
    if "WallClockWindow" not in window:
        return
    if period is not None and period not in vocabulary.WALL_CLOCK_PERIODS:
        refuse(f"A WallClockWindow needs a period of 60, 300, 3600, 86400 or 604800 seconds, not {period}")
    timezone = window["WallClockWindow"].get("Timezone")
    if timezone is not None and vocabulary.wall_clock_timezone_problem(timezone):
        refuse(f"Invalid Timezone {timezone!r}: give an IANA time zone, an offset such as +05:30, or UTC+05:30")
