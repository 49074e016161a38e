"""Metric math over several queries in one trigger (`metricDataQueries`, GetMetricData's own shape): its
returned query is the value, and lists of many triggers share GetMetricData calls without their ids meeting,
counted query by query toward the call's 500."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import grpc
import pytest

from kedawatch import settings
from kedawatch.standins import aws
from tests.scaler.conftest import Scaler, running_scaler
from tests.scaler.test_cloudwatch_metric import PERIOD, put

GATHERING = settings.HubSettings(gather_delay=0.5, gather_limit=10.0, rpc_timeout=30.0)


def metric(query_id: str, service: str, returned: bool = True) -> dict[str, Any]:
    dimensions = [{"Name": "Service", "Value": service}, {"Name": "Env", "Value": "prod"}]
    stat = {"Metric": {"Namespace": "App", "MetricName": "Backlog", "Dimensions": dimensions}, "Period": PERIOD,
            "Stat": "Maximum"}  # fmt: skip
    return {"Id": query_id, "MetricStat": stat, "ReturnData": returned}


def trigger(queries: list[dict[str, Any]], **overrides: str) -> dict[str, str]:
    return {
        "metricDataQueries": json.dumps(queries),
        "targetMetricValue": "10",
        "metricStatPeriod": str(PERIOD),
        "metricCollectionTime": str(PERIOD * 5),
        **overrides,
    }


async def test_the_returned_query_is_the_triggers_value(scaler: Scaler, cloudwatch: Any) -> None:
    put(cloudwatch, 42.0, ago=PERIOD * 2)
    put(cloudwatch, 5.0, ago=PERIOD * 2, service="payments")
    queries = [metric("orders", "orders"), metric("payments", "payments", False),
               {"Id": "both", "Expression": "orders + payments", "ReturnData": False}]  # fmt: skip
    assert await scaler.value(trigger(queries)) == 42.0
    spec = (await scaler.stub.GetMetricSpec(scaler.ref(trigger(queries)))).metricSpecs[0]
    assert spec.metricName == "aws-cloudwatch-orders"


async def test_two_triggers_own_ids_never_meet_in_their_shared_call(moto: aws.AwsStandIn, cloudwatch: Any) -> None:
    put(cloudwatch, 1.0, ago=PERIOD * 2)
    put(cloudwatch, 2.0, ago=PERIOD * 2, service="payments")
    async with running_scaler(GATHERING) as scaler:
        lists = ([metric("m1", "orders")], [metric("m1", "payments")])
        values = await asyncio.gather(*(scaler.value(trigger(queries), deadline=60) for queries in lists))
        assert values == [1.0, 2.0]
        assert scaler.aws_calls("GetMetricData") == 1


async def test_lists_count_query_by_query_toward_a_calls_500(moto: aws.AwsStandIn) -> None:
    lists = [[metric(f"m{index}", f"{owner}-{index}", index == 0) for index in range(200)] for owner in range(3)]
    async with running_scaler(GATHERING) as scaler:
        await asyncio.gather(*(scaler.value(trigger(queries), deadline=60) for queries in lists))
        assert scaler.aws_calls("GetMetricData") == 2, "600 queries: 400 in one call, 200 in the next"
        assert scaler.metric("kedawatch_cloudwatch_metrics_requested_total") == 600


async def test_metrics_insights_queries_go_one_a_call(moto: aws.AwsStandIn) -> None:
    """GetMetricData takes one Metrics Insights query a call: two such triggers never share one."""
    insights = [{"Id": "q", "Expression": f'SELECT MAX(Backlog) FROM App WHERE Service = \'{name}\'', "Period": 60}
                for name in ("orders", "payments")]  # fmt: skip
    async with running_scaler(GATHERING) as scaler:
        await asyncio.gather(*(scaler.value(trigger([query]), deadline=60) for query in insights))
        assert scaler.aws_calls("GetMetricData") == 2


@pytest.mark.parametrize(
    ("queries", "overrides", "expected"),
    [
        pytest.param([{"Id": "M1", "MetricStat": metric("x", "orders")["MetricStat"]}], {},
                     "metricDataQueries[0].Id='M1': must start with a lower-case letter", id="id"),
        pytest.param([metric("a", "orders"), {"Id": "b", "Expression": "a + c", "ReturnData": False}], {},
                     "metricDataQueries[1].Expression='a + c': names c, which is no query's Id", id="reference"),
        pytest.param([metric("a", "orders"), metric("b", "payments")], {},
                     "exactly one", id="two returned"),
        pytest.param([metric("a", "orders")], {"namespace": "App"},
                     "namespace goes in metricDataQueries' own queries", id="beside a single metric's key"),
    ],
)  # fmt: skip
async def test_bad_lists_are_refused_naming_the_query_and_key(
    scaler: Scaler, queries: list[dict[str, Any]], overrides: dict[str, str], expected: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await scaler.value(trigger(queries, **overrides))
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert expected in (raised.value.details() or "")
    assert scaler.aws_calls("GetMetricData") == 0
