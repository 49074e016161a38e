"""The PromQL stand-in, with recorded answers or in front of a real Prometheus scraping a test exporter.

Prometheus starts once per session (about 0.2 s); its first scrape comes 1 to 6 s later, since Prometheus 2.42
applies new targets on a 5 s tick. Tests that need the engine skip where Debian's package is not installed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import prometheus_client
import pytest
from prometheus_client.core import CounterMetricFamily

from kedawatch import settings
from kedawatch.aws import clients, promql
from kedawatch.standins import aws
from kedawatch.standins import promql as standin

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
    previous = {name: os.environ.get(name) for name in aws.DUMMY_CREDENTIALS}
    os.environ.update(aws.DUMMY_CREDENTIALS)
    yield clients.AwsClients(AWS_SETTINGS)
    aws.restore_environment(previous)


@pytest.fixture
def calls() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def client(aws_clients: clients.AwsClients, calls: list[tuple[str, str]]) -> promql.PromQLClient:
    observe = lambda operation, outcome: calls.append((operation, outcome))  # noqa: E731
    return promql.PromQLClient(aws_clients, AWS_SETTINGS, observe)
