"""What a PrometheusRule becomes, without a cluster: one CloudWatch PromQL alarm object per alerting rule, and every
rule CloudWatch cannot take named with the reason."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kedawatch import settings
from kedawatch.operator import alert_routes, ownership
from kedawatch.operator.rendering import prometheus_rules
from kedawatch.operator.resources import crds, fields

DATA = Path(__file__).parent / "data" / "prometheus-operator"
PAGER = "arn:aws:sns:us-east-1:123456789012:pager"
TICKETS = "arn:aws:sns:us-east-1:123456789012:tickets"
ROUTES = alert_routes.parse(
    {"routes": [{"matchers": ['severity="critical"'], "alarmActions": [PAGER], "okActions": [PAGER]}],
     "default": {"alarmActions": [TICKETS]}}
)  # fmt: skip
OPERATOR = settings.OperatorSettings(cluster_name="prod")
ERRORS = 'sum(rate(http_requests_total{code=~"5.."}[5m])) by (service) > 5'


def prometheus_rule(*groups: dict[str, Any], name: str = "checkout", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": crds.PROMETHEUS_RULES.api_version,
        "kind": crds.PROMETHEUS_RULES.kind,
        "metadata": {"name": name, "namespace": "shop", "uid": "uid-1", "labels": labels},
        "spec": {"groups": list(groups)},
    }


def group(name: str = "checkout.rules", *rules: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": name, **fields, "rules": list(rules)}


def alert(name: str = "CheckoutErrors", expr: str = ERRORS, **fields: Any) -> dict[str, Any]:
    return {"alert": name, "expr": expr, **fields}


def translated(rule: dict[str, Any], operator: settings.OperatorSettings = OPERATOR) -> prometheus_rules.Translation:
    check_against_prometheus_operators_crd(rule)
    return prometheus_rules.translate(rule, operator, ROUTES)


@functools.cache
def crd_schema() -> dict[str, Any]:
    (crd,) = [doc for doc in yaml.safe_load_all((DATA / "monitoring.coreos.com_prometheusrules.yaml").read_text())]
    (version,) = crd["spec"]["versions"]
    return fields.plain_schema(version["schema"]["openAPIV3Schema"])  # type: ignore[no-any-return]


def check_against_prometheus_operators_crd(rule: dict[str, Any]) -> None:
    """The stand-in API server validates nothing: every PrometheusRule a test uses is one the real CRD admits."""
    jsonschema.Draft7Validator(crd_schema()).validate(rule)


def only_alarm(translation: prometheus_rules.Translation) -> dict[str, Any]:
    (made,) = translation.alarms
    return made.object


def test_an_alerting_rule_becomes_a_promql_alarm_object_owned_by_its_prometheus_rule() -> None:
    rule = alert(
        "CheckoutErrors", **{"for": "5m", "keep_firing_for": "1m30s"},
        labels={"severity": "critical", "team": "shop"},
        annotations={"summary": "{{ $labels.service }} fails", "description": "{{ $value }} errors a second",
                     "runbook_url": "https://runbooks.example/checkout"},
    )  # fmt: skip
    made = only_alarm(translated(prometheus_rule(group("checkout.rules", rule, interval="30s"))))
    assert (made["apiVersion"], made["kind"]) == (crds.METRIC_ALARMS.api_version, crds.METRIC_ALARMS.kind)
    assert made["metadata"]["namespace"] == "shop"
    (owner,) = made["metadata"]["ownerReferences"]
    assert owner == {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "name": "checkout",
                     "uid": "uid-1", "controller": True, "blockOwnerDeletion": True}  # fmt: skip
    assert made["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "kedawatch", "kedawatch.io/prometheus-rule": "checkout"}  # fmt: skip
    assert made["spec"] == {
        "alarmName": "prod/shop/checkout/checkout.rules/CheckoutErrors",
        "description": "{{ $labels.service }} fails\n{{ $value }} errors a second\n"
        "runbook_url: https://runbooks.example/checkout",
        "evaluationCriteria": {"promQLCriteria": {"query": ERRORS, "pendingPeriod": 300, "recoveryPeriod": 90}},
        "evaluationInterval": 30,
        "alarmActions": [PAGER],
        "okActions": [PAGER],
        "tags": {"alertname": "CheckoutErrors", "severity": "critical", "team": "shop"},
    }
    assert fields.validate(crds.METRIC_ALARMS.spec, made["spec"]) == []


def test_without_for_and_keep_firing_for_the_alarm_fires_and_recovers_at_once_and_routes_to_the_default() -> None:
    spec = only_alarm(translated(prometheus_rule(group("g", alert("Up", "up == 0")))))["spec"]
    assert spec["evaluationCriteria"]["promQLCriteria"] == {"query": "up == 0", "pendingPeriod": 0, "recoveryPeriod": 0}
    assert spec["evaluationInterval"] == 60  # Prometheus's default evaluation_interval, 1m
    assert spec["alarmActions"] == [TICKETS] and "okActions" not in spec
    assert spec["description"] == "Prometheus alert Up"


def test_a_group_without_an_interval_takes_the_operators_default() -> None:
    operator = settings.OperatorSettings(prometheus_rules=settings.PrometheusRuleSettings(default_interval=300))
    assert only_alarm(translated(prometheus_rule(group("g", alert())), operator))["spec"]["evaluationInterval"] == 300
    zero = prometheus_rule(group("g", alert(), interval="0"))
    assert only_alarm(translated(zero, operator))["spec"]["evaluationInterval"] == 300


def test_the_groups_labels_apply_under_the_rules_own() -> None:
    rule = prometheus_rule(
        group("g", alert(labels={"severity": "critical"}), labels={"severity": "warning", "team": "shop"})
    )
    spec = only_alarm(translated(rule))["spec"]
    assert spec["tags"] == {"alertname": "CheckoutErrors", "severity": "critical", "team": "shop"}
    assert spec["alarmActions"] == [PAGER]


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        pytest.param("0", 0, id="zero"),
        pytest.param("0s", 0, id="zero-seconds"),
        pytest.param("250ms", 250, id="milliseconds"),
        pytest.param("30s", 30_000, id="seconds"),
        pytest.param("5m", 300_000, id="minutes"),
        pytest.param("1h30m", 5_400_000, id="hours-and-minutes"),
        pytest.param("1d", 86_400_000, id="day"),
        pytest.param("2w", 14 * 86_400_000, id="weeks"),
        pytest.param("1y", 365 * 86_400_000, id="year-of-365-days"),
        pytest.param("1h0m5s10ms", 3_605_010, id="every-unit-once-in-order"),
    ],
)
def test_prometheus_durations_parse_as_prometheus_parses_them(text: str, ms: int) -> None:
    assert prometheus_rules.duration_ms(text) == ms


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("5", id="no-unit"),
        pytest.param("5 minutes", id="words"),
        pytest.param("1.5h", id="fraction"),
        pytest.param("30m1h", id="units-out-of-order"),
        pytest.param("5M", id="capital-unit"),
        pytest.param("-5m", id="negative"),
    ],
)
def test_a_duration_prometheus_would_refuse_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Prometheus duration"):
        prometheus_rules.duration_ms(text)


@pytest.mark.parametrize(
    ("seconds", "interval"),
    [
        pytest.param(1, 10, id="below-the-shortest"),
        pytest.param(10, 10, id="the-shortest"),
        pytest.param(15, 10, id="between-10-and-20"),
        pytest.param(30, 30, id="thirty"),
        pytest.param(45, 30, id="between-30-and-60"),
        pytest.param(60, 60, id="a-minute"),
        pytest.param(90, 60, id="not-a-multiple-of-60"),
        pytest.param(3600, 3600, id="the-longest"),
        pytest.param(86400, 3600, id="beyond-the-longest"),
    ],
)
def test_an_interval_moves_to_the_nearest_cloudwatch_takes_never_longer_within_its_range(
    seconds: float, interval: int
) -> None:
    assert prometheus_rules.evaluation_interval(seconds) == interval


@pytest.mark.parametrize(
    ("given", "interval", "note"),
    [
        pytest.param("5s", 10, "interval 5s (5 s) is evaluated every 10 s, CloudWatch's shortest", id="too-short"),
        pytest.param("2h", 3600, "interval 2h (7200 s) is evaluated every 3600 s, CloudWatch's longest", id="too-long"),
        pytest.param("45s", 30, "interval 45s (45 s) is evaluated every 30 s, the nearest shorter one", id="between"),
    ],
)
def test_an_interval_cloudwatch_does_not_take_is_moved_and_said(given: str, interval: int, note: str) -> None:
    translation = translated(prometheus_rule(group("node.rules", alert(), interval=given)))
    assert only_alarm(translation)["spec"]["evaluationInterval"] == interval
    (said,) = translation.notes
    assert said.startswith(f"group node.rules: {note}")


def test_what_cloudwatch_does_not_apply_of_a_group_is_said() -> None:
    translation = translated(prometheus_rule(group("g", alert(), limit=10, query_offset="1m")))
    assert translation.notes == [
        "group g: limit 10 is not applied: a CloudWatch alarm has no such limit",
        "group g: query_offset 1m is not applied: CloudWatch queries at now",
    ]
    assert len(translation.alarms) == 1


def test_a_group_of_recording_rules_only_notes_nothing_about_its_interval() -> None:
    translation = translated(prometheus_rule(group("g", {"record": "job:up:sum", "expr": "sum(up)"}, interval="5s")))
    assert translation.notes == []


def test_recording_rules_are_reported_not_dropped_and_the_alerting_rules_still_made() -> None:
    rule = prometheus_rule(
        group("node.rules", {"record": "job:up:sum", "expr": "sum by (job) (up)"}, alert("NodeDown", "up == 0"))
    )
    translation = translated(rule)
    assert [made.rule for made in translation.alarms] == ["node.rules/NodeDown"]
    (skipped,) = translation.skipped
    assert skipped.rule == "node.rules/job:up:sum" and skipped.child is None
    assert skipped.reason.startswith("a recording rule: CloudWatch stores no series a rule records")


def test_a_rule_with_a_promql_syntax_error_is_reported_by_name_and_the_others_still_made() -> None:
    rule = prometheus_rule(
        group("checkout.rules", alert("Broken", "sum(rate(errors[5m])"), alert("Fine", "up == 0"), alert("Range", "up[5m]"))
    )  # fmt: skip
    translation = translated(rule)
    assert [made.rule for made in translation.alarms] == ["checkout.rules/Fine"]
    reasons = {skipped.rule: skipped.reason for skipped in translation.skipped}
    assert reasons == {
        "checkout.rules/Broken": "expr: 'sum(rate(errors[5m])' is not valid PromQL: unclosed left parenthesis",
        "checkout.rules/Range": "expr: 'up[5m]' is a range vector (a [range] selector or a subquery), which has no"
        " single value at an instant: take a function of it, e.g. rate(...[5m]) or max_over_time(...[5m])",
    }
    assert all(skipped.child for skipped in translation.skipped)  # an earlier alarm of theirs is kept


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        pytest.param(alert(**{"for": "5 minutes"}), "for: '5 minutes' is not a Prometheus duration", id="for"),
        pytest.param(
            alert(keep_firing_for="1.5h"), "keep_firing_for: '1.5h' is not a Prometheus duration", id="keep-firing-for"
        ),
        pytest.param(
            alert(**{"for": "2d"}), "for 2d: 172800 is greater than the maximum of 86400", id="for-beyond-a-day"
        ),
        pytest.param(
            alert(keep_firing_for="25h"), "keep_firing_for 25h: 90000 is greater than the maximum of 86400",
            id="keep-firing-for-beyond-a-day",
        ),
    ],
)  # fmt: skip
def test_a_duration_that_does_not_parse_or_exceeds_cloudwatchs_skips_the_rule_saying_why(
    rule: dict[str, Any], reason: str
) -> None:
    translation = prometheus_rules.translate(prometheus_rule(group("g", rule)), OPERATOR, ROUTES)
    assert translation.alarms == []
    (skipped,) = translation.skipped
    assert skipped.rule == "g/CheckoutErrors" and skipped.reason.startswith(reason)


def test_a_group_interval_that_does_not_parse_skips_each_of_its_alerting_rules_by_name() -> None:
    rule = prometheus_rule(group("g", alert("A"), alert("B"), interval="1 minute"), group("h", alert("C")))
    translation = prometheus_rules.translate(rule, OPERATOR, ROUTES)
    assert [made.rule for made in translation.alarms] == ["h/C"]
    assert [str(skipped) for skipped in translation.skipped] == [
        f"g/{name}: the group's interval: '1 minute' is not a Prometheus duration such as 30s, 5m or 1h30m"
        " (units y w d h m s ms)"
        for name in ("A", "B")
    ]


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        pytest.param({"alert": "A", "record": "a", "expr": "up"}, "sets both alert and record: a rule is one or the other", id="both"),
        pytest.param({"expr": "up"}, "sets neither alert nor record", id="neither"),
    ],
)  # fmt: skip
def test_a_rule_that_is_neither_one_alert_nor_one_record_is_reported(rule: dict[str, Any], reason: str) -> None:
    (skipped,) = prometheus_rules.translate(prometheus_rule(group("g", rule)), OPERATOR, ROUTES).skipped
    assert (skipped.rule, skipped.reason) == ("g/rules[0]", reason)


def test_two_rules_of_one_name_in_a_group_get_two_alarms_and_their_names_stay_when_others_come() -> None:
    first = translated(prometheus_rule(group("g", alert("Down", "up == 0"), alert("Down", "absent(up)"))))
    names = [made.object["spec"]["alarmName"] for made in first.alarms]
    assert names == ["prod/shop/checkout/g/Down", "prod/shop/checkout/g/Down#2"]
    assert [made.rule for made in first.alarms] == ["g/Down", "g/Down#2"]
    objects = [made.object["metadata"]["name"] for made in first.alarms]
    assert len(set(objects)) == 2
    later = translated(
        prometheus_rule(group("g", alert("Other"), alert("Down", "up == 0"), alert("Down", "absent(up)")))
    )
    assert [made.object["metadata"]["name"] for made in later.alarms][1:] == objects


def test_alarm_and_object_names_are_readable_and_within_their_limits() -> None:
    made = only_alarm(translated(prometheus_rule(group("Node Rules: disk", alert("DiskFull")), name="node.exporter")))
    assert made["metadata"]["name"].startswith("node.exporter-node-rules-disk-diskfull-")
    long_group, long_alert = "g" * 200, "A" * 200
    made = only_alarm(translated(prometheus_rule(group(long_group, alert(long_alert)), name="n" * 253)))
    alarm_name = made["spec"]["alarmName"]
    assert alarm_name == ownership.fitted(f"prod/shop/{'n' * 253}/{long_group}/{long_alert}")
    assert len(alarm_name) == 255
    object_name = made["metadata"]["name"]
    assert len(object_name) <= 253 and re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", object_name)
    label = made["metadata"]["labels"][prometheus_rules.RULE_LABEL]
    assert len(label) <= 63 and label.startswith("nnn")


def test_annotations_become_a_description_within_alarm_descriptions_limit() -> None:
    long = alert(annotations={"summary": "s" * 2000})
    description = only_alarm(translated(prometheus_rule(group("g", long))))["spec"]["description"]
    assert len(description) == 1024 and description.endswith("s…")


def test_a_label_cloudwatch_refuses_as_a_tag_skips_the_rule_naming_the_label() -> None:
    rule = prometheus_rule(group("g", alert(labels={"aws:team": "shop"})))
    (skipped,) = prometheus_rules.translate(rule, OPERATOR, ROUTES).skipped
    assert skipped.reason == (
        "its alarm: tags keys must be 1 to 128 characters and must not start with aws: (AWS reserves it)"
    )


def test_a_retain_label_on_the_prometheus_rule_keeps_its_alarms_when_their_objects_go() -> None:
    retained = prometheus_rule(group("g", alert()), **{prometheus_rules.DELETION_POLICY_LABEL: "Retain"})
    assert only_alarm(translated(retained))["spec"]["deletionPolicy"] == "Retain"
    assert "deletionPolicy" not in only_alarm(translated(prometheus_rule(group("g", alert()))))["spec"]


def test_prometheus_operators_own_example_becomes_one_alarm() -> None:
    example = yaml.safe_load((DATA / "prometheus-example-rules.yaml").read_text())
    example["metadata"] |= {"namespace": "default", "uid": "uid-2"}
    made = only_alarm(translated(copy.deepcopy(example)))
    assert made["spec"]["alarmName"] == "prod/default/prometheus-example-rules/./example.rules/ExampleAlert"
    assert made["spec"]["evaluationCriteria"]["promQLCriteria"]["query"] == "vector(1)"


def test_a_malformed_spec_is_reported_not_raised() -> None:
    rule = prometheus_rule()
    rule["spec"]["groups"] = {"name": "g"}
    (skipped,) = prometheus_rules.translate(rule, OPERATOR, ROUTES).skipped
    assert str(skipped) == "spec.groups: must be a list of rule groups"
    rule["spec"]["groups"] = ["g"]
    (skipped,) = prometheus_rules.translate(rule, OPERATOR, ROUTES).skipped
    assert str(skipped) == "spec.groups[0]: must be a group with a name and a list of rules"
