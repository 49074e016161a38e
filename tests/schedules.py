"""Mute schedules for tests that expect a rule not to be muting now, whatever the day and hour they run at."""

from __future__ import annotations

import datetime

_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_NOW = datetime.datetime.now(datetime.UTC)

AWAY_DAY = _DAYS[(_NOW.weekday() + 3) % 7]
"""A weekday three days from now: a window of a few hours on it opens in two days at the soonest, in any time
zone, so a rule on it is SCHEDULED through a whole run."""
WEEKLY_AWAY = f"cron(0 2 * * {AWAY_DAY})"
