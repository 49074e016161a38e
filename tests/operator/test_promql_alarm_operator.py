"""PromQL alarms end to end: a real kopf operator, the Kubernetes stand-in and the AWS stand-in, all over HTTP."""

from __future__ import annotations

from typing import Any

from kedawatch.operator.resources import crds
from kedawatch.standins import aws
from tests.operator.conftest import Cluster, eventually
from tests.operator.test_alarm_operator import cw_alarm, synced
from tests.operator.test_promql_alarms import PROMQL, QUERY, contributor

NAME = "prod/default/checkout-5xx"


def promql_alarm(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": crds.METRIC_ALARMS.api_version,
        "kind": crds.METRIC_ALARMS.kind,
        "metadata": {"name": "checkout-5xx", "namespace": "default"},
        "spec": {**PROMQL, **spec},
    }


def status(cluster: Cluster) -> dict[str, Any]:
    return dict((cluster.get(crds.METRIC_ALARMS, "checkout-5xx") or {}).get("status", {}))


def test_a_promql_alarm_is_created_mirrors_its_breaching_series_and_is_repaired(
    operator: Cluster, cloudwatch: Any, moto: aws.AwsStandIn
) -> None:
    operator.create(promql_alarm())
    eventually(lambda: synced(operator, "checkout-5xx"))
    alarm = cw_alarm(cloudwatch, NAME)
    assert alarm is not None and alarm["EvaluationCriteria"]["PromQLCriteria"]["Query"] == QUERY
    eventually(lambda: status(operator).get("state") == "OK" and status(operator).get("breachingSeries") == 0)

    moto.alarms.set_contributors(NAME, [contributor(index) for index in range(3)])
    cloudwatch.set_alarm_state(AlarmName=NAME, StateValue="ALARM", StateReason="3 contributors breaching")
    seen = eventually(lambda: (s := status(operator)).get("breachingSeries") == 3 and s)
    assert seen["state"] == "ALARM"
    assert [c["attributes"]["service"] for c in seen["contributors"]] == ["svc-0", "svc-1", "svc-2"]
    warned = eventually(lambda: [e for e in operator.events("checkout-5xx") if e["reason"] == "AlarmState"])
    assert warned[0]["type"] == "Warning" and warned[0]["message"].endswith("is in ALARM: 3 series breaching")

    cloudwatch.set_alarm_state(AlarmName=NAME, StateValue="OK", StateReason="recovered")
    eventually(lambda: (s := status(operator)).get("state") == "OK" and s.get("contributors") == [])

    cloudwatch.put_metric_alarm(
        AlarmName=NAME, EvaluationCriteria={"PromQLCriteria": {"Query": "up == 0"}}, EvaluationInterval=300
    )
    repaired = eventually(lambda: (a := cw_alarm(cloudwatch, NAME)) and a["EvaluationInterval"] == 60 and a)
    assert repaired["EvaluationCriteria"]["PromQLCriteria"] == {"Query": QUERY, "PendingPeriod": 120, "RecoveryPeriod": 300}  # fmt: skip


def test_a_promql_alarm_with_a_syntax_error_is_refused_naming_the_field_and_never_reaches_aws(
    operator: Cluster, cloudwatch: Any
) -> None:
    operator.create(promql_alarm(evaluationCriteria={"promQLCriteria": {"query": "sum(rate(x[5m])"}}))
    found = eventually(lambda: status(operator).get("conditions"))
    assert (found[0]["status"], found[0]["reason"], found[0]["message"]) == (
        "False", "InvalidSpec",
        "spec.evaluationCriteria.promQLCriteria.query: 'sum(rate(x[5m])' is not valid PromQL: unclosed left parenthesis",
    )  # fmt: skip
    operator.patch(crds.METRIC_ALARMS, "checkout-5xx", {"spec": {"evaluationCriteria": PROMQL["evaluationCriteria"], "threshold": 5}})  # fmt: skip
    refused = eventually(lambda: (c := status(operator).get("conditions")) and "threshold" in c[0]["message"] and c)
    assert refused[0]["message"] == (
        "spec: threshold must not be set with evaluationCriteria: a PromQL alarm's query and promQLCriteria say what"
        " breaches and for how long"
    )
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []
