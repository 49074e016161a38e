"""A metric alarm's newer PutMetricAlarm members (evaluationWindow, warmUp, actionConfiguration, and evaluationInterval
beside the classic fields; PromQL alarms are tests/operator/test_promql_alarms.py's):
each rule refused alike by the CRD's CEL and the operator, the members reaching CloudWatch in AWS's case, drift in
them repaired, and no write on every resync for a member that DescribeAlarms does not answer."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from kedawatch.operator.reconcilers import alarms
from kedawatch.operator.resources import crds, fields, legacy
from kedawatch.operator.resources.metric_alarm import METRIC_ALARM
from kedawatch.standins import aws
from tests.operator import test_alarm_reconciler
from tests.operator.test_alarm_reconciler import SPEC, Harness
from tests.operator.test_alarm_schemas import BAND, MATH, SINGLE, assert_rules_agree

harness = test_alarm_reconciler.harness
"""The alarm reconciler's harness: the operator's context against the AWS stand-in, its calls counted."""

WALL_CLOCK = {"wallClockWindow": {"timezone": "Europe/Berlin"}}
PROPAGATE = {"alarmTagsPropagation": {"enabled": True, "includedTagKeys": ["team"]}}
WARM_UP = {"warmUpPeriodDurationInMinutes": 30, "onlyStartEvaluatingAfterWarmUpPeriodEnds": True}
NEWER = {"evaluationWindow": WALL_CLOCK, "warmUp": WARM_UP, "actionConfiguration": PROPAGATE}


def with_window(spec: dict[str, Any], window: dict[str, Any]) -> dict[str, Any]:
    return {**spec, "evaluationWindow": window}


RULES = [
    pytest.param({**SINGLE, **NEWER}, None, id="every newer member"),
    pytest.param(with_window(SINGLE, {"slidingWindow": {}}), None, id="a sliding window"),
    pytest.param(with_window(SINGLE, {"wallClockWindow": {}}), None, id="a wall clock in UTC"),
    pytest.param(with_window(SINGLE, {}), "evaluationWindow is exactly one of", id="an empty window"),
    pytest.param(with_window(SINGLE, {**WALL_CLOCK, "slidingWindow": {}}), "evaluationWindow is exactly one of", id="both windows"),
    pytest.param(with_window({**SINGLE, "period": 120}, WALL_CLOCK), "a wallClockWindow needs a period of 60, 300", id="a wall clock of 2 minutes"),
    pytest.param(with_window({**SINGLE, "period": 86400, "evaluationPeriods": 1}, WALL_CLOCK), None, id="a wall clock of a day"),
    pytest.param(with_window(MATH, WALL_CLOCK), None, id="a wall clock over metric math of minutes"),
    pytest.param(with_window({**MATH, "metrics": [*MATH["metrics"][:2], {**MATH["metrics"][2], "period": 600}]}, WALL_CLOCK), "a wallClockWindow needs", id="a wall clock over an expression of 10 minutes"),
    pytest.param(with_window({**BAND, "metrics": [{**BAND["metrics"][0], "metricStat": {**BAND["metrics"][0]["metricStat"], "period": 120}}, BAND["metrics"][1]]}, WALL_CLOCK), "a wallClockWindow needs", id="a wall clock over a band of 2 minutes"),
    pytest.param({**SINGLE, "evaluationInterval": 60}, "evaluationInterval goes with evaluationCriteria only", id="an interval without criteria"),
    pytest.param({**SINGLE, "evaluationInterval": 90}, "evaluationInterval must be 10, 20, 30 or a multiple of 60", id="an interval of 90"),
    pytest.param({**SINGLE, "actionConfiguration": {"alarmTagsPropagation": {"enabled": True, "includedTagKeys": ["a"], "excludedTagKeys": ["b"]}}}, "takes includedTagKeys or excludedTagKeys, not both", id="both tag key lists"),
    pytest.param({**SINGLE, "actionConfiguration": {"alarmTagsPropagation": {"enabled": False}}}, None, id="propagation off"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "refusal"), RULES)
def test_the_newer_members_rules_agree_in_cel_and_python(spec: dict[str, Any], refusal: str | None) -> None:
    assert_rules_agree(METRIC_ALARM, spec, refusal)


FIELDS = [
    pytest.param({"warmUp": {"warmUpPeriodDurationInMinutes": 2881}}, "spec.warmUp.warmUpPeriodDurationInMinutes: 2881 is greater than the maximum of 2880", id="a warm-up over two days"),
    pytest.param({"warmUp": {"warmUpPeriodDurationInMinutes": 0}}, "spec.warmUp.warmUpPeriodDurationInMinutes: 0 is less than the minimum of 1", id="a warm-up of nothing"),
    pytest.param({"warmUp": {"onlyStartEvaluatingAfterWarmUpPeriodEnds": True}}, "spec.warmUp: 'warmUpPeriodDurationInMinutes' is a required property", id="a warm-up without its length"),
    pytest.param({"evaluationInterval": 5}, "spec.evaluationInterval: 5 is less than the minimum of 10", id="an interval of 5"),
    pytest.param({"evaluationInterval": 7200}, "spec.evaluationInterval: 7200 is greater than the maximum of 3600", id="an interval of two hours"),
    pytest.param({"evaluationCriteria": {}}, "spec.evaluationCriteria: {} should be non-empty", id="empty criteria"),
    pytest.param({"evaluationWindow": {"slidingWindow": {"size": 3}}}, "spec.evaluationWindow.slidingWindow.size: unknown field", id="a sliding window with a member"),
    pytest.param({"evaluationWindow": {"wallClockWindow": {"timezone": "Berlin time"}}}, "spec.evaluationWindow.wallClockWindow.timezone: 'Berlin time' does not match", id="a time zone that is no name"),
    pytest.param({"evaluationWindow": {"wallClockWindow": {"timezone": "Mars/Olympus"}}}, "spec.evaluationWindow.wallClockWindow.timezone: 'Mars/Olympus' must be an IANA time zone", id="a time zone that does not exist"),
    pytest.param({"evaluationWindow": {"wallClockWindow": {"timezone": "+05:31"}}}, "spec.evaluationWindow.wallClockWindow.timezone: '+05:31' must be", id="an offset off the 5-minute steps"),
    pytest.param({"evaluationWindow": {"wallClockWindow": {"timezone": "UTC+05:30"}}}, None, id="an offset from UTC"),
    pytest.param({"evaluationWindow": {"wallClockWindow": {"timezone": "+15:00"}}}, "spec.evaluationWindow.wallClockWindow.timezone: '+15:00' must be", id="no offset past 14 hours"),
    pytest.param({"actionConfiguration": {"alarmTagsPropagation": {}}}, "spec.actionConfiguration.alarmTagsPropagation: 'enabled' is a required property", id="propagation unsaid"),
    pytest.param({"actionConfiguration": {"alarmTagsPropagation": {"enabled": True, "includedTagKeys": []}}}, "spec.actionConfiguration.alarmTagsPropagation.includedTagKeys: [] should be non-empty", id="no keys to include"),
    pytest.param({"actionConfiguration": {"alarmTagsPropagation": {"enabled": True, "excludedTagKeys": ["k" * 129]}}}, "spec.actionConfiguration.alarmTagsPropagation.excludedTagKeys.0: too long: 129 characters", id="a tag key of 129"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "refusal"), FIELDS)
def test_bad_newer_members_are_refused_naming_the_field(change: dict[str, Any], refusal: str | None) -> None:
    problems = fields.validate(METRIC_ALARM, {**SINGLE, "period": 60, **change})
    if refusal is None:
        assert problems == []
    else:
        assert any(problem.startswith(refusal) for problem in problems), problems


def test_the_newer_members_reach_cloudwatch_in_awss_case() -> None:
    params = METRIC_ALARM.aws_params({**SINGLE, "period": 60, **NEWER})
    assert params["EvaluationWindow"] == {"WallClockWindow": {"Timezone": "Europe/Berlin"}}
    assert params["WarmUpConfiguration"] == {
        "WarmUpPeriodDurationInMinutes": 30, "OnlyStartEvaluatingAfterWarmUpPeriodEnds": True,
    }  # fmt: skip
    assert params["ActionConfiguration"] == {"AlarmTagsPropagation": {"Enabled": True, "IncludedTagKeys": ["team"]}}


def test_the_reference_controllers_pascal_case_carries_them_too() -> None:
    spec, unknown = legacy.to_native(
        METRIC_ALARM,
        {"MetricName": "m", "Namespace": "n", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
         "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
         "EvaluationWindow": {"WallClockWindow": {"Timezone": "UTC"}},
         "WarmUpConfiguration": {"WarmUpPeriodDurationInMinutes": 10},
         "ActionConfiguration": {"AlarmTagsPropagation": {"Enabled": True}}},
    )  # fmt: skip
    assert unknown == [] and fields.validate(METRIC_ALARM, spec) == []
    assert spec["warmUp"] == {"warmUpPeriodDurationInMinutes": 10}
    assert METRIC_ALARM.aws_params(spec)["EvaluationWindow"] == {"WallClockWindow": {"Timezone": "UTC"}}


NEW_SPEC = {**SPEC, "period": 60, **NEWER}


async def test_the_newer_members_are_put_and_an_unchanged_spec_writes_nothing(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj(NEW_SPEC), harness.ctx)
    alarm = harness.alarm()
    assert alarm is not None and status["conditions"][0]["reason"] == "Synced"
    assert alarm["EvaluationWindow"] == {"WallClockWindow": {"Timezone": "Europe/Berlin"}}
    assert alarm["WarmUpConfiguration"]["WarmUpPeriodDurationInMinutes"] == 30
    assert alarm["ActionConfiguration"]["AlarmTagsPropagation"]["IncludedTagKeys"] == ["team"]
    harness.calls.clear()
    await alarms.repair_drift(harness.obj(NEW_SPEC, status), harness.ctx)
    assert harness.writes() == 0


async def test_drift_in_a_newer_member_is_repaired(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj(NEW_SPEC), harness.ctx)
    changed = {**METRIC_ALARM.aws_params(NEW_SPEC), "AlarmName": status["alarmName"]}
    # Each drift check here is a drift interval after the last: it sweeps anew.
    ctx = dataclasses.replace(harness.ctx, settings=dataclasses.replace(harness.ctx.settings, drift_interval=0.0))
    harness.cloudwatch.put_metric_alarm(**{**changed, "WarmUpConfiguration": {"WarmUpPeriodDurationInMinutes": 5}})
    await alarms.repair_drift(harness.obj(NEW_SPEC, status), ctx)
    assert harness.alarm()["WarmUpConfiguration"]["WarmUpPeriodDurationInMinutes"] == 30  # type: ignore[index]
    harness.cloudwatch.put_metric_alarm(**{**changed, "EvaluationWindow": {"SlidingWindow": {}}})
    await alarms.repair_drift(harness.obj(NEW_SPEC, status), ctx)
    assert harness.alarm()["EvaluationWindow"] == {"WallClockWindow": {"Timezone": "Europe/Berlin"}}  # type: ignore[index]


async def test_a_wall_clock_window_put_out_of_band_is_repaired_to_the_default_sliding_one(harness: Harness) -> None:
    spec = {**SPEC, "period": 60}
    status = await alarms.reconcile_alarm(harness.obj(spec), harness.ctx)
    params = {**METRIC_ALARM.aws_params(spec), "AlarmName": status["alarmName"]}
    harness.cloudwatch.put_metric_alarm(**params, EvaluationWindow={"WallClockWindow": {}})
    await alarms.repair_drift(harness.obj(spec, status), harness.ctx)
    assert "WallClockWindow" not in harness.alarm().get("EvaluationWindow", {})  # type: ignore[union-attr]


async def test_members_describe_alarms_does_not_answer_cause_no_write_on_resync(
    harness: Harness, moto: aws.AwsStandIn
) -> None:
    moto.alarms.leave_out("EvaluationWindow", "WarmUpConfiguration", "ActionConfiguration")
    status = await alarms.reconcile_alarm(harness.obj(NEW_SPEC), harness.ctx)
    harness.calls.clear()
    for _ in range(3):
        status = await alarms.reconcile_alarm(harness.obj(NEW_SPEC, status), harness.ctx)
        await alarms.repair_drift(harness.obj(NEW_SPEC, status), harness.ctx)
    assert harness.writes() == 0
    changed = await alarms.reconcile_alarm(harness.obj({**NEW_SPEC, "threshold": 9}, status, generation=2), harness.ctx)
    assert (changed["conditions"][0]["reason"], harness.calls["PutMetricAlarm"]) == ("Synced", 1)


def test_every_alarm_kind_declares_how_cloudwatch_holds_it() -> None:
    puts = {definition.kind: definition.spec.alarm for definition in crds.ALARM_DEFINITIONS}
    assert all(api is not None for api in puts.values())
    assert {kind: api.alarm_type for kind, api in puts.items() if api} == {
        "CloudWatchMetricAlarm": "MetricAlarm", "cloudwatchmetricalarm": "MetricAlarm",
        "CloudWatchCompositeAlarm": "CompositeAlarm", "cloudwatchcompositalarm": "CompositeAlarm",
        "CloudWatchLogAlarm": "LogAlarm",
    }  # fmt: skip
