"""The stand-ins' own fixtures: boto3 clients of the AWS stand-in as its users hold them (over HTTP, in the
protocols botocore sends), and the clients of the PromQL stand-in (`tests.promql_fixtures` holds the stand-in,
with recorded answers or in front of a real Prometheus, for the scaler's tests too).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.session
import pytest

from kedawatch import settings
from kedawatch.aws import clients, promql
from kedawatch.standins import aws

REGION = "us-east-1"
ACCOUNT = "123456789012"
SINGLE: dict[str, Any] = {
    "Namespace": "ContainerInsights", "MetricName": "service_number_of_running_pods",
    "Dimensions": [{"Name": "Service", "Value": "otlp-consumer"}], "Statistic": "Maximum", "Period": 60,
    "EvaluationPeriods": 1, "Threshold": 8, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
}  # fmt: skip
"""A single-metric alarm's PutMetricAlarm parameters, but its name."""


def arn(name: str, kind: str = "alarm", region: str = REGION) -> str:
    return f"arn:aws:cloudwatch:{region}:{ACCOUNT}:{kind}:{name}"


@pytest.fixture
def tagging(moto: aws.AwsStandIn) -> Any:
    return boto3.client("resourcegroupstaggingapi", region_name=REGION)


@pytest.fixture
def unchecked(moto: aws.AwsStandIn) -> Any:
    """A client that sends what botocore would refuse to send, so that the stand-in is the one to refuse it."""
    config = botocore.config.Config(parameter_validation=False, retries={"total_max_attempts": 1})
    return boto3.client("cloudwatch", region_name=REGION, config=config)


@pytest.fixture(scope="session")
def cbor_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """botocore's pinned models of CloudWatch and the tagging API offering only Smithy RPCv2 CBOR, which botocore
    1.44 ranks below awsJson: a client of these speaks CBOR, as a later botocore may."""
    folder = tmp_path_factory.mktemp("cbor-models")
    loader = botocore.session.get_session().get_component("data_loader")
    for service in ("cloudwatch", "resourcegroupstaggingapi"):
        model = loader.load_service_model(service, "service-2")
        model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
        version = model["metadata"]["apiVersion"]
        (folder / service / version).mkdir(parents=True)
        (folder / service / version / "service-2.json.gz").write_bytes(gzip.compress(json.dumps(model).encode()))
    return folder


def cbor_client(models: Path, service: str, endpoint_url: str | None = None, validate: bool = True) -> Any:
    """A client of `service` that speaks CBOR (`cbor_models`), to the stand-in unless told another endpoint."""
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(models))
    config = botocore.config.Config(parameter_validation=validate, retries={"total_max_attempts": 1})
    return boto3.Session(botocore_session=session).client(  # type: ignore[call-overload]
        service, region_name=REGION, endpoint_url=endpoint_url, config=config
    )


@pytest.fixture
def cbor_cloudwatch(moto: aws.AwsStandIn, cbor_models: Path) -> Any:
    return cbor_client(cbor_models, "cloudwatch")


def put_alarm(cloudwatch: Any, name: str, **changes: Any) -> None:
    cloudwatch.put_metric_alarm(AlarmName=name, **{**SINGLE, **changes})


def error_of(raised: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    """The AWS error code, message and HTTP status botocore parsed from the answer."""
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


AWS_SETTINGS = settings.AwsSettings(connect_timeout=0.5, read_timeout=0.5)


@pytest.fixture(scope="session")
def aws_clients() -> Iterator[clients.AwsClients]:
    """Clients whose standard chain finds the stand-ins' dummy credentials, as in every other test; shared, since
    loading botocore's CloudWatch model for each test would cost half a second."""
    with aws.pointed_at(None):
        yield clients.AwsClients(AWS_SETTINGS)


@pytest.fixture
def calls() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def client(aws_clients: clients.AwsClients, calls: list[tuple[str, str]]) -> promql.PromQLClient:
    observe = lambda operation, outcome: calls.append((operation, outcome))  # noqa: E731
    return promql.PromQLClient(aws_clients, observe)
