"""The names CloudWatch uses, for validating metadata and schemas before anything is sent. No calls here."""

from __future__ import annotations

import re
import zoneinfo

__all__ = [
    "EXTENDED_STATISTIC",
    "MAX_QUERIES",
    "STANDARD_UNITS",
    "STATISTICS",
    "WALL_CLOCK_PERIODS",
    "WALL_CLOCK_TIMEZONE",
    "alarm_period_ok",
    "metric_period_problem",
    "statistic_problem",
    "unit_problem",
    "wall_clock_timezone_problem",
    "zone",
]

STANDARD_UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
)  # fmt: skip
"""CloudWatch's StandardUnit values."""
MAX_QUERIES = 500
"""GetMetricData's limit on queries a call, metric-math queries of every list included."""
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
EXTENDED_STATISTIC = r"^((p|tm|tc|ts|wm)(100|\d{1,2}(\.\d{1,10})?)|(TM|TC|TS|WM|PR)\([^()]{1,40}\)|IQM)$"
"""Percentiles and the other extended statistics, as a pattern both for metadata and for CRD schemas."""


def statistic_problem(value: str) -> str | None:
    if value in STATISTICS or re.fullmatch(EXTENDED_STATISTIC, value):
        return None
    return f"must be one of {', '.join(STATISTICS)} or an extended statistic such as p99"


def metric_period_problem(value: int) -> str | None:
    """GetMetricData's periods: high-resolution 1, 5, 10, 20, 30, or a multiple of 60. (KEDA's aws-cloudwatch
    refuses 20, which CloudWatch takes: accepting it breaks no trigger that works with KEDA.)"""
    if value in (1, 5, 10, 20, 30) or (value > 0 and value % 60 == 0):
        return None
    return "must be 1, 5, 10, 20, 30, 60 or a multiple of 60"


def unit_problem(value: str) -> str | None:
    return None if value in STANDARD_UNITS else f"must be one of {', '.join(STANDARD_UNITS)}"


def alarm_period_ok(period: int) -> bool:
    """An alarm's Period (and its metric-math queries'): 10, 20, 30 or a multiple of 60 seconds (PutMetricAlarm)."""
    return period in (10, 20, 30) or (period > 0 and period % 60 == 0)


WALL_CLOCK_PERIODS = (60, 300, 3600, 86400, 604800)
"""The periods a wall-clock evaluation window aligns to: a minute, 5 minutes, an hour, a day, a week."""
WALL_CLOCK_TIMEZONE = r"^((UTC)?[+-][0-9]{2}:[0-9]{2}|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*)$"
"""The forms of a wall-clock window's time zone: an offset (+05:30, UTC+05:30) or what could be an IANA name."""
_OFFSET = re.compile(r"^(UTC)?[+-]([0-9]{2}):([0-9]{2})$")


def zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The IANA time zone `name` (UTC included), or None if there is none of that name."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def wall_clock_timezone_problem(value: str) -> str | None:
    """A WallClockWindow's Timezone: an IANA name, a UTC offset (+05:30) or UTC+05:30, in steps of 5 minutes."""
    offset = _OFFSET.match(value)
    if offset:
        hours, minutes = int(offset[2]), int(offset[3])
        if hours <= 14 and minutes < 60 and minutes % 5 == 0:
            return None
    elif zone(value) is not None:
        return None
    return "must be an IANA time zone (America/New_York), an offset such as +05:30, or UTC+05:30, in steps of 5 minutes"
