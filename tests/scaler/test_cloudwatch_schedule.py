"""CloudWatch values are read by their period, at the physical floor: once just after each boundary (when KEDA's
window moves) and once more `cloudwatch_late_data` later (for late datapoints), answered from cache in between.
Side by side with what KEDA's built-in scaler reads at every evaluation, the values are the same but for the
late datapoints, within the documented bound."""

from __future__ import annotations

import dataclasses
import datetime
import time
from typing import Any

from kedawatch import settings
from kedawatch.scaler.sources import cloudwatch as cloudwatch_source
from kedawatch.standins import aws
from kedawatch.standins.clock import FakeClock
from tests.scaler.conftest import running_scaler

PERIOD, COLLECTION, LATE, EVALUATION = 60, 300, 60.0, 15
"""A period-60 metric in a 5-minute window, late data read for 60 s, evaluated every 15 s (KEDA's HPA sync)."""
REREAD = min(LATE, PERIOD / 2)
"""The re-read comes `cloudwatch_late_data` after each boundary, or half the period if that is shorter."""
TRIGGER = {
    "namespace": "App", "metricName": "Depth", "dimensionName": "Queue", "dimensionValue": "orders",
    "targetMetricValue": "10", "metricStat": "Maximum", "metricStatPeriod": str(PERIOD),
    "metricCollectionTime": str(COLLECTION), "awsRegion": "us-east-1",
}  # fmt: skip
NOW = int(time.time()) // PERIOD * PERIOD
EPOCH = NOW - 12 * PERIOD
"""The simulated run ends about now: CloudWatch (and the stand-in) take datapoints of the last two weeks."""


@dataclasses.dataclass(frozen=True)
class Datapoint:
    period: int
    """Its period: [EPOCH + period * PERIOD, +PERIOD)."""
    arrives: float
    """Seconds after EPOCH that CloudWatch has it."""

    @property
    def value(self) -> float:
        return 10.0 * self.period


ON_TIME = [Datapoint(period, (period + 1) * PERIOD - 1) for period in range(12) if period not in (4, 7)]
LATE_WITHIN_REREAD = Datapoint(4, 5 * PERIOD + 10)
"""Lands 10 s after its period ended: served from the re-read, where KEDA's scaler sees it at once."""
LATE_AFTER_REREAD = Datapoint(7, 8 * PERIOD + 40)
"""Lands 40 s after its period ended, after the re-read: KEDA's scaler sees it at once, kedawatch at the next
boundary, when a newer period has come in anyway."""


def builtin_value(cloudwatch: Any, now: float) -> float:
    """What KEDA's aws-cloudwatch scaler answers at `now`: one GetMetricData over its window, the newest point."""
    start, end = cloudwatch_source.query_window(now, PERIOD, 0, COLLECTION)
    query = {"Id": "q1", "ReturnData": True, "MetricStat": {"Period": PERIOD, "Stat": "Maximum", "Metric": {
        "Namespace": "App", "MetricName": "Depth", "Dimensions": [{"Name": "Queue", "Value": "orders"}]}}}  # fmt: skip
    answer = cloudwatch.get_metric_data(MetricDataQueries=[query], StartTime=start, EndTime=end,
                                        ScanBy="TimestampDescending")  # fmt: skip
    values = answer["MetricDataResults"][0]["Values"]
    return float(values[0]) if values else 0.0


def publish(cloudwatch: Any, point: Datapoint) -> None:
    stamp = datetime.datetime.fromtimestamp(EPOCH + point.period * PERIOD + PERIOD / 2, datetime.UTC)
    cloudwatch.put_metric_data(Namespace="App", MetricData=[{"MetricName": "Depth", "Value": point.value,
        "Timestamp": stamp, "Dimensions": [{"Name": "Queue", "Value": "orders"}]}])  # fmt: skip


async def test_values_match_the_builtin_scalers_at_every_evaluation_but_for_late_data(
    moto: aws.AwsStandIn, cloudwatch: Any
) -> None:
    clock = FakeClock(epoch=EPOCH)
    hub = settings.HubSettings(cloudwatch_late_data=LATE, gather_delay=0.0, gather_limit=0.0)
    pending = sorted([*ON_TIME, LATE_WITHIN_REREAD, LATE_AFTER_REREAD], key=lambda point: point.arrives)
    rows: list[tuple[float, float, float]] = []
    async with running_scaler(hub, clock=clock) as scaler:
        for second in range(1, 12 * PERIOD, EVALUATION):
            await clock.advance(second - (clock.time() - EPOCH))
            while pending and pending[0].arrives <= second:
                publish(cloudwatch, pending.pop(0))
            rows.append((second, builtin_value(cloudwatch, clock.time()), await scaler.value(TRIGGER)))
        reads = scaler.metric("kedawatch_cloudwatch_metrics_requested_total")
    print(
        "\n".join(
            f"{second:>5.0f} s  built-in {builtin:>5.0f}  kedawatch {ours:>5.0f}" for second, builtin, ours in rows
        )
    )
    differing = [second for second, builtin, ours in rows if builtin != ours]
    within_reread = [s for s in differing if LATE_WITHIN_REREAD.arrives <= s < 5 * PERIOD + REREAD]
    after_reread = [s for s in differing if LATE_AFTER_REREAD.arrives <= s < 9 * PERIOD]
    assert differing == within_reread + after_reread, "values differ only while a late datapoint is not read yet"
    assert within_reread and after_reread, "the scenario does have both kinds of late data"
    assert reads <= 2 * 12, "at most two reads a period: after its boundary, and once more for late data"
    assert len(rows) / reads >= 2, "the built-in reads at every evaluation, four a period here"
