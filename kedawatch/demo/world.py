"""What surrounds kedawatch in the reference scenario, simulated on the stand-ins: the app's producer and
consumers on SQS, the consumers' own Prometheus metric, Container Insights' running-pods metric, and CloudWatch's
alarm evaluation (the AWS stand-in stores alarms but never evaluates them). AWS is reached through
`kedawatch.aws`, as everywhere in kedawatch."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import operator
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import prometheus_client

from kedawatch.aws import cloudwatch, sqs, workload
from kedawatch.standins import aws

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.literals import StateValueType
    from mypy_boto3_sqs import SQSClient

__all__ = ["AlarmEvaluator", "App", "Cloud", "exporting", "publish_running_pods"]

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


@dataclasses.dataclass(frozen=True)
class Cloud:
    sqs: SQSClient
    cloudwatch: CloudWatchClient


class App:
    """The OTLP app: a producer sending one message a second, each consumer replica taking one every 5 s.

    The consumers count what they process in `demo_messages_processed_total`, in `registry`, as an app
    instrumented with prometheus-client does (`exporting` serves it).
    """

    def __init__(
        self, client: SQSClient, queue_url: str, produce_every: float = 1.0, consume_every: float = 5.0
    ) -> None:
        self._sqs = client
        self._queue_url = queue_url
        self._produce_every = produce_every
        self._consume_every = consume_every
        self._produced = 0.0
        self._consumed = 0.0
        self.replicas = 1
        self.registry = prometheus_client.CollectorRegistry()
        self._processed = prometheus_client.Counter(
            "demo_messages_processed",
            "Messages the consumers took off the queue and processed.",
            registry=self.registry,
        )

    def backlog(self, count: int) -> None:
        workload.send(self._sqs, self._queue_url, ["span"] * count)

    def advance(self, seconds: float) -> None:
        """`seconds` of simulated time: produce, then let every replica consume its share."""
        self._produced += seconds / self._produce_every
        workload.send(self._sqs, self._queue_url, ["span"] * int(self._produced))
        self._produced -= int(self._produced)
        self._consumed += self.replicas * seconds / self._consume_every
        self._processed.inc(workload.receive_and_delete(self._sqs, self._queue_url, int(self._consumed)))
        self._consumed -= int(self._consumed)

    def processed(self) -> float:
        """Messages processed so far, as the exporter says."""
        return self.registry.get_sample_value("demo_messages_processed_total") or 0.0

    def depth(self) -> int:
        return sqs.get_queue_depth(self._sqs, self._queue_url).visible


@contextlib.contextmanager
def exporting(registry: prometheus_client.CollectorRegistry) -> Iterator[str]:
    """`registry` served on a free loopback port, as a pod serves its /metrics; yields its host:port."""
    port = aws.free_port()
    server, thread = prometheus_client.start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def publish_running_pods(client: CloudWatchClient, dimensions: list[dict[str, str]], replicas: int) -> None:
    """What Container Insights reports for the target: `service_number_of_running_pods`."""
    datum = {"MetricName": "service_number_of_running_pods", "Dimensions": dimensions, "Value": replicas,
             "Timestamp": datetime.datetime.now(datetime.UTC)}  # fmt: skip
    workload.put_metric_data(client, "ContainerInsights", [datum])


class AlarmEvaluator:
    """CloudWatch's job that the AWS stand-in skips: compare each single-metric alarm's newest datapoint to its
    threshold."""

    def __init__(self, client: CloudWatchClient) -> None:
        self._cloudwatch = client

    def evaluate(self) -> None:
        for alarm in workload.describe_all(self._cloudwatch):
            compare = COMPARISONS.get(alarm.get("ComparisonOperator", ""))
            newest = self._newest(alarm)
            if compare is None or newest is None:
                continue
            state: StateValueType = "ALARM" if compare(newest, alarm["Threshold"]) else "OK"
            if state != alarm["StateValue"]:
                reason = f"newest datapoint {newest:g} vs threshold {alarm['Threshold']:g}"
                workload.set_state(self._cloudwatch, alarm["AlarmName"], state, reason)

    def _newest(self, alarm: dict[str, Any]) -> float | None:
        if not alarm.get("MetricName"):
            return None
        now = datetime.datetime.now(datetime.UTC)
        # One-second buckets: simulated time runs faster than CloudWatch's periods.
        dimensions = tuple((d["Name"], d["Value"]) for d in alarm.get("Dimensions", []))
        query = cloudwatch.MetricQuery(1, alarm["Namespace"], alarm["MetricName"], dimensions,
                                       alarm.get("Statistic", "Maximum"))  # fmt: skip
        start, end = now - datetime.timedelta(seconds=30), now + datetime.timedelta(seconds=5)
        (outcome,) = cloudwatch.get_metric_data(self._cloudwatch, [query], start, end)
        return outcome[0] if isinstance(outcome, tuple) and outcome else None
