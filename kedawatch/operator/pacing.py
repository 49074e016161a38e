"""Paces AWS calls under the account's quotas, so creating hundreds of alarms never meets throttling.

The pace is kept in the thread that makes the call, right before it: a slot granted on the event loop
could be spent late, behind busy worker threads, and several late calls would then go out together.
"""

from __future__ import annotations

import concurrent.futures
import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["PacedExecutor"]

T = TypeVar("T")


class PacedExecutor:
    """Runs calls on its own threads, starting at most `rate` a second, evenly spaced."""

    def __init__(self, rate: float, name: str) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()
        # Enough threads to keep the pace when each call takes up to 200 ms; never fewer than one.
        workers = max(1, math.ceil(rate / 5))
        self.executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix=name)

    def paced(self, call: Callable[..., T], *args: Any) -> T:
        """Wait for this call's slot in the calling (worker) thread, then make the call."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            time.sleep(start - now)
        return call(*args)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
