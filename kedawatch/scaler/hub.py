"""The MetricHub: every AWS read of the scaler goes through here.

It answers from cache while a value is fresh, lets concurrent askers of the same value wait for one
in-flight call, and gathers distinct reads that arrive together into batches (up to 500 CloudWatch queries
per GetMetricData). KEDA asks each trigger on its own schedule, so a batch also takes along every read of
its group that is past half its freshness and still in use: the whole group is refreshed in one call
rather than one call per trigger as each expires. Callers' timeouts never cancel a shared call: the answer
still lands in the cache. While AWS fails for a passing reason (throttling, 5xx, unreachable, too slow), the
last good answer is served for up to `stale_limit`, so a short outage does not scale workloads to zero.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
from collections.abc import Coroutine, Hashable, Mapping
from typing import Any, TypeVar, cast

from kedawatch import settings
from kedawatch.aws import errors
from kedawatch.scaler import reads, telemetry, timing
from kedawatch.scaler.sources import base

__all__ = ["MetricHub"]

R = TypeVar("R")


@dataclasses.dataclass(slots=True)
class _Entry:
    answer: Any
    at: float
    """When the call that produced the answer started: the value is at least this fresh."""
    wall: float
    """The same moment on the wall clock, for sources whose freshness follows it (CloudWatch's periods)."""
    asked: float
    """When it was last asked for: values nobody asks for are neither refreshed ahead nor kept."""
    good: tuple[Any, float] | None
    """The latest good answer and its `at`: the answer itself, or what an error replaced."""


@dataclasses.dataclass(eq=False)
class _Gathering:
    """Reads waiting to go out together, and when the first and the latest of them arrived."""

    reads: list[reads.Read[Any]]
    first: float
    latest: float
    size: int = 0
    """How much of a call its reads take (`Fetcher.size`: a metric-math list counts each of its queries)."""


class MetricHub:
    def __init__(
        self,
        fetcher_for: Mapping[type[reads.Read[Any]], base.Fetcher],
        hub_settings: settings.HubSettings,
        executor: concurrent.futures.Executor,
        metrics: telemetry.ScalerMetrics,
        clock: timing.Clock,
    ) -> None:
        self._fetcher_for = fetcher_for
        self._settings = hub_settings
        self._executor = executor
        self._metrics = metrics
        self._clock = clock.monotonic
        self._time = clock
        self._cache: dict[reads.Read[Any], _Entry] = {}
        self._inflight: dict[reads.Read[Any], asyncio.Future[Any]] = {}
        self._pending: dict[tuple[base.Fetcher, Hashable], _Gathering] = {}
        self._groups: dict[tuple[base.Fetcher, Hashable], set[reads.Read[Any]]] = {}
        self._calls: set[asyncio.Task[None]] = set()
        self._gatherers: set[asyncio.Task[None]] = set()
        self._swept_at = self._clock()

    def push_interval(self, read: reads.Read[Any]) -> float:
        return self._fetcher_for[type(read)].push_interval(read)

    async def read(self, read: reads.Read[R], max_age: float | None = None) -> R:
        """The answer to `read`, no older than its freshness window (or `max_age`, if shorter), within
        `rpc_timeout`. While AWS fails for a passing reason or takes longer than `stale_wait`, the last good
        answer up to `stale_limit` old.

        Raises `errors.AwsError` when AWS failed (or last failed, when a retry is still under way at the
        deadline), `TimeoutError` when it did not answer in time.
        """
        patience = self._settings.rpc_timeout
        if self._stale(read) is not None:
            patience = min(patience, self._settings.stale_wait)
        try:
            async with asyncio.timeout(patience):
                return await self._read(read, max_age)
        except (errors.AwsError, TimeoutError) as exc:
            if isinstance(exc, errors.AwsError) and exc.failure not in errors.TRANSIENT:
                raise
            stale = self._stale(read)
            if stale is None:
                latest = self._latest_error(read)
                raise (latest.again() if latest else exc) from None
            self._metrics.cache.labels("stale").inc()
            return cast(R, stale[0])

    def peek(self, read: reads.Read[R]) -> R | None:
        """The latest good answer to `read` without asking AWS, however old, unless an error followed it
        more than `stale_limit` after it: None when there is none."""
        entry = self._cache.get(read)
        if entry is None or entry.good is None:
            return None
        if isinstance(entry.answer, errors.AwsError) and self._stale(read) is None:
            return None
        return cast(R, entry.good[0])

    def _latest_error(self, read: reads.Read[Any]) -> errors.AwsError | None:
        """What AWS last said, to name when a retry of it is still under way at the deadline."""
        entry = self._cache.get(read)
        return entry.answer if entry is not None and isinstance(entry.answer, errors.AwsError) else None

    def _stale(self, read: reads.Read[Any]) -> tuple[Any, float] | None:
        entry = self._cache.get(read)
        limit = self._settings.stale_limit
        if entry is None or entry.good is None or self._clock() - entry.good[1] > limit:
            return None
        return entry.good

    async def _read(self, read: reads.Read[R], max_age: float | None) -> R:
        fetcher = self._fetcher_for[type(read)]
        self._sweep()
        entry = self._cache.get(read)
        if entry is not None:
            entry.asked = self._clock()
            if self._fresh(fetcher, read, entry, max_age):
                self._metrics.cache.labels("hit").inc()
                return cast(R, self._unwrap(entry.answer))
        future = self._inflight.get(read)
        if future is not None:
            self._metrics.cache.labels("coalesced").inc()
        else:
            self._metrics.cache.labels("miss").inc()
            future = self._start(fetcher, read)
        return cast(R, self._unwrap(await asyncio.shield(future)))

    async def settle(self) -> None:
        """Wait until no AWS call is under way (a read that outlived its RPC lands in the cache meanwhile)."""
        while self._calls:
            await asyncio.gather(*self._calls, return_exceptions=True)

    async def close(self) -> None:
        """Send what is gathering and wait for the AWS calls under way, so none is cut off mid-flight."""
        for key in list(self._pending):
            self._flush(key)
        for gatherer in self._gatherers:
            gatherer.cancel()
        await self.settle()

    def _fresh(self, fetcher: base.Fetcher, read: reads.Read[Any], entry: _Entry, max_age: float | None) -> bool:
        age = self._clock() - entry.at
        if isinstance(entry.answer, errors.AwsError) and age > self._settings.error_ttl:
            return False
        # Wall time measured by the monotonic clock since the call: a step of the wall clock changes nothing.
        return entry.wall + age < fetcher.expiry(read, entry.wall, max_age)

    @staticmethod
    def _unwrap(answer: Any) -> Any:
        if isinstance(answer, errors.AwsError):
            raise answer.again()
        return answer

    def _start(self, fetcher: base.Fetcher, read: reads.Read[Any]) -> asyncio.Future[Any]:
        future = self._expect(read)
        self._groups.setdefault((fetcher, fetcher.group_key(read)), set()).add(read)
        key = (fetcher, fetcher.batch_key(read, self._time.time()))
        now, size = self._clock(), fetcher.size(read)
        gathering = self._pending.get(key)
        if gathering is not None and gathering.size + size > fetcher.max_batch:
            self._flush(key)
            gathering = None
        if gathering is None:
            gathering = self._pending[key] = _Gathering([], now, now)
            if fetcher.max_batch > 1:
                self._spawn(self._gatherers, self._send_when_quiet(key, gathering))
        gathering.reads.append(read)
        gathering.size += size
        gathering.latest = now
        if gathering.size >= fetcher.max_batch:
            self._flush(key)
        return future

    async def _send_when_quiet(self, key: tuple[base.Fetcher, Hashable], gathering: _Gathering) -> None:
        """Send once no read has joined for `gather_delay`, or `gather_limit` after the first: a burst of
        KEDA's polls (after a restart) arrives over a while, not all at once."""
        while self._pending.get(key) is gathering:
            due = min(gathering.latest + self._settings.gather_delay, gathering.first + self._settings.gather_limit)
            if due <= self._clock():
                self._flush(key)
                return
            await self._time.sleep(due - self._clock())

    def _spawn(self, tasks: set[asyncio.Task[None]], work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def _expect(self, read: reads.Read[Any]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[read] = future
        return future

    def _flush(self, key: tuple[base.Fetcher, Hashable]) -> None:
        """Send the batch gathered under `key`, with the group's reads due soon."""
        gathering = self._pending.pop(key, None)
        if gathering is not None:
            self._take_along(key, gathering)
            self._spawn(self._calls, self._call(key, gathering.reads))

    def _take_along(self, key: tuple[base.Fetcher, Hashable], gathering: _Gathering) -> None:
        """Add the group's reads that expire within half their freshness, would be fresher read now, were asked
        for within two freshness windows, and would go in this very call, while there is room."""
        fetcher, batch_key = key
        now, wall = self._clock(), self._time.time()
        for read in self._groups.get((fetcher, fetcher.group_key(gathering.reads[0])), ()):
            entry, size = self._cache.get(read), fetcher.size(read)
            freshness = fetcher.freshness(read)
            if (
                entry
                and read not in self._inflight
                and self._due(fetcher, read, entry, wall, freshness / 2)
                and now - entry.asked < 2 * freshness
                and gathering.size + size <= fetcher.max_batch
                and fetcher.batch_key(read, wall) == batch_key
            ):
                self._expect(read)
                gathering.reads.append(read)
                gathering.size += size

    def _due(self, fetcher: base.Fetcher, read: reads.Read[Any], entry: _Entry, wall: float, within: float) -> bool:
        """The answer expires within `within`, and one read now would expire later (not so for one just read)."""
        expires = fetcher.expiry(read, entry.wall, None)
        return expires - (entry.wall + self._clock() - entry.at) < within and expires < fetcher.expiry(read, wall, None)

    async def _call(self, key: tuple[base.Fetcher, Hashable], batch: list[reads.Read[Any]]) -> None:
        fetcher, batch_key = key
        started, wall = self._clock(), self._time.time()
        loop = asyncio.get_running_loop()
        try:
            answers = await loop.run_in_executor(self._executor, fetcher.fetch, batch_key, batch)
        except Exception as exc:  # a fetcher bug must not leave askers waiting forever
            answers = [errors.translate(exc)] * len(batch)
        for read, answer in zip(batch, answers, strict=True):
            previous = self._cache.get(read)
            asked, good = (previous.asked, previous.good) if previous else (started, None)
            if not isinstance(answer, errors.AwsError):
                good = (answer, started)
            self._cache[read] = _Entry(answer, started, wall, asked, good)
            future = self._inflight.pop(read)
            if not future.done():
                future.set_result(answer)

    def _sweep(self) -> None:
        """Drop answers nobody asked for within `retain`: triggers come and go."""
        now = self._clock()
        if now - self._swept_at < self._settings.retain / 10:
            return
        self._swept_at = now
        for read in [r for r, e in self._cache.items() if now - e.asked > self._settings.retain]:
            del self._cache[read]
        for group in self._groups.values():
            group.intersection_update(self._cache.keys() | self._inflight.keys())
