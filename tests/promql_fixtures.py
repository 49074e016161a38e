"""The PromQL stand-in for the stand-ins' tests and the scaler's alike (a plugin of the root conftest): with
recorded answers only (`recorded`), or in front of the real engine (`prometheus`), Debian's Prometheus scraping
a test exporter, started once per session.

Prometheus starts in about 0.2 s; its first scrape comes 1 to 6 s later, since Prometheus 2.42 applies new
targets on a 5 s tick. Tests that need the engine skip where Debian's package is not installed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import prometheus_client
import pytest
from prometheus_client.core import CounterMetricFamily

from kedawatch.standins import aws
from kedawatch.standins import promql as standin

DEPTHS = {"a": 7.0, "b": 5.0}
"""What the exporter's gauge `kedawatch_test_queue_depth{queue}` says."""
RATES = {"a": 10.0, "b": 5.0}
"""How fast the exporter's counter `kedawatch_test_jobs_total{queue}` grows, per second."""


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
