"""What the hub is asked for: hashable descriptions of one AWS read, shared by every trigger that needs it.

Two triggers whose reads compare equal share one AWS call and one cached answer.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Generic, TypeVar

from kedawatch.aws import cloudwatch, identities, sqs

__all__ = ["MetricRead", "QueueDepthRead", "Read", "query_window"]

R = TypeVar("R")


@dataclasses.dataclass(frozen=True, slots=True)
class Read(Generic[R]):
    """A read whose answer has type R."""

    identity: identities.AwsIdentity


@dataclasses.dataclass(frozen=True, slots=True)
class QueueDepthRead(Read[sqs.QueueDepth]):
    queue_url: str


@dataclasses.dataclass(frozen=True, slots=True)
class MetricRead(Read[tuple[float, ...]]):
    """A CloudWatch query with KEDA's window parameters; its datapoints come newest first."""

    query: cloudwatch.MetricQuery
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
