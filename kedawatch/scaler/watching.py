"""Activity watches for StreamIsActive: one checker per distinct trigger, however many streams share it.

Each watch checks its trigger on a grid of its push interval that every watch of the process shares, so
watches of different triggers on one queue also share one read per interval. Streams sleep until an
inactive-to-active edge, so thousands of open streams cost nothing between edges. Only an inactive
trigger needs reads that fresh: once active, a watch only looks at the values KEDA's own polls read, so an
active trigger costs no reads of its own, and its return to inactive is noticed at KEDA's next poll.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterator, Awaitable, Callable

from kedawatch.scaler import timing, triggers

__all__ = ["ActivityWatcher"]

Check = Callable[[triggers.Trigger, float | None], Awaitable[bool | None]]
"""Is the trigger active, from a value no older than the given seconds (None: the latest value read,
without reading); None when it cannot tell."""


@dataclasses.dataclass(eq=False)
class _Watch:
    active: bool = False
    edges: int = 0
    """How many inactive-to-active edges this watch has seen."""
    subscribers: int = 0
    changed: asyncio.Condition = dataclasses.field(default_factory=asyncio.Condition)
    task: asyncio.Task[None] | None = None

    def has_edge_after(self, seen: int) -> bool:
        return self.edges > seen


class ActivityWatcher:
    def __init__(self, check: Check, interval_of: Callable[[triggers.Trigger], float], clock: timing.Clock) -> None:
        self._check = check
        self._interval_of = interval_of
        self._time = clock
        self._watches: dict[triggers.Trigger, _Watch] = {}

    async def edges(self, trigger: triggers.Trigger) -> AsyncIterator[None]:
        """Yields once per inactive-to-active edge, and at once if the trigger is active when subscribing."""
        watch = self._subscribe(trigger)
        try:
            seen = watch.edges
            if watch.active:
                yield
            while True:
                async with watch.changed:
                    await watch.changed.wait_for(functools.partial(watch.has_edge_after, seen))
                seen = watch.edges
                yield
        finally:
            self._unsubscribe(trigger, watch)

    def _subscribe(self, trigger: triggers.Trigger) -> _Watch:
        watch = self._watches.get(trigger)
        if watch is None:
            watch = self._watches[trigger] = _Watch()
            watch.task = asyncio.get_running_loop().create_task(self._run(trigger, watch))
        watch.subscribers += 1
        return watch

    def _unsubscribe(self, trigger: triggers.Trigger, watch: _Watch) -> None:
        watch.subscribers -= 1
        if watch.subscribers == 0:
            del self._watches[trigger]
            if watch.task is not None:
                watch.task.cancel()

    async def _run(self, trigger: triggers.Trigger, watch: _Watch) -> None:
        interval = self._interval_of(trigger)
        while True:
            now_active = await self._check(trigger, None if watch.active else interval / 2)
            if now_active is not None:
                if now_active and not watch.active:
                    watch.edges += 1
                    async with watch.changed:
                        watch.changed.notify_all()
                watch.active = now_active
            await self._time.sleep(interval - self._time.monotonic() % interval)
