"""SQS queue depth, with the metadata and semantics of KEDA's `aws-sqs-queue` scaler."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import Any, ClassVar

from kedawatch import settings
from kedawatch.aws import clients, identities, names, sqs
from kedawatch.scaler import metadata, reads, telemetry
from kedawatch.scaler.sources import base

__all__ = ["SqsQueueDepth"]


@dataclasses.dataclass(frozen=True, slots=True)
class QueueDepthRead(reads.Read[sqs.QueueDepth]):
    queue_url: str


class QueueDepthFetcher(base.SingleReads):
    """One GetQueueAttributes per distinct queue: SQS has no batch read of several queues. A queue's depth
    changes all the time: fresh for `sqs_freshness`."""

    read_type: ClassVar[type[reads.Read[Any]]] = QueueDepthRead

    def __init__(
        self, aws: clients.AwsClients, hub_settings: settings.HubSettings, metrics: telemetry.ScalerMetrics
    ) -> None:
        self._aws = aws
        self._settings = hub_settings

    def freshness(self, read: QueueDepthRead) -> float:
        return self._settings.sqs_freshness

    def push_interval(self, read: QueueDepthRead) -> float:
        return self._settings.sqs_push_interval

    def fetch_one(self, key: Hashable, read: QueueDepthRead) -> sqs.QueueDepth:
        return sqs.get_queue_depth(self._aws.client("sqs", read.identity), read.queue_url)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SqsQueueDepth(base.AwsParams):
    name: ClassVar[str] = "aws-sqs-queue"
    telltales: ClassVar[tuple[str, ...]] = ("queueURL", "queueLength")
    fetcher: ClassVar[type[base.Fetcher]] = QueueDepthFetcher

    queue_url: str = metadata.param("queueURL", check=names.queue_url_problem)
    queue_length: int = metadata.param("queueLength", default=5, check=metadata.positive)
    """Messages per replica: the HPA's average-value target."""
    activation_queue_length: int = metadata.param("activationQueueLength", default=0)
    scale_on_in_flight: bool = metadata.param("scaleOnInFlight", default=True)
    scale_on_delayed: bool = metadata.param("scaleOnDelayed", default=False)

    def metric_name(self) -> str:
        return base.metric_name("aws-sqs", names.queue_name(self.queue_url) or "")

    def target(self) -> float:
        return float(self.queue_length)

    def activation(self) -> float:
        return float(self.activation_queue_length)

    def read(self, identity: identities.AwsIdentity) -> QueueDepthRead:
        return QueueDepthRead(identity, self.queue_url)

    def value(self, answer: sqs.QueueDepth) -> float:
        counted = {sqs.VISIBLE: answer.visible}
        if self.scale_on_in_flight:
            counted[sqs.IN_FLIGHT] = answer.in_flight
        if self.scale_on_delayed:
            counted[sqs.DELAYED] = answer.delayed
        if lacking := [name for name in counted if name in answer.missing]:
            raise base.NoValue(
                f"SQS answered GetQueueAttributes without {' or '.join(lacking)}, which this trigger counts"
            )
        return float(sum(counted.values()))
