"""Specs at every edge of the schema, and specs that pass it but fail in AWS.

The edges are checked on the validation layer that the operator and `kedawatch render` share, and a few
through the real operator. What AWS refuses and the AWS stand-in accepts is refused by its counting proxy, as
AWS words it; the operator must then say so in a condition and an Event, once, and not write again and again.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any

import pytest

from kedawatch import settings
from kedawatch.operator.rendering import app as rendering
from kedawatch.operator.resources import crds, fields
from kedawatch.operator.resources.composite_alarm import COMPOSITE_ALARM
from kedawatch.operator.resources.metric_alarm import METRIC_ALARM
from kedawatch.standins import aws
from tests.operator.conftest import FAST, Cluster, condition, eventually, operating
from tests.operator.test_alarm_operator import alarm_object, cw_alarm, synced
from tests.operator.test_alarm_schemas import COMPOSITE, MATH, SINGLE
from tests.operator.test_app_operator import app_body
from tests.operator.test_app_rendering import example_app

QUIET = 4.0
"""Seconds to watch the operator after a refusal: four of the test settings' drift intervals."""


def watched_for(proxy: aws.CountingProxy, seconds: float) -> None:
    """Wait until the operator has swept its alarms for `seconds` of its state interval: its timers (the drift
    repair among them) have had that long to act, measured by what it did rather than by the clock."""
    sweeps = proxy.calls["DescribeAlarms"] + round(seconds / FAST.state_interval)
    eventually(lambda: proxy.calls["DescribeAlarms"] >= sweeps, within=seconds * 5)


def dimensions(count: int) -> list[dict[str, str]]:
    return [{"name": f"d{index}", "value": "v"} for index in range(count)]


def queries(count: int) -> list[dict[str, Any]]:
    """`count` metric-math queries, the last one returning data."""
    inputs = [{"id": f"e{index}", "expression": "m1", "returnData": False} for index in range(count - 3)]
    return [*MATH["metrics"][:2], *inputs, MATH["metrics"][2]]


METRIC_EDGES = [
    pytest.param({"evaluationPeriods": 1}, None, id="evaluationPeriods 1"),
    pytest.param({"evaluationPeriods": 0}, "spec.evaluationPeriods: 0 is less than the minimum of 1", id="evaluationPeriods 0"),
    pytest.param({"evaluationPeriods": -1}, "spec.evaluationPeriods: -1 is less than the minimum of 1", id="evaluationPeriods -1"),
    pytest.param({"evaluationPeriods": 8641, "period": 10}, "spec.evaluationPeriods: 8641 is greater than the maximum of 8640", id="evaluationPeriods 8641"),
    pytest.param({"evaluationPeriods": 2**63}, "spec.evaluationPeriods: 9223372036854775808 is greater than", id="evaluationPeriods 2**63"),
    pytest.param({"evaluationPeriods": "3"}, "spec.evaluationPeriods: '3' is not of type 'integer'", id="evaluationPeriods string"),
    pytest.param({"evaluationPeriods": True}, "spec.evaluationPeriods: True is not of type 'integer'", id="evaluationPeriods boolean"),
    pytest.param({"evaluationPeriods": 1.5}, "spec.evaluationPeriods: 1.5 is not of type 'integer'", id="evaluationPeriods 1.5"),
    pytest.param({"period": 60, "evaluationPeriods": 1440}, None, id="one day of minutes"),
    pytest.param({"period": 60, "evaluationPeriods": 1441}, "spec: period x evaluationPeriods must be at most 1 day", id="a minute over a day"),
    pytest.param({"period": 3600, "evaluationPeriods": 168}, None, id="seven days of hours"),
    pytest.param({"period": 3600, "evaluationPeriods": 169}, "spec: period x evaluationPeriods must be at most 1 day", id="an hour over seven days"),
    pytest.param({"period": 10}, None, id="period 10"),
    pytest.param({"period": 30}, None, id="period 30"),
    pytest.param({"period": 0}, "spec.period: 0 is less than the minimum of 1", id="period 0"),
    pytest.param({"period": 1}, "spec: period must be 10, 20, 30 or a multiple of 60", id="period 1"),
    pytest.param({"period": 45}, "spec: period must be 10, 20, 30 or a multiple of 60", id="period 45"),
    pytest.param({"period": 61}, "spec: period must be 10, 20, 30 or a multiple of 60", id="period 61"),
    pytest.param({"evaluationPeriods": 3, "datapointsToAlarm": 3}, None, id="datapointsToAlarm = evaluationPeriods"),
    pytest.param({"evaluationPeriods": 3, "datapointsToAlarm": 4}, "spec: datapointsToAlarm must not exceed", id="datapointsToAlarm > evaluationPeriods"),
    pytest.param({"datapointsToAlarm": 0}, "spec.datapointsToAlarm: 0 is less than the minimum of 1", id="datapointsToAlarm 0"),
    pytest.param({"threshold": -1.5e308}, None, id="threshold -1.5e308"),
    pytest.param({"threshold": math.nan}, "spec.threshold: nan is not a finite number", id="threshold NaN"),
    pytest.param({"threshold": math.inf}, "spec.threshold: inf is not a finite number", id="threshold inf"),
    pytest.param({"threshold": -math.inf}, "spec.threshold: -inf is not a finite number", id="threshold -inf"),
    pytest.param({"threshold": "8"}, "spec.threshold: '8' is not of type 'number'", id="threshold string"),
    pytest.param({"alarmName": "x" * 255}, None, id="name 255"),
    pytest.param({"alarmName": "x" * 256}, "spec.alarmName: too long: 256 characters, at most 255", id="name 256"),
    pytest.param({"alarmName": "é" * 255}, None, id="name 255 accented"),
    pytest.param({"alarmName": "prod/ünïcødé/🚨"}, None, id="name unicode"),
    pytest.param({"alarmName": ""}, "spec.alarmName: '' should be non-empty", id="name empty"),
    pytest.param({"alarmName": "a\nb"}, r"spec.alarmName: 'a\nb' does not match", id="name control character"),
    pytest.param({"description": "d" * 1024}, None, id="description 1024"),
    pytest.param({"description": "d" * 1025}, "spec.description: too long: 1025 characters, at most 1024", id="description 1025"),
    pytest.param({"description": ""}, None, id="description empty"),
    pytest.param({"alarmActions": [f"arn:aws:sns:us-east-1:123456789012:t{i}" for i in range(5)]}, None, id="5 actions"),
    pytest.param({"okActions": ["arn:a"] * 6}, "spec.okActions: too many: 6 items, at most 5", id="6 ok actions"),
    pytest.param({"insufficientDataActions": ["a" * 1025]}, "spec.insufficientDataActions.0: too long: 1025 characters", id="action 1025"),
    pytest.param({"alarmActions": [""]}, "spec.alarmActions.0: '' should be non-empty", id="action empty"),
    pytest.param({"alarmActions": "arn:a"}, "spec.alarmActions: 'arn:a' is not of type 'array'", id="actions a string"),
    pytest.param({"dimensions": dimensions(30)}, None, id="30 dimensions"),
    pytest.param({"dimensions": dimensions(31)}, "spec.dimensions: too many: 31 items, at most 30", id="31 dimensions"),
    pytest.param({"dimensions": [{}]}, "spec.dimensions.0: 'name' is a required property", id="dimension empty"),
    pytest.param({"dimensions": []}, None, id="dimensions empty"),
    pytest.param({"dimensions": [{"name": "n", "value": "v" * 1025}]}, "spec.dimensions.0.value: too long: 1025", id="dimension value 1025"),
    pytest.param({"tags": {f"k{i}": "v" for i in range(50)}}, None, id="50 tags"),
    pytest.param({"tags": {f"k{i}": "v" for i in range(51)}}, "spec.tags: too many: 51 entries, at most 50", id="51 tags"),
    pytest.param({"tags": {"k" * 128: "v"}}, None, id="tag key 128"),
    pytest.param({"tags": {"k" * 129: "v"}}, "spec: tags keys must be 1 to 128 characters", id="tag key 129"),
    pytest.param({"tags": {"": "v"}}, "spec: tags keys must be 1 to 128 characters", id="tag key empty"),
    pytest.param({"tags": {"aws:team": "v"}}, "spec: tags keys must be 1 to 128 characters and must not start with aws:", id="tag key aws:"),
    pytest.param({"tags": {"t": "v" * 257}}, "spec.tags.t: too long: 257 characters, at most 256", id="tag value 257"),
    pytest.param({"tags": {}}, None, id="tags empty"),
    pytest.param({"datapointToAlarm": 2}, "spec.datapointToAlarm: unknown field", id="unknown key"),
    pytest.param({"dimensions": [{"name": "n", "value": "v", "Value": "v"}]}, "spec.dimensions.0.Value: unknown field", id="unknown nested key"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "refusal"), METRIC_EDGES)
def test_metric_alarm_edges(change: dict[str, Any], refusal: str | None) -> None:
    assert_edge(METRIC_ALARM, {**SINGLE, **change}, refusal)


MATH_EDGES = [
    pytest.param({"metrics": queries(20)}, None, id="20 queries"),
    pytest.param({"metrics": queries(21)}, "spec.metrics: too many: 21 items, at most 20", id="21 queries"),
    pytest.param({"metrics": []}, "spec.metrics: [] should be non-empty", id="no queries"),
    pytest.param({"metrics": [{}]}, "spec.metrics.0: 'id' is a required property", id="empty query"),
    pytest.param({"metrics": [{"id": "M1", "expression": "1"}]}, "spec.metrics.0.id: 'M1' does not match", id="id upper case"),
    pytest.param({"metrics": [{"id": "e1", "expression": "x" * 2049}]}, "spec.metrics.0.expression: too long: 2049", id="expression 2049"),
    pytest.param({"metrics": [{"id": "e1", "expression": "1", "accountId": "12345"}]}, "spec.metrics.0.accountId: '12345' does not match", id="account id"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "refusal"), MATH_EDGES)
def test_metric_math_edges(change: dict[str, Any], refusal: str | None) -> None:
    assert_edge(METRIC_ALARM, {**MATH, **change}, refusal)


COMPOSITE_EDGES = [
    pytest.param({"alarmRule": "A" * 10240}, None, id="rule 10240"),
    pytest.param({"alarmRule": "A" * 10241}, "spec.alarmRule: too long: 10241 characters, at most 10240", id="rule 10241"),
    pytest.param({"alarmRule": ""}, "spec.alarmRule: '' should be non-empty", id="rule empty"),
    pytest.param({"alarmRule": 'ALARM("ünïcødé 🚨")'}, None, id="rule unicode"),
    pytest.param({"alarmRule": ["ALARM(a)"]}, "spec.alarmRule: ['ALARM(a)'] is not of type 'string'", id="rule a list"),
    pytest.param({"actionsSuppressor": "s" * 1601, "actionsSuppressorWaitPeriod": 0, "actionsSuppressorExtensionPeriod": 0},
                 "spec.actionsSuppressor: too long: 1601 characters, at most 1600", id="suppressor 1601"),
    pytest.param({"actionsSuppressor": "s", "actionsSuppressorWaitPeriod": -1, "actionsSuppressorExtensionPeriod": 0},
                 "spec.actionsSuppressorWaitPeriod: -1 is less than the minimum of 0", id="wait -1"),
    pytest.param({"alarmActions": ["arn:a"] * 6}, "spec.alarmActions: too many: 6 items, at most 5", id="6 actions"),
    pytest.param({"threshold": 1}, "spec.threshold: unknown field", id="a metric alarm's field"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "refusal"), COMPOSITE_EDGES)
def test_composite_alarm_edges(change: dict[str, Any], refusal: str | None) -> None:
    assert_edge(COMPOSITE_ALARM, {**COMPOSITE, **change}, refusal)


def app_spec(**changes: Any) -> dict[str, Any]:
    return {**example_app()["spec"], **changes}


def scaling(**changes: Any) -> dict[str, Any]:
    return {**example_app()["spec"]["scaling"], **changes}


def metric_alarm(**changes: Any) -> dict[str, Any]:
    return {"name": "custom", "metric": {**SINGLE, **changes}}


APP_EDGES = [
    pytest.param({}, None, id="the example"),
    pytest.param({"scaling": scaling(minReplicas=0, maxReplicas=1)}, None, id="scale to zero"),
    pytest.param({"scaling": scaling(minReplicas=11)}, "spec: scaling.minReplicas must not exceed", id="min over max"),
    pytest.param({"scaling": scaling(maxReplicas=0)}, "spec.scaling.maxReplicas: 0 is less than the minimum of 1", id="max 0"),
    pytest.param({"scaling": scaling(idleReplicas=1)}, "spec: scaling.idleReplicas must be less than", id="idle = min"),
    pytest.param({"scaling": scaling(triggers=[])}, "spec.scaling.triggers: [] should be non-empty", id="no triggers"),
    pytest.param({"scaling": scaling(triggers=[{}])}, "spec: each of scaling.triggers is exactly one", id="empty trigger"),
    pytest.param({"scaling": scaling(triggers=[{"cloudwatch": {"expression": "m1", "target": 0}}])},
                 "spec.scaling.triggers.0.cloudwatch.target: 0 is less than or equal to the minimum of 0", id="target 0"),
    pytest.param({"scaling": scaling(triggers=[{"cloudwatch": {"expression": "m1", "target": math.inf}}])},
                 "spec.scaling.triggers.0.cloudwatch.target: inf is not a finite number", id="target inf"),
    pytest.param({"scaling": scaling(triggers=[{"sqs": {"queueUrl": "sqs://q"}}])},
                 "spec.scaling.triggers.0.sqs.queueUrl: 'sqs://q' does not match", id="queue URL"),
    pytest.param({"scaling": scaling(maxReplicas="10")}, "spec.scaling.maxReplicas: '10' is not of type 'integer'", id="max a string"),
    pytest.param({"target": {}}, "spec.target: 'name' is a required property", id="empty target"),
    pytest.param({"target": {"name": "t" * 254}}, "spec.target.name: too long: 254 characters, at most 253", id="target 254"),
    pytest.param({"alarms": []}, None, id="no alarms"),
    pytest.param({"alarms": [{"name": f"a{i}", "replicasNearMax": {}} for i in range(51)]},
                 "spec.alarms: too many: 51 items, at most 50", id="51 alarms"),
    pytest.param({"alarms": [{"name": "a", "replicasNearMax": {}}, {"name": "a", "queueBacklogAge": {"seconds": 1}}]},
                 "spec: alarm names must be unique", id="same alarm name"),
    pytest.param({"alarms": [{"name": "Near_Max", "replicasNearMax": {}}]}, "spec.alarms.0.name: 'Near_Max' does not match",
                 id="alarm name"),
    pytest.param({"alarms": [{"name": "a", "replicasNearMax": {"fraction": 1}}]}, None, id="fraction 1"),
    pytest.param({"alarms": [{"name": "a", "replicasNearMax": {"fraction": 1.01}}]},
                 "spec.alarms.0.replicasNearMax.fraction: 1.01 is greater than the maximum of 1", id="fraction 1.01"),
    pytest.param({"alarms": [{"name": "a"}]}, "spec: each of alarms is exactly one of", id="alarm of no kind"),
    pytest.param({"alarms": [metric_alarm(period=90)]}, "spec.alarms[custom]: period must be 10, 20, 30", id="alarm's rule"),
    pytest.param({"alarms": [metric_alarm(threshold=math.nan)]}, "spec.alarms.0.metric.threshold: nan is not a finite",
                 id="alarm threshold NaN"),
    pytest.param({"alarms": [metric_alarm(treshold=3)]}, "spec.alarms.0.metric.treshold: unknown field", id="alarm typo"),
    pytest.param({"dashbaord": {"enabled": True}}, "spec.dashbaord: unknown field", id="unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "refusal"), APP_EDGES)
def test_app_observability_edges(change: dict[str, Any], refusal: str | None) -> None:
    app = {**example_app(), "spec": app_spec(**change)}
    _, problems = rendering.render_checked(app, settings.OperatorSettings(cluster_name="prod", region="us-east-1"))
    assert_problems(problems, refusal)


def assert_edge(kind: fields.Kind, spec: dict[str, Any], refusal: str | None) -> None:
    assert_problems(fields.validate(kind, spec), refusal)


def assert_problems(problems: list[str], refusal: str | None) -> None:
    if refusal is None:
        assert problems == []
        return
    assert any(problem.startswith(refusal) for problem in problems), problems
    assert all(len(problem) < 300 for problem in problems), "a message quotes a long value whole"


def warnings(cluster: Cluster, name: str) -> list[tuple[str, str]]:
    return [(e["reason"], e["message"]) for e in cluster.events(name) if e["type"] == "Warning"]


def test_unknown_keys_and_long_values_are_named_by_the_operator(operator: Cluster) -> None:
    operator.create(alarm_object(datapointToAlarm=2, description="d" * 1025))
    found = eventually(lambda: condition(operator, crds.METRIC_ALARMS, "pods", "Synced"))
    assert (found["status"], found["reason"]) == ("False", "InvalidSpec")
    assert found["message"] == (
        "spec.datapointToAlarm: unknown field; spec.description: too long: 1025 characters, at most 1024"
    )
    assert eventually(lambda: warnings(operator, "pods")) == [("InvalidSpec", found["message"])]


def test_unicode_names_and_descriptions_reach_cloudwatch_intact(operator: Cluster, cloudwatch: Any) -> None:
    name, description = "prod/ünïcødé/🚨 pods", "Ünïcødé: ≥ 8 pods 🚨" + "é" * 1000
    operator.create(alarm_object(alarmName=name, description=description))
    eventually(lambda: synced(operator))
    alarm = cw_alarm(cloudwatch, name)
    assert alarm is not None and alarm["AlarmDescription"] == description


def test_an_invalid_app_is_told_in_its_condition_and_an_event(operator: Cluster) -> None:
    app = app_body()
    app["spec"]["alarms"][0]["replicasNearMax"]["fraction"] = 1.5
    operator.create(app)
    found = eventually(lambda: condition(operator, crds.APPS, "otlp-consumer", "Ready"))
    assert (found["status"], found["reason"]) == ("False", "InvalidSpec")
    assert found["message"] == "spec.alarms.0.replicasNearMax.fraction: 1.5 is greater than the maximum of 1"
    assert eventually(lambda: warnings(operator, "otlp-consumer")) == [("InvalidSpec", found["message"])]


REFUSED = [
    pytest.param(
        {"alarmActions": ["arn:aws:sns:eu-west-1:123456789012:oncall"]},
        b"arn:aws:sns:eu-west-1",
        "Invalid region eu-west-1 specified. Only us-east-1 is supported.",
        id="an action in another region",
    ),
    pytest.param(
        {**{key: None for key in ("namespace", "metricName", "dimensions", "statistic", "period")},
         "metrics": [{**MATH["metrics"][0], "returnData": True}, {"id": "bad", "expression": "m1 +* 2", "returnData": False}]},
        b"m1 +* 2",
        "Error in expression 'bad': Unrecognized token '*' at char 5",
        id="a metric math expression",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("change", "marker", "aws_message"), REFUSED)
def test_a_spec_aws_refuses_waits_in_its_condition_without_writing_again(
    cluster: Cluster, proxy: aws.CountingProxy, change: dict[str, Any], marker: bytes, aws_message: str
) -> None:
    proxy.choose = lambda operation, body: (
        aws.Fault(400, "ValidationError", message=aws_message)
        if operation == "PutMetricAlarm" and marker in body
        else None
    )
    body = alarm_object(**change)
    body["spec"] = {key: value for key, value in body["spec"].items() if value is not None}
    with operating(cluster):
        cluster.create(body)
        found = eventually(lambda: condition(cluster, crds.METRIC_ALARMS, "pods", "Synced"))
        assert (found["status"], found["reason"]) == ("False", "AwsRejected")
        assert found["message"] == f"AWS invalid request in PutMetricAlarm: ValidationError: {aws_message}"
        watched_for(proxy, QUIET)
        assert proxy.calls["PutMetricAlarm"] == 1, "the drift repair must not write a refused spec again"
        assert warnings(cluster, "pods") == [("AwsRejected", found["message"])]
        cluster.patch(crds.METRIC_ALARMS, "pods", {"spec": {"description": "a new spec is tried again"}})
        eventually(lambda: proxy.calls["PutMetricAlarm"] == 2)


def test_a_composite_naming_missing_alarms_retries_with_backoff(cluster: Cluster, proxy: aws.CountingProxy) -> None:
    """The stand-in refuses the composite as AWS does while the alarms are missing; the proxy times the attempts."""
    missing = "Could not save the composite alarm as alarms [prod/default/pods] in the alarm rule do not exist"
    attempts: list[float] = []

    def timed(operation: str, _: bytes) -> aws.Fault | None:
        if operation == "PutCompositeAlarm":
            attempts.append(time.monotonic())
        return None

    proxy.choose = timed
    body = {"apiVersion": crds.COMPOSITE_ALARMS.api_version, "kind": crds.COMPOSITE_ALARMS.kind,
            "metadata": {"name": "c", "namespace": "default"},
            "spec": {"alarmRule": 'ALARM("prod/default/pods")'}}  # fmt: skip
    with operating(cluster):
        cluster.create(body)
        found = eventually(lambda: condition(cluster, crds.COMPOSITE_ALARMS, "c", "Synced"))
        assert (found["status"], found["reason"]) == ("False", "AlarmsMissing")
        assert found["message"] == (
            f"AWS invalid request in PutCompositeAlarm: ValidationError: {missing}; retrying until they exist"
        )
        eventually(lambda: len(attempts) == 4)
        gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
        assert gaps == sorted(gaps) and gaps[-1] > 2.5 * gaps[0], f"retries back off: {gaps}"
        assert warnings(cluster, "c") == [("AlarmsMissing", found["message"])]


def test_an_app_whose_dashboard_aws_refuses_says_so_without_a_write_loop(
    cluster: Cluster, proxy: aws.CountingProxy
) -> None:
    refusal = "The dashboard body is invalid, there are 1 validation errors"
    proxy.choose = lambda operation, _: (
        aws.Fault(400, "InvalidParameterInput", message=refusal) if operation == "PutDashboard" else None
    )
    with operating(cluster):
        cluster.create(app_body())
        found = eventually(lambda: condition(cluster, crds.APPS, "otlp-consumer", "Ready"))
        assert (found["status"], found["reason"]) == ("False", "DashboardFailed")
        assert found["message"] == f"AWS invalid request in PutDashboard: InvalidParameterInput: {refusal}"
        watched_for(proxy, QUIET)
        assert proxy.calls["PutDashboard"] <= 2, "the reconcile and at most one mirror, then kopf's timer backoff"
        assert warnings(cluster, "otlp-consumer") == [("DashboardFailed", found["message"])]
