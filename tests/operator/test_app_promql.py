"""An AppObservability's PromQL triggers and alarms, checked without a cluster: the scaler's own parser reads the
generated trigger, the alarm becomes a valid PromQL CloudWatchMetricAlarm, bad input is refused naming the field,
the CEL rules agree with the operator's, and `kedawatch render` prints them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import pytest
import yaml
from celpy import adapter

from kedawatch.operator.rendering import app as rendering
from kedawatch.operator.resources import crds, fields
from kedawatch.operator.resources.app_observability import APP_OBSERVABILITY
from kedawatch.operator.resources.metric_alarm import METRIC_ALARM
from kedawatch.scaler import triggers
from kedawatch.scaler.sources import promql
from tests.operator.test_app_rendering import SETTINGS, example_app, keda_schema, run_render

SCALING_QUERY = 'sum(rate({"http.server.request.duration_count", "@resource.service.name"="checkout"}[1m]))'
ERRORS_QUERY = 'sum by (service) (rate({"http.server.request.count", "http.response.status_code"=~"5.."}[5m])) > 5'
PROMQL_TRIGGER = {
    "name": "requests",
    "promql": {
        "query": SCALING_QUERY, "threshold": 50, "activationThreshold": 1.5, "ignoreNullValues": False,
        "region": "eu-west-1", "roleArn": "arn:aws:iam::123456789012:role/reader",
    },
}  # fmt: skip
PROMQL_ALARM = {"name": "errors", "promql": {"query": ERRORS_QUERY, "pendingPeriod": 120, "recoveryPeriod": 300}}


def promql_app(**changes: Any) -> dict[str, Any]:
    app = copy.deepcopy(example_app())
    app["spec"]["scaling"]["triggers"] = [copy.deepcopy(PROMQL_TRIGGER)]
    app["spec"]["alarms"] = [copy.deepcopy(PROMQL_ALARM)]
    app["spec"].update(changes)
    return app


def test_a_promql_trigger_reaches_the_scaler_as_its_own_parser_reads_it() -> None:
    scaled = rendering.render(promql_app(), SETTINGS).scaled_object
    jsonschema.Draft7Validator(fields.plain_schema(keda_schema())).validate(scaled)
    (trigger,) = scaled["spec"]["triggers"]
    assert (trigger["type"], trigger["name"]) == ("external-push", "requests")
    assert trigger["metadata"] == {
        "scalerAddress": SETTINGS.scaler_address, "source": "aws-cloudwatch-promql", "query": SCALING_QUERY,
        "threshold": "50", "activationThreshold": "1.5", "ignoreNullValues": "false", "awsRegion": "eu-west-1",
        "awsRoleArn": "arn:aws:iam::123456789012:role/reader",
    }  # fmt: skip
    parsed = triggers.parse(trigger["metadata"], "us-east-1")
    assert isinstance(parsed.source, promql.PromQLQuery)
    assert (parsed.source.query, parsed.source.target(), parsed.source.activation()) == (SCALING_QUERY, 50.0, 1.5)
    assert parsed.source.ignore_null_values is False
    assert (parsed.identity.region, parsed.identity.role_arn) == ("eu-west-1", "arn:aws:iam::123456789012:role/reader")


def test_a_promql_alarm_becomes_a_valid_promql_metric_alarm_with_the_apps_actions() -> None:
    (alarm,) = rendering.render(promql_app(), SETTINGS).alarms
    assert (alarm["kind"], alarm["metadata"]["name"]) == (crds.METRIC_ALARMS.kind, "otlp-consumer-errors")
    assert alarm["spec"] == {
        "evaluationCriteria": {"promQLCriteria": {"query": ERRORS_QUERY, "pendingPeriod": 120, "recoveryPeriod": 300}},
        "evaluationInterval": 60,
        "alarmActions": ["arn:aws:sns:us-east-1:123456789012:oncall"],
        "description": "otlp-consumer: errors (kedawatch AppObservability)",
    }
    assert fields.validate(METRIC_ALARM, alarm["spec"]) == []
    assert METRIC_ALARM.aws_params(alarm["spec"])["EvaluationCriteria"]["PromQLCriteria"]["Query"] == ERRORS_QUERY


def test_scaler_unavailable_over_a_promql_trigger_alarms_when_the_query_answers_nothing() -> None:
    app = promql_app(alarms=[{"name": "no-data", "scalerUnavailable": {"periods": 4}}])
    rendered, problems = rendering.render_checked(app, SETTINGS)
    assert problems == [] and rendered is not None
    (alarm,) = rendered.alarms
    assert alarm["spec"]["evaluationCriteria"] == {
        "promQLCriteria": {"query": f"absent({SCALING_QUERY})", "pendingPeriod": 240}
    }
    assert alarm["spec"]["evaluationInterval"] == 60


def test_the_dashboard_shows_a_promql_triggers_query_as_text() -> None:
    board = rendering.render(promql_app(), SETTINGS).dashboard
    assert board is not None
    (query, pods, alarms) = board["body"]["widgets"]
    assert query["type"] == "text" and SCALING_QUERY in query["properties"]["markdown"]
    assert (pods["properties"]["title"], alarms["type"]) == ("Running pods", "text")


def with_trigger(**promql_fields: Any) -> dict[str, Any]:
    return promql_app() | {"spec": {**promql_app()["spec"], "scaling": {"maxReplicas": 10, "triggers": [{"promql": promql_fields}]}}}  # fmt: skip


def with_alarm(alarm: dict[str, Any]) -> dict[str, Any]:
    return promql_app(alarms=[alarm])


REFUSED = [
    pytest.param(with_trigger(query="sum(rate(x[1m])", threshold=5), "spec.scaling.triggers[0].promql.query: query='sum(rate(x[1m])': is not valid PromQL: unclosed left parenthesis", id="a trigger's syntax error"),
    pytest.param(with_trigger(query="x[5m]", threshold=5), "spec.scaling.triggers[0].promql.query: query='x[5m]': is a range vector", id="a trigger's range vector"),
    pytest.param(with_trigger(query="up", threshold=0), "spec.scaling.triggers.0.promql.threshold: 0 is less than or equal to the minimum of 0", id="a threshold of 0"),
    pytest.param(with_trigger(query="up"), "spec.scaling.triggers.0.promql: 'threshold' is a required property", id="no threshold"),
    pytest.param(with_trigger(query="x" * 2049, threshold=1), "spec.scaling.triggers.0.promql.query: too long: 2049 characters, at most 2048", id="a trigger past what the scaler parses"),
    pytest.param(with_trigger(query="up", threshold=1, serverAddress="http://prometheus:9090"), "spec.scaling.triggers.0.promql.serverAddress: unknown field", id="another Prometheus"),
    pytest.param(with_trigger(query="up", threshold=1, region="mars"), "spec.scaling.triggers.0.promql.region: 'mars' does not match", id="a region that is none"),
    pytest.param(with_alarm({"name": "errors", "promql": {"query": "sum(errors"}}), "spec.alarms[errors].evaluationCriteria.promQLCriteria.query: 'sum(errors' is not valid PromQL: unclosed left parenthesis", id="an alarm's syntax error"),
    pytest.param(with_alarm({"name": "errors", "promql": {"query": "scalar(sum(errors)) > bool 1"}}), "spec.alarms[errors].evaluationCriteria.promQLCriteria.query: 'scalar(sum(errors)) > bool 1' is a scalar, not an instant vector", id="an alarm's scalar"),
    pytest.param(with_alarm({"name": "errors", "promql": {"query": "up", "pendingPeriod": 86401}}), "spec.alarms.0.promql.pendingPeriod: 86401 is greater than the maximum of 86400", id="a pending period over a day"),
    pytest.param(with_alarm({"name": "errors", "promql": {"query": "up", "evaluationInterval": 90}}), "spec.alarms[errors]: evaluationInterval must be 10, 20, 30 or a multiple of 60", id="an interval of 90"),
    pytest.param(with_alarm({"name": "errors", "promql": {"pendingPeriod": 60}}), "spec.alarms.0.promql: 'query' is a required property", id="an alarm without a query"),
    pytest.param(with_alarm({"name": "no-data", "scalerUnavailable": {}} | {"promql": {"query": "up"}}), "each of alarms is exactly one of metric, promql, replicasNearMax, queueBacklogAge or scalerUnavailable", id="an alarm both"),
]  # fmt: skip


@pytest.mark.parametrize(("app", "message"), REFUSED)
def test_bad_promql_triggers_and_alarms_are_refused_naming_the_field(app: dict[str, Any], message: str) -> None:
    rendered, problems = rendering.render_checked(app, SETTINGS)
    assert rendered is None
    assert any(problem.startswith(message) or message in problem for problem in problems), problems


def test_a_trigger_of_two_kinds_is_refused_alike_by_cel_and_the_operator() -> None:
    app = promql_app()
    app["spec"]["scaling"]["triggers"][0]["sqs"] = {"queueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q"}
    env = celpy.Environment()
    by_cel = [
        rule.message
        for rule in APP_OBSERVABILITY.rules
        if not env.program(env.compile(rule.cel)).evaluate({"self": adapter.json_to_cel(app["spec"])})
    ]
    assert by_cel == [rule.message for rule in APP_OBSERVABILITY.rules if not rule.holds(app["spec"])]
    assert by_cel == ["each of scaling.triggers is exactly one of sqs, cloudwatch or promql"]
    assert fields.validate(APP_OBSERVABILITY, promql_app()["spec"]) == []


def test_render_prints_a_promql_trigger_and_alarm(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(promql_app()))
    answer = run_render("-f", str(path), "--cluster-name", "prod")
    assert answer.returncode == 0, answer.stderr
    scaled, alarm = yaml.safe_load_all(answer.stdout)
    assert scaled["spec"]["triggers"][0]["metadata"]["source"] == "aws-cloudwatch-promql"
    assert scaled["spec"]["triggers"][0]["metadata"]["query"] == SCALING_QUERY
    assert alarm["spec"]["evaluationCriteria"]["promQLCriteria"]["query"] == ERRORS_QUERY
    listed = json.loads(run_render("-f", str(path), "-o", "json").stdout)
    assert [item["kind"] for item in listed["items"]] == ["ScaledObject", crds.METRIC_ALARMS.kind]


def test_render_refuses_a_promql_syntax_error_naming_object_and_field(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(with_alarm({"name": "errors", "promql": {"query": "sum(errors"}})))
    answer = run_render("-f", str(path))
    assert answer.returncode == 1
    assert (
        "default/otlp-consumer: spec.alarms[errors].evaluationCriteria.promQLCriteria.query: 'sum(errors' is not"
        " valid PromQL: unclosed left parenthesis"
    ) in answer.stderr
