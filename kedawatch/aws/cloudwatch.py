"""Batched GetMetricData: many triggers' queries, one window, one call (or a few pages).

A trigger asks one query (a metric with a statistic, or an expression: `MetricQuery`) or a metric-math list of
several (`MetricMath`); every trigger of a call gets ids of its own, so two triggers' `m1` never meet, and the
call holds at most 500 queries in all. A query that AWS refuses as invalid would fail the whole call; the batch
is then split in halves until the bad triggers stand alone, so one trigger's mistake never fails its neighbours.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from kedawatch.aws import calls, errors, metric_math

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

__all__ = ["MetricMath", "MetricQuery", "NoResult", "get_metric_data"]


class NoResult(tuple[float, ...]):
    """The datapoints of a query CloudWatch answered no result for at all (an expression matching no series): none,
    as for a result without values, and told apart from one since KEDA's scaler answers `minMetricValue` for it
    even where an empty result is an error (`ignoreNullValues: false`)."""

    __slots__ = ()


Outcome = tuple[float, ...] | errors.AwsError
"""A trigger's datapoints, newest first (a `NoResult` when it had no result), or why it has none."""


class Queries(Protocol):
    """What one trigger asks of GetMetricData."""

    @property
    def period(self) -> int:
        """The period its window is aligned to (KEDA's `metricStatPeriod`)."""
        ...

    @property
    def size(self) -> int:
        """How many of a call's 500 queries it takes."""
        ...

    @property
    def insights(self) -> bool:
        """It holds a Metrics Insights query, of which GetMetricData takes one a call."""
        ...

    def to_api(self, slot: int) -> tuple[list[dict[str, Any]], str]:
        """Its MetricDataQuery entries with ids of its own in a shared call (by its `slot` there), and the id
        whose datapoints are its value."""
        ...


@dataclasses.dataclass(frozen=True, slots=True)
class MetricQuery:
    """One MetricDataQuery: either a metric with a statistic, or an expression."""

    period: int
    namespace: str = ""
    metric_name: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()
    stat: str = "Average"
    unit: str | None = None
    expression: str | None = None
    account_id: str | None = None
    """The account to read from, for CloudWatch cross-account observability."""

    @property
    def size(self) -> int:
        return 1

    @property
    def insights(self) -> bool:
        return self.expression is not None and metric_math.is_insights(self.expression)

    def to_api(self, slot: int) -> tuple[list[dict[str, Any]], str]:
        # Ids that a user's expression is unlikely to name; KEDA's own single query is `q1`.
        query_id = f"kw{slot}"
        return [self.entry(query_id)], query_id

    def entry(self, query_id: str) -> dict[str, Any]:
        """The MetricDataQuery, returning data, as KEDA's scaler sends it with `q1`."""
        query = self._expression() if self.expression else self._metric_stat()
        query.update(Id=query_id, ReturnData=True)
        if self.account_id:
            query["AccountId"] = self.account_id
        return query

    def _expression(self) -> dict[str, Any]:
        return {"Expression": self.expression, "Period": self.period}

    def _metric_stat(self) -> dict[str, Any]:
        metric: dict[str, Any] = {
            "Namespace": self.namespace,
            "MetricName": self.metric_name,
            "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions],
        }
        stat: dict[str, Any] = {"Metric": metric, "Period": self.period, "Stat": self.stat}
        if self.unit:
            stat["Unit"] = self.unit
        return {"MetricStat": stat}


@dataclasses.dataclass(frozen=True, slots=True)
class MetricMath:
    """A list of MetricDataQuery in GetMetricData's own shape, valid by `metric_math.validate`, one returned.

    Kept as canonical JSON, so that triggers asking the same list share one read.
    """

    text: str
    period: int
    size: int = dataclasses.field(compare=False)
    """How many queries: known from `text`, and asked by the hub for every read it batches."""
    insights: bool = dataclasses.field(compare=False)
    """Whether a query is a Metrics Insights one: known from `text` too."""

    @classmethod
    def of(cls, queries: Sequence[Any], period: int) -> MetricMath:
        listed = list(queries)
        insights = any(metric_math.is_insights(query["Expression"]) for query in listed if "Expression" in query)
        return cls(json.dumps(listed, sort_keys=True, separators=(",", ":")), period, len(listed), insights)

    @property
    def queries(self) -> list[dict[str, Any]]:
        return list(json.loads(self.text))

    def to_api(self, slot: int) -> tuple[list[dict[str, Any]], str]:
        rewritten = metric_math.rewrite(self.queries, metric_math.trigger_prefix(slot))
        return rewritten.queries, rewritten.returned_id


def get_metric_data(
    client: CloudWatchClient, queries: Sequence[Queries], start: datetime.datetime, end: datetime.datetime
) -> list[Outcome]:
    """Each trigger's outcome, in order. Raises only when the whole call failed for a reason not its own."""
    try:
        return _call(client, queries, start, end)
    except errors.AwsError as exc:
        if exc.failure is not errors.Failure.INVALID:
            raise
        if len(queries) == 1:
            return [exc]
    middle = len(queries) // 2
    return get_metric_data(client, queries[:middle], start, end) + get_metric_data(client, queries[middle:], start, end)


def _call(
    client: CloudWatchClient, queries: Sequence[Queries], start: datetime.datetime, end: datetime.datetime
) -> list[Outcome]:
    entries: list[dict[str, Any]] = []
    returned: list[str] = []
    for slot, query in enumerate(queries):
        own, returned_id = query.to_api(slot)
        entries += own
        returned.append(returned_id)
    points: dict[str, list[tuple[datetime.datetime, float]]] = {query_id: [] for query_id in returned}
    labels: dict[str, str] = {}
    failures: dict[str, errors.AwsError] = {}
    pages = client.get_paginator("get_metric_data").paginate(
        MetricDataQueries=entries,  # type: ignore[arg-type]
        StartTime=start,
        EndTime=end,
        ScanBy="TimestampDescending",
    )
    for page in calls.pages(pages, "GetMetricData"):
        for result in page.get("MetricDataResults", []):
            _collect(dict(result), points, labels, failures)
    return [failures.get(query_id) or _newest_first(points[query_id], query_id in labels) for query_id in returned]


def _collect(
    result: dict[str, Any],
    points: dict[str, list[tuple[datetime.datetime, float]]],
    labels: dict[str, str],
    failures: dict[str, errors.AwsError],
) -> None:
    """Add a result's datapoints to its query's: of the first series only, as KEDA takes the first result (a
    SEARCH answers one result per series, under one Id); a series' later pages carry its label again."""
    query_id = result["Id"]
    if query_id not in points:
        return  # a query of a list that another of its queries returns: AWS sends none unless asked
    if labels.setdefault(query_id, result.get("Label", "")) != result.get("Label", ""):
        return
    status = result.get("StatusCode", "Complete")
    if status in ("InternalError", "Forbidden"):
        failure = errors.Failure.DENIED if status == "Forbidden" else errors.Failure.UNAVAILABLE
        detail = "; ".join(m.get("Value", "") for m in result.get("Messages", [])) or status
        failures[query_id] = errors.AwsError(failure, status, detail, "GetMetricData")
        return
    points[query_id].extend(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))


def _newest_first(points: list[tuple[datetime.datetime, float]], answered: bool) -> tuple[float, ...]:
    """The datapoints, newest first; a `NoResult` when CloudWatch answered no result for the query at all."""
    if not answered:
        return NoResult()
    return tuple(value for _, value in sorted(points, key=lambda point: point[0], reverse=True))
