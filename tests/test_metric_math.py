"""AWS's metric-math rules for a trigger's `metricDataQueries`: what GetMetricData refuses, named item by item,
and the rewrite that lets many triggers' lists share one call."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import given, settings, strategies

from kedawatch.aws import metric_math


def metric(query_id: str, period: int = 60, **extra: Any) -> dict[str, Any]:
    stat = {"Metric": {"Namespace": "AWS/SQS", "MetricName": "NumberOfMessagesSent",
                       "Dimensions": [{"Name": "QueueName", "Value": "orders"}]}, "Period": period, "Stat": "Sum"}  # fmt: skip
    return {"Id": query_id, "MetricStat": stat, "ReturnData": False, **extra}


RATIO = [metric("sent"), metric("errors_5xx"), {"Id": "ratio", "Expression": "errors_5xx / sent * 100"}]


def with_change(index: int, **change: Any) -> list[dict[str, Any]]:
    queries = copy.deepcopy(RATIO)
    queries[index].update(change)
    return queries


@pytest.mark.parametrize(
    ("queries", "expected"),
    [
        pytest.param(with_change(0, Id="M1"), "metricDataQueries[0].Id='M1': must start with a lower-case letter and hold only letters, digits and underscores", id="id syntax"),
        pytest.param(with_change(0, Id="m" * 256), "metricDataQueries[0].Id='<256 characters>': must be at most 255 characters", id="id length"),
        pytest.param(with_change(1, Id="sent"), "metricDataQueries[1].Id='sent': repeats the Id of metricDataQueries[0]: ids must be unique", id="unique ids"),
        pytest.param(with_change(2, MetricStat=RATIO[0]["MetricStat"]), "metricDataQueries[2] has both MetricStat and Expression: give exactly one", id="both"),
        pytest.param([metric("sent", ReturnData=True), {"Id": "e1", "ReturnData": False}], "metricDataQueries[1] has neither MetricStat nor Expression: give exactly one", id="neither"),
        pytest.param(with_change(2, Expression="x" * 2049), "metricDataQueries[2].Expression='<2049 characters>': must be at most 2048 characters", id="expression length"),
        pytest.param(with_change(2, Expression=""), "metricDataQueries[2].Expression='': must not be empty", id="empty expression"),
        pytest.param(with_change(2, Label=7), "metricDataQueries[2].Label='7': must be a string", id="label type"),
        pytest.param(with_change(2, ReturnData="yes"), "metricDataQueries[2].ReturnData='yes': must be true or false", id="return data type"),
        pytest.param(with_change(2, Period=45), "metricDataQueries[2].Period='45': must be 1, 5, 10, 20, 30, 60 or a multiple of 60", id="period"),
        pytest.param(with_change(2, Period="60"), "metricDataQueries[2].Period='60': must be a whole number of seconds", id="period type"),
        pytest.param([metric("sent", period=0, ReturnData=True)], "metricDataQueries[0].MetricStat.Period='0': must be 1, 5, 10, 20, 30, 60", id="metric period"),
        pytest.param(with_change(2, AccountId="1234"), "metricDataQueries[2].AccountId='1234': must be a 12-digit AWS account id", id="account"),
        pytest.param(with_change(2, id="ratio"), "metricDataQueries[2].id is not a field of MetricDataQuery; keys are PascalCase, as the AWS CLI writes them: Id", id="camel case key"),
        pytest.param(with_change(2, Color="red"), "metricDataQueries[2].Color is not a field of MetricDataQuery; known: Id, MetricStat", id="unknown key"),
        pytest.param(with_change(2, Expression="errors_5xx / sent * 100 + m9"), "metricDataQueries[2].Expression='errors_5xx / sent * 100 + m9': names m9, which is no query's Id", id="unknown reference"),
        pytest.param(with_change(2, Expression="sum(sent)"), "metricDataQueries[2].Expression='sum(sent)': calls sum(...): function names are upper case (SUM)", id="lower-case function"),
        pytest.param(with_change(2, Expression="ratio * 2"), "metricDataQueries[2].Expression='ratio * 2': names its own Id ratio", id="itself"),
        pytest.param(with_change(2, Expression="SEARCH('{AWS/SQS} sent, 'Sum', 60)"), "has a string that does not end (from character 29)", id="unterminated string"),
        pytest.param(with_change(2, Expression='SUM(METRICS("4xx"))'), "METRICS('4xx') matches no MetricStat query of this list, so it cannot be scoped to it", id="metrics filter matching nothing"),
        pytest.param(with_change(2, Expression="SUM(METRICS(sent))"), "calls METRICS with something other than nothing or one quoted string", id="metrics argument"),
        pytest.param([*RATIO[:2], {"Id": "a", "Expression": "b + sent"}, {"Id": "b", "Expression": "a", "ReturnData": False}], "metricDataQueries[2].Expression is circular: a -> b -> a", id="cycle"),
        pytest.param(with_change(0, ReturnData=True), "metricDataQueries must return exactly one query's data, not 2 (sent, ratio: ReturnData true or omitted); set ReturnData false on all but the one to scale on", id="two returned"),
        pytest.param(with_change(2, ReturnData=False), "metricDataQueries returns no data: set ReturnData true on the one query to scale on", id="none returned"),
        pytest.param([{"Id": "a", "Expression": "SELECT MAX(x) FROM y"}, {"Id": "b", "Expression": "SELECT SUM(x) FROM y", "ReturnData": False}], "metricDataQueries[1].Expression is a second Metrics Insights query (the first is metricDataQueries[0]): GetMetricData takes one a call", id="two insights queries"),
        pytest.param([metric("sent", Period=60) | {"ReturnData": True, "MetricStat": {**RATIO[0]["MetricStat"], "Stat": "avg"}}], "metricDataQueries[0].MetricStat.Stat='avg': must be one of SampleCount, Average, Sum, Minimum, Maximum or an extended statistic such as p99", id="stat"),
        pytest.param([metric("sent", ReturnData=True) | {"MetricStat": {**RATIO[0]["MetricStat"], "Unit": "Requests"}}], "metricDataQueries[0].MetricStat.Unit='Requests': must be a CloudWatch standard unit", id="unit"),
        pytest.param([metric("sent", ReturnData=True) | {"MetricStat": {"Period": 60, "Stat": "Sum"}}], "metricDataQueries[0].MetricStat.Metric is required", id="no metric"),
        pytest.param([metric("sent", ReturnData=True) | {"MetricStat": {**RATIO[0]["MetricStat"], "Metric": {"Namespace": ":x", "MetricName": "m"}}}], "metricDataQueries[0].MetricStat.Metric.Namespace=':x': must not start with a colon", id="namespace"),
        pytest.param([metric("sent", ReturnData=True) | {"MetricStat": {**RATIO[0]["MetricStat"], "Metric": {"Namespace": "A", "MetricName": "m", "Dimensions": [{"Name": "Q", "Value": "é"}]}}}], "metricDataQueries[0].MetricStat.Metric.Dimensions[0].Value='é': must hold only printable ASCII characters", id="dimension value"),
        pytest.param([metric("sent", ReturnData=True) | {"MetricStat": {**RATIO[0]["MetricStat"], "Metric": {"Namespace": "A", "MetricName": "m", "Dimensions": [{"Name": "Q", "Value": str(i)} for i in range(31)]}}}], "metricDataQueries[0].MetricStat.Metric.Dimensions has 31 dimensions: a metric has at most 30", id="dimensions"),
        pytest.param([metric(f"m{i}") for i in range(501)], "metricDataQueries must hold 1 to 500 queries, not 501", id="too many"),
        pytest.param([], "metricDataQueries must hold 1 to 500 queries, not 0", id="empty"),
        pytest.param({"Id": "m1"}, "metricDataQueries='{\"Id\": \"m1\"}': must be a list of MetricDataQuery objects", id="not a list"),
    ],
)  # fmt: skip
def test_get_metric_data_refusals_are_named_by_item_and_key(queries: Any, expected: str) -> None:
    messages = [str(problem) for problem in metric_math.validate(queries)]
    assert any(expected in message for message in messages), messages


def test_every_problem_is_reported_at_once() -> None:
    queries = [metric("M1", period=45, ReturnData=True), {"Id": "e1", "Expression": "m9", "Label": 3}]
    problems = metric_math.validate(queries)
    assert [p.key() for p in problems] == [
        "metricDataQueries[0].Id", "metricDataQueries[0].MetricStat.Period", "metricDataQueries[1].Label",
        "metricDataQueries[1].Expression", "metricDataQueries",
    ]  # fmt: skip


def test_a_problem_is_plain_data_the_operator_words_in_camel_case() -> None:
    (problem,) = metric_math.validate([metric("sent", period=45, ReturnData=True)])
    assert problem.path == (0, "MetricStat", "Period") and problem.value == "45"
    assert problem.key("spec.scaling.triggers[0].cloudwatch.metricDataQueries", camel=True) == (
        "spec.scaling.triggers[0].cloudwatch.metricDataQueries[0].metricStat.period"
    )


@pytest.mark.parametrize(
    "queries",
    [
        pytest.param(RATIO, id="a ratio of two metrics"),
        pytest.param([metric("m1", ReturnData=True)], id="one metric"),
        pytest.param([{"Id": "q", "Expression": "SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId) WHERE x = 'm1'"}], id="metrics insights"),
        pytest.param([{"Id": "s", "Expression": "SUM(SEARCH('{AWS/SQS,QueueName} MetricName=\"m1\"', 'Sum', 60))"}], id="search terms are no ids"),
        pytest.param([metric("m1"), metric("m2", period=20), {"Id": "e1", "Expression": "IF(m1 > 10 AND m2 < 1e3, FILL(METRICS(), REPEAT), 0)", "Label": "${LABEL}", "Period": 300}], id="keywords and functions"),
        pytest.param([metric("m1", AccountId="111122223333"), {"Id": "e1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}], id="cross account"),
    ],
)  # fmt: skip
def test_valid_lists_have_no_problems(queries: list[dict[str, Any]]) -> None:
    assert metric_math.validate(queries) == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('[{"Id": "m1", "Expression": "TIME_SERIES(5)"}]', id="json"),
        pytest.param("- Id: m1\n  Expression: TIME_SERIES(5)\n", id="yaml"),
    ],
)
def test_the_list_is_read_as_json_or_yaml(text: str) -> None:
    assert metric_math.parse(text) == ([{"Id": "m1", "Expression": "TIME_SERIES(5)"}], [])


def test_text_that_is_neither_json_nor_yaml_is_one_problem() -> None:
    queries, (problem,) = metric_math.parse("[{")
    assert queries == [] and str(problem).startswith("metricDataQueries='[{': is neither JSON nor YAML:")


def test_metrics_calls_are_scoped_to_the_lists_own_metrics_and_strings_are_kept() -> None:
    queries = [
        metric("errors_4xx"), metric("errors_5xx"), metric("requests"),
        {"Id": "e1", "Expression": "SUM(METRICS(\"errors\")) / SUM(METRICS()) + SEARCH('{AWS/SQS} requests', 'Sum', 60)"},
    ]  # fmt: skip
    rewritten = metric_math.rewrite(queries, "t7_")
    assert [q["Id"] for q in rewritten.queries] == ["t7_errors_4xx", "t7_errors_5xx", "t7_requests", "t7_e1"]
    assert rewritten.queries[3]["Expression"] == (
        "SUM([t7_errors_4xx, t7_errors_5xx]) / SUM([t7_errors_4xx, t7_errors_5xx, t7_requests])"
        " + SEARCH('{AWS/SQS} requests', 'Sum', 60)"
    )
    assert (rewritten.returned_id, rewritten.original_id("t7_e1"), rewritten.insights) == ("t7_e1", "e1", False)
    assert queries[3]["Id"] == "e1", "the trigger's own list is left as it was"


def test_a_metrics_insights_query_keeps_its_text_and_asks_for_a_call_of_its_own() -> None:
    query = {"Id": "q", "Expression": "SELECT MAX(latency) FROM myapp"}
    rewritten = metric_math.rewrite([query], metric_math.trigger_prefix(0))
    assert rewritten.queries == [{"Id": "t0_q", "Expression": "SELECT MAX(latency) FROM myapp"}]
    assert rewritten.insights


@pytest.mark.parametrize(
    ("queries", "prefix", "expected"),
    [
        pytest.param(RATIO, "T1_", "prefix 'T1_' must start with a lower-case letter", id="prefix"),
        pytest.param(with_change(2, Expression="m9"), "t1_", "cannot rewrite an invalid list: metricDataQueries[2]", id="invalid"),
        pytest.param([metric("m" * 251, ReturnData=True)], "t123_", "prefixed with 't123_' is over AWS's 255 characters", id="id too long"),
        pytest.param([metric(f"m{i}") for i in range(60)] + [{"Id": "e", "Expression": " + ".join(["SUM(METRICS())"] * 5)}], "t1_", "would be 2387 characters rewritten, over AWS's 2048", id="expression too long"),
    ],
)  # fmt: skip
def test_what_cannot_be_rewritten_is_refused_with_the_reason(queries: list[Any], prefix: str, expected: str) -> None:
    with pytest.raises(metric_math.RewriteError, match=re.escape(expected)):
        metric_math.rewrite(queries, prefix)


IDS = strategies.from_regex(r"[a-z][a-zA-Z0-9_]{0,12}", fullmatch=True)
PREFIXES = strategies.from_regex(r"[a-z][a-zA-Z0-9_]{0,8}", fullmatch=True)
SEARCH = "SEARCH('{AWS/EC2,InstanceId} MetricName=\"m1\" e1', 'Average', 300)"


def expressions(available: list[str], metric_ids: list[str]) -> strategies.SearchStrategy[str]:
    """Metric math over `available` ids: functions, keywords, numbers, quoted strings, METRICS calls."""
    filters = strategies.sampled_from(metric_ids).flatmap(
        lambda m: strategies.integers(0, len(m) - 1).flatmap(
            lambda a: strategies.integers(a + 1, len(m)).map(lambda b: f'METRICS("{m[a:b]}")')
        )
    )
    leaves = strategies.one_of(
        strategies.sampled_from(available),
        strategies.sampled_from(["7", "1e3", "2.5", ".5", "METRICS()", SEARCH, "TIME_SERIES(5)"]),
        filters,
    )
    return strategies.recursive(
        leaves,
        lambda inner: strategies.one_of(
            strategies.tuples(
                inner, strategies.sampled_from([" + ", "-", " * ", "/", " > ", " AND ", "||"]), inner
            ).map("".join),
            inner.map(lambda e: f"SUM([{e}])"),
            strategies.tuples(inner, inner).map(lambda t: f"IF({t[0]}, {t[1]}, 0)"),
            inner.map(lambda e: f"FILL({e}, REPEAT)"),
            inner.map(lambda e: f"(  {e})"),
        ),
        max_leaves=6,
    )


@strategies.composite
def query_lists(draw: strategies.DrawFn) -> list[dict[str, Any]]:
    """Any valid list: 1 to 8 unique ids, metrics first in dependency order (expressions name earlier ids
    only, so no cycles), maybe one Metrics Insights query, shuffled, exactly one returned."""
    ids = draw(strategies.lists(IDS, min_size=1, max_size=8, unique=True))
    count = draw(strategies.integers(1, len(ids)))
    metric_ids = ids[:count]
    queries = [metric(m, period=draw(strategies.sampled_from([1, 20, 60, 300])), ReturnData=False) for m in metric_ids]
    for position, query_id in enumerate(ids[count:]):
        if position == 0 and draw(strategies.booleans()):
            expression = "SELECT MAX(latency) FROM myapp WHERE m1 = 'x'"
        else:
            expression = draw(expressions(metric_ids + ids[count : count + position], metric_ids))
        queries.append({"Id": query_id, "Expression": expression, "ReturnData": False})
    queries = draw(strategies.permutations(queries))
    chosen = draw(strategies.integers(0, len(queries) - 1))
    if draw(strategies.booleans()):
        queries[chosen]["ReturnData"] = True
    else:
        del queries[chosen]["ReturnData"]
    return queries


def outside_strings(expression: str) -> str:
    return re.sub(r"'[^']*'|\"[^\"]*\"", "''", expression)


@settings(max_examples=200, deadline=None)
@given(query_lists(), PREFIXES)
def test_any_valid_list_rewritten_with_any_prefix_still_validates_and_names_exactly_the_rewritten_ids(
    queries: list[dict[str, Any]], prefix: str
) -> None:
    assert metric_math.validate(queries) == []
    needed = metric_math.depends_on(queries)
    rewritten = metric_math.rewrite(queries, prefix)
    assert metric_math.validate(rewritten.queries) == []
    assert [q["Id"] for q in rewritten.queries] == [prefix + q["Id"] for q in queries]
    for before, after in zip(queries, rewritten.queries, strict=True):
        if metric_math.is_insights(after.get("Expression", "")) or "Expression" not in after:
            assert after.get("Expression") == before.get("Expression")
            continue
        assert metric_math.references(after["Expression"]) == {prefix + i for i in needed[before["Id"]]}
        assert "METRICS" not in outside_strings(after["Expression"]), "every METRICS call is scoped"
        assert after["Expression"].count(SEARCH) == before["Expression"].count(SEARCH), "strings are kept"
    assert rewritten.original_id(rewritten.returned_id) == metric_math.returned(queries)["Id"]


@settings(max_examples=100, deadline=None)
@given(query_lists(), query_lists(), strategies.integers(0, 499), strategies.integers(0, 499))
def test_two_triggers_lists_in_one_call_never_share_an_id_nor_read_each_others_metrics(
    first: list[dict[str, Any]], second: list[dict[str, Any]], one: int, other: int
) -> None:
    if one == other:
        other = one + 1
    a = metric_math.rewrite(first, metric_math.trigger_prefix(one))
    b = metric_math.rewrite(second, metric_math.trigger_prefix(other))
    a_ids, b_ids = set(a.originals), set(b.originals)
    assert not a_ids & b_ids
    for rewritten, own in ((a, a_ids), (b, b_ids)):
        for query in rewritten.queries:
            if "Expression" in query:
                assert metric_math.references(query["Expression"]) <= own
