"""The operator's access to CloudWatch alarms, mute rules and dashboards: paced calls, and batched sweeps for the
periodic resync.

A sweep reads every tracked alarm of a region at once, ceil(alarms / 100) DescribeAlarms, shared by every object's
timer that asks within the sweep's age. Ownership is judged from the tags the operator knows: those it wrote, read,
or listed; the drift check lists the region's tags (ceil(alarms / 100) GetResources pages) once per its own interval,
so that tags changed by hand are seen. No sweep reads an alarm's tags one by one.

Reconciles ask for one alarm at a time; when many do at once (a start with hundreds of objects), their
DescribeAlarms go out together, up to 100 names a call, and their tags come from one listing of the region.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

from kedawatch.aws import alarms, clients, dashboards, identities, mute_rules
from kedawatch.operator import ownership, pacing, telemetry
from kedawatch.operator.resources import crds, fields

__all__ = ["CROWD", "AlarmStore"]

T = TypeVar("T")
ALARM_TYPES = tuple(sorted({d.spec.alarm.alarm_type for d in crds.ALARM_DEFINITIONS if d.spec.alarm is not None}))
"""What DescribeAlarms is asked for: every type an alarm kind declares, so one sweep sees every kind's alarms."""
NEVER = float("-inf")
CROWD = 10
"""Tag reads of a region waiting at once beyond which the next ones are answered from a listing of the region's
tags: ceil(alarms / 100) GetResources pages rather than a ListTagsForResource each at 3 a second."""
LISTING_AGE = 10.0
"""Seconds a listing may have begun before a crowded tag read and still answer it (at a start, no tag changes)."""


@dataclasses.dataclass(frozen=True)
class Sighting:
    """What a sweep saw of one alarm: its description, or None when it does not exist; and the tags the operator
    knows it has (None: unknown)."""

    description: dict[str, Any] | None
    tags: dict[str, str] | None
    settling: bool = False
    """The operator wrote the alarm after the sweep began, so the sweep may not show that write: neither its
    absence nor its configuration says anything until the next sweep (then both fields are None)."""


@dataclasses.dataclass(frozen=True)
class _Sweep:
    started: float
    """When it began: a write since may not show in it."""
    at: float
    """When it ended: its age counts from its last answer."""
    names: frozenset[str]
    """The names asked for: a name tracked since then is not known to be absent."""
    descriptions: dict[str, dict[str, Any]]


@dataclasses.dataclass
class _Batch:
    """Names asked for while a read of their kind was under way: the next read takes them all."""

    names: set[str]
    answer: asyncio.Future[dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class _Known:
    tags: dict[str, str]
    at: float
    """When they were written, read or listed."""


class AlarmStore:
    def __init__(
        self,
        aws: clients.AwsClients,
        pacer: pacing.Pacer,
        cluster: str,
        metrics: telemetry.OperatorMetrics | None = None,
    ) -> None:
        """`aws` should pace its calls with `pacer` (`AwsClients(..., pace=pacer)`), which runs them."""
        self._aws = aws
        self._pacer = pacer
        self._cluster = cluster
        self._metrics = metrics
        self._tracked: dict[str, set[str]] = {}
        self._sweeps: dict[str, _Sweep] = {}
        self._listed: dict[str, float] = {}
        """When each region's tags were last listed (the listing's start)."""
        self._known: dict[str, dict[str, _Known]] = {}
        """Tags by region and alarm name."""
        self._written: dict[str, dict[str, float]] = {}
        """By region and alarm name: when the operator's last Put of it was answered."""
        self._running: dict[tuple[str, str], asyncio.Task[Any]] = {}
        self._batches: dict[str, _Batch] = {}
        """By region: the DescribeAlarms names waiting for the next read."""
        self._describing: dict[str, asyncio.Lock] = {}
        self._tag_reads: dict[str, int] = {}
        """By region: tag reads under way or waiting."""
        self._tasks: set[asyncio.Task[Any]] = set()

    async def describe(self, region: str, name: str) -> dict[str, Any] | None:
        """The alarm's description (None: it does not exist), read with the other names asked meanwhile."""
        batch = self._batches.get(region)
        if batch is None:
            batch = self._batches[region] = _Batch(set(), asyncio.get_running_loop().create_future())
            batch.answer.add_done_callback(lambda answer: answer.cancelled() or answer.exception())
            self._start(self._describe_batch(region, batch))
        batch.names.add(name)
        answer = await asyncio.shield(batch.answer)
        return answer.get(name)

    async def tags(self, region: str, arn: str) -> dict[str, str]:
        """The resource's tags, read now; in a crowd of reads, the alarm's from a listing of the region's."""
        name = alarms.name_of(arn)
        asked = time.monotonic()
        if name is not None and self._tag_reads.get(region, 0) >= CROWD:
            if self._listed.get(region, NEVER) < asked - LISTING_AGE:
                await self._shared("listing", region, self._list_tags)
            known = self._known.get(region, {}).get(name)
            if known is not None and known.at >= asked - LISTING_AGE:
                return dict(known.tags)
        self._tag_reads[region] = self._tag_reads.get(region, 0) + 1
        try:
            tags = await self._cloudwatch("ListTagsForResource", region, alarms.tags_of, arn)
        finally:
            self._tag_reads[region] -= 1
        self._know(region, name, tags, asked)
        return tags

    async def contributors(self, region: str, name: str) -> list[dict[str, Any]]:
        """A PromQL alarm's series in ALARM: a paced read of its own, outside the sweeps."""
        return await self._cloudwatch("DescribeAlarmContributors", region, alarms.contributors, name)

    async def put(self, region: str, api: fields.AlarmApi, params: Mapping[str, Any]) -> None:
        await self._cloudwatch(_operation(api.put), region, api.put, params)
        written = time.monotonic()
        self._written.setdefault(region, {})[params["AlarmName"]] = written
        if "Tags" in params:  # a creation: AWS applies tags on creation only
            tags = {tag["Key"]: tag["Value"] for tag in params["Tags"]}
            self._know(region, params["AlarmName"], tags, written)

    async def delete(self, region: str, name: str) -> None:
        await self._cloudwatch("DeleteAlarms", region, alarms.delete, [name])
        self._known.get(region, {}).pop(name, None)

    async def set_tags(self, region: str, arn: str, current: Mapping[str, str], desired: Mapping[str, str]) -> bool:
        """Make the resource's tags `desired`; whether that took a write."""
        if dict(current) == dict(desired):
            return False
        await self._cloudwatch("TagResource", region, alarms.set_tags, arn, current, desired)
        self._know(region, alarms.name_of(arn), dict(desired), time.monotonic())
        return True

    async def mute_rule(self, region: str, name: str) -> dict[str, Any] | None:
        return await self._cloudwatch("GetAlarmMuteRule", region, mute_rules.get, name)

    async def put_mute_rule(self, region: str, params: Mapping[str, Any]) -> None:
        await self._cloudwatch("PutAlarmMuteRule", region, mute_rules.put, params)

    async def delete_mute_rule(self, region: str, name: str) -> None:
        await self._cloudwatch("DeleteAlarmMuteRule", region, mute_rules.delete, name)

    async def put_dashboard(self, region: str, name: str, body: Mapping[str, Any]) -> None:
        await self._cloudwatch("PutDashboard", region, dashboards.put, name, body)

    async def delete_dashboard(self, region: str, name: str) -> None:
        await self._cloudwatch("DeleteDashboards", region, dashboards.delete, name)

    def cancel(self) -> None:
        """Give up the sweeps and reads under way: their askers are gone when the operator stops, and a read
        waiting for AWS would hold kopf's exit for as long as it waits for hung tasks (5 s)."""
        for task in [*self._running.values(), *self._tasks]:
            task.cancel()

    def close(self) -> None:
        """Give up the calls waiting for their pace and end the worker threads: an operator restarted in the same
        process (tests) must not leak them."""
        self._pacer.close()

    def track(self, region: str, name: str) -> None:
        self._tracked.setdefault(region, set()).add(name)

    def untrack(self, region: str, name: str) -> None:
        self._tracked.get(region, set()).discard(name)
        self._known.get(region, {}).pop(name, None)
        self._written.get(region, {}).pop(name, None)

    async def sighting(self, region: str, name: str, max_age: float, tags: bool = False) -> Sighting:
        """The alarm as the region's latest sweep saw it, swept again when that is older than `max_age`; with
        `tags`, the region's tags are listed again too when their listing is older than `max_age`."""
        self.track(region, name)
        sweep = self._sweeps.get(region)
        for _ in range(2):  # a sweep under way may have started before `name` was tracked: then one more
            if sweep is not None and name in sweep.names and time.monotonic() - sweep.at <= max_age:
                break
            sweep = await self._shared("sweep", region, self._sweep)
        if sweep is not None and self._written.get(region, {}).get(name, NEVER) > sweep.started:
            return Sighting(None, None, settling=True)
        if tags and time.monotonic() - self._listed.get(region, NEVER) > max_age:
            await self._shared("listing", region, self._list_tags)
        if sweep is None or name not in sweep.names:  # tracked too late for both sweeps: ask on its own
            description = await self.describe(region, name)
        else:
            description = sweep.descriptions.get(name)
        if description is None:
            return Sighting(None, None)
        known = self._known.get(region, {}).get(name)
        return Sighting(description, dict(known.tags) if known is not None else None)

    async def _shared(self, what: str, region: str, work: Callable[[str], Coroutine[Any, Any, T]]) -> T:
        """One `work` per region at a time; concurrent askers share it."""
        key = (what, region)
        task = self._running.get(key)
        if task is None:
            task = self._running[key] = asyncio.get_running_loop().create_task(work(region))
            task.add_done_callback(lambda _: self._running.pop(key, None))
        result: T = await asyncio.shield(task)
        return result

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _describe_batch(self, region: str, batch: _Batch) -> None:
        """One read at a time per region: names asked while it is under way wait for the next, which takes them all."""
        try:
            async with self._describing.setdefault(region, asyncio.Lock()):
                if self._batches.get(region) is batch:
                    del self._batches[region]
                names = sorted(batch.names)
                batch.answer.set_result(
                    await self._cloudwatch("DescribeAlarms", region, alarms.describe, names, ALARM_TYPES)
                )
        except BaseException as exc:
            if self._batches.get(region) is batch:
                del self._batches[region]
            if isinstance(exc, asyncio.CancelledError):
                batch.answer.cancel()
                raise
            batch.answer.set_exception(exc)

    async def _sweep(self, region: str) -> _Sweep:
        started, names = time.monotonic(), frozenset(self._tracked.get(region, set()))
        descriptions = await self._cloudwatch("DescribeAlarms", region, alarms.describe, sorted(names), ALARM_TYPES)
        sweep = self._sweeps[region] = _Sweep(started, time.monotonic(), names, descriptions)
        if self._metrics is not None:
            self._metrics.observe_sweep(region, [str(d.get("StateValue", "")) for d in descriptions.values()])
        return sweep

    async def _list_tags(self, region: str) -> None:
        """The tags of every alarm of this cluster in the region, from the tagging API. A tracked alarm missing from
        the listing has lost this cluster's tag, unless the operator wrote its tags since the listing began (the
        tagging API is eventually consistent)."""
        started = time.monotonic()
        tagging = self._aws.client("resourcegroupstaggingapi", identities.AwsIdentity(region))
        call = alarms.tags_by_arn
        listed = await self._pacer.call("GetResources", region, call, tagging, ownership.CLUSTER_TAG, self._cluster)
        by_name = {name: tags for arn, tags in listed.items() if (name := alarms.name_of(arn)) is not None}
        known = self._known.setdefault(region, {})
        for name, seen in list(known.items()):
            if name not in by_name and seen.at < started:
                del known[name]
        for name, tags in by_name.items():
            self._know(region, name, tags, started)
        self._listed[region] = started

    def _know(self, region: str, name: str | None, tags: dict[str, str], at: float) -> None:
        if name is not None:
            self._known.setdefault(region, {})[name] = _Known(tags, at)

    async def _cloudwatch(self, operation: str, region: str, call: Callable[..., T], *args: Any) -> T:
        client = self._aws.client("cloudwatch", identities.AwsIdentity(region))
        return await self._pacer.call(operation, region, call, client, *args)


def _operation(put: Callable[..., Any]) -> str:
    """The AWS operation a kind's put call makes, its lane: `alarms.put_metric_alarm` makes PutMetricAlarm."""
    return "".join(word.title() for word in put.__name__.split("_"))
