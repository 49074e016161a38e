"""Alarm mute rules: their schedules, what PutAlarmMuteRule refuses, and a rule's status at a given time.

Checked, each a 400 ValidationError, as the API reference describes each member (on top of the input shape:
name 1..255, expression 1..256, duration and time zone 1..50 characters, at most 100 target alarms):

- the schedule's Expression, Duration and Timezone, as `kedawatch.aws.mute_schedules` reads them (the operator
  checks its specs with the same rules); StartDate and ExpireDate are instants;
- ExpireDate is after StartDate; every target alarm exists in the account and region.

Status, at the time asked: EXPIRED once ExpireDate has passed (or a one-time window has ended), ACTIVE while a
window of the schedule is open and StartDate has passed, SCHEDULED otherwise. MuteType is ONE_TIME for `at`,
RECURRING for `cron`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from kedawatch.aws import mute_schedules
from kedawatch.standins.alarms.checks import refuse

__all__ = ["check", "mute_type", "status"]


def parse(schedule: Mapping[str, Any]) -> mute_schedules.Schedule:
    try:
        return mute_schedules.Schedule.parse(
            schedule["Expression"], schedule["Duration"], schedule.get("Timezone", "UTC")
        )
    except mute_schedules.ScheduleError as exc:
        refuse(str(exc))


def check(params: Mapping[str, Any], exists: Callable[[str], bool]) -> mute_schedules.Schedule:
    schedule = parse(params["Rule"]["Schedule"])
    start, expire = params.get("StartDate"), params.get("ExpireDate")
    if start is not None and expire is not None and expire <= start:
        refuse("ExpireDate must be after StartDate")
    missing = [name for name in params.get("MuteTargets", {}).get("AlarmNames", []) if not exists(name)]
    if missing:
        refuse(f"The mute rule targets alarms that do not exist: [{', '.join(missing)}]")
    return schedule


def mute_type(schedule: mute_schedules.Schedule) -> str:
    return "ONE_TIME" if schedule.one_time else "RECURRING"


def status(rule: Mapping[str, Any], now: datetime.datetime) -> str:
    schedule = parse(rule["Rule"]["Schedule"])
    expire, start = rule.get("ExpireDate"), rule.get("StartDate")
    if (expire is not None and now >= expire) or (schedule.at is not None and now >= schedule.at + schedule.duration):
        return "EXPIRED"
    opened = schedule.last_start(now)
    if opened is not None and now < opened + schedule.duration and (start is None or now >= start):
        return "ACTIVE"
    return "SCHEDULED"
