"""AppObservability end to end: the real operator generates the ScaledObject, the alarms (which it then
reconciles into CloudWatch) and the dashboard, keeps them in sync, and never takes over others' objects."""

from __future__ import annotations

from typing import Any

import pytest

from kedawatch.operator.resources import crds
from tests.operator.conftest import Cluster, eventually
from tests.operator.test_app_rendering import CLOUDWATCH_TRIGGER, example_app


def app_body() -> dict[str, Any]:
    app = example_app()
    app["metadata"].pop("uid")
    return app


def ready(cluster: Cluster) -> dict[str, Any] | None:
    app = cluster.get(crds.APPS, "otlp-consumer")
    conditions = (app or {}).get("status", {}).get("conditions", [])
    return app if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions) else None


def alarm_children(cluster: Cluster) -> list[str]:
    listed = cluster.listed(crds.METRIC_ALARMS)
    return sorted(item["metadata"]["name"] for item in listed)


def test_an_app_generates_its_scaled_object_alarms_and_dashboard(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(app_body())
    app = eventually(lambda: ready(operator))
    scaled = operator.get(crds.SCALED_OBJECTS, "otlp-consumer")
    assert scaled is not None
    owner = scaled["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("AppObservability", app["metadata"]["uid"], True)
    assert scaled["spec"]["triggers"][0]["metadata"]["scalerAddress"].endswith(":9090")
    assert alarm_children(operator) == ["otlp-consumer-near-max-replicas", "otlp-consumer-queue-backlog-age"]
    names = eventually(lambda: {a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]} or None)
    assert names == {"prod/default/otlp-consumer-near-max-replicas", "prod/default/otlp-consumer-queue-backlog-age"}
    assert cloudwatch.get_dashboard(DashboardName="prod-default-otlp-consumer")["DashboardBody"]
    app = eventually(
        lambda: (a := operator.get(crds.APPS, "otlp-consumer")) and all(m["state"] for m in a["status"]["alarms"]) and a
    )
    assert [m["alarmName"] for m in app["status"]["alarms"]] == sorted(names)
    assert app["status"]["scaledObject"] == "otlp-consumer"


def test_alarm_states_are_mirrored_into_the_app(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(app_body())
    eventually(lambda: ready(operator) and len(cloudwatch.describe_alarms()["MetricAlarms"]) == 2)
    cloudwatch.set_alarm_state(
        AlarmName="prod/default/otlp-consumer-near-max-replicas", StateValue="ALARM", StateReason="8 pods"
    )
    app = eventually(
        lambda: (a := operator.get(crds.APPS, "otlp-consumer")) and a["status"].get("alarmsInAlarm") == 1 and a
    )
    assert {m["name"]: m["state"] for m in app["status"]["alarms"]}["near-max-replicas"] == "ALARM"


def test_spec_changes_update_and_prune_the_children(operator: Cluster) -> None:
    operator.create(app_body())
    eventually(lambda: ready(operator))
    triggers = [example_app()["spec"]["scaling"]["triggers"][0], CLOUDWATCH_TRIGGER]
    triggers[0]["sqs"]["targetMessagesPerReplica"] = 50
    operator.patch(
        crds.APPS,
        "otlp-consumer",
        {"spec": {"scaling": {"triggers": triggers}, "alarms": [example_app()["spec"]["alarms"][0]]}},
    )
    scaled = eventually(
        lambda: (s := operator.get(crds.SCALED_OBJECTS, "otlp-consumer")) and len(s["spec"]["triggers"]) == 2 and s
    )
    assert scaled["spec"]["triggers"][0]["metadata"]["queueLength"] == "50"
    assert scaled["spec"]["triggers"][1]["metadata"]["namespace"] == "AWS/ApplicationELB"
    eventually(lambda: alarm_children(operator) == ["otlp-consumer-near-max-replicas"])


def test_a_scaled_object_owned_by_someone_else_is_left_alone(operator: Cluster) -> None:
    foreign = {"apiVersion": crds.SCALED_OBJECTS.api_version, "kind": crds.SCALED_OBJECTS.kind, "metadata": {"name": "otlp-consumer", "namespace": "default"},
               "spec": {"scaleTargetRef": {"name": "legacy"}, "triggers": []}}  # fmt: skip
    operator.create(foreign)
    operator.create(app_body())
    app = eventually(
        lambda: (a := operator.get(crds.APPS, "otlp-consumer")) and a.get("status", {}).get("conditions") and a
    )
    condition = app["status"]["conditions"][0]
    assert (condition["status"], condition["reason"]) == ("False", "Conflict")
    assert "otlp-consumer" in condition["message"]
    assert operator.get(crds.SCALED_OBJECTS, "otlp-consumer")["spec"]["scaleTargetRef"]["name"] == "legacy"  # type: ignore[index]


def test_deleting_the_app_deletes_its_dashboard(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(app_body())
    eventually(lambda: ready(operator))
    operator.delete(crds.APPS, "otlp-consumer")
    eventually(lambda: operator.get(crds.APPS, "otlp-consumer") is None)
    assert cloudwatch.list_dashboards()["DashboardEntries"] == []


def test_an_invalid_app_reports_the_field(operator: Cluster) -> None:
    app = app_body()
    app["spec"]["scaling"]["minReplicas"] = 12
    operator.create(app)
    app = eventually(
        lambda: (a := operator.get(crds.APPS, "otlp-consumer")) and a.get("status", {}).get("conditions") and a
    )
    condition = app["status"]["conditions"][0]
    assert (condition["reason"], condition["message"]) == (
        "InvalidSpec",
        "spec: scaling.minReplicas must not exceed scaling.maxReplicas",
    )
    assert operator.get(crds.SCALED_OBJECTS, "otlp-consumer") is None


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
