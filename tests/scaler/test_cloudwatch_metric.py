"""CloudWatch metrics over gRPC, with the semantics of KEDA's aws-cloudwatch scaler."""

from __future__ import annotations

import asyncio
import datetime
import json
import time
from typing import Any

import boto3
import grpc
import pytest
from botocore.stub import Stubber

from kedawatch import settings
from kedawatch.aws import cloudwatch as cloudwatch_api
from kedawatch.scaler import triggers
from kedawatch.scaler.sources import cloudwatch as cloudwatch_source
from kedawatch.standins import aws
from tests.scaler.conftest import TRUSTING, Scaler, running_scaler

PERIOD = 60


def put(cloudwatch: Any, value: float, ago: float, metric: str = "Backlog", service: str = "orders") -> None:
    cloudwatch.put_metric_data(
        Namespace="App",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "Service", "Value": service}, {"Name": "Env", "Value": "prod"}],
                "Timestamp": datetime.datetime.fromtimestamp(time.time() - ago, datetime.UTC),
                "Value": value,
            }
        ],
    )


def trigger(**overrides: str) -> dict[str, str]:
    return {
        "namespace": "App",
        "metricName": "Backlog",
        "dimensionName": "Service;Env",
        "dimensionValue": "orders;prod",
        "targetMetricValue": "10",
        "metricStat": "Maximum",
        "metricStatPeriod": str(PERIOD),
        "metricCollectionTime": str(PERIOD * 5),
        "awsRegion": "us-east-1",
        **overrides,
    }


async def test_value_is_the_newest_datapoint_of_the_window(scaler: Scaler, cloudwatch: Any) -> None:
    put(cloudwatch, 42.0, ago=PERIOD * 2)
    put(cloudwatch, 17.0, ago=PERIOD * 3)
    assert await scaler.value(trigger()) == 42.0


async def test_metric_spec_targets_target_metric_value(scaler: Scaler) -> None:
    answer = await scaler.stub.GetMetricSpec(scaler.ref(trigger(targetMetricValue="2.5")))
    (spec,) = answer.metricSpecs
    assert (spec.metricName, spec.targetSizeFloat, spec.targetSize) == ("aws-cloudwatch-backlog", 2.5, 2)


async def test_dimensions_select_the_series(scaler: Scaler, cloudwatch: Any) -> None:
    put(cloudwatch, 5.0, ago=PERIOD * 2, service="orders")
    put(cloudwatch, 99.0, ago=PERIOD * 2, service="billing")
    assert await scaler.value(trigger(dimensionValue="billing;prod")) == 99.0
    assert await scaler.value(trigger()) == 5.0


async def test_datapoints_outside_the_window_are_ignored(scaler: Scaler, cloudwatch: Any) -> None:
    put(cloudwatch, 8.0, ago=PERIOD * 2)
    put(cloudwatch, 50.0, ago=-PERIOD)  # after the window: the end is the start of the current period
    assert await scaler.value(trigger()) == 8.0
    assert await scaler.value(trigger(metricEndTimeOffset=str(PERIOD * 3), activationTargetMetricValue="1")) == 0.0


async def test_empty_window_answers_min_metric_value(scaler: Scaler) -> None:
    assert await scaler.value(trigger()) == 0.0
    assert await scaler.value(trigger(minMetricValue="3", metricName="Other")) == 3.0


async def test_empty_window_with_ignore_null_values_false_is_an_error(scaler: Scaler) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await scaler.value(trigger(ignoreNullValues="false"))  # CloudWatch answers a result without values
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "ignoreNullValues" in (raised.value.details() or "")


def without_results(body: bytes) -> bytes:
    """GetMetricData answered with no result for the query at all, as for a SEARCH that matches no series."""
    answer = json.loads(body)
    answer["MetricDataResults"] = []
    return json.dumps(answer).encode()


async def test_no_result_at_all_answers_min_metric_value_even_with_ignore_null_values_false_as_keda(
    moto: aws.AwsStandIn,
) -> None:
    proxy = aws.CountingProxy(moto.url).start()
    proxy.choose = lambda operation, body: aws.Fault(rewrite=without_results) if operation == "GetMetricData" else None
    try:
        async with running_scaler(policy=TRUSTING) as scaler:
            metadata = trigger(awsEndpoint=proxy.url, ignoreNullValues="false", minMetricValue="3")
            assert await scaler.value(metadata) == 3.0
            assert proxy.injected["rewritten"] == 1
    finally:
        proxy.stop()


async def test_active_only_above_activation_target(scaler: Scaler, cloudwatch: Any) -> None:
    put(cloudwatch, 4.0, ago=PERIOD * 2)
    assert await scaler.active(trigger(activationTargetMetricValue="4")) is False
    assert await scaler.active(trigger(activationTargetMetricValue="3.5")) is True


async def test_statistics_are_sent_as_asked(scaler: Scaler, cloudwatch: Any) -> None:
    for value in (2.0, 6.0):
        put(cloudwatch, value, ago=PERIOD * 2)
    assert await scaler.value(trigger(metricStat="Sum")) == 8.0
    assert await scaler.value(trigger(metricStat="Average")) == 4.0
    assert await scaler.value(trigger(metricStat="SampleCount")) == 2.0


async def test_distinct_metrics_asked_together_go_out_as_one_call(moto: object, cloudwatch: Any) -> None:
    for index in range(5):
        put(cloudwatch, float(index), ago=PERIOD * 2, service=f"svc{index}")
    metadata = [trigger(dimensionValue=f"svc{index};prod") for index in range(200)]
    async with running_scaler(settings.HubSettings(gather_delay=0.5, gather_limit=10.0, rpc_timeout=30.0)) as scaler:
        values = await asyncio.gather(*(scaler.value(m, deadline=60) for m in metadata))
        assert values == [float(index) if index < 5 else 0.0 for index in range(200)]
        assert scaler.aws_calls("GetMetricData") == 1
        assert scaler.metric("kedawatch_cloudwatch_metrics_requested_total") == 200


async def test_identical_queries_from_many_triggers_are_requested_once(scaler: Scaler, cloudwatch: Any) -> None:
    put(cloudwatch, 7.0, ago=PERIOD * 2)
    metadata = [trigger(targetMetricValue=str(index + 1), activationTargetMetricValue="1") for index in range(100)]
    assert await asyncio.gather(*(scaler.value(m) for m in metadata)) == [7.0] * 100
    assert await scaler.active(metadata[0]) is True
    assert scaler.metric("kedawatch_cloudwatch_metrics_requested_total") == 1


@pytest.mark.parametrize(
    ("now", "period", "offset", "collection", "start", "end"),
    [
        pytest.param(1_000_000_123, 300, 0, 300, 999_999_600, 999_999_900, id="end truncated to the period"),
        pytest.param(1_000_000_123, 60, 0, 300, 999_999_780, 1_000_000_080, id="five periods of 60 s"),
        pytest.param(1_000_000_123, 60, 120, 60, 999_999_900, 999_999_960, id="end offset moves the window back"),
        pytest.param(1_000_000_200, 1, 0, 10, 1_000_000_190, 1_000_000_200, id="one-second period"),
    ],
)
def test_query_window_follows_kedas_arithmetic(
    now: int, period: int, offset: int, collection: int, start: int, end: int
) -> None:
    window = cloudwatch_source.query_window(now, period, offset, collection)
    assert (window[0].timestamp(), window[1].timestamp()) == (start, end)


def test_request_carries_every_query_parameter_via_stubber() -> None:
    """moto answers nothing for expressions and ignores units and accounts: check what AWS would be sent."""
    client = boto3.client("cloudwatch", region_name="us-east-1")
    metric = triggers.parse(trigger(metricUnit="Count", awsAccountId="210987654321", metricStat="p99"), None).read
    expression = triggers.parse({**trigger(), "expression": "SELECT MAX(Backlog) FROM App"}, None).read
    assert isinstance(metric, cloudwatch_source.MetricRead) and isinstance(expression, cloudwatch_source.MetricRead)
    start, end = metric.window(1_000_000_000)
    expected = {
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampDescending",
        "MetricDataQueries": [
            {
                "Id": "kw0",
                "ReturnData": True,
                "AccountId": "210987654321",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "App",
                        "MetricName": "Backlog",
                        "Dimensions": [{"Name": "Service", "Value": "orders"}, {"Name": "Env", "Value": "prod"}],
                    },
                    "Period": PERIOD,
                    "Stat": "p99",
                    "Unit": "Count",
                },
            },
            {"Id": "kw1", "ReturnData": True, "Expression": "SELECT MAX(Backlog) FROM App", "Period": PERIOD},
        ],
    }
    with Stubber(client) as stub:
        stub.add_response("get_metric_data", {"MetricDataResults": []}, expected)
        outcomes = cloudwatch_api.get_metric_data(client, [metric.query, expression.query], start, end)
    assert outcomes == [(), ()]
    assert all(isinstance(outcome, cloudwatch_api.NoResult) for outcome in outcomes), "no result, not an empty one"


async def test_aws_endpoint_sends_that_triggers_reads_elsewhere(cloudwatch: Any, moto: aws.AwsStandIn) -> None:
    proxy = aws.CountingProxy(moto.url).start()
    try:
        async with running_scaler(policy=TRUSTING) as scaler:
            put(cloudwatch, 64.0, ago=PERIOD * 2)
            assert await scaler.value(trigger(awsEndpoint=proxy.url, metricStat="Sum")) == 64.0
            assert proxy.calls["GetMetricData"] == 1
            assert await scaler.value(trigger()) == 64.0
            assert proxy.calls["GetMetricData"] == 1, "a trigger without awsEndpoint reads through the default endpoint"
    finally:
        proxy.stop()
