"""PromQL alarms (`evaluationCriteria.promQLCriteria` and `evaluationInterval`): every rule AWS states, refused alike
by the CRD's CEL and the operator, the query parsed by the scaler's PromQL parser, the members sent in AWS's case;
and through the reconciler against the AWS stand-in: put, repaired when changed out of band, and the breaching
series (DescribeAlarmContributors) in the status, read only for alarms in ALARM."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest

from kedawatch.aws import promql_syntax
from kedawatch.operator.reconcilers import alarms
from kedawatch.operator.resources import fields, legacy
from kedawatch.operator.resources.metric_alarm import METRIC_ALARM, NOT_WITH_PROMQL
from kedawatch.standins import aws
from tests.operator import test_alarm_reconciler
from tests.operator.test_alarm_reconciler import ALARM_PARAMS, SPEC, Harness
from tests.operator.test_alarm_schemas import SINGLE, assert_rules_agree

harness = test_alarm_reconciler.harness
"""The alarm reconciler's harness: the operator's context against the AWS stand-in, its calls counted."""

QUERY = 'sum by (service) (rate({"http.server.request.duration_count", "http.response.status_code"=~"5.."}[5m])) > 5'
PROMQL: dict[str, Any] = {
    "evaluationCriteria": {"promQLCriteria": {"query": QUERY, "pendingPeriod": 120, "recoveryPeriod": 300}},
    "evaluationInterval": 60,
    "alarmActions": ["arn:aws:sns:us-east-1:123456789012:oncall"],
}
CLASSIC_VALUES: dict[str, Any] = {
    **SINGLE,
    "unit": "Count",
    "extendedStatistic": "p99",
    "thresholdMetricId": "band",
    "datapointsToAlarm": 1,
    "evaluationWindow": {"slidingWindow": {}},
    "treatMissingData": "breaching",
    "evaluateLowSampleCountPercentile": "ignore",
}


def with_criteria(**criteria: Any) -> dict[str, Any]:
    return {**PROMQL, "evaluationCriteria": {"promQLCriteria": criteria}}


RULES = [
    pytest.param(PROMQL, None, id="a PromQL alarm"),
    pytest.param(with_criteria(query="up == 0"), None, id="only a query"),
    pytest.param({**PROMQL, "warmUp": {"warmUpPeriodDurationInMinutes": 5}, "description": "5xx"}, None, id="with a warm-up"),
    *(
        pytest.param({**PROMQL, key: CLASSIC_VALUES[key]}, f"{key} must not be set with evaluationCriteria", id=f"{key} beside it")
        for key in NOT_WITH_PROMQL
    ),
    pytest.param({**PROMQL, "metricName": "x"}, "exactly one of metricName (a single metric), metrics (metric math) or evaluationCriteria", id="metricName beside it"),
    pytest.param({**PROMQL, "metrics": [{"id": "e", "expression": "1"}]}, "exactly one of metricName", id="metrics beside it"),
    pytest.param({key: value for key, value in PROMQL.items() if key != "evaluationInterval"}, "evaluationCriteria needs evaluationInterval", id="no interval"),
    pytest.param({**SINGLE, "evaluationInterval": 60}, "evaluationInterval goes with evaluationCriteria only", id="an interval without criteria"),
    pytest.param({**PROMQL, "evaluationInterval": 90}, "evaluationInterval must be 10, 20, 30 or a multiple of 60", id="an interval of 90"),
    pytest.param({**PROMQL, "evaluationInterval": 20}, None, id="an interval of 20"),
    pytest.param({key: value for key, value in SINGLE.items() if key != "evaluationPeriods"}, "evaluationPeriods is required, unless evaluationCriteria is set", id="a classic alarm without evaluationPeriods"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "refusal"), RULES)
def test_promql_alarm_rules_agree_in_cel_and_python(spec: dict[str, Any], refusal: str | None) -> None:
    assert_rules_agree(METRIC_ALARM, spec, refusal)


def test_each_classic_field_beside_criteria_is_refused_by_its_name() -> None:
    problems = fields.validate(METRIC_ALARM, {**PROMQL, "period": 60, "threshold": 5, "comparisonOperator": "GreaterThanThreshold"})  # fmt: skip
    assert [problem.split(" must not")[0] for problem in problems] == [
        "spec: comparisonOperator", "spec: period", "spec: threshold",
    ]  # fmt: skip


FIELDS = [
    pytest.param(with_criteria(query="sum(rate(x[5m])"), "spec.evaluationCriteria.promQLCriteria.query: 'sum(rate(x[5m])' is not valid PromQL: unclosed left parenthesis", id="a syntax error"),
    pytest.param(with_criteria(query="x{"), "spec.evaluationCriteria.promQLCriteria.query: 'x{' is not valid PromQL: unexpected end of input inside braces", id="an open selector"),
    pytest.param(with_criteria(query="scalar(sum(x)) > bool 5"), "spec.evaluationCriteria.promQLCriteria.query: 'scalar(sum(x)) > bool 5' is a scalar, not an instant vector", id="a scalar"),
    pytest.param(with_criteria(query="errors[5m]"), "spec.evaluationCriteria.promQLCriteria.query: 'errors[5m]' is a range vector", id="a range vector"),
    pytest.param(with_criteria(query='"five"'), "spec.evaluationCriteria.promQLCriteria.query: '\"five\"' is a string, not an instant vector", id="a string"),
    pytest.param(with_criteria(query="vector(1) > 0"), None, id="a number made a vector"),
    pytest.param(with_criteria(query="x" * (promql_syntax.MAX_LENGTH + 1)), "spec.evaluationCriteria.promQLCriteria.query: 'xxxxx", id="past what kedawatch parses"),
    pytest.param(with_criteria(query="x" * 10001), "spec.evaluationCriteria.promQLCriteria.query: too long: 10001 characters, at most 10000", id="past AWS's 10,000"),
    pytest.param(with_criteria(query=""), "spec.evaluationCriteria.promQLCriteria.query: '' should be non-empty", id="an empty query"),
    pytest.param(with_criteria(pendingPeriod=120), "spec.evaluationCriteria.promQLCriteria: 'query' is a required property", id="no query"),
    pytest.param(with_criteria(query="up", pendingPeriod=86400, recoveryPeriod=0), None, id="a day and nothing"),
    pytest.param(with_criteria(query="up", pendingPeriod=86401), "spec.evaluationCriteria.promQLCriteria.pendingPeriod: 86401 is greater than the maximum of 86400", id="a pending period over a day"),
    pytest.param(with_criteria(query="up", recoveryPeriod=-1), "spec.evaluationCriteria.promQLCriteria.recoveryPeriod: -1 is less than the minimum of 0", id="a negative recovery period"),
    pytest.param(with_criteria(query="up", recoveryPeriod=1.5), "spec.evaluationCriteria.promQLCriteria.recoveryPeriod: 1.5 is not of type 'integer'", id="a fraction of a second"),
    pytest.param(with_criteria(query="up", keepFiringFor=60), "spec.evaluationCriteria.promQLCriteria.keepFiringFor: unknown field", id="a Prometheus rule's key"),
    pytest.param({**PROMQL, "evaluationCriteria": {}}, "spec.evaluationCriteria: {} should be non-empty", id="no criterion"),
    pytest.param({**PROMQL, "evaluationInterval": 5}, "spec.evaluationInterval: 5 is less than the minimum of 10", id="an interval of 5"),
    pytest.param({**PROMQL, "evaluationInterval": 3660}, "spec.evaluationInterval: 3660 is greater than the maximum of 3600", id="an interval over an hour"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "refusal"), FIELDS)
def test_bad_promql_members_are_refused_naming_the_field(spec: dict[str, Any], refusal: str | None) -> None:
    problems = fields.validate(METRIC_ALARM, spec)
    if refusal is None:
        assert problems == []
    else:
        assert any(problem.startswith(refusal) for problem in problems), problems


def test_a_query_longer_than_kedawatch_parses_is_refused_with_the_limit_without_quoting_it_whole() -> None:
    (problem,) = fields.validate(METRIC_ALARM, with_criteria(query="x" * 3000))
    assert problem.endswith(f"must be at most {promql_syntax.MAX_LENGTH} characters, not 3000")
    assert len(problem) < 200


def test_the_promql_members_reach_cloudwatch_in_awss_case() -> None:
    assert METRIC_ALARM.aws_params(PROMQL) == {
        "EvaluationCriteria": {"PromQLCriteria": {"Query": QUERY, "PendingPeriod": 120, "RecoveryPeriod": 300}},
        "EvaluationInterval": 60,
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:oncall"],
    }


def test_the_reference_controllers_pascal_case_carries_a_promql_alarm() -> None:
    spec, unknown = legacy.to_native(
        METRIC_ALARM,
        {"EvaluationCriteria": {"PromQLCriteria": {"Query": "up == 0", "PendingPeriod": 60}}, "EvaluationInterval": 30},
    )
    assert unknown == [] and fields.validate(METRIC_ALARM, spec) == []
    assert spec["evaluationCriteria"] == {"promQLCriteria": {"query": "up == 0", "pendingPeriod": 60}}
    assert METRIC_ALARM.aws_params(spec)["EvaluationCriteria"] == {"PromQLCriteria": {"Query": "up == 0", "PendingPeriod": 60}}  # fmt: skip


# --- through the reconciler, against the AWS stand-in ---------------------------------------------------------


@pytest.fixture
def every_sweep(harness: Harness) -> Harness:
    """The harness whose every state read sweeps AWS again (no sweep is young enough to reuse)."""
    fresh = dataclasses.replace(harness.ctx.settings, state_interval=0.0, drift_interval=0.0)
    return dataclasses.replace(harness, ctx=dataclasses.replace(harness.ctx, settings=fresh))


def contributor(index: int) -> dict[str, Any]:
    return {
        "ContributorId": f"c{index}",
        "ContributorAttributes": {"service": f"svc-{index}", "http.response.status_code": "503"},
        "StateReason": f"svc-{index} breached for 120 s",
        "StateTransitionedTimestamp": datetime.datetime(2026, 12, 1, 10, index, tzinfo=datetime.UTC),
    }


async def test_a_promql_alarm_is_put_starts_ok_and_an_unchanged_spec_writes_nothing(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj(PROMQL), harness.ctx)
    assert (status["conditions"][0]["reason"], status["state"]) == ("Synced", "OK")
    alarm = harness.alarm()
    assert alarm is not None and alarm["StateValue"] == "OK"
    assert alarm["EvaluationCriteria"] == {"PromQLCriteria": {"Query": QUERY, "PendingPeriod": 120, "RecoveryPeriod": 300}}  # fmt: skip
    assert alarm["EvaluationInterval"] == 60 and "Threshold" not in alarm
    harness.calls.clear()
    status = await alarms.reconcile_alarm(harness.obj(PROMQL, status), harness.ctx)
    await alarms.repair_drift(harness.obj(PROMQL, status), harness.ctx)
    assert harness.writes() == 0


async def test_a_promql_alarm_without_pending_or_recovery_periods_is_not_rewritten(harness: Harness) -> None:
    spec = with_criteria(query="up == 0")
    status = await alarms.reconcile_alarm(harness.obj(spec), harness.ctx)
    harness.calls.clear()
    await alarms.repair_drift(harness.obj(spec, status), harness.ctx)
    assert harness.writes() == 0


OUT_OF_BAND = [
    pytest.param({"EvaluationCriteria": {"PromQLCriteria": {"Query": "up == 0", "PendingPeriod": 120, "RecoveryPeriod": 300}}}, id="another query"),
    pytest.param({"EvaluationCriteria": {"PromQLCriteria": {"Query": QUERY}}}, id="no pending or recovery period"),
    pytest.param({"EvaluationInterval": 300}, id="another interval"),
]  # fmt: skip


@pytest.mark.parametrize("change", OUT_OF_BAND)
async def test_a_promql_alarm_changed_out_of_band_is_put_back(harness: Harness, change: dict[str, Any]) -> None:
    status = await alarms.reconcile_alarm(harness.obj(PROMQL), harness.ctx)
    params = {**METRIC_ALARM.aws_params(PROMQL), "AlarmName": status["alarmName"]}
    harness.cloudwatch.put_metric_alarm(**{**params, **change})
    await alarms.repair_drift(harness.obj(PROMQL, status), harness.ctx)
    alarm = harness.alarm()
    assert alarm is not None
    assert (alarm["EvaluationCriteria"], alarm["EvaluationInterval"]) == (params["EvaluationCriteria"], 60)


async def test_a_promql_alarm_made_a_classic_one_out_of_band_is_put_back(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj(PROMQL), harness.ctx)
    harness.cloudwatch.put_metric_alarm(AlarmName=status["alarmName"], **ALARM_PARAMS)
    await alarms.repair_drift(harness.obj(PROMQL, status), harness.ctx)
    alarm = harness.alarm()
    assert alarm is not None and "MetricName" not in alarm
    assert alarm["EvaluationCriteria"]["PromQLCriteria"]["Query"] == QUERY


async def test_contributors_are_read_only_in_alarm_and_again_only_when_its_state_moves(every_sweep: Harness, moto: aws.AwsStandIn) -> None:  # fmt: skip
    harness = every_sweep
    status = await alarms.reconcile_alarm(harness.obj(PROMQL), harness.ctx)
    observed, _ = await alarms.observe_alarm(harness.obj(PROMQL, status), harness.ctx)
    assert (observed["state"], observed["breachingSeries"], observed["contributors"]) == ("OK", 0, [])
    assert harness.calls["DescribeAlarmContributors"] == 0
    moto.alarms.set_contributors(status["alarmName"], [contributor(index) for index in range(7)])
    harness.cloudwatch.set_alarm_state(AlarmName=status["alarmName"], StateValue="ALARM", StateReason="7 breaching")
    patch, changed = await alarms.observe_alarm(harness.obj(PROMQL, {**status, **observed}), harness.ctx)
    assert (changed, patch["breachingSeries"], len(patch["contributors"])) == ("ALARM", 7, 5)
    assert patch["contributors"][0] == {
        "id": "c0", "attributes": {"service": "svc-0", "http.response.status_code": "503"},
        "stateReason": "svc-0 breached for 120 s", "since": "2026-12-01T10:00:00+00:00",
    }  # fmt: skip
    assert harness.calls["DescribeAlarmContributors"] == 1
    shown = {**status, **observed, **patch}
    quiet = dataclasses.replace(harness.ctx, settings=dataclasses.replace(harness.ctx.settings, drift_interval=3600.0))
    again, _ = await alarms.observe_alarm(harness.obj(PROMQL, shown), quiet)
    assert "breachingSeries" not in again and harness.calls["DescribeAlarmContributors"] == 1
    moto.alarms.set_contributors(status["alarmName"], [contributor(0)])
    harness.cloudwatch.set_alarm_state(AlarmName=status["alarmName"], StateValue="ALARM", StateReason="1 breaching")
    moved, _ = await alarms.observe_alarm(harness.obj(PROMQL, shown), quiet)
    assert (moved["breachingSeries"], harness.calls["DescribeAlarmContributors"]) == (1, 2)
    stale, _ = await alarms.observe_alarm(harness.obj(PROMQL, {**shown, **moved}), harness.ctx)
    assert stale["breachingSeries"] == 1 and harness.calls["DescribeAlarmContributors"] == 3, "past drift_interval"


async def test_a_classic_alarm_in_alarm_reads_no_contributors(every_sweep: Harness) -> None:
    status = await alarms.reconcile_alarm(every_sweep.obj(SPEC), every_sweep.ctx)
    every_sweep.cloudwatch.set_alarm_state(AlarmName=status["alarmName"], StateValue="ALARM", StateReason="9 pods")
    observed, _ = await alarms.observe_alarm(every_sweep.obj(SPEC, status), every_sweep.ctx)
    assert observed["state"] == "ALARM" and "breachingSeries" not in observed
    assert every_sweep.calls["DescribeAlarmContributors"] == 0


async def test_contributors_aws_refuses_leave_the_state_mirrored_and_say_why(proxy: aws.CountingProxy, every_sweep: Harness) -> None:  # fmt: skip
    harness = every_sweep
    status = await alarms.reconcile_alarm(harness.obj(PROMQL), harness.ctx)
    harness.cloudwatch.set_alarm_state(AlarmName=status["alarmName"], StateValue="ALARM", StateReason="breaching")
    denied = "User is not authorized to perform: cloudwatch:DescribeAlarmContributors"
    proxy.choose = lambda operation, _: (
        aws.Fault(400, "AccessDenied", message=denied) if operation == "DescribeAlarmContributors" else None
    )
    observed, changed = await alarms.observe_alarm(harness.obj(PROMQL, status), harness.ctx)
    assert (changed, observed["state"], "breachingSeries" in observed) == ("ALARM", "ALARM", False)
    assert observed["contributorsError"] == f"AWS access denied in DescribeAlarmContributors: AccessDenied: {denied}"
    proxy.heal()
    again, _ = await alarms.observe_alarm(harness.obj(PROMQL, {**status, **observed}), harness.ctx)
    assert (again["breachingSeries"], again["contributorsError"]) == (0, "")
