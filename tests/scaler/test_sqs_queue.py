"""SQS queue depth over gRPC, with the semantics of KEDA's aws-sqs-queue scaler."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest

from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.standins import aws
from tests.scaler.conftest import TRUSTING, Scaler, running_scaler


def send(sqs: Any, queue_url: str, count: int, delay: int = 0) -> None:
    for index in range(count):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"m{index}", DelaySeconds=delay)


def receive(sqs: Any, queue_url: str, count: int) -> None:
    sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=count, VisibilityTimeout=300)


async def test_metric_spec_names_the_queue_and_targets_queue_length(scaler: Scaler, queue_url: str) -> None:
    answer = await scaler.stub.GetMetricSpec(scaler.ref({"queueURL": queue_url, "queueLength": "30"}))
    (spec,) = answer.metricSpecs
    assert spec.metricName == "aws-sqs-orders"
    assert spec.targetSizeFloat == 30.0
    assert spec.targetSize == 30


async def test_queue_length_defaults_to_five_like_keda(scaler: Scaler, queue_url: str) -> None:
    answer = await scaler.stub.GetMetricSpec(scaler.ref({"queueURL": queue_url}))
    assert answer.metricSpecs[0].targetSizeFloat == 5.0


async def test_value_counts_visible_and_in_flight_messages_by_default(scaler: Scaler, sqs: Any, queue_url: str) -> None:
    send(sqs, queue_url, 7)
    receive(sqs, queue_url, 3)
    request = pb.GetMetricsRequest(scaledObjectRef=scaler.ref({"queueURL": queue_url}), metricName="s0-aws-sqs-orders")
    answer = await scaler.stub.GetMetrics(request)
    (value,) = answer.metricValues
    assert value.metricValueFloat == 7.0
    assert value.metricValue == 7
    assert value.metricName == "s0-aws-sqs-orders"


async def test_scale_on_in_flight_false_counts_only_visible(scaler: Scaler, sqs: Any, queue_url: str) -> None:
    send(sqs, queue_url, 7)
    receive(sqs, queue_url, 3)
    assert await scaler.value({"queueURL": queue_url, "scaleOnInFlight": "false"}) == 4.0


async def test_scale_on_delayed_adds_delayed_messages(scaler: Scaler, sqs: Any, queue_url: str) -> None:
    send(sqs, queue_url, 2)
    send(sqs, queue_url, 3, delay=60)
    assert await scaler.value({"queueURL": queue_url}) == 2.0
    assert await scaler.value({"queueURL": queue_url, "scaleOnDelayed": "true"}) == 5.0


async def test_triggers_with_different_flags_share_one_read(scaler: Scaler, sqs: Any, queue_url: str) -> None:
    send(sqs, queue_url, 2)
    for flags in ({}, {"scaleOnInFlight": "false"}, {"scaleOnDelayed": "true"}, {"queueLength": "1"}):
        await scaler.value({"queueURL": queue_url, **flags})
    assert scaler.aws_calls("GetQueueAttributes") == 1


async def test_active_only_above_activation_queue_length(scaler: Scaler, sqs: Any, queue_url: str) -> None:
    empty = sqs.create_queue(QueueName="empty")["QueueUrl"]
    assert await scaler.active({"queueURL": empty}) is False
    send(sqs, queue_url, 3)
    assert await scaler.active({"queueURL": queue_url, "activationQueueLength": "3"}) is False
    assert await scaler.active({"queueURL": queue_url, "activationQueueLength": "2"}) is True


async def test_queue_url_from_env_is_read_as_keda_forwards_it(scaler: Scaler, sqs: Any, queue_url: str) -> None:
    send(sqs, queue_url, 1)
    assert await scaler.value({"queueURLFromEnv": queue_url}) == 1.0


async def test_missing_queue_answers_not_found_with_aws_code(scaler: Scaler, queue_url: str) -> None:
    missing = queue_url.replace("orders", "no-such-queue")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await scaler.value({"queueURL": missing})
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    assert "NonExistentQueue" in (raised.value.details() or "")


def without(attribute: str) -> aws.Fault:
    """GetQueueAttributes answered without one of the counts asked for."""

    def drop(body: bytes) -> bytes:
        answer = json.loads(body)
        answer["Attributes"].pop(attribute)
        return json.dumps(answer).encode()

    return aws.Fault(rewrite=drop)


async def test_an_answer_without_a_count_fails_only_the_triggers_that_count_it_as_in_keda(
    moto: aws.AwsStandIn, sqs: Any, queue_url: str
) -> None:
    send(sqs, queue_url, 4)
    proxy = aws.CountingProxy(moto.url).start()
    proxy.choose = lambda operation, body: without("ApproximateNumberOfMessagesNotVisible")
    try:
        async with running_scaler(policy=TRUSTING) as scaler:
            metadata = {"queueURL": queue_url, "awsEndpoint": proxy.url}
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await scaler.value(metadata)
            assert await scaler.value({**metadata, "scaleOnInFlight": "false"}) == 4.0, "the same answer serves it"
    finally:
        proxy.stop()
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert raised.value.details() == (
        "SQS answered GetQueueAttributes without ApproximateNumberOfMessagesNotVisible, which this trigger counts"
    )
