"""The operator's AWS calls within AWS's quotas: no 1 s window ever holds more calls of an operation in a region than
its quota, as AWS sees them arrive, botocore's retries after throttling included; and a stop gives up the calls still
waiting for their turn at once."""

from __future__ import annotations

import asyncio
import bisect
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from kedawatch import settings
from kedawatch.aws import alarms, clients, errors, identities, quotas
from kedawatch.operator import pacing, run, telemetry
from kedawatch.standins import aws

REGION = "us-east-1"
ALARM = {
    "Namespace": "App", "MetricName": "depth", "Statistic": "Maximum", "Period": 60, "EvaluationPeriods": 1,
    "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
}  # fmt: skip


def most_in_any_window(times: Sequence[float], seconds: float = 1.0) -> int:
    """The most of `times` in any half-open window [t, t + seconds)."""
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, start + seconds) - index for index, start in enumerate(ordered)), default=0)


# --- the window, on given times ------------------------------------------------------------------------------------


def test_a_window_admits_its_quota_at_once_then_the_next_call_one_second_after_the_first_answer() -> None:
    window = pacing.Window(3)
    assert [window.admit(10.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert window.admit(10.0) == math.inf, "three calls in flight: wait for an answer"
    window.answered(10.2)
    window.answered(10.3)
    assert window.admit(10.5) == pytest.approx(0.7), "the first answer's place frees at 11.2"
    assert window.admit(11.2) == 0.0
    assert window.admit(11.2) == pytest.approx(0.1)
    window.answered(11.25)
    assert window.admit(11.3) == 0.0


def test_calls_in_flight_hold_their_places_however_long_they_take() -> None:
    window = pacing.Window(1)
    assert window.admit(0.0) == 0.0
    assert window.admit(30.0) == math.inf
    window.answered(30.0)
    assert window.admit(30.5) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("operation", "write_rate", "read_rate", "expected"),
    [
        pytest.param("PutMetricAlarm", None, None, 3, id="PutMetricAlarm's quota"),
        pytest.param("DescribeAlarms", None, None, 9, id="DescribeAlarms' quota"),
        pytest.param("PutDashboard", None, None, 10, id="PutDashboard's quota"),
        pytest.param("TagResource", None, None, quotas.UNPUBLISHED, id="unpublished"),
        pytest.param("PutMetricAlarm", 20.0, None, 20, id="a raised write quota"),
        pytest.param("DescribeAlarms", 20.0, None, 9, id="a write rate leaves reads be"),
        pytest.param("DescribeAlarms", None, 2.5, 2, id="a read rate, rounded down"),
    ],
)
def test_each_operation_keeps_to_its_aws_quota_or_the_rate_given_in_its_place(
    operation: str, write_rate: float | None, read_rate: float | None, expected: int
) -> None:
    chosen = settings.OperatorSettings(write_rate=write_rate, read_rate=read_rate)
    assert run.calls_a_second(chosen, operation) == expected


# --- calls through the AWS stand-in --------------------------------------------------------------------------------


class Arrivals:
    """When the proxy saw attempts at one operation arrive; each call's first attempt is answered Throttling (a
    retry sends the same body again)."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.times: list[float] = []
        self._bodies: set[bytes] = set()
        self._lock = threading.Lock()

    def __call__(self, operation: str, body: bytes) -> aws.Fault | None:
        if operation != self.operation:
            return None
        with self._lock:
            self.times.append(time.monotonic())
            first = body not in self._bodies
            self._bodies.add(body)
            return aws.THROTTLING if first else None


def alarm_names(cloudwatch: Any) -> set[str]:
    return {alarm["AlarmName"] for alarm in cloudwatch.describe_alarms(MaxRecords=100)["MetricAlarms"]}


def sample(metrics: telemetry.OperatorMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


@pytest.fixture
def paced(moto: aws.AwsStandIn) -> tuple[pacing.Pacer, clients.AwsClients, telemetry.OperatorMetrics]:
    metrics = telemetry.OperatorMetrics()
    pacer = pacing.Pacer(lambda operation: quotas.quota(operation).calls, metrics)
    retrying = settings.AwsSettings(max_attempts=3)
    return pacer, clients.AwsClients(retrying, metrics.observe_aws_call, pace=pacer), metrics


async def test_no_second_holds_more_puts_than_the_quota_retries_after_throttling_included(
    moto: aws.AwsStandIn, cloudwatch: Any, paced: tuple[pacing.Pacer, clients.AwsClients, telemetry.OperatorMetrics]
) -> None:
    pacer, aws_clients, metrics = paced
    arrivals = moto.proxy.choose = Arrivals("PutMetricAlarm")
    paced_cloudwatch = aws_clients.client("cloudwatch", identities.AwsIdentity(REGION))
    try:
        puts = [
            pacer.call("PutMetricAlarm", REGION, alarms.put_metric_alarm, paced_cloudwatch, {**ALARM, "AlarmName": n})
            for n in ("p0", "p1", "p2", "p3", "p4", "p5")
        ]
        await asyncio.wait_for(asyncio.gather(*puts), timeout=30)
    finally:
        moto.proxy.heal()
        pacer.close()
    assert alarm_names(cloudwatch) == {f"p{n}" for n in range(6)}
    assert len(arrivals.times) == 12, "every put throttled once, then retried by botocore"
    assert most_in_any_window(arrivals.times) <= quotas.quota("PutMetricAlarm").calls
    assert sample(metrics, "kedawatch_operator_aws_calls_total", operation="PutMetricAlarm", outcome="ok") == 6
    assert sample(metrics, "kedawatch_operator_aws_calls_waiting", operation="PutMetricAlarm") == 0
    waited = sample(metrics, "kedawatch_operator_aws_call_wait_seconds_sum", operation="PutMetricAlarm")
    assert waited is not None and waited > 1.0, "twelve attempts at three a second: the later puts waited"


async def test_a_stop_gives_up_the_calls_waiting_for_their_turn_at_once(
    cloudwatch: Any, paced: tuple[pacing.Pacer, clients.AwsClients, telemetry.OperatorMetrics]
) -> None:
    pacer, aws_clients, metrics = paced
    paced_cloudwatch = aws_clients.client("cloudwatch", identities.AwsIdentity(REGION))
    puts = [
        asyncio.ensure_future(
            pacer.call("PutMetricAlarm", REGION, alarms.put_metric_alarm, paced_cloudwatch, {**ALARM, "AlarmName": n})
        )
        for n in (f"s{index}" for index in range(20))
    ]
    await _until(lambda: len(alarm_names(cloudwatch)) >= 3)
    stopping = time.monotonic()
    pacer.close()
    done, _ = await asyncio.wait(puts, timeout=5)
    assert time.monotonic() - stopping < 1.0
    assert len(done) == len(puts)
    given_up = [put for put in puts if put.cancelled() or put.exception() is not None]
    assert len(given_up) >= 10, "at three a second, most were still waiting"
    assert all(put.cancelled() or isinstance(put.exception(), errors.AwsError) for put in given_up)
    assert len(alarm_names(cloudwatch)) == len(puts) - len(given_up)
    assert sample(metrics, "kedawatch_operator_aws_calls_waiting", operation="PutMetricAlarm") == 0


async def _until(check: Callable[[], bool], within: float = 10.0) -> None:
    for _ in range(int(within / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {within} s")
