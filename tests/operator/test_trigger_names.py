"""An AppObservability's triggers and the scaler agree on every AWS name: what the operator renders, the
scaler's own parser accepts, and what the scaler would refuse, the operator refuses at render time in the
scaler's words (so an app never reports Ready with a trigger that can never scale)."""

from __future__ import annotations

from typing import Any

import pytest

from kedawatch import settings
from kedawatch.operator.rendering import app as rendering
from kedawatch.operator.rendering import scaled_object
from kedawatch.scaler import metadata, triggers
from tests.operator.test_app_rendering import example_app

SQS = "https://sqs.us-east-1.amazonaws.com/123456789012"
OPERATOR = settings.OperatorSettings(cluster_name="prod", region="us-east-1")
CLOUDWATCH = {"namespace": "App", "metricName": "Backlog", "dimensions": [{"name": "Queue", "value": "q"}], "target": 5}


def queries(*extra: dict[str, Any]) -> dict[str, Any]:
    stat = {"metric": {"namespace": "App", "metricName": "Backlog"}, "period": 60, "stat": "Sum"}
    return {"cloudwatch": {"target": 5, "metricDataQueries": [{"id": "m1", "metricStat": stat}, *extra]}}


def sqs(**fields: Any) -> dict[str, Any]:
    return {"sqs": {"queueUrl": f"{SQS}/orders", **fields}}


def cloudwatch(**fields: Any) -> dict[str, Any]:
    return {"cloudwatch": {**CLOUDWATCH, **fields}}


EDGES = [
    pytest.param(sqs(), id="a plain queue URL"),
    pytest.param(sqs(queueUrl=f"{SQS}/orders/"), id="a trailing slash"),
    pytest.param(sqs(queueUrl=f"{SQS}/orders//"), id="two trailing slashes"),
    pytest.param(sqs(queueUrl="https://sqs.us-east-1.amazonaws.com/210987654321/orders"), id="another account"),
    pytest.param(sqs(queueUrl="https://sqs.eu-west-1.amazonaws.com/123456789012/orders"), id="another region"),
    pytest.param(sqs(queueUrl="http://127.0.0.1:4566/000000000000/orders"), id="a local stand-in"),
    pytest.param(sqs(queueUrl="http://localhost:9324/queue/orders"), id="elasticmq's path"),
    pytest.param(sqs(queueUrl=f"{SQS}/orders.fifo"), id="a FIFO queue"),
    pytest.param(sqs(queueUrl=f"{SQS}/orders.FIFO"), id="a FIFO suffix in capitals"),
    pytest.param(sqs(queueUrl=f"{SQS}/{'q' * 80}"), id="an 80-character name"),
    pytest.param(sqs(queueUrl=f"{SQS}/{'q' * 81}"), id="an 81-character name"),
    pytest.param(sqs(queueUrl=f"{SQS}/{'q' * 76}.fifo"), id="an 81-character FIFO name"),
    pytest.param(sqs(queueUrl=f"{SQS}/ördérs"), id="a unicode name"),
    pytest.param(sqs(queueUrl=f"{SQS}/%C3%B6rders"), id="a percent-encoded name"),
    pytest.param(sqs(queueUrl="https://sqs.us-east-1.amazonaws.com//orders"), id="an empty account"),
    pytest.param(sqs(queueUrl=f"{SQS}/"), id="an empty name"),
    pytest.param(sqs(queueUrl="https://sqs.us-east-1.amazonaws.com/orders"), id="no account"),
    pytest.param(sqs(queueUrl=f"{SQS}/orders/more"), id="a path too long"),
    pytest.param(sqs(queueUrl=f"{SQS}/orders?Action=x"), id="a query string"),
    pytest.param(sqs(region="us-gov-west-1"), id="a GovCloud region"),
    pytest.param(sqs(region="mars"), id="no region"),
    pytest.param(sqs(region="US-EAST-1"), id="a region in capitals"),
    pytest.param(sqs(region="us-east-\u0661"), id="a region with an Arabic-Indic digit"),
    pytest.param(sqs(roleArn="arn:aws:iam::123456789012:role/reader"), id="a role"),
    pytest.param(sqs(roleArn="arn:aws-cn:iam::123456789012:role/team/reader"), id="a role with a path in China"),
    pytest.param(sqs(roleArn="arn:aws:iam::12345678901:role/reader"), id="a role in an 11-digit account"),
    pytest.param(sqs(roleArn="arn:aws:iam::123456789012:user/reader"), id="a user, not a role"),
    pytest.param(sqs(roleArn="arn:aws:iam::123456789012:role/lécteur"), id="a unicode role name"),
    pytest.param(cloudwatch(), id="a metric"),
    pytest.param(cloudwatch(accountId="123456789012"), id="an account"),
    pytest.param(cloudwatch(accountId="12345678901\u0662"), id="an account with an Arabic-Indic digit"),
    pytest.param(cloudwatch(statistic="p99"), id="a percentile"),
    pytest.param(cloudwatch(statistic="P99"), id="a percentile in capitals"),
    pytest.param(cloudwatch(statistic="Median"), id="no statistic"),
    pytest.param(cloudwatch(period=60), id="a minute"),
    pytest.param(cloudwatch(period=7), id="a period CloudWatch does not have"),
    pytest.param(cloudwatch(unit="Count"), id="a unit"),
    pytest.param(queries(), id="metric math"),
    pytest.param(queries({"id": "e1", "expression": "m2 * 2", "returnData": False}), id="a query naming no query"),
    pytest.param(queries({"id": "e1", "expression": "m1 * 2"}), id="two queries returned"),
    pytest.param(queries({"id": "m1", "expression": "1", "returnData": False}), id="an id twice"),
]


@pytest.mark.parametrize("trigger", EDGES)
def test_the_operator_refuses_exactly_what_the_scaler_refuses_in_its_words(trigger: dict[str, Any]) -> None:
    app = example_app()
    app["spec"]["scaling"]["triggers"] = [trigger]
    app["spec"]["alarms"] = [alarm for alarm in app["spec"]["alarms"] if "queueBacklogAge" not in alarm]
    rendered, problems = rendering.render_checked(app, OPERATOR)
    try:
        triggers.parse(scaled_object.trigger_metadata(trigger), "us-east-1")
    except metadata.MetadataError as refused:
        assert rendered is None, f"the operator rendered what the scaler refuses: {refused}"
        for problem in refused.problems:
            assert any(problem.reason in said for said in problems), (problem.reason, problems)
        return
    assert rendered is not None, problems
    for generated in rendered.scaled_object["spec"]["triggers"]:
        triggers.parse({k: v for k, v in generated["metadata"].items() if k != "scalerAddress"}, "us-east-1")
