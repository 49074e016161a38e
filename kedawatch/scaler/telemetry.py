"""The scaler's Prometheus metrics, bound to one registry so that each server (and test) has its own."""

from __future__ import annotations

import prometheus_client as prom

__all__ = ["ScalerMetrics"]


class ScalerMetrics:
    def __init__(self, registry: prom.CollectorRegistry | None = None) -> None:
        self.registry = registry or prom.CollectorRegistry()
        self.aws_calls = prom.Counter(
            "kedawatch_aws_calls", "AWS API calls made, by operation and outcome.",
            ["operation", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.metrics_requested = prom.Counter(
            "kedawatch_cloudwatch_metrics_requested",
            "Metric queries sent in GetMetricData calls (CloudWatch bills per metric requested).",
            registry=self.registry,
        )
        self.cache = prom.Counter(
            "kedawatch_hub_reads", "Reads asked of the metric hub, by how they were answered.",
            ["answer"], registry=self.registry,
        )  # fmt: skip
        self.rpc_latency = prom.Histogram(
            "kedawatch_rpc_seconds", "Time to answer KEDA's RPCs, by method and gRPC code.",
            ["method", "code"], registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )  # fmt: skip
        self.open_streams = prom.Gauge(
            "kedawatch_open_streams",
            "StreamIsActive and StreamMetricSpec streams currently open.",
            registry=self.registry,
        )

    def observe_aws_call(self, operation: str, outcome: str) -> None:
        self.aws_calls.labels(operation, outcome).inc()
