"""Which alarms a `cw.aws.com` object takes over without being asked: only the one the reference controller made
for that very object, of its own type, that no kedawatch object has claimed. The reconciler against the AWS
stand-in over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from kedawatch.operator.reconcilers import alarms
from kedawatch.operator.resources import crds
from tests.operator import test_alarm_reconciler as reconciler

harness = reconciler.harness
NAME = "default-otlp-consumer"
"""The reference controller's name of the harness's object (`<namespace>-<name>`)."""
MADE = f"{NAME}: Alarm Made by K8s Cloudwatch Adapter"
LEGACY_SPEC = {
    "MetricName": "m", "CloudwatchMetricNamespace": "Other", "Statistic": "Sum", "Period": 60,
    "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
}  # fmt: skip


def legacy(h: reconciler.Harness, **changes: Any) -> alarms.AlarmObject:
    return h.obj(**{"spec": LEGACY_SPEC, "definition": crds.LEGACY_METRIC_ALARMS, **changes})


def synced(status: dict[str, Any]) -> tuple[str, str]:
    (condition,) = status["conditions"]
    return condition["reason"], condition["message"]


async def test_the_reference_controllers_alarm_is_adopted_and_tagged(harness: reconciler.Harness) -> None:
    harness.cloudwatch.put_metric_alarm(AlarmName=NAME, AlarmDescription=MADE, **reconciler.ALARM_PARAMS)
    status = await alarms.reconcile_alarm(legacy(harness), harness.ctx)
    assert synced(status) == ("Synced", "the alarm matches the spec; adopted, and tagged as this object's")
    assert harness.tags(NAME)["kedawatch.io/kind"] == crds.LEGACY_METRIC_ALARMS.kind
    again = await alarms.reconcile_alarm(legacy(harness, status=status), harness.ctx)
    assert synced(again) == ("Synced", "the alarm matches the spec")


@pytest.mark.parametrize(
    ("alarm", "obj"),
    [
        pytest.param({"AlarmDescription": "by hand"}, {}, id="another description"),
        pytest.param({"Tags": [{"Key": "kedawatch.io/cluster", "Value": "other"}]}, {}, id="claimed by kedawatch"),
        pytest.param({}, {"definition": crds.LEGACY_COMPOSITE_ALARMS, "spec": {"AlarmRule": "FALSE"}}, id="composite"),
        pytest.param(
            {}, {"definition": reconciler.NATIVE, "spec": {**reconciler.SPEC, "alarmName": NAME}}, id="native"
        ),
        pytest.param(
            {"AlarmName": "default-other", "AlarmDescription": "default-other: Alarm Made by K8s Cloudwatch Adapter"},
            {"spec": {**LEGACY_SPEC, "AlarmName": "default-other"}},
            id="made for another object",
        ),
    ],
)
async def test_any_other_alarm_of_the_name_is_a_conflict_and_left_alone(
    harness: reconciler.Harness, alarm: dict[str, Any], obj: dict[str, Any]
) -> None:
    params = {"AlarmName": NAME, "AlarmDescription": MADE, **reconciler.ALARM_PARAMS, **alarm}
    harness.cloudwatch.put_metric_alarm(**params)
    status = await alarms.reconcile_alarm(legacy(harness, **obj), harness.ctx)
    assert synced(status)[0] == "Conflict"
    await alarms.delete_alarm(legacy(harness, **obj), harness.ctx)
    assert harness.alarm(params["AlarmName"]) is not None
    assert harness.writes() == 0


async def test_deleting_the_object_deletes_the_reference_controllers_alarm(harness: reconciler.Harness) -> None:
    harness.cloudwatch.put_metric_alarm(AlarmName=NAME, AlarmDescription=MADE, **reconciler.ALARM_PARAMS)
    await alarms.delete_alarm(legacy(harness), harness.ctx)  # as the reference controller did, adopted or not
    assert harness.alarm(NAME) is None


async def test_a_reference_name_over_255_characters_is_shortened(harness: reconciler.Harness) -> None:
    status = await alarms.reconcile_alarm(legacy(harness, name="x" * 253), harness.ctx)
    name = status["alarmName"]
    assert len(name) == 255 and name.startswith("default-xxx")
    assert harness.alarm(name) is not None


async def test_an_alarm_name_in_the_spec_is_kept(harness: reconciler.Harness) -> None:
    status = await alarms.reconcile_alarm(legacy(harness, spec={**LEGACY_SPEC, "AlarmName": "pods"}), harness.ctx)
    assert (status["alarmName"], harness.alarm("pods") is not None) == ("pods", True)


async def test_the_rule_aws_applies_to_anomaly_bands_is_kept_for_legacy_manifests(harness: reconciler.Harness) -> None:
    band = {"EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanUpperThreshold", "ThresholdMetricId": "ad1",
            "Metrics": [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "A", "MetricName": "m"}, "Period": 60,
                                                    "Stat": "p95"}},
                        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "ReturnData": False}]}  # fmt: skip
    status = await alarms.reconcile_alarm(legacy(harness, spec=band), harness.ctx)
    reason, message = synced(status)
    assert reason == "InvalidSpec" and "exactly two queries in metrics must have returnData true" in message
    assert harness.writes() == 0


async def test_an_alarm_an_earlier_kedawatch_named_moves_to_the_reference_name(harness: reconciler.Harness) -> None:
    earlier = "prod/default/otlp-consumer"
    status = await alarms.reconcile_alarm(legacy(harness, spec={**LEGACY_SPEC, "AlarmName": earlier}), harness.ctx)
    moved = await alarms.reconcile_alarm(legacy(harness, status=status), harness.ctx)
    assert (moved["alarmName"], harness.alarm(earlier), harness.alarm(NAME) is not None) == (NAME, None, True)
