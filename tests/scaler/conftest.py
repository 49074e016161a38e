"""A real scaler on a free loopback port, and a generated gRPC client talking to it over TCP."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
import grpc
import pytest

from kedawatch import settings
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc
from kedawatch.scaler import server
from kedawatch.standins import aws

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


ScalerFactory = Callable[..., contextlib.AbstractAsyncContextManager[Scaler]]


@contextlib.asynccontextmanager
async def running_scaler(
    hub: settings.HubSettings | None = None,
    server_settings: settings.ServerSettings | None = None,
    aws_settings: settings.AwsSettings | None = None,
    credentials: grpc.ChannelCredentials | None = None,
    clock: Callable[[], float] | None = None,
    policy: Mapping[str, object] | None = None,
) -> AsyncIterator[Scaler]:
    """A scaler on loopback; `policy` is written to a file for it to read, as the chart's ConfigMap is."""
    server_settings = server_settings or settings.ServerSettings(host="127.0.0.1", port=0, metrics_port=0)
    if policy is not None:
        server_settings = dataclasses.replace(server_settings, policy=_written(policy))
    scaler_settings = settings.ScalerSettings(
        server=server_settings,
        hub=hub or settings.HubSettings(),
        aws=aws_settings or settings.AwsSettings(),
    )
    async with server.ScalerServer(scaler_settings, clock) as scaler:
        target = f"localhost:{scaler.port}"
        channel = grpc.aio.secure_channel(target, credentials) if credentials else grpc.aio.insecure_channel(target)
        try:
            yield Scaler(scaler, pb_grpc.ExternalScalerStub(channel), channel)
        finally:
            await channel.close(None)


def _written(policy: Mapping[str, object]) -> Path:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(policy, file)
    return Path(file.name)


@pytest.fixture
async def scaler(moto: aws.AwsStandIn) -> AsyncIterator[Scaler]:
    async with running_scaler() as running:
        yield running


@pytest.fixture
def sqs(moto: aws.AwsStandIn) -> Any:
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def cloudwatch(moto: aws.AwsStandIn) -> Any:
    return boto3.client("cloudwatch", region_name=REGION)


@pytest.fixture
def queue_url(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName="orders")["QueueUrl"])
