"""The one SQS read the scaler makes: a queue's three approximate message counts."""

from __future__ import annotations

import dataclasses
from typing import Any

from kedawatch.aws import errors

__all__ = ["QueueDepth", "get_queue_depth"]

_ATTRIBUTES = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


@dataclasses.dataclass(frozen=True, slots=True)
class QueueDepth:
    visible: int
    in_flight: int
    delayed: int


def get_queue_depth(client: Any, queue_url: str) -> QueueDepth:
    """One GetQueueAttributes for all three counts, so triggers with other flags share the read."""
    try:
        answer = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=_ATTRIBUTES)
    except Exception as exc:
        raise errors.translate(exc) from exc
    counts = answer.get("Attributes", {})
    return QueueDepth(*(int(counts.get(name, 0)) for name in _ATTRIBUTES))
