"""The one SQS read the scaler makes: a queue's three approximate message counts."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from kedawatch.aws import calls

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

__all__ = ["QueueDepth", "get_queue_depth"]

_ATTRIBUTES: list[QueueAttributeNameType] = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


@dataclasses.dataclass(frozen=True, slots=True)
class QueueDepth:
    visible: int
    in_flight: int
    delayed: int


def get_queue_depth(client: SQSClient, queue_url: str) -> QueueDepth:
    """One GetQueueAttributes for all three counts, so triggers with other flags share the read."""
    answer = calls.call(client.get_queue_attributes, QueueUrl=queue_url, AttributeNames=_ATTRIBUTES)
    counts = answer.get("Attributes", {})
    return QueueDepth(*(int(counts.get(name, 0)) for name in _ATTRIBUTES))
