"""The newer kinds end to end: a real kopf operator, the Kubernetes stand-in and the AWS stand-in, over HTTP. Log
alarms and composite alarms go through the AWS stand-in's own PutLogAlarm and PutCompositeAlarm."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from kedawatch.operator.resources import crds, fields
from tests.operator.conftest import FAST, Cluster, eventually, operating
from tests.operator.test_alarm_operator import alarm_object, synced
from tests.operator.test_log_alarms import LOG, QUERY_ROLE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "alarm-kinds.yaml"


def log_alarm(name: str = "errors", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": crds.LOG_ALARMS.api_version,
        "kind": crds.LOG_ALARMS.kind,
        "metadata": {"name": name, "namespace": "default"},
        "spec": {**LOG, "queryRoleArn": QUERY_ROLE, **spec},
    }


def log_alarms_in_aws(cloudwatch: Any) -> list[dict[str, Any]]:
    return list(cloudwatch.describe_alarms(AlarmTypes=["LogAlarm"])["LogAlarms"])


def test_a_log_alarm_object_becomes_a_log_alarm_and_mirrors_its_state_with_events(operator: Cluster, cloudwatch: Any) -> None:  # fmt: skip
    operator.create(log_alarm())
    obj = eventually(lambda: synced(operator, "errors", crds.LOG_ALARMS))
    assert (obj["status"]["alarmName"], obj["status"]["state"]) == ("prod/default/errors", "INSUFFICIENT_DATA")
    (alarm,) = log_alarms_in_aws(cloudwatch)
    assert alarm["ScheduledQueryConfiguration"]["LogGroupIdentifiers"] == ["/aws/containerinsights/prod/application"]
    cloudwatch.set_alarm_state(AlarmName="prod/default/errors", StateValue="ALARM", StateReason="12 lines")
    eventually(lambda: (o := operator.get(crds.LOG_ALARMS, "errors")) and o["status"].get("state") == "ALARM")
    warned = eventually(lambda: [e for e in operator.events("errors") if e["reason"] == "AlarmState"])
    assert warned[0]["type"] == "Warning" and "is in ALARM" in warned[0]["message"]
    cloudwatch.set_alarm_state(AlarmName="prod/default/errors", StateValue="OK", StateReason="quiet")
    eventually(lambda: [e for e in operator.events("errors") if e["type"] == "Normal" and "is OK" in e["message"]])
    operator.delete(crds.LOG_ALARMS, "errors")
    eventually(lambda: operator.get(crds.LOG_ALARMS, "errors") is None)
    assert log_alarms_in_aws(cloudwatch) == []


def test_an_invalid_log_alarm_is_reported_and_never_reaches_aws(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(log_alarm(queryResultsToAlarm=5))
    found = eventually(lambda: (o := operator.get(crds.LOG_ALARMS, "errors")) and o.get("status", {}).get("conditions"))
    assert (found[0]["reason"], found[0]["message"]) == (
        "InvalidSpec", "spec: queryResultsToAlarm (M) must not exceed queryResultsToEvaluate (N)",
    )  # fmt: skip
    assert log_alarms_in_aws(cloudwatch) == []


def test_a_composite_waits_for_its_alarm_then_is_put_through_the_stand_in(operator: Cluster, cloudwatch: Any) -> None:
    composite = {
        "apiVersion": crds.COMPOSITE_ALARMS.api_version,
        "kind": crds.COMPOSITE_ALARMS.kind,
        "metadata": {"name": "consumer", "namespace": "default"},
        "spec": {"alarmRule": 'ALARM("prod/default/pods") AND ALARM("prod/default/errors")'},
    }
    operator.create(composite)
    waiting = eventually(
        lambda: (o := operator.get(crds.COMPOSITE_ALARMS, "consumer")) and o.get("status", {}).get("conditions")
    )
    assert waiting[0]["reason"] == "AlarmsMissing"
    operator.create(alarm_object("pods"))
    operator.create(log_alarm())
    eventually(lambda: synced(operator, "consumer", crds.COMPOSITE_ALARMS), within=30)
    (put,) = cloudwatch.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    children = cloudwatch.describe_alarms(ChildrenOfAlarmName=put["AlarmName"])
    assert sorted(a["AlarmName"] for a in [*children["MetricAlarms"], *children["LogAlarms"]]) == [
        "prod/default/errors", "prod/default/pods",
    ]  # fmt: skip


def test_the_examples_newer_kinds_are_valid_and_apply_as_they_are(cluster: Cluster, moto: Any) -> None:
    """With the operator's log query role (the example's log alarm names none)."""
    documents = list(yaml.safe_load_all(EXAMPLE.read_text()))
    for document in documents:
        kind = crds.by_kind(document["apiVersion"], document["kind"])
        definition = next(d for d in crds.DEFINITIONS if d.name == kind.name)
        assert fields.validate(definition.spec, document["spec"]) == [], document["metadata"]["name"]
    with operating(cluster, dataclasses.replace(FAST, log_query_role_arn=QUERY_ROLE)):
        for document in documents:
            cluster.create(document)
        _all_synced(cluster, documents)


def _all_synced(cluster: Cluster, documents: list[dict[str, Any]]) -> None:
    for document in documents:
        kind = crds.by_kind(document["apiVersion"], document["kind"])
        eventually(lambda: synced(cluster, document["metadata"]["name"], kind))  # noqa: B023
    rule = eventually(
        lambda: (o := cluster.get(crds.MUTE_RULES, "otlp-consumer-upgrades")) and o["status"]["targetCount"] == 2 and o
    )
    assert rule["status"]["targets"] == ["prod/default/otlp-consumer-errors", "prod/default/otlp-consumer-pods"]
    assert rule["status"]["nextWindowStart"]
