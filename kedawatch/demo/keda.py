"""KEDA and the HPA, as far as the demo needs them: read the ScaledObject, call the external scaler as KEDA
does (GetMetricSpec, GetMetrics, IsActive each sync; one StreamIsActive per external-push trigger), and
apply the HPA's formula: desired = ceil(metric / target per replica), clamped to min..max."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any

import grpc

from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc

__all__ = ["KedaDriver", "evaluate"]

HPA_DEADLINE = 3.0


def desired_replicas(value: float, target: float, low: int, high: int) -> int:
    return max(low, min(high, math.ceil(value / target)))


async def evaluate(stub: Any, ref: pb.ScaledObjectRef, deadline: float) -> tuple[pb.MetricSpec, float, bool]:
    """One evaluation as KEDA makes it: GetMetricSpec, GetMetrics for the spec's metric, then IsActive."""
    spec = (await stub.GetMetricSpec(ref, timeout=deadline)).metricSpecs[0]
    request = pb.GetMetricsRequest(scaledObjectRef=ref, metricName=spec.metricName)
    value = (await stub.GetMetrics(request, timeout=deadline)).metricValues[0].metricValueFloat
    active = (await stub.IsActive(ref, timeout=deadline)).result
    return spec, value, active


class KedaDriver:
    """One ScaledObject's scaling decisions, made against the scaler at each trigger's `scalerAddress`."""

    def __init__(self, scaled_object: Mapping[str, Any]) -> None:
        self.scaled_object = scaled_object
        self._channels: dict[str, grpc.aio.Channel] = {}
        self.pushes = 0
        self.first_push: float | None = None
        """Loop time of the first `true` pushed."""
        self._streams: list[asyncio.Task[None]] = []

    def _stub(self, address: str) -> Any:
        if address not in self._channels:
            self._channels[address] = grpc.aio.insecure_channel(address)
        return pb_grpc.ExternalScalerStub(self._channels[address])

    def _ref(self, trigger: Mapping[str, Any]) -> pb.ScaledObjectRef:
        meta = self.scaled_object["metadata"]
        return pb.ScaledObjectRef(name=meta["name"], namespace=meta["namespace"], scalerMetadata=trigger["metadata"])

    async def sync(self) -> tuple[int, float]:
        """One HPA sync: the desired replicas and the metric value they come from (the largest wins)."""
        spec = self.scaled_object["spec"]
        best, value = spec.get("minReplicaCount", 0), 0.0
        for trigger in spec["triggers"]:
            stub, ref = self._stub(trigger["metadata"]["scalerAddress"]), self._ref(trigger)
            metric, current, _ = await evaluate(stub, ref, HPA_DEADLINE)
            wanted = desired_replicas(
                current, metric.targetSizeFloat, spec.get("minReplicaCount", 0), spec["maxReplicaCount"]
            )
            if wanted >= best:
                best, value = wanted, current
        return best, value

    def open_streams(self) -> None:
        for trigger in self.scaled_object["spec"]["triggers"]:
            if trigger["type"] == "external-push":
                self._streams.append(asyncio.get_running_loop().create_task(self._listen(trigger)))

    async def _listen(self, trigger: Mapping[str, Any]) -> None:
        call = self._stub(trigger["metadata"]["scalerAddress"]).StreamIsActive(self._ref(trigger))
        async for answer in call:
            if answer.result:
                self.pushes += 1
                if self.first_push is None:
                    self.first_push = asyncio.get_running_loop().time()

    async def close(self) -> None:
        for task in self._streams:
            task.cancel()
        await asyncio.gather(*self._streams, return_exceptions=True)
        for channel in self._channels.values():
            await channel.close(None)
