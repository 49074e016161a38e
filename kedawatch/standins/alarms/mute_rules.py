"""Alarm mute rules: their schedules, what PutAlarmMuteRule refuses, and a rule's status at a given time.

Checked, each a 400 ValidationError, as the API reference describes each member (on top of the input shape:
name 1..255, expression 1..256, duration and time zone 1..50 characters, at most 100 target alarms):

- Expression is `cron(Minutes Hours Day-of-month Month Day-of-week)` with `*`, `-` and `,` in every field and
  JAN-DEC, SUN-SAT names (day of week 0-6, Sunday 0, as in cron), or `at(yyyy-MM-ddThh:mm)`;
- Duration is an ISO 8601 duration (PnDTnHnMnS) from 1 minute (PT1M) to 15 days (P15D);
- Timezone is an IANA time zone (UTC by default) that the expression is read in (StartDate and ExpireDate
  are instants);
- ExpireDate is after StartDate; every target alarm exists in the account and region.

Status, at the time asked: EXPIRED once ExpireDate has passed (or a one-time window has ended), ACTIVE while a
window of the schedule is open and StartDate has passed, SCHEDULED otherwise. MuteType is ONE_TIME for `at`,
RECURRING for `cron`.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any

from kedawatch.standins.alarms import checks
from kedawatch.standins.alarms.checks import refuse

__all__ = ["check", "mute_type", "status"]

MIN_DURATION, MAX_DURATION = datetime.timedelta(minutes=1), datetime.timedelta(days=15)
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\(([^()]*)\)$")
_CRON_FORM = "Minutes Hours Day-of-month Month Day-of-week"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS = (("minutes", 0, 59, ()), ("hours", 0, 23, ()), ("day-of-month", 1, 31, ()), ("month", 1, 12, _MONTHS),
           ("day-of-week", 0, 6, _DAYS))  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A rule's schedule, parsed: a one-time start (`at`) or the sets of values a cron expression matches."""

    duration: datetime.timedelta
    zone: zoneinfo.ZoneInfo
    at: datetime.datetime | None = None
    fields: tuple[frozenset[int], ...] = ()
    restricted: tuple[bool, bool] = (False, False)
    """Whether day-of-month and day-of-week are restricted: cron matches either when both are."""

    @staticmethod
    def parse(schedule: Mapping[str, Any]) -> Schedule:
        zone = checks.zone(schedule.get("Timezone", "UTC"))
        if zone is None:
            refuse(f"Invalid Timezone {schedule['Timezone']!r}: give an IANA time zone such as America/New_York")
        duration = _duration(schedule["Duration"])
        expression = schedule["Expression"].strip()
        at, cron = _AT.match(expression), _CRON.match(expression)
        if at:
            try:
                start = datetime.datetime.fromisoformat(at[1]).replace(tzinfo=zone)
            except ValueError as exc:
                refuse(f"Invalid at() expression {expression!r}: {exc}")
            return Schedule(duration, zone, at=start)
        if cron:
            parts = cron[1].split()
            if len(parts) != len(_FIELDS):
                refuse(f"Invalid cron() expression {expression!r}: it takes 5 fields, {_CRON_FORM}")
            fields = tuple(_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True))
            return Schedule(duration, zone, fields=fields, restricted=(parts[2] != "*", parts[4] != "*"))
        refuse(f"Invalid Expression {expression!r}: give cron({_CRON_FORM}) or at(yyyy-MM-ddThh:mm)")

    def last_start(self, now: datetime.datetime) -> datetime.datetime | None:
        """The latest start of a window at or before `now` that may still be open (within one duration)."""
        if self.at is not None:
            return self.at if self.at <= now else None
        local = now.astimezone(self.zone).replace(second=0, microsecond=0)
        earliest = local - self.duration
        day = local.date()
        while day >= earliest.date():
            if self._matches_day(day):
                for hour in sorted(self.fields[1], reverse=True):
                    for minute in sorted(self.fields[0], reverse=True):
                        start = datetime.datetime.combine(day, datetime.time(hour, minute), self.zone)
                        if start <= local:
                            return start if start > earliest else None
            day -= datetime.timedelta(days=1)
        return None

    def _matches_day(self, day: datetime.date) -> bool:
        if day.month not in self.fields[3]:
            return False
        by_month, by_week = day.day in self.fields[2], (day.isoweekday() % 7) in self.fields[4]
        return (by_month or by_week) if all(self.restricted) else (by_month and by_week)


def check(params: Mapping[str, Any], exists: Callable[[str], bool]) -> Schedule:
    schedule = Schedule.parse(params["Rule"]["Schedule"])
    start, expire = params.get("StartDate"), params.get("ExpireDate")
    if start is not None and expire is not None and expire <= start:
        refuse("ExpireDate must be after StartDate")
    missing = [name for name in params.get("MuteTargets", {}).get("AlarmNames", []) if not exists(name)]
    if missing:
        refuse(f"The mute rule targets alarms that do not exist: [{', '.join(missing)}]")
    return schedule


def mute_type(schedule: Schedule) -> str:
    return "ONE_TIME" if schedule.at is not None else "RECURRING"


def status(rule: Mapping[str, Any], now: datetime.datetime) -> str:
    schedule = Schedule.parse(rule["Rule"]["Schedule"])
    expire, start = rule.get("ExpireDate"), rule.get("StartDate")
    if (expire is not None and now >= expire) or (schedule.at is not None and now >= schedule.at + schedule.duration):
        return "EXPIRED"
    opened = schedule.last_start(now)
    if opened is not None and now < opened + schedule.duration and (start is None or now >= start):
        return "ACTIVE"
    return "SCHEDULED"


def _duration(text: str) -> datetime.timedelta:
    found = _DURATION.match(text)
    if not found or text in ("P", "PT") or text.endswith("T"):
        refuse(f"Invalid Duration {text!r}: give an ISO 8601 duration such as PT4H or P2DT12H")
    days, hours, minutes, seconds = (int(part or 0) for part in found.groups())
    duration = datetime.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not MIN_DURATION <= duration <= MAX_DURATION:
        refuse(f"Duration {text} must be from 1 minute (PT1M) to 15 days (P15D)")
    return duration


def _field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    """The values one cron field matches: `*`, numbers or names, ranges a-b, lists a,b."""
    if text == "*":
        return frozenset(range(low, high + 1))
    values: set[int] = set()
    for item in text.split(","):
        bounds = [_value(bound, name, low, high, names) for bound in item.split("-")]
        if len(bounds) > 2 or bounds[0] > bounds[-1]:
            refuse(f"Invalid cron() {name} field {text!r}: give *, a value, a range a-b, or a list a,b")
        values.update(range(bounds[0], bounds[-1] + 1))
    return frozenset(values)


def _value(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text.upper() in names:
        return names.index(text.upper()) + low
    if not text.isdigit() or not low <= int(text) <= high:
        spelled = f" or {names[0]}-{names[-1]}" if names else ""
        refuse(f"Invalid cron() {name} field value {text!r}: it must be {low}-{high}{spelled}")
    return int(text)
