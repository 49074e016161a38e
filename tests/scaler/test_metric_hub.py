"""The MetricHub's promises: values reused while fresh, one read per value however many ask, and one
trigger's bad query never failing its neighbours in a batch."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable
from typing import Any, TypeVar

import boto3
import pytest
from botocore.stub import Stubber

from kedawatch import settings
from kedawatch.aws import cloudwatch, errors
from kedawatch.standins import aws
from kedawatch.standins.clock import FakeClock
from tests.scaler.conftest import Scaler, running_scaler, until

T = TypeVar("T")


def distinct_metrics(count: int, **extra: str) -> list[dict[str, str]]:
    """Trigger metadata for `count` CloudWatch metrics that differ only in a dimension's value."""
    common = {"namespace": "App", "metricName": "M", "dimensionName": "I", "targetMetricValue": "1", **extra}
    return [{**common, "dimensionValue": str(i)} for i in range(count)]


async def gathered(scaler: Scaler, clock: FakeClock, reads: Awaitable[T], misses: float, wait: float) -> T:
    """`reads`, once `misses` reads in all have reached the hub and `wait` seconds of gathering have passed."""
    task = asyncio.ensure_future(reads)
    await until(lambda: scaler.metric("kedawatch_hub_reads_total", answer="miss") >= misses, within=30)
    await clock.advance(wait)
    return await task


async def test_a_value_is_reused_within_its_freshness_window(moto: aws.AwsStandIn, queue_url: str) -> None:
    clock = FakeClock()
    async with running_scaler(clock=clock) as scaler:
        for _ in range(10):
            await scaler.value({"queueURL": queue_url})
            await scaler.active({"queueURL": queue_url})
        await clock.advance(4.9)
        await scaler.value({"queueURL": queue_url})
        assert scaler.aws_calls("GetQueueAttributes") == 1
        await clock.advance(0.2)
        await scaler.value({"queueURL": queue_url})
        assert scaler.aws_calls("GetQueueAttributes") == 2


async def test_concurrent_askers_wait_for_one_in_flight_read(moto: aws.AwsStandIn, sqs: Any) -> None:
    urls = [sqs.create_queue(QueueName=f"q{index}")["QueueUrl"] for index in range(3)]
    async with running_scaler() as scaler:
        asks = [scaler.value({"queueURL": urls[index % 3], "queueLength": str(index + 1)}) for index in range(300)]
        await asyncio.gather(*asks)
        assert scaler.aws_calls("GetQueueAttributes") == 3
        assert scaler.metric("kedawatch_hub_reads_total", answer="miss") == 3


def stubbed_cloudwatch() -> Any:
    """moto accepts any expression: AWS's ValidationError and per-query errors come from botocore's Stubber."""
    return boto3.client("cloudwatch", region_name="us-east-1")


WINDOW = (
    datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 1, 1, 0, 5, tzinfo=datetime.UTC),
)
GOOD = cloudwatch.MetricQuery(60, namespace="App", metric_name="Good", dimensions=(("A", "b"),))
BAD = cloudwatch.MetricQuery(60, expression="SUM(")


def result(query_id: str, *values: float) -> dict[str, Any]:
    stamps = [WINDOW[1] - datetime.timedelta(minutes=i + 1) for i in range(len(values))]
    return {"Id": query_id, "Label": query_id, "StatusCode": "Complete", "Values": list(values), "Timestamps": stamps}


def test_an_invalid_query_fails_only_its_own_trigger_via_stubber() -> None:
    client = stubbed_cloudwatch()
    with Stubber(client) as stub:
        stub.add_client_error("get_metric_data", "ValidationError", "Invalid expression SUM(", 400)
        stub.add_response("get_metric_data", {"MetricDataResults": [result("kw0", 3.0, 1.0)]})
        stub.add_client_error("get_metric_data", "ValidationError", "Invalid expression SUM(", 400)
        good, bad = cloudwatch.get_metric_data(client, [GOOD, BAD], *WINDOW)
    assert good == (3.0, 1.0)
    assert isinstance(bad, errors.AwsError) and bad.code == "ValidationError"


def test_a_query_the_service_could_not_answer_fails_alone_via_stubber() -> None:
    client = stubbed_cloudwatch()
    failed = {"Id": "kw1", "StatusCode": "InternalError", "Messages": [{"Code": "InternalError", "Value": "try later"}]}
    with Stubber(client) as stub:
        stub.add_response("get_metric_data", {"MetricDataResults": [result("kw0", 5.0), failed]})
        good, bad = cloudwatch.get_metric_data(client, [GOOD, GOOD], *WINDOW)
    assert good == (5.0,)
    assert isinstance(bad, errors.AwsError) and bad.failure is errors.Failure.UNAVAILABLE


def test_pages_are_merged_newest_first_via_stubber() -> None:
    client = stubbed_cloudwatch()
    with Stubber(client) as stub:
        stub.add_response("get_metric_data", {"MetricDataResults": [result("kw0", 2.0)], "NextToken": "more"})
        later = result("kw0", 9.0)
        later["Timestamps"] = [WINDOW[1]]
        stub.add_response("get_metric_data", {"MetricDataResults": [later]})
        (values,) = cloudwatch.get_metric_data(client, [GOOD], *WINDOW)
    assert values == (9.0, 2.0)


def test_a_search_answers_its_first_series_as_keda_does_via_stubber() -> None:
    """moto evaluates no SEARCH: its one result per series, all under the query's Id, comes from Stubber."""
    client = stubbed_cloudwatch()
    first, second = result("kw0", 3.0), result("kw0", 9.0)
    first["Label"], second["Label"] = "orders", "payments"
    later = {**result("kw0", 1.0), "Label": "orders", "Timestamps": [WINDOW[0]]}
    with Stubber(client) as stub:
        stub.add_response("get_metric_data", {"MetricDataResults": [first, second], "NextToken": "more"})
        stub.add_response("get_metric_data", {"MetricDataResults": [later]})
        (values,) = cloudwatch.get_metric_data(client, [GOOD], *WINDOW)
    assert values == (3.0, 1.0), "the first series, its later page included; not the other series' 9"


@pytest.mark.parametrize("count", [1, 499, 500, 501, 1200])
async def test_cloudwatch_batches_hold_at_most_500_queries(moto: aws.AwsStandIn, count: int) -> None:
    metadata = distinct_metrics(count)
    async with running_scaler(settings.HubSettings(gather_delay=3.0, gather_limit=10.0, rpc_timeout=30.0)) as scaler:
        await asyncio.gather(*(scaler.value(m, deadline=60) for m in metadata))
        assert scaler.aws_calls("GetMetricData") == -(-count // 500)
        assert scaler.metric("kedawatch_cloudwatch_metrics_requested_total") == count


async def test_a_stale_metric_refreshes_its_whole_group_in_one_call(moto: aws.AwsStandIn) -> None:
    """KEDA asks each trigger on its own schedule; the group still costs one call per freshness window."""
    clock = FakeClock()
    metadata = distinct_metrics(100, metricStatPeriod="60")
    async with running_scaler(settings.HubSettings(gather_delay=1.0, gather_limit=5.0), clock=clock) as scaler:
        await gathered(scaler, clock, asyncio.gather(*(scaler.value(m) for m in metadata)), misses=100, wait=1.0)
        await clock.advance(35)  # past half the 60 s freshness: due soon, still fresh
        await asyncio.gather(*(scaler.value(m) for m in metadata[:50]))
        assert scaler.aws_calls("GetMetricData") == 1
        await clock.advance(30)
        await gathered(scaler, clock, scaler.value(metadata[0]), misses=101, wait=1.0)
        for m in metadata[1:]:  # one after another, as KEDA's polls arrive
            await scaler.value(m)
        assert scaler.aws_calls("GetMetricData") == 2
        assert scaler.metric("kedawatch_cloudwatch_metrics_requested_total") == 200


async def test_values_nobody_asks_for_are_not_refreshed_ahead(moto: aws.AwsStandIn) -> None:
    clock = FakeClock()
    metadata = distinct_metrics(3, metricStatPeriod="60")
    async with running_scaler(settings.HubSettings(gather_delay=0.2, gather_limit=5.0), clock=clock) as scaler:
        await gathered(scaler, clock, asyncio.gather(*(scaler.value(m) for m in metadata)), misses=3, wait=0.2)
        await clock.advance(130)  # metric 1 and 2's triggers are gone: not asked for two windows
        await gathered(scaler, clock, scaler.value(metadata[0]), misses=4, wait=0.2)
        assert scaler.metric("kedawatch_cloudwatch_metrics_requested_total") == 4
