"""Any CloudWatch metric or expression, with the metadata and semantics of KEDA's `aws-cloudwatch` scaler."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar, NamedTuple, cast

from kedawatch import settings
from kedawatch.aws import clients, cloudwatch, errors, identities, metric_math, names, vocabulary
from kedawatch.scaler import metadata, reads, telemetry
from kedawatch.scaler.sources import base

__all__ = ["CloudWatchMetric", "MetricRead", "query_window"]


@dataclasses.dataclass(frozen=True, slots=True)
class MetricRead(reads.Read[tuple[float, ...]]):
    """A CloudWatch query (or metric-math list) with KEDA's window parameters; its datapoints come newest first."""

    query: cloudwatch.MetricQuery | cloudwatch.MetricMath
    collection_time: int
    end_offset: int

    def window(self, now: float) -> tuple[datetime.datetime, datetime.datetime]:
        return query_window(now, self.query.period, self.end_offset, self.collection_time)


def query_window(
    now: float, period: int, end_offset: int, collection_time: int
) -> tuple[datetime.datetime, datetime.datetime]:
    """KEDA's window: the end is (now - offset) truncated to the period, the start `collection_time` before.

    Truncation is to multiples of the period since the Unix epoch (KEDA's Go `Truncate` counts from year 1;
    the two agree for every period that divides a day).
    """
    end = int(now - end_offset) // period * period
    start = end - collection_time
    return (
        datetime.datetime.fromtimestamp(start, datetime.UTC),
        datetime.datetime.fromtimestamp(end, datetime.UTC),
    )


class _Window(NamedTuple):
    identity: identities.AwsIdentity
    start: datetime.datetime
    end: datetime.datetime
    alone: MetricRead | None
    """A read with a Metrics Insights query, which GetMetricData takes one of a call: it goes alone."""


class MetricDataFetcher:
    """GetMetricData for up to 500 queries, metric-math lists counted query by query, that share an identity and
    a time window."""

    read_type: ClassVar[type[reads.Read[Any]]] = MetricRead
    max_batch = vocabulary.MAX_QUERIES

    def __init__(
        self, aws: clients.AwsClients, hub_settings: settings.HubSettings, metrics: telemetry.ScalerMetrics
    ) -> None:
        self._aws = aws
        self._settings = hub_settings
        self._metrics = metrics

    def batch_key(self, read: MetricRead, now: float) -> Hashable:
        return _Window(read.identity, *read.window(now), read if read.query.insights else None)

    def size(self, read: MetricRead) -> int:
        return read.query.size

    def group_key(self, read: MetricRead) -> Hashable:
        return (read.identity, read.query.period, read.end_offset, read.collection_time)

    def freshness(self, read: MetricRead) -> float:
        return float(read.query.period)

    def expiry(self, read: MetricRead, fetched: float, max_age: float | None) -> float:
        """KEDA's value of a period-P metric changes only when the window's end crosses a boundary (a multiple of
        P, `metricEndTimeOffset` later) or when late datapoints land in the period that just ended. So an answer
        is fresh until the next boundary, except that one fetched soon after a boundary is read once more
        `cloudwatch_late_data` after it (half the period, for shorter periods), for CloudWatch's late
        datapoints. `max_age` changes nothing: nothing new can be read before then, barring later data."""
        period = read.query.period
        boundary = (fetched - read.end_offset) // period * period + read.end_offset
        reread = boundary + min(self._settings.cloudwatch_late_data, period / 2)
        return reread if fetched < reread else boundary + period

    def push_interval(self, read: MetricRead) -> float:
        return min(self._settings.cloudwatch_push_interval, float(read.query.period))

    def fetch(self, key: Hashable, batch: Sequence[MetricRead]) -> list[base.Answer]:
        window = cast(_Window, key)
        self._metrics.metrics_requested.inc(sum(read.query.size for read in batch))
        try:
            client = self._aws.client("cloudwatch", window.identity)
            queries = [read.query for read in batch]
            return list(cloudwatch.get_metric_data(client, queries, window.start, window.end))
        except errors.AwsError as exc:
            return [exc] * len(batch)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CloudWatchMetric(base.AwsParams):
    name: ClassVar[str] = "aws-cloudwatch"
    telltales: ClassVar[tuple[str, ...]] = (
        "namespace", "metricName", "expression", "metricDataQueries", "targetMetricValue",
    )  # fmt: skip
    fetcher: ClassVar[type[base.Fetcher]] = MetricDataFetcher

    namespace: str | None = metadata.param("namespace", default=None)
    metric: str | None = metadata.param("metricName", default=None)
    dimension_names: tuple[str, ...] = metadata.param("dimensionName", default=())
    dimension_values: tuple[str, ...] = metadata.param("dimensionValue", default=())
    expression: str | None = metadata.param("expression", default=None)
    metric_data_queries: str | None = metadata.param("metricDataQueries", default=None)
    """Metric math over several queries: a JSON or YAML list in GetMetricData's own shape, one returned."""

    target_value: float = metadata.param("targetMetricValue", check=metadata.positive)
    activation_value: float = metadata.param("activationTargetMetricValue", default=0.0)
    min_value: float = metadata.param("minMetricValue", default=0.0)
    """The value when the window holds no datapoint (and `ignoreNullValues` is true)."""
    ignore_null_values: bool = metadata.param("ignoreNullValues", default=True)

    collection_time: int = metadata.param("metricCollectionTime", default=300, check=metadata.positive)
    statistic: str = metadata.param("metricStat", default="Average", check=vocabulary.statistic_problem)
    unit: str | None = metadata.param("metricUnit", default=None)
    """Checked and sent only with a metric: KEDA ignores it beside an expression, which GetMetricData takes no
    unit for."""
    period: int = metadata.param("metricStatPeriod", default=300, check=vocabulary.metric_period_problem)
    end_offset: int = metadata.param("metricEndTimeOffset", default=0, check=metadata.not_negative)
    account_id: str | None = metadata.param("awsAccountId", default=None, check=names.account_id_problem)

    def validate(self) -> list[metadata.Problem]:
        problems = []
        if self.metric_data_queries is not None:
            problems += self._queries_problems()
        elif not self.expression:
            problems += [
                metadata.Problem(key, None, "is required unless expression or metricDataQueries is set")
                for key, value in (
                    ("namespace", self.namespace),
                    ("metricName", self.metric),
                    ("dimensionName", self.dimension_names),
                    ("dimensionValue", self.dimension_values),
                )
                if not value
            ]
            if len(self.dimension_names) != len(self.dimension_values):
                reason = f"has {len(self.dimension_values)} values for {len(self.dimension_names)} dimensionName"
                problems.append(metadata.Problem("dimensionValue", ";".join(self.dimension_values), reason))
            if self.unit and (unit_reason := vocabulary.unit_problem(self.unit)):
                problems.append(metadata.Problem("metricUnit", self.unit, unit_reason))
        if self.collection_time % self.period:
            reason = f"must be a multiple of metricStatPeriod ({self.period})"
            problems.append(metadata.Problem("metricCollectionTime", str(self.collection_time), reason))
        return problems

    def _queries_problems(self) -> list[metadata.Problem]:
        """metricDataQueries holds the whole query: the keys of a single one may not stand beside it."""
        single = {"namespace": self.namespace, "metricName": self.metric, "expression": self.expression,
                  "dimensionName": self.dimension_names, "dimensionValue": self.dimension_values,
                  "metricUnit": self.unit}  # fmt: skip
        reason = "goes in metricDataQueries' own queries, not beside them"
        problems = [metadata.Problem(key, None, reason) for key, value in single.items() if value]
        _, found = self._parsed
        return problems + [metadata.Problem(problem.key(), problem.value, problem.reason) for problem in found]

    def _queries(self) -> list[dict[str, Any]]:
        queries, _ = self._parsed
        return queries

    @functools.cached_property
    def _parsed(self) -> tuple[list[dict[str, Any]], list[metric_math.Problem]]:
        """metricDataQueries parsed once (YAML parsing takes a good part of a millisecond), for the validation at
        parse time and for every GetMetricSpec's metric name after it."""
        return metric_math.parse(self.metric_data_queries or "")

    def metric_name(self) -> str:
        if self.metric_data_queries is not None:
            return base.metric_name("aws-cloudwatch", str(metric_math.returned(self._queries())["Id"]))
        return base.metric_name("aws-cloudwatch", self.metric or "expression")

    def target(self) -> float:
        return self.target_value

    def activation(self) -> float:
        return self.activation_value

    def read(self, identity: identities.AwsIdentity) -> MetricRead:
        query: cloudwatch.MetricQuery | cloudwatch.MetricMath
        if self.metric_data_queries is not None:
            query = cloudwatch.MetricMath.of(self._queries(), self.period)
        elif self.expression:
            query = cloudwatch.MetricQuery(self.period, expression=self.expression, account_id=self.account_id)
        else:
            query = cloudwatch.MetricQuery(
                self.period,
                namespace=self.namespace or "",
                metric_name=self.metric or "",
                dimensions=tuple(zip(self.dimension_names, self.dimension_values, strict=True)),
                stat=self.statistic,
                unit=self.unit,
                account_id=self.account_id,
            )
        return MetricRead(identity, query, self.collection_time, self.end_offset)

    def value(self, answer: tuple[float, ...]) -> float:
        """The newest datapoint, as KEDA takes it; `minMetricValue` when there is none. As in KEDA, only a result
        without values is an error with `ignoreNullValues: false`, not the absence of any result."""
        if answer:
            return answer[0]
        if not self.ignore_null_values and not isinstance(answer, cloudwatch.NoResult):
            raise base.NoValue("CloudWatch returned no datapoints in the window and ignoreNullValues is false")
        return self.min_value
