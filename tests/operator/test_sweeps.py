"""The operator's AWS reads at rest, counted at the AWS stand-in: every object's state and drift timers share one
sweep per region, ceil(alarms / 100) DescribeAlarms and as many GetResources pages, and ownership is confirmed from
tags the operator knows: no alarm's tags are read on their own."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Coroutine
from typing import Any

from kedawatch.aws import clients
from kedawatch.operator import alarm_store, kernel, pacing
from kedawatch.operator.reconcilers import alarms
from tests.operator.test_alarm_reconciler import REGION, SPEC, Harness
from tests.operator.test_alarm_reconciler import harness as harness  # the fixture

OBJECTS = 150
"""Two DescribeAlarms of 100 names and two tagging pages of 100 alarms each."""


async def synced_objects(harness: Harness) -> list[alarms.AlarmObject]:
    objects = [harness.obj(SPEC, name=f"app-{index:03d}", uid=f"uid-{index}") for index in range(OBJECTS)]
    statuses = await asyncio.gather(*(alarms.reconcile_alarm(obj, harness.ctx) for obj in objects))
    assert all(status["conditions"][-1]["status"] == "True" for status in statuses)
    return [dataclasses.replace(obj, status=status) for obj, status in zip(objects, statuses, strict=True)]


async def timers(harness: Harness, objects: list[alarms.AlarmObject]) -> None:
    """Every object's state and drift timer firing at once, as kopf runs them."""
    await asyncio.gather(
        *(alarms.observe_alarm(obj, harness.ctx) for obj in objects),
        *(alarms.repair_drift(obj, harness.ctx) for obj in objects),
    )


async def test_at_rest_every_timer_shares_one_sweep_and_reads_no_alarms_tags_one_by_one(harness: Harness) -> None:
    objects = await synced_objects(harness)
    harness.calls.clear()
    await timers(harness, objects)
    assert harness.calls == {"DescribeAlarms": 2, "GetResources": 2}
    harness.calls.clear()
    await timers(harness, objects)
    assert harness.calls == {}, "within the interval the same sweep serves every timer again"


Reconcile = Callable[[alarms.AlarmObject, kernel.Context], Coroutine[Any, Any, dict[str, Any]]]


async def after_a_restart(harness: Harness, objects: list[alarms.AlarmObject], each: Reconcile) -> list[dict[str, Any]]:
    """`each` of `objects` at once, by an operator started afresh (its store knows no alarm); calls counted anew."""
    pacer = pacing.Pacer(lambda _: 100)
    aws_clients = clients.AwsClients(harness.ctx.settings.aws, lambda op, _: harness.calls.update([op]), pace=pacer)
    ctx = dataclasses.replace(harness.ctx, store=alarm_store.AlarmStore(aws_clients, pacer, "prod"))
    harness.calls.clear()
    try:
        return await asyncio.gather(*(each(obj, ctx) for obj in objects))
    finally:
        pacer.close()


async def test_a_restarted_operators_drift_check_confirms_ownership_from_one_listing_of_tags(harness: Harness) -> None:
    repaired = await after_a_restart(harness, await synced_objects(harness), alarms.repair_drift)
    assert all(status["conditions"][-1]["reason"] == "Synced" for status in repaired)
    assert harness.calls == {"DescribeAlarms": 2, "GetResources": 2}, "no ListTagsForResource, no writes"


async def test_objects_resumed_together_read_their_alarms_together(harness: Harness) -> None:
    resumed = await after_a_restart(harness, await synced_objects(harness), alarms.reconcile_alarm)
    assert all(status["conditions"][-1]["reason"] == "Synced" for status in resumed)
    assert harness.writes() == 0
    assert harness.calls["DescribeAlarms"] < OBJECTS / 10, "many names a call, not one each"
    assert harness.calls["ListTagsForResource"] <= alarm_store.CROWD + 5, "the crowd's tags from one listing"
    assert harness.calls["GetResources"] == 2


async def test_an_alarm_written_after_the_sweep_began_waits_for_the_next_sweep_without_reads_of_its_own(
    harness: Harness,
) -> None:
    """A creation answered while the sweep was under way (here: tracked before it, written after) is absent from
    that sweep: its timers neither read it on their own nor report it missing until the next sweep shows it."""
    objects = await synced_objects(harness)
    late = harness.obj(SPEC, name="late", uid="uid-late")
    harness.ctx.store.track(REGION, "prod/default/late")
    await timers(harness, objects)
    status = await alarms.reconcile_alarm(late, harness.ctx)
    late = dataclasses.replace(late, status=status)
    harness.calls.clear()
    assert await alarms.observe_alarm(late, harness.ctx) == ({}, None), "not 'the alarm does not exist'"
    assert await alarms.repair_drift(late, harness.ctx) == {}
    assert harness.calls == {}, "no DescribeAlarms nor ListTagsForResource of its own"
    sweeping_again = dataclasses.replace(harness.ctx.settings, state_interval=0.0)
    seen, _ = await alarms.observe_alarm(late, dataclasses.replace(harness.ctx, settings=sweeping_again))
    assert seen["state"] == "INSUFFICIENT_DATA", "the next sweep shows it"
