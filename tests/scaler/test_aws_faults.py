"""AWS failing under the scaler, through a fault-injecting proxy in front of moto: throttling and 500s in
bursts, answers slower than the deadline, the endpoint gone. KEDA must get an answer within its 3 s deadline:
the last good value while it is younger than the staleness bound, UNAVAILABLE after it, and fresh values
again within a freshness window once AWS is back."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest

from kedawatch import settings
from kedawatch.standins import aws
from kedawatch.standins.clock import FakeClock
from tests.scaler.conftest import TRUSTING, Scaler, running_scaler
from tests.scaler.test_sqs_queue import send

FRESHNESS = 0.5
STALE_LIMIT = 5.0
"""Longer than a settle and a deadline: a read that fails slowly (botocore backing off) takes up to 2.5 s."""
KEDA_DEADLINE = 3.0
RECOVERY = max(FRESHNESS, settings.HubSettings().error_ttl)
"""How long after AWS's return a fresh value is read: a cached error is answered for `error_ttl`."""


@pytest.fixture
def proxy(moto: aws.AwsStandIn) -> Iterator[aws.CountingProxy]:
    proxy = aws.CountingProxy(moto.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
async def scaler(moto: aws.AwsStandIn, clock: FakeClock) -> AsyncIterator[Scaler]:
    hub = settings.HubSettings(sqs_freshness=FRESHNESS, stale_limit=STALE_LIMIT)
    async with running_scaler(hub, policy=TRUSTING, clock=clock) as running:
        yield running


def through(proxy: aws.CountingProxy, queue_url: str) -> dict[str, str]:
    return {"queueURL": queue_url, "awsEndpoint": proxy.url}


async def timed_value(scaler: Scaler, metadata: dict[str, str]) -> float:
    """GetMetrics as KEDA's HPA path asks it: with its deadline, which the answer must meet."""
    started = time.monotonic()
    value = await scaler.value(metadata, deadline=KEDA_DEADLINE)
    assert time.monotonic() - started < KEDA_DEADLINE
    return value


async def failure(scaler: Scaler, metadata: dict[str, str]) -> grpc.aio.AioRpcError:
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await scaler.value(metadata, deadline=KEDA_DEADLINE)
    assert time.monotonic() - started < KEDA_DEADLINE
    return raised.value


async def settle(clock: FakeClock) -> None:
    """Let the cached value age past its freshness window, so the next ask goes to AWS."""
    await clock.advance(FRESHNESS * 1.5)


@pytest.mark.parametrize("fault", [aws.THROTTLING, aws.INTERNAL_ERROR], ids=["throttling", "500"])
async def test_a_failing_aws_is_bridged_by_the_last_good_value_until_the_staleness_bound(
    clock: FakeClock, scaler: Scaler, proxy: aws.CountingProxy, sqs: Any, queue_url: str, fault: aws.Fault
) -> None:
    metadata = through(proxy, queue_url)
    send(sqs, queue_url, 3)
    assert await timed_value(scaler, metadata) == 3.0
    proxy.inject(fault)
    send(sqs, queue_url, 2)
    await settle(clock)
    assert await timed_value(scaler, metadata) == 3.0, "the last good value, while AWS fails"
    await clock.advance(STALE_LIMIT)
    error = await failure(scaler, metadata)
    assert error.code() is grpc.StatusCode.UNAVAILABLE
    assert fault.code in str(error.details())
    assert proxy.injected[fault.code] > 0
    proxy.heal()
    await clock.advance(RECOVERY)
    assert await timed_value(scaler, metadata) == 5.0, "recovered within a freshness window of AWS's return"


async def test_bursts_of_errors_never_reach_keda_within_the_default_staleness_bound(
    clock: FakeClock, moto: aws.AwsStandIn, proxy: aws.CountingProxy, sqs: Any, queue_url: str
) -> None:
    async with running_scaler(settings.HubSettings(sqs_freshness=FRESHNESS), policy=TRUSTING, clock=clock) as scaler:
        metadata = through(proxy, queue_url)
        send(sqs, queue_url, 4)
        assert await timed_value(scaler, metadata) == 4.0
        proxy.inject(aws.THROTTLING, aws.INTERNAL_ERROR, rate=0.5)
        for _ in range(6):
            await settle(clock)
            assert await timed_value(scaler, metadata) == 4.0
        assert proxy.injected.total() > 0


async def test_aws_slower_than_the_deadline_is_answered_in_time(
    clock: FakeClock, scaler: Scaler, proxy: aws.CountingProxy, sqs: Any, queue_url: str
) -> None:
    metadata = through(proxy, queue_url)
    send(sqs, queue_url, 2)
    assert await timed_value(scaler, metadata) == 2.0
    proxy.inject(aws.slow(5.0))
    await settle(clock)
    assert await timed_value(scaler, metadata) == 2.0, "the last good value, not a missed deadline"
    other = {**metadata, "queueURL": str(sqs.create_queue(QueueName="never-read")["QueueUrl"])}
    assert (await failure(scaler, other)).code() is grpc.StatusCode.UNAVAILABLE, "no good value to fall back on"


async def test_an_unreachable_endpoint_is_bridged_and_recovered_from(
    clock: FakeClock, scaler: Scaler, proxy: aws.CountingProxy, moto: aws.AwsStandIn, sqs: Any, queue_url: str
) -> None:
    metadata = through(proxy, queue_url)
    send(sqs, queue_url, 6)
    assert await timed_value(scaler, metadata) == 6.0
    proxy.stop()
    await settle(clock)
    assert await timed_value(scaler, metadata) == 6.0
    await clock.advance(STALE_LIMIT)
    assert (await failure(scaler, metadata)).code() is grpc.StatusCode.UNAVAILABLE
    back = aws.CountingProxy(moto.url, port=int(proxy.url.rsplit(":", 1)[1])).start()
    try:
        send(sqs, queue_url, 1)
        await clock.advance(RECOVERY)
        assert await timed_value(scaler, metadata) == 7.0
    finally:
        back.stop()


async def test_a_deleted_queue_is_reported_at_once_not_masked_by_a_stale_value(
    clock: FakeClock, scaler: Scaler, sqs: Any, queue_url: str
) -> None:
    metadata = {"queueURL": queue_url}
    send(sqs, queue_url, 1)
    assert await timed_value(scaler, metadata) == 1.0
    sqs.delete_queue(QueueUrl=queue_url)
    await settle(clock)
    assert (await failure(scaler, metadata)).code() is grpc.StatusCode.NOT_FOUND


async def test_a_staleness_bound_of_zero_reports_every_failure(
    clock: FakeClock, moto: aws.AwsStandIn, proxy: aws.CountingProxy, sqs: Any, queue_url: str
) -> None:
    hub = settings.HubSettings(sqs_freshness=FRESHNESS, stale_limit=0)
    async with running_scaler(hub, policy=TRUSTING, clock=clock) as scaler:
        metadata = through(proxy, queue_url)
        assert await timed_value(scaler, metadata) == 0.0
        proxy.inject(aws.THROTTLING)
        await settle(clock)
        assert (await failure(scaler, metadata)).code() is grpc.StatusCode.UNAVAILABLE
        assert proxy.injected["Throttling"] > 0
