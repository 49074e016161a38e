"""Batched GetMetricData: many queries, one window, one call (or a few pages).

A query that AWS refuses as invalid would fail the whole call; the batch is then split in halves until the
bad queries stand alone, so one trigger's mistake never fails its neighbours.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kedawatch.aws import calls, errors

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

__all__ = ["MAX_QUERIES", "MetricQuery", "NoResult", "get_metric_data"]

MAX_QUERIES = 500
"""GetMetricData's limit on queries per call."""


class NoResult(tuple[float, ...]):
    """The datapoints of a query CloudWatch answered no result for at all (an expression matching no series): none,
    as for a result without values, and told apart from one since KEDA's scaler answers `minMetricValue` for it
    even where an empty result is an error (`ignoreNullValues: false`)."""

    __slots__ = ()


Outcome = tuple[float, ...] | errors.AwsError
"""A query's datapoints, newest first (a `NoResult` when it had no result), or why it has none."""


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

    def to_api(self, query_id: str) -> dict[str, Any]:
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


def get_metric_data(
    client: CloudWatchClient, queries: Sequence[MetricQuery], start: datetime.datetime, end: datetime.datetime
) -> list[Outcome]:
    """Each query's outcome, in order. Raises only when the whole call failed for a reason not its own."""
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
    client: CloudWatchClient, queries: Sequence[MetricQuery], start: datetime.datetime, end: datetime.datetime
) -> list[Outcome]:
    # Ids that a user's expression is unlikely to name; KEDA's own single query is `q1`.
    ids = [f"kw{index}" for index in range(len(queries))]
    points: dict[str, list[tuple[datetime.datetime, float]]] = {}
    failures: dict[str, errors.AwsError] = {}
    pages = client.get_paginator("get_metric_data").paginate(
        MetricDataQueries=[query.to_api(query_id) for query, query_id in zip(queries, ids, strict=True)],  # type: ignore[misc]
        StartTime=start,
        EndTime=end,
        ScanBy="TimestampDescending",
    )
    for page in calls.pages(pages, "GetMetricData"):
        for result in page.get("MetricDataResults", []):
            _collect(dict(result), points, failures)
    return [failures.get(query_id) or _newest_first(points.get(query_id)) for query_id in ids]


def _collect(
    result: dict[str, Any],
    points: dict[str, list[tuple[datetime.datetime, float]]],
    failures: dict[str, errors.AwsError],
) -> None:
    query_id = result["Id"]
    status = result.get("StatusCode", "Complete")
    if status in ("InternalError", "Forbidden"):
        failure = errors.Failure.DENIED if status == "Forbidden" else errors.Failure.UNAVAILABLE
        detail = "; ".join(m.get("Value", "") for m in result.get("Messages", [])) or status
        failures[query_id] = errors.AwsError(failure, status, detail)
        return
    points.setdefault(query_id, []).extend(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))


def _newest_first(points: list[tuple[datetime.datetime, float]] | None) -> tuple[float, ...]:
    if points is None:
        return NoResult()
    return tuple(value for _, value in sorted(points, key=lambda point: point[0], reverse=True))
