"""The operator while AWS fails: throttling and 500s in bursts, and the endpoint gone for a while. It retries
with backoff and loses no desired state: once AWS answers again, every object has exactly its alarm and
dashboard, written from its latest spec."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from kedawatch.operator.resources import crds
from kedawatch.standins import aws
from tests.operator.conftest import Cluster, condition, eventually, operating
from tests.operator.test_alarm_operator import alarm_object
from tests.operator.test_app_operator import app_body
from tests.operator.test_kubernetes_faults import aws_alarms, delete_everything, expected, settles

OBJECTS = tuple(f"f{index}" for index in range(6))


@pytest.fixture
def cloudwatch(moto: aws.AwsStandIn) -> Any:
    """The test's own view of CloudWatch: straight to the stand-in, past the failing proxy the operator goes through."""
    return boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto.url)


def test_bursts_of_throttling_and_500s_delay_but_lose_nothing(
    cluster: Cluster, proxy: aws.CountingProxy, cloudwatch: Any
) -> None:
    proxy.inject(aws.THROTTLING, aws.INTERNAL_ERROR, rate=0.5)
    with operating(cluster):
        for name in OBJECTS:
            cluster.create(alarm_object(name))
        cluster.create(app_body())
        cluster.patch(crds.METRIC_ALARMS, OBJECTS[0], {"spec": {"threshold": 3}})
        eventually(lambda: proxy.injected.total() >= 10)
        proxy.heal()
        settles(cluster, cloudwatch, expected(("otlp-consumer",), alarm_objects=OBJECTS))
        assert aws_alarms(cloudwatch)[f"prod/default/{OBJECTS[0]}"] == 3.0, "the latest spec, not the first"
        delete_everything(cluster, cloudwatch)


def test_an_unreachable_aws_is_waited_out(cluster: Cluster, proxy: aws.CountingProxy, cloudwatch: Any) -> None:
    port = int(proxy.url.rsplit(":", 1)[1])
    with operating(cluster):
        proxy.stop()
        for name in OBJECTS:
            cluster.create(alarm_object(name))
        found = eventually(lambda: condition(cluster, crds.METRIC_ALARMS, OBJECTS[0], "Synced"))
        assert (found["status"], found["reason"]) == ("False", "AwsUnavailable")
        assert found["message"] == "AWS unavailable in DescribeAlarms: ConnectionError; retrying with backoff"
        assert aws_alarms(cloudwatch) == {}
        back = aws.CountingProxy(proxy.upstream, port=port).start()
        try:
            settles(cluster, cloudwatch, expected(alarm_objects=OBJECTS))
            delete_everything(cluster, cloudwatch)
        finally:
            back.stop()
