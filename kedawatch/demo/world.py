"""What surrounds kedawatch in the reference scenario, simulated on the stand-ins: the app's producer and
consumers on SQS, Container Insights' running-pods metric, and CloudWatch's alarm evaluation (the AWS stand-in
stores alarms but never evaluates them)."""

from __future__ import annotations

import datetime
import operator
from typing import Any

__all__ = ["AlarmEvaluator", "App", "publish_running_pods"]

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


class App:
    """The OTLP app: a producer sending one message a second, each consumer replica taking one every 5 s."""

    def __init__(self, sqs: Any, queue_url: str, produce_every: float = 1.0, consume_every: float = 5.0) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._produce_every = produce_every
        self._consume_every = consume_every
        self._produced = 0.0
        self._consumed = 0.0
        self.replicas = 1

    def backlog(self, count: int) -> None:
        self._send(count)

    def advance(self, seconds: float) -> None:
        """`seconds` of simulated time: produce, then let every replica consume its share."""
        self._produced += seconds / self._produce_every
        self._send(int(self._produced))
        self._produced -= int(self._produced)
        self._consumed += self.replicas * seconds / self._consume_every
        self._receive(int(self._consumed))
        self._consumed -= int(self._consumed)

    def depth(self) -> int:
        names = ["ApproximateNumberOfMessages"]
        answer = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=names)
        return int(answer["Attributes"]["ApproximateNumberOfMessages"])

    def _send(self, count: int) -> None:
        for start in range(0, count, 10):
            entries = [{"Id": str(i), "MessageBody": "span"} for i in range(start, min(count, start + 10))]
            self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)

    def _receive(self, count: int) -> None:
        while count > 0:
            answer = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=min(10, count))
            messages = answer.get("Messages", [])
            if not messages:
                return
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
            count -= len(messages)


def publish_running_pods(cloudwatch: Any, dimensions: list[dict[str, str]], replicas: int) -> None:
    """What Container Insights reports for the target: `service_number_of_running_pods`."""
    cloudwatch.put_metric_data(
        Namespace="ContainerInsights",
        MetricData=[{"MetricName": "service_number_of_running_pods", "Dimensions": dimensions, "Value": replicas,
                     "Timestamp": datetime.datetime.now(datetime.UTC)}],
    )  # fmt: skip


class AlarmEvaluator:
    """CloudWatch's job that the AWS stand-in skips: compare each single-metric alarm's newest datapoint to its
    threshold."""

    def __init__(self, cloudwatch: Any) -> None:
        self._cloudwatch = cloudwatch

    def evaluate(self) -> None:
        for alarm in self._cloudwatch.describe_alarms(AlarmTypes=["MetricAlarm"])["MetricAlarms"]:
            compare = COMPARISONS.get(alarm.get("ComparisonOperator", ""))
            newest = self._newest(alarm)
            if compare is None or newest is None:
                continue
            state = "ALARM" if compare(newest, alarm["Threshold"]) else "OK"
            if state != alarm["StateValue"]:
                reason = f"newest datapoint {newest:g} vs threshold {alarm['Threshold']:g}"
                self._cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=state, StateReason=reason)

    def _newest(self, alarm: dict[str, Any]) -> float | None:
        if not alarm.get("MetricName"):
            return None
        now = datetime.datetime.now(datetime.UTC)
        # One-second buckets: simulated time runs faster than CloudWatch's periods.
        answer = self._cloudwatch.get_metric_data(
            MetricDataQueries=[{"Id": "newest", "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": alarm["Namespace"], "MetricName": alarm["MetricName"],
                           "Dimensions": alarm.get("Dimensions", [])},
                "Period": 1, "Stat": alarm.get("Statistic", "Maximum")}}],
            StartTime=now - datetime.timedelta(seconds=30), EndTime=now + datetime.timedelta(seconds=5),
            ScanBy="TimestampDescending",
        )  # fmt: skip
        values = answer["MetricDataResults"][0]["Values"]
        return float(values[0]) if values else None
