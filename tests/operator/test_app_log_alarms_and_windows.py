"""An AppObservability's logAlarms and maintenanceWindows: what they render to (and `kedawatch render` prints), the
rules on them, and the real operator creating, muting and pruning them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from kedawatch.operator.rendering import app as rendering
from kedawatch.operator.resources import crds, fields
from kedawatch.operator.resources.app_observability import APP_OBSERVABILITY
from tests.operator.conftest import FAST, Cluster, eventually, operating
from tests.operator.test_alarm_operator import synced
from tests.operator.test_alarm_schemas import assert_rules_agree
from tests.operator.test_app_operator import app_body, ready
from tests.operator.test_app_rendering import SETTINGS, example_app, run_render
from tests.schedules import WEEKLY_AWAY

QUERY_ROLE = "arn:aws:iam::123456789012:role/kedawatch-log-queries"
LOGS = dataclasses.replace(SETTINGS, log_query_role_arn=QUERY_ROLE)
ERRORS = {"name": "errors", "containerLogLines": {"pattern": "ERROR"}}
WINDOW = {"name": "upgrades", "schedule": {"expression": WEEKLY_AWAY, "duration": "PT2H"}}


def with_spec(app: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {**app, "spec": {**app["spec"], **spec}}


def test_three_lines_of_yaml_make_an_error_alarm_on_the_apps_container_logs() -> None:
    rendered = rendering.render(with_spec(example_app(), logAlarms=[ERRORS]), LOGS)
    (child,) = rendered.log_alarms
    assert (child["kind"], child["metadata"]["name"]) == (crds.LOG_ALARMS.kind, "otlp-consumer-errors")
    assert child["metadata"]["ownerReferences"][0]["kind"] == crds.APPS.kind
    spec = child["spec"]
    assert spec["query"] == (
        'filter kubernetes.container_name like "otlp-consumer" | filter kubernetes.namespace_name = "default"'
        " | filter log like /ERROR/"
    )
    assert spec["logGroups"] == ["/aws/containerinsights/prod/application"]
    assert (spec["aggregationExpression"], spec["schedule"]) == (
        "count(*)", {"expression": "rate(5 minutes)", "startTimeOffset": 300},
    )  # fmt: skip
    assert (spec["threshold"], spec["comparisonOperator"], spec["treatMissingData"]) == (
        1, "GreaterThanOrEqualToThreshold", "notBreaching",
    )  # fmt: skip
    assert spec["alarmActions"] == example_app()["spec"]["alarmActions"]
    assert fields.validate(crds.LOG_ALARMS.spec, {**spec, "queryRoleArn": QUERY_ROLE}) == []


def test_the_preset_takes_its_container_threshold_and_minutes_and_a_full_spec_passes_through() -> None:
    preset = {"name": "slow", "containerLogLines": {"pattern": "took [0-9]+ms/s", "container": "consumer",
              "threshold": 5, "minutes": 1}, "alarmActions": []}  # fmt: skip
    full = {"name": "own", "log": {"query": "stats count(*)", "logGroups": ["/aws/team/x"], "aggregationExpression": "count(*)",
            "schedule": {"expression": "rate(1 hour)", "startTimeOffset": 3600}, "queryResultsToEvaluate": 1,
            "queryResultsToAlarm": 1, "threshold": 0, "comparisonOperator": "GreaterThanThreshold"}}  # fmt: skip
    slow, own = rendering.render(with_spec(example_app(), logAlarms=[preset, full]), LOGS).log_alarms
    assert slow["spec"]["query"].endswith('like "consumer" | filter kubernetes.namespace_name = "default" | filter log like /took [0-9]+ms\\/s/')  # fmt: skip
    assert (slow["spec"]["threshold"], slow["spec"]["schedule"]) == (5, {"expression": "rate(1 minute)", "startTimeOffset": 60})  # fmt: skip
    assert "alarmActions" not in slow["spec"], "an alarm's own empty actions win over the app's"
    assert own["spec"]["logGroups"] == ["/aws/team/x"] and own["spec"]["alarmActions"] == example_app()["spec"]["alarmActions"]  # fmt: skip


def test_a_maintenance_window_is_a_mute_rule_over_the_apps_own_alarms() -> None:
    rendered = rendering.render(with_spec(example_app(), maintenanceWindows=[WINDOW]), LOGS)
    (rule,) = rendered.mute_rules
    assert (rule["kind"], rule["metadata"]["name"]) == (crds.MUTE_RULES.kind, "otlp-consumer-upgrades")
    assert rule["spec"]["schedule"] == WINDOW["schedule"]
    selector = rule["spec"]["targets"]["selector"]
    for alarm in rendered.alarms:
        assert selector["matchLabels"].items() <= alarm["metadata"]["labels"].items()
    assert fields.validate(crds.MUTE_RULES.spec, rule["spec"]) == []


INVALID = [
    pytest.param({"logAlarms": [ERRORS, ERRORS]}, "log alarm names must be unique", id="two log alarms of a name"),
    pytest.param({"logAlarms": [{**ERRORS, "name": "near-max-replicas"}]}, "differ from alarm names", id="a log alarm named as an alarm"),
    pytest.param({"logAlarms": [{"name": "x"}]}, "each of logAlarms is exactly one of log or containerLogLines", id="neither"),
    pytest.param({"logAlarms": [{"name": "x", "containerLogLines": {}}]}, "spec.logAlarms.0.containerLogLines: 'pattern' is a required property", id="no pattern"),
    pytest.param({"logAlarms": [{"name": "x", "containerLogLines": {"pattern": "E", "minutes": 0}}]}, "spec.logAlarms.0.containerLogLines.minutes: 0 is less than", id="no minutes"),
    pytest.param({"maintenanceWindows": [WINDOW, WINDOW]}, "maintenance window names must be unique", id="two windows of a name"),
    pytest.param({"maintenanceWindows": [{**WINDOW, "startDate": "2027-01-02T00:00:00Z", "expireDate": "2027-01-01T00:00:00Z"}]}, "maintenanceWindows[].expireDate must be after its startDate", id="a window expiring first"),
    pytest.param({"maintenanceWindows": [{**WINDOW, "schedule": {"expression": "cron(0 2 * * XYZ)", "duration": "PT2H"}}]}, "spec.maintenanceWindows[upgrades].schedule: Invalid cron() day-of-week field value 'XYZ'", id="a window that is no cron"),
    pytest.param({"logAlarms": [{"name": "x", "log": {"query": "q"}}]}, "spec.logAlarms.0.log: 'aggregationExpression' is a required property", id="a full spec missing its fields"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), INVALID)
def test_invalid_log_alarms_and_windows_are_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    rendered, problems = rendering.render_checked(with_spec(example_app(), **change), LOGS)
    assert rendered is None
    assert any(message in problem for problem in problems), problems


@pytest.mark.parametrize(("change", "message"), [param for param in INVALID if "must" in str(param.values[1]) or "exactly" in str(param.values[1])])  # fmt: skip
def test_the_app_rules_on_them_agree_in_cel_and_python(change: dict[str, Any], message: str) -> None:
    assert_rules_agree(APP_OBSERVABILITY, with_spec(example_app(), **change)["spec"], message)


def test_without_a_log_query_role_a_log_alarm_is_refused_by_render(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(with_spec(example_app(), logAlarms=[ERRORS], maintenanceWindows=[WINDOW])))
    refused = run_render("-f", str(path), "--cluster-name", "prod")
    assert refused.returncode == 1
    assert "default/otlp-consumer: spec.logAlarms[errors].queryRoleArn: required" in refused.stderr
    answer = run_render("-f", str(path), "--cluster-name", "prod", "--log-query-role-arn", QUERY_ROLE)
    assert answer.returncode == 0, answer.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(answer.stdout)]
    assert kinds[-2:] == [crds.LOG_ALARMS.kind, crds.MUTE_RULES.kind]


def test_an_apps_log_alarm_and_maintenance_window_are_created_muted_and_pruned(cluster: Cluster, moto: Any, cloudwatch: Any) -> None:  # fmt: skip
    with operating(cluster, dataclasses.replace(FAST, log_query_role_arn=QUERY_ROLE)):
        app = app_body()
        cluster.create(with_spec(app, logAlarms=[ERRORS], maintenanceWindows=[WINDOW]))
        eventually(lambda: ready(cluster))
        eventually(lambda: synced(cluster, "otlp-consumer-errors", crds.LOG_ALARMS))
        logs = cloudwatch.describe_alarms(AlarmTypes=["LogAlarm"])["LogAlarms"]
        assert [alarm["AlarmName"] for alarm in logs] == ["prod/default/otlp-consumer-errors"]
        expected = sorted(["prod/default/otlp-consumer-errors", "prod/default/otlp-consumer-near-max-replicas",
                           "prod/default/otlp-consumer-queue-backlog-age"])  # fmt: skip

        def muted() -> list[str]:
            rule = cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName="prod/default/otlp-consumer-upgrades")
            return sorted(rule.get("MuteTargets", {}).get("AlarmNames", []))

        eventually(lambda: muted() == expected)
        shown = eventually(lambda: (a := cluster.get(crds.APPS, "otlp-consumer")) and a["status"].get("maintenanceWindows") and a["status"]["maintenanceWindows"][0]["state"] and a)  # fmt: skip
        assert shown["status"]["maintenanceWindows"][0]["state"] == "SCHEDULED"
        assert shown["status"]["logAlarms"][0]["alarmName"] == "prod/default/otlp-consumer-errors"
        cluster.patch(crds.APPS, "otlp-consumer", {"spec": {"logAlarms": None}})
        eventually(lambda: cluster.get(crds.LOG_ALARMS, "otlp-consumer-errors") is None)
        eventually(lambda: muted() == expected[1:])
        cluster.patch(crds.APPS, "otlp-consumer", {"spec": {"maintenanceWindows": None}})
        eventually(lambda: cluster.get(crds.MUTE_RULES, "otlp-consumer-upgrades") is None)


def test_an_app_whose_log_group_the_policy_refuses_creates_nothing(cluster: Cluster, moto: Any, cloudwatch: Any) -> None:  # fmt: skip
    spec = rendering.render(with_spec(example_app(), logAlarms=[ERRORS]), LOGS).log_alarms[0]["spec"]
    other = {"name": "other", "log": {**spec, "logGroups": ["/aws/containerinsights/someone-else/application"]}}
    with operating(cluster, dataclasses.replace(FAST, log_query_role_arn=QUERY_ROLE)):
        cluster.create(with_spec(app_body(), logAlarms=[other]))
        app = eventually(lambda: (a := cluster.get(crds.APPS, "otlp-consumer")) and a.get("status", {}).get("conditions") and a)  # fmt: skip
    (ready_condition,) = app["status"]["conditions"]
    assert (ready_condition["status"], ready_condition["reason"]) == ("False", "Denied")
    assert "may not use log group '/aws/containerinsights/someone-else/application'" in ready_condition["message"]
    assert cluster.listed(crds.METRIC_ALARMS) == [] and cloudwatch.describe_alarms()["MetricAlarms"] == []
