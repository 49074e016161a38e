"""What the demo's simulated world does in AWS, around kedawatch: an app sending and consuming SQS messages,
Container Insights publishing datapoints, CloudWatch evaluating alarms (which moto never does).

Neither the scaler nor the operator uses this module, so their IAM policies (derived from the modules they
import) leave these operations out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from kedawatch.aws import calls

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.literals import StateValueType
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef, SendMessageBatchRequestEntryTypeDef

__all__ = ["create_queue", "describe_all", "put_metric_data", "receive_and_delete", "send", "set_state"]

BATCH = 10
"""SendMessageBatch, ReceiveMessage and DeleteMessageBatch take up to 10 messages."""


def create_queue(client: SQSClient, name: str) -> str:
    """The new (or existing) queue's URL."""
    return calls.call(client.create_queue, QueueName=name)["QueueUrl"]


def send(client: SQSClient, queue_url: str, bodies: Sequence[str]) -> None:
    for start in range(0, len(bodies), BATCH):
        batch = bodies[start : start + BATCH]
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)
        ]
        calls.call(client.send_message_batch, QueueUrl=queue_url, Entries=entries)


def receive_and_delete(client: SQSClient, queue_url: str, count: int) -> int:
    """Take up to `count` messages off the queue, as a consumer that processed them would: how many it took."""
    taken = 0
    while taken < count:
        answer = calls.call(client.receive_message, QueueUrl=queue_url, MaxNumberOfMessages=min(BATCH, count - taken))
        messages = answer.get("Messages", [])
        if not messages:
            break
        entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        calls.call(client.delete_message_batch, QueueUrl=queue_url, Entries=entries)
        taken += len(messages)
    return taken


def describe_all(client: CloudWatchClient) -> list[dict[str, Any]]:
    """Every metric alarm of the region, page by page."""
    pages = client.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
    return [
        cast(dict[str, Any], alarm) for page in calls.pages(pages, "DescribeAlarms") for alarm in page["MetricAlarms"]
    ]


def set_state(client: CloudWatchClient, name: str, state: StateValueType, reason: str) -> None:
    calls.call(client.set_alarm_state, AlarmName=name, StateValue=state, StateReason=reason)


def put_metric_data(client: CloudWatchClient, namespace: str, data: Sequence[Mapping[str, Any]]) -> None:
    """Datapoints of `namespace`, in as few PutMetricData calls as AWS allows (1,000 datapoints each)."""
    for start in range(0, len(data), 1000):
        calls.call(client.put_metric_data, Namespace=namespace, MetricData=list(data[start : start + 1000]))  # type: ignore[arg-type]
