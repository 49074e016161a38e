"""The AWS stand-in's CloudWatch alarms through boto3 over HTTP: stored and described as AWS does, refused as AWS
refuses (each refusal names the rule of AWS's API reference it follows), listed, paged, deleted and tagged."""

from __future__ import annotations

import datetime
from typing import Any

import botocore.exceptions
import pytest

from kedawatch.standins import aws
from tests.standins.conftest import ACCOUNT, REGION, SINGLE, arn, error_of, put_alarm

SNS = f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"
MATH: dict[str, Any] = {
    "Metrics": [
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "m2", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Requests"}, "Period": 60, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "rate", "Expression": "m1 / m2 * 100", "Label": "error rate"},
    ],
    "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 5, "ComparisonOperator": "GreaterThanThreshold",
}  # fmt: skip
BAND: dict[str, Any] = {
    "Metrics": [
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Latency"}, "Period": 300, "Stat": "p99"}, "ReturnData": True},
        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "ReturnData": True},
    ],
    "ThresholdMetricId": "ad1", "EvaluationPeriods": 2, "ComparisonOperator": "GreaterThanUpperThreshold",
}  # fmt: skip
PROMQL: dict[str, Any] = {
    "EvaluationCriteria": {"PromQLCriteria": {"Query": 'sum by (service) (rate(http_errors_total[5m])) > 10', "PendingPeriod": 120, "RecoveryPeriod": 300}},
    "EvaluationInterval": 60,
}  # fmt: skip
LOG: dict[str, Any] = {
    "ScheduledQueryConfiguration": {
        "QueryString": "fields @message | filter level = 'ERROR'", "LogGroupIdentifiers": ["/app/otlp-consumer"],
        "ScheduledQueryRoleARN": f"arn:aws:iam::{ACCOUNT}:role/scheduled-queries",
        "ScheduleConfiguration": {"ScheduleExpression": "rate(5 minutes)", "StartTimeOffset": 300},
        "AggregationExpression": "count(*)",
    },
    "QueryResultsToEvaluate": 3, "QueryResultsToAlarm": 2, "Threshold": 10, "ComparisonOperator": "GreaterThanThreshold",
}  # fmt: skip


def described(cloudwatch: Any, name: str, kind: str = "MetricAlarm") -> dict[str, Any]:
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=[kind])[f"{kind}s"]
    return dict(alarm)


def tags_of(cloudwatch: Any, resource: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in cloudwatch.list_tags_for_resource(ResourceARN=resource)["Tags"]}


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**params)
    return error_of(raised)


# --- PutMetricAlarm -----------------------------------------------------------------------------------------


def test_a_new_metric_alarm_is_described_with_aws_defaults_in_insufficient_data(cloudwatch: Any) -> None:
    before = datetime.datetime.now(datetime.UTC)
    put_alarm(cloudwatch, "pods", AlarmActions=[SNS], Tags=[{"Key": "team", "Value": "otlp"}])
    alarm = described(cloudwatch, "pods")
    stamps = {key: alarm.pop(key) for key in ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp", "StateTransitionedTimestamp")}  # fmt: skip
    assert alarm == {
        "AlarmName": "pods", "AlarmArn": arn("pods"), "ActionsEnabled": True, "OKActions": [], "AlarmActions": [SNS],
        "InsufficientDataActions": [], "StateValue": "INSUFFICIENT_DATA", "StateReason": "Unchecked: Initial alarm creation",
        **{**SINGLE, "Threshold": 8.0},
    }  # fmt: skip
    assert all(isinstance(stamp, datetime.datetime) and stamp >= before - datetime.timedelta(seconds=1) for stamp in stamps.values())  # fmt: skip
    assert isinstance(alarm["Threshold"], float), "a double, as AWS answers it, though sent as 8"


def test_describe_alarms_leaves_out_what_the_test_says_until_reset(moto: aws.AwsStandIn, cloudwatch: Any) -> None:
    warm_up = {"WarmUpPeriodDurationInMinutes": 15}
    put_alarm(cloudwatch, "pods", WarmUpConfiguration=warm_up)
    moto.alarms.leave_out("WarmUpConfiguration")
    assert "WarmUpConfiguration" not in described(cloudwatch, "pods")
    moto.reset()
    put_alarm(cloudwatch, "pods", WarmUpConfiguration=warm_up)
    assert described(cloudwatch, "pods")["WarmUpConfiguration"] == warm_up


def test_a_single_metric_alarm_without_dimensions_is_described_with_an_empty_list(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "pods", Dimensions=[])
    cloudwatch.put_metric_alarm(AlarmName="bare", **{k: v for k, v in SINGLE.items() if k != "Dimensions"})
    assert described(cloudwatch, "bare")["Dimensions"] == []


def test_a_metric_math_alarm_keeps_its_queries_with_return_data_filled_in(cloudwatch: Any) -> None:
    cloudwatch.put_metric_alarm(AlarmName="error-rate", **MATH)
    alarm = described(cloudwatch, "error-rate")
    assert alarm["Metrics"] == [*MATH["Metrics"][:2], {**MATH["Metrics"][2], "ReturnData": True}]
    assert "Namespace" not in alarm and "Period" not in alarm and alarm["DatapointsToAlarm"] == 2


def test_an_anomaly_band_alarm_returns_data_from_the_metric_and_its_band(cloudwatch: Any) -> None:
    cloudwatch.put_metric_alarm(AlarmName="latency", **BAND)
    alarm = described(cloudwatch, "latency")
    assert (alarm["ThresholdMetricId"], [q["ReturnData"] for q in alarm["Metrics"]]) == ("ad1", [True, True])
    assert "Threshold" not in alarm


def test_a_promql_alarm_keeps_the_new_members_and_starts_ok(cloudwatch: Any) -> None:
    """ "For PromQL alarms, the alarm state is instead immediately set to OK." (PutMetricAlarm)"""
    extras = {
        "WarmUpConfiguration": {"WarmUpPeriodDurationInMinutes": 15, "OnlyStartEvaluatingAfterWarmUpPeriodEnds": True},
        "ActionConfiguration": {"AlarmTagsPropagation": {"Enabled": True, "IncludedTagKeys": ["team"]}},
    }
    cloudwatch.put_metric_alarm(AlarmName="errors", **PROMQL, **extras)
    alarm = described(cloudwatch, "errors")
    assert {key: alarm[key] for key in (*PROMQL, *extras)} == {**PROMQL, **extras}
    assert alarm["StateValue"] == "OK"
    assert not {"EvaluationPeriods", "Threshold", "ComparisonOperator"} & set(alarm)


def test_a_wall_clock_window_is_kept_as_given(cloudwatch: Any) -> None:
    window = {"WallClockWindow": {"Timezone": "Europe/Paris"}}
    put_alarm(cloudwatch, "daily", Period=86400, EvaluationWindow=window)
    assert described(cloudwatch, "daily")["EvaluationWindow"] == window


def test_an_update_replaces_the_configuration_and_keeps_state_and_tags(cloudwatch: Any) -> None:
    """ "If you are using this operation to update an existing alarm, any tags you specify in this parameter are
    ignored." and "When you update an existing alarm, its state is left unchanged" (PutMetricAlarm)"""
    put_alarm(cloudwatch, "pods", AlarmDescription="first", Tags=[{"Key": "team", "Value": "otlp"}])
    cloudwatch.set_alarm_state(AlarmName="pods", StateValue="ALARM", StateReason="8 pods")
    first = described(cloudwatch, "pods")
    put_alarm(cloudwatch, "pods", Threshold=9, Tags=[{"Key": "team", "Value": "other"}, {"Key": "new", "Value": "x"}])
    alarm = described(cloudwatch, "pods")
    assert (alarm["Threshold"], alarm["StateValue"], alarm["StateReason"]) == (9.0, "ALARM", "8 pods")
    assert "AlarmDescription" not in alarm, "an update overwrites the whole configuration"
    assert alarm["AlarmConfigurationUpdatedTimestamp"] >= first["AlarmConfigurationUpdatedTimestamp"]
    assert alarm["StateUpdatedTimestamp"] == first["StateUpdatedTimestamp"]
    assert tags_of(cloudwatch, arn("pods")) == {"team": "otlp"}


METRIC_REFUSALS = [
    pytest.param({"Period": 90}, "Period must be 10, 20, 30 or a multiple of 60", id="Period 90: 10, 20, 30 or a multiple of 60"),
    pytest.param({"Period": 20}, None, id="Period 20 is a high-resolution period"),
    pytest.param({"Period": 60, "EvaluationPeriods": 1441}, "must not exceed 86400 s", id="Period x EvaluationPeriods over a day"),
    pytest.param({"Period": 3600, "EvaluationPeriods": 168}, None, id="seven days of hours"),
    pytest.param({"Period": 3600, "EvaluationPeriods": 169}, "must not exceed 604800 s", id="Period x EvaluationPeriods over seven days"),
    pytest.param({"EvaluationPeriods": 2, "DatapointsToAlarm": 3}, "DatapointsToAlarm must be less than or equal to EvaluationPeriods", id="DatapointsToAlarm over EvaluationPeriods"),
    pytest.param({"ExtendedStatistic": "p99"}, "Exactly one of Statistic or ExtendedStatistic", id="Statistic and ExtendedStatistic"),
    pytest.param({"Statistic": None}, "Exactly one of Statistic or ExtendedStatistic", id="neither Statistic nor ExtendedStatistic"),
    pytest.param({"Statistic": None, "ExtendedStatistic": "TM(10%:90%)"}, None, id="a trimmed mean"),
    pytest.param({"Statistic": None, "ExtendedStatistic": "p101"}, "The value p101 for parameter ExtendedStatistic is not supported.", id="ExtendedStatistic p101"),
    pytest.param({"Threshold": None}, "Threshold must not be null", id="no Threshold"),
    pytest.param({"ThresholdMetricId": "ad1"}, "Threshold and ThresholdMetricId cannot both be set", id="Threshold and ThresholdMetricId"),
    pytest.param({"ComparisonOperator": "GreaterThanUpperThreshold"}, "for anomaly detection alarms", id="a band operator without ThresholdMetricId"),
    pytest.param({"Namespace": None}, "Namespace must not be null", id="no Namespace"),
    pytest.param({"MetricName": None}, "MetricName must not be null", id="no metric at all"),
    pytest.param({"EvaluationInterval": 60}, "EvaluationInterval should not be set unless EvaluationCriteria is set.", id="EvaluationInterval without EvaluationCriteria"),
    pytest.param({"EvaluationPeriods": None}, "EvaluationPeriods must not be null", id="no EvaluationPeriods"),
    pytest.param({"TreatMissingData": "zero"}, "TreatMissingData must be one of breaching, notBreaching, ignore, missing", id="TreatMissingData zero"),
    pytest.param({"EvaluateLowSampleCountPercentile": "always"}, "EvaluateLowSampleCountPercentile must be evaluate or ignore", id="EvaluateLowSampleCountPercentile always"),
    pytest.param({"AlarmActions": ["arn:aws:sns:eu-west-1:123456789012:oncall"]}, "Invalid region eu-west-1 specified. Only us-east-1 is supported.", id="an action in another region"),
    pytest.param({"AlarmActions": ["oncall"]}, "Invalid AlarmActions ARN 'oncall'", id="an action that is no ARN"),
    pytest.param({"OKActions": [f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"]}, "cannot call sqs actions", id="an action of a service alarms do not call"),
    pytest.param({"EvaluationWindow": {"WallClockWindow": {}}, "Period": 120}, "A WallClockWindow needs a period of 60, 300, 3600, 86400 or 604800 seconds", id="a wall clock window of 2 minutes"),
    pytest.param({"EvaluationWindow": {"WallClockWindow": {"Timezone": "Mars/Olympus"}}}, "Invalid Timezone 'Mars/Olympus'", id="a wall clock window on Mars"),
    pytest.param({"EvaluationWindow": {"WallClockWindow": {"Timezone": "UTC+05:30"}}}, None, id="a wall clock window at UTC+05:30"),
    pytest.param({"EvaluationWindow": {"WallClockWindow": {"Timezone": "+05:31"}}}, "Invalid Timezone '+05:31'", id="an offset not in steps of 5 minutes"),
    pytest.param({"ActionConfiguration": {"AlarmTagsPropagation": {"Enabled": True, "IncludedTagKeys": ["a"], "ExcludedTagKeys": ["b"]}}}, "IncludedTagKeys or ExcludedTagKeys, not both", id="included and excluded tag keys"),
    pytest.param({"AlarmName": "pods\x07"}, "contains ASCII control characters", id="a control character in the name"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), METRIC_REFUSALS)
def test_put_metric_alarm_refuses_what_aws_refuses(
    cloudwatch: Any, change: dict[str, Any], message: str | None
) -> None:
    params = {k: v for k, v in {"AlarmName": "pods", **SINGLE, **change}.items() if v is not None}
    if message is None:
        cloudwatch.put_metric_alarm(**params)
        return
    code, text, status = refused(cloudwatch.put_metric_alarm, **params)
    assert (code, status) == ("ValidationError", 400)
    assert message in text
    assert cloudwatch.describe_alarms()["MetricAlarms"] == [], "nothing is stored"


QUERY_REFUSALS = [
    pytest.param({"Namespace": "App"}, "Namespace should not be set if list of Metrics is set.", id="Namespace with Metrics"),
    pytest.param({"Statistic": "Sum"}, "Statistic should not be set if list of Metrics is set.", id="Statistic with Metrics"),
    pytest.param({"Unit": "Count"}, "Unit should not be set if list of Metrics is set.", id="Unit with Metrics"),
    pytest.param({"MetricName": "Errors"}, "Specify exactly one of MetricName, Metrics or EvaluationCriteria, not MetricName and Metrics", id="MetricName with Metrics"),
    pytest.param({"Metrics": [{**MATH["Metrics"][0], "ReturnData": True}, *MATH["Metrics"][1:]]}, "Exactly one element of the metrics list should return data.", id="two queries return data"),
    pytest.param({"Metrics": [*MATH["Metrics"][:2], {**MATH["Metrics"][2], "ReturnData": False}]}, "Exactly one element of the metrics list should return data.", id="no query returns data"),
    pytest.param({"Metrics": [*MATH["Metrics"][:2], {**MATH["Metrics"][2], "Id": "Rate"}]}, "Invalid metrics list: the Id 'Rate' must start with a lowercase letter", id="an Id starting in upper case"),
    pytest.param({"Metrics": [*MATH["Metrics"][:2], {**MATH["Metrics"][2], "Id": "m1"}]}, "the Ids of the queries must be unique", id="an Id twice"),
    pytest.param({"Metrics": [*MATH["Metrics"][:2], {**MATH["Metrics"][2], "MetricStat": MATH["Metrics"][0]["MetricStat"]}]}, "The parameters MetricDataQuery Expression and MetricStat are mutually exclusive and you have specified both.", id="Expression and MetricStat"),
    pytest.param({"Metrics": [*MATH["Metrics"][:2], {"Id": "rate"}]}, "The query rate needs one of Expression or MetricStat", id="neither Expression nor MetricStat"),
    pytest.param({"Metrics": [{**MATH["Metrics"][0], "MetricStat": {**MATH["Metrics"][0]["MetricStat"], "Period": 45}}, *MATH["Metrics"][1:]]}, "Period of query m1 must be 10, 20, 30 or a multiple of 60", id="a query's period of 45"),
    pytest.param({"Metrics": [{**MATH["Metrics"][2], "Id": f"e{i}", "ReturnData": i == 0} for i in range(21)]}, "Metrics must hold 1 to 20 queries, not 21", id="21 queries"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), QUERY_REFUSALS)
def test_put_metric_alarm_refuses_metric_math_as_aws_does(
    cloudwatch: Any, change: dict[str, Any], message: str
) -> None:
    code, text, status = refused(cloudwatch.put_metric_alarm, AlarmName="rate", **{**MATH, **change})
    assert (code, status) == ("ValidationError", 400)
    assert message in text


BAND_REFUSALS = [
    pytest.param({"Metrics": [BAND["Metrics"][0], {**BAND["Metrics"][1], "ReturnData": False}]}, "Metrics list must contain exactly one metric matching the ThresholdMetricId parameter", id="the band does not return data"),
    pytest.param({"Metrics": [{**BAND["Metrics"][0], "ReturnData": False}, BAND["Metrics"][1]]}, "Exactly two elements of the metrics list should return data.", id="only the band returns data"),
    pytest.param({"ThresholdMetricId": "ad2"}, "Metrics list must contain exactly one metric matching the ThresholdMetricId parameter", id="ThresholdMetricId names no query"),
    pytest.param({"ComparisonOperator": "GreaterThanThreshold"}, "needs one of LessThanLowerOrGreaterThanUpperThreshold", id="a static operator with a band"),
    pytest.param({"AlarmActions": [f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:p:autoScalingGroupName/g:policyName/up"]}, "cannot have Auto Scaling actions", id="Auto Scaling actions on a band"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), BAND_REFUSALS)
def test_put_metric_alarm_refuses_anomaly_bands_as_aws_does(
    cloudwatch: Any, change: dict[str, Any], message: str
) -> None:
    code, text, _ = refused(cloudwatch.put_metric_alarm, AlarmName="latency", **{**BAND, **change})
    assert code == "ValidationError" and message in text


PROMQL_REFUSALS = [
    pytest.param({"Threshold": 1}, "Threshold should not be set if EvaluationCriteria is set.", id="Threshold with PromQL"),
    pytest.param({"EvaluationPeriods": 1}, "EvaluationPeriods should not be set if EvaluationCriteria is set.", id="EvaluationPeriods with PromQL"),
    pytest.param({"EvaluationWindow": {"SlidingWindow": {}}}, "EvaluationWindow should not be set if EvaluationCriteria is set.", id="an evaluation window with PromQL"),
    pytest.param({"TreatMissingData": "notBreaching"}, "TreatMissingData should not be set if EvaluationCriteria is set.", id="TreatMissingData with PromQL"),
    pytest.param({"EvaluationInterval": None}, "EvaluationInterval must be set if EvaluationCriteria is set.", id="PromQL without EvaluationInterval"),
    pytest.param({"EvaluationInterval": 90}, "EvaluationInterval must be 10, 20, 30 or a multiple of 60", id="EvaluationInterval 90"),
    pytest.param({"MetricName": "m"}, "Specify exactly one of MetricName, Metrics or EvaluationCriteria", id="MetricName with PromQL"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), PROMQL_REFUSALS)
def test_put_metric_alarm_refuses_promql_alarms_as_aws_does(
    cloudwatch: Any, change: dict[str, Any], message: str
) -> None:
    params = {k: v for k, v in {**PROMQL, **change}.items() if v is not None}
    code, text, _ = refused(cloudwatch.put_metric_alarm, AlarmName="errors", **params)
    assert code == "ValidationError" and message in text


# --- PutCompositeAlarm --------------------------------------------------------------------------------------


def test_a_composite_alarm_is_stored_when_its_alarms_exist_and_described_only_when_asked(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "cpu")
    put_alarm(cloudwatch, "disk")
    rule = f'(ALARM("cpu") OR ALARM({arn("disk")})) AND NOT OK(cpu) OR FALSE'
    cloudwatch.put_composite_alarm(
        AlarmName="host", AlarmRule=rule, AlarmActions=[SNS], Tags=[{"Key": "t", "Value": "1"}]
    )
    assert [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]] == ["cpu", "disk"]
    assert cloudwatch.describe_alarms()["CompositeAlarms"] == []
    alarm = described(cloudwatch, "host", "CompositeAlarm")
    assert (alarm["AlarmRule"], alarm["AlarmActions"], alarm["ActionsEnabled"]) == (rule, [SNS], True)
    assert (alarm["StateValue"], alarm["AlarmArn"]) == ("INSUFFICIENT_DATA", arn("host"))
    assert tags_of(cloudwatch, arn("host")) == {"t": "1"}


def test_a_composite_naming_missing_alarms_is_refused_with_the_words_the_operator_waits_on(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "cpu")
    rule = 'ALARM("cpu") AND ALARM("prod/default/pods") OR OK(disk)'
    assert refused(cloudwatch.put_composite_alarm, AlarmName="host", AlarmRule=rule) == (
        "ValidationError",
        "Could not save the composite alarm as alarms [prod/default/pods, disk] in the alarm rule do not exist",
        400,
    )
    assert cloudwatch.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []


COMPOSITE_REFUSALS = [
    pytest.param({"AlarmRule": 'ALARM("cpu") AND'}, "Invalid AlarmRule: the expression ends before it is complete", id="a rule ending in AND"),
    pytest.param({"AlarmRule": 'ALARM("cpu") ALARM("cpu")'}, "Invalid AlarmRule: expected AND, OR or )", id="two states without an operator"),
    pytest.param({"AlarmRule": "(ALARM(cpu)"}, "Invalid AlarmRule: the expression ends before it is complete", id="an unclosed parenthesis"),
    pytest.param({"AlarmRule": "ALARM(cpu))"}, "Invalid AlarmRule: a ) that closes no ( at character 10", id="a parenthesis too many"),
    pytest.param({"AlarmRule": "BROKEN(cpu)"}, "Invalid AlarmRule: unexpected 'BROKEN(cpu)'", id="an unknown function"),
    pytest.param({"AlarmRule": 'ALARM("")'}, "Invalid AlarmRule: ALARM() names no alarm", id="an empty name"),
    pytest.param({"AlarmRule": " OR ".join(f"ALARM(a{i})" for i in range(101))}, "The AlarmRule can name at most 100 alarms, not 101", id="101 alarms named"),
    pytest.param({"AlarmRule": "(" * 250 + "TRUE" + ")" * 250}, "The AlarmRule can have at most 500 elements, not 501", id="501 elements"),
    pytest.param({"ActionsSuppressor": "cpu"}, "ActionsSuppressorWaitPeriod is required when ActionsSuppressor is specified", id="a suppressor without its periods"),
    pytest.param({"ActionsSuppressorWaitPeriod": 60}, "ActionsSuppressorWaitPeriod is only for a composite alarm with an ActionsSuppressor", id="a wait period without a suppressor"),
    pytest.param({"ActionsSuppressor": "deploying", "ActionsSuppressorWaitPeriod": 60, "ActionsSuppressorExtensionPeriod": 60}, "Could not save the composite alarm as the actions suppressor alarm [deploying] does not exist", id="a suppressor that does not exist"),
    pytest.param({"ActionsSuppressor": "cpu", "ActionsSuppressorWaitPeriod": -1, "ActionsSuppressorExtensionPeriod": 60}, "ActionsSuppressorWaitPeriod must not be negative", id="a negative wait period"),
    pytest.param({"AlarmActions": [f"arn:aws:automate:{REGION}:ec2:stop"]}, "this kind of alarm cannot call automate actions", id="an EC2 action on a composite"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), COMPOSITE_REFUSALS)
def test_put_composite_alarm_refuses_what_aws_refuses(cloudwatch: Any, change: dict[str, Any], message: str) -> None:
    put_alarm(cloudwatch, "cpu")
    code, text, _ = refused(
        cloudwatch.put_composite_alarm, **{"AlarmName": "host", "AlarmRule": "ALARM(cpu)", **change}
    )
    assert code == "ValidationError" and message in text


def test_a_composite_with_a_suppressor_keeps_its_periods(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "cpu")
    put_alarm(cloudwatch, "deploying")
    suppression = {"ActionsSuppressor": "deploying", "ActionsSuppressorWaitPeriod": 120, "ActionsSuppressorExtensionPeriod": 60}  # fmt: skip
    cloudwatch.put_composite_alarm(AlarmName="host", AlarmRule="ALARM(cpu)", **suppression)
    alarm = described(cloudwatch, "host", "CompositeAlarm")
    assert {key: alarm[key] for key in suppression} == suppression


def test_children_and_parents_of_a_composite_are_listed_with_the_documented_fields(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "cpu")
    put_alarm(cloudwatch, "disk")
    cloudwatch.put_composite_alarm(AlarmName="host", AlarmRule="ALARM(cpu) OR ALARM(disk)")
    cloudwatch.put_composite_alarm(AlarmName="fleet", AlarmRule="ALARM(host) AND ALARM(cpu)")
    children = cloudwatch.describe_alarms(ChildrenOfAlarmName="fleet")
    assert [a["AlarmName"] for a in children["MetricAlarms"]] == ["cpu"]
    assert [set(a) for a in children["CompositeAlarms"]] == [{"AlarmName", "AlarmArn", "StateValue", "StateUpdatedTimestamp"}]  # fmt: skip
    parents = cloudwatch.describe_alarms(ParentsOfAlarmName="cpu")["CompositeAlarms"]
    assert parents == [{"AlarmName": "fleet", "AlarmArn": arn("fleet")}, {"AlarmName": "host", "AlarmArn": arn("host")}]
    code, message, _ = refused(cloudwatch.describe_alarms, ChildrenOfAlarmName="fleet", StateValue="OK")
    assert (code, message) == ("ValidationError", "ChildrenOfAlarmName takes no other parameter than MaxRecords and NextToken: StateValue")  # fmt: skip


def test_an_alarm_name_belongs_to_one_kind_of_alarm(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "cpu")
    code, message, status = refused(cloudwatch.put_composite_alarm, AlarmName="cpu", AlarmRule="TRUE")
    assert (code, status) == ("ResourceConflict", 409)
    assert message == "An alarm named cpu exists and is a MetricAlarm, not a CompositeAlarm"


# --- PutLogAlarm --------------------------------------------------------------------------------------------


def test_a_log_alarm_is_listed_only_among_log_alarms_with_its_scheduled_query(cloudwatch: Any) -> None:
    cloudwatch.put_log_alarm(AlarmName="errors", AlarmActions=[SNS], **LOG)
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []
    alarm = described(cloudwatch, "errors", "LogAlarm")
    query = alarm["ScheduledQueryConfiguration"]
    assert query["QueryARN"].startswith(f"arn:aws:logs:{REGION}:{ACCOUNT}:scheduled-query:")
    assert {k: v for k, v in query.items() if k != "QueryARN"} == LOG["ScheduledQueryConfiguration"]
    assert (alarm["QueryResultsToAlarm"], alarm["Threshold"], alarm["StateValue"]) == (2, 10.0, "INSUFFICIENT_DATA")
    cloudwatch.put_log_alarm(AlarmName="errors", **{**LOG, "Threshold": 20})
    again = described(cloudwatch, "errors", "LogAlarm")
    assert again["ScheduledQueryConfiguration"]["QueryARN"] == query["QueryARN"], "the same scheduled query"


LOG_REFUSALS = [
    pytest.param({"QueryResultsToAlarm": 4}, "QueryResultsToAlarm (4) must be less than or equal to QueryResultsToEvaluate (3)", id="M over N"),
    pytest.param({"QueryResultsToEvaluate": 101, "QueryResultsToAlarm": 1}, "QueryResultsToEvaluate must be 1 to 100, not 101", id="N over 100"),
    pytest.param({"ComparisonOperator": "GreaterThanUpperThreshold"}, "ComparisonOperator must be one of GreaterThanThreshold", id="a band operator"),
    pytest.param({"ActionLogLineCount": 5}, "ActionLogLineRoleArn is required when ActionLogLineCount is greater than 0", id="log lines without a role"),
    pytest.param({"ActionLogLineCount": 51, "ActionLogLineRoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}, "ActionLogLineCount must be 0 to 50, not 51", id="51 log lines"),
    pytest.param({"ScheduledQueryConfiguration": {**LOG["ScheduledQueryConfiguration"], "ScheduleConfiguration": {"ScheduleExpression": "cron(0 * * * ? *)", "StartTimeOffset": 300}}}, "ScheduleExpression must be a rate() expression", id="a cron schedule"),
    pytest.param({"ScheduledQueryConfiguration": {**LOG["ScheduledQueryConfiguration"], "ScheduleConfiguration": {"ScheduleExpression": "rate(5 minutes)", "StartTimeOffset": 300, "EndTimeOffset": 300}}}, "EndTimeOffset (300) must be less than StartTimeOffset (300)", id="an empty query window"),
    pytest.param({"ScheduledQueryConfiguration": {**LOG["ScheduledQueryConfiguration"], "ScheduledQueryRoleARN": "queries"}}, "ScheduledQueryRoleARN must be an IAM role's ARN", id="a role that is no ARN"),
    pytest.param({"AlarmActions": [f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:p"]}, "this kind of alarm cannot call autoscaling actions", id="an Auto Scaling action"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), LOG_REFUSALS)
def test_put_log_alarm_refuses_what_the_api_reference_rules_out(cloudwatch: Any, change: dict[str, Any], message: str) -> None:  # fmt: skip
    code, text, _ = refused(cloudwatch.put_log_alarm, AlarmName="errors", **{**LOG, **change})
    assert code == "ValidationError" and message in text


def test_a_log_alarm_is_deleted_on_its_own_and_never_in_a_batch(cloudwatch: Any) -> None:
    """ "Log alarms cannot be batch deleted." (DeleteAlarms)"""
    cloudwatch.put_log_alarm(AlarmName="errors", **LOG)
    put_alarm(cloudwatch, "cpu")
    code, message, _ = refused(cloudwatch.delete_alarms, AlarmNames=["errors", "cpu"])
    assert (code, message) == ("ValidationError", "Log alarms cannot be batch deleted: delete a log alarm on its own")
    cloudwatch.delete_alarms(AlarmNames=["errors"])
    assert cloudwatch.describe_alarms(AlarmTypes=["LogAlarm", "MetricAlarm"])["MetricAlarms"] != []
    assert cloudwatch.describe_alarms(AlarmTypes=["LogAlarm"])["LogAlarms"] == []


# --- DescribeAlarms -----------------------------------------------------------------------------------------


def test_describe_alarms_combines_its_filters(cloudwatch: Any) -> None:
    page = f"arn:aws:sns:{REGION}:{ACCOUNT}:page-team"
    for name, actions in (("app/cpu", [page]), ("app/disk", [SNS]), ("app/mem", [page]), ("db/cpu", [page])):
        put_alarm(cloudwatch, name, AlarmActions=actions)
    cloudwatch.set_alarm_state(AlarmName="app/mem", StateValue="ALARM", StateReason="full")
    found = cloudwatch.describe_alarms(AlarmNamePrefix="app/", StateValue="INSUFFICIENT_DATA", ActionPrefix=page)
    assert [alarm["AlarmName"] for alarm in found["MetricAlarms"]] == ["app/cpu"]
    by_name = cloudwatch.describe_alarms(AlarmNames=["db/cpu", "app/mem", "missing"], StateValue="ALARM")
    assert [alarm["AlarmName"] for alarm in by_name["MetricAlarms"]] == ["app/mem"]
    code, _, _ = refused(cloudwatch.describe_alarms, AlarmNames=["db/cpu"], AlarmNamePrefix="app/")
    assert code == "InvalidParameterCombination"


def test_describe_alarms_pages_every_asked_type_together_in_name_order(cloudwatch: Any) -> None:
    for index in range(5):
        put_alarm(cloudwatch, f"m{index}")
    cloudwatch.put_composite_alarm(AlarmName="c", AlarmRule="ALARM(m0)")
    pages, token = [], None
    while True:
        answer = cloudwatch.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"], MaxRecords=2, **({"NextToken": token} if token else {}))  # fmt: skip
        pages.append([a["AlarmName"] for a in answer["CompositeAlarms"] + answer["MetricAlarms"]])
        token = answer.get("NextToken")
        if not token:
            break
    assert pages == [["c", "m0"], ["m1", "m2"], ["m3", "m4"]]


def test_describe_alarms_pages_of_at_most_100_cover_250_alarms_in_3_calls(
    moto: aws.AwsStandIn, cloudwatch: Any
) -> None:
    for index in range(250):
        put_alarm(cloudwatch, f"a{index:03}")
    paginator = cloudwatch.get_paginator("describe_alarms")
    calls = moto.proxy.calls["DescribeAlarms"]
    pages = [len(page["MetricAlarms"]) for page in paginator.paginate(PaginationConfig={"PageSize": 100})]
    assert pages == [100, 100, 50]
    assert moto.proxy.calls["DescribeAlarms"] - calls == 3
    assert len(cloudwatch.describe_alarms()["MetricAlarms"]) == 50, "50 a page unless MaxRecords says otherwise"


def test_a_token_from_another_listing_is_refused_as_invalid(cloudwatch: Any) -> None:
    for index in range(3):
        put_alarm(cloudwatch, f"a{index}")
    assert refused(cloudwatch.describe_alarms, NextToken="garbage")[0] == "InvalidNextToken"
    cloudwatch.put_alarm_mute_rule(Name="r1", Rule={"Schedule": {"Expression": "cron(0 2 * * *)", "Duration": "PT1H"}})
    cloudwatch.put_alarm_mute_rule(Name="r2", Rule={"Schedule": {"Expression": "cron(0 2 * * *)", "Duration": "PT1H"}})
    token = cloudwatch.list_alarm_mute_rules(MaxRecords=1)["NextToken"]
    assert refused(cloudwatch.describe_alarms, NextToken=token)[0] == "InvalidNextToken"


# --- DeleteAlarms and SetAlarmState -------------------------------------------------------------------------


def test_delete_alarms_ignores_unknown_names_and_deletes_one_composite_a_call(cloudwatch: Any) -> None:
    """ "If you specify any incorrect alarm names, the alarms you specify with correct names are still deleted."
    and "this total can include no more than one composite alarm" (DeleteAlarms)"""
    put_alarm(cloudwatch, "cpu")
    put_alarm(cloudwatch, "disk")
    cloudwatch.put_composite_alarm(AlarmName="c1", AlarmRule="ALARM(cpu)")
    cloudwatch.put_composite_alarm(AlarmName="c2", AlarmRule="ALARM(disk)")
    assert refused(cloudwatch.delete_alarms, AlarmNames=["c1", "c2"])[:2] == ("ValidationError", "DeleteAlarms deletes at most one composite alarm a call")  # fmt: skip
    cloudwatch.delete_alarms(AlarmNames=["cpu", "nope", "c1"])
    every = cloudwatch.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    assert [a["AlarmName"] for a in every["MetricAlarms"] + every["CompositeAlarms"]] == ["disk", "c2"]


def test_set_alarm_state_changes_state_reason_and_timestamps(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "pods")
    first = described(cloudwatch, "pods")
    cloudwatch.set_alarm_state(
        AlarmName="pods", StateValue="ALARM", StateReason="8 pods", StateReasonData='{"pods": 8}'
    )
    alarm = described(cloudwatch, "pods")
    assert (alarm["StateValue"], alarm["StateReason"], alarm["StateReasonData"]) == ("ALARM", "8 pods", '{"pods": 8}')
    assert alarm["StateTransitionedTimestamp"] >= first["StateTransitionedTimestamp"]
    cloudwatch.set_alarm_state(AlarmName="pods", StateValue="ALARM", StateReason="still 8 pods")
    again = described(cloudwatch, "pods")
    assert again["StateTransitionedTimestamp"] == alarm["StateTransitionedTimestamp"], "the state did not change"
    assert again["StateUpdatedTimestamp"] >= alarm["StateUpdatedTimestamp"] and "StateReasonData" not in again


def test_set_alarm_state_refuses_an_unknown_alarm_and_reason_data_that_is_not_json(cloudwatch: Any) -> None:
    assert refused(cloudwatch.set_alarm_state, AlarmName="nope", StateValue="OK", StateReason="x") == (
        "ResourceNotFound", "Alarm nope not found", 404,
    )  # fmt: skip
    put_alarm(cloudwatch, "pods")
    code, _, status = refused(cloudwatch.set_alarm_state, AlarmName="pods", StateValue="OK", StateReason="x", StateReasonData="{")  # fmt: skip
    assert (code, status) == ("InvalidFormat", 400)


def test_alarm_actions_are_disabled_and_enabled_again(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "pods")
    cloudwatch.disable_alarm_actions(AlarmNames=["pods", "nope"])
    assert described(cloudwatch, "pods")["ActionsEnabled"] is False
    cloudwatch.enable_alarm_actions(AlarmNames=["pods"])
    assert described(cloudwatch, "pods")["ActionsEnabled"] is True


def test_alarms_for_a_metric_are_the_single_metric_alarms_on_exactly_that_metric(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "pods")
    put_alarm(cloudwatch, "other", Dimensions=[{"Name": "Service", "Value": "other"}])
    cloudwatch.put_metric_alarm(AlarmName="rate", **MATH)
    found = cloudwatch.describe_alarms_for_metric(Namespace=SINGLE["Namespace"], MetricName=SINGLE["MetricName"], Dimensions=SINGLE["Dimensions"])  # fmt: skip
    assert [alarm["AlarmName"] for alarm in found["MetricAlarms"]] == ["pods"]


def test_accounts_and_regions_each_hold_their_own_alarms(moto: aws.AwsStandIn) -> None:
    import boto3

    put_alarm(boto3.client("cloudwatch", region_name="eu-west-1"), "pods")
    other = boto3.client("cloudwatch", region_name=REGION, aws_access_key_id="444455556666", aws_secret_access_key="x")
    put_alarm(other, "pods")
    assert boto3.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"] == []
    assert described(other, "pods")["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:444455556666:alarm:pods"
    assert described(boto3.client("cloudwatch", region_name="eu-west-1"), "pods")["AlarmArn"] == arn("pods", region="eu-west-1")  # fmt: skip


# --- tags ---------------------------------------------------------------------------------------------------


def test_tags_are_added_changed_and_removed_after_creation(cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "pods", Tags=[{"Key": "team", "Value": "otlp"}, {"Key": "tier", "Value": "1"}])
    cloudwatch.tag_resource(
        ResourceARN=arn("pods"), Tags=[{"Key": "team", "Value": "sre"}, {"Key": "env", "Value": "prod"}]
    )
    cloudwatch.untag_resource(ResourceARN=arn("pods"), TagKeys=["tier", "absent"])
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn("pods"))["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "sre"},
    ]  # fmt: skip


TAG_REFUSALS = [
    pytest.param(arn("nope"), [{"Key": "a", "Value": "b"}], ("ResourceNotFoundException", 404), id="an alarm that does not exist"),
    pytest.param(arn("pods"), [{"Key": f"k{i}", "Value": "v"} for i in range(50)], ("InvalidParameterValue", 400), id="51 tags in all"),
    pytest.param(arn("pods"), [{"Key": "aws:cloudformation:stack-name", "Value": "x"}], ("InvalidParameterValue", 400), id="a key of AWS's own"),
]  # fmt: skip


@pytest.mark.parametrize(("resource", "tags", "error"), TAG_REFUSALS)
def test_tag_resource_refuses_what_aws_refuses(cloudwatch: Any, resource: str, tags: list[dict[str, str]], error: tuple[str, int]) -> None:  # fmt: skip
    put_alarm(cloudwatch, "pods", Tags=[{"Key": "team", "Value": "otlp"}])
    code, _, status = refused(cloudwatch.tag_resource, ResourceARN=resource, Tags=tags)
    assert (code, status) == error


def test_tags_of_other_cloudwatch_resources_are_left_to_moto(cloudwatch: Any) -> None:
    body = '{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/app"], "Contribution": {"Keys": ["$.ip"], "Filters": []}, "AggregateOn": "Count"}'  # fmt: skip
    cloudwatch.put_insight_rule(RuleName="talkers", RuleDefinition=body, Tags=[{"Key": "team", "Value": "otlp"}])
    assert tags_of(cloudwatch, f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:insight-rule/talkers") == {"team": "otlp"}


def test_get_resources_pages_500_alarms_by_resource_in_5_calls(
    moto: aws.AwsStandIn, cloudwatch: Any, tagging: Any
) -> None:
    """AWS pages GetResources by resource: 5 pages of 100 for 500 alarms, whatever their tags (moto: 26)."""
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(6)]
    for index in range(500):
        put_alarm(cloudwatch, f"a{index:03}", Tags=[*tags, {"Key": "cluster", "Value": "prod" if index % 2 else "dev"}])
    put_alarm(cloudwatch, "untagged")
    calls = moto.proxy.calls["GetResources"]
    pages = list(
        tagging.get_paginator("get_resources").paginate(ResourceTypeFilters=["cloudwatch:alarm"], ResourcesPerPage=100)
    )
    assert [len(page["ResourceTagMappingList"]) for page in pages] == [100] * 5
    assert moto.proxy.calls["GetResources"] - calls == 5
    assert pages[-1]["PaginationToken"] == "", "AWS ends with an empty token"
    prod = tagging.get_resources(ResourceTypeFilters=["cloudwatch:alarm"], TagFilters=[{"Key": "cluster", "Values": ["prod", "qa"]}, {"Key": "k0"}])  # fmt: skip
    assert len(prod["ResourceTagMappingList"]) == 100 and prod["PaginationToken"] != ""
    assert all({"Key": "cluster", "Value": "prod"} in m["Tags"] for m in prod["ResourceTagMappingList"])


def test_get_resources_lists_an_alarm_whose_tags_were_all_removed_with_no_tags(cloudwatch: Any, tagging: Any) -> None:
    """ "Resources that were previously tagged, but do not currently have tags, are shown with an empty tag set"
    (GetResources)"""
    put_alarm(cloudwatch, "was-tagged", Tags=[{"Key": "team", "Value": "otlp"}])
    put_alarm(cloudwatch, "never-tagged")
    cloudwatch.untag_resource(ResourceARN=arn("was-tagged"), TagKeys=["team"])
    found = tagging.get_resources(ResourceTypeFilters=["cloudwatch:alarm"])["ResourceTagMappingList"]
    assert found == [{"ResourceARN": arn("was-tagged"), "Tags": []}]
    assert tagging.get_resources(ResourceTypeFilters=["cloudwatch:alarm"], TagFilters=[{"Key": "team"}])["ResourceTagMappingList"] == []  # fmt: skip


def test_get_resources_pages_by_tags_only_when_asked_and_never_splits_a_resource(cloudwatch: Any, tagging: Any) -> None:
    for index in range(22):
        put_alarm(cloudwatch, f"a{index:02}", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(10)])
    pages = tagging.get_paginator("get_resources").paginate(ResourceTypeFilters=["cloudwatch:alarm"], TagsPerPage=100)
    assert [len(page["ResourceTagMappingList"]) for page in pages] == [10, 10, 2]


def test_get_resources_answers_a_list_of_alarm_arns(cloudwatch: Any, tagging: Any) -> None:
    put_alarm(cloudwatch, "pods", Tags=[{"Key": "team", "Value": "otlp"}])
    found = tagging.get_resources(ResourceARNList=[arn("pods"), arn("gone")])["ResourceTagMappingList"]
    assert found == [{"ResourceARN": arn("pods"), "Tags": [{"Key": "team", "Value": "otlp"}]}]
    code, _, status = refused(tagging.get_resources, ResourceARNList=[arn("pods")], ResourcesPerPage=10)
    assert (code, status) == ("InvalidParameterException", 400)


def test_get_resources_refuses_pages_out_of_range(tagging: Any) -> None:
    assert refused(tagging.get_resources, ResourceTypeFilters=["cloudwatch:alarm"], ResourcesPerPage=101)[:2] == (
        "InvalidParameterException", "ResourcesPerPage must be 1 to 100, not 101",
    )  # fmt: skip
    assert refused(tagging.get_resources, ResourceTypeFilters=["cloudwatch:alarm"], TagsPerPage=99)[0] == "InvalidParameterException"  # fmt: skip
