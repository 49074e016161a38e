"""The AWS stand-in's alarm mute rules and alarm contributors, through boto3 over HTTP."""

from __future__ import annotations

import datetime
from typing import Any

import botocore.exceptions
import pytest

from kedawatch.standins import aws
from tests.schedules import WEEKLY_AWAY
from tests.standins.conftest import arn, error_of, put_alarm

NOW = datetime.datetime.now(datetime.UTC)


def schedule(expression: str, duration: str = "PT1H", **more: str) -> dict[str, Any]:
    return {"Schedule": {"Expression": expression, "Duration": duration, **more}}


def at(moment: datetime.datetime) -> str:
    return f"at({moment.astimezone(datetime.UTC):%Y-%m-%dT%H:%M})"


def status_of(cloudwatch: Any, name: str) -> str:
    return str(cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName=name)["Status"])


def test_a_mute_rule_is_stored_and_answered_with_its_status_and_type(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "pods")
    start, expire = NOW - datetime.timedelta(days=1), NOW + datetime.timedelta(days=30)
    cloudwatch.put_alarm_mute_rule(
        Name="nightly", Description="backups", Rule=schedule("cron(0 23 * * MON-FRI)", "PT2H", Timezone="Europe/Paris"),
        MuteTargets={"AlarmNames": ["pods"]}, StartDate=start, ExpireDate=expire, Tags=[{"Key": "team", "Value": "sre"}],
    )  # fmt: skip
    rule = cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName="nightly")
    assert {key: rule[key] for key in ("Name", "AlarmMuteRuleArn", "Description", "Rule", "MuteTargets", "MuteType")} == {
        "Name": "nightly", "AlarmMuteRuleArn": arn("nightly", "alarm-mute-rule"), "Description": "backups",
        "Rule": schedule("cron(0 23 * * MON-FRI)", "PT2H", Timezone="Europe/Paris"), "MuteTargets": {"AlarmNames": ["pods"]},
        "MuteType": "RECURRING",
    }  # fmt: skip
    assert abs(rule["StartDate"] - start) < datetime.timedelta(milliseconds=1)
    assert abs(rule["ExpireDate"] - expire) < datetime.timedelta(milliseconds=1)
    assert rule["Status"] in ("SCHEDULED", "ACTIVE") and isinstance(rule["LastUpdatedTimestamp"], datetime.datetime)
    tags = cloudwatch.list_tags_for_resource(ResourceARN=arn("nightly", "alarm-mute-rule"))["Tags"]
    assert tags == [{"Key": "team", "Value": "sre"}]


STATUSES = [
    pytest.param(schedule("cron(* * * * *)", "PT1M"), {}, "ACTIVE", id="every minute for a minute: always active"),
    pytest.param(schedule(at(NOW - datetime.timedelta(minutes=10))), {}, "ACTIVE", id="a one-time window open now"),
    pytest.param(schedule(at(NOW + datetime.timedelta(days=2))), {}, "SCHEDULED", id="a one-time window ahead"),
    pytest.param(schedule(at(NOW - datetime.timedelta(hours=3))), {}, "EXPIRED", id="a one-time window over"),
    pytest.param(schedule(f"cron(0 0 1 {(NOW.month + 5) % 12 + 1} *)", "PT1M"), {}, "SCHEDULED", id="once a year for a minute"),
    pytest.param(schedule("cron(* * * * *)"), {"ExpireDate": NOW - datetime.timedelta(minutes=1), "StartDate": NOW - datetime.timedelta(days=1)}, "EXPIRED", id="past its expire date"),
    pytest.param(schedule("cron(* * * * *)"), {"StartDate": NOW + datetime.timedelta(days=1)}, "SCHEDULED", id="before its start date"),
    pytest.param(schedule(f"cron({NOW.minute} {NOW.hour} * * *)", "PT1H", Timezone="UTC"), {}, "ACTIVE", id="a daily window opened this minute"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "dates", "expected"), STATUSES)
def test_a_mute_rules_status_follows_its_schedule_and_dates(cloudwatch: Any, rule: dict[str, Any], dates: dict[str, Any], expected: str) -> None:  # fmt: skip
    cloudwatch.put_alarm_mute_rule(Name="r", Rule=rule, **dates)
    assert status_of(cloudwatch, "r") == expected


REFUSALS = [
    pytest.param(schedule("cron(0 2 * *)"), "it takes 5 fields", id="a cron of four fields"),
    pytest.param(schedule("cron(0 24 * * *)"), "Invalid cron() hours field value '24': it must be 0-23", id="hour 24"),
    pytest.param(schedule("cron(*/5 * * * *)"), "Invalid cron() minutes field value '*/5'", id="a step, which is not supported"),
    pytest.param(schedule("cron(0 2 * FOO *)"), "it must be 1-12 or JAN-DEC", id="a month that is no month"),
    pytest.param(schedule("cron(0 2 * * FRI-MON)"), "give *, a value, a range a-b, or a list a,b", id="a backwards range"),
    pytest.param(schedule("at(2026-13-01T00:00)"), "Invalid at() expression", id="month 13"),
    pytest.param(schedule("rate(5 minutes)"), "give cron(Minutes Hours Day-of-month Month Day-of-week) or at(yyyy-MM-ddThh:mm)", id="a rate"),
    pytest.param(schedule("cron(0 2 * * *)", "PT30S"), "Duration PT30S must be from 1 minute (PT1M) to 15 days (P15D)", id="under a minute"),
    pytest.param(schedule("cron(0 2 * * *)", "P16D"), "Duration P16D must be from 1 minute", id="over 15 days"),
    pytest.param(schedule("cron(0 2 * * *)", "4 hours"), "Invalid Duration '4 hours'", id="a duration not in ISO 8601"),
    pytest.param(schedule("cron(0 2 * * *)", "PT"), "Invalid Duration 'PT'", id="an empty ISO 8601 duration"),
    pytest.param(schedule("cron(0 2 * * *)", Timezone="Mars/Olympus"), "Invalid Timezone 'Mars/Olympus'", id="a time zone that does not exist"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "message"), REFUSALS)
def test_put_alarm_mute_rule_refuses_schedules_the_api_reference_rules_out(cloudwatch: Any, rule: dict[str, Any], message: str) -> None:  # fmt: skip
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cloudwatch.put_alarm_mute_rule(Name="r", Rule=rule)
    code, text, status = error_of(raised)
    assert (code, status) == ("ValidationError", 400) and message in text


def test_a_mute_rule_targets_existing_alarms_and_expires_after_it_starts(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "pods")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cloudwatch.put_alarm_mute_rule(Name="r", Rule=schedule("cron(0 2 * * *)"), MuteTargets={"AlarmNames": ["pods", "gone"]})  # fmt: skip
    assert error_of(raised)[:2] == ("ValidationError", "The mute rule targets alarms that do not exist: [gone]")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cloudwatch.put_alarm_mute_rule(Name="r", Rule=schedule("cron(0 2 * * *)"), StartDate=NOW, ExpireDate=NOW)
    assert error_of(raised)[:2] == ("ValidationError", "ExpireDate must be after StartDate")


def test_mute_rules_are_listed_by_target_and_status_in_pages(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "pods")
    put_alarm(cloudwatch, "cpu")
    cloudwatch.put_alarm_mute_rule(Name="a-now", Rule=schedule("cron(* * * * *)", "PT1M"), MuteTargets={"AlarmNames": ["pods"]})  # fmt: skip
    cloudwatch.put_alarm_mute_rule(Name="b-later", Rule=schedule(at(NOW + datetime.timedelta(days=1))), MuteTargets={"AlarmNames": ["pods", "cpu"]})  # fmt: skip
    cloudwatch.put_alarm_mute_rule(Name="c-other", Rule=schedule(WEEKLY_AWAY), MuteTargets={"AlarmNames": ["cpu"]})
    pods = cloudwatch.list_alarm_mute_rules(AlarmName="pods")["AlarmMuteRuleSummaries"]
    assert [(s["AlarmMuteRuleArn"].rsplit(":", 1)[1], s["Status"], s["MuteType"]) for s in pods] == [
        ("a-now", "ACTIVE", "RECURRING"), ("b-later", "SCHEDULED", "ONE_TIME"),
    ]  # fmt: skip
    active = cloudwatch.list_alarm_mute_rules(Statuses=["ACTIVE"])["AlarmMuteRuleSummaries"]
    assert [s["AlarmMuteRuleArn"] for s in active] == [arn("a-now", "alarm-mute-rule")]
    first = cloudwatch.list_alarm_mute_rules(MaxRecords=2)
    rest = cloudwatch.list_alarm_mute_rules(MaxRecords=2, NextToken=first["NextToken"])
    assert (len(first["AlarmMuteRuleSummaries"]), len(rest["AlarmMuteRuleSummaries"]), "NextToken" in rest) == (
        2,
        1,
        False,
    )


def test_an_update_replaces_a_mute_rule_and_keeps_its_tags(cloudwatch: Any) -> None:
    cloudwatch.put_alarm_mute_rule(Name="r", Rule=schedule("cron(0 2 * * *)"), Tags=[{"Key": "team", "Value": "sre"}])
    cloudwatch.put_alarm_mute_rule(Name="r", Rule=schedule(at(NOW + datetime.timedelta(days=1))), Description="once")
    rule = cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName="r")
    assert (rule["MuteType"], rule["Description"]) == ("ONE_TIME", "once")
    assert cloudwatch.list_tags_for_resource(ResourceARN=rule["AlarmMuteRuleArn"])["Tags"] == [{"Key": "team", "Value": "sre"}]  # fmt: skip


def test_deleting_a_mute_rule_is_idempotent_and_getting_it_then_answers_not_found(cloudwatch: Any) -> None:
    """ "If you delete a mute rule that does not exist, the operation succeeds" (DeleteAlarmMuteRule)"""
    cloudwatch.put_alarm_mute_rule(Name="r", Rule=schedule("cron(0 2 * * *)"))
    cloudwatch.delete_alarm_mute_rule(AlarmMuteRuleName="r")
    cloudwatch.delete_alarm_mute_rule(AlarmMuteRuleName="r")
    with pytest.raises(cloudwatch.exceptions.ResourceNotFoundException) as raised:
        cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName="r")
    assert error_of(raised)[2] == 404


def test_tagging_api_lists_mute_rules_apart_from_alarms(cloudwatch: Any, tagging: Any) -> None:
    put_alarm(cloudwatch, "pods", Tags=[{"Key": "team", "Value": "sre"}])
    cloudwatch.put_alarm_mute_rule(Name="r", Rule=schedule("cron(0 2 * * *)"), Tags=[{"Key": "team", "Value": "sre"}])
    rules = tagging.get_resources(ResourceTypeFilters=["cloudwatch:alarm-mute-rule"])["ResourceTagMappingList"]
    assert [m["ResourceARN"] for m in rules] == [arn("r", "alarm-mute-rule")]
    both = tagging.get_resources(ResourceTypeFilters=["cloudwatch:alarm", "cloudwatch:alarm-mute-rule"])
    assert len(both["ResourceTagMappingList"]) == 2


def test_alarm_contributors_are_what_the_test_sets_and_are_paged(moto: aws.AwsStandIn, cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "errors")
    since = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
    contributors = [
        {"ContributorId": f"c{index:03}", "ContributorAttributes": {"service": f"s{index}"},
         "StateReason": "above 10 for 2 minutes", "StateTransitionedTimestamp": since}
        for index in range(150)
    ]  # fmt: skip
    moto.alarms.set_contributors("errors", contributors)
    first = cloudwatch.describe_alarm_contributors(AlarmName="errors")
    rest = cloudwatch.describe_alarm_contributors(AlarmName="errors", NextToken=first["NextToken"])
    answered = first["AlarmContributors"] + rest["AlarmContributors"]
    assert (len(first["AlarmContributors"]), "NextToken" in rest) == (100, False)
    assert answered == contributors


def test_an_alarm_without_contributors_answers_none_and_an_unknown_alarm_not_found(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "errors")
    assert cloudwatch.describe_alarm_contributors(AlarmName="errors")["AlarmContributors"] == []
    with pytest.raises(cloudwatch.exceptions.ResourceNotFoundException):
        cloudwatch.describe_alarm_contributors(AlarmName="gone")


def test_contributors_go_with_their_alarm(moto: aws.AwsStandIn, cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "errors")
    moto.alarms.set_contributors(
        "errors", [{"ContributorId": "c1", "ContributorAttributes": {}, "StateReason": "high"}]
    )
    cloudwatch.delete_alarms(AlarmNames=["errors"])
    put_alarm(cloudwatch, "errors")
    assert cloudwatch.describe_alarm_contributors(AlarmName="errors")["AlarmContributors"] == []
