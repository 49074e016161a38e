"""The stand-ins' own fixtures: boto3 clients of the AWS stand-in as its users hold them (over HTTP, in the
protocols botocore sends), and the PromQL stand-in with recorded answers or in front of a real Prometheus
scraping a test exporter.

Prometheus starts once per session (about 0.2 s); its first scrape comes 1 to 6 s later, since Prometheus 2.42
applies new targets on a 5 s tick. Tests that need the engine skip where Debian's package is not installed.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.session
import prometheus_client
import pytest
from prometheus_client.core import CounterMetricFamily

from kedawatch import settings
from kedawatch.aws import clients, promql
from kedawatch.standins import aws
from kedawatch.standins import promql as standin

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


DEPTHS = {"a": 7.0, "b": 5.0}
"""What the exporter's gauge `kedawatch_test_queue_depth{queue}` says."""
RATES = {"a": 10.0, "b": 5.0}
"""How fast the exporter's counter `kedawatch_test_jobs_total{queue}` grows, per second."""
AWS_SETTINGS = settings.AwsSettings(connect_timeout=0.5, read_timeout=0.5)


class Jobs(prometheus_client.registry.Collector):
    """A counter that grows at exactly `RATES` per second from 1000 (far from zero, where rate() stops
    extrapolating), read at each scrape."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def collect(self) -> Iterator[CounterMetricFamily]:
        jobs = CounterMetricFamily("kedawatch_test_jobs", "Jobs done.", labels=["queue"])
        elapsed = time.monotonic() - self.started
        for queue, rate in RATES.items():
            jobs.add_metric([queue], 1000 + rate * elapsed)
        yield jobs


@pytest.fixture(scope="session")
def exporter() -> Iterator[str]:
    registry = prometheus_client.CollectorRegistry()
    depth = prometheus_client.Gauge("kedawatch_test_queue_depth", "Messages queued.", ["queue"], registry=registry)
    for queue, value in DEPTHS.items():
        depth.labels(queue).set(value)
    registry.register(Jobs())
    port = aws.free_port()
    server, thread = prometheus_client.start_http_server(port, addr="127.0.0.1", registry=registry)
    yield f"127.0.0.1:{port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def engine(exporter: str) -> Iterator[standin.PrometheusEngine]:
    if standin.PrometheusEngine.BINARY is None:
        pytest.skip("Debian's prometheus is not installed here (deploy/install-prometheus.sh installs it as root)")
    started = standin.PrometheusEngine([exporter]).start()
    yield started
    started.stop()


@pytest.fixture
def recorded() -> Iterator[standin.PromQLStandin]:
    """The stand-in with no engine: it answers only what a test records."""
    server = standin.PromQLStandin().start()
    yield server
    server.stop()


@pytest.fixture
def prometheus(engine: standin.PrometheusEngine) -> Iterator[standin.PromQLStandin]:
    """The stand-in in front of the real engine."""
    server = standin.PromQLStandin(engine=engine).start()
    yield server
    server.stop()


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
    return promql.PromQLClient(aws_clients, AWS_SETTINGS, observe)
