"""external-push: StreamIsActive sends `true` once per inactive-to-active edge, and streams share reads."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from kedawatch import settings
from kedawatch.demo import local
from kedawatch.standins import aws
from kedawatch.standins.clock import FakeClock
from tests.scaler.conftest import Scaler, running_scaler, until

INTERVAL = 0.25
"""A binary fraction, so that the fake clock's readings fall on the push grid exactly."""
DELIVERY = 0.5
"""Real seconds a push has to reach the stream's reader once the scaler sent it: never waited for time to pass."""
ARRIVAL = 5.0
"""Real seconds a push that is due may take to arrive."""


@pytest.fixture
async def pushing(moto: aws.AwsStandIn, clock: FakeClock) -> AsyncIterator[Scaler]:
    hub = settings.HubSettings(sqs_push_interval=INTERVAL, sqs_freshness=INTERVAL)
    async with running_scaler(hub, clock=clock) as scaler:
        yield scaler


async def intervals(scaler: Scaler, clock: FakeClock, count: int) -> None:
    """Let `count` push intervals pass on the scaler's clock, each one's reads done before the next."""
    for _ in range(count):
        await clock.advance(INTERVAL)
        await scaler.server.hub.settle()


class Pushes:
    """Reads a StreamIsActive stream as KEDA does: one read outstanding at a time."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self._reading: asyncio.Task[Any] | None = None

    async def next(self, within: float) -> bool | None:
        """The stream's next message, or None when nothing came within `within` seconds."""
        if self._reading is None:
            self._reading = asyncio.ensure_future(self.call.read())
        done, _ = await asyncio.wait({self._reading}, timeout=within)
        if not done:
            return None
        answer, self._reading = self._reading.result(), None
        return bool(answer.result)

    def cancel(self) -> None:
        self.call.cancel()


async def test_true_once_per_inactive_to_active_edge(
    pushing: Scaler, clock: FakeClock, sqs: Any, queue_url: str
) -> None:
    stream = Pushes(pushing.stub.StreamIsActive(pushing.ref({"queueURL": queue_url})))
    await until(lambda: pushing.aws_calls("GetQueueAttributes") == 1, within=5)
    await intervals(pushing, clock, 3)
    assert await stream.next(DELIVERY) is None, "an empty queue must not push"

    sqs.send_message(QueueUrl=queue_url, MessageBody="first")
    await intervals(pushing, clock, 1)
    assert await stream.next(ARRIVAL) is True

    sqs.send_message(QueueUrl=queue_url, MessageBody="second")
    await intervals(pushing, clock, 3)
    assert await stream.next(DELIVERY) is None, "still active: no repeated true"

    sqs.purge_queue(QueueUrl=queue_url)
    assert await pushing.value({"queueURL": queue_url}) == 0.0  # KEDA's poll: an active watch reads no more
    await intervals(pushing, clock, 3)
    assert await stream.next(DELIVERY) is None, "false is never sent"
    sqs.send_message(QueueUrl=queue_url, MessageBody="again")
    await intervals(pushing, clock, 1)
    assert await stream.next(ARRIVAL) is True
    stream.cancel()


async def test_activation_threshold_applies_to_pushes(
    pushing: Scaler, clock: FakeClock, sqs: Any, queue_url: str
) -> None:
    stream = Pushes(pushing.stub.StreamIsActive(pushing.ref({"queueURL": queue_url, "activationQueueLength": "2"})))
    await until(lambda: pushing.aws_calls("GetQueueAttributes") == 1, within=5)
    sqs.send_message(QueueUrl=queue_url, MessageBody="one")
    await intervals(pushing, clock, 4)
    assert await stream.next(DELIVERY) is None
    sqs.send_message(QueueUrl=queue_url, MessageBody="two")
    sqs.send_message(QueueUrl=queue_url, MessageBody="three")
    await intervals(pushing, clock, 1)
    assert await stream.next(ARRIVAL) is True
    stream.cancel()


async def test_cancelled_streams_end_cleanly(pushing: Scaler, queue_url: str) -> None:
    calls = [pushing.stub.StreamIsActive(pushing.ref({"queueURL": queue_url})) for _ in range(20)]
    await until(lambda: pushing.metric("kedawatch_open_streams") == 20, within=5)
    for call in calls:
        call.cancel()
    await until(lambda: pushing.metric("kedawatch_open_streams") == 0, within=5)
    assert await pushing.value({"queueURL": queue_url}) == 0.0


async def test_thousands_of_streams_on_one_queue_share_one_read_per_interval(
    pushing: Scaler, clock: FakeClock, sqs: Any, queue_url: str
) -> None:
    ref = pushing.ref({"queueURL": queue_url})
    streams = [Pushes(pushing.stub.StreamIsActive(ref)) for _ in range(2000)]  # all at once, as after a restart
    await until(lambda: pushing.metric("kedawatch_open_streams") == 2000, within=30)
    await pushing.server.hub.settle()
    before = pushing.aws_calls("GetQueueAttributes")
    await intervals(pushing, clock, 10)
    reads = pushing.aws_calls("GetQueueAttributes") - before
    assert 8 <= reads <= 12, f"{reads} reads in 10 intervals"
    sqs.send_message(QueueUrl=queue_url, MessageBody="wake")
    await intervals(pushing, clock, 1)
    pushes = await asyncio.gather(*(stream.next(ARRIVAL * 3) for stream in streams))
    assert pushes == [True] * 2000
    for stream in streams:
        stream.cancel()


async def test_a_stopping_scaler_ends_open_streams_with_ok_so_that_keda_reconnects_within_2_s(
    moto: aws.AwsStandIn, queue_url: str
) -> None:
    async with running_scaler(settings.HubSettings(sqs_push_interval=INTERVAL)) as scaler:
        calls = [scaler.stub.StreamIsActive(scaler.ref({"queueURL": queue_url})) for _ in range(5)]
        await until(lambda: scaler.metric("kedawatch_open_streams") == 5, within=5)
        started = asyncio.get_running_loop().time()
        await scaler.server.stop()
        codes = [await call.code() for call in calls]
        assert codes == [grpc.StatusCode.OK] * 5, "an error would double KEDA's reconnect delay"
        assert asyncio.get_running_loop().time() - started < scaler.server.settings.server.grace


async def test_a_stream_opened_while_the_scaler_stops_ends_at_once_with_ok(
    moto: aws.AwsStandIn, sqs: Any, queue_url: str
) -> None:
    sqs.send_message(QueueUrl=queue_url, MessageBody="waiting")
    async with running_scaler(settings.HubSettings(sqs_push_interval=INTERVAL)) as scaler:
        await scaler.server.service.close()  # what stop() does first, before the gRPC server stops accepting calls
        late = scaler.stub.StreamIsActive(scaler.ref({"queueURL": queue_url}))
        assert await asyncio.wait_for(late.code(), timeout=2) is grpc.StatusCode.OK
        assert [message async for message in late] == [], "the replica that takes the stream over pushes"
        assert scaler.metric("kedawatch_open_streams") == 0


async def test_streams_beyond_the_cap_are_refused_and_the_others_keep_working(
    moto: aws.AwsStandIn, sqs: Any, queue_url: str
) -> None:
    capped = dataclasses.replace(local.LOOPBACK, max_streams=3)
    hub = settings.HubSettings(sqs_push_interval=INTERVAL, sqs_freshness=INTERVAL)
    async with running_scaler(hub, capped) as scaler:
        ref = scaler.ref({"queueURL": queue_url})
        admitted = [Pushes(scaler.stub.StreamIsActive(ref)) for _ in range(3)]
        await until(lambda: scaler.metric("kedawatch_open_streams") == 3, within=5)
        refused = scaler.stub.StreamIsActive(ref)
        assert await refused.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "3 streams are open, the cap of this replica (--max-streams 3)" in str(await refused.details())
        sqs.send_message(QueueUrl=queue_url, MessageBody="wake")
        assert await asyncio.gather(*(stream.next(INTERVAL * 15) for stream in admitted)) == [True] * 3
        admitted[0].cancel()
        await until(lambda: scaler.metric("kedawatch_open_streams") == 2, within=5)
        again = Pushes(scaler.stub.StreamIsActive(ref))
        assert await again.next(INTERVAL * 5) is True, "a freed place is taken by the next stream"
