"""The adapter's ExternalMetric queries as kedawatch trigger fields, as the adapter's own source sent them:
its fixed 5-minute window and the periods that do not divide it, expressions, several queries, roles,
regions and accounts, and queries AWS would refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kedawatch.aws import metric_math
from kedawatch.migration.results import Converted
from kedawatch.operator.resources import common
from tests.migration import checks
from tests.migration.manifests import external_metric, hpa, metric_stat, stream


def migrated(*queries: Any, app: bool = False, **spec: Any) -> tuple[list[Converted], dict[str, Any]]:
    """The results, and the one trigger's metadata (ScaledObject) or cloudwatch fields (AppObservability)."""
    results = checks.migrate_text(stream(hpa(), external_metric(queries=list(queries), **spec)), app=app)
    objects = checks.check(results)
    if not objects:
        return results, {}
    (obj,) = objects
    if app:
        return results, obj["spec"]["scaling"]["triggers"][0]["cloudwatch"]
    return results, obj["spec"]["triggers"][0]["metadata"]


def texts(results: list[Converted], lost: bool | None = None) -> list[str]:
    return [n.text for r in results for n in r.notes if lost is None or n.lost == lost]


def query(query_id: str = "sent", **fields: Any) -> dict[str, Any]:
    return {"id": query_id, **({"metricStat": metric_stat()} if "expression" not in fields else {}), **fields}


@pytest.mark.parametrize(
    ("period", "collection", "note"),
    [
        pytest.param(60, "300", None, id="60: the adapter's own window"),
        pytest.param(30, "300", "values up to a minute newer", id="30"),
        pytest.param(300, "300", "the value can be up to 240 s older", id="300"),
        pytest.param(120, "360", "360 is the smallest that still looks back 300 s", id="120 does not divide 300"),
        pytest.param(420, "420", "420 is the smallest that still looks back 300 s", id="420"),
        pytest.param(600, "600", "600 is the smallest", id="600 is longer than the window"),
        pytest.param(3600, "3600", "3600 is the smallest", id="an hour"),
    ],
)
def test_the_adapters_five_minute_window_becomes_the_smallest_multiple_of_the_period_that_covers_it(
    period: int, collection: str, note: str | None
) -> None:
    results, meta = migrated(query(metricStat=metric_stat(period=period)))
    assert (meta["metricStatPeriod"], meta["metricCollectionTime"]) == (str(period), collection)
    window_notes = [t for t in texts(results) if "window" in t]
    assert (note is None and not window_notes) or any(note in t for t in window_notes if note)


def test_a_period_of_20_which_keda_refuses_is_written_as_metric_data_queries() -> None:
    results, meta = migrated(query(metricStat=metric_stat(period=20)))
    (aws_query,) = json.loads(meta["metricDataQueries"])
    assert aws_query["MetricStat"]["Period"] == 20
    assert (meta["metricStatPeriod"], meta["metricCollectionTime"]) == ("60", "300")
    assert any("period 20, which AWS takes and KEDA's metricStatPeriod does not" in t for t in texts(results))


@pytest.mark.parametrize(
    ("metric", "reason"),
    [
        pytest.param({"dimensions": []}, "the metric has no dimensions", id="no dimensions"),
        pytest.param({"dimensions": [{"name": "Path", "value": "/a;b"}]}, "a dimension holds ';'", id="a semicolon"),
    ],
)
def test_a_metric_the_single_metric_keys_cannot_say_is_written_as_metric_data_queries(
    metric: dict[str, Any], reason: str
) -> None:
    results, meta = migrated(query(metricStat=metric_stat(**metric)))
    assert metric_math.parse(meta["metricDataQueries"])[1] == []
    assert any(reason in t for t in texts(results))


def test_a_self_contained_expression_becomes_the_expression_key() -> None:
    search = "SEARCH('{AWS/SQS,QueueName} MetricName=\"NumberOfMessagesSent\"', 'Sum', 60)"
    results, meta = migrated({"id": "all", "expression": f"SUM({search})", "metricStat": metric_stat()})
    assert meta["expression"] == f"SUM({search})" and "namespace" not in meta
    assert (meta["metricStatPeriod"], meta["metricCollectionTime"]) == ("60", "300")
    assert any("metricStat: not carried over, the adapter sends the expression instead" in t for t in texts(results))


SENT = {"id": "sent", "metricStat": metric_stat(), "returnData": False}
FAILED = {"id": "failed", "metricStat": metric_stat(metricName="NumberOfMessagesFailed"), "returnData": False}
RATE = {"id": "rate", "expression": "failed / sent * 100", "label": "failure rate", "returnData": True}


@pytest.mark.parametrize("app", [False, True], ids=["scaled object", "app observability"])
def test_several_queries_become_metric_data_queries_in_aws_shape(app: bool) -> None:
    _, found = migrated(SENT, FAILED, RATE, app=app, region="eu-west-1")
    queries = common.pascal(found["metricDataQueries"]) if app else json.loads(found["metricDataQueries"])
    assert queries == [
        {"Id": "sent", "MetricStat": {"Metric": {"Namespace": "AWS/SQS", "MetricName": "NumberOfMessagesSent",
         "Dimensions": [{"Name": "QueueName", "Value": "orders"}]}, "Period": 60, "Stat": "Sum", "Unit": "Count"}, "ReturnData": False},
        {"Id": "failed", "MetricStat": {"Metric": {"Namespace": "AWS/SQS", "MetricName": "NumberOfMessagesFailed",
         "Dimensions": [{"Name": "QueueName", "Value": "orders"}]}, "Period": 60, "Stat": "Sum", "Unit": "Count"}, "ReturnData": False},
        {"Id": "rate", "Label": "failure rate", "Expression": "failed / sent * 100", "ReturnData": True},
    ]  # fmt: skip
    assert metric_math.validate(queries) == []
    assert found["region" if app else "awsRegion"] == "eu-west-1"


def test_queries_the_returned_one_does_not_use_are_left_out() -> None:
    unused = {"id": "unused", "metricStat": metric_stat(metricName="Other"), "returnData": False}
    results, meta = migrated(unused, query(returnData=True))
    assert meta["metricName"] == "NumberOfMessagesSent" and "metricDataQueries" not in meta
    assert any(
        "spec.queries unused: not carried over, the returned query does not use them" in t for t in texts(results)
    )


def test_metrics_of_an_expression_are_kept_when_it_reads_them_through_metrics() -> None:
    total = {"id": "total", "expression": "SUM(METRICS())", "returnData": True}
    _, meta = migrated(SENT, FAILED, total)
    assert [q["Id"] for q in json.loads(meta["metricDataQueries"])] == ["sent", "failed", "total"]


def test_with_several_queries_returning_data_the_first_is_the_one_the_adapter_scaled_on() -> None:
    results, meta = migrated({"id": "rate", "expression": "failed / sent"}, {k: v for k, v in SENT.items() if k != "returnData"},
                             {**FAILED, "returnData": True})  # fmt: skip
    queries = json.loads(meta["metricDataQueries"])
    assert [(q["Id"], q.get("ReturnData", True)) for q in queries] == [
        ("rate", True),
        ("sent", False),
        ("failed", False),
    ]
    assert any("3 queries return data" in t and "rate" in t for t in texts(results, lost=True))


def test_the_role_and_region_become_the_triggers_identity() -> None:
    role = "arn:aws:iam::444455556666:role/target-cloudwatch-role"
    results, meta = migrated(query(), roleArn=role, region="eu-west-1")
    assert (meta["awsRoleArn"], meta["awsRegion"]) == (role, "eu-west-1")
    assert not any("no spec.region" in t for t in texts(results))


def test_an_account_id_the_adapter_never_sent_is_not_carried_over() -> None:
    results, meta = migrated(query(accountId="444455556666"), roleArn="arn:aws:iam::444455556666:role/reader")
    assert "awsAccountId" not in meta
    assert any("spec.queries[0].accountId: not carried over, the adapter's query has no accountId field" in t
               and "cross-account observability" in t for t in texts(results, lost=False))  # fmt: skip


def test_an_empty_unit_as_the_adapter_sent_it_is_no_unit() -> None:
    _, meta = migrated(query(metricStat=metric_stat(unit="")))
    assert "metricUnit" not in meta


@pytest.mark.parametrize(
    ("queries", "expected"),
    [
        pytest.param([query("M1")], "spec.queries[0].id='M1': must start with a lower-case letter", id="id"),
        pytest.param([{"metricStat": metric_stat()}], "spec.queries[0].id is required", id="no id"),
        pytest.param([query(metricStat=metric_stat(stat="average"))], "spec.queries[0].metricStat.stat='average': must be one of", id="stat"),
        pytest.param([query(metricStat=metric_stat(period=45))], "spec.queries[0].metricStat.period='45'", id="period"),
        pytest.param([query(metricStat=metric_stat(unit="Requests"))], "spec.queries[0].metricStat.unit='Requests'", id="unit"),
        pytest.param([{"id": "rate", "expression": "failed / sent"}], "names failed, which is no query's Id", id="a missing reference"),
        pytest.param([query(returnData=False)], "spec.queries returns no data", id="nothing returned"),
        pytest.param([], "spec.queries must list the metric's queries", id="no queries"),
    ],
)  # fmt: skip
def test_queries_aws_would_refuse_are_not_converted_and_named(queries: list[Any], expected: str) -> None:
    results, meta = migrated(*queries)
    assert meta == {}
    assert any(expected in t for t in texts(results, lost=True)), texts(results)


def test_a_bad_region_is_named_as_the_scaler_would_name_it() -> None:
    results = checks.migrate_text(stream(hpa(), external_metric(region="Region")))
    assert any("awsRegion='Region': must be an AWS region such as us-east-1" in t for t in texts(results, lost=True))
