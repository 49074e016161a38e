"""The operator's access to CloudWatch alarms, mute rules and dashboards: paced writes, and batched sweeps for the
periodic resync.

A sweep reads every tracked alarm of a region at once: ceil(alarms / 100) DescribeAlarms and
ceil(alarms / 100) tagging pages, shared by every object's timer that asks within the sweep's age.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from kedawatch.aws import alarms, clients, dashboards, identities, mute_rules
from kedawatch.operator import ownership, pacing
from kedawatch.operator.resources import crds, fields

__all__ = ["AlarmStore"]

T = TypeVar("T")
ALARM_TYPES = tuple(sorted({d.spec.alarm.alarm_type for d in crds.ALARM_DEFINITIONS if d.spec.alarm is not None}))
"""What DescribeAlarms is asked for: every type an alarm kind declares, so one sweep sees every kind's alarms."""


@dataclasses.dataclass(frozen=True)
class Sighting:
    """What a sweep saw of one alarm: its description and tags, or None for both when it does not exist."""

    description: dict[str, Any] | None
    tags: dict[str, str] | None


@dataclasses.dataclass(frozen=True)
class _Sweep:
    at: float
    names: frozenset[str]
    """The names asked for: a name tracked since then is not known to be absent."""
    descriptions: dict[str, dict[str, Any]]
    tags: dict[str, dict[str, str]]


class AlarmStore:
    def __init__(
        self, aws: clients.AwsClients, writes: pacing.PacedExecutor, reads: pacing.PacedExecutor, cluster: str
    ) -> None:
        self._aws = aws
        self._writes = writes
        self._reads = reads
        self._cluster = cluster
        self._tracked: dict[str, set[str]] = {}
        self._sweeps: dict[str, _Sweep] = {}
        self._sweeping: dict[str, asyncio.Task[_Sweep]] = {}

    async def describe(self, region: str, name: str) -> dict[str, Any] | None:
        return (await self._read(region, alarms.describe, [name], ALARM_TYPES)).get(name)

    async def tags(self, region: str, arn: str) -> dict[str, str]:
        return await self._read(region, alarms.tags_of, arn)

    async def contributors(self, region: str, name: str) -> list[dict[str, Any]]:
        """A PromQL alarm's series in ALARM: a paced read of its own, outside the sweeps."""
        return await self._read(region, alarms.contributors, name)

    async def put(self, region: str, api: fields.AlarmApi, params: Mapping[str, Any]) -> None:
        await self._write(region, api.put, params)

    async def delete(self, region: str, name: str) -> None:
        await self._write(region, alarms.delete, [name])

    async def set_tags(self, region: str, arn: str, current: Mapping[str, str], desired: Mapping[str, str]) -> None:
        if dict(current) != dict(desired):
            await self._write(region, alarms.set_tags, arn, current, desired)

    async def mute_rule(self, region: str, name: str) -> dict[str, Any] | None:
        return await self._read(region, mute_rules.get, name)

    async def put_mute_rule(self, region: str, params: Mapping[str, Any]) -> None:
        await self._write(region, mute_rules.put, params)

    async def delete_mute_rule(self, region: str, name: str) -> None:
        await self._write(region, mute_rules.delete, name)

    async def put_dashboard(self, region: str, name: str, body: Mapping[str, Any]) -> None:
        await self._write(region, dashboards.put, name, body)

    async def delete_dashboard(self, region: str, name: str) -> None:
        await self._write(region, dashboards.delete, name)

    def cancel(self) -> None:
        """Give up the sweeps under way: their askers are gone when the operator stops, and a sweep waiting for
        AWS would hold kopf's exit for as long as it waits for hung tasks (5 s)."""
        for sweep in self._sweeping.values():
            sweep.cancel()

    def close(self) -> None:
        """End the paced worker threads: an operator restarted in the same process (tests) must not leak them."""
        self._writes.shutdown()
        self._reads.shutdown()

    def track(self, region: str, name: str) -> None:
        self._tracked.setdefault(region, set()).add(name)

    def untrack(self, region: str, name: str) -> None:
        self._tracked.get(region, set()).discard(name)

    async def sighting(self, region: str, name: str, max_age: float) -> Sighting:
        """The alarm as the region's latest sweep saw it; sweeps again when that is older than `max_age`."""
        self.track(region, name)
        sweep = self._sweeps.get(region)
        if sweep is None or name not in sweep.names or time.monotonic() - sweep.at > max_age:
            sweep = await self._sweep(region)
        description = sweep.descriptions.get(name)
        if description is None:
            return Sighting(None, None)
        return Sighting(description, sweep.tags.get(description.get("AlarmArn", ""), {}))

    async def _sweep(self, region: str) -> _Sweep:
        """One sweep per region at a time; concurrent askers share it."""
        task = self._sweeping.get(region)
        if task is None:
            task = self._sweeping[region] = asyncio.get_running_loop().create_task(self._sweep_now(region))
            task.add_done_callback(lambda _: self._sweeping.pop(region, None))
        return await asyncio.shield(task)

    async def _sweep_now(self, region: str) -> _Sweep:
        started = time.monotonic()
        names = frozenset(self._tracked.get(region, set()))
        descriptions = await self._read(region, alarms.describe, sorted(names), ALARM_TYPES)
        tags = await self._paced(
            self._reads, "resourcegroupstaggingapi", region, alarms.tags_by_arn, ownership.CLUSTER_TAG, self._cluster
        )
        sweep = self._sweeps[region] = _Sweep(started, names, descriptions, tags)
        return sweep

    async def _read(self, region: str, call: Callable[..., T], *args: Any) -> T:
        return await self._paced(self._reads, "cloudwatch", region, call, *args)

    async def _write(self, region: str, call: Callable[..., Any], *args: Any) -> None:
        await self._paced(self._writes, "cloudwatch", region, call, *args)

    async def _paced(
        self,
        pace: pacing.PacedExecutor,
        service: Literal["cloudwatch", "resourcegroupstaggingapi"],
        region: str,
        call: Callable[..., T],
        *args: Any,
    ) -> T:
        client = self._aws.client(service, identities.AwsIdentity(region))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pace.executor, pace.paced, call, client, *args)
