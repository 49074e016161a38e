"""PrometheusRules end to end: prometheus-operator's CRD (from its repository) in the Kubernetes stand-in, a real kopf
operator with `--prometheus-rules` and an alert-routing table, and the AWS stand-in, all over HTTP."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml

from kedawatch import settings
from kedawatch.operator import run
from kedawatch.operator.reconcilers import prometheus_rules as reconciler
from kedawatch.operator.rendering import prometheus_rules
from kedawatch.operator.resources import crds
from kedawatch.standins import aws
from tests.operator.conftest import FAST, Cluster, eventually, operating
from tests.operator.test_alarm_operator import alarm_object, cw_alarm, synced
from tests.operator.test_prometheus_rule_rendering import DATA, check_against_prometheus_operators_crd

PAGER = "arn:aws:sns:us-east-1:123456789012:pager"
TICKETS = "arn:aws:sns:us-east-1:123456789012:tickets"
ELSEWHERE = "arn:aws:sns:us-east-1:999999999999:another-teams-pager"
"""Another account's topic: the tenant policy's defaults allow actions in the cluster's own account only."""
ROUTES = {
    "routes": [
        {"matchers": ['severity="critical"', 'team!="payments"'], "alarmActions": [PAGER], "okActions": [PAGER]},
        {"matchers": ['team="payments"'], "alarmActions": [ELSEWHERE]},
    ],
    "default": {"alarmActions": [TICKETS]},
}
OPT_IN = {reconciler.OPT_IN: "true"}
PREFIX = "prod/default/checkout/checkout.rules"


def install_prometheus_operators_crd(cluster: Cluster) -> None:
    """As `kubectl apply` of prometheus-operator's CRD does: the API server then serves PrometheusRules."""
    (crd,) = yaml.safe_load_all((DATA / "monitoring.coreos.com_prometheusrules.yaml").read_text())
    kubernetes.client.ApiextensionsV1Api(cluster.client).create_custom_resource_definition(crd)


def rules_settings(tmp_path: Path, routes: dict[str, Any] = ROUTES) -> settings.OperatorSettings:
    path = tmp_path / "routes.json"
    path.write_text(json.dumps(routes))
    return dataclasses.replace(FAST, prometheus_rules=settings.PrometheusRuleSettings(enabled=True, routes=path))


@pytest.fixture
def rules_operator(cluster: Cluster, moto: aws.AwsStandIn, tmp_path: Path) -> Iterator[Cluster]:
    install_prometheus_operators_crd(cluster)
    with operating(cluster, rules_settings(tmp_path)):
        yield cluster


def prometheus_rule(*rules: dict[str, Any], name: str = "checkout", interval: str = "30s", **labels: str) -> dict[str, Any]:  # fmt: skip
    body = {
        "apiVersion": crds.PROMETHEUS_RULES.api_version,
        "kind": crds.PROMETHEUS_RULES.kind,
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {"groups": [{"name": "checkout.rules", "interval": interval, "rules": list(rules)}]},
    }
    check_against_prometheus_operators_crd(body)
    return body


def alert(name: str, expr: str = "sum by (service) (rate(http_errors_total[5m])) > 5", **fields: Any) -> dict[str, Any]:
    return {"alert": name, "expr": expr, **fields}


def children(cluster: Cluster) -> dict[str, dict[str, Any]]:
    """The alarm objects, by the AWS alarm they name."""
    return {child["spec"]["alarmName"]: child for child in cluster.listed(crds.METRIC_ALARMS)}


def aws_alarms(cloudwatch: Any) -> dict[str, dict[str, Any]]:
    return {alarm["AlarmName"]: alarm for alarm in cloudwatch.describe_alarms()["MetricAlarms"]}


def annotations_of(cluster: Cluster, name: str = "checkout") -> dict[str, str]:
    return dict((cluster.get(crds.PROMETHEUS_RULES, name) or {}).get("metadata", {}).get("annotations") or {})


def reported(cluster: Cluster, alarms: str, name: str = "checkout") -> dict[str, str] | None:
    """The PrometheusRule's annotations once they report `alarms` alarm objects."""
    seen = annotations_of(cluster, name)
    return seen if seen.get(reconciler.ALARMS_ANNOTATION) == alarms else None


def warnings(cluster: Cluster, reason: str, name: str = "checkout") -> list[str]:
    return [e["message"] for e in cluster.events(name) if e["type"] == "Warning" and e["reason"] == reason]


def created(cluster: Cluster, body: dict[str, Any]) -> bool:
    """Whether `body` was created: False while the API server does not serve its kind yet."""
    try:
        cluster.create(body)
    except kubernetes.client.ApiException as exc:
        if exc.status != 404:
            raise
        return False
    return True


def collect_garbage(cluster: Cluster) -> None:
    """Kubernetes' garbage collector, which the stand-in lacks: alarm objects whose PrometheusRule is gone go."""
    owners = {rule["metadata"]["uid"] for rule in cluster.listed(crds.PROMETHEUS_RULES)}
    for child in cluster.listed(crds.METRIC_ALARMS):
        refs = child["metadata"].get("ownerReferences") or []
        if any(ref["kind"] == crds.PROMETHEUS_RULES.kind for ref in refs) and not {r["uid"] for r in refs} & owners:
            cluster.delete(crds.METRIC_ALARMS, child["metadata"]["name"])


def test_a_prometheus_rules_alerting_rules_become_promql_alarms_updated_and_deleted_with_it(
    rules_operator: Cluster, cloudwatch: Any
) -> None:
    cluster = rules_operator
    cluster.create(prometheus_rule(
        alert("CheckoutErrors", **{"for": "5m"}, labels={"severity": "critical"},
              annotations={"summary": "{{ $labels.service }} fails"}),
        alert("CheckoutSlow", "histogram_quantile(0.99, sum by (le) (rate(latency_bucket[5m]))) > 2"),
        {"record": "service:http_errors:rate5m", "expr": "sum by (service) (rate(http_errors_total[5m]))"},
        **OPT_IN,
    ))  # fmt: skip
    seen = eventually(lambda: reported(cluster, "2"))
    assert seen[reconciler.SKIPPED_ANNOTATION].startswith("checkout.rules/service:http_errors:rate5m: a recording rule")
    (skipped,) = eventually(lambda: warnings(cluster, "RuleSkipped"))
    assert skipped.startswith("not a CloudWatch alarm: checkout.rules/service:http_errors:rate5m: a recording rule")
    alarms = eventually(lambda: (found := aws_alarms(cloudwatch)) and len(found) == 2 and found)
    errors = alarms[f"{PREFIX}/CheckoutErrors"]
    assert errors["EvaluationCriteria"]["PromQLCriteria"] == {
        "Query": "sum by (service) (rate(http_errors_total[5m])) > 5", "PendingPeriod": 300, "RecoveryPeriod": 0,
    }  # fmt: skip
    assert (errors["EvaluationInterval"], errors["AlarmDescription"]) == (30, "{{ $labels.service }} fails")
    assert (errors["AlarmActions"], errors["OKActions"]) == ([PAGER], [PAGER])
    assert alarms[f"{PREFIX}/CheckoutSlow"]["AlarmActions"] == [TICKETS]
    tags = {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(ResourceARN=errors["AlarmArn"])["Tags"]}
    assert (tags["alertname"], tags["severity"], tags["kedawatch.io/kind"]) == ("CheckoutErrors", "critical", "CloudWatchMetricAlarm")  # fmt: skip
    child = eventually(lambda: synced(cluster, children(cluster)[f"{PREFIX}/CheckoutErrors"]["metadata"]["name"]))
    assert child["status"]["state"] and child["metadata"]["ownerReferences"][0]["kind"] == "PrometheusRule"

    cluster.patch(crds.PROMETHEUS_RULES, "checkout", {"spec": {"groups": [{"name": "checkout.rules", "interval": "1m", "rules": [
        alert("CheckoutErrors", "sum by (service) (rate(http_errors_total[5m])) > 10", **{"for": "10m"}),
        alert("CheckoutDown", "absent(up{job='checkout'})", keep_firing_for="15m"),
    ]}]}})  # fmt: skip
    eventually(lambda: set(aws_alarms(cloudwatch)) == {f"{PREFIX}/CheckoutErrors", f"{PREFIX}/CheckoutDown"})
    updated = eventually(lambda: (a := cw_alarm(cloudwatch, f"{PREFIX}/CheckoutErrors")) and a["EvaluationInterval"] == 60 and a)  # fmt: skip
    assert updated["EvaluationCriteria"]["PromQLCriteria"]["PendingPeriod"] == 600
    assert updated["AlarmActions"] == [TICKETS]  # no longer critical: the default route
    assert cw_alarm(cloudwatch, f"{PREFIX}/CheckoutDown")["EvaluationCriteria"]["PromQLCriteria"]["RecoveryPeriod"] == 900  # type: ignore[index]  # fmt: skip
    eventually(lambda: (report := reported(cluster, "2")) and reconciler.SKIPPED_ANNOTATION not in report)

    cluster.create(prometheus_rule(alert("Kept"), name="kept", **OPT_IN, **{prometheus_rules.DELETION_POLICY_LABEL: "Retain"}))  # fmt: skip
    eventually(lambda: cw_alarm(cloudwatch, "prod/default/kept/checkout.rules/Kept"))
    cluster.delete(crds.PROMETHEUS_RULES, "checkout")
    cluster.delete(crds.PROMETHEUS_RULES, "kept")
    collect_garbage(cluster)
    eventually(lambda: cluster.listed(crds.METRIC_ALARMS) == [])
    assert set(aws_alarms(cloudwatch)) == {"prod/default/kept/checkout.rules/Kept"}


def test_bad_rules_are_reported_by_name_and_the_others_still_made(rules_operator: Cluster, cloudwatch: Any) -> None:
    cluster = rules_operator
    cluster.create(prometheus_rule(
        alert("Fine", "up == 0"),
        alert("Broken", "sum(rate(http_errors_total[5m])"),
        alert("NoDuration", "up == 0", **{"for": ""}),  # the CRD's pattern takes it, Prometheus does not
        alert("OtherTeam", "up == 0", labels={"team": "payments"}),
        interval="5s", **OPT_IN,
    ))  # fmt: skip
    seen = eventually(lambda: reported(cluster, "1"))
    eventually(lambda: set(aws_alarms(cloudwatch)) == {f"{PREFIX}/Fine"})  # written once its object is reconciled
    assert cw_alarm(cloudwatch, f"{PREFIX}/Fine")["EvaluationInterval"] == 10  # type: ignore[index]
    assert seen[reconciler.SKIPPED_ANNOTATION].splitlines() == [
        "checkout.rules/Broken: expr: 'sum(rate(http_errors_total[5m])' is not valid PromQL: unclosed left parenthesis",
        "checkout.rules/NoDuration: for: '' is not a Prometheus duration such as 30s, 5m or 1h30m"
        " (units y w d h m s ms)",
        f"checkout.rules/OtherTeam: the tenant policy refuses it: namespace 'default' may not use action"
        f" '{ELSEWHERE}': tenancy rule default allows arn:*:*:*:123456789012:*",
    ]
    assert seen[reconciler.NOTES_ANNOTATION] == (
        "group checkout.rules: interval 5s (5 s) is evaluated every 10 s, CloudWatch's shortest evaluation interval"
    )
    skipped = eventually(lambda: (found := warnings(cluster, "RuleSkipped")) and len(found) == 3 and found)
    assert sorted(message.split(":")[1].strip() for message in skipped) == [
        "checkout.rules/Broken", "checkout.rules/NoDuration", "checkout.rules/OtherTeam",
    ]  # fmt: skip
    (adjusted,) = eventually(lambda: warnings(cluster, "RuleAdjusted"))
    assert adjusted.startswith("group checkout.rules: interval 5s")

    # A rule broken by an edit keeps the alarm made from its last good version, as Prometheus keeps its last rules.
    cluster.patch(crds.PROMETHEUS_RULES, "checkout", {"spec": {"groups": [{"name": "checkout.rules", "interval": "10s", "rules": [
        alert("Fine", "up =="),
    ]}]}})  # fmt: skip
    seen = eventually(lambda: (a := annotations_of(cluster)).get(reconciler.SKIPPED_ANNOTATION, "").startswith("checkout.rules/Fine") and a)  # fmt: skip
    assert seen[reconciler.SKIPPED_ANNOTATION].endswith("; its alarm stays as last made")
    assert (seen[reconciler.ALARMS_ANNOTATION], reconciler.NOTES_ANNOTATION in seen) == ("1", False)
    assert cw_alarm(cloudwatch, f"{PREFIX}/Fine")["EvaluationCriteria"]["PromQLCriteria"]["Query"] == "up == 0"  # type: ignore[index]  # fmt: skip


def test_only_opted_in_prometheus_rules_are_made_alarms_by_their_label_or_their_namespaces(
    rules_operator: Cluster, cloudwatch: Any
) -> None:
    cluster = rules_operator
    core = kubernetes.client.CoreV1Api(cluster.client)
    core.create_namespace({"metadata": {"name": "default"}})
    cluster.create(prometheus_rule(alert("Quiet"), name="prometheus-only"))
    cluster.create(prometheus_rule(alert("Out"), name="opted-out", **{reconciler.OPT_IN: "false"}))
    cluster.create(prometheus_rule(alert("Marker"), name="marker", **OPT_IN))
    eventually(lambda: cw_alarm(cloudwatch, "prod/default/marker/checkout.rules/Marker"))
    assert set(aws_alarms(cloudwatch)) == {"prod/default/marker/checkout.rules/Marker"}
    untouched = cluster.get(crds.PROMETHEUS_RULES, "prometheus-only")
    assert untouched is not None and not untouched["metadata"].get("annotations")  # kopf wrote nothing on it

    core.patch_namespace("default", {"metadata": {"labels": OPT_IN}})
    eventually(lambda: cw_alarm(cloudwatch, "prod/default/prometheus-only/checkout.rules/Quiet"))
    eventually(lambda: reported(cluster, "1", "prometheus-only"))
    assert cw_alarm(cloudwatch, "prod/default/opted-out/checkout.rules/Out") is None  # the object's label wins
    assert not annotations_of(cluster, "opted-out")  # and nothing was written on it

    core.patch_namespace("default", {"metadata": {"labels": {reconciler.OPT_IN: None}}})
    eventually(lambda: reported(cluster, "0", "prometheus-only") is None and not annotations_of(cluster, "prometheus-only").get(reconciler.ALARMS_ANNOTATION))  # fmt: skip
    eventually(lambda: set(aws_alarms(cloudwatch)) == {"prod/default/marker/checkout.rules/Marker"})
    cluster.patch(crds.PROMETHEUS_RULES, "marker", {"metadata": {"labels": {reconciler.OPT_IN: None}}})
    eventually(lambda: aws_alarms(cloudwatch) == {} and cluster.listed(crds.METRIC_ALARMS) == [])


def test_without_prometheus_operators_crd_the_operator_says_so_at_start_and_serves_it_once_installed(
    cluster: Cluster, moto: aws.AwsStandIn, cloudwatch: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with operating(cluster, rules_settings(tmp_path)):
        (said,) = eventually(lambda: [m for r in caplog.records if (m := r.getMessage()).startswith("PrometheusRules")])
        assert said == (
            "PrometheusRules are on (--prometheus-rules) but the cluster has no prometheusrules.monitoring.coreos.com"
            " CRD (prometheus-operator's): none are served until it is installed, then at once"
        )
        cluster.create(alarm_object())  # the operator's own kinds are served as ever
        eventually(lambda: synced(cluster))
        install_prometheus_operators_crd(cluster)
        eventually(lambda: created(cluster, prometheus_rule(alert("Late"), **OPT_IN)))
        eventually(lambda: cw_alarm(cloudwatch, f"{PREFIX}/Late"))
    caplog.clear()
    with operating(cluster, rules_settings(tmp_path)):
        eventually(lambda: any("reconciling those labelled kedawatch.io/cloudwatch=true" in r.getMessage() for r in caplog.records))  # fmt: skip


@pytest.mark.parametrize(
    ("routes", "said"),
    [
        pytest.param(
            {"routes": [{"matchers": ['severity="critical"', "team critical"], "alarmActions": [PAGER]}]},
            "routes[0].matchers[1]: 'team critical' is not a matcher",
            id="matcher-that-does-not-parse",
        ),
        pytest.param(
            {"routes": [{"matchers": ['team=~"db|("'], "alarmActions": [PAGER]}]},
            "routes[0].matchers[0]: 'team=~\"db|(\"': 'db|(' is not a regular expression",
            id="regex-that-does-not-compile",
        ),
    ],
)
def test_a_routing_table_that_does_not_parse_stops_the_operator_at_start_naming_the_matcher(
    moto: aws.AwsStandIn, tmp_path: Path, routes: dict[str, Any], said: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        run.make_context(rules_settings(tmp_path, routes), None)
    assert str(stopped.value).startswith(f"kedawatch operator: --alert-routes {tmp_path / 'routes.json'}: {said}")
