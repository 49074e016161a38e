"""A clock that moves only when told to, for the scaler's tests and benchmarks (`kedawatch.scaler.clock.Clock`).

Sleepers wake when `advance()` moves the clock past their deadline, in deadline order, so "three intervals
pass and nothing is pushed" is checked without waiting three intervals, and never races the real clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time

__all__ = ["FakeClock"]


class FakeClock:
    def __init__(self, start: float = 1_000.0, epoch: float | None = None) -> None:
        """`start` is its monotonic reading; its wall clock starts at `epoch` (default: the real time now)."""
        self._now = start
        self._offset = (time.time() if epoch is None else epoch) - start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._now + self._offset

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), woken))
        await woken

    async def advance(self, seconds: float) -> None:
        """Move on by `seconds`, waking each sleeper at its deadline and letting it run before the next."""
        target = self._now + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, woken = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not woken.done():
                woken.set_result(None)
            await asyncio.sleep(0)
        self._now = target
        await asyncio.sleep(0)
