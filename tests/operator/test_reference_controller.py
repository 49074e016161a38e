"""The reference alarms controller's own manifests through the real operator, against the AWS stand-in.

Its example manifests (`data/reference-controller/`, copied with their origin noted) apply as written, after the
schema of the chart's CRDs, and make the alarms they describe under the names that controller gave them
(`<namespace>-<name>`); composites name alarms that exist. An operator started over a cluster the reference
controller ran on adopts the alarms that controller made instead of writing a second set, and leaves any other
alarm of the same name alone.
"""

from __future__ import annotations

import collections
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes
import pytest
import yaml

from kedawatch.operator import ownership
from kedawatch.operator.resources import crds
from tests.helm import chart, schemas
from tests.operator.conftest import Cluster, eventually, operating

DATA = Path(__file__).parent / "data" / "reference-controller"
ACTION = "arn:aws:sns:us-east-1:123456789012:oncall"
"""What a user puts for the README's {{ ARN_FOR_ACTION_RESOURCE }}: a topic of the cluster's own account."""
PLACEHOLDERS = {"{{ ARN_FOR_ACTION_RESOURCE }}": ACTION, "{{CLUSTER_NAME}}": "prod"}
SIGNATURE = "Alarm Made by K8s Cloudwatch Adapter"
"""The reference controller's description of every alarm it wrote: `<AlarmName>: Alarm Made by ...`."""


def manifests(file: str) -> list[dict[str, Any]]:
    text = (DATA / file).read_text()
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return [document for document in yaml.safe_load_all(text) if document]


def reference_name(obj: dict[str, Any]) -> str:
    return f"{obj['metadata']['namespace']}-{obj['metadata']['name']}"


def is_composite(obj: dict[str, Any]) -> bool:
    return str(obj["kind"]) == crds.LEGACY_COMPOSITE_ALARMS.kind


def definition_of(obj: dict[str, Any]) -> crds.Reference:
    return crds.by_kind(obj["apiVersion"], obj["kind"])


def create(cluster: Cluster, obj: dict[str, Any]) -> None:
    kind = definition_of(obj)
    custom = kubernetes.client.CustomObjectsApi(cluster.client)
    custom.create_namespaced_custom_object(kind.group, kind.version, obj["metadata"]["namespace"], kind.plural, obj)


def live(cluster: Cluster, obj: dict[str, Any]) -> dict[str, Any]:
    kind = definition_of(obj)
    custom = kubernetes.client.CustomObjectsApi(cluster.client)
    meta = obj["metadata"]
    return dict(
        custom.get_namespaced_custom_object(kind.group, kind.version, meta["namespace"], kind.plural, meta["name"])
    )


def synced(cluster: Cluster, obj: dict[str, Any], reason: str = "Synced") -> dict[str, Any] | None:
    found = live(cluster, obj)
    conditions = found.get("status", {}).get("conditions", [])
    return found if any(c["type"] == "Synced" and c["reason"] == reason for c in conditions) else None


def alarms_in_aws(cloudwatch: Any) -> dict[str, dict[str, Any]]:
    answer = cloudwatch.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"], MaxRecords=100)
    return {alarm["AlarmName"]: alarm for alarm in [*answer["MetricAlarms"], *answer["CompositeAlarms"]]}


def tags_of(cloudwatch: Any, alarm: dict[str, Any]) -> dict[str, str]:
    answer = cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])
    return {tag["Key"]: tag["Value"] for tag in answer["Tags"]}


def chart_schemas() -> schemas.Schemas:
    return schemas.crd_schemas(yaml.safe_load(path.read_text()) for path in (chart.CHART / "crds").glob("*.yaml"))


@pytest.fixture
def cluster(cluster: Cluster) -> Iterator[Cluster]:
    """The Kubernetes stand-in with the namespace the reference controller's examples live in."""
    kubernetes.client.CoreV1Api(cluster.client).create_namespace({"metadata": {"name": "kube-system"}})
    yield cluster


def test_the_cw_aws_com_crds_keep_every_name_of_the_reference_controllers_crds() -> None:
    theirs = {crd["metadata"]["name"]: crd for crd in yaml.safe_load_all((DATA / "crds.yaml").read_text())}
    for definition in (crds.LEGACY_METRIC_ALARMS, crds.LEGACY_COMPOSITE_ALARMS):
        ours = crds.manifest(definition)
        reference = theirs[definition.name]["spec"]
        assert (ours["spec"]["group"], ours["spec"]["scope"]) == (reference["group"], reference["scope"])
        assert [v["name"] for v in ours["spec"]["versions"]] == [v["name"] for v in reference["versions"]]
        names = ours["spec"]["names"]
        assert {key: names[key] for key in reference["names"]} == reference["names"]
    short_names = [name for definition in crds.DEFINITIONS for name in definition.short_names]
    assert [name for name, n in collections.Counter(short_names).items() if n > 1] == [], "kubectl resolves one kind"


@pytest.mark.parametrize("file", ["cloudwatch_alarm.yml", "readme-examples.yml"])
def test_the_reference_controllers_examples_make_the_alarms_they_describe(
    cluster: Cluster, moto: Any, cloudwatch: Any, file: str
) -> None:
    objects = manifests(file)
    checked = chart_schemas()
    for obj in objects:
        jsonschema.Draft7Validator(checked[(obj["apiVersion"], obj["kind"])]).validate(obj)
    with operating(cluster):
        for obj in objects:
            create(cluster, obj)
        for obj in objects:
            found = eventually(functools.partial(synced, cluster, obj))
            assert found["status"]["alarmName"] == reference_name(obj)
    in_aws = alarms_in_aws(cloudwatch)
    assert sorted(in_aws) == sorted(reference_name(obj) for obj in objects), "one alarm each, the reference's name"
    for obj in objects:
        alarm, spec = in_aws[reference_name(obj)], obj["spec"]
        if is_composite(obj):
            assert alarm["AlarmRule"] == spec["AlarmRule"]
            named = re.findall(r'ALARM\("([^"]+)"\)', spec["AlarmRule"])
            assert named and all(name in in_aws for name in named), named
            continue
        described = {key: alarm.get(key) for key in spec}
        assert described == spec  # metric math and the anomaly band with both ReturnData true, as written
        assert alarm["Metrics"][1]["Expression"] == "ANOMALY_DETECTION_BAND(m1, 2)"


def reference_made(cloudwatch: Any, obj: dict[str, Any], **changes: Any) -> None:
    """The alarm the reference controller wrote for `obj`: the spec's PascalCase fields as they are (these
    examples use only fields PutMetricAlarm knows by the same name), its name and its description."""
    name = reference_name(obj)
    params = {"AlarmName": name, "AlarmDescription": f"{name}: {SIGNATURE}", "ActionsEnabled": True}
    params = {**params, **obj["spec"], **changes}
    if is_composite(obj):
        cloudwatch.put_composite_alarm(**params)
    else:
        cloudwatch.put_metric_alarm(**params)


def left_by_the_reference_controller(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` as the reference controller's kopf left it: its last-handled annotation and handler status."""
    meta = {**obj["metadata"], "annotations": {"kopf.zalando.org/last-handled-configuration": '{"spec": {}}'}}
    handler = "create_composit_fn" if is_composite(obj) else "create_fn"
    return {**obj, "metadata": meta, "status": {handler: {"message": f"{reference_name(obj)} created"}}}


def test_an_operator_started_over_the_reference_controllers_objects_adopts_its_alarms(
    cluster: Cluster, moto: Any, cloudwatch: Any
) -> None:
    objects = manifests("cloudwatch_alarm.yml")
    for obj in objects:
        reference_made(cloudwatch, obj)
        create(cluster, left_by_the_reference_controller(obj))
    stranger = {**objects[0], "metadata": {"namespace": "kube-system", "name": "someone-elses"}}
    reference_made(cloudwatch, stranger, AlarmDescription="written by hand")
    create(cluster, stranger)
    before = alarms_in_aws(cloudwatch)
    with operating(cluster):
        for obj in objects:
            found = eventually(functools.partial(synced, cluster, obj))
            condition = next(c for c in found["status"]["conditions"] if c["type"] == "Synced")
            assert "adopted" in condition["message"]
        refused = eventually(lambda: synced(cluster, stranger, "Conflict"))
        after = alarms_in_aws(cloudwatch)
        assert sorted(after) == sorted(before), "adopted, not duplicated"
        for obj in objects:
            alarm = after[reference_name(obj)]
            assert ownership.CLUSTER_TAG in tags_of(cloudwatch, alarm)
            assert (alarm["AlarmArn"], alarm.get("AlarmDescription", "")) == (
                before[reference_name(obj)]["AlarmArn"],
                "",
            )
        condition = next(c for c in refused["status"]["conditions"] if c["type"] == "Synced")
        assert "nor made for it by the reference controller" in condition["message"]
        assert after["kube-system-someone-elses"]["AlarmDescription"] == "written by hand"
        assert tags_of(cloudwatch, after["kube-system-someone-elses"]) == {}
