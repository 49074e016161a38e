"""Keeps the operator's AWS traffic within AWS's quotas: no 1 s window ever holds more calls of an operation in a
region than its quota (`kedawatch.aws.quotas`), botocore's retries included.

A call holds a place in its window from the moment it is sent until one window after its answer (`Window`). AWS
counts a request when it arrives, which is somewhere between those two moments, so however the network spreads
or bunches requests, no window at AWS holds more than the quota. The price is the answer's time: a quota of N
makes N calls per (1 s + answer time).

The place is taken in botocore's `before-send` event (`clients.Pace`), in the thread that sends, right before it
sends: the event fires once per attempt, so a retry after throttling waits for a place like any call, and a place
taken earlier (on the event loop) could be spent late, behind busy threads, with several late calls going together.

Calls run on worker threads, a lane per (operation, region), so calls waiting for one operation's quota never hold
up another's (timers' reads behind a bulk creation's writes).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import dataclasses
import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from kedawatch.operator import telemetry

__all__ = ["Pacer", "Window"]

T = TypeVar("T")
WINDOW = 1.0
"""Seconds: AWS's quotas are calls a second."""
LANE_THREADS = 2
"""Threads per lane: one call waiting for its place while another is answered keeps any quota's pace."""
MAX_WAIT = 1.0
"""Seconds a sending thread waits before looking again (a call in flight is answered within its timeouts)."""


class Stopped(Exception):
    """The operator is stopping: a call still waiting for its place is given up."""


class Window:
    """At most `limit` calls in any `seconds`, counting each from its sending until `seconds` after its answer. Not
    thread-safe: the pacer holds its lock around it. Times are the caller's clock, so tests can give them."""

    def __init__(self, limit: int, seconds: float = WINDOW) -> None:
        self.limit = limit
        self.seconds = seconds
        self._open = 0
        """Calls sent and not answered yet."""
        self._answered: collections.deque[float] = collections.deque()
        """When the calls answered within the last `seconds` were answered, oldest first."""

    def admit(self, now: float) -> float:
        """Take a place for a call sent at `now` and return 0; or return how long to wait before asking again
        (math.inf: until a call in flight is answered)."""
        while self._answered and self._answered[0] + self.seconds <= now:
            self._answered.popleft()
        if self._open + len(self._answered) < self.limit:
            self._open += 1
            return 0.0
        return self._answered[0] + self.seconds - now if self._answered else math.inf

    def answered(self, now: float) -> None:
        """A call admitted earlier has its answer (or failed without one) at `now`."""
        self._open -= 1
        self._answered.append(now)


@dataclasses.dataclass
class _Asked:
    """A call asked for on the event loop: counted as waiting until its first attempt is sent (or it is dropped)."""

    operation: str
    at: float
    settled: bool = False


class Pacer:
    """The windows of every (operation, region), the sending threads' waits for them, and the lanes of threads that
    make the calls. `begin` and `end` are `kedawatch.aws.clients.Pace`."""

    def __init__(
        self,
        limit: Callable[[str], int],
        metrics: telemetry.OperatorMetrics | None = None,
        seconds: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`limit` gives an operation's calls per `seconds` (its quota, or the operator's override)."""
        self._limit = limit
        self._metrics = metrics
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Condition()
        self._windows: dict[tuple[str, str], Window] = {}
        self._lanes: dict[tuple[str, str], concurrent.futures.ThreadPoolExecutor] = {}
        self._local = threading.local()
        self._stopped = False

    async def call(self, operation: str, region: str, call: Callable[..., T], *args: Any) -> T:
        """`call(*args)` on the lane of (operation, region): it makes `operation` calls (and maybe others)."""
        lane = self._lane(operation, region)
        asked = _Asked(operation, self._clock())
        if self._metrics is not None:
            self._metrics.waiting.labels(operation).inc()
        try:
            future = lane.submit(self._run, asked, call, *args)
        except RuntimeError as exc:  # closed since `_lane`
            self._settle(asked, None)
            raise Stopped(f"the operator is stopping: {operation} in {region} not started") from exc
        future.add_done_callback(lambda _: self._settle(asked, None))
        return await asyncio.wrap_future(future)

    def begin(self, operation: str, region: str) -> None:
        """Wait for a place in the window of (operation, region), then let the attempt go."""
        with self._lock:
            window = self._window(operation, region)
            while True:
                if self._stopped:
                    raise Stopped(f"the operator is stopping: {operation} in {region} given up")
                wait = window.admit(self._clock())
                if not wait:
                    break
                self._lock.wait(min(wait, MAX_WAIT))
        self._local.admitted = (operation, region)
        asked, self._local.asked = getattr(self._local, "asked", None), None
        if asked is not None:
            self._settle(asked, self._clock() - asked.at)

    def end(self, operation: str, region: str) -> None:
        """The attempt this thread sent has its answer: its place frees one window from now."""
        admitted, self._local.admitted = getattr(self._local, "admitted", None), None
        if admitted != (operation, region):
            return  # `begin` gave it up: it holds no place
        with self._lock:
            self._window(operation, region).answered(self._clock())
            self._lock.notify_all()

    def close(self) -> None:
        """Give up the calls waiting for a place or a thread; the calls already sent finish on their own."""
        with self._lock:
            self._stopped = True
            self._lock.notify_all()
            lanes = list(self._lanes.values())
        for lane in lanes:
            lane.shutdown(wait=False, cancel_futures=True)

    def _run(self, asked: _Asked, call: Callable[..., T], *args: Any) -> T:
        self._local.asked = asked
        try:
            return call(*args)
        finally:
            self._local.asked = None

    def _settle(self, asked: _Asked, waited: float | None) -> None:
        """The asked call was sent after `waited` seconds, or (None) ended without being sent: no longer waiting."""
        with self._lock:
            if asked.settled:
                return
            asked.settled = True
        if self._metrics is not None:
            self._metrics.waiting.labels(asked.operation).dec()
            if waited is not None:
                self._metrics.wait.labels(asked.operation).observe(waited)

    def _window(self, operation: str, region: str) -> Window:
        key = (operation, region)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = Window(max(1, self._limit(operation)), self._seconds)
        return window

    def _lane(self, operation: str, region: str) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._stopped:
                raise Stopped(f"the operator is stopping: {operation} in {region} not started")
            lane = self._lanes.get((operation, region))
            if lane is None:
                lane = self._lanes[operation, region] = concurrent.futures.ThreadPoolExecutor(
                    LANE_THREADS, thread_name_prefix=f"aws-{operation}-{region}"
                )
            return lane
