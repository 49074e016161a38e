"""The AWS stand-in on the wire: requests botocore's model rules out refused as AWS refuses them, answers and
errors in each protocol boto3 may speak (awsJson, Smithy RPCv2 CBOR), and the counting proxy's faults and
counts for the calls the alarm service answers."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest

from kedawatch.standins import aws
from tests.standins.conftest import ACCOUNT, REGION, SINGLE, cbor_client, error_of, put_alarm

PROMQL = {"EvaluationCriteria": {"PromQLCriteria": {"Query": "up == 0"}}, "EvaluationInterval": 60}
SCHEDULE = {"Schedule": {"Expression": "cron(0 2 * * *)", "Duration": "PT1H"}}

SHAPE_REFUSALS = [
    pytest.param("put_metric_alarm", {k: v for k, v in SINGLE.items()}, ("MissingParameter", "The parameter AlarmName is required."), id="no AlarmName"),
    pytest.param("put_metric_alarm", {**SINGLE, "AlarmName": "a" * 256}, ("ValidationError", "1 validation error detected: Value of length 256 at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to 255"), id="an AlarmName of 256 characters"),
    pytest.param("put_metric_alarm", {**SINGLE, "AlarmName": "a", "AlarmActions": [f"arn:aws:sns:{REGION}:{ACCOUNT}:t{i}" for i in range(6)]}, ("ValidationError", "1 validation error detected: Value of length 6 at 'alarmActions' failed to satisfy constraint: Member must have length less than or equal to 5"), id="6 alarm actions"),
    pytest.param("put_metric_alarm", {**SINGLE, "AlarmName": "a", "Statistic": "Median"}, ("ValidationError", "1 validation error detected: Value 'Median' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [SampleCount, Average, Sum, Minimum, Maximum]"), id="Statistic Median"),
    pytest.param("put_metric_alarm", {**SINGLE, "AlarmName": "a", "Namespace": ":AWS"}, ("ValidationError", "1 validation error detected: Value ':AWS' at 'namespace' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:].*"), id="a Namespace starting with a colon"),
    pytest.param("put_metric_alarm", {**SINGLE, "AlarmName": "a", "Period": "sixty"}, ("ValidationError", "1 validation error detected: Value 'sixty' at 'period' failed to satisfy constraint: Member must be of type <class 'int'>"), id="a Period that is text"),
    pytest.param("put_metric_alarm", {**SINGLE, "AlarmName": "a", "Period": 0, "EvaluationPeriods": 0}, ("ValidationError", "2 validation errors detected: Value '0' at 'period' failed to satisfy constraint: Member must have value greater than or equal to 1; Value '0' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1"), id="every violation at once"),
    pytest.param("put_metric_alarm", {**PROMQL, "AlarmName": "a", "EvaluationInterval": 5}, ("ValidationError", "1 validation error detected: Value '5' at 'evaluationInterval' failed to satisfy constraint: Member must have value greater than or equal to 10"), id="EvaluationInterval 5"),
    pytest.param("put_metric_alarm", {**PROMQL, "AlarmName": "a", "EvaluationInterval": 7200}, ("ValidationError", "1 validation error detected: Value '7200' at 'evaluationInterval' failed to satisfy constraint: Member must have value less than or equal to 3600"), id="EvaluationInterval 7200"),
    pytest.param("put_metric_alarm", {"AlarmName": "a", "EvaluationInterval": 60, "EvaluationCriteria": {"PromQLCriteria": {"Query": "up", "PendingPeriod": 90000}}}, ("ValidationError", "1 validation error detected: Value '90000' at 'evaluationCriteria.promQLCriteria.pendingPeriod' failed to satisfy constraint: Member must have value less than or equal to 86400"), id="a PendingPeriod over a day"),
    pytest.param("put_metric_alarm", {"AlarmName": "a", "EvaluationInterval": 60, "EvaluationCriteria": {}}, ("ValidationError", "1 validation error detected: Value at 'evaluationCriteria' failed to satisfy constraint: Member must have exactly one of [PromQLCriteria] set"), id="an empty union"),
    pytest.param("put_metric_alarm", {**SINGLE, "AlarmName": "a", "WarmUpConfiguration": {"WarmUpPeriodDurationInMinutes": 2881}}, ("ValidationError", "1 validation error detected: Value '2881' at 'warmUpConfiguration.warmUpPeriodDurationInMinutes' failed to satisfy constraint: Member must have value less than or equal to 2880"), id="a warm-up over two days"),
    pytest.param("put_metric_alarm", {"AlarmName": "a", "Metrics": [{"Id": "m", "Expression": ""}], "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"}, ("ValidationError", "1 validation error detected: Value of length 0 at 'metrics.1.member.expression' failed to satisfy constraint: Member must have length greater than or equal to 1"), id="an empty expression"),
    pytest.param("put_composite_alarm", {"AlarmName": "c", "AlarmRule": "TRUE OR " * 1280 + "TRUE"}, ("ValidationError", "1 validation error detected: Value of length 10244 at 'alarmRule' failed to satisfy constraint: Member must have length less than or equal to 10240"), id="an AlarmRule over 10,240 characters"),
    pytest.param("describe_alarms", {"MaxRecords": 101}, ("ValidationError", "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100"), id="MaxRecords 101"),
    pytest.param("describe_alarms", {"AlarmNames": [f"a{i}" for i in range(101)]}, ("ValidationError", "1 validation error detected: Value of length 101 at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100"), id="101 AlarmNames"),
    pytest.param("describe_alarms", {"AlarmTypes": ["MetricAlarms"]}, ("ValidationError", "1 validation error detected: Value 'MetricAlarms' at 'alarmTypes.1.member' failed to satisfy constraint: Member must satisfy enum value set: [CompositeAlarm, MetricAlarm, LogAlarm]"), id="an AlarmType that is not one"),
    pytest.param("delete_alarms", {"AlarmNames": [f"a{i}" for i in range(101)]}, ("ValidationError", "1 validation error detected: Value of length 101 at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100"), id="deleting 101 alarms"),
    pytest.param("put_alarm_mute_rule", {"Name": "r", "Rule": SCHEDULE, "MuteTargets": {"AlarmNames": [f"a{i}" for i in range(101)]}}, ("ValidationError", "1 validation error detected: Value of length 101 at 'muteTargets.alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100"), id="a mute rule of 101 alarms"),
    pytest.param("put_alarm_mute_rule", {"Name": "r", "Rule": {"Schedule": {"Expression": "cron(0 2 * * *)"}}}, ("MissingParameter", "The parameter Rule.Schedule.Duration is required."), id="a schedule without a duration"),
]  # fmt: skip


@pytest.mark.parametrize(("operation", "params", "error"), SHAPE_REFUSALS)
def test_requests_breaking_the_models_input_shape_are_refused_as_aws_refuses_them(
    unchecked: Any, operation: str, params: dict[str, Any], error: tuple[str, str]
) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        getattr(unchecked, operation)(**params)
    assert error_of(raised) == (*error, 400)


def test_the_tagging_api_refuses_a_broken_shape_with_its_own_code(moto: aws.AwsStandIn) -> None:
    """The tagging API has no ValidationError: it answers InvalidParameterException, as GetResources documents."""
    config = botocore.config.Config(parameter_validation=False, retries={"total_max_attempts": 1})
    tagging = boto3.client("resourcegroupstaggingapi", region_name=REGION, config=config)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        tagging.get_resources(
            ResourceTypeFilters=["cloudwatch:alarm"], TagFilters=[{"Key": f"k{i}"} for i in range(51)]
        )
    code, message, status = error_of(raised)
    assert (code, status) == ("InvalidParameterException", 400) and "at 'tagFilters'" in message


def raw_post(moto: aws.AwsStandIn, target: str, body: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    connection = http.client.HTTPConnection(moto.url.removeprefix("http://"), timeout=5)
    try:
        connection.request("POST", "/", body, {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), json.loads(answer.read())
    finally:
        connection.close()


def test_a_body_that_is_not_json_is_refused_as_unreadable(moto: aws.AwsStandIn) -> None:
    status, headers, body = raw_post(moto, "GraniteServiceVersion20100801.PutMetricAlarm", b'{"AlarmName": ')
    assert (status, body["__type"], headers["x-amzn-query-error"]) == (400, "SerializationException", "SerializationException;Sender")  # fmt: skip


# --- CBOR -----------------------------------------------------------------------------------------------------


@pytest.fixture
def captured(moto: aws.AwsStandIn) -> Iterator[list[bytes]]:
    """Every request body the stand-in receives while the test runs."""
    bodies: list[bytes] = []
    moto.proxy.choose = lambda operation, body: bodies.append(body)
    try:
        yield bodies
    finally:
        moto.proxy.heal()


def test_a_cbor_client_puts_and_describes_alarms_with_timestamps_as_datetimes(cbor_cloudwatch: Any, captured: list[bytes]) -> None:  # fmt: skip
    put_alarm(cbor_cloudwatch, "pods", Tags=[{"Key": "team", "Value": "otlp"}])
    cbor_cloudwatch.put_composite_alarm(AlarmName="host", AlarmRule="ALARM(pods)")
    answer = cbor_cloudwatch.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    (metric,), (composite,) = answer["MetricAlarms"], answer["CompositeAlarms"]
    assert (metric["Threshold"], metric["Dimensions"], composite["AlarmRule"]) == (
        8.0,
        SINGLE["Dimensions"],
        "ALARM(pods)",
    )
    assert (
        metric["StateUpdatedTimestamp"].tzinfo is not None
        and composite["AlarmConfigurationUpdatedTimestamp"].year >= 2026
    )
    assert all(body[:1] in (b"\xa0", b"\xbf") or 0xA0 <= body[0] <= 0xBB for body in captured), "CBOR maps, not JSON"
    assert boto3.client("cloudwatch", region_name=REGION).describe_alarms(AlarmNames=["pods"])["MetricAlarms"][0]["AlarmArn"] == metric["AlarmArn"]  # fmt: skip


def test_errors_in_cbor_reach_boto3_as_client_errors_with_aws_codes(cbor_cloudwatch: Any) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cbor_cloudwatch.set_alarm_state(AlarmName="gone", StateValue="OK", StateReason="x")
    assert error_of(raised) == ("ResourceNotFound", "Alarm gone not found", 404)
    with pytest.raises(cbor_cloudwatch.exceptions.ValidationException) as invalid:
        cbor_cloudwatch.put_composite_alarm(AlarmName="host", AlarmRule="ALARM(gone)")
    assert "in the alarm rule do not exist" in error_of(invalid)[1]


def test_a_cbor_client_breaking_the_shape_is_refused_too(moto: aws.AwsStandIn, cbor_models: Path) -> None:
    client = cbor_client(cbor_models, "cloudwatch", validate=False)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.put_metric_alarm(**SINGLE)
    assert error_of(raised) == ("MissingParameter", "The parameter AlarmName is required.", 400)


def test_the_tagging_api_answers_and_refuses_in_cbor(moto: aws.AwsStandIn, cbor_models: Path) -> None:
    put_alarm(boto3.client("cloudwatch", region_name=REGION), "pods", Tags=[{"Key": "team", "Value": "otlp"}])
    tagging = cbor_client(cbor_models, "resourcegroupstaggingapi")
    found = tagging.get_resources(ResourceTypeFilters=["cloudwatch:alarm"], TagFilters=[{"Key": "team", "Values": ["otlp"]}])  # fmt: skip
    assert [m["ResourceARN"] for m in found["ResourceTagMappingList"]] == [f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:pods"]  # fmt: skip
    with pytest.raises(tagging.exceptions.InvalidParameterException):
        tagging.get_resources(ResourceTypeFilters=["cloudwatch:alarm"], PaginationToken="not a token")


# --- the proxy's faults and counts ------------------------------------------------------------------------------


@pytest.fixture
def faulty(moto: aws.AwsStandIn) -> Iterator[tuple[aws.CountingProxy, Any]]:
    """A proxy of its own in front of moto and the session's alarm service, and a client of it that never retries."""
    proxy = aws.CountingProxy(moto.moto.url, alarms=moto.alarms).start()
    config = botocore.config.Config(retries={"total_max_attempts": 1})
    try:
        yield proxy, boto3.client("cloudwatch", region_name=REGION, endpoint_url=proxy.url, config=config)
    finally:
        proxy.stop()


def test_injected_faults_come_before_the_alarm_service_and_are_counted(faulty: tuple[aws.CountingProxy, Any], cloudwatch: Any) -> None:  # fmt: skip
    proxy, client = faulty
    put_alarm(cloudwatch, "pods")
    proxy.inject(aws.THROTTLING)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.put_composite_alarm(AlarmName="host", AlarmRule="ALARM(pods)")
    assert error_of(raised)[0] == "Throttling"
    assert cloudwatch.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == [], (
        "never reached the service"
    )
    proxy.heal()
    client.put_composite_alarm(AlarmName="host", AlarmRule="ALARM(pods)")
    assert (proxy.calls["PutCompositeAlarm"], proxy.injected["Throttling"]) == (2, 1)
    assert cloudwatch.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]["AlarmName"] == "host"


def test_a_chosen_refusal_and_internal_errors_reach_boto3_in_cbor_too(faulty: tuple[aws.CountingProxy, Any], cbor_models: Path) -> None:  # fmt: skip
    proxy, _ = faulty
    client = cbor_client(cbor_models, "cloudwatch", proxy.url)
    proxy.choose = lambda operation, body: aws.Fault(400, "ValidationError", message="Invalid SNS ARN") if b"blocked" in body else None  # fmt: skip
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        put_alarm(client, "blocked")
    assert error_of(raised) == ("ValidationError", "Invalid SNS ARN", 400)
    put_alarm(client, "cpu")
    proxy.inject(aws.INTERNAL_ERROR)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.describe_alarms()
    assert error_of(raised)[0::2] == ("InternalFailure", 500)


def test_every_call_is_counted_once_whether_moto_or_the_alarm_service_answers(moto: aws.AwsStandIn, cloudwatch: Any, tagging: Any) -> None:  # fmt: skip
    put_alarm(cloudwatch, "pods", Tags=[{"Key": "team", "Value": "otlp"}])
    cloudwatch.describe_alarms()
    tagging.get_resources(ResourceTypeFilters=["cloudwatch:alarm"])
    cloudwatch.put_dashboard(DashboardName="d", DashboardBody='{"widgets": []}')
    assert dict(moto.proxy.calls) == {"PutMetricAlarm": 1, "DescribeAlarms": 1, "GetResources": 1, "PutDashboard": 1}


def test_one_reset_empties_moto_and_the_alarm_service(moto: aws.AwsStandIn, cloudwatch: Any) -> None:
    put_alarm(cloudwatch, "pods")
    cloudwatch.put_dashboard(DashboardName="d", DashboardBody='{"widgets": []}')
    moto.reset()
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []
    assert cloudwatch.list_dashboards()["DashboardEntries"] == []
    assert dict(moto.proxy.calls) == {"DescribeAlarms": 1, "ListDashboards": 1}
