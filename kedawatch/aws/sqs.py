"""The one SQS read the scaler makes: a queue's three approximate message counts."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from kedawatch.aws import calls

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

__all__ = ["DELAYED", "IN_FLIGHT", "VISIBLE", "QueueDepth", "get_queue_depth"]

VISIBLE: QueueAttributeNameType = "ApproximateNumberOfMessages"
IN_FLIGHT: QueueAttributeNameType = "ApproximateNumberOfMessagesNotVisible"
DELAYED: QueueAttributeNameType = "ApproximateNumberOfMessagesDelayed"
_ATTRIBUTES = [VISIBLE, IN_FLIGHT, DELAYED]


@dataclasses.dataclass(frozen=True, slots=True)
class QueueDepth:
    visible: int
    in_flight: int
    delayed: int
    missing: frozenset[str] = frozenset()
    """The attributes asked for that SQS's answer lacked or gave as no whole number, counted 0 above: a trigger
    that counts one of them has no value (KEDA's scaler asks only what it counts, and errors without it)."""


def get_queue_depth(client: SQSClient, queue_url: str) -> QueueDepth:
    """One GetQueueAttributes for all three counts, so triggers with other flags share the read."""
    answer = calls.call(client.get_queue_attributes, QueueUrl=queue_url, AttributeNames=_ATTRIBUTES)
    answered = answer.get("Attributes", {})
    counts = {name: _count(answered.get(name)) for name in _ATTRIBUTES}
    missing = frozenset(name for name, count in counts.items() if count is None)
    visible, in_flight, delayed = (counts[name] or 0 for name in _ATTRIBUTES)
    return QueueDepth(visible, in_flight, delayed, missing)


def _count(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text, 10)
    except ValueError:
        return None
