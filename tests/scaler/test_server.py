"""The scaler as a server: health, reflection, /metrics, TLS and mTLS, AWS failures and AWS going away."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import grpc
import pytest
from botocore.stub import Stubber
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from kedawatch import settings
from kedawatch.aws import identities
from kedawatch.demo import local
from kedawatch.scaler import server
from kedawatch.standins import aws
from kedawatch.standins.clock import FakeClock
from tests.scaler.certificates import make_pki
from tests.scaler.conftest import TRUSTING, Scaler, running_scaler


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return str(answer.read().decode())


async def test_health_reports_serving_for_the_server_and_the_scaler_service(scaler: Scaler) -> None:
    health = health_pb2_grpc.HealthStub(scaler.channel)
    for service in ("", "externalscaler.ExternalScaler"):
        answer = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_scaler_and_health_services(scaler: Scaler) -> None:
    def services() -> list[str]:
        with grpc.insecure_channel(f"127.0.0.1:{scaler.server.port}") as channel:
            return list(ProtoReflectionDescriptorDatabase(channel).get_services())

    assert {"externalscaler.ExternalScaler", "grpc.health.v1.Health"} <= set(await asyncio.to_thread(services))


async def test_metrics_endpoint_serves_rpc_latency_and_aws_calls(moto: aws.AwsStandIn, queue_url: str) -> None:
    port = aws.free_port()
    server_settings = dataclasses.replace(local.LOOPBACK, metrics_port=port)
    async with running_scaler(server_settings=server_settings) as scaler:
        await scaler.value({"queueURL": queue_url})
        text = await asyncio.to_thread(scrape, f"http://127.0.0.1:{port}/metrics")
    assert 'kedawatch_rpc_seconds_count{code="OK",method="GetMetrics"} 1.0' in text
    assert 'kedawatch_aws_calls_total{operation="GetQueueAttributes",outcome="ok"} 1.0' in text
    assert 'kedawatch_hub_reads_total{answer="miss"} 1.0' in text


async def test_tls_serves_clients_that_trust_the_ca(moto: aws.AwsStandIn, queue_url: str, tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    tls = settings.ServerSettings(
        host="127.0.0.1", port=0, metrics_port=0, tls_cert=pki["server"].cert, tls_key=pki["server"].key
    )
    trusted = grpc.ssl_channel_credentials(root_certificates=pki["ca"].cert.read_bytes())
    async with running_scaler(server_settings=tls, credentials=trusted) as scaler:
        assert await scaler.value({"queueURL": queue_url}) == 0.0
        async with grpc.aio.insecure_channel(f"localhost:{scaler.server.port}") as plain:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await health_pb2_grpc.HealthStub(plain).Check(health_pb2.HealthCheckRequest(), timeout=2)
            assert raised.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_mtls_refuses_clients_without_a_certificate(moto: aws.AwsStandIn, queue_url: str, tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    mtls = settings.ServerSettings(
        host="127.0.0.1", port=0, metrics_port=0,
        tls_cert=pki["server"].cert, tls_key=pki["server"].key, tls_client_ca=pki["ca"].cert,
    )  # fmt: skip
    with_cert = grpc.ssl_channel_credentials(
        root_certificates=pki["ca"].cert.read_bytes(),
        private_key=pki["client"].key.read_bytes(),
        certificate_chain=pki["client"].cert.read_bytes(),
    )
    async with running_scaler(server_settings=mtls, credentials=with_cert) as scaler:
        assert await scaler.value({"queueURL": queue_url}) == 0.0
        without_cert = grpc.ssl_channel_credentials(root_certificates=pki["ca"].cert.read_bytes())
        async with grpc.aio.secure_channel(f"localhost:{scaler.server.port}", without_cert) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
            assert raised.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_role_is_assumed_once_and_its_credentials_reused(sqs: Any, queue_url: str) -> None:
    sqs.send_message(QueueUrl=queue_url, MessageBody="x")
    role = {"queueURL": queue_url, "awsRoleArn": "arn:aws:iam::123456789012:role/queue-reader"}
    async with running_scaler(policy=TRUSTING) as scaler:
        assert await scaler.value(role) == 1.0
        assert await scaler.value({**role, "queueLength": "9", "scaleOnDelayed": "true"}) == 1.0
        assert scaler.aws_calls("AssumeRole") == 1


def stubbed_sqs(scaler: Scaler) -> Stubber:
    """moto enforces no IAM and never throttles: those answers come from botocore's Stubber (this path only)."""
    return Stubber(scaler.server.aws.client("sqs", identities.AwsIdentity("us-east-1")))


QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/orders"


async def test_access_denied_answers_permission_denied_via_stubber(scaler: Scaler) -> None:
    with stubbed_sqs(scaler) as stub:
        stub.add_client_error("get_queue_attributes", "AccessDenied", "not authorized to sqs:GetQueueAttributes", 403)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await scaler.value({"queueURL": QUEUE})
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "AccessDenied: not authorized to sqs:GetQueueAttributes" in (raised.value.details() or "")


async def test_throttling_answers_unavailable_via_stubber(scaler: Scaler) -> None:
    with stubbed_sqs(scaler) as stub:
        for _ in range(settings.AwsSettings().max_attempts):
            stub.add_client_error("get_queue_attributes", "Throttling", "Rate exceeded", 400)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await scaler.value({"queueURL": QUEUE})
    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
    assert "Throttling" in (raised.value.details() or "")


async def test_without_a_staleness_bound_aws_going_away_answers_unavailable_in_time_and_recovers(
    moto_server: aws.AwsStandIn, clock: FakeClock
) -> None:
    own = aws.MotoServer().start()
    hub = settings.HubSettings(sqs_freshness=0.2, error_ttl=0.1, stale_limit=0)
    try:
        with aws.pointed_at(own.url):
            url = boto3.client("sqs").create_queue(QueueName="orders")["QueueUrl"]
            async with running_scaler(hub, clock=clock) as scaler:
                assert await scaler.value({"queueURL": url}) == 0.0
                own.stop()
                await clock.advance(0.3)
                started = time.monotonic()
                with pytest.raises(grpc.aio.AioRpcError) as raised:
                    await scaler.value({"queueURL": url})
                assert time.monotonic() - started < 3.0, "KEDA's HPA deadline is 3 s"
                assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
                assert "ConnectionError" in (raised.value.details() or "")
                own.start()
                boto3.client("sqs").create_queue(QueueName="orders")
                await clock.advance(0.3)
                assert await scaler.value({"queueURL": url}) == 0.0
    finally:
        own.stop()


async def test_an_oversized_message_is_refused_and_the_scaler_keeps_serving(scaler: Scaler, queue_url: str) -> None:
    huge = {"queueURL": queue_url, "padding": "x" * (server.MAX_MESSAGE_BYTES + 1)}
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await scaler.stub.GetMetricSpec(scaler.ref(huge), timeout=5)
    assert raised.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert await scaler.value({"queueURL": queue_url}) == 0.0
