"""The chart's `prometheusRules` values, rendered by the real helm: off by default, and when on the routing table
handed to the operator as it reads it, the flags it has, and the permissions on prometheus-operator's kind only then."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kedawatch.operator import alert_routes
from kedawatch.operator.resources import crds
from tests.helm import chart, schemas
from tests.helm.chart import Helm, HelmFailed
from tests.helm.test_chart import DEFAULTS, EVERYTHING, OPERATOR, container, env, env_variables_of, permissions

PAGER = "arn:aws:sns:eu-west-1:123456789012:pager"
TICKETS = "arn:aws:sns:eu-west-1:123456789012:tickets"
RULES = {
    "enabled": True,
    "defaultInterval": 120,
    "routes": [
        {"matchers": ['severity="critical"', 'team=~"db|cache"'], "alarmActions": [PAGER], "okActions": [PAGER]}
    ],
    "default": {"alarmActions": [TICKETS]},
}
ON: dict[str, Any] = {**DEFAULTS, "prometheusRules": RULES}
ON_IN_NAMESPACES: dict[str, Any] = {**EVERYTHING, "prometheusRules": RULES}
KIND = crds.PROMETHEUS_RULES
GRANTED = {(KIND.group, KIND.plural, verb) for verb in ("get", "list", "watch", "patch")} | {
    (KIND.group, f"{KIND.plural}/finalizers", "update")
}


def test_by_default_nothing_of_it_is_rendered_and_no_permission_on_prometheus_rules(helm: Helm) -> None:
    rendered = helm.template(DEFAULTS)
    assert [c["metadata"]["name"] for c in rendered.of_kind("ConfigMap")] == ["kedawatch-tenancy"]
    assert not [var for var in env(container(rendered, OPERATOR)) if "RULE" in var or "ROUTES" in var]
    assert not {grant for grant in permissions(rendered.of_kind("ClusterRole")) if grant[0] == KIND.group}


@pytest.mark.parametrize("values", [pytest.param(ON, id="cluster-wide"), pytest.param(ON_IN_NAMESPACES, id="in-namespaces")])  # fmt: skip
def test_when_on_the_routing_table_reaches_the_operator_as_it_reads_it(helm: Helm, values: dict[str, Any]) -> None:
    rendered = helm.template(values)
    operator = container(rendered, OPERATOR)
    variables = env(operator)
    assert (variables["KEDAWATCH_PROMETHEUS_RULES"], variables["KEDAWATCH_DEFAULT_RULE_INTERVAL"]) == ("true", "120")
    assert {"KEDAWATCH_PROMETHEUS_RULES", "KEDAWATCH_ALERT_ROUTES", "KEDAWATCH_DEFAULT_RULE_INTERVAL"} <= env_variables_of("operator")  # fmt: skip
    (mount,) = [m for m in operator["volumeMounts"] if m["name"] == "alert-routes"]
    assert variables["KEDAWATCH_ALERT_ROUTES"] == f"{mount['mountPath']}/routes.json" and mount["readOnly"]
    pod = rendered.one("Deployment", OPERATOR)["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "alert-routes"]
    config = rendered.one("ConfigMap", volume["configMap"]["name"])
    routes = alert_routes.parse(json.loads(config["data"]["routes.json"]))
    assert routes.actions_for({"severity": "critical", "team": "db"}).spec() == {"alarmActions": [PAGER], "okActions": [PAGER]}  # fmt: skip
    assert routes.actions_for({"severity": "critical", "team": "web"}).spec() == {"alarmActions": [TICKETS]}
    for obj in rendered.objects:
        if obj["kind"] in ("ConfigMap", "Deployment"):
            schemas.validate(obj, {})


def test_when_on_the_operator_may_read_and_annotate_prometheus_rules_and_own_objects_through_them(helm: Helm) -> None:
    cluster_wide = helm.template(ON)
    assert permissions(cluster_wide.of_kind("ClusterRole")) >= GRANTED
    assert not GRANTED & permissions([r for r in cluster_wide.of_kind("ClusterRole") if r["metadata"]["name"].endswith("-discovery")])  # fmt: skip
    roles = helm.template(ON_IN_NAMESPACES).of_kind("Role")
    assert sorted(role["metadata"]["namespace"] for role in roles) == ["team-a", "team-b"]
    for role in roles:
        assert permissions([role]) >= GRANTED


def test_a_routing_change_restarts_the_operator_which_reads_it_at_start(helm: Helm) -> None:
    def digest(values: dict[str, Any]) -> str:
        annotations = helm.template(values).one("Deployment", OPERATOR)["spec"]["template"]["metadata"]["annotations"]
        return str(annotations["checksum/alert-routes"])

    changed = {**DEFAULTS, "prometheusRules": {**RULES, "default": {"alarmActions": [PAGER]}}}
    assert digest(ON) != digest(changed)


def test_the_schemas_matcher_pattern_is_the_operators() -> None:
    schema = json.loads((chart.CHART / "values.schema.json").read_text())
    route = schema["properties"]["prometheusRules"]["properties"]["routes"]["items"]
    assert route["properties"]["matchers"]["items"]["pattern"] == alert_routes.MATCHER


def rules(**given: Any) -> dict[str, Any]:
    return {**DEFAULTS, "prometheusRules": {"enabled": True, **given}}


REFUSED = [
    pytest.param(rules(routes=[{"matchers": ["severity critical"], "alarmActions": [PAGER]}]), "prometheusRules.routes.0.matchers.0", id="matcher-that-does-not-parse"),
    pytest.param(rules(routes=[{"matchers": ['severity="crit"ical"']}]), "prometheusRules.routes.0.matchers.0", id="unescaped-quote"),
    pytest.param(rules(routes=[{"matchers": []}]), "prometheusRules.routes.0.matchers", id="no-matchers"),
    pytest.param(rules(routes=[{"alarmActions": [PAGER]}]), "matchers is required", id="route-without-matchers"),
    pytest.param(rules(routes=[{"matchers": ['a="1"'], "receiver": "pager"}]), "Additional property receiver is not allowed", id="alertmanager-receiver"),
    pytest.param(rules(default={"alarmActions": ["pager"]}), "prometheusRules.default.alarmActions.0", id="not-an-arn"),
    pytest.param(rules(default={"okActions": [PAGER] * 6}), "prometheusRules.default.okActions", id="six-actions"),
    pytest.param(rules(defaultInterval=45), "prometheusRules.defaultInterval", id="interval-cloudwatch-does-not-take"),
    pytest.param(rules(defaultInterval=7200), "prometheusRules.defaultInterval", id="interval-beyond-an-hour"),
    pytest.param(rules(enable=True), "Additional property enable is not allowed", id="misspelt-key"),
]  # fmt: skip


@pytest.mark.parametrize(("values", "named"), REFUSED)
def test_bad_prometheus_rules_values_fail_naming_the_value(helm: Helm, values: dict[str, Any], named: str) -> None:
    with pytest.raises(HelmFailed) as failure:
        helm.template(values)
    assert named in failure.value.stderr


@pytest.mark.parametrize(
    "matcher",
    ['severity="critical"', "severity=critical", 'team=~"db|cache"', 'team!~"db.*"', r'summary!="say \"hi\""', 'a=""'],
)
def test_a_matcher_the_operator_reads_the_schema_accepts(helm: Helm, matcher: str) -> None:
    alert_routes.parse_matcher(matcher)
    helm.template(rules(routes=[{"matchers": [matcher], "alarmActions": [PAGER]}]))
