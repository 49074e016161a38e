"""Bad trigger metadata answers INVALID_ARGUMENT naming the key, the value and what is allowed,
and the server keeps serving."""

from __future__ import annotations

import grpc
import pytest

from kedawatch.aws import cloudwatch as cloudwatch_api
from kedawatch.scaler import metadata, triggers
from kedawatch.scaler.sources import base
from kedawatch.scaler.sources import cloudwatch as cloudwatch_source
from tests.scaler.conftest import Scaler

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/orders"
CW = {"namespace": "App", "metricName": "M", "dimensionName": "A", "dimensionValue": "b", "targetMetricValue": "5"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param({}, "source is required", id="nothing to go on"),
        pytest.param(
            {"source": "aws-kinesis"}, "source='aws-kinesis': must be one of aws-sqs-queue", id="unknown source"
        ),
        pytest.param(
            {"queueURL": QUEUE, "namespace": "App"},
            "both aws-sqs-queue (queueURL) and aws-cloudwatch (namespace)",
            id="ambiguous",
        ),
        pytest.param({"queueURL": QUEUE, "queueLength": "ten"}, "queueLength='ten': must be a whole number", id="int"),
        pytest.param(
            {"queueURL": QUEUE, "queueLength": "0"}, "queueLength='0': must be greater than 0", id="zero target"
        ),
        pytest.param(
            {"queueURL": QUEUE, "scaleOnInFlight": "yes"}, "scaleOnInFlight='yes': must be true or false", id="bool"
        ),
        pytest.param(
            {"queueURL": "https://sqs.example.com/a/b/c"}, "queueURL='https://sqs.example.com/a/b/c'", id="url"
        ),
        pytest.param({"queueURL": QUEUE, "awsRegion": "mars"}, "awsRegion='mars': must be an AWS region", id="region"),
        pytest.param(
            {"queueURL": QUEUE, "awsRoleArn": "admin"}, "awsRoleArn='admin': must be an IAM role ARN", id="role"
        ),
        pytest.param(
            {"queueURL": QUEUE, "awsEndpoint": "ftp://x"}, "awsEndpoint='ftp://x': must be an http(s) URL", id="ep"
        ),
        pytest.param(
            {"queueURL": QUEUE, "identityOwner": "me"}, "identityOwner='me': must be one of pod, operator", id="own"
        ),
        pytest.param(
            {"queueURL": QUEUE, "awsAccessKeyID": "AKIA"}, "awsAccessKeyID is refused: static credentials", id="creds"
        ),
        pytest.param(
            {"queueURL": QUEUE, "awsSecretAccessKeyFromEnv": "resolved-secret"},
            "awsSecretAccessKeyFromEnv is refused: static credentials",
            id="creds from env",
        ),
        pytest.param({**CW, "targetMetricValue": "NaN"}, "targetMetricValue='NaN': must be a finite number", id="nan"),
        pytest.param({**CW, "targetMetricValue": "1e400"}, "must be a finite number", id="overflow"),
        pytest.param(
            {**CW, "metricStatPeriod": "90"}, "metricStatPeriod='90': must be 1, 5, 10, 20, 30, 60", id="period"
        ),
        pytest.param(
            {**CW, "metricCollectionTime": "90", "metricStatPeriod": "60"}, "multiple of metricStatPeriod", id="coll"
        ),
        pytest.param({**CW, "metricStat": "Median"}, "metricStat='Median': must be one of SampleCount", id="stat"),
        pytest.param({**CW, "metricUnit": "Parsecs"}, "metricUnit='Parsecs': must be one of Seconds", id="unit"),
        pytest.param(
            {**CW, "dimensionValue": "b;c"}, "dimensionValue='b;c': has 2 values for 1 dimensionName", id="dims"
        ),
        pytest.param(
            {**CW, "metricEndTimeOffset": "-60"}, "metricEndTimeOffset='-60': must be 0 or greater", id="offset"
        ),
        pytest.param(
            {"source": "aws-cloudwatch", "targetMetricValue": "1"}, "namespace is required unless expression", id="ns"
        ),
        pytest.param({"source": "aws-cloudwatch", "namespace": "App"}, "targetMetricValue is required", id="target"),
        pytest.param(
            {**CW, "awsAccountId": "12"}, "awsAccountId='12': must be a 12-digit AWS account id", id="account"
        ),
        pytest.param({"queueURL": QUEUE, "queueLength": "9" * 30}, "out of range for a 64-bit integer", id="huge int"),
    ],
)
async def test_bad_metadata_is_refused_with_a_clear_message(scaler: Scaler, raw: dict[str, str], expected: str) -> None:
    for call in (scaler.stub.GetMetricSpec, scaler.stub.IsActive):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await call(scaler.ref(raw), timeout=5)
        assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert expected in (raised.value.details() or "")
    assert (await scaler.stub.GetMetricSpec(scaler.ref({"queueURL": QUEUE}))).metricSpecs


def test_every_problem_is_reported_at_once() -> None:
    raw = {"queueURL": QUEUE, "queueLength": "x", "activationQueueLength": "y", "scaleOnDelayed": "maybe"}
    with pytest.raises(metadata.MetadataError) as raised:
        triggers.parse(raw, "us-east-1")
    assert [problem.key for problem in raised.value.problems] == [
        "queueLength",
        "activationQueueLength",
        "scaleOnDelayed",
    ]


def test_region_defaults_to_the_scalers_own() -> None:
    assert triggers.parse({"queueURL": QUEUE}, "eu-west-1").identity.region == "eu-west-1"
    assert triggers.parse({"queueURL": QUEUE, "awsRegion": "us-west-2"}, "eu-west-1").identity.region == "us-west-2"
    with pytest.raises(metadata.MetadataError, match="awsRegion is required"):
        triggers.parse({"queueURL": QUEUE}, None)


def test_source_is_inferred_or_taken_as_named() -> None:
    assert triggers.parse({"queueURL": QUEUE}, "us-east-1").source.name == "aws-sqs-queue"
    assert triggers.parse(CW, "us-east-1").source.name == "aws-cloudwatch"
    named = {**CW, "source": "aws-cloudwatch", "queueLength": "3"}
    assert triggers.parse(named, "us-east-1").source.name == "aws-cloudwatch"


def test_keda_defaults_apply_when_keys_are_absent_or_empty() -> None:
    sqs = triggers.parse({"queueURL": QUEUE, "queueLength": ""}, "us-east-1").source
    assert (sqs.target(), sqs.activation()) == (5.0, 0.0)
    cw = triggers.parse(CW, "us-east-1").read
    assert isinstance(cw, cloudwatch_source.MetricRead) and isinstance(cw.query, cloudwatch_api.MetricQuery)
    assert (cw.query.stat, cw.query.period, cw.collection_time, cw.end_offset) == ("Average", 300, 300, 0)


def test_unknown_keys_are_ignored_as_keda_does() -> None:
    raw = {"queueURL": QUEUE, "scalerAddress": "kedawatch:9090", "enableTLS": "false", "someFutureKey": "x"}
    assert triggers.parse(raw, "us-east-1").source.name == "aws-sqs-queue"


def test_percentiles_and_extended_statistics_are_accepted() -> None:
    for stat in ("p99", "p99.9", "tm90", "TM(10%:90%)", "IQM", "wm50", "PR(:300)"):
        read = triggers.parse({**CW, "metricStat": stat}, "us-east-1").read
        assert isinstance(read, cloudwatch_source.MetricRead) and isinstance(read.query, cloudwatch_api.MetricQuery)
        assert read.query.stat == stat


@pytest.mark.parametrize("key", [f"{key}{env}" for key in base.CREDENTIAL_KEYS for env in ("", "FromEnv")])
def test_every_credential_key_is_refused_by_name_never_echoing_its_value(key: str) -> None:
    """KEDA resolves `awsAccessKeyIDFromEnv` and `awsSecretAccessKeyFromEnv` and forwards the secrets themselves."""
    with pytest.raises(metadata.MetadataError) as raised:
        triggers.parse({"queueURL": QUEUE, key: "s3cr3t-value"}, "us-east-1")
    assert [problem.key for problem in raised.value.problems] == [key]
    assert "s3cr3t-value" not in str(raised.value)


def test_a_20_second_period_is_accepted_as_cloudwatch_accepts_it() -> None:
    read = triggers.parse({**CW, "metricStatPeriod": "20", "metricCollectionTime": "60"}, "us-east-1").read
    assert isinstance(read, cloudwatch_source.MetricRead) and read.query.period == 20


def test_a_unit_beside_an_expression_is_ignored_as_keda_ignores_it() -> None:
    """KEDA's own test data (`HasDataFromExpression`): GetMetricData takes no unit for an expression."""
    raw = {
        "expression": 'SELECT MIN(MessageCount) FROM "AWS/AmazonMQ"',
        "targetMetricValue": "2",
        "metricUnit": "SampleCount",
    }
    read = triggers.parse(raw, "us-east-1").read
    assert isinstance(read, cloudwatch_source.MetricRead) and isinstance(read.query, cloudwatch_api.MetricQuery)
    assert "Unit" not in str(read.query.entry("q1"))
