"""How the hub turns a batch of reads into AWS calls, one fetcher per kind of read.

A fetcher says which reads may share a call (`batch_key`), how many fit in one (`max_batch`), how long an
answer stays fresh, and makes the call. `fetch` is synchronous: the hub runs it in a worker thread.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Sequence
from typing import Any, NamedTuple, Protocol, cast

from kedawatch import settings
from kedawatch.aws import clients, cloudwatch, errors, identities, sqs
from kedawatch.scaler import reads, telemetry

__all__ = ["Fetcher", "MetricDataFetcher", "QueueDepthFetcher"]

Answer = Any | errors.AwsError


class Fetcher(Protocol):
    max_batch: int

    def batch_key(self, read: Any, now: float) -> Hashable: ...

    def group_key(self, read: Any) -> Hashable:
        """Reads that would share a batch at any time: refreshed together, ahead of expiry."""
        ...

    def freshness(self, read: Any) -> float: ...

    def push_interval(self, read: Any) -> float: ...

    def fetch(self, key: Hashable, batch: Sequence[Any]) -> list[Answer]: ...


class QueueDepthFetcher:
    """One GetQueueAttributes per distinct queue: SQS has no batch read of several queues."""

    max_batch = 1

    def __init__(self, aws: clients.AwsClients, hub_settings: settings.HubSettings) -> None:
        self._aws = aws
        self._settings = hub_settings

    def batch_key(self, read: reads.QueueDepthRead, now: float) -> Hashable:
        return read

    def group_key(self, read: reads.QueueDepthRead) -> Hashable:
        return read

    def freshness(self, read: reads.QueueDepthRead) -> float:
        return self._settings.sqs_freshness

    def push_interval(self, read: reads.QueueDepthRead) -> float:
        return self._settings.sqs_push_interval

    def fetch(self, key: Hashable, batch: Sequence[reads.QueueDepthRead]) -> list[Answer]:
        (read,) = batch
        try:
            return [sqs.get_queue_depth(self._aws.client("sqs", read.identity), read.queue_url)]
        except errors.AwsError as exc:
            return [exc]


class MetricDataFetcher:
    """GetMetricData for up to 500 queries that share an identity and a time window."""

    max_batch = cloudwatch.MAX_QUERIES

    def __init__(
        self, aws: clients.AwsClients, hub_settings: settings.HubSettings, metrics: telemetry.ScalerMetrics
    ) -> None:
        self._aws = aws
        self._settings = hub_settings
        self._metrics = metrics

    def batch_key(self, read: reads.MetricRead, now: float) -> Hashable:
        return _Window(read.identity, *read.window(now))

    def group_key(self, read: reads.MetricRead) -> Hashable:
        return (read.identity, read.query.period, read.end_offset, read.collection_time)

    def freshness(self, read: reads.MetricRead) -> float:
        return min(self._settings.cloudwatch_freshness, float(read.query.period))

    def push_interval(self, read: reads.MetricRead) -> float:
        return self.freshness(read)

    def fetch(self, key: Hashable, batch: Sequence[reads.MetricRead]) -> list[Answer]:
        window = cast(_Window, key)
        self._metrics.metrics_requested.inc(len(batch))
        try:
            client = self._aws.client("cloudwatch", window.identity)
            queries = [read.query for read in batch]
            return list(cloudwatch.get_metric_data(client, queries, window.start, window.end))
        except errors.AwsError as exc:
            return [exc] * len(batch)


class _Window(NamedTuple):
    identity: identities.AwsIdentity
    start: datetime.datetime
    end: datetime.datetime
