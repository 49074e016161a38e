"""What an AppObservability becomes, checked without a cluster: KEDA's schema, the scaler's own metadata
parser, the presets, `kedawatch render`, and the schema's rules."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import pytest
import yaml
from celpy import adapter

from kedawatch import settings
from kedawatch.operator.rendering import app as rendering
from kedawatch.operator.rendering import dashboard, scaled_object
from kedawatch.operator.resources import crds, fields
from kedawatch.operator.resources.app_observability import APP_OBSERVABILITY
from kedawatch.scaler import triggers

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "examples" / "otlp-consumer.yaml"
SETTINGS = settings.OperatorSettings(
    cluster_name="prod", region="us-east-1", scaler_address="kedawatch-scaler.kedawatch.svc.cluster.local:9090"
)


def example_app() -> dict[str, Any]:
    documents = list(yaml.safe_load_all(EXAMPLE.read_text()))
    app = next(d for d in documents if d["kind"] == "AppObservability")
    app["metadata"]["uid"] = "2f1c6b9e-0000-4000-8000-000000000001"
    return dict(app)


CLOUDWATCH_TRIGGER = {
    "cloudwatch": {
        "namespace": "AWS/ApplicationELB", "metricName": "RequestCountPerTarget",
        "dimensions": [{"name": "TargetGroup", "value": "targetgroup/web/0123"}, {"name": "LoadBalancer", "value": "app/web/9"}],
        "statistic": "Sum", "period": 60, "collectionTime": 300, "endTimeOffset": 60, "target": 100.5,
        "activationTarget": 1, "minValue": 0, "ignoreNullValues": False, "unit": "Count", "accountId": "123456789012",
        "region": "eu-west-1", "roleArn": "arn:aws:iam::123456789012:role/reader",
    }
}  # fmt: skip
SQS_TRIGGER = {
    "sqs": {
        "queueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q", "targetMessagesPerReplica": 30,
        "activationMessages": 2, "scaleOnInFlight": False, "scaleOnDelayed": True, "region": "us-east-1",
        "roleArn": "arn:aws:iam::123456789012:role/reader",
    }
}  # fmt: skip


def keda_schema() -> dict[str, Any]:
    path = SHARED / "keda" / "keda.sh_scaledobjects.yaml"
    if not path.exists():
        pytest.skip(f"{path} is absent: KEDA's ScaledObject CRD comes with ../shared (CI always has it)")
    crd = yaml.safe_load(path.read_text())
    return dict(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def test_the_example_renders_a_scaled_object_kedas_schema_accepts() -> None:
    rendered = rendering.render(example_app(), SETTINGS)
    scaled = rendered.scaled_object
    jsonschema.Draft7Validator(fields.plain_schema(keda_schema())).validate(scaled)
    assert scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"] == 10
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "external-push"
    assert trigger["metadata"]["scalerAddress"] == "kedawatch-scaler.kedawatch.svc.cluster.local:9090"
    assert trigger["metadata"]["queueLength"] == "30"
    assert scaled["metadata"]["ownerReferences"][0]["controller"] is True


@pytest.mark.parametrize("trigger", [SQS_TRIGGER, CLOUDWATCH_TRIGGER], ids=["sqs", "cloudwatch"])
def test_every_trigger_field_reaches_the_scaler_as_its_own_parser_reads_it(trigger: dict[str, Any]) -> None:
    app = example_app()
    app["spec"]["scaling"]["triggers"] = [trigger]
    app["spec"]["alarms"] = []
    jsonschema.Draft7Validator(fields.plain_schema(keda_schema())).validate(
        rendering.render(app, SETTINGS).scaled_object
    )
    metadata = scaled_object.trigger_metadata(trigger)
    parsed = triggers.parse(metadata, "us-east-1")
    source = trigger.get("sqs") or trigger["cloudwatch"]
    assert parsed.identity.role_arn == source["roleArn"]
    assert parsed.identity.region == source["region"]
    if "sqs" in trigger:
        assert (parsed.source.target(), parsed.source.activation()) == (30.0, 2.0)
        assert metadata["scaleOnInFlight"] == "false" and metadata["scaleOnDelayed"] == "true"
    else:
        assert (parsed.source.target(), parsed.source.activation()) == (100.5, 1.0)
        assert metadata["dimensionName"] == "TargetGroup;LoadBalancer"
        assert metadata["metricStat"] == "Sum" and metadata["metricEndTimeOffset"] == "60"


def test_presets_alarm_at_8_of_10_pods_and_on_queue_age() -> None:
    near_max, backlog = rendering.render(example_app(), SETTINGS).alarms
    assert near_max["metadata"]["name"] == "otlp-consumer-near-max-replicas"
    assert (near_max["spec"]["threshold"], near_max["spec"]["comparisonOperator"]) == (
        8,
        "GreaterThanOrEqualToThreshold",
    )
    assert near_max["spec"]["dimensions"] == [
        {"name": "ClusterName", "value": "prod"}, {"name": "Service", "value": "otlp-consumer"},
        {"name": "Namespace", "value": "default"},
    ]  # fmt: skip
    assert near_max["spec"]["alarmActions"] == ["arn:aws:sns:us-east-1:123456789012:oncall"]
    assert backlog["spec"]["dimensions"] == [{"name": "QueueName", "value": "otlp-queue"}]
    assert backlog["spec"]["threshold"] == 600


def test_scaler_unavailable_alarms_only_on_missing_data() -> None:
    app = example_app()
    app["spec"]["alarms"] = [{"name": "no-data", "scalerUnavailable": {"periods": 2}}]
    (alarm,) = rendering.render(app, SETTINGS).alarms
    spec = alarm["spec"]
    assert (spec["comparisonOperator"], spec["threshold"], spec["treatMissingData"]) == (
        "LessThanThreshold",
        0,
        "breaching",
    )
    assert spec["evaluationPeriods"] == 2


def test_the_dashboard_has_a_widget_per_trigger_and_running_pods() -> None:
    board = rendering.render(example_app(), SETTINGS).dashboard
    assert board is not None and board["name"] == "prod-default-otlp-consumer"
    titles = [w["properties"].get("title") for w in board["body"]["widgets"] if w["type"] == "metric"]
    assert titles == ["Queue depth: otlp-queue", "Running pods"]
    with_alarms = dashboard.with_alarm_widget(board["body"], ["arn:aws:cloudwatch:us-east-1:1:alarm:a"])
    assert with_alarms["widgets"][-1]["properties"]["alarms"] == ["arn:aws:cloudwatch:us-east-1:1:alarm:a"]


def bad(change: Any) -> dict[str, Any]:
    app = copy.deepcopy(example_app())
    change(app["spec"])
    return app


@pytest.mark.parametrize(
    ("app", "message"),
    [
        pytest.param(
            bad(lambda s: s["scaling"].update(minReplicas=11)), "scaling.minReplicas must not exceed", id="min>max"
        ),
        pytest.param(bad(lambda s: s["scaling"].update(idleReplicas=1)), "idleReplicas must be less than", id="idle"),
        pytest.param(
            bad(lambda s: s["scaling"]["triggers"][0].update(CLOUDWATCH_TRIGGER)),
            "exactly one of sqs, cloudwatch or promql",
            id="both",
        ),
        pytest.param(
            bad(lambda s: s["scaling"]["triggers"].__setitem__(0, {"cloudwatch": {"target": 1}})),
            "needs expression, or namespace",
            id="cw",
        ),
        pytest.param(
            bad(lambda s: s["alarms"][0].update(queueBacklogAge={"seconds": 1})),
            "exactly one of metric, promql, replicasNearMax",
            id="two presets",
        ),
        pytest.param(
            bad(lambda s: s["alarms"].append(dict(s["alarms"][0]))), "alarm names must be unique", id="duplicate"
        ),
        pytest.param(
            bad(lambda s: s["scaling"].update(maxReplicas=0)),
            "spec.scaling.maxReplicas: 0 is less than the minimum of 1",
            id="max 0",
        ),
        pytest.param(
            bad(lambda s: s["scaling"]["triggers"][0]["sqs"].update(targetMessagesPerReplica=0)),
            "targetMessagesPerReplica: 0 is less than",
            id="target 0",
        ),
        pytest.param(
            bad(
                lambda s: s["alarms"].append(
                    {
                        "name": "m",
                        "metric": {
                            "comparisonOperator": "GreaterThanThreshold",
                            "evaluationPeriods": 1,
                            "threshold": 1,
                            "metricName": "x",
                            "namespace": "n",
                            "statistic": "Sum",
                            "period": 45,
                        },
                    }
                )
            ),
            "period must be 10, 20, 30",
            id="nested alarm",
        ),
    ],
)
def test_invalid_apps_are_refused_naming_the_field(app: dict[str, Any], message: str) -> None:
    rendered, problems = rendering.render_checked(app, SETTINGS)
    assert rendered is None
    assert any(message in problem for problem in problems), problems


@pytest.mark.parametrize(
    "app",
    [
        pytest.param(example_app(), id="example"),
        pytest.param(bad(lambda s: s["scaling"].update(minReplicas=11)), id="min>max"),
        pytest.param(bad(lambda s: s["scaling"]["triggers"][0].update(CLOUDWATCH_TRIGGER)), id="both sources"),
        pytest.param(bad(lambda s: s["alarms"].append(dict(s["alarms"][0]))), id="duplicate names"),
    ],
)
def test_app_rules_agree_in_cel_and_python(app: dict[str, Any]) -> None:
    env = celpy.Environment()
    spec = app["spec"]
    by_cel = [
        r.message
        for r in APP_OBSERVABILITY.rules
        if not env.program(env.compile(r.cel)).evaluate({"self": adapter.json_to_cel(spec)})
    ]
    by_python = [r.message for r in APP_OBSERVABILITY.rules if not r.holds(spec)]
    assert by_cel == by_python


def run_render(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kedawatch", "render", *args], capture_output=True, text=True)


def test_render_prints_the_examples_objects_as_yaml_and_json() -> None:
    answer = run_render("-f", str(EXAMPLE), "--cluster-name", "prod")
    assert answer.returncode == 0, answer.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(answer.stdout)]
    assert kinds == ["ScaledObject", "CloudWatchMetricAlarm", "CloudWatchMetricAlarm"]
    listed = json.loads(run_render("-f", str(EXAMPLE), "-o", "json").stdout)
    assert [item["kind"] for item in listed["items"]] == kinds


def test_render_refuses_bad_input_naming_object_and_field(tmp_path: Path) -> None:
    app = bad(lambda s: s["scaling"].update(minReplicas=20))
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(app))
    answer = run_render("-f", str(path))
    assert answer.returncode == 1
    assert "default/otlp-consumer: spec: scaling.minReplicas must not exceed scaling.maxReplicas" in answer.stderr
    assert run_render("-f", str(tmp_path / "missing.yaml")).returncode == 1


def test_app_crd_is_in_the_chart() -> None:
    path = ROOT / "helm" / "kedawatch" / "crds" / f"{crds.APPS.name}.yaml"
    assert path.read_text() == crds.render(crds.APPS)


def test_with_tls_triggers_ask_for_it_and_reference_kedas_client_certificate() -> None:
    tls = dataclasses.replace(
        SETTINGS, scaler_tls=True, scaler_authentication="ClusterTriggerAuthentication/kedawatch-tls"
    )
    scaled = rendering.render(example_app(), tls).scaled_object
    jsonschema.Draft7Validator(fields.plain_schema(keda_schema())).validate(scaled)
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["metadata"]["enableTLS"] == "true"
    assert trigger["authenticationRef"] == {"name": "kedawatch-tls", "kind": "ClusterTriggerAuthentication"}
