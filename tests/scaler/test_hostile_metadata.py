"""Whatever metadata arrives, every RPC answers OK or a deliberate error code: never INTERNAL, never a hang,
and the process does not grow with the number of maps it has seen."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings, strategies

from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc
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
    "awsAccountId", "identityOwner", "awsAccessKeyID", "query", "threshold", "activationThreshold",
    "queryParameters", "timeout", "serverAddress", "customHeaders",
]  # fmt: skip
EDGES = [
    "", " ", "0", "-1", "1", "60", "300", "1e308", "-1e308", "nan", "inf", "9" * 40, "true", "false", "p99",
    "aws-sqs-queue", "aws-cloudwatch", "us-east-1", "Sum", "a;b", ";", "ünï©ødé", "\x00", "x" * 70_000,
    "https://sqs.us-east-1.amazonaws.com/123456789012/q", "arn:aws:iam::123456789012:role/r",
    "http://127.0.0.1:1", "SELECT AVG(x) FROM y", "aws-cloudwatch-promql", "sum(x)", "x[5m]", "a=b,c", "1m30s",
    "(" * 1023 + "1" + ")" * 1023, "1" + "+1" * 5000, "https://monitoring.us-east-1.amazonaws.com",
]  # fmt: skip
metadata_maps = strategies.dictionaries(
    strategies.one_of(strategies.sampled_from(KEYS), strategies.text(max_size=20)),
    strategies.one_of(strategies.sampled_from(EDGES), strategies.text(max_size=50)),
    max_size=12,
)


@pytest.fixture(scope="module")
def scaler_process(moto_server: aws.AwsStandIn) -> Iterator[subprocess.Popen[bytes]]:
    """The real scaler in its own process, so that its memory is measured apart from hypothesis's own."""
    port = aws.free_port()
    env = {**os.environ, "KEDAWATCH_HOST": "127.0.0.1", "KEDAWATCH_PORT": str(port), "KEDAWATCH_METRICS_PORT": "0"}
    process = subprocess.Popen([sys.executable, "-m", "kedawatch", "scaler", "--log-level", "ERROR"], env=env)
    process.port = port  # type: ignore[attr-defined]
    yield process
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="module")
def stub(scaler_process: subprocess.Popen[bytes]) -> Iterator[Any]:
    with grpc.insecure_channel(f"127.0.0.1:{scaler_process.port}") as channel:  # type: ignore[attr-defined]
        grpc.channel_ready_future(channel).result(timeout=20)
        yield pb_grpc.ExternalScalerStub(channel)


def code_of(call: Any, request: Any) -> grpc.StatusCode:
    try:
        call(request, timeout=3)
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


SHORT, LONG = 150, 10_000
"""Examples per run: `make test` runs the short mode, `make test-long` (pytest --long) the long one."""
MEMORY_BOUND = 64 * 2**20
"""Bytes the process may grow by over the whole run: caches are bounded, so it must not grow per example."""


def test_any_metadata_gets_a_deliberate_answer_and_memory_stays_bounded(
    stub: Any, scaler_process: subprocess.Popen[bytes], request: pytest.FixtureRequest
) -> None:
    def every_rpc_answers_deliberately(metadata: dict[str, str]) -> None:
        ref = pb.ScaledObjectRef(name="fuzz", namespace="default", scalerMetadata=metadata)
        for call, message in (
            (stub.GetMetricSpec, ref),
            (stub.GetMetrics, pb.GetMetricsRequest(scaledObjectRef=ref, metricName="s0-x")),
            (stub.IsActive, ref),
        ):
            assert code_of(call, message) in DELIBERATE, metadata

    def fuzz(examples: int) -> None:
        checks = given(metadata=metadata_maps)(every_rpc_answers_deliberately)
        settings(max_examples=examples, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])(
            checks
        )()

    fuzz(SHORT)  # warms up what is allocated once
    before = _rss(scaler_process.pid)
    fuzz(LONG if request.config.getoption("--long") else SHORT)
    grown = _rss(scaler_process.pid) - before
    assert grown < MEMORY_BOUND, f"the scaler grew by {grown / 2**20:.0f} MiB"


def _rss(pid: int) -> int:
    """A process's resident memory, in bytes (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError("VmRSS")
