"""`kedawatch demo`: the scaler against a local moto server, driven the way KEDA drives it.

A producer fills an SQS queue, consumers drain it at a rate set by the replica count, and a small KEDA/HPA
driver calls GetMetricSpec, GetMetrics and IsActive each cycle and applies the HPA formula. No AWS account,
no cluster: everything runs on loopback.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from typing import Any

import boto3
import grpc

from kedawatch import settings
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc
from kedawatch.scaler import server
from kedawatch.standins import aws

__all__ = ["Scenario", "run"]


@dataclasses.dataclass(frozen=True)
class Scenario:
    cycles: int = 24
    produced_per_cycle: int = 40
    consumed_per_replica: int = 3
    queue_length: int = 30
    min_replicas: int = 1
    max_replicas: int = 10
    pause: float = 0.25
    """Seconds between cycles: each cycle stands for one HPA sync (15 s)."""


def desired_replicas(value: float, target: float, low: int, high: int) -> int:
    """The HPA's average-value formula, clamped to the ScaledObject's bounds."""
    return max(low, min(high, math.ceil(value / target)))


async def run(scenario: Scenario = Scenario(), out: Any = print) -> int:
    """Play the scenario; returns the highest replica count reached."""
    moto = aws.MotoServer().start()
    previous = aws.use_endpoint(moto.url)
    scaler_settings = settings.ScalerSettings(
        server=settings.ServerSettings(host="127.0.0.1", port=0, metrics_port=0),
        hub=settings.HubSettings(sqs_freshness=0.0),
    )
    scaler = server.ScalerServer(scaler_settings)
    try:
        await scaler.start()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{scaler.port}") as channel:
            return await _play(scenario, pb_grpc.ExternalScalerStub(channel), scaler, out)
    finally:
        await scaler.stop()
        moto.stop()
        aws.restore_environment(previous)


async def _play(scenario: Scenario, stub: Any, scaler: server.ScalerServer, out: Any) -> int:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="otlp-queue")["QueueUrl"]
    ref = pb.ScaledObjectRef(
        name="otlp-consumer",
        namespace="default",
        scalerMetadata={"queueURL": queue_url, "queueLength": str(scenario.queue_length)},
    )
    replicas, peak = scenario.min_replicas, scenario.min_replicas
    out(f"{'cycle':>5} {'queue':>6} {'metric':>7} {'active':>6} {'replicas':>8}")
    for cycle in range(1, scenario.cycles + 1):
        produce = scenario.produced_per_cycle if cycle <= scenario.cycles * 2 // 3 else 0
        await asyncio.to_thread(_produce, sqs, queue_url, produce)
        await asyncio.to_thread(_consume, sqs, queue_url, replicas * scenario.consumed_per_replica)
        spec = (await stub.GetMetricSpec(ref)).metricSpecs[0]
        request = pb.GetMetricsRequest(scaledObjectRef=ref, metricName=spec.metricName)
        value = (await stub.GetMetrics(request)).metricValues[0].metricValueFloat
        active = (await stub.IsActive(ref)).result
        low, high = scenario.min_replicas, scenario.max_replicas
        replicas = desired_replicas(value, spec.targetSizeFloat, low, high)
        peak = max(peak, replicas)
        out(f"{cycle:>5} {int(value):>6} {value:>7.0f} {active!s:>6} {replicas:>8}")
        await asyncio.sleep(scenario.pause)
    calls = sum(
        sample.value
        for metric in scaler.metrics.registry.collect()
        for sample in metric.samples
        if sample.name == "kedawatch_aws_calls_total"
    )
    out(f"peak replicas: {peak} of {scenario.max_replicas}; AWS calls by the scaler: {calls:.0f}")
    return peak


def _produce(sqs: Any, queue_url: str, count: int) -> None:
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": "span"} for i in range(start, min(count, start + 10))]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)


def _consume(sqs: Any, queue_url: str, count: int) -> None:
    while count > 0:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=min(10, count)).get("Messages", [])
        if not messages:
            return
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        count -= len(messages)
