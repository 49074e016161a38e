"""A real scaler on a free loopback port, and a generated gRPC client talking to it over TCP."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import grpc
import pytest

from kedawatch import settings
from kedawatch.demo import local
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc
from kedawatch.scaler import server, timing
from kedawatch.standins import aws
from kedawatch.standins.clock import FakeClock

REGION = "us-east-1"
TRUSTING = {"default": {"roleArns": ["arn:aws:iam::123456789012:role/*"], "endpoints": ["http://127.0.0.1:*"]}}
"""A tenant policy that lets every namespace assume moto's roles and read through stand-ins on loopback."""


@dataclasses.dataclass
class Scaler:
    server: server.ScalerServer
    stub: Any
    channel: grpc.aio.Channel

    def ref(self, metadata: dict[str, str], name: str = "app", namespace: str = "default") -> pb.ScaledObjectRef:
        return pb.ScaledObjectRef(name=name, namespace=namespace, scalerMetadata=metadata)

    async def value(self, metadata: dict[str, str], deadline: float = 5.0, namespace: str = "default") -> float:
        request = pb.GetMetricsRequest(scaledObjectRef=self.ref(metadata, namespace=namespace), metricName="s0-metric")
        answer = await self.stub.GetMetrics(request, timeout=deadline)
        return float(answer.metricValues[0].metricValueFloat)

    async def active(self, metadata: dict[str, str]) -> bool:
        return bool((await self.stub.IsActive(self.ref(metadata), timeout=5)).result)

    def aws_calls(self, operation: str) -> float:
        total = 0.0
        for metric in self.server.metrics.registry.collect():
            for sample in metric.samples:
                if sample.name == "kedawatch_aws_calls_total" and sample.labels["operation"] == operation:
                    total += sample.value
        return total

    def metric(self, name: str, **labels: str) -> float:
        return self.server.metrics.registry.get_sample_value(name, labels) or 0.0


async def until(condition: Callable[[], object], within: float) -> None:
    """Wait until `condition()` holds: for what the scaler does in the background, polled every 50 ms."""
    for _ in range(int(within / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


@contextlib.asynccontextmanager
async def running_scaler(
    hub: settings.HubSettings | None = None,
    server_settings: settings.ServerSettings = local.LOOPBACK,
    aws_settings: settings.AwsSettings | None = None,
    credentials: grpc.ChannelCredentials | None = None,
    clock: timing.Clock | None = None,
    policy: Mapping[str, object] | None = None,
) -> AsyncIterator[Scaler]:
    """The demo's scaler on loopback, and a generated client talking to it over TCP."""
    async with local.running_scaler(hub, server_settings, aws_settings, clock, policy) as scaler:
        target = f"localhost:{scaler.port}"
        channel = grpc.aio.secure_channel(target, credentials) if credentials else grpc.aio.insecure_channel(target)
        try:
            yield Scaler(scaler, pb_grpc.ExternalScalerStub(channel), channel)
        finally:
            await channel.close(None)


@pytest.fixture
def clock() -> FakeClock:
    """The scaler's clock, moved by the test: freshness, staleness and push intervals pass on it, while KEDA's
    deadlines and AWS's slowness stay on the real clock."""
    return FakeClock()


@pytest.fixture
async def scaler(moto: aws.AwsStandIn) -> AsyncIterator[Scaler]:
    async with running_scaler() as running:
        yield running


@pytest.fixture
def queue_url(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName="orders")["QueueUrl"])
