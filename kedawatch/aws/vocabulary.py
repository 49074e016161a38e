"""The names CloudWatch uses, for validating metadata and schemas before anything is sent. No calls here."""

from __future__ import annotations

import re

__all__ = [
    "EXTENDED_STATISTIC",
    "MAX_QUERIES",
    "STANDARD_UNITS",
    "STATISTICS",
    "alarm_period_ok",
    "metric_period_problem",
    "statistic_problem",
    "unit_problem",
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
    return f"must be one of {', '.join(STATISTICS)} or a percentile/extended statistic such as p99"


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
