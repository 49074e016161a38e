"""SQS queue depth, with the metadata and semantics of KEDA's `aws-sqs-queue` scaler."""

from __future__ import annotations

import dataclasses
import urllib.parse
from typing import ClassVar

from kedawatch.aws import identities, sqs
from kedawatch.scaler import metadata, reads
from kedawatch.scaler.sources import base

__all__ = ["SqsQueueDepth"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SqsQueueDepth(base.AwsParams):
    name: ClassVar[str] = "aws-sqs-queue"

    queue_url: str = metadata.param("queueURL")
    queue_length: int = metadata.param("queueLength", default=5, check=metadata.positive)
    """Messages per replica: the HPA's average-value target."""
    activation_queue_length: int = metadata.param("activationQueueLength", default=0)
    scale_on_in_flight: bool = metadata.param("scaleOnInFlight", default=True)
    scale_on_delayed: bool = metadata.param("scaleOnDelayed", default=False)

    def validate(self) -> list[metadata.Problem]:
        if self.queue_name():
            return []
        reason = "must be a queue URL such as https://sqs.<region>.amazonaws.com/<account>/<queue>"
        return [metadata.Problem("queueURL", self.queue_url, reason)]

    def queue_name(self) -> str:
        """The queue's name: the URL's last path segment, or the value itself when it is no URL (as KEDA)."""
        url = urllib.parse.urlsplit(self.queue_url)
        if not url.scheme:
            return self.queue_url
        parts = url.path.split("/")
        return parts[2] if len(parts) == 3 else ""

    def metric_name(self) -> str:
        return base.metric_name("aws-sqs", self.queue_name())

    def target(self) -> float:
        return float(self.queue_length)

    def activation(self) -> float:
        return float(self.activation_queue_length)

    def read(self, identity: identities.AwsIdentity) -> reads.QueueDepthRead:
        return reads.QueueDepthRead(identity, self.queue_url)

    def value(self, answer: sqs.QueueDepth) -> float:
        total = answer.visible
        if self.scale_on_in_flight:
            total += answer.in_flight
        if self.scale_on_delayed:
            total += answer.delayed
        return float(total)
