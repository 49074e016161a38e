"""KEDA's five RPCs, mapped onto the trigger cache and the MetricHub.

Every failure becomes a gRPC status with a message a platform engineer can act on: bad metadata is
INVALID_ARGUMENT naming the key, AWS failures keep AWS's error code, and no RPC outlives KEDA's deadline.

Streams end with OK when the scaler stops: KEDA's push loop (`runStreamIsActive`) reconnects 2 s after a
stream that ended cleanly, but keeps doubling its delay, up to a minute and across reconnects, after one that
ended with an error, so statuses are kept for real failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc

from kedawatch import settings, tenancy
from kedawatch.aws import errors
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc
from kedawatch.scaler import hub, metadata, telemetry, timing, triggers, watching
from kedawatch.scaler.sources import base

__all__ = ["ExternalScalerService"]

logger = logging.getLogger(__name__)

_AWS_CODES = {
    errors.Failure.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    errors.Failure.DENIED: grpc.StatusCode.PERMISSION_DENIED,
    errors.Failure.THROTTLED: grpc.StatusCode.UNAVAILABLE,
    errors.Failure.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    errors.Failure.INVALID: grpc.StatusCode.INVALID_ARGUMENT,
    errors.Failure.INTERNAL: grpc.StatusCode.INTERNAL,
}
_INT64_MAX = 2**63 - 1


class ExternalScalerService(pb_grpc.ExternalScalerServicer):
    def __init__(
        self,
        metric_hub: hub.MetricHub,
        trigger_cache: triggers.TriggerCache,
        server_settings: settings.ServerSettings,
        policy: tenancy.TenantPolicy,
        metrics: telemetry.ScalerMetrics,
        clock: timing.Clock,
    ) -> None:
        self._hub = metric_hub
        self._triggers = trigger_cache
        self._policy = policy
        self._max_streams = server_settings.max_streams
        self._metrics = metrics
        self._streams: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._watcher = watching.ActivityWatcher(self._check, lambda t: metric_hub.push_interval(t.read), clock)

    async def IsActive(self, request: pb.ScaledObjectRef, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        async with self._answering("IsActive", request, context):
            trigger = self._trigger(request)
            return pb.IsActiveResponse(result=await self._value(trigger) > trigger.source.activation())

    async def GetMetricSpec(self, request: pb.ScaledObjectRef, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        async with self._answering("GetMetricSpec", request, context):
            return _metric_specs(self._trigger(request))

    async def GetMetrics(self, request: pb.GetMetricsRequest, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        ref = request.scaledObjectRef
        async with self._answering("GetMetrics", ref, context):
            trigger = self._trigger(ref)
            value = await self._value(trigger)
            name = request.metricName or trigger.source.metric_name()
            metric = pb.MetricValue(metricName=name, metricValue=_as_int64(value), metricValueFloat=value)
            return pb.GetMetricsResponse(metricValues=[metric])

    async def StreamIsActive(
        self, request: pb.ScaledObjectRef, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[pb.IsActiveResponse]:
        """Sends `true` once per inactive-to-active edge; KEDA ignores `false`, so it is never sent.

        AWS failures are logged and the stream stays open: the polling RPCs report them to KEDA. Beyond
        `max_streams` open streams the stream is refused with RESOURCE_EXHAUSTED.
        """
        async with self._answering("StreamIsActive", request, context):
            trigger = self._trigger(request)
            self._admit()
        if self._closing:
            return  # ends at once, with OK: KEDA reconnects to another replica 2 s later
        async with self._streaming():
            async for _ in self._watcher.edges(trigger):
                yield pb.IsActiveResponse(result=True)

    async def StreamMetricSpec(
        self, request: pb.ScaledObjectRef, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[pb.GetMetricSpecResponse]:
        """Sends the trigger's specs once, as GetMetricSpec answers them, then holds the stream open.

        A trigger's target comes only from its metadata, which is the stream's own key: while the stream is
        open its specs cannot change, so no second message is ever due. When the metadata changes, KEDA builds
        a new scaler and opens a new stream, which gets the new specs at once. The stream stays open rather than
        ending after its message, since KEDA reopens an ended stream every 2 s (and reconciles the ScaledObject
        on every message).
        """
        async with self._answering("StreamMetricSpec", request, context):
            specs = _metric_specs(self._trigger(request))
            self._admit()
        async with self._streaming():
            yield specs
            if not self._closing:
                await asyncio.get_running_loop().create_future()  # until KEDA cancels or the scaler stops

    async def close(self) -> None:
        """End every open stream with OK, so that KEDA reconnects (to another replica) 2 s later instead of
        waiting on a connection that is about to go; streams opened from now on end at once, as cleanly."""
        self._closing = True
        streams = list(self._streams)
        for stream in streams:
            stream.cancel()
        if streams:
            await asyncio.wait(streams, timeout=1.0)

    def _admit(self) -> None:
        if len(self._streams) >= self._max_streams and not self._closing:
            raise StreamRefused(len(self._streams), self._max_streams)

    @contextlib.asynccontextmanager
    async def _streaming(self) -> AsyncIterator[None]:
        """Counts the stream as open while its body runs; `close()` cancels the body and the stream ends with OK.
        KEDA's own cancellation goes on as a cancellation."""
        stream = asyncio.current_task()
        assert stream is not None
        self._streams.add(stream)
        self._metrics.open_streams.inc()
        try:
            yield
        except asyncio.CancelledError:
            if not self._closing:
                raise
        finally:
            self._streams.discard(stream)
            self._metrics.open_streams.dec()

    def _trigger(self, ref: pb.ScaledObjectRef) -> triggers.Trigger:
        """The parsed trigger, if the tenant policy lets the ScaledObject's namespace read AWS as it asks."""
        trigger = self._triggers.get(ref.scalerMetadata, ref.namespace)
        identity = trigger.identity
        self._policy.check_identity(ref.namespace, identity.region, identity.role_arn, identity.endpoint)
        return trigger

    async def _check(self, trigger: triggers.Trigger, max_age: float | None) -> bool | None:
        """Active? From a value no older than `max_age`; with None, from the latest value KEDA's polls read."""
        try:
            if max_age is None:
                answer = self._hub.peek(trigger.read)
                return None if answer is None else trigger.source.value(answer) > trigger.source.activation()
            return await self._value(trigger, max_age) > trigger.source.activation()
        except (errors.AwsError, base.NoValue, TimeoutError) as exc:
            logger.warning("StreamIsActive %s: %s", trigger.source.metric_name(), _describe(exc))
            return None

    async def _value(self, trigger: triggers.Trigger, max_age: float | None = None) -> float:
        return trigger.source.value(await self._hub.read(trigger.read, max_age))

    @contextlib.asynccontextmanager
    async def _answering(
        self, method: str, ref: pb.ScaledObjectRef, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        """Times the RPC and turns any failure into a gRPC status with a clear message."""
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            yield
        except Exception as exc:
            code = _status_of(exc)
            if code is grpc.StatusCode.INTERNAL:
                logger.exception("%s %s/%s failed", method, ref.namespace, ref.name)
            else:
                logger.warning("%s %s/%s: %s", method, ref.namespace, ref.name, _describe(exc))
            await context.abort(code, _describe(exc))
        finally:
            self._metrics.rpc_latency.labels(method, code.name).observe(time.perf_counter() - started)


class StreamRefused(Exception):
    def __init__(self, open_streams: int, cap: int) -> None:
        reason = f"{open_streams} streams are open, the cap of this replica (--max-streams {cap})"
        super().__init__(f"{reason}: KEDA retries with backoff")


def _status_of(exc: BaseException) -> grpc.StatusCode:
    if isinstance(exc, StreamRefused):
        return grpc.StatusCode.RESOURCE_EXHAUSTED
    if isinstance(exc, tenancy.Denied):
        return grpc.StatusCode.PERMISSION_DENIED
    if isinstance(exc, metadata.MetadataError):
        return grpc.StatusCode.INVALID_ARGUMENT
    if isinstance(exc, errors.AwsError):
        return _AWS_CODES[exc.failure]
    if isinstance(exc, TimeoutError):
        return grpc.StatusCode.UNAVAILABLE
    if isinstance(exc, base.NoValue):
        return grpc.StatusCode.FAILED_PRECONDITION
    return grpc.StatusCode.INTERNAL


_MAX_DESCRIBED = 2_000
"""Characters of a status message: gRPC carries it in a trailer, and clients refuse oversized trailers (8 KiB
in grpcio by default) with RESOURCE_EXHAUSTED, which KEDA would then report in place of the real error."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, errors.AwsError):
        text = f"AWS {exc.failure.value}: {exc}"
    elif isinstance(exc, TimeoutError):
        text = "AWS did not answer in time; the read goes on and its answer is cached for the next call"
    else:
        text = str(exc) or type(exc).__name__
    return metadata.shortened(text, _MAX_DESCRIBED)


def _metric_specs(trigger: triggers.Trigger) -> pb.GetMetricSpecResponse:
    """What GetMetricSpec answers and StreamMetricSpec sends: one spec, its target in both fields."""
    source = trigger.source
    spec = pb.MetricSpec(
        metricName=source.metric_name(), targetSize=_as_int64(source.target()), targetSizeFloat=source.target()
    )
    return pb.GetMetricSpecResponse(metricSpecs=[spec])


def _as_int64(value: float) -> int:
    """The deprecated int64 twin of a float field: rounded and clamped, since KEDA prefers the float."""
    if not math.isfinite(value):
        return 0
    return max(-_INT64_MAX, min(_INT64_MAX, round(value)))
