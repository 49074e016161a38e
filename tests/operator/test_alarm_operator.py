"""The alarm kinds end to end: a real kopf operator, the Kubernetes stand-in and the AWS stand-in, all over HTTP."""

from __future__ import annotations

import collections
import functools
from pathlib import Path
from typing import Any

import yaml

from kedawatch.operator import ownership
from kedawatch.operator.resources import crds
from tests.operator.conftest import Cluster, condition, eventually, operating

ROOT = Path(__file__).resolve().parents[2]


def alarm_object(name: str = "pods", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": crds.METRIC_ALARMS.api_version,
        "kind": crds.METRIC_ALARMS.kind,
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "namespace": "ContainerInsights",
            "metricName": "service_number_of_running_pods",
            "dimensions": [{"name": "Service", "value": "otlp-consumer"}],
            "statistic": "Maximum",
            "period": 60,
            "evaluationPeriods": 1,
            "threshold": 8,
            "comparisonOperator": "GreaterThanOrEqualToThreshold",
            **spec,
        },
    }


def synced(cluster: Cluster, name: str = "pods", kind: crds.Reference = crds.METRIC_ALARMS) -> dict[str, Any] | None:
    obj = cluster.get(kind, name)
    conditions = (obj or {}).get("status", {}).get("conditions", [])
    return obj if any(c["type"] == "Synced" and c["status"] == "True" for c in conditions) else None


def cw_alarm(cloudwatch: Any, name: str) -> dict[str, Any] | None:
    found = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return found[0] if found else None


def test_an_alarm_object_becomes_an_alarm_and_shows_its_state(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(alarm_object())
    obj = eventually(lambda: synced(operator))
    status = obj["status"]
    assert status["alarmName"] == "prod/default/pods"
    assert status["state"] in ("OK", "INSUFFICIENT_DATA")
    assert status["observedGeneration"] == obj["metadata"]["generation"]
    assert "kedawatch.io/finalizer" in obj["metadata"]["finalizers"]
    alarm = cw_alarm(cloudwatch, "prod/default/pods")
    assert alarm is not None and alarm["Threshold"] == 8.0


def test_the_seed_manifest_applies_verbatim(operator: Cluster, cloudwatch: Any) -> None:
    seed = yaml.safe_load((ROOT / "examples" / "seed-alarm.yaml").read_text())
    operator.create(seed)
    eventually(lambda: synced(operator, "otlp-consumer-alarm", crds.LEGACY_METRIC_ALARMS))
    alarm = cw_alarm(cloudwatch, "default-otlp-consumer-alarm")  # the reference controller's name
    assert alarm is not None
    assert (alarm["Namespace"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "ContainerInsights", 8.0, "GreaterThanThreshold",
    )  # fmt: skip


def test_a_spec_change_updates_the_alarm(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(alarm_object())
    eventually(lambda: synced(operator))
    operator.patch(
        crds.METRIC_ALARMS, "pods", {"spec": {"threshold": 0, "okActions": ["arn:aws:sns:us-east-1:123456789012:ok"]}}
    )
    alarm = eventually(lambda: (a := cw_alarm(cloudwatch, "prod/default/pods")) and a["Threshold"] == 0.0 and a)
    assert alarm["OKActions"] == ["arn:aws:sns:us-east-1:123456789012:ok"]


def test_deleting_the_object_deletes_the_alarm(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(alarm_object())
    eventually(lambda: synced(operator))
    operator.delete(crds.METRIC_ALARMS, "pods")
    eventually(lambda: operator.get(crds.METRIC_ALARMS, "pods") is None)
    assert cw_alarm(cloudwatch, "prod/default/pods") is None


def test_a_state_change_is_mirrored_with_an_event(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(alarm_object())
    eventually(lambda: synced(operator))
    cloudwatch.set_alarm_state(AlarmName="prod/default/pods", StateValue="ALARM", StateReason="9 pods running")
    obj = eventually(
        lambda: (o := operator.get(crds.METRIC_ALARMS, "pods")) and o["status"].get("state") == "ALARM" and o
    )
    assert obj["status"]["stateReason"] == "9 pods running"
    warnings = eventually(lambda: [e for e in operator.events("pods") if e["type"] == "Warning"])
    assert "is in ALARM" in warnings[0]["message"]


def test_an_invalid_spec_is_reported_and_never_reaches_aws(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(alarm_object(period=90))
    obj = eventually(
        lambda: (o := operator.get(crds.METRIC_ALARMS, "pods")) and o.get("status", {}).get("conditions") and o
    )
    condition = obj["status"]["conditions"][0]
    assert (condition["status"], condition["reason"]) == ("False", "InvalidSpec")
    assert "period must be 10, 20, 30 or a multiple of 60" in condition["message"]
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []


def test_drift_is_repaired_by_the_periodic_resync(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(alarm_object())
    eventually(lambda: synced(operator))
    cloudwatch.put_metric_alarm(
        AlarmName="prod/default/pods", Namespace="ContainerInsights", MetricName="service_number_of_running_pods",
        Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=50, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    eventually(lambda: (a := cw_alarm(cloudwatch, "prod/default/pods")) and a["Threshold"] == 8.0)


def test_a_restarted_operator_leaves_one_alarm_per_object(cluster: Cluster, moto: Any, cloudwatch: Any) -> None:
    with operating(cluster):
        for index in range(5):
            cluster.create(alarm_object(f"a{index}"))
    with operating(cluster):
        for index in range(5):
            eventually(functools.partial(synced, cluster, f"a{index}"))
    alarms = cloudwatch.describe_alarms()["MetricAlarms"]
    names = collections.Counter(alarm["AlarmName"] for alarm in alarms)
    assert names == collections.Counter({f"prod/default/a{index}": 1 for index in range(5)})
    for alarm in alarms:
        tags = cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
        assert {"Key": ownership.CLUSTER_TAG, "Value": "prod"} in tags


def test_annotating_a_conflicting_object_adopts_the_alarm_at_the_next_drift_check(
    operator: Cluster, cloudwatch: Any
) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName="prod/default/pods", Namespace="Other", MetricName="made_by_hand", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    operator.create(alarm_object())
    conflict = eventually(lambda: in_conflict(operator, crds.METRIC_ALARMS, "pods"))
    assert conflict["message"].endswith(
        "annotate kedawatch.io/adopt=true to adopt it (at the next drift check, within 1 s: kopf sees no change"
        " in its own annotations)"
    )
    assert (cw_alarm(cloudwatch, "prod/default/pods") or {})["MetricName"] == "made_by_hand"
    operator.patch(crds.METRIC_ALARMS, "pods", {"metadata": {"annotations": {ownership.ADOPT_ANNOTATION: "true"}}})
    eventually(lambda: synced(operator))
    assert (cw_alarm(cloudwatch, "prod/default/pods") or {})["MetricName"] == "service_number_of_running_pods"


def in_conflict(cluster: Cluster, kind: crds.Reference, name: str) -> dict[str, Any] | None:
    """The object's Synced condition once its reason is Conflict."""
    synced = condition(cluster, kind, name, "Synced")
    return synced if synced is not None and synced["reason"] == "Conflict" else None
