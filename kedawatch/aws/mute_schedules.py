"""Alarm mute rule schedules as CloudWatch reads them: when each window opens and how long it stays open. No calls.

A schedule (PutAlarmMuteRule's `Rule.Schedule`) is:

- an Expression, `cron(Minutes Hours Day-of-month Month Day-of-week)` with `*`, `-` and `,` in every field and
  JAN-DEC, SUN-SAT names (day of week 0-6, Sunday 0, as in cron), or `at(yyyy-MM-ddThh:mm)` for one window;
- a Duration, an ISO 8601 duration (PnDTnHnMnS) from 1 minute (PT1M) to 15 days (P15D);
- a Timezone, an IANA time zone (UTC by default) that the expression is read in.

The AWS stand-in refuses what AWS refuses with these messages; the operator refuses the same before any call, and
tells when a rule's next window opens (which CloudWatch does not answer).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import zoneinfo

from kedawatch.aws import vocabulary

__all__ = ["DURATION", "Schedule", "ScheduleError"]

MIN_DURATION, MAX_DURATION = datetime.timedelta(minutes=1), datetime.timedelta(days=15)
LOOKAHEAD_DAYS = 8 * 366
"""Days searched for a cron window ahead: a 29 February that is also a given weekday recurs within 28 years, but
a window further off than 8 years is as good as none for a maintenance calendar."""
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\(([^()]*)\)$")
_CRON_FORM = "Minutes Hours Day-of-month Month Day-of-week"
DURATION = r"^P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)S)?)?$"
"""An ISO 8601 duration of days, hours, minutes and seconds, as PutAlarmMuteRule's Duration takes it (also the
CRD's pattern; "P" and "PT" alone match it, and `Schedule.parse` refuses them)."""
_DURATION = re.compile(DURATION)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS = (("minutes", 0, 59, ()), ("hours", 0, 23, ()), ("day-of-month", 1, 31, ()), ("month", 1, 12, _MONTHS),
           ("day-of-week", 0, 6, _DAYS))  # fmt: skip


class ScheduleError(ValueError):
    """The schedule is not one CloudWatch accepts; the message says which part and why, as AWS would."""


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
    def parse(expression: str, duration: str, timezone: str = "UTC") -> Schedule:
        """Raises `ScheduleError` naming the part at fault."""
        found_zone = vocabulary.zone(timezone)
        if found_zone is None:
            raise ScheduleError(f"Invalid Timezone {timezone!r}: give an IANA time zone such as America/New_York")
        length = _duration(duration)
        expression = expression.strip()
        at, cron = _AT.match(expression), _CRON.match(expression)
        if at:
            try:
                start = datetime.datetime.fromisoformat(at[1]).replace(tzinfo=found_zone)
            except ValueError as exc:
                raise ScheduleError(f"Invalid at() expression {expression!r}: {exc}") from exc
            return Schedule(length, found_zone, at=start)
        if cron:
            parts = cron[1].split()
            if len(parts) != len(_FIELDS):
                raise ScheduleError(f"Invalid cron() expression {expression!r}: it takes 5 fields, {_CRON_FORM}")
            fields = tuple(_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True))
            return Schedule(length, found_zone, fields=fields, restricted=(parts[2] != "*", parts[4] != "*"))
        raise ScheduleError(f"Invalid Expression {expression!r}: give cron({_CRON_FORM}) or at(yyyy-MM-ddThh:mm)")

    @property
    def one_time(self) -> bool:
        return self.at is not None

    def last_start(self, now: datetime.datetime) -> datetime.datetime | None:
        """The latest start of a window at or before `now` that may still be open (within one duration)."""
        if self.at is not None:
            return self.at if self.at <= now else None
        local = now.astimezone(self.zone).replace(second=0, microsecond=0)
        earliest = local - self.duration
        day = local.date()
        while day >= earliest.date():
            for start in reversed(self._starts_on(day)):
                if start <= local:
                    return start if start > earliest else None
            day -= datetime.timedelta(days=1)
        return None

    def next_start(self, after: datetime.datetime) -> datetime.datetime | None:
        """The first start of a window strictly after `after`; None when there is none (within 8 years)."""
        if self.at is not None:
            return self.at if self.at > after else None
        local = after.astimezone(self.zone)
        day = local.date()
        for _ in range(LOOKAHEAD_DAYS):
            for start in self._starts_on(day):
                if start > local:
                    return start
            day += datetime.timedelta(days=1)
        return None

    def open_until(self, now: datetime.datetime) -> datetime.datetime | None:
        """When the window open at `now` closes; None when none is open."""
        opened = self.last_start(now)
        if opened is None or now >= opened + self.duration:
            return None
        return opened + self.duration

    def _starts_on(self, day: datetime.date) -> list[datetime.datetime]:
        if not self._matches_day(day):
            return []
        return [
            datetime.datetime.combine(day, datetime.time(hour, minute), self.zone)
            for hour in sorted(self.fields[1])
            for minute in sorted(self.fields[0])
        ]

    def _matches_day(self, day: datetime.date) -> bool:
        if day.month not in self.fields[3]:
            return False
        by_month, by_week = day.day in self.fields[2], (day.isoweekday() % 7) in self.fields[4]
        return (by_month or by_week) if all(self.restricted) else (by_month and by_week)


def _duration(text: str) -> datetime.timedelta:
    found = _DURATION.match(text)
    if not found or text in ("P", "PT") or text.endswith("T"):
        raise ScheduleError(f"Invalid Duration {text!r}: give an ISO 8601 duration such as PT4H or P2DT12H")
    days, hours, minutes, seconds = (int(part or 0) for part in found.groups())
    duration = datetime.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise ScheduleError(f"Duration {text} must be from 1 minute (PT1M) to 15 days (P15D)")
    return duration


def _field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    """The values one cron field matches: `*`, numbers or names, ranges a-b, lists a,b."""
    if text == "*":
        return frozenset(range(low, high + 1))
    values: set[int] = set()
    for item in text.split(","):
        bounds = [_value(bound, name, low, high, names) for bound in item.split("-")]
        if len(bounds) > 2 or bounds[0] > bounds[-1]:
            raise ScheduleError(f"Invalid cron() {name} field {text!r}: give *, a value, a range a-b, or a list a,b")
        values.update(range(bounds[0], bounds[-1] + 1))
    return frozenset(values)


def _value(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text.upper() in names:
        return names.index(text.upper()) + low
    if not text.isdigit() or not low <= int(text) <= high:
        spelled = f" or {names[0]}-{names[-1]}" if names else ""
        raise ScheduleError(f"Invalid cron() {name} field value {text!r}: it must be {low}-{high}{spelled}")
    return int(text)
