"""The tenant policy in the real operator: an alarm whose actions, or an app whose roles, regions or actions
the namespace's rule does not allow is refused with a Denied condition and a Warning Event naming the rule,
and nothing reaches AWS or the cluster."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kedawatch.operator.resources import crds
from kedawatch.standins import aws
from tests.operator.conftest import FAST, Cluster, condition, eventually, operating
from tests.operator.test_alarm_operator import alarm_object, synced
from tests.operator.test_app_operator import app_body
from tests.operator.test_app_rendering import SQS_TRIGGER
from tests.operator.test_spec_edges import warnings

OWN_TOPIC = "arn:aws:sns:us-east-1:123456789012:team-a-pager"
POLICY = {
    "namespaces": [
        {"match": ["default"], "regions": ["us-east-1"], "actionArns": ["arn:aws:sns:*:{account}:team-a-*"]},
    ]
}


@pytest.fixture
def restricted(cluster: Cluster, moto: aws.AwsStandIn, tmp_path: Path) -> Iterator[Cluster]:
    """The operator with a policy that gives `default` no role, one region and its own topics only."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICY))
    with operating(cluster, dataclasses.replace(FAST, policy=policy)):
        yield cluster


def written_after(cluster: Cluster, cloudwatch: Any) -> list[str]:
    """CloudWatch's alarms but for an allowed one created now and seen written: the operator has moved on since
    what came before it, so nothing denied is still on its way to AWS."""
    cluster.create(alarm_object("allowed", alarmActions=[OWN_TOPIC]))
    eventually(lambda: synced(cluster, "allowed"))
    names = [alarm["AlarmName"] for alarm in cloudwatch.describe_alarms()["MetricAlarms"]]
    return [name for name in names if name != "prod/default/allowed"]


def test_an_alarm_calling_another_teams_topic_is_denied_and_never_written(restricted: Cluster, cloudwatch: Any) -> None:
    foreign = "arn:aws:sns:us-east-1:123456789012:team-b-pager"
    restricted.create(alarm_object(alarmActions=[OWN_TOPIC, foreign]))
    found = eventually(lambda: condition(restricted, crds.METRIC_ALARMS, "pods", "Synced"))
    assert (found["status"], found["reason"]) == ("False", "Denied")
    assert found["message"] == (
        f"namespace 'default' may not use action '{foreign}':"
        " tenancy rule namespaces[0] (default) allows arn:aws:sns:*:123456789012:team-a-*"
    )
    assert eventually(lambda: warnings(restricted, "pods")) == [("Denied", found["message"])]
    assert written_after(restricted, cloudwatch) == [], "a denied alarm never reaches AWS"
    restricted.patch(crds.METRIC_ALARMS, "pods", {"spec": {"alarmActions": [OWN_TOPIC]}})
    eventually(lambda: cloudwatch.describe_alarms(AlarmNames=["prod/default/pods"])["MetricAlarms"])


@pytest.mark.parametrize(
    ("trigger", "denied"),
    [
        (SQS_TRIGGER, "awsRoleArn 'arn:aws:iam::123456789012:role/reader'"),
        ({"sqs": {**SQS_TRIGGER["sqs"], "region": "eu-west-1", "roleArn": None}}, "awsRegion 'eu-west-1'"),
    ],
    ids=["role", "region"],
)
def test_an_app_the_policy_refuses_is_denied_whole(
    restricted: Cluster, cloudwatch: Any, trigger: dict[str, Any], denied: str
) -> None:
    app = app_body()
    app["spec"]["scaling"]["triggers"] = [{"sqs": {k: v for k, v in trigger["sqs"].items() if v is not None}}]
    restricted.create(app)
    found = eventually(lambda: condition(restricted, crds.APPS, "otlp-consumer", "Ready"))
    assert (found["status"], found["reason"]) == ("False", "Denied")
    assert f"namespace 'default' may not use {denied}: tenancy rule namespaces[0] (default)" in found["message"]
    assert found["message"].endswith("nothing was created or changed")
    assert written_after(restricted, cloudwatch) == [], "no alarm of the denied app"
    assert restricted.get(crds.SCALED_OBJECTS, "otlp-consumer") is None
    assert cloudwatch.list_dashboards()["DashboardEntries"] == []
