"""`CloudWatchMetricAlarm`: every PutMetricAlarm parameter, in camelCase.

An alarm watches one of three things: a single metric (`metricName`), metric math (`metrics`), or a PromQL query
(`evaluationCriteria.promQLCriteria`, run every `evaluationInterval`). A PromQL alarm carries none of the classic
evaluation fields, as AWS states (PutMetricAlarm's EvaluationCriteria, EvaluationWindow and TreatMissingData): its
query answers the series that breach and its pending and recovery periods say for how long, so
`comparisonOperator` and `evaluationPeriods` are required of the other two only. The query is parsed by
`kedawatch.aws.promql_syntax`, the scaler's parser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kedawatch.aws import alarms, names, promql_syntax, vocabulary
from kedawatch.operator.resources import common, fields
from kedawatch.operator.resources.fields import AlarmApi, Field, Kind, Rule, Spec

__all__ = ["FIELDS_BY_KEY", "METRIC_ALARM", "NOT_WITH_PROMQL", "PROMQL_CRITERIA"]

OPERATORS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
BAND_OPERATORS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
QUERY_ID = r"^[a-z][a-zA-Z0-9_]*$"

_DIMENSIONS: dict[str, Any] = {
    "type": "array",
    "maxItems": 30,
    "items": {
        "type": "object",
        "required": ["name", "value"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "value": {"type": "string", "minLength": 1, "maxLength": 1024},
        },
    },
}
_STATISTIC: dict[str, Any] = {"type": "string", "enum": list(vocabulary.STATISTICS)}
_EXTENDED_STATISTIC: dict[str, Any] = {"type": "string", "pattern": vocabulary.EXTENDED_STATISTIC}
_UNIT: dict[str, Any] = {"type": "string", "enum": list(vocabulary.STANDARD_UNITS)}
_NAME: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 255}
_QUERIES: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "maxItems": 20,
    "items": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string", "pattern": QUERY_ID, "maxLength": 255},
            "expression": {"type": "string", "minLength": 1, "maxLength": 2048},
            "label": {"type": "string", "maxLength": 1024},
            "returnData": {"type": "boolean"},
            "period": {"type": "integer", "minimum": 1},
            "accountId": {"type": "string", "pattern": names.ACCOUNT_ID},
            "metricStat": {
                "type": "object",
                "required": ["metric", "period", "stat"],
                "properties": {
                    "metric": {
                        "type": "object",
                        "required": ["namespace", "metricName"],
                        "properties": {"namespace": _NAME, "metricName": _NAME, "dimensions": _DIMENSIONS},
                    },
                    "period": {"type": "integer", "minimum": 1},
                    "stat": {"type": "string", "minLength": 1},
                    "unit": _UNIT,
                },
            },
        },
    },
}


MAX_WINDOW, MAX_SHORT_WINDOW = 604800, 86400
"""Seconds that period x evaluationPeriods may span: 7 days, or 1 day when the period is under an hour."""
MAX_EVALUATION_PERIODS = MAX_SHORT_WINDOW // 10
"""The most any alarm can have (1 day of 10 s periods); a metric-math alarm's periods are its queries'."""


def _window_ok(spec: Spec) -> bool:
    window = MAX_SHORT_WINDOW if spec["period"] < 3600 else MAX_WINDOW
    return bool(spec["evaluationPeriods"] <= window // spec["period"])


def _returns_data(query: Spec) -> bool:
    return bool(query.get("returnData", True))


def _returned_ok(spec: Spec) -> bool:
    """PutMetricAlarm's count: an anomaly-band alarm returns its band and the metric the band is computed
    from, any other metric-math alarm the one query it watches."""
    returned = [query.get("id") for query in spec["metrics"] if _returns_data(query)]
    if "thresholdMetricId" not in spec:
        return len(returned) == 1
    return len(returned) == 2 and spec["thresholdMetricId"] in returned


_KINDS = ("metricName", "metrics", "evaluationCriteria")
"""What an alarm watches: a single metric, metric math, or a PromQL query; exactly one."""
NOT_WITH_PROMQL = (
    "namespace", "dimensions", "period", "unit", "statistic", "extendedStatistic", "threshold", "comparisonOperator",
    "thresholdMetricId", "evaluationPeriods", "datapointsToAlarm", "evaluationWindow", "treatMissingData",
    "evaluateLowSampleCountPercentile",
)  # fmt: skip
"""What a PromQL alarm may not carry (besides metricName and metrics): the members PutMetricAlarm's
EvaluationCriteria excludes, EvaluationWindow ("any type of metric alarm except alarms that are based on a PromQL
query"), TreatMissingData ("not applicable to PromQL alarms"; AWS's SDK examples: "must not set") and
EvaluateLowSampleCountPercentile ("used only for alarms based on percentiles", which a PromQL alarm has none of)."""
CLASSIC_REQUIRED = ("comparisonOperator", "evaluationPeriods")
"""Required of an alarm on metricName or metrics, refused of a PromQL alarm."""


def _classic(spec: Spec) -> bool:
    return "evaluationCriteria" not in spec


def _required_unless_promql(key: str) -> Callable[[Spec], bool]:
    return lambda spec: not _classic(spec) or key in spec


def _not_with_promql(key: str) -> Callable[[Spec], bool]:
    return lambda spec: _classic(spec) or key not in spec


RULES = (
    Rule(
        " + ".join(f"(has(self.{key}) ? 1 : 0)" for key in _KINDS) + " == 1",
        "exactly one of metricName (a single metric), metrics (metric math) or evaluationCriteria (a PromQL query)"
        " must be set",
        lambda s: sum(key in s for key in _KINDS) == 1,
    ),
    *(
        Rule(
            f"has(self.evaluationCriteria) || has(self.{key})",
            f"{key} is required, unless evaluationCriteria is set (a PromQL alarm)",
            _required_unless_promql(key),
        )
        for key in CLASSIC_REQUIRED
    ),
    *(
        Rule(
            f"!has(self.evaluationCriteria) || !has(self.{key})",
            f"{key} must not be set with evaluationCriteria: a PromQL alarm's query and promQLCriteria say what"
            " breaches and for how long",
            _not_with_promql(key),
        )
        for key in NOT_WITH_PROMQL
    ),
    Rule(
        "has(self.metrics) || has(self.evaluationCriteria) || (has(self.namespace) && has(self.period)"
        " && (has(self.statistic) || has(self.extendedStatistic)))",
        "a single-metric alarm needs namespace, period and statistic or extendedStatistic",
        lambda s: (
            "metrics" in s
            or not _classic(s)
            or ("namespace" in s and "period" in s and ("statistic" in s or "extendedStatistic" in s))
        ),
    ),
    Rule(
        "!(has(self.statistic) && has(self.extendedStatistic))",
        "statistic and extendedStatistic are mutually exclusive",
        lambda s: not ("statistic" in s and "extendedStatistic" in s),
    ),
    Rule(
        "!has(self.metrics) || !(has(self.namespace) || has(self.dimensions) || has(self.statistic)"
        " || has(self.extendedStatistic) || has(self.period) || has(self.unit))",
        "with metrics, namespace, dimensions, statistic, extendedStatistic, period and unit belong in metrics",
        lambda s: (
            "metrics" not in s
            or not any(k in s for k in ("namespace", "dimensions", "statistic", "extendedStatistic", "period", "unit"))
        ),
    ),
    Rule(
        "!has(self.period) || self.period == 10 || self.period == 20 || self.period == 30 || self.period % 60 == 0",
        "period must be 10, 20, 30 or a multiple of 60",
        lambda s: "period" not in s or vocabulary.alarm_period_ok(s["period"]),
    ),
    Rule(
        "!has(self.period) || !has(self.evaluationPeriods)"
        f" || self.evaluationPeriods <= (self.period < 3600 ? {MAX_SHORT_WINDOW} : {MAX_WINDOW}) / self.period",
        "period x evaluationPeriods must be at most 1 day (86400 s), or 7 days (604800 s) with a period of an hour"
        " or more",
        lambda s: "period" not in s or "evaluationPeriods" not in s or _window_ok(s),
    ),
    Rule(
        "!has(self.datapointsToAlarm) || !has(self.evaluationPeriods)"
        " || self.datapointsToAlarm <= self.evaluationPeriods",
        "datapointsToAlarm must not exceed evaluationPeriods",
        lambda s: (
            "datapointsToAlarm" not in s
            or "evaluationPeriods" not in s
            or s["datapointsToAlarm"] <= s["evaluationPeriods"]
        ),
    ),
    Rule(
        "has(self.evaluationCriteria) || has(self.threshold) != has(self.thresholdMetricId)",
        "exactly one of threshold or thresholdMetricId must be set",
        lambda s: not _classic(s) or ("threshold" in s) != ("thresholdMetricId" in s),
    ),
    Rule(
        "!has(self.comparisonOperator) || has(self.thresholdMetricId) == (self.comparisonOperator in "
        + str(list(BAND_OPERATORS)).replace("'", '"')
        + ")",
        "thresholdMetricId (an anomaly band) goes with the LessThanLower/GreaterThanUpper operators, and they with it",
        lambda s: (
            "comparisonOperator" not in s or ("thresholdMetricId" in s) == (s["comparisonOperator"] in BAND_OPERATORS)
        ),
    ),
    Rule(
        "!has(self.metrics) || (has(self.thresholdMetricId)"
        " ? self.metrics.filter(m, !has(m.returnData) || m.returnData).size() == 2"
        " && self.metrics.exists(m, m.id == self.thresholdMetricId && (!has(m.returnData) || m.returnData))"
        " : self.metrics.filter(m, !has(m.returnData) || m.returnData).size() == 1)",
        "with thresholdMetricId exactly two queries in metrics must have returnData true, the band it names and"
        " the metric the band is computed from; otherwise exactly one (omitted counts as true)",
        lambda s: "metrics" not in s or _returned_ok(s),
    ),
    Rule(
        "!has(self.metrics) || self.metrics.all(m, has(m.expression) != has(m.metricStat))",
        "each query in metrics needs exactly one of expression or metricStat",
        lambda s: "metrics" not in s or all(("expression" in q) != ("metricStat" in q) for q in s["metrics"]),
    ),
    Rule(
        "!has(self.metrics) || self.metrics.all(m, !has(m.metricStat) || m.metricStat.period == 10"
        " || m.metricStat.period == 20 || m.metricStat.period == 30 || m.metricStat.period % 60 == 0)",
        "metrics[].metricStat.period must be 10, 20, 30 or a multiple of 60",
        lambda s: (
            "metrics" not in s
            or all(vocabulary.alarm_period_ok(q["metricStat"]["period"]) for q in s["metrics"] if "metricStat" in q)
        ),
    ),
)


def _timezone_problems(window: Spec, path: str) -> list[str]:
    timezone = window.get("wallClockWindow", {}).get("timezone")
    problem = vocabulary.wall_clock_timezone_problem(timezone) if timezone is not None else None
    return [f"{path}.wallClockWindow.timezone: {timezone!r} {problem}"] if problem else []


MAX_QUERY = 10000
MAX_PROMQL_PERIOD = 86400
_PROMQL_PERIOD = {"type": "integer", "minimum": 0, "maximum": MAX_PROMQL_PERIOD}
PROMQL_CRITERIA: dict[str, Any] = {
    "type": "object",
    "required": ["query"],
    "properties": {
        "query": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_QUERY,
            "description": "A PromQL instant query answering a vector: each series it answers breaches, a"
            " contributor of its own (sum by (service) (rate(errors[5m])) > 5).",
        },
        "pendingPeriod": {
            **_PROMQL_PERIOD,
            "description": "Seconds a contributor breaches before it goes to ALARM (a Prometheus rule's `for`).",
        },
        "recoveryPeriod": {
            **_PROMQL_PERIOD,
            "description": "Seconds a contributor no longer breaches before it goes back to OK (`keep_firing_for`).",
        },
    },
}


def _criteria_problems(criteria: Spec, path: str) -> list[str]:
    """The PromQL query as the scaler's parser reads it (CEL cannot parse PromQL)."""
    query = criteria.get("promQLCriteria", {}).get("query")
    problem = promql_syntax.vector_query_problem(query) if query is not None else None
    return [f"{path}.promQLCriteria.query: {fields.brief(query)} {problem}"] if problem else []


EVALUATION_FIELDS = (
    Field(
        "evaluationInterval",
        {
            "type": "integer",
            "minimum": 10,
            "maximum": 3600,
            "description": "Seconds between evaluations of evaluationCriteria: 10, 20, 30 or a multiple of 60.",
        },
        aws="EvaluationInterval",
        legacy=("EvaluationInterval",),
    ),
    Field(
        "evaluationCriteria",
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {"promQLCriteria": PROMQL_CRITERIA},
            "description": "What the alarm evaluates instead of a metric: exactly one criterion (promQLCriteria).",
        },
        aws="EvaluationCriteria",
        to_aws=common.pascal,
        legacy=("EvaluationCriteria",),
        check=_criteria_problems,
    ),
    Field(
        "evaluationWindow",
        {
            "type": "object",
            "properties": {
                "slidingWindow": {"type": "object", "properties": {}},
                "wallClockWindow": {
                    "type": "object",
                    "properties": {
                        "timezone": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 50,
                            "pattern": vocabulary.WALL_CLOCK_TIMEZONE,
                        }
                    },
                },
            },
            "description": "slidingWindow (the default) or wallClockWindow, aligned to the period's boundaries.",
        },
        aws="EvaluationWindow",
        to_aws=common.pascal,
        legacy=("EvaluationWindow",),
        check=_timezone_problems,
        returned=False,
    ),
    common.WARM_UP,
    common.PROPAGATION,
)


def _dimensions(value: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"Name": d["name"], "Value": d["value"]} for d in value]


FIELDS = (
    *common.IDENTITY,
    Field("namespace", _NAME, aws="Namespace", legacy=("CloudwatchMetricNamespace", "Namespace")),
    Field("metricName", _NAME, aws="MetricName", legacy=("MetricName",)),
    Field("dimensions", _DIMENSIONS, aws="Dimensions", to_aws=_dimensions, legacy=("Dimensions",)),
    Field("statistic", _STATISTIC, aws="Statistic", legacy=("Statistic",)),
    Field("extendedStatistic", _EXTENDED_STATISTIC, aws="ExtendedStatistic", legacy=("ExtendedStatistic",)),
    Field("unit", _UNIT, aws="Unit", legacy=("Unit",)),
    Field("period", {"type": "integer", "minimum": 1}, aws="Period", legacy=("Period",)),
    Field("metrics", _QUERIES, aws="Metrics", to_aws=common.pascal, legacy=("Metrics",)),
    Field("threshold", {"type": "number"}, aws="Threshold", legacy=("Threshold",)),
    Field("thresholdMetricId", _NAME, aws="ThresholdMetricId", legacy=("ThresholdMetricId",)),
    Field(
        "comparisonOperator",
        {"type": "string", "enum": [*OPERATORS, *BAND_OPERATORS]},
        aws="ComparisonOperator",
        legacy=("ComparisonOperator",),
    ),
    Field(
        "evaluationPeriods",
        {"type": "integer", "minimum": 1, "maximum": MAX_EVALUATION_PERIODS},
        aws="EvaluationPeriods",
        legacy=("EvaluationPeriods",),
    ),
    Field(
        "datapointsToAlarm", {"type": "integer", "minimum": 1}, aws="DatapointsToAlarm", legacy=("DatapointsToAlarm",)
    ),
    Field(
        "treatMissingData",
        {"type": "string", "enum": ["breaching", "notBreaching", "ignore", "missing"]},
        aws="TreatMissingData",
        legacy=("TreatMissingData",),
    ),
    Field(
        "evaluateLowSampleCountPercentile",
        {"type": "string", "enum": ["evaluate", "ignore"]},
        aws="EvaluateLowSampleCountPercentile",
        legacy=("EvaluateLowSampleCountPercentile",),
    ),
    *common.ACTIONS,
    *EVALUATION_FIELDS,
)


def _evaluated_periods(spec: Spec) -> list[int]:
    """The period the alarm evaluates: its own, or that of the query it watches (not an anomaly band's)."""
    if "period" in spec:
        return [spec["period"]]
    return [
        query["metricStat"]["period"] if "metricStat" in query else query["period"]
        for query in spec.get("metrics", [])
        if _returns_data(query) and query["id"] != spec.get("thresholdMetricId")
        and ("metricStat" in query or "period" in query)
    ]  # fmt: skip


_WALL_CLOCK = str(list(vocabulary.WALL_CLOCK_PERIODS))
EVALUATION_RULES = (
    Rule(
        "!has(self.evaluationCriteria) || has(self.evaluationInterval)",
        "evaluationCriteria needs evaluationInterval: how often, in seconds, CloudWatch evaluates the query",
        lambda s: _classic(s) or "evaluationInterval" in s,
    ),
    Rule(
        "!has(self.evaluationInterval) || has(self.evaluationCriteria)",
        "evaluationInterval goes with evaluationCriteria only: an alarm on metricName or metrics is evaluated"
        " every period",
        lambda s: "evaluationInterval" not in s or not _classic(s),
    ),
    Rule(
        "!has(self.evaluationInterval) || self.evaluationInterval == 10 || self.evaluationInterval == 20"
        " || self.evaluationInterval == 30 || self.evaluationInterval % 60 == 0",
        "evaluationInterval must be 10, 20, 30 or a multiple of 60",
        lambda s: "evaluationInterval" not in s or vocabulary.alarm_period_ok(s["evaluationInterval"]),
    ),
    Rule(
        "!has(self.evaluationWindow) || has(self.evaluationWindow.slidingWindow)"
        " != has(self.evaluationWindow.wallClockWindow)",
        "evaluationWindow is exactly one of slidingWindow or wallClockWindow",
        lambda s: "evaluationWindow" not in s or len(s["evaluationWindow"]) == 1,
    ),
    Rule(
        "!has(self.evaluationWindow) || !has(self.evaluationWindow.wallClockWindow)"
        f" || (has(self.period) ? self.period in {_WALL_CLOCK} : !has(self.metrics)"
        " || self.metrics.all(m, (has(m.returnData) && !m.returnData)"
        " || (has(self.thresholdMetricId) && m.id == self.thresholdMetricId)"
        f" || (has(m.metricStat) ? m.metricStat.period in {_WALL_CLOCK}"
        f" : !has(m.period) || m.period in {_WALL_CLOCK})))",
        "a wallClockWindow needs a period of 60, 300, 3600, 86400 or 604800 seconds (the evaluated query's, with"
        " metrics)",
        lambda s: (
            "wallClockWindow" not in s.get("evaluationWindow", {})
            or all(period in vocabulary.WALL_CLOCK_PERIODS for period in _evaluated_periods(s))
        ),
    ),
)


def _comparable(params: Spec) -> dict[str, Any]:
    """AWS answers Threshold as a double, and each query's ReturnData even where it was left out (true); a PromQL
    alarm's pending and recovery periods left out are none (0), whether AWS answers them so or leaves them out."""
    comparable = dict(params)
    if comparable.get("Threshold") is not None:
        comparable["Threshold"] = float(comparable["Threshold"])
    if comparable.get("Metrics"):
        comparable["Metrics"] = [{"ReturnData": True, **query} for query in comparable["Metrics"]]
    promql = (comparable.get("EvaluationCriteria") or {}).get("PromQLCriteria")
    if promql is not None:
        periods = {"PendingPeriod": 0, "RecoveryPeriod": 0, **promql}
        comparable["EvaluationCriteria"] = {**comparable["EvaluationCriteria"], "PromQLCriteria": periods}
    return comparable


def _created_state(params: Spec) -> str:
    """ "For PromQL alarms, the alarm state is instead immediately set to OK." (PutMetricAlarm)"""
    return "OK" if "EvaluationCriteria" in params else "INSUFFICIENT_DATA"


API = AlarmApi(
    "MetricAlarm",
    alarms.put_metric_alarm,
    {
        **common.ACTION_DEFAULTS,
        "Dimensions": [],
        "Metrics": [],
        "TreatMissingData": "missing",
        "EvaluationWindow": {"SlidingWindow": {}},
    },
    _comparable,
    created_state=_created_state,
)
METRIC_ALARM = Kind(FIELDS, (*RULES, *EVALUATION_RULES, *common.RULES, *common.PROPAGATION_RULES), API)
FIELDS_BY_KEY = {field.key: field for field in FIELDS}
