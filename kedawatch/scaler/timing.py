"""The scaler's time, from one clock: how old a value is, how long reads gather before they go out, when a
watch wakes, and where CloudWatch's windows end. Tests and benchmarks pass a clock they move by hand
(`kedawatch.standins.clock.FakeClock`), so what the scaler does over minutes is checked in milliseconds."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds that only move forward: ages and intervals."""
        ...

    def time(self) -> float:
        """Seconds since the Unix epoch: CloudWatch's windows."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
