"""The alarm reconciler against the AWS stand-in over HTTP: what a user's object does to CloudWatch."""

from __future__ import annotations

import collections
import dataclasses
from typing import Any

import boto3
import pytest

from kedawatch import settings, tenancy
from kedawatch.aws import clients
from kedawatch.operator import alarm_store, kernel, pacing
from kedawatch.operator.reconcilers import alarms
from kedawatch.operator.resources import crds
from kedawatch.standins import aws
from tests.operator.test_alarm_schemas import SINGLE

REGION = "us-east-1"
NATIVE, NATIVE_COMPOSITE, LEGACY = crds.METRIC_ALARMS, crds.COMPOSITE_ALARMS, crds.LEGACY_METRIC_ALARMS
SPEC: dict[str, Any] = {
    **SINGLE,
    "comparisonOperator": "GreaterThanOrEqualToThreshold",
    "alarmActions": ["arn:aws:sns:us-east-1:123456789012:oncall"],
    "tags": {"team": "otlp"},
}


@dataclasses.dataclass
class Harness:
    ctx: kernel.Context
    calls: collections.Counter[str]
    cloudwatch: Any

    def obj(self, spec: dict[str, Any], status: dict[str, Any] | None = None, **changes: Any) -> alarms.AlarmObject:
        fields = {
            "definition": NATIVE, "namespace": "default", "name": "otlp-consumer", "uid": "uid-1", "generation": 1,
            "spec": spec, "status": status or {}, "annotations": {},
        }  # fmt: skip
        return alarms.AlarmObject(**{**fields, **changes})

    def alarm(self, name: str = "prod/default/otlp-consumer") -> dict[str, Any] | None:
        found = self.cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        return found[0] if found else None

    def tags(self, name: str = "prod/default/otlp-consumer") -> dict[str, str]:
        arn = self.alarm(name)["AlarmArn"]  # type: ignore[index]
        return {t["Key"]: t["Value"] for t in self.cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"]}

    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op.startswith(("Put", "Delete", "Tag", "Untag")))


ACCOUNT = "123456789012"
"""The stand-in's account: the cluster's own, whose actions the default tenant policy allows."""
ALARM_PARAMS: dict[str, Any] = {
    "Namespace": "Other", "MetricName": "m", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
    "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
}  # fmt: skip
"""A metric alarm that is not any object's."""


@pytest.fixture
def harness(moto: aws.AwsStandIn) -> Harness:
    calls: collections.Counter[str] = collections.Counter()
    operator_settings = settings.OperatorSettings(cluster_name="prod", region=REGION, write_rate=100.0)
    pacer = pacing.Pacer(lambda _: 100)
    aws_clients = clients.AwsClients(operator_settings.aws, lambda op, _: calls.update([op]), pace=pacer)
    store = alarm_store.AlarmStore(aws_clients, pacer, "prod")
    return Harness(
        kernel.Context(operator_settings, store, tenancy.load(None, ACCOUNT)),
        calls,
        boto3.client("cloudwatch", region_name=REGION),
    )


async def test_create_puts_the_alarm_with_owner_tags_and_reports_synced(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj(SPEC), harness.ctx)
    alarm = harness.alarm()
    assert alarm is not None
    assert (alarm["Threshold"], alarm["Statistic"], alarm["Period"]) == (8.0, "Maximum", 300)
    assert alarm["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:oncall"]
    assert harness.tags() == {
        "team": "otlp", "kedawatch.io/cluster": "prod", "kedawatch.io/kind": "CloudWatchMetricAlarm",
        "kedawatch.io/namespace": "default", "kedawatch.io/name": "otlp-consumer", "kedawatch.io/uid": "uid-1",
    }  # fmt: skip
    assert status["alarmName"] == "prod/default/otlp-consumer"
    assert status["state"] == "INSUFFICIENT_DATA" and status["observedGeneration"] == 1
    observed, _ = await alarms.observe_alarm(harness.obj(SPEC, status), harness.ctx)
    assert observed["alarmArn"] == alarm["AlarmArn"]
    assert status["conditions"][0] | {"lastTransitionTime": None} == {
        "type": "Synced", "status": "True", "reason": "Synced", "message": "the alarm matches the spec",
        "lastTransitionTime": None, "observedGeneration": 1,
    }  # fmt: skip


async def test_an_unchanged_spec_writes_nothing(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj(SPEC), harness.ctx)
    harness.calls.clear()
    await alarms.reconcile_alarm(harness.obj(SPEC, status), harness.ctx)
    assert harness.writes() == 0
    assert harness.calls["DescribeAlarms"] == 1


async def test_a_changed_spec_updates_the_alarm_and_its_tags(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj(SPEC), harness.ctx)
    changed = {**SPEC, "threshold": 0, "okActions": ["arn:aws:sns:us-east-1:123456789012:ok"], "tags": {"tier": "1"}}
    harness.calls.clear()
    await alarms.reconcile_alarm(harness.obj(changed, status, generation=2), harness.ctx)
    alarm = harness.alarm()
    assert alarm is not None and alarm["Threshold"] == 0.0
    assert alarm["OKActions"] == ["arn:aws:sns:us-east-1:123456789012:ok"]
    tags = harness.tags()
    assert tags["tier"] == "1" and "team" not in tags
    assert (harness.calls["PutMetricAlarm"], harness.calls["TagResource"], harness.calls["UntagResource"]) == (1, 1, 1)


async def test_renaming_deletes_the_old_alarm(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj(SPEC), harness.ctx)
    await alarms.reconcile_alarm(harness.obj({**SPEC, "alarmName": "otlp-pods"}, status), harness.ctx)
    assert harness.alarm() is None
    assert harness.alarm("otlp-pods") is not None


async def test_a_foreign_alarm_of_the_same_name_is_left_untouched(harness: Harness) -> None:
    harness.cloudwatch.put_metric_alarm(
        AlarmName="prod/default/otlp-consumer", Namespace="Other", MetricName="m", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    status = await alarms.reconcile_alarm(harness.obj(SPEC), harness.ctx)
    assert status["conditions"][0]["reason"] == "Conflict"
    assert "kedawatch.io/adopt=true" in status["conditions"][0]["message"]
    assert harness.alarm()["Namespace"] == "Other"  # type: ignore[index]
    await alarms.delete_alarm(harness.obj(SPEC, status), harness.ctx)
    assert harness.alarm() is not None, "never deleted either"


async def test_an_annotated_object_adopts_the_foreign_alarm(harness: Harness) -> None:
    harness.cloudwatch.put_metric_alarm(
        AlarmName="prod/default/otlp-consumer", Namespace="Other", MetricName="m", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    adopt = {"kedawatch.io/adopt": "true"}
    status = await alarms.reconcile_alarm(harness.obj(SPEC, annotations=adopt), harness.ctx)
    assert status["conditions"][0]["reason"] == "Synced"
    assert harness.alarm()["Namespace"] == "ContainerInsights"  # type: ignore[index]
    assert harness.tags()["kedawatch.io/uid"] == "uid-1"


async def test_delete_removes_the_alarm_and_retain_keeps_it(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj(SPEC), harness.ctx)
    await alarms.delete_alarm(harness.obj({**SPEC, "deletionPolicy": "Retain"}, status), harness.ctx)
    assert harness.alarm() is not None
    await alarms.delete_alarm(harness.obj(SPEC, status), harness.ctx)
    assert harness.alarm() is None
    await alarms.delete_alarm(harness.obj(SPEC, status), harness.ctx)  # already gone: fine


async def test_a_sweep_sees_every_alarm_of_100_names_although_aws_pages_by_50(harness: Harness) -> None:
    statuses = [
        await alarms.reconcile_alarm(harness.obj(SPEC, name=f"app{i}", uid=f"u{i}"), harness.ctx) for i in range(150)
    ]
    harness.calls.clear()
    for i, status in enumerate(statuses):
        assert await alarms.repair_drift(harness.obj(SPEC, status, name=f"app{i}", uid=f"u{i}"), harness.ctx)
    assert harness.calls["DescribeAlarms"] == 2, "ceil(150 / 100) names a sweep, none read again one by one"
    assert harness.calls["ListTagsForResource"] == 0
    assert harness.writes() == 0


async def test_an_invalid_spec_never_reaches_aws(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj({**SPEC, "period": 90, "datapointsToAlarm": 3}), harness.ctx)
    condition = status["conditions"][0]
    assert (condition["status"], condition["reason"]) == ("False", "InvalidSpec")
    assert "period must be 10, 20, 30 or a multiple of 60" in condition["message"]
    assert "datapointsToAlarm must not exceed evaluationPeriods" in condition["message"]
    assert sum(harness.calls.values()) == 0


async def test_drift_is_repaired_from_one_batched_sweep(harness: Harness) -> None:
    statuses = [
        await alarms.reconcile_alarm(harness.obj(SPEC, name=f"app{i}", uid=f"u{i}"), harness.ctx) for i in range(3)
    ]
    harness.cloudwatch.put_metric_alarm(
        AlarmName="prod/default/app1", Namespace="ContainerInsights", MetricName="service_number_of_running_pods",
        Statistic="Maximum", Period=300, EvaluationPeriods=1, Threshold=99, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    harness.cloudwatch.untag_resource(ResourceARN=harness.alarm("prod/default/app2")["AlarmArn"], TagKeys=["team"])  # type: ignore[index]
    harness.calls.clear()
    for i, status in enumerate(statuses):
        await alarms.repair_drift(harness.obj(SPEC, status, name=f"app{i}", uid=f"u{i}"), harness.ctx)
    assert harness.alarm("prod/default/app1")["Threshold"] == 8.0  # type: ignore[index]
    assert harness.tags("prod/default/app2")["team"] == "otlp"
    assert (harness.calls["DescribeAlarms"], harness.calls["GetResources"]) == (1, 1)
    assert (harness.calls["PutMetricAlarm"], harness.calls["TagResource"]) == (1, 1)


async def test_state_is_mirrored_and_a_transition_reported(harness: Harness) -> None:
    status = await alarms.reconcile_alarm(harness.obj(SPEC), harness.ctx)
    harness.cloudwatch.set_alarm_state(AlarmName=status["alarmName"], StateValue="ALARM", StateReason="8 pods")
    patch, changed = await alarms.observe_alarm(harness.obj(SPEC, status), harness.ctx)
    assert (patch["state"], patch["stateReason"], changed) == ("ALARM", "8 pods", "ALARM")
    _, again = await alarms.observe_alarm(harness.obj(SPEC, {**status, **patch}), harness.ctx)
    assert again is None


async def test_the_seed_manifest_creates_its_alarm(harness: Harness) -> None:
    import yaml

    from tests.operator.test_alarm_schemas import ROOT

    seed = yaml.safe_load((ROOT / "examples" / "seed-alarm.yaml").read_text())
    obj = harness.obj(seed["spec"], definition=LEGACY, name="otlp-consumer-alarm")
    status = await alarms.reconcile_alarm(obj, harness.ctx)
    assert status["conditions"][0]["reason"] == "Synced"
    alarm = harness.alarm("default-otlp-consumer-alarm")  # the reference controller's name
    assert alarm is not None and alarm["Threshold"] == 8.0 and alarm["TreatMissingData"] == "missing"


async def test_a_composite_alarm_is_put_with_its_owner_tags(harness: Harness) -> None:
    for child in ("a", "b"):
        harness.cloudwatch.put_metric_alarm(AlarmName=child, **ALARM_PARAMS)
    obj = harness.obj({"alarmRule": 'ALARM("a") OR ALARM("b")', "actionsEnabled": True}, definition=NATIVE_COMPOSITE)
    status = await alarms.reconcile_alarm(obj, harness.ctx)
    assert (status["alarmName"], status["state"]) == ("prod/default/otlp-consumer", "INSUFFICIENT_DATA")
    (composite,) = harness.cloudwatch.describe_alarms(
        AlarmNames=["prod/default/otlp-consumer"], AlarmTypes=["CompositeAlarm"]
    )["CompositeAlarms"]
    assert (composite["AlarmRule"], composite["ActionsEnabled"]) == ('ALARM("a") OR ALARM("b")', True)
    tags = harness.cloudwatch.list_tags_for_resource(ResourceARN=composite["AlarmArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == obj.owner("prod").tags()


async def test_aws_validation_errors_land_in_status_without_retry(harness: Harness) -> None:
    elsewhere = {**SPEC, "alarmActions": [f"arn:aws:sns:eu-west-1:{ACCOUNT}:oncall"]}
    status = await alarms.reconcile_alarm(harness.obj(elsewhere), harness.ctx)
    assert status["conditions"][0]["reason"] == "AwsRejected"
    assert "ValidationError: Invalid region eu-west-1 specified. Only us-east-1 is supported." in status["conditions"][0]["message"]  # fmt: skip
    assert harness.calls["PutMetricAlarm"] == 1


async def test_throttling_asks_for_a_retry(harness: Harness, proxy: aws.CountingProxy) -> None:
    proxy.inject(aws.THROTTLING)
    with pytest.raises(kernel.Retry, match="Throttling"):
        await alarms.reconcile_alarm(harness.obj(SPEC), harness.ctx)


async def test_a_composite_waits_for_its_alarms_then_is_created(harness: Harness) -> None:
    spec = {"alarmRule": 'ALARM("prod/default/pods")'}
    obj = harness.obj(spec, definition=NATIVE_COMPOSITE)
    with pytest.raises(kernel.Retry) as retry:
        await alarms.reconcile_alarm(obj, harness.ctx)
    assert retry.value.status is not None
    assert retry.value.status["conditions"][0]["reason"] == "AlarmsMissing"
    harness.cloudwatch.put_metric_alarm(AlarmName="prod/default/pods", **ALARM_PARAMS)
    status = await alarms.reconcile_alarm(
        harness.obj(spec, retry.value.status, definition=NATIVE_COMPOSITE), harness.ctx
    )
    assert status["conditions"][0]["reason"] == "Synced"


async def test_drift_repair_leaves_a_refused_spec_until_it_changes(harness: Harness) -> None:
    refused = {**SPEC, "alarmActions": [f"arn:aws:sns:eu-west-1:{ACCOUNT}:oncall"]}
    status = await alarms.reconcile_alarm(harness.obj(refused), harness.ctx)
    harness.calls.clear()
    assert await alarms.repair_drift(harness.obj(refused, status), harness.ctx) == {}
    assert sum(harness.calls.values()) == 0
    changed = await alarms.repair_drift(harness.obj(SPEC, status, generation=2), harness.ctx)
    assert changed["conditions"][0]["reason"] == "Synced"


async def test_an_action_outside_the_clusters_account_is_denied_without_an_aws_call(harness: Harness) -> None:
    foreign = "arn:aws:sns:us-east-1:444455556666:their-pager"
    own = f"arn:aws:sns:us-east-1:{ACCOUNT}:pager"
    status = await alarms.reconcile_alarm(harness.obj({**SPEC, "alarmActions": [own, foreign]}), harness.ctx)
    (synced,) = status["conditions"]
    assert (synced["status"], synced["reason"]) == ("False", "Denied")
    assert synced["message"] == (
        f"namespace 'default' may not use action '{foreign}': tenancy rule default allows arn:*:*:*:{ACCOUNT}:*"
    )
    assert harness.calls == {}
    status = await alarms.reconcile_alarm(harness.obj({**SPEC, "alarmActions": [own]}), harness.ctx)
    assert status["conditions"][0]["reason"] == "Synced"
