"""Whatever metadata arrives, every RPC answers OK or a deliberate error code: never INTERNAL, never a hang."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings, strategies

from kedawatch import settings as kedawatch_settings
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc
from kedawatch.scaler import server
from kedawatch.standins import aws

DELIBERATE = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.FAILED_PRECONDITION,
}
KEYS = [
    "source", "queueURL", "queueURLFromEnv", "queueLength", "activationQueueLength", "scaleOnInFlight",
    "scaleOnDelayed", "namespace", "metricName", "dimensionName", "dimensionValue", "expression",
    "targetMetricValue", "activationTargetMetricValue", "minMetricValue", "ignoreNullValues", "metricStat",
    "metricStatPeriod", "metricCollectionTime", "metricEndTimeOffset", "metricUnit", "awsRegion", "awsRoleArn",
    "awsAccountId", "identityOwner", "awsAccessKeyID",
]  # fmt: skip
EDGES = [
    "", " ", "0", "-1", "1", "60", "300", "1e308", "-1e308", "nan", "inf", "9" * 40, "true", "false", "p99",
    "aws-sqs-queue", "aws-cloudwatch", "us-east-1", "Sum", "a;b", ";", "ünï©ødé", "\x00", "x" * 70_000,
    "https://sqs.us-east-1.amazonaws.com/123456789012/q", "arn:aws:iam::123456789012:role/r",
    "http://127.0.0.1:1", "SELECT AVG(x) FROM y",
]  # fmt: skip
metadata_maps = strategies.dictionaries(
    strategies.one_of(strategies.sampled_from(KEYS), strategies.text(max_size=20)),
    strategies.one_of(strategies.sampled_from(EDGES), strategies.text(max_size=50)),
    max_size=12,
)


class ThreadedScaler:
    """A scaler on its own event loop thread, so a synchronous (hypothesis) test can call it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = server.ScalerServer(
            kedawatch_settings.ScalerSettings(
                server=kedawatch_settings.ServerSettings(host="127.0.0.1", port=0, metrics_port=0),
                hub=kedawatch_settings.HubSettings(rpc_timeout=2.0),
            )
        )
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ThreadedScaler:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def stub(moto_server: aws.MotoServer) -> Iterator[Any]:
    with ThreadedScaler() as scaler, grpc.insecure_channel(f"127.0.0.1:{scaler.server.port}") as channel:
        yield pb_grpc.ExternalScalerStub(channel)


def code_of(call: Any, request: Any) -> grpc.StatusCode:
    try:
        call(request, timeout=3)
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(metadata=metadata_maps)
def test_any_metadata_gets_a_deliberate_answer(stub: Any, metadata: dict[str, str]) -> None:
    ref = pb.ScaledObjectRef(name="fuzz", namespace="default", scalerMetadata=metadata)
    for call, request in (
        (stub.GetMetricSpec, ref),
        (stub.GetMetrics, pb.GetMetricsRequest(scaledObjectRef=ref, metricName="s0-x")),
        (stub.IsActive, ref),
    ):
        assert code_of(call, request) in DELIBERATE, metadata
