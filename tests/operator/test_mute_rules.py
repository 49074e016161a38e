"""CloudWatchAlarmMuteRule: its rules in CEL and in the operator, its schedule checked as CloudWatch reads it, and
what an object does to CloudWatch through the AWS stand-in: create, update, drift, delete, retain, adopt,
conflict, targets resolved (and refused beyond 100), state and the next window."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from kedawatch import tenancy
from kedawatch.aws import mute_schedules
from kedawatch.operator import kernel
from kedawatch.operator.reconcilers import mute_rules
from kedawatch.operator.resources import crds, fields, mute_rule
from tests.operator import test_alarm_reconciler
from tests.operator.test_alarm_reconciler import ALARM_PARAMS, Harness
from tests.operator.test_alarm_schemas import assert_rules_agree
from tests.schedules import WEEKLY_AWAY

harness = test_alarm_reconciler.harness
"""The alarm reconciler's harness: the operator's context against the AWS stand-in, its calls counted."""

KIND = crds.MUTE_RULES.spec
NOW = datetime.datetime.now(datetime.UTC)
RULE: dict[str, Any] = {
    "schedule": {"expression": WEEKLY_AWAY, "duration": "PT4H", "timezone": "Europe/Berlin"},
    "targets": {"alarms": [{"name": "pods"}]},
}


def at(moment: datetime.datetime) -> str:
    return f"at({moment:%Y-%m-%dT%H:%M})"


def stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


RULES = [
    pytest.param(RULE, None, id="a weekly window over one alarm"),
    pytest.param({**RULE, "targets": {"selector": {"matchLabels": {"team": "otlp"}}}}, None, id="a selector"),
    pytest.param({**RULE, "targets": {}}, "targets is exactly one of alarms (references) or selector (labels)", id="no targets"),
    pytest.param({**RULE, "targets": {"alarms": [{"name": "a"}], "selector": {}}}, "targets is exactly one of", id="both ways"),
    pytest.param({**RULE, "targets": {"selector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["a"]}, {"key": "tier", "operator": "Exists"}]}}}, None, id="expressions"),
    pytest.param({**RULE, "targets": {"selector": {"matchExpressions": [{"key": "team", "operator": "In"}]}}}, "In and NotIn need values", id="In without values"),
    pytest.param({**RULE, "targets": {"selector": {"matchExpressions": [{"key": "team", "operator": "Exists", "values": ["a"]}]}}}, "Exists and DoesNotExist take none", id="Exists with values"),
    pytest.param({**RULE, "startDate": "2026-12-01T00:00:00Z", "expireDate": "2027-01-01T00:00:00Z"}, None, id="a month of it"),
    pytest.param({**RULE, "startDate": "2027-01-01T00:00:00Z", "expireDate": "2027-01-01T00:00:00Z"}, "expireDate must be after startDate", id="expiring as it starts"),
    pytest.param({**RULE, "tags": {"aws:x": "y"}}, "must not start with aws:", id="an aws: tag"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "refusal"), RULES)
def test_mute_rule_rules_agree_in_cel_and_python(spec: dict[str, Any], refusal: str | None) -> None:
    assert_rules_agree(KIND, spec, refusal)


def schedule(**changes: str) -> dict[str, Any]:
    return {**RULE, "schedule": {**RULE["schedule"], **changes}}


FIELDS = [
    pytest.param(schedule(expression="rate(5 minutes)"), "spec.schedule.expression: 'rate(5 minutes)' does not match", id="a rate"),
    pytest.param(schedule(expression="cron(0 2 * *)"), "spec.schedule: Invalid cron() expression 'cron(0 2 * *)': it takes 5 fields", id="a cron of four fields"),
    pytest.param(schedule(expression="cron(0 25 * * *)"), "spec.schedule: Invalid cron() hours field value '25': it must be 0-23", id="hour 25"),
    pytest.param(schedule(expression="cron(0 2 * * SUNDAY)"), "spec.schedule: Invalid cron() day-of-week field value 'SUNDAY'", id="a day spelt out"),
    pytest.param(schedule(expression="at(2026-02-30T10:00)"), "spec.schedule: Invalid at() expression 'at(2026-02-30T10:00)'", id="30 February"),
    pytest.param(schedule(duration="PT30S"), "spec.schedule: Duration PT30S must be from 1 minute (PT1M) to 15 days (P15D)", id="half a minute"),
    pytest.param(schedule(duration="P16D"), "spec.schedule: Duration P16D must be from 1 minute", id="16 days"),
    pytest.param(schedule(duration="4h"), "spec.schedule.duration: '4h' does not match", id="a duration not in ISO 8601"),
    pytest.param(schedule(timezone="Mars/Olympus"), "spec.schedule: Invalid Timezone 'Mars/Olympus'", id="a time zone that does not exist"),
    pytest.param({**RULE, "startDate": "next monday"}, "spec.startDate: 'next monday' is not an RFC 3339 date-time", id="a start that is no date"),
    pytest.param({**RULE, "targets": {"alarms": [{"name": f"a{i}"} for i in range(101)]}}, "spec.targets.alarms: too many: 101 items, at most 100", id="101 references"),
    pytest.param({**RULE, "targets": {"alarms": [{"name": "a", "kind": "Deployment"}]}}, "spec.targets.alarms.0.kind: 'Deployment' is not one of", id="a reference to no alarm kind"),
    pytest.param({**RULE, "targets": {"alarms": []}}, "spec.targets.alarms: [] should be non-empty", id="no references"),
    pytest.param({**RULE, "muteRuleName": "m" * 256}, "spec.muteRuleName: too long: 256 characters, at most 255", id="a name of 256"),
    pytest.param({**RULE, "description": "d" * 1025}, "spec.description: too long: 1025 characters", id="a description of 1025"),
    pytest.param({**RULE, "alarmName": "x"}, "spec.alarmName: unknown field", id="an alarm's field"),
    pytest.param(schedule(expression="cron(0 2 * JAN-MAR MON-FRI)"), None, id="weekdays in the first quarter"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "refusal"), FIELDS)
def test_bad_mute_rules_are_refused_naming_the_field(spec: dict[str, Any], refusal: str | None) -> None:
    problems = fields.validate(KIND, spec)
    if refusal is None:
        assert problems == []
    else:
        assert any(problem.startswith(refusal) for problem in problems), problems


SELECTORS = [
    pytest.param({}, {"a": "1"}, True, id="an empty selector selects all"),
    pytest.param({"matchLabels": {"team": "otlp"}}, {"team": "otlp", "tier": "1"}, True, id="matching labels"),
    pytest.param({"matchLabels": {"team": "otlp"}}, {"team": "web"}, False, id="another value"),
    pytest.param({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["1", "2"]}]}, {"tier": "2"}, True, id="In"),
    pytest.param({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["1"]}]}, {}, False, id="In without the label"),
    pytest.param({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["1"]}]}, {}, True, id="NotIn without the label"),
    pytest.param({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["1"]}]}, {"tier": "1"}, False, id="NotIn"),
    pytest.param({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {"tier": ""}, True, id="Exists"),
    pytest.param({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {"tier": "1"}, False, id="DoesNotExist"),
]  # fmt: skip


@pytest.mark.parametrize(("selector", "labels", "selected"), SELECTORS)
def test_a_selector_selects_as_kubernetes_does(
    selector: dict[str, Any], labels: dict[str, str], selected: bool
) -> None:
    assert mute_rule.selected(selector, labels) is selected


def test_the_next_window_of_a_cron_schedule_is_read_in_its_time_zone() -> None:
    weekly = mute_schedules.Schedule.parse("cron(0 2 * * SUN)", "PT4H", "Europe/Berlin")
    saturday = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.UTC)
    assert weekly.next_start(saturday) == datetime.datetime(2026, 12, 6, 1, 0, tzinfo=datetime.UTC)
    assert weekly.open_until(datetime.datetime(2026, 12, 6, 3, 0, tzinfo=datetime.UTC)) == datetime.datetime(
        2026, 12, 6, 5, 0, tzinfo=datetime.UTC
    )
    assert weekly.open_until(saturday) is None
    never = mute_schedules.Schedule.parse("cron(0 0 31 2 *)", "PT1H")
    assert never.next_start(saturday) is None


def candidate(name: str, alarm_name: str = "", region: str = "us-east-1", **labels: str) -> mute_rules.Candidate:
    return mute_rules.Candidate(crds.METRIC_ALARMS.kind, name, labels, alarm_name, region)


def rule_object(
    spec: dict[str, Any],
    status: dict[str, Any] | None = None,
    candidates: list[mute_rules.Candidate] | None = None,
    **meta: Any,
) -> mute_rules.MuteRuleObject:
    metadata = {"name": "maintenance", "namespace": "default", "uid": "uid-m", "generation": 1, **meta}
    body = {"metadata": metadata, "spec": spec, "status": status or {}}
    return mute_rules.MuteRuleObject(crds.MUTE_RULES, body, candidates or [])


def put_alarm(harness: Harness, name: str) -> mute_rules.Candidate:
    harness.cloudwatch.put_metric_alarm(AlarmName=name, **ALARM_PARAMS)
    return candidate(name.rsplit("/", 1)[-1], name)


def rule_in_aws(harness: Harness, name: str = "prod/default/maintenance") -> dict[str, Any] | None:
    try:
        return dict(harness.cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName=name))
    except harness.cloudwatch.exceptions.ResourceNotFoundException:
        return None


async def test_a_mute_rule_is_put_over_its_targets_alarms_with_owner_tags(harness: Harness) -> None:
    pods = put_alarm(harness, "prod/default/pods")
    status = await mute_rules.reconcile_mute_rule(rule_object(RULE, candidates=[pods]), harness.ctx)
    assert status["conditions"][0]["reason"] == "Synced", status
    found = rule_in_aws(harness)
    assert found is not None
    assert found["MuteTargets"] == {"AlarmNames": ["prod/default/pods"]}
    assert found["Rule"]["Schedule"] == {"Expression": WEEKLY_AWAY, "Duration": "PT4H", "Timezone": "Europe/Berlin"}
    tags = harness.cloudwatch.list_tags_for_resource(ResourceARN=found["AlarmMuteRuleArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == rule_object(RULE).owner("prod").tags()
    assert (status["muteRuleName"], status["state"], status["targets"], status["targetCount"]) == (
        "prod/default/maintenance", "SCHEDULED", ["prod/default/pods"], 1,
    )  # fmt: skip
    assert status["nextWindowStart"] > stamp(NOW) and status["activeUntil"] == ""
    harness.calls.clear()
    await mute_rules.refresh_mute_rule(rule_object(RULE, status, [pods]), harness.ctx)
    assert harness.writes() == 0


async def test_a_changed_spec_updates_the_rule_and_drift_is_repaired(harness: Harness) -> None:
    pods = put_alarm(harness, "prod/default/pods")
    status = await mute_rules.reconcile_mute_rule(rule_object(RULE, candidates=[pods]), harness.ctx)
    changed = {**RULE, "schedule": {"expression": "cron(0 3 * * *)", "duration": "PT1H"}, "description": "nightly"}
    status = await mute_rules.reconcile_mute_rule(rule_object(changed, status, [pods], generation=2), harness.ctx)
    found = rule_in_aws(harness)
    assert (found["Rule"]["Schedule"]["Expression"], found["Description"]) == ("cron(0 3 * * *)", "nightly")  # type: ignore[index]
    harness.cloudwatch.put_alarm_mute_rule(Name="prod/default/maintenance", Rule={"Schedule": {"Expression": "cron(0 9 * * *)", "Duration": "PT8H"}})  # fmt: skip
    harness.calls.clear()
    await mute_rules.refresh_mute_rule(rule_object(changed, status, [pods], generation=2), harness.ctx)
    found = rule_in_aws(harness)
    assert found["Rule"]["Schedule"]["Expression"] == "cron(0 3 * * *)"  # type: ignore[index]
    assert found["MuteTargets"] == {"AlarmNames": ["prod/default/pods"]}  # type: ignore[index]
    assert harness.calls["PutAlarmMuteRule"] == 1


async def test_deleting_removes_the_rule_and_retain_keeps_it(harness: Harness) -> None:
    status = await mute_rules.reconcile_mute_rule(rule_object(RULE), harness.ctx)
    await mute_rules.delete_mute_rule(rule_object({**RULE, "deletionPolicy": "Retain"}, status), harness.ctx)
    assert rule_in_aws(harness) is not None
    await mute_rules.delete_mute_rule(rule_object(RULE, status), harness.ctx)
    assert rule_in_aws(harness) is None
    await mute_rules.delete_mute_rule(rule_object(RULE, status), harness.ctx)


async def test_a_foreign_rule_is_left_alone_until_adopted(harness: Harness) -> None:
    harness.cloudwatch.put_alarm_mute_rule(Name="prod/default/maintenance", Rule={"Schedule": {"Expression": "cron(0 9 * * *)", "Duration": "PT8H"}})  # fmt: skip
    status = await mute_rules.reconcile_mute_rule(rule_object(RULE), harness.ctx)
    assert status["conditions"][0]["reason"] == "Conflict"
    assert "annotate kedawatch.io/adopt=true" in status["conditions"][0]["message"]
    await mute_rules.delete_mute_rule(rule_object(RULE, status), harness.ctx)
    assert rule_in_aws(harness)["Rule"]["Schedule"]["Expression"] == "cron(0 9 * * *)"  # type: ignore[index]
    adopting = rule_object(RULE, annotations={"kedawatch.io/adopt": "true"})
    adopted = await mute_rules.reconcile_mute_rule(adopting, harness.ctx)
    assert adopted["conditions"][0]["reason"] == "Synced"
    assert rule_in_aws(harness)["Rule"]["Schedule"]["Expression"] == WEEKLY_AWAY  # type: ignore[index]


async def test_renaming_deletes_the_old_rule(harness: Harness) -> None:
    status = await mute_rules.reconcile_mute_rule(rule_object(RULE), harness.ctx)
    await mute_rules.reconcile_mute_rule(rule_object({**RULE, "muteRuleName": "otlp-maintenance"}, status), harness.ctx)
    assert rule_in_aws(harness) is None and rule_in_aws(harness, "otlp-maintenance") is not None


async def test_an_open_window_shows_as_active_until_it_closes(harness: Harness) -> None:
    opened = NOW - datetime.timedelta(minutes=10)
    spec = {**RULE, "schedule": {"expression": at(opened), "duration": "PT1H"}}
    status = await mute_rules.reconcile_mute_rule(rule_object(spec), harness.ctx)
    assert (status["state"], status["active"]) == ("ACTIVE", True)
    assert status["activeUntil"] == stamp(opened.replace(second=0, microsecond=0) + datetime.timedelta(hours=1))
    assert status["nextWindowStart"] == "", "a one-time window has no next one"


async def test_the_next_window_waits_for_the_start_date_and_stops_at_the_expire_date(harness: Harness) -> None:
    start = (NOW + datetime.timedelta(days=3)).replace(hour=12, minute=0, second=0, microsecond=0)
    spec = {**RULE, "schedule": {"expression": "cron(0 12 * * *)", "duration": "PT2H"},
            "startDate": stamp(start), "expireDate": stamp(start + datetime.timedelta(hours=1))}  # fmt: skip
    status = await mute_rules.reconcile_mute_rule(rule_object(spec), harness.ctx)
    assert status["state"] == "SCHEDULED"
    assert (status["nextWindowStart"], status["nextWindowEnd"]) == (
        stamp(start), stamp(start + datetime.timedelta(hours=1)),
    )  # fmt: skip
    harness.calls.clear()
    await mute_rules.refresh_mute_rule(rule_object(spec, status), harness.ctx)
    assert harness.writes() == 0, "the dates AWS answers are the same instants"


async def test_targets_resolve_to_synced_alarms_of_the_rules_region_and_name_the_others(harness: Harness) -> None:
    pods = put_alarm(harness, "prod/default/pods")
    spec = {**RULE, "targets": {"selector": {"matchLabels": {"team": "otlp"}}}}
    candidates = [
        candidate("pods", pods.alarm_name, team="otlp"),
        candidate("queue", team="otlp"),
        candidate("eu", "prod/default/eu", region="eu-west-1", team="otlp"),
        candidate("web", "prod/default/web", team="web"),
        mute_rules.Candidate(
            crds.METRIC_ALARMS.kind, "going", {"team": "otlp"}, "prod/default/going", "us-east-1", True
        ),
    ]
    status = await mute_rules.reconcile_mute_rule(rule_object(spec, candidates=candidates), harness.ctx)
    assert status["targets"] == ["prod/default/pods"]
    assert status["unresolvedTargets"] == [
        "CloudWatchMetricAlarm/eu: its alarm is in eu-west-1, not us-east-1",
        "CloudWatchMetricAlarm/queue: its alarm is not synced yet",
    ]
    referenced = {**RULE, "targets": {"alarms": [{"name": "pods"}, {"name": "gone"}, {"kind": crds.LOG_ALARMS.kind, "name": "pods"}]}}  # fmt: skip
    status = await mute_rules.reconcile_mute_rule(rule_object(referenced, status, candidates), harness.ctx)
    assert status["targets"] == ["prod/default/pods"]
    assert status["unresolvedTargets"] == [
        "CloudWatchLogAlarm/pods: no such object", "CloudWatchMetricAlarm/gone: no such object",
    ]  # fmt: skip


async def test_more_than_100_targets_are_refused_with_a_condition_and_no_write(harness: Harness) -> None:
    candidates = [candidate(f"a{i}", f"prod/default/a{i}", team="big") for i in range(101)]
    spec = {**RULE, "targets": {"selector": {"matchLabels": {"team": "big"}}}}
    status = await mute_rules.reconcile_mute_rule(rule_object(spec, candidates=candidates), harness.ctx)
    (synced,) = status["conditions"]
    assert (synced["status"], synced["reason"]) == ("False", "TooManyTargets")
    assert synced["message"].startswith("the targets resolve to 101 alarms, and a mute rule mutes 100 at most")
    assert (status["targetCount"], harness.calls) == (101, {})
    harness.calls.clear()
    assert await mute_rules.refresh_mute_rule(rule_object(spec, status, candidates), harness.ctx) == {}
    assert harness.calls == {}, "the same targets are not tried again"


async def test_a_target_deleted_before_the_write_is_retried(harness: Harness) -> None:
    gone = candidate("pods", "prod/default/pods")
    with pytest.raises(kernel.Retry) as retry:
        await mute_rules.reconcile_mute_rule(rule_object(RULE, candidates=[gone]), harness.ctx)
    assert retry.value.status is not None
    assert retry.value.status["conditions"][0]["reason"] == "AlarmsMissing"


async def test_a_region_the_policy_refuses_is_denied_without_an_aws_call(harness: Harness) -> None:
    policy = tenancy.parse({"default": {"regions": ["eu-west-1"]}}, "123456789012", "prod")
    ctx = kernel.Context(harness.ctx.settings, harness.ctx.store, policy)
    status = await mute_rules.reconcile_mute_rule(rule_object(RULE), ctx)
    (synced,) = status["conditions"]
    assert (synced["reason"], harness.calls) == ("Denied", {})
    assert synced["message"] == (
        "namespace 'default' may not use awsRegion 'us-east-1': tenancy rule default allows eu-west-1"
    )


async def test_an_invalid_rule_never_reaches_aws(harness: Harness) -> None:
    spec = {**RULE, "schedule": {"expression": "cron(0 2 * * *)", "duration": "PT20H", "timezone": "Moon/Base"}}
    status = await mute_rules.reconcile_mute_rule(rule_object(spec), harness.ctx)
    (synced,) = status["conditions"]
    assert (synced["reason"], synced["message"], harness.calls) == (
        "InvalidSpec", "spec.schedule: Invalid Timezone 'Moon/Base': give an IANA time zone such as America/New_York", {},
    )  # fmt: skip
