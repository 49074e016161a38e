"""The alarm kinds' schemas: the CRDs in the chart are generated, every CEL rule agrees with the operator's
own check on accepted and refused specs, and bad specs are refused with a message naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import celpy
import pytest
import yaml
from celpy import adapter

from kedawatch.operator.resources import crds, fields, legacy
from kedawatch.operator.resources.composite_alarm import COMPOSITE_ALARM
from kedawatch.operator.resources.metric_alarm import METRIC_ALARM

ROOT = Path(__file__).resolve().parents[2]
SINGLE: dict[str, Any] = {
    "namespace": "ContainerInsights",
    "metricName": "service_number_of_running_pods",
    "dimensions": [{"name": "Service", "value": "otlp-consumer"}],
    "statistic": "Maximum",
    "period": 300,
    "evaluationPeriods": 1,
    "threshold": 8,
    "comparisonOperator": "GreaterThanThreshold",
}
MATH: dict[str, Any] = {
    "metrics": [
        {
            "id": "m1",
            "metricStat": {"metric": {"namespace": "App", "metricName": "Errors"}, "period": 60, "stat": "Sum"},
            "returnData": False,
        },
        {
            "id": "m2",
            "metricStat": {"metric": {"namespace": "App", "metricName": "Requests"}, "period": 60, "stat": "Sum"},
            "returnData": False,
        },
        {"id": "rate", "expression": "m1 / m2 * 100"},
    ],
    "evaluationPeriods": 3,
    "datapointsToAlarm": 2,
    "threshold": 5,
    "comparisonOperator": "GreaterThanThreshold",
}
BAND: dict[str, Any] = {  # as AWS's own examples write it: the metric and its band both return data
    "metrics": [
        {
            "id": "m1",
            "metricStat": {"metric": {"namespace": "App", "metricName": "Latency"}, "period": 60, "stat": "p99"},
        },
        {"id": "band", "expression": "ANOMALY_DETECTION_BAND(m1, 2)", "returnData": True},
    ],
    "thresholdMetricId": "band",
    "evaluationPeriods": 1,
    "comparisonOperator": "GreaterThanUpperThreshold",
}


def without(spec: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in spec.items() if key not in keys}


METRIC_CASES = [
    pytest.param(SINGLE, None, id="single metric"),
    pytest.param({**SINGLE, "threshold": 0}, None, id="threshold of 0"),
    pytest.param({**without(SINGLE, "statistic"), "extendedStatistic": "p99"}, None, id="extended statistic"),
    pytest.param(MATH, None, id="metric math"),
    pytest.param(BAND, None, id="anomaly band"),
    pytest.param({**SINGLE, "metrics": MATH["metrics"]}, "exactly one of metricName", id="metric and metrics"),
    pytest.param(without(SINGLE, "namespace"), "needs namespace, period and statistic", id="no namespace"),
    pytest.param(
        {**SINGLE, "extendedStatistic": "p99"},
        "statistic and extendedStatistic are mutually exclusive",
        id="both statistics",
    ),
    pytest.param({**MATH, "period": 60}, "belong in metrics", id="period beside metrics"),
    pytest.param({**SINGLE, "period": 90}, "period must be 10, 20, 30 or a multiple of 60", id="period 90"),
    pytest.param({**SINGLE, "period": 20}, None, id="period 20"),
    pytest.param(
        {**SINGLE, "datapointsToAlarm": 2}, "datapointsToAlarm must not exceed evaluationPeriods", id="datapoints"
    ),
    pytest.param(without(SINGLE, "threshold"), "exactly one of threshold or thresholdMetricId", id="no threshold"),
    pytest.param({**BAND, "threshold": 1}, "exactly one of threshold or thresholdMetricId", id="threshold and band"),
    pytest.param(
        {**BAND, "comparisonOperator": "GreaterThanThreshold"}, "goes with the LessThanLower", id="band operator"
    ),
    pytest.param(
        {**SINGLE, "comparisonOperator": "LessThanLowerThreshold"}, "goes with the LessThanLower", id="operator band"
    ),
    pytest.param(
        {**MATH, "metrics": [{**q, "returnData": True} for q in MATH["metrics"]]},
        "otherwise exactly one",
        id="three returnData",
    ),
    pytest.param(
        {**MATH, "metrics": [{**q, "returnData": False} for q in MATH["metrics"]]},
        "otherwise exactly one",
        id="no returnData",
    ),
    pytest.param(
        {**BAND, "metrics": [BAND["metrics"][0], without(BAND["metrics"][1], "returnData")]},
        None,
        id="anomaly band, returnData omitted",
    ),
    pytest.param(
        {**BAND, "metrics": [BAND["metrics"][0], {**BAND["metrics"][1], "returnData": False}]},
        "exactly two queries in metrics must have returnData true",
        id="anomaly band not returned",
    ),
    pytest.param(
        {**BAND, "metrics": [{**BAND["metrics"][0], "returnData": False}, BAND["metrics"][1]]},
        "exactly two queries in metrics must have returnData true",
        id="anomaly band without its metric",
    ),
    pytest.param(
        {**BAND, "metrics": [*BAND["metrics"], {"id": "e", "expression": "m1 * 2"}]},
        "exactly two queries in metrics must have returnData true",
        id="anomaly band and two more",
    ),
    pytest.param(
        {**BAND, "thresholdMetricId": "ad1", "metrics": [*BAND["metrics"], {"id": "e", "expression": "m1 * 2"}]},
        "the band it names",
        id="thresholdMetricId naming no returned query",
    ),
    pytest.param(
        {**MATH, "metrics": [{"id": "e", "expression": "1", "metricStat": MATH["metrics"][0]["metricStat"]}]},
        "exactly one of expression or metricStat",
        id="query both",
    ),
    pytest.param(
        {**MATH, "metrics": [{"id": "m1", "metricStat": {**MATH["metrics"][0]["metricStat"], "period": 45}}]},
        "metricStat.period must be",
        id="query period",
    ),
    pytest.param({**SINGLE, "period": 60, "evaluationPeriods": 1440}, None, id="a day of minutes"),
    pytest.param({**SINGLE, "period": 60, "evaluationPeriods": 1441}, "at most 1 day", id="over a day of minutes"),
    pytest.param({**SINGLE, "period": 3600, "evaluationPeriods": 168}, None, id="seven days of hours"),
    pytest.param({**SINGLE, "period": 3600, "evaluationPeriods": 169}, "or 7 days", id="over seven days"),
    pytest.param({**SINGLE, "tags": {"k" * 128: "v", "team": "a"}}, None, id="tag key 128"),
    pytest.param({**SINGLE, "tags": {"k" * 129: "v"}}, "tags keys must be 1 to 128", id="tag key 129"),
    pytest.param({**SINGLE, "tags": {"aws:team": "v"}}, "must not start with aws:", id="tag key aws:"),
]


@pytest.mark.parametrize(("spec", "refusal"), METRIC_CASES)
def test_metric_alarm_rules_agree_in_cel_and_python(spec: dict[str, Any], refusal: str | None) -> None:
    assert_rules_agree(METRIC_ALARM, spec, refusal)


COMPOSITE = {"alarmRule": 'ALARM("a") OR ALARM("b")', "alarmActions": ["arn:aws:sns:us-east-1:123456789012:oncall"]}


@pytest.mark.parametrize(
    ("spec", "refusal"),
    [
        pytest.param(COMPOSITE, None, id="rule"),
        pytest.param(
            {
                **COMPOSITE,
                "actionsSuppressor": "maint",
                "actionsSuppressorWaitPeriod": 60,
                "actionsSuppressorExtensionPeriod": 60,
            },
            None,
            id="suppressor",
        ),
        pytest.param({**COMPOSITE, "actionsSuppressorWaitPeriod": 60}, "need actionsSuppressor", id="wait alone"),
        pytest.param(
            {**COMPOSITE, "actionsSuppressor": "maint"}, "needs actionsSuppressorWaitPeriod", id="suppressor alone"
        ),
        pytest.param({**COMPOSITE, "tags": {"": "v"}}, "tags keys must be 1 to 128", id="empty tag key"),
    ],
)
def test_composite_alarm_rules_agree_in_cel_and_python(spec: dict[str, Any], refusal: str | None) -> None:
    assert_rules_agree(COMPOSITE_ALARM, spec, refusal)


def assert_rules_agree(kind: fields.Kind, spec: dict[str, Any], refusal: str | None) -> None:
    env = celpy.Environment()
    refused_by_cel = [
        rule.message
        for rule in kind.rules
        if not env.program(env.compile(rule.cel)).evaluate({"self": adapter.json_to_cel(spec)})
    ]
    problems = fields.validate(kind, spec)
    assert [f"spec: {message}" for message in refused_by_cel] == problems
    if refusal is None:
        assert problems == []
    else:
        assert any(refusal in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            {"comparisonOperator": "Above"}, "spec.comparisonOperator: 'Above' is not one of", id="operator enum"
        ),
        pytest.param({"statistic": "Median"}, "spec.statistic: 'Median' is not one of", id="statistic enum"),
        pytest.param(
            {"evaluationPeriods": 0}, "spec.evaluationPeriods: 0 is less than the minimum of 1", id="evaluation periods"
        ),
        pytest.param({"treatMissingData": "skip"}, "spec.treatMissingData: 'skip' is not one of", id="missing data"),
        pytest.param(
            {"alarmActions": ["a"] * 6},
            "spec.alarmActions: too many: 6 items, at most 5",
            id="six actions",
        ),
        pytest.param({"unit": "Parsecs"}, "spec.unit: 'Parsecs' is not one of", id="unit"),
        pytest.param({"alarmName": "x" * 256}, "spec.alarmName:", id="name length"),
        pytest.param({"region": "mars"}, "spec.region: 'mars' does not match", id="region"),
        pytest.param(
            {"deletionPolicy": "Orphan"},
            "spec.deletionPolicy: 'Orphan' is not one of ['Delete', 'Retain']",
            id="policy",
        ),
        pytest.param(
            {"extendedStatistic": "p1000", "statistic": None},
            "spec.extendedStatistic: 'p1000' does not match",
            id="percentile",
        ),
        pytest.param(
            {"dimensions": [{"name": "A"}]}, "spec.dimensions.0: 'value' is a required property", id="dimension value"
        ),
        pytest.param({"tags": {f"k{i}": "v" for i in range(51)}}, "spec.tags:", id="51 tags"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    spec = {key: value for key, value in {**SINGLE, **change}.items() if value is not None}
    problems = fields.validate(METRIC_ALARM, spec)
    assert any(problem.startswith(message) for problem in problems), problems


def test_required_fields_are_required() -> None:
    assert fields.validate(METRIC_ALARM, without(SINGLE, "comparisonOperator", "evaluationPeriods")) == [
        "spec: comparisonOperator is required, unless evaluationCriteria is set (a PromQL alarm)",
        "spec: evaluationPeriods is required, unless evaluationCriteria is set (a PromQL alarm)",
    ]
    assert fields.validate(COMPOSITE_ALARM, {}) == ["spec: 'alarmRule' is a required property"]


def test_seed_manifest_reads_as_a_valid_metric_alarm() -> None:
    seed = yaml.safe_load((ROOT / "examples" / "seed-alarm.yaml").read_text())
    spec, unknown = legacy.to_native(METRIC_ALARM, seed["spec"])
    assert unknown == []
    assert fields.validate(METRIC_ALARM, spec) == []
    params = METRIC_ALARM.aws_params(spec)
    assert params["Namespace"] == "ContainerInsights"
    assert params["Threshold"] == 8
    assert params["Dimensions"][1] == {"Name": "Service", "Value": "otlp-consumer"}
    assert params["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:oncall"]


@pytest.mark.parametrize("key", ["OKActions", "OkActions"])
def test_legacy_ok_actions_threshold_zero_and_extended_statistic_are_kept(key: str) -> None:
    spec, unknown = legacy.to_native(
        METRIC_ALARM,
        {"MetricName": "m", "CloudwatchMetricNamespace": "n", "ExtendedStatistic": "p90", "Period": 60,
         "EvaluationPeriods": 1, "Threshold": 0, "ComparisonOperator": "LessThanThreshold", key: ["arn:ok"],
         "Tags": [{"Key": "team", "Value": "otlp"}]},
    )  # fmt: skip
    assert unknown == [] and fields.validate(METRIC_ALARM, spec) == []
    params = METRIC_ALARM.aws_params(spec)
    assert (params["OKActions"], params["Threshold"], params["ExtendedStatistic"]) == (["arn:ok"], 0, "p90")
    assert spec["tags"] == {"team": "otlp"}


def test_legacy_unknown_fields_are_named() -> None:
    _, unknown = legacy.to_native(METRIC_ALARM, {"MetricName": "m", "Treshold": 3})
    assert unknown == ["spec.Treshold: unknown field"]


def test_metric_math_is_sent_in_aws_case() -> None:
    params = METRIC_ALARM.aws_params(MATH)
    assert params["Metrics"][0] == {
        "Id": "m1",
        "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"},
        "ReturnData": False,
    }


def test_chart_crds_are_the_generated_ones() -> None:
    for definition in crds.DEFINITIONS:
        committed = ROOT / "helm" / "kedawatch" / "crds" / f"{definition.name}.yaml"
        assert committed.read_text() == crds.render(definition), f"{committed.name} is stale: run `make crds`"


def test_crds_are_structural_with_status_and_printer_columns() -> None:
    for definition in crds.DEFINITIONS:
        version = crds.manifest(definition)["spec"]["versions"][0]
        assert version["subresources"] == {"status": {}}
        columns = [c["name"] for c in version["additionalPrinterColumns"]]
        expected = {
            crds.APPS.name: ["Target", "Min", "Max", "Ready", "Alarming", "Age"],
            crds.MUTE_RULES.name: ["State", "Next", "Targets", "Synced", "Age"],
            crds.METRIC_ALARMS.name: ["State", "Breaching", "Alarm", "Synced", "Age"],
            crds.LEGACY_METRIC_ALARMS.name: ["State", "Breaching", "Alarm", "Synced", "Age"],
        }.get(definition.name, ["State", "Alarm", "Synced", "Age"])
        assert columns == expected
        status = version["schema"]["openAPIV3Schema"]["properties"]["status"]
        assert status["x-kubernetes-preserve-unknown-fields"] is True
