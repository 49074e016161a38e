"""`kedawatch` as a user runs it: flags from the environment, a real process, a graceful stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kedawatch.standins import aws


def test_python_dash_m_is_the_console_script() -> None:
    answer = subprocess.run([sys.executable, "-m", "kedawatch", "scaler", "--help"], capture_output=True, text=True)
    assert answer.returncode == 0
    assert "KEDAWATCH_METRICS_PORT" in answer.stdout


def test_scaler_process_serves_with_env_settings_and_stops_on_sigterm(moto: aws.AwsStandIn) -> None:
    port, metrics_port = aws.free_port(), aws.free_port()
    env = {**os.environ, "KEDAWATCH_PORT": str(port), "KEDAWATCH_METRICS_PORT": str(metrics_port)}
    env["KEDAWATCH_HOST"] = "127.0.0.1"
    process = subprocess.Popen(
        [sys.executable, "-m", "kedawatch", "scaler", "--log-json"], env=env, stderr=subprocess.PIPE
    )
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=20)
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as metrics:
            assert b"kedawatch_open_streams" in metrics.read()
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - started < 10
    finally:
        process.kill()
        stderr = process.stderr.read().decode() if process.stderr else ""
    assert '"message": "scaler serving on port' in stderr


@pytest.mark.parametrize(
    ("policy", "flags", "message"),
    [
        pytest.param(
            {"namespaces": [{"roleArns": ["*"]}]}, [],
            "tenant policy: namespaces[0].match must list at least one namespace pattern", id="policy",
        ),
        pytest.param(
            {"roles": [{"match": ["*"], "externalId": "{cluster} {namespace}"}]}, [],
            "tenant policy: roles[0] (*): externalId '{cluster} {namespace}' must be 2 to 1224 letters", id="external id",
        ),
        pytest.param(
            {}, ["--cluster-name", "prod eu"],
            "--cluster-name 'prod eu' must be 1 to 100 letters, digits, '.', '-' or '_'", id="cluster name",
        ),
    ],
)  # fmt: skip
def test_a_setting_sts_or_the_policy_cannot_take_stops_the_scaler_naming_it(
    tmp_path: Path, policy: dict[str, object], flags: list[str], message: str
) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "kedawatch",
            "scaler",
            "--policy",
            str(path),
            "--port",
            "0",
            "--metrics-port",
            "0",
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert answer.returncode == 2
    assert message in answer.stderr
