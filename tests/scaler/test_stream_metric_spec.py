"""StreamMetricSpec (KEDA 2.21, external-push triggers): the current specs as soon as the stream opens, and
GetMetricSpec always equal to what the stream last sent. A trigger's target comes only from its metadata, the
stream's own key, so a stream carries one message; new metadata is a new stream with the new specs."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import grpc
import pytest

from kedawatch.demo import local
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.standins import aws
from tests.scaler.conftest import Scaler, running_scaler, until

CLOUDWATCH = {
    "namespace": "App", "metricName": "Backlog", "dimensionName": "Service", "dimensionValue": "orders",
    "targetMetricValue": "2.5",
}  # fmt: skip


async def first(call: Any, within: float = 2.0) -> pb.GetMetricSpecResponse:
    answer: pb.GetMetricSpecResponse = await asyncio.wait_for(call.read(), timeout=within)
    return answer


@pytest.mark.parametrize(
    ("source", "name", "target"),
    [
        pytest.param("aws-sqs-queue", "aws-sqs-orders", 30.0, id="aws-sqs-queue"),
        pytest.param("aws-cloudwatch", "aws-cloudwatch-backlog", 2.5, id="aws-cloudwatch"),
    ],
)
async def test_the_current_specs_arrive_as_soon_as_the_stream_opens(
    scaler: Scaler, queue_url: str, source: str, name: str, target: float
) -> None:
    sqs = {"queueURL": queue_url, "queueLength": "30"}
    stream = scaler.stub.StreamMetricSpec(scaler.ref(sqs if source == "aws-sqs-queue" else CLOUDWATCH))
    (spec,) = (await first(stream)).metricSpecs
    assert (spec.metricName, spec.targetSizeFloat, spec.targetSize) == (name, target, round(target))
    stream.cancel()


async def test_get_metric_spec_answers_what_the_stream_last_sent(scaler: Scaler, queue_url: str) -> None:
    ref = scaler.ref({"queueURL": queue_url, "queueLength": "30"})
    stream = scaler.stub.StreamMetricSpec(ref)
    streamed = await first(stream)
    for _ in range(3):
        assert await scaler.stub.GetMetricSpec(ref, timeout=5) == streamed
    with pytest.raises(TimeoutError):
        await first(stream, within=0.5)  # nothing can change a target while the metadata stays as it is
    assert scaler.metric("kedawatch_open_streams") == 1, "the stream stays open: KEDA reopens ended ones every 2 s"

    changed = scaler.ref({"queueURL": queue_url, "queueLength": "40"})  # KEDA opens a new stream for new metadata
    renewed = scaler.stub.StreamMetricSpec(changed)
    renewed_specs = await first(renewed)
    assert renewed_specs.metricSpecs[0].targetSizeFloat == 40.0
    assert await scaler.stub.GetMetricSpec(changed, timeout=5) == renewed_specs
    stream.cancel()
    renewed.cancel()


async def test_another_replica_answers_get_metric_spec_as_the_stream_did(scaler: Scaler, queue_url: str) -> None:
    """KEDA falls back to GetMetricSpec after rebuilding its scaler state, maybe on another replica."""
    ref = scaler.ref({"queueURL": queue_url, "queueLength": "12"})
    stream = scaler.stub.StreamMetricSpec(ref)
    streamed = await first(stream)
    async with running_scaler() as other:
        assert await other.stub.GetMetricSpec(ref, timeout=5) == streamed
    stream.cancel()


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        pytest.param({"queueLength": "ten"}, grpc.StatusCode.INVALID_ARGUMENT, id="bad metadata"),
        pytest.param(
            {"awsRoleArn": "arn:aws:iam::123456789012:role/r"}, grpc.StatusCode.PERMISSION_DENIED, id="denied"
        ),
    ],
)
async def test_a_trigger_get_metric_spec_refuses_ends_the_stream_with_the_same_status(
    scaler: Scaler, queue_url: str, metadata: dict[str, str], code: grpc.StatusCode
) -> None:
    ref = scaler.ref({"queueURL": queue_url, **metadata})
    stream = scaler.stub.StreamMetricSpec(ref)
    assert await stream.code() is code
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await scaler.stub.GetMetricSpec(ref, timeout=5)
    assert (raised.value.code(), raised.value.details()) == (code, await stream.details())


async def test_a_stopping_scaler_ends_spec_streams_with_ok(moto: aws.AwsStandIn, queue_url: str) -> None:
    async with running_scaler() as scaler:
        streams = [scaler.stub.StreamMetricSpec(scaler.ref({"queueURL": queue_url})) for _ in range(3)]
        for stream in streams:
            await first(stream)
        await scaler.server.stop()
        assert [await stream.code() for stream in streams] == [grpc.StatusCode.OK] * 3


async def test_spec_streams_count_toward_the_stream_cap(moto: aws.AwsStandIn, queue_url: str) -> None:
    async with running_scaler(server_settings=dataclasses.replace(local.LOOPBACK, max_streams=2)) as scaler:
        ref = scaler.ref({"queueURL": queue_url})
        pushes = scaler.stub.StreamIsActive(ref)
        specs = scaler.stub.StreamMetricSpec(ref)
        await first(specs)
        await until(lambda: scaler.metric("kedawatch_open_streams") == 2, within=5)
        refused = scaler.stub.StreamMetricSpec(ref)
        assert await refused.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        pushes.cancel()
        specs.cancel()
