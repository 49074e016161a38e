"""Reconcile CloudWatch alarms of every alarm kind (metric, composite, log): create or update only on difference,
adopt or refuse foreign alarms, follow renames, mirror state (and a PromQL alarm's breaching series), repair drift,
delete on request.

How a kind is put and read back is its declaration's (`fields.AlarmApi`), so every kind goes the same way here.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Mapping
from typing import Any

from kedawatch import tenancy
from kedawatch.aws import errors
from kedawatch.operator import kernel, ownership, reference_controller, status
from kedawatch.operator.resources import crds, fields

__all__ = ["AlarmObject", "delete_alarm", "observe_alarm", "reconcile_alarm", "repair_drift"]

logger = logging.getLogger(__name__)

_MISSING_ALARMS = "in the alarm rule do not exist"
"""PutCompositeAlarm's ValidationError for a rule naming alarms not created yet ("Could not save the composite
alarm as alarms [...] in the alarm rule do not exist"): they may be on their way, so it is retried."""
_REFUSALS = ("AwsRejected", "AlarmsMissing")
"""Synced reasons for a spec AWS refused: the drift repair leaves these alone."""
SHOWN_CONTRIBUTORS = 5
"""A PromQL alarm's breaching series listed in its status; `breachingSeries` counts them all."""


@dataclasses.dataclass(frozen=True)
class AlarmObject:
    """What the reconciler needs of a Kubernetes object, whichever kind it is."""

    definition: crds.Definition
    namespace: str
    name: str
    uid: str
    generation: int | None
    spec: Mapping[str, Any]
    status: Mapping[str, Any]
    annotations: Mapping[str, str]

    def owner(self, cluster: str) -> ownership.Owner:
        return ownership.Owner(cluster, self.definition.kind, self.namespace, self.name, self.uid)

    @property
    def api(self) -> fields.AlarmApi:
        """How CloudWatch holds this kind's alarms."""
        assert self.definition.spec.alarm is not None, "an alarm kind declares its AlarmApi"
        return self.definition.spec.alarm


async def reconcile_alarm(obj: AlarmObject, ctx: kernel.Context) -> dict[str, Any]:
    """Make the alarm match `obj` and return the status patch."""
    return await _reconcile(obj, ctx, cached=False)


async def repair_drift(obj: AlarmObject, ctx: kernel.Context) -> dict[str, Any]:
    """Make the alarm match `obj` again if it drifted, reading it from the region's latest sweep.

    Leaves objects that were never synced to their create handler (they may be waiting for the write pace),
    objects whose spec AWS refused (they wait for a new spec) and composites waiting for their alarms (their
    handler retries).
    """
    if not obj.status.get("alarmName") or _refused(obj):
        return {}
    return await _reconcile(obj, ctx, cached=True)


async def _reconcile(obj: AlarmObject, ctx: kernel.Context, cached: bool) -> dict[str, Any]:
    desired, problems = _desired(obj, ctx)
    if desired is None:
        return _status(obj, False, "InvalidSpec", "; ".join(problems))
    try:
        kernel.check_policy(ctx, obj.namespace, desired.region, desired.params)
    except tenancy.Denied as exc:
        return _status(obj, False, "Denied", str(exc))
    try:
        await _follow_rename(obj, ctx, desired)
        return await _converge(obj, ctx, desired, cached)
    except errors.AwsError as exc:
        return _failed(obj, exc, desired, cached)


async def observe_alarm(obj: AlarmObject, ctx: kernel.Context) -> tuple[dict[str, Any], str | None]:
    """The alarm's state for the status, from the region's sweep; and the new state if it changed."""
    name, region = obj.status.get("alarmName"), obj.status.get("region")
    if not name or not region:
        return {}, None
    try:
        sighting = await ctx.store.sighting(region, name, ctx.settings.state_interval)
    except errors.AwsError as exc:
        kernel.retry_if_transient(exc)
        return {}, None
    if sighting.settling:
        return {}, None
    if sighting.description is None:
        return {"state": "", "stateReason": "the alarm does not exist in CloudWatch"}, None
    patch = _state_of(sighting.description)
    if "EvaluationCriteria" in sighting.description:
        patch.update(await _contributors(obj, ctx, region, name, patch))
    changed = patch["state"] if patch["state"] != obj.status.get("state") else None
    return patch, changed


async def _contributors(
    obj: AlarmObject, ctx: kernel.Context, region: str, name: str, state: Mapping[str, Any]
) -> dict[str, Any]:
    """A PromQL alarm's breaching series, for its status.

    DescribeAlarmContributors answers only the contributors in ALARM, and it is one call per alarm, outside the
    batched sweep: so an alarm that is not in ALARM has none without a call, and one in ALARM is read when its
    state (value, reason or time) changed since the last read, and otherwise once a `drift_interval`, since series
    may come and go under an unchanged state. A failed read keeps what was shown, says why, and is tried again at
    the next state sweep.
    """
    if state["state"] != "ALARM":
        return {"breachingSeries": 0, "contributors": [], "contributorsReadAt": "", "contributorsError": ""}
    now = datetime.datetime.now(datetime.UTC)
    if not _contributors_due(obj.status, state, now, ctx.settings.drift_interval):
        return {}
    try:
        found = await ctx.store.contributors(region, name)
    except errors.AwsError as exc:
        logger.warning("cannot read the contributors of alarm %s in %s: %s", name, region, exc)
        return {"contributorsError": kernel.aws_failure(exc)}
    return {
        "breachingSeries": len(found),
        "contributors": [_contributor(item) for item in found[:SHOWN_CONTRIBUTORS]],
        "contributorsReadAt": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "contributorsError": "",
    }


def _contributors_due(
    shown: Mapping[str, Any], state: Mapping[str, Any], now: datetime.datetime, refresh: float
) -> bool:
    read_at = shown.get("contributorsReadAt")
    if not read_at or shown.get("contributorsError"):
        return True
    if any(shown.get(key) != state[key] for key in ("state", "stateReason", "stateUpdatedAt")):
        return True
    age = now - datetime.datetime.fromisoformat(read_at)
    return age.total_seconds() >= refresh


def _contributor(item: Mapping[str, Any]) -> dict[str, Any]:
    since = item.get("StateTransitionedTimestamp")
    return {
        "id": item.get("ContributorId", ""),
        "attributes": dict(item.get("ContributorAttributes", {})),
        "stateReason": item.get("StateReason", ""),
        **({"since": _timestamp(since)} if since else {}),
    }


def _timestamp(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime.datetime) else str(value or "")


async def delete_alarm(obj: AlarmObject, ctx: kernel.Context) -> None:
    """Delete the alarm unless `deletionPolicy: Retain`; an alarm already gone, or not ours, is left be."""
    deleted = await kernel.delete_unless_retained(
        "alarm",
        (obj.status.get("alarmName"), obj.status.get("region")),
        lambda: _desired(obj, ctx)[0],
        obj.spec.get("deletionPolicy") == "Retain",
        lambda name, region: _delete_if_ours(obj, ctx, name, region),
    )
    if deleted is not None:
        ctx.store.untrack(deleted[1], deleted[0])


def _desired(obj: AlarmObject, ctx: kernel.Context) -> tuple[kernel.Desired | None, list[str]]:
    kind = obj.definition.spec
    spec, problems = obj.definition.checked(obj.spec, ctx.settings)
    if problems:
        return None, problems
    name = spec.get("alarmName") or _default_name(obj, ctx)
    params = {"AlarmName": name, **kind.aws_params(spec)}
    tags = {**spec.get("tags", {}), **obj.owner(ctx.settings.cluster_name).tags()}
    region = spec.get("region") or ctx.region
    return kernel.Desired(name, region, params, tags, spec.get("deletionPolicy") == "Retain"), []


async def _follow_rename(obj: AlarmObject, ctx: kernel.Context, desired: kernel.Desired) -> None:
    """A new alarmName or region leaves the old alarm behind: delete it (if ours, unless retained)."""
    old = desired.left_behind((obj.status.get("alarmName"), obj.status.get("region")))
    if old is not None:
        name, region = old
        await _delete_if_ours(obj, ctx, name, region)
        ctx.store.untrack(region, name)


async def _converge(obj: AlarmObject, ctx: kernel.Context, desired: kernel.Desired, cached: bool) -> dict[str, Any]:
    store, region = ctx.store, desired.region
    store.track(region, desired.name)
    current, tags = None, None
    if cached:
        sighting = await store.sighting(region, desired.name, ctx.settings.drift_interval, tags=True)
        if sighting.settling:  # just written from this spec: nothing to repair before the next sweep shows it
            return {}
        current, tags = sighting.description, sighting.tags
    owner = obj.owner(ctx.settings.cluster_name)
    if current is None or not owner.owns(tags or {}):
        # Not in the sweep (created since) or not ours by the sweep's tags (the tagging API is eventually
        # consistent): ask AWS directly before creating or refusing anything.
        current = await store.describe(region, desired.name)
        tags = await store.tags(region, current["AlarmArn"]) if current else None
    adopted = current is not None and not owner.owns(tags or {})
    if adopted and not _adoptable(obj, current or {}, tags or {}):
        made = " (nor made for it by the reference controller)" if obj.definition.legacy else ""
        message = (
            f"alarm {desired.name} exists in {region} and is not this object's{made};"
            f" annotate {ownership.ADOPT_ANNOTATION}=true to adopt it (at the next drift check, within"
            f" {ctx.settings.drift_interval:g} s: kopf sees no change in its own annotations)"
        )
        return _status(obj, False, "Conflict", message, desired)
    if current is None:
        await store.put(region, obj.api, {**desired.params, "Tags": kernel.tag_list(desired.tags)})
        # New alarms start unevaluated; the next state sweep brings the ARN, saving a read per creation.
        current = {"StateValue": obj.api.created_state(desired.params), "StateReason": "created; not evaluated yet"}
    else:
        # Tagged first: an adopted alarm is then ours even if the update after fails.
        wrote = await store.set_tags(region, current["AlarmArn"], tags or {}, desired.tags)
        if obj.definition.spec.drifted(current, desired.params):
            await store.put(region, obj.api, desired.params)
            wrote = True
        if cached and wrote:
            ctx.metrics.drift_repairs.labels(obj.definition.kind).inc()
    message = "the alarm matches the spec" + ("; adopted, and tagged as this object's" if adopted else "")
    synced = _status(obj, True, "Synced", message, desired)
    # The drift check leaves the state to the state timer: its sweep may be older than the one the state shown
    # came from, and writing it would turn an ALARM just mirrored back to the OK before.
    return synced if cached else {**synced, **_state_of(current)}


async def _delete_if_ours(obj: AlarmObject, ctx: kernel.Context, name: str, region: str) -> None:
    current = await ctx.store.describe(region, name)
    if current is None:
        return
    tags = await ctx.store.tags(region, current["AlarmArn"])
    if obj.owner(ctx.settings.cluster_name).owns(tags) or _adoptable(obj, current, tags):
        await ctx.store.delete(region, name)
    else:
        logger.warning("alarm %s in %s is not %s/%s's: left in place", name, region, obj.namespace, obj.name)


def _default_name(obj: AlarmObject, ctx: kernel.Context) -> str:
    if obj.definition.legacy:  # the reference controller's name, so that the alarms it made carry on
        return reference_controller.alarm_name(obj.namespace, obj.name)
    return ownership.default_alarm_name(ctx.settings.cluster_name, obj.namespace, obj.name)


def _adoptable(obj: AlarmObject, alarm: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
    """An alarm not tagged as this object's that is its all the same: asked for by annotation, or made for this
    `cw.aws.com` object by the reference controller."""
    if obj.annotations.get(ownership.ADOPT_ANNOTATION) == "true":
        return True
    return obj.definition.legacy and reference_controller.made_it(
        alarm, tags, obj.namespace, obj.name, obj.api.alarm_type == "CompositeAlarm"
    )


def _state_of(description: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "alarmArn": description.get("AlarmArn", ""),
        "state": description.get("StateValue", ""),
        "stateReason": description.get("StateReason", ""),
        "stateUpdatedAt": _timestamp(description.get("StateUpdatedTimestamp")),
    }


def _status(
    obj: AlarmObject, ok: bool, reason: str, message: str, desired: kernel.Desired | None = None
) -> dict[str, Any]:
    patch = status.status("Synced", ok, reason, message, obj.generation, obj.status)
    if desired is not None:
        patch.update(alarmName=desired.name, region=desired.region)
    return patch


def _failed(obj: AlarmObject, exc: errors.AwsError, desired: kernel.Desired, cached: bool) -> dict[str, Any]:
    """Transient failures are retried, and said in the condition unless only the drift check failed (the
    alarm may well be as declared); the rest wait in a condition until the spec changes."""
    if exc.failure in errors.TRANSIENT and not cached:
        message = f"{kernel.aws_failure(exc, exc.code)}; retrying with backoff"
        raise kernel.Retry(message, _status(obj, False, "AwsUnavailable", message, desired)) from exc
    kernel.retry_if_transient(exc)
    if exc.failure is errors.Failure.INVALID and _MISSING_ALARMS in exc.message:
        message = f"{kernel.aws_failure(exc)}; retrying until they exist"
        raise kernel.Retry(message, _status(obj, False, "AlarmsMissing", message, desired)) from exc
    reason = "AccessDenied" if exc.failure is errors.Failure.DENIED else "AwsRejected"
    return _status(obj, False, reason, kernel.aws_failure(exc), desired)


def _refused(obj: AlarmObject) -> bool:
    """AWS refused this very generation of the spec (the Synced condition says so)."""
    return status.refused(obj.status, obj.generation, _REFUSALS)
