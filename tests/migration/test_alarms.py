"""The reference alarms controller's cw.aws.com objects: kept as kedawatch serves them, with the name of the
alarm that controller wrote and the annotation that lets kedawatch take that alarm over."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kedawatch.migration.results import Converted
from kedawatch.operator.resources import fields, legacy, metric_alarm
from tests.migration import checks
from tests.migration.manifests import stream

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-alarm.yaml"


def seed() -> dict[str, Any]:
    return dict(yaml.safe_load(SEED.read_text()))


def texts(results: list[Converted], lost: bool | None = None) -> list[str]:
    return [n.text for r in results for n in r.notes if lost is None or n.lost == lost]


def test_the_example_alarm_is_kept_with_the_reference_controllers_alarm_name_and_adopted() -> None:
    results = checks.migrate(SEED)
    (alarm,) = checks.check(results)
    assert not texts(results, lost=True)
    original = seed()
    assert alarm["spec"] == {**original["spec"], "AlarmName": "default-otlp-consumer-alarm"}
    assert alarm["metadata"]["annotations"] == {"kedawatch.io/adopt": "true"}
    native, problems = legacy.to_native(metric_alarm.METRIC_ALARM, alarm["spec"])
    assert problems == [] and fields.validate(metric_alarm.METRIC_ALARM, native) == []
    assert native["alarmName"] == "default-otlp-consumer-alarm"


def test_fields_the_reference_controller_mishandled_are_noted_where_kedawatch_now_sends_them() -> None:
    alarm = seed()
    alarm["spec"].update(OkActions=["arn:aws:sns:us-east-1:123456789012:oncall"], Threshold=0, ActionsEnabled=False)
    found = texts(checks.migrate_text(stream(alarm)), lost=False)
    assert any("sent OkActions, a parameter PutMetricAlarm does not know" in t for t in found)
    assert any("dropped a Threshold of 0" in t for t in found)
    assert any("always sent ActionsEnabled true" in t for t in found)


def test_an_alarm_name_the_reference_controller_ignored_means_a_second_alarm() -> None:
    alarm = seed()
    alarm["spec"]["AlarmName"] = "pods-high"
    (lost,) = texts(checks.migrate_text(stream(alarm)), lost=True)
    assert "ignored AlarmName and wrote the alarm default-otlp-consumer-alarm" in lost


def test_what_the_operator_will_refuse_is_said_before_it_is_applied() -> None:
    alarm = seed()
    alarm["spec"].update(Colour="red", Period=45)
    lost = texts(checks.migrate_text(stream(alarm)), lost=True)
    assert lost == [
        "the operator will refuse this object: spec.Colour: unknown field",
        "the operator will refuse this object: spec: period must be 10, 20, 30 or a multiple of 60",
    ]


def test_a_live_object_loses_what_the_api_server_added_and_its_finalizer_is_noted() -> None:
    alarm = seed()
    alarm["metadata"].update(
        uid="1", resourceVersion="9", finalizers=["kopf.zalando.org/KopfFinalizerMarker"],
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "otlp"},
    )  # fmt: skip
    alarm["status"] = {"create_fn": {"message": "created"}}
    results = checks.migrate_text(stream(alarm))
    (kept,) = checks.check(results)
    assert kept["metadata"] == {
        "namespace": "default", "name": "otlp-consumer-alarm", "annotations": {"team": "otlp", "kedawatch.io/adopt": "true"},
    }  # fmt: skip
    assert "status" not in kept
    assert any("the reference controller's finalizer" in t for t in texts(results, lost=False))


def test_an_alarm_without_a_namespace_is_named_for_default_and_flagged() -> None:
    alarm = seed()
    del alarm["metadata"]["namespace"]
    results = checks.migrate_text(stream(alarm))
    assert checks.check(results)[0]["spec"]["AlarmName"] == "default-otlp-consumer-alarm"
    assert any("the file names no namespace" in t for t in texts(results, lost=True))


def test_a_composite_alarm_keeps_its_name_so_rules_naming_it_still_hold() -> None:
    composite = {
        "apiVersion": "cw.aws.com/v1", "kind": "cloudwatchcompositalarm", "metadata": {"name": "any", "namespace": "ops"},
        "spec": {"AlarmRule": 'ALARM("ops-pods-high") OR ALARM("ops-queue-old")', "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:oncall"]},
    }  # fmt: skip
    results = checks.migrate_text(stream(composite))
    (kept,) = checks.check(results)
    assert kept["spec"]["AlarmName"] == "ops-any" and not texts(results, lost=True)


def test_an_unknown_cw_aws_com_kind_is_not_converted() -> None:
    results = checks.migrate_text(
        stream({"apiVersion": "cw.aws.com/v1", "kind": "dashboard", "metadata": {"name": "d"}})
    )
    assert any("no such cw.aws.com kind" in t for t in texts(results, lost=True))
