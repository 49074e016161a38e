"""Paces AWS writes under the account's quota, so creating hundreds of alarms never meets throttling."""

from __future__ import annotations

import asyncio
import time

__all__ = ["WriteLimiter"]


class WriteLimiter:
    """A token bucket of `rate` tokens per second, holding at most one: writes are evenly spaced."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)
