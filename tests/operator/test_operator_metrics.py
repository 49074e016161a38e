"""The operator's own Prometheus metrics, scraped over HTTP from a real operator as Prometheus would: after a
reconcile, after AWS throttles its writes, after a drift repair, and after a PrometheusRule's conversion."""

from __future__ import annotations

import dataclasses
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from prometheus_client import parser

from kedawatch.operator.resources import crds
from kedawatch.standins import aws
from tests.operator.conftest import FAST, Cluster, condition, eventually, operating
from tests.operator.test_alarm_operator import alarm_object, synced
from tests.operator.test_prometheus_rule_operator import (
    OPT_IN,
    alert,
    install_prometheus_operators_crd,
    prometheus_rule,
    rules_settings,
)

KIND = crds.METRIC_ALARMS.kind
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(port: int) -> Samples:
    """Every sample of the operator's /metrics, by name and labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in parser.text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scraped_once(port: int, name: str, at_least: float, **labels: str) -> Samples:
    """The first scrape whose sample `name` with `labels` has reached `at_least`."""
    found: Samples = eventually(lambda: next((s for s in [scrape(port)] if value(s, name, **labels) >= at_least), None))
    return found


@pytest.fixture
def port() -> int:
    return aws.free_port()


@pytest.fixture
def cloudwatch(moto: aws.AwsStandIn) -> Any:
    """The test's own view of CloudWatch, past the proxy that fails the operator's calls."""
    return boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto.url)


def test_a_reconcile_and_a_throttled_write_show_in_the_operators_metrics(
    cluster: Cluster, proxy: aws.CountingProxy, cloudwatch: Any, port: int
) -> None:
    settings = dataclasses.replace(FAST, metrics_host="127.0.0.1", metrics_port=port)
    with operating(cluster, settings):
        cluster.create(alarm_object("first"))
        eventually(lambda: synced(cluster, "first"))
        seen = scraped_once(port, "kedawatch_operator_alarms", 1, region="us-east-1", state="INSUFFICIENT_DATA")
        assert value(seen, "kedawatch_operator_reconciles_total", kind=KIND, outcome="Synced") >= 1
        assert value(seen, "kedawatch_operator_aws_calls_total", operation="PutMetricAlarm", outcome="ok") == 1
        assert value(seen, "kedawatch_operator_aws_call_wait_seconds_count", operation="PutMetricAlarm") == 1
        assert value(seen, "kedawatch_operator_aws_calls_waiting", operation="PutMetricAlarm") == 0
        assert value(seen, "kedawatch_operator_alarms", region="us-east-1", state="ALARM") == 0
        assert not [key for key in seen if key[0] == "kedawatch_operator_conditions_false"]

        proxy.choose = lambda operation, _: aws.THROTTLING if operation == "PutMetricAlarm" else None
        cluster.create(alarm_object("second"))
        failing = eventually(lambda: condition(cluster, crds.METRIC_ALARMS, "second", "Synced"))
        assert (failing["status"], failing["reason"]) == ("False", "AwsUnavailable")
        throttled = scrape(port)
        assert value(throttled, "kedawatch_operator_aws_calls_total", operation="PutMetricAlarm", outcome="Throttling")
        assert value(throttled, "kedawatch_operator_reconciles_total", kind=KIND, outcome="AwsUnavailable") >= 1
        false = {"kind": KIND, "condition": "Synced", "reason": "AwsUnavailable"}
        assert value(throttled, "kedawatch_operator_conditions_false", **false) == 1

        proxy.heal()
        eventually(lambda: synced(cluster, "second"), within=30)
        healed = scrape(port)
        assert value(healed, "kedawatch_operator_conditions_false", **false) == 0
        assert value(healed, "kedawatch_operator_aws_calls_total", operation="PutMetricAlarm", outcome="ok") == 2

        cloudwatch.put_metric_alarm(**{**cw_params(cloudwatch, "prod/default/first"), "Threshold": 99.0})
        repaired = scraped_once(port, "kedawatch_operator_drift_repairs_total", 1, kind=KIND)
        assert value(repaired, "kedawatch_operator_drift_repairs_total", kind=KIND) == 1
        assert cw_params(cloudwatch, "prod/default/first")["Threshold"] == 8.0


def cw_params(cloudwatch: Any, name: str) -> dict[str, Any]:
    """The alarm's configuration as PutMetricAlarm takes it back."""
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    keys = ("AlarmName", "Namespace", "MetricName", "Dimensions", "Statistic", "Period", "EvaluationPeriods",
            "Threshold", "ComparisonOperator")  # fmt: skip
    return {key: alarm[key] for key in keys}


def test_a_prometheus_rules_reconcile_is_counted_with_whether_it_skipped_rules(
    cluster: Cluster, moto: aws.AwsStandIn, tmp_path: Path, port: int
) -> None:
    install_prometheus_operators_crd(cluster)
    settings = dataclasses.replace(rules_settings(tmp_path), metrics_host="127.0.0.1", metrics_port=port)
    with operating(cluster, settings):
        cluster.create(prometheus_rule(alert("HighErrorRate"), name="converted", **OPT_IN))
        cluster.create(prometheus_rule(alert("Broken", expr="sum("), name="skipping", **OPT_IN))
        kind = crds.PROMETHEUS_RULES.kind
        scraped_once(port, "kedawatch_operator_reconciles_total", 1, kind=kind, outcome="RulesSkipped")
        scraped_once(port, "kedawatch_operator_reconciles_total", 1, kind=kind, outcome="Converted")
