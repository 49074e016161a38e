"""CloudWatchLogAlarm: its rules in CEL and in the operator, and what an object does to CloudWatch through the AWS
stand-in (PutLogAlarm, DescribeAlarms for LogAlarm): create, update, drift, delete, retain, adopt, conflict, state,
and the tenant policy's log groups, roles and actions."""

from __future__ import annotations

import collections
from typing import Any

import boto3
import pytest

from kedawatch import settings, tenancy
from kedawatch.aws import clients
from kedawatch.operator import alarm_store, kernel, pacing
from kedawatch.operator.reconcilers import alarms
from kedawatch.operator.resources import crds, fields
from kedawatch.operator.resources.log_alarm import LOG_ALARM
from kedawatch.standins import aws
from tests.operator.test_alarm_reconciler import ACCOUNT, REGION, Harness
from tests.operator.test_alarm_schemas import assert_rules_agree

QUERY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/kedawatch-log-queries"
LOG: dict[str, Any] = {
    "query": 'filter kubernetes.container_name like "otlp-consumer" | filter log like /ERROR/',
    "schedule": {"expression": "rate(5 minutes)", "startTimeOffset": 300},
    "aggregationExpression": "count(*)",
    "queryResultsToEvaluate": 3,
    "queryResultsToAlarm": 2,
    "threshold": 10,
    "comparisonOperator": "GreaterThanOrEqualToThreshold",
    "alarmActions": [f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"],
    "tags": {"team": "otlp"},
}
APPLICATION = "/aws/containerinsights/prod/application"


def without(spec: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in spec.items() if key not in keys}


RULES = [
    pytest.param(LOG, None, id="a log alarm"),
    pytest.param({**LOG, "queryResultsToAlarm": 3}, None, id="3 of 3"),
    pytest.param({**LOG, "queryResultsToAlarm": 4}, "queryResultsToAlarm (M) must not exceed queryResultsToEvaluate (N)", id="4 of 3"),
    pytest.param({**LOG, "schedule": {**LOG["schedule"], "endTimeOffset": 60}}, None, id="a range ending a minute back"),
    pytest.param({**LOG, "schedule": {**LOG["schedule"], "endTimeOffset": 300}}, "schedule.endTimeOffset must be less than", id="a range that ends where it starts"),
    pytest.param({**LOG, "actionLogLineCount": 5}, "actionLogLineCount above 0 needs actionLogLineRoleArn", id="log lines without their role"),
    pytest.param({**LOG, "actionLogLineCount": 5, "actionLogLineRoleArn": QUERY_ROLE}, None, id="log lines with their role"),
    pytest.param({**LOG, "actionLogLineCount": 0}, None, id="no log lines"),
    pytest.param({**LOG, "okActions": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:opsitem:3"], "insufficientDataActions": [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"]}, None, id="OpsItem and Lambda actions"),
    pytest.param({**LOG, "alarmActions": [f"arn:aws:automate:{REGION}:ec2:stop"]}, "a log alarm's actions are SNS topics, Lambda functions", id="an EC2 action"),
    pytest.param({**LOG, "okActions": [f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:x"]}, "a log alarm's actions are", id="an Auto Scaling action"),
    pytest.param({**LOG, "actionConfiguration": {"alarmTagsPropagation": {"enabled": True, "includedTagKeys": ["a"], "excludedTagKeys": ["b"]}}}, "not both", id="both tag key lists"),
    pytest.param({**LOG, "tags": {"aws:team": "x"}}, "must not start with aws:", id="an aws: tag"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "refusal"), RULES)
def test_log_alarm_rules_agree_in_cel_and_python(spec: dict[str, Any], refusal: str | None) -> None:
    assert_rules_agree(LOG_ALARM, spec, refusal)


FIELDS = [
    pytest.param(without(LOG, "query"), "spec: 'query' is a required property", id="no query"),
    pytest.param({**LOG, "query": "x" * 10001}, "spec.query: too long: 10001 characters, at most 10000", id="a query over 10,000"),
    pytest.param({**LOG, "logGroups": []}, "spec.logGroups: [] should be non-empty", id="no log groups"),
    pytest.param({**LOG, "logGroups": [f"g{i}" for i in range(51)]}, "spec.logGroups: too many: 51 items, at most 50", id="51 log groups"),
    pytest.param({**LOG, "schedule": {"expression": "cron(0 * * * *)", "startTimeOffset": 300}}, "spec.schedule.expression: 'cron(0 * * * *)' does not match", id="a cron schedule"),
    pytest.param({**LOG, "schedule": {"expression": "rate(0 minutes)", "startTimeOffset": 300}}, "spec.schedule.expression: 'rate(0 minutes)' does not match", id="a rate of 0"),
    pytest.param({**LOG, "schedule": {"expression": "rate(1 hour)", "startTimeOffset": 2592001}}, "spec.schedule.startTimeOffset: 2592001 is greater than the maximum of 2592000", id="a range over 30 days"),
    pytest.param({**LOG, "schedule": {"expression": "rate(1 hour)", "startTimeOffset": 0}}, "spec.schedule.startTimeOffset: 0 is less than the minimum of 1", id="a range of nothing"),
    pytest.param({**LOG, "schedule": {"expression": "rate(1 hour)"}}, "spec.schedule: 'startTimeOffset' is a required property", id="no start offset"),
    pytest.param({**LOG, "aggregationExpression": ""}, "spec.aggregationExpression: '' should be non-empty", id="no aggregation"),
    pytest.param({**LOG, "queryResultsToEvaluate": 101, "queryResultsToAlarm": 1}, "spec.queryResultsToEvaluate: 101 is greater than the maximum of 100", id="101 results"),
    pytest.param({**LOG, "queryResultsToAlarm": 0}, "spec.queryResultsToAlarm: 0 is less than the minimum of 1", id="0 results to alarm"),
    pytest.param({**LOG, "comparisonOperator": "GreaterThanUpperThreshold"}, "spec.comparisonOperator: 'GreaterThanUpperThreshold' is not one of", id="a band operator"),
    pytest.param({**LOG, "actionLogLineCount": 51, "actionLogLineRoleArn": QUERY_ROLE}, "spec.actionLogLineCount: 51 is greater than the maximum of 50", id="51 log lines"),
    pytest.param({**LOG, "queryRoleArn": "kedawatch-log-queries"}, "spec.queryRoleArn: 'kedawatch-log-queries' does not match", id="a role that is no ARN"),
    pytest.param({**LOG, "treatMissingData": "skip"}, "spec.treatMissingData: 'skip' is not one of", id="missing data skipped"),
    pytest.param({**LOG, "warmUp": {"warmUpPeriodDurationInMinutes": 3000}}, "spec.warmUp.warmUpPeriodDurationInMinutes: 3000 is greater", id="a warm-up over two days"),
    pytest.param({**LOG, "threshold": float("nan")}, "spec.threshold: nan is not a finite number", id="a threshold of NaN"),
    pytest.param({**LOG, "period": 60}, "spec.period: unknown field", id="a metric alarm's field"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "refusal"), FIELDS)
def test_bad_log_alarm_fields_are_refused_naming_the_field(spec: dict[str, Any], refusal: str) -> None:
    problems = fields.validate(LOG_ALARM, spec)
    assert any(problem.startswith(refusal) for problem in problems), problems


def test_the_scheduled_query_is_nested_for_aws() -> None:
    params = LOG_ALARM.aws_params({**LOG, "logGroups": [APPLICATION], "queryRoleArn": QUERY_ROLE})
    assert params["ScheduledQueryConfiguration"] == {
        "QueryString": LOG["query"], "LogGroupIdentifiers": [APPLICATION], "ScheduledQueryRoleARN": QUERY_ROLE,
        "ScheduleConfiguration": {"ScheduleExpression": "rate(5 minutes)", "StartTimeOffset": 300},
        "AggregationExpression": "count(*)",
    }  # fmt: skip
    assert (params["QueryResultsToEvaluate"], params["QueryResultsToAlarm"], params["Threshold"]) == (3, 2, 10)


@pytest.fixture
def logs(moto: aws.AwsStandIn) -> Harness:
    """The reconciler as the operator runs it with a log query role, in cluster prod."""
    calls: collections.Counter[str] = collections.Counter()
    operator_settings = settings.OperatorSettings(
        cluster_name="prod", region=REGION, write_rate=100.0, log_query_role_arn=QUERY_ROLE
    )
    pacer = pacing.Pacer(lambda _: 100)
    aws_clients = clients.AwsClients(operator_settings.aws, lambda op, _: calls.update([op]), pace=pacer)
    store = alarm_store.AlarmStore(aws_clients, pacer, "prod")
    policy = tenancy.load(None, ACCOUNT, "prod")
    return Harness(
        kernel.Context(operator_settings, store, policy), calls, boto3.client("cloudwatch", region_name=REGION)
    )


def log_object(harness: Harness, spec: dict[str, Any], status: dict[str, Any] | None = None, **changes: Any) -> Any:
    return harness.obj(spec, status, **{"definition": crds.LOG_ALARMS, "name": "errors", **changes})


def described(harness: Harness, name: str = "prod/default/errors") -> dict[str, Any] | None:
    found = harness.cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["LogAlarm"])["LogAlarms"]
    return found[0] if found else None


def tags_of(harness: Harness, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in harness.cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"]}


async def test_a_log_alarm_is_put_with_the_clusters_log_group_the_operators_role_and_owner_tags(logs: Harness) -> None:
    status = await alarms.reconcile_alarm(log_object(logs, LOG), logs.ctx)
    assert status["conditions"][0]["reason"] == "Synced", status
    alarm = described(logs)
    assert alarm is not None
    query = alarm["ScheduledQueryConfiguration"]
    assert (query["LogGroupIdentifiers"], query["ScheduledQueryRoleARN"]) == ([APPLICATION], QUERY_ROLE)
    assert query["QueryARN"].startswith(f"arn:aws:logs:{REGION}:{ACCOUNT}:scheduled-query:")
    assert (alarm["QueryResultsToEvaluate"], alarm["QueryResultsToAlarm"], alarm["Threshold"]) == (3, 2, 10.0)
    assert tags_of(logs, alarm["AlarmArn"]) == {"team": "otlp", **log_object(logs, LOG).owner("prod").tags()}
    assert (status["alarmName"], status["state"]) == ("prod/default/errors", "INSUFFICIENT_DATA")
    logs.calls.clear()
    await alarms.reconcile_alarm(log_object(logs, LOG, status), logs.ctx)
    await alarms.repair_drift(log_object(logs, LOG, status), logs.ctx)
    assert logs.writes() == 0, "the QueryARN AWS adds and the EndTimeOffset it defaults are no difference"


async def test_a_changed_spec_updates_the_log_alarm_and_its_tags(logs: Harness) -> None:
    status = await alarms.reconcile_alarm(log_object(logs, LOG), logs.ctx)
    arn = described(logs)["AlarmArn"]  # type: ignore[index]
    query_arn = described(logs)["ScheduledQueryConfiguration"]["QueryARN"]  # type: ignore[index]
    changed = {**LOG, "threshold": 20, "schedule": {**LOG["schedule"], "endTimeOffset": 60}, "tags": {"tier": "1"}}
    logs.calls.clear()
    await alarms.reconcile_alarm(log_object(logs, changed, status, generation=2), logs.ctx)
    alarm = described(logs)
    assert alarm is not None and alarm["Threshold"] == 20.0
    assert alarm["ScheduledQueryConfiguration"]["ScheduleConfiguration"]["EndTimeOffset"] == 60
    assert alarm["ScheduledQueryConfiguration"]["QueryARN"] == query_arn
    assert tags_of(logs, arn)["tier"] == "1" and "team" not in tags_of(logs, arn)
    assert (logs.calls["PutLogAlarm"], logs.calls["TagResource"], logs.calls["UntagResource"]) == (1, 1, 1)


async def test_drift_in_a_log_alarm_is_repaired_from_the_sweep(logs: Harness) -> None:
    status = await alarms.reconcile_alarm(log_object(logs, LOG), logs.ctx)
    params = LOG_ALARM.aws_params({**LOG, "logGroups": [APPLICATION], "queryRoleArn": QUERY_ROLE})
    logs.cloudwatch.put_log_alarm(**{**params, "AlarmName": "prod/default/errors", "Threshold": 99})
    logs.calls.clear()
    await alarms.repair_drift(log_object(logs, LOG, status), logs.ctx)
    assert described(logs)["Threshold"] == 10.0  # type: ignore[index]
    assert (logs.calls["DescribeAlarms"], logs.calls["PutLogAlarm"]) == (1, 1)


async def test_deleting_removes_the_log_alarm_and_retain_keeps_it(logs: Harness) -> None:
    status = await alarms.reconcile_alarm(log_object(logs, LOG), logs.ctx)
    await alarms.delete_alarm(log_object(logs, {**LOG, "deletionPolicy": "Retain"}, status), logs.ctx)
    assert described(logs) is not None
    await alarms.delete_alarm(log_object(logs, LOG, status), logs.ctx)
    assert described(logs) is None


async def test_a_foreign_log_alarm_is_left_alone_until_adopted(logs: Harness) -> None:
    params = LOG_ALARM.aws_params({**LOG, "logGroups": ["/theirs"], "queryRoleArn": QUERY_ROLE})
    logs.cloudwatch.put_log_alarm(**{**params, "AlarmName": "prod/default/errors"})
    status = await alarms.reconcile_alarm(log_object(logs, LOG), logs.ctx)
    assert status["conditions"][0]["reason"] == "Conflict"
    assert described(logs)["ScheduledQueryConfiguration"]["LogGroupIdentifiers"] == ["/theirs"]  # type: ignore[index]
    adopted = await alarms.reconcile_alarm(log_object(logs, LOG, annotations={"kedawatch.io/adopt": "true"}), logs.ctx)
    assert adopted["conditions"][0]["reason"] == "Synced"
    assert described(logs)["ScheduledQueryConfiguration"]["LogGroupIdentifiers"] == [APPLICATION]  # type: ignore[index]


async def test_a_metric_alarm_of_the_same_name_is_a_conflict(logs: Harness) -> None:
    from tests.operator.test_alarm_reconciler import SPEC

    await alarms.reconcile_alarm(logs.obj({**SPEC, "alarmName": "shared"}), logs.ctx)
    status = await alarms.reconcile_alarm(log_object(logs, {**LOG, "alarmName": "shared"}), logs.ctx)
    assert status["conditions"][0]["reason"] == "Conflict"


async def test_a_log_alarms_state_is_mirrored_and_its_transition_reported(logs: Harness) -> None:
    status = await alarms.reconcile_alarm(log_object(logs, LOG), logs.ctx)
    logs.cloudwatch.set_alarm_state(AlarmName=status["alarmName"], StateValue="ALARM", StateReason="12 error lines")
    patch, changed = await alarms.observe_alarm(log_object(logs, LOG, status), logs.ctx)
    assert (patch["state"], patch["stateReason"], changed) == ("ALARM", "12 error lines", "ALARM")
    assert patch["alarmArn"] == described(logs)["AlarmArn"]  # type: ignore[index]


DENIALS = [
    pytest.param({"logGroups": ["/aws/containerinsights/other/application"]}, "namespace 'default' may not use log group '/aws/containerinsights/other/application': tenancy rule default allows /aws/containerinsights/prod/application, arn:*:logs:*:123456789012:log-group:/aws/containerinsights/prod/application", id="another cluster's log group"),
    pytest.param({"logGroups": [f"arn:aws:logs:{REGION}:444455556666:log-group:/aws/containerinsights/prod/application"]}, "may not use log group 'arn:aws:logs:us-east-1:444455556666:log-group:", id="another account's log group"),
    pytest.param({"queryRoleArn": f"arn:aws:iam::{ACCOUNT}:role/team-b-reader"}, f"namespace 'default' may not use role 'arn:aws:iam::{ACCOUNT}:role/team-b-reader': tenancy rule default allows none", id="a role of its own choosing"),
    pytest.param({"actionLogLineCount": 5, "actionLogLineRoleArn": f"arn:aws:iam::{ACCOUNT}:role/any"}, "may not use role", id="a log-line role"),
    pytest.param({"alarmActions": ["arn:aws:sns:us-east-1:444455556666:their-pager"]}, "may not use action 'arn:aws:sns:us-east-1:444455556666:their-pager'", id="another account's topic"),
    pytest.param({"region": "eu-west-1"}, None, id="any region, by default"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "denial"), DENIALS)
async def test_the_tenant_policy_refuses_log_groups_roles_and_actions_without_an_aws_call(
    logs: Harness, change: dict[str, Any], denial: str | None
) -> None:
    status = await alarms.reconcile_alarm(log_object(logs, {**LOG, **change}), logs.ctx)
    (synced,) = status["conditions"]
    if denial is None:
        assert synced["reason"] in ("Synced", "AwsRejected"), synced
        return
    assert (synced["status"], synced["reason"]) == ("False", "Denied")
    assert denial in synced["message"]
    assert logs.calls == {}


async def test_a_policy_entry_gives_a_namespace_its_own_log_groups_and_role(logs: Harness) -> None:
    own_role = f"arn:aws:iam::{ACCOUNT}:role/team-a-logs"
    policy = tenancy.parse(
        {"namespaces": [{"match": ["team-a"], "logGroups": ["/aws/team-a/*"], "roleArns": ["*:role/team-a-*"]}]},
        ACCOUNT,
        "prod",
    )
    ctx = kernel.Context(logs.ctx.settings, logs.ctx.store, policy)
    spec = {**LOG, "logGroups": ["/aws/team-a/api"], "queryRoleArn": own_role}
    status = await alarms.reconcile_alarm(log_object(logs, spec, namespace="team-a"), ctx)
    assert status["conditions"][0]["reason"] == "Synced"
    denied = await alarms.reconcile_alarm(
        log_object(logs, {**LOG, "logGroups": [APPLICATION]}, namespace="team-a"), ctx
    )
    assert "tenancy rule namespaces[0] (team-a) allows /aws/team-a/*" in denied["conditions"][0]["message"]


async def test_without_a_role_anywhere_the_spec_is_refused_before_any_call(logs: Harness) -> None:
    ctx = kernel.Context(settings.OperatorSettings(cluster_name="prod", region=REGION), logs.ctx.store, logs.ctx.policy)
    status = await alarms.reconcile_alarm(log_object(logs, LOG), ctx)
    (synced,) = status["conditions"]
    assert (synced["reason"], logs.calls) == ("InvalidSpec", {})
    assert synced["message"].startswith("spec.queryRoleArn: required: the IAM role CloudWatch runs the query as")


async def test_aws_refusing_a_log_alarm_waits_in_its_condition(logs: Harness) -> None:
    spec = {**LOG, "okActions": [f"arn:aws:sns:eu-west-1:{ACCOUNT}:ok"]}
    status = await alarms.reconcile_alarm(log_object(logs, spec), logs.ctx)
    assert status["conditions"][0]["reason"] == "AwsRejected"
    assert "Invalid region eu-west-1 specified" in status["conditions"][0]["message"]
    logs.calls.clear()
    assert await alarms.repair_drift(log_object(logs, spec, status), logs.ctx) == {}
    assert logs.calls == {}
