"""The tenant policy in the scaler: a namespace's trigger may use only the roles, regions and endpoints its
rule allows; anything else is PERMISSION_DENIED naming the rule, before any AWS call. And no credential,
the pod's own or an assumed role's, ever shows in the logs or the metrics."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from kedawatch import logs, settings
from kedawatch.aws import identities
from kedawatch.demo import local
from kedawatch.standins import aws
from tests.scaler.conftest import Scaler, running_scaler

ROLE = "arn:aws:iam::123456789012:role/team-a-reader"
POLICY = {
    "default": {"regions": ["us-east-1"]},
    "namespaces": [{"match": ["team-a*"], "roleArns": ["arn:aws:iam::123456789012:role/team-a-*"]}],
}


@pytest.fixture
async def scaler(moto: aws.AwsStandIn) -> AsyncIterator[Scaler]:
    async with running_scaler(policy=POLICY) as running:
        yield running


async def refusal(scaler: Scaler, namespace: str, metadata: dict[str, str]) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await scaler.value(metadata, deadline=3, namespace=namespace)
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    return str(raised.value.details())


async def test_a_namespace_uses_the_roles_its_rule_allows(scaler: Scaler, queue_url: str) -> None:
    assert await scaler.value({"queueURL": queue_url, "awsRoleArn": ROLE}, deadline=3, namespace="team-a") == 0.0
    assert scaler.aws_calls("AssumeRole") == 1


async def test_another_namespace_is_denied_that_role_before_any_aws_call(scaler: Scaler, queue_url: str) -> None:
    details = await refusal(scaler, "team-b", {"queueURL": queue_url, "awsRoleArn": ROLE})
    assert details == f"namespace 'team-b' may not use awsRoleArn '{ROLE}': tenancy rule default allows none"
    assert scaler.aws_calls("AssumeRole") == 0
    assert scaler.aws_calls("GetQueueAttributes") == 0


async def test_regions_and_endpoints_outside_the_rule_are_denied(scaler: Scaler, queue_url: str) -> None:
    details = await refusal(scaler, "team-a", {"queueURL": queue_url, "awsRegion": "eu-west-1"})
    assert "awsRegion 'eu-west-1'" in details
    assert "namespaces[0] (team-a*) allows us-east-1" in details
    details = await refusal(scaler, "team-a", {"queueURL": queue_url, "awsEndpoint": "http://collector.evil:80"})
    assert "awsEndpoint 'http://collector.evil:80'" in details


async def test_streams_are_denied_too(scaler: Scaler, queue_url: str) -> None:
    stream = scaler.stub.StreamIsActive(scaler.ref({"queueURL": queue_url, "awsRoleArn": ROLE}, namespace="team-b"))
    assert await stream.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_credentials_never_show_in_logs_or_metrics(
    moto: aws.AwsStandIn, queue_url: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "pod-secret-4f1d9c")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "pod-session-token-8e2b7a")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logs.configure(settings.LogSettings(level="DEBUG", json=True))
    try:
        server_settings = dataclasses.replace(local.LOOPBACK, metrics_port=aws.free_port())
        async with running_scaler(server_settings=server_settings, policy=POLICY) as scaler:
            role = {"queueURL": queue_url, "awsRoleArn": ROLE}
            assert await scaler.value(role, deadline=3, namespace="team-a") == 0.0
            await refusal(scaler, "team-b", role)
            await refusal(scaler, "team-a", {**role, "awsRegion": "eu-west-1"})
            assumed = _credentials(scaler, scaler.server.triggers.get(role, "team-a").identity)
            metrics = await asyncio.to_thread(_scrape, scaler.server.metrics_port)
    finally:
        root.handlers[:], root.level = handlers, level
    logged = capfd.readouterr().err
    assert "GetMetrics" in logged, "the logs were captured"
    for secret in ("pod-secret-4f1d9c", "pod-session-token-8e2b7a", assumed.secret_key, assumed.token):
        assert secret not in logged
        assert secret not in metrics


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


def _credentials(scaler: Scaler, identity: identities.AwsIdentity) -> Any:
    """The assumed role's credentials, as the client signs with them (botocore has no public accessor)."""
    client = scaler.server.aws.client("sqs", identity)
    return client._request_signer._credentials.get_frozen_credentials()  # type: ignore[attr-defined]
