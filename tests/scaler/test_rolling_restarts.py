"""Push activation through rolling restarts, as KEDA's own reconnect loop lives them.

KEDA's `runStreamIsActive` (pkg/scalers/external_scaler.go, main of 2026-08-20) waits before every reconnect
and doubles its delay each time, up to a minute; only a stream that ended cleanly (io.EOF: status OK) sets the
delay back to 2 s. The loop below replays it against real replicas over gRPC, on a clock `SCALE` times faster.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import grpc

from kedawatch import settings
from kedawatch.demo import local
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc
from kedawatch.scaler import server
from kedawatch.standins import aws
from tests.scaler.conftest import until

SCALE = 0.05
"""Real seconds per second of KEDA's clock."""


class KedaPushLoop:
    """KEDA's runStreamIsActive: `delays` are the waits it chose before each reconnect, in KEDA's seconds."""

    def __init__(self, address: Callable[[], str], ref: pb.ScaledObjectRef) -> None:
        self._address = address
        self._ref = ref
        self.endings: list[grpc.StatusCode] = []
        self.delays: list[float] = []

    async def run(self) -> None:
        retry = await self._once(2.0)
        while True:
            self.delays.append(retry)
            await asyncio.sleep(retry * SCALE)
            retry = await self._once(min(retry * 2, 60.0))

    async def _once(self, retry: float) -> float:
        """One stream, to its end; the next delay: 2 s after a clean end, `retry` after an error."""
        async with grpc.aio.insecure_channel(self._address()) as channel:
            call = pb_grpc.ExternalScalerStub(channel).StreamIsActive(self._ref)
            with contextlib.suppress(grpc.aio.AioRpcError):
                async for _ in call:
                    pass
            code = await call.code()
        self.endings.append(code)
        return 2.0 if code is grpc.StatusCode.OK else retry


@contextlib.asynccontextmanager
async def running(loop: KedaPushLoop) -> AsyncIterator[None]:
    task = asyncio.create_task(loop.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def replica() -> server.ScalerServer:
    scaler = server.ScalerServer(settings.ScalerSettings(server=local.LOOPBACK))
    await scaler.start()
    return scaler


def open_streams(scaler: server.ScalerServer) -> float:
    return scaler.metrics.registry.get_sample_value("kedawatch_open_streams") or 0.0


async def test_push_streams_reconnect_within_2_s_at_each_of_three_rolling_restarts(
    moto: aws.AwsStandIn, queue_url: str
) -> None:
    replicas = [await replica()]
    loop = KedaPushLoop(lambda: f"127.0.0.1:{replicas[-1].port}", pb.ScaledObjectRef(
        name="app", namespace="default", scalerMetadata={"queueURL": queue_url}
    ))  # fmt: skip
    try:
        async with running(loop):
            await until(lambda: open_streams(replicas[-1]) == 1, within=5)
            for restart in range(3):  # maxSurge 1, maxUnavailable 0: the new replica is up before the old one stops
                replicas.append(await replica())
                await replicas.pop(0).stop()
                await until(lambda: open_streams(replicas[-1]) == 1, within=2 * SCALE + 5)
                assert len(loop.endings) == restart + 1, "the first attempt after each end reached the new replica"
    finally:
        for scaler in replicas:
            await scaler.stop()
    assert loop.endings == [grpc.StatusCode.OK] * 3
    assert loop.delays == [2.0, 2.0, 2.0], "each reconnect 2 s after the stream ended, never more"


async def test_the_replayed_loop_keeps_doubling_after_errors_as_keda_does(moto: aws.AwsStandIn, queue_url: str) -> None:
    """The same loop on a stream that fails each time (here a namespace the tenant policy denies): 2, 4, 8 s."""
    scaler = await replica()
    denied = {"queueURL": queue_url, "awsRoleArn": "arn:aws:iam::123456789012:role/other-team"}
    loop = KedaPushLoop(lambda: f"127.0.0.1:{scaler.port}", pb.ScaledObjectRef(
        name="app", namespace="default", scalerMetadata=denied
    ))  # fmt: skip
    try:
        async with running(loop):
            await until(lambda: len(loop.endings) >= 4, within=(2 + 4 + 8) * SCALE + 5)
    finally:
        await scaler.stop()
    assert set(loop.endings[:4]) == {grpc.StatusCode.PERMISSION_DENIED}
    assert loop.delays[:3] == [2.0, 4.0, 8.0]
