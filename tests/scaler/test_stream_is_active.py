"""external-push: StreamIsActive sends `true` once per inactive-to-active edge, and streams share reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from kedawatch import settings
from kedawatch.standins import aws
from tests.scaler.conftest import Scaler, running_scaler

INTERVAL = 0.2


@pytest.fixture
async def pushing(moto: aws.AwsStandIn) -> AsyncIterator[Scaler]:
    async with running_scaler(settings.HubSettings(sqs_push_interval=INTERVAL, sqs_freshness=INTERVAL)) as scaler:
        yield scaler


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


async def until(condition: Any, within: float) -> None:
    for _ in range(int(within / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_true_once_per_inactive_to_active_edge(pushing: Scaler, sqs: Any, queue_url: str) -> None:
    stream = Pushes(pushing.stub.StreamIsActive(pushing.ref({"queueURL": queue_url})))
    assert await stream.next(INTERVAL * 3) is None, "an empty queue must not push"

    sqs.send_message(QueueUrl=queue_url, MessageBody="first")
    assert await stream.next(INTERVAL * 5) is True

    sqs.send_message(QueueUrl=queue_url, MessageBody="second")
    assert await stream.next(INTERVAL * 5) is None, "still active: no repeated true"

    sqs.purge_queue(QueueUrl=queue_url)
    await asyncio.sleep(0.1)
    assert await pushing.value({"queueURL": queue_url}) == 0.0  # KEDA's poll: an active watch reads no more
    assert await stream.next(INTERVAL * 3) is None, "false is never sent"
    sqs.send_message(QueueUrl=queue_url, MessageBody="again")
    assert await stream.next(INTERVAL * 5) is True
    stream.cancel()


async def test_activation_threshold_applies_to_pushes(pushing: Scaler, sqs: Any, queue_url: str) -> None:
    stream = Pushes(pushing.stub.StreamIsActive(pushing.ref({"queueURL": queue_url, "activationQueueLength": "2"})))
    sqs.send_message(QueueUrl=queue_url, MessageBody="one")
    assert await stream.next(INTERVAL * 4) is None
    sqs.send_message(QueueUrl=queue_url, MessageBody="two")
    sqs.send_message(QueueUrl=queue_url, MessageBody="three")
    assert await stream.next(INTERVAL * 6) is True
    stream.cancel()


async def test_cancelled_streams_end_cleanly(pushing: Scaler, queue_url: str) -> None:
    calls = [pushing.stub.StreamIsActive(pushing.ref({"queueURL": queue_url})) for _ in range(20)]
    await until(lambda: pushing.metric("kedawatch_open_streams") == 20, within=5)
    for call in calls:
        call.cancel()
    await until(lambda: pushing.metric("kedawatch_open_streams") == 0, within=5)
    assert await pushing.value({"queueURL": queue_url}) == 0.0


async def test_thousands_of_streams_on_one_queue_share_one_read_per_interval(
    pushing: Scaler, sqs: Any, queue_url: str
) -> None:
    ref = pushing.ref({"queueURL": queue_url})
    streams = [Pushes(pushing.stub.StreamIsActive(ref)) for _ in range(2000)]  # all at once, as after a restart
    await until(lambda: pushing.metric("kedawatch_open_streams") == 2000, within=30)
    before = pushing.aws_calls("GetQueueAttributes")
    await asyncio.sleep(INTERVAL * 10)
    reads = pushing.aws_calls("GetQueueAttributes") - before
    assert 8 <= reads <= 12, f"{reads} reads in 10 intervals"
    sqs.send_message(QueueUrl=queue_url, MessageBody="wake")
    pushes = await asyncio.gather(*(stream.next(INTERVAL * 15) for stream in streams))
    assert pushes == [True] * 2000
    for stream in streams:
        stream.cancel()


async def test_a_stopping_scaler_ends_open_streams_with_a_status_keda_reconnects_on(
    moto: aws.AwsStandIn, queue_url: str
) -> None:
    async with running_scaler(settings.HubSettings(sqs_push_interval=INTERVAL)) as scaler:
        calls = [scaler.stub.StreamIsActive(scaler.ref({"queueURL": queue_url})) for _ in range(5)]
        await until(lambda: scaler.metric("kedawatch_open_streams") == 5, within=5)
        started = asyncio.get_running_loop().time()
        await scaler.server.stop()
        codes = [await call.code() for call in calls]
        assert codes == [grpc.StatusCode.UNAVAILABLE] * 5
        assert asyncio.get_running_loop().time() - started < scaler.server.settings.server.grace
        assert "reconnect" in str(await calls[0].details())


async def test_streams_beyond_the_cap_are_refused_and_the_others_keep_working(
    moto: aws.AwsStandIn, sqs: Any, queue_url: str
) -> None:
    capped = settings.ServerSettings(host="127.0.0.1", port=0, metrics_port=0, max_streams=3)
    hub = settings.HubSettings(sqs_push_interval=INTERVAL, sqs_freshness=INTERVAL)
    async with running_scaler(hub, capped) as scaler:
        ref = scaler.ref({"queueURL": queue_url})
        admitted = [Pushes(scaler.stub.StreamIsActive(ref)) for _ in range(3)]
        await until(lambda: scaler.metric("kedawatch_open_streams") == 3, within=5)
        refused = scaler.stub.StreamIsActive(ref)
        assert await refused.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "--max-streams 3" in str(await refused.details())
        sqs.send_message(QueueUrl=queue_url, MessageBody="wake")
        assert await asyncio.gather(*(stream.next(INTERVAL * 15) for stream in admitted)) == [True] * 3
        admitted[0].cancel()
        await until(lambda: scaler.metric("kedawatch_open_streams") == 2, within=5)
        again = Pushes(scaler.stub.StreamIsActive(ref))
        assert await again.next(INTERVAL * 5) is True, "a freed place is taken by the next stream"
