"""Reconcile CloudWatch alarm mute rules: resolve a rule's targets to the AWS alarms its namespace's alarm objects
own, write only on difference, adopt or refuse foreign rules, follow renames, keep the targets current as alarms
come and go, show whether the rule mutes now and when it mutes next, delete on request.

A target counts once its object is synced (its alarm exists and is its own) in the rule's region; the others are
listed in `status.unresolvedTargets` with the reason, and join when they are synced.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from kedawatch import tenancy
from kedawatch.aws import errors, mute_schedules
from kedawatch.operator import kernel, ownership, status
from kedawatch.operator.resources import crds, fields, mute_rule

__all__ = ["Candidate", "MuteRuleObject", "delete_mute_rule", "reconcile_mute_rule", "refresh_mute_rule"]

logger = logging.getLogger(__name__)

_MISSING_ALARMS = "targets alarms that do not exist"
"""PutAlarmMuteRule's ValidationError for a target deleted (or not yet created) since it was resolved: retried."""
_REFUSALS = ("AwsRejected", "TooManyTargets")


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One of kedawatch's alarm objects, as mute rules see it (the operator keeps these in an index)."""

    kind: str
    name: str
    labels: Mapping[str, str]
    alarm_name: str
    """The AWS alarm it owns, once it is synced; empty before."""
    region: str
    deleting: bool = False


@dataclasses.dataclass(frozen=True)
class MuteRuleObject:
    """A CloudWatchAlarmMuteRule object, and the alarm objects of its namespace that it may target."""

    definition: crds.Definition
    body: Mapping[str, Any]
    candidates: Sequence[Candidate] = ()

    @property
    def meta(self) -> Mapping[str, Any]:
        return dict(self.body.get("metadata", {}))

    @property
    def namespace(self) -> str:
        return str(self.meta.get("namespace", ""))

    @property
    def spec(self) -> Mapping[str, Any]:
        return dict(self.body.get("spec", {}))

    @property
    def status(self) -> Mapping[str, Any]:
        return dict(self.body.get("status", {}))

    @property
    def adopting(self) -> bool:
        return bool(self.meta.get("annotations", {}).get(ownership.ADOPT_ANNOTATION) == "true")

    def owner(self, cluster: str) -> ownership.Owner:
        meta = self.meta
        return ownership.Owner(cluster, self.definition.kind, self.namespace, meta.get("name", ""), meta.get("uid", ""))


@dataclasses.dataclass(frozen=True)
class _Desired(kernel.Desired):
    targets: list[str]
    unresolved: list[str]


async def reconcile_mute_rule(rule: MuteRuleObject, ctx: kernel.Context) -> dict[str, Any]:
    """Make the mute rule match `rule` and return the status patch."""
    return await _reconcile(rule, ctx, *_desired(rule, ctx))


async def _reconcile(
    rule: MuteRuleObject, ctx: kernel.Context, desired: _Desired | None, problems: list[str]
) -> dict[str, Any]:
    if desired is None:
        return _status(rule, False, "InvalidSpec", "; ".join(problems))
    if len(desired.targets) > mute_rule.MAX_TARGETS:
        message = (
            f"the targets resolve to {len(desired.targets)} alarms, and a mute rule mutes {mute_rule.MAX_TARGETS} at"
            " most: narrow targets (the rule in CloudWatch is left as it was)"
        )
        return {**_status(rule, False, "TooManyTargets", message, desired), **_targets(desired)}
    try:
        ctx.policy.check_identity(rule.namespace, desired.region, None, None)
    except tenancy.Denied as exc:
        return _status(rule, False, "Denied", str(exc))
    try:
        await _follow_rename(rule, ctx, desired)
        return await _converge(rule, ctx, desired)
    except errors.AwsError as exc:
        return _failed(rule, exc, desired)


async def refresh_mute_rule(rule: MuteRuleObject, ctx: kernel.Context) -> dict[str, Any]:
    """Keep the rule's targets current, its drift repaired and its state shown (every state interval). Rules
    never synced are their create handler's; a refused spec waits for a change of its own or of its targets."""
    if not rule.status.get("muteRuleName"):
        return {}
    desired, problems = _desired(rule, ctx)
    if desired is not None and _refused(rule) and desired.targets == rule.status.get("targets"):
        return {}
    return await _reconcile(rule, ctx, desired, problems)


async def delete_mute_rule(rule: MuteRuleObject, ctx: kernel.Context) -> None:
    """Delete the rule unless `deletionPolicy: Retain`; a rule already gone, or not ours, is left be."""
    await kernel.delete_unless_retained(
        "mute rule",
        (rule.status.get("muteRuleName"), rule.status.get("region")),
        lambda: _desired(rule, ctx)[0],
        rule.spec.get("deletionPolicy") == "Retain",
        lambda name, region: _delete_if_ours(rule, ctx, name, region),
    )


def _desired(rule: MuteRuleObject, ctx: kernel.Context) -> tuple[_Desired | None, list[str]]:
    kind, spec = rule.definition.spec, rule.spec
    problems = fields.validate(kind, spec)
    if problems:
        return None, problems
    meta = rule.meta
    name = spec.get("muteRuleName") or ownership.default_alarm_name(
        ctx.settings.cluster_name, rule.namespace, meta.get("name", "")
    )
    region = spec.get("region") or ctx.region
    targets, unresolved = _resolve(spec["targets"], rule.candidates, region)
    params = {"Name": name, **kind.aws_params(spec)}
    if targets:
        params["MuteTargets"] = {"AlarmNames": targets}
    tags = {**spec.get("tags", {}), **rule.owner(ctx.settings.cluster_name).tags()}
    return _Desired(name, region, params, tags, spec.get("deletionPolicy") == "Retain", targets, unresolved), []


def _resolve(targets: Mapping[str, Any], candidates: Sequence[Candidate], region: str) -> tuple[list[str], list[str]]:
    """The AWS alarm names the targets come to, and each target that comes to none yet, with why."""
    if "alarms" in targets:
        by_key = {(candidate.kind, candidate.name): candidate for candidate in candidates}
        default_kind = crds.METRIC_ALARMS.kind
        wanted = [(ref.get("kind", default_kind), ref["name"]) for ref in targets["alarms"]]
        chosen = [by_key[key] for key in wanted if key in by_key]
        unresolved = [f"{kind}/{name}: no such object" for kind, name in wanted if (kind, name) not in by_key]
    else:
        chosen = [c for c in candidates if mute_rule.selected(targets["selector"], c.labels)]
        unresolved = []
    names: set[str] = set()
    for candidate in chosen:
        if candidate.deleting:
            continue
        if not candidate.alarm_name:
            unresolved.append(f"{candidate.kind}/{candidate.name}: its alarm is not synced yet")
        elif candidate.region != region:
            unresolved.append(f"{candidate.kind}/{candidate.name}: its alarm is in {candidate.region}, not {region}")
        else:
            names.add(candidate.alarm_name)
    return sorted(names), sorted(unresolved)


async def _follow_rename(rule: MuteRuleObject, ctx: kernel.Context, desired: _Desired) -> None:
    """A new muteRuleName or region leaves the old rule behind: delete it (if ours, unless retained)."""
    old = desired.left_behind((rule.status.get("muteRuleName"), rule.status.get("region")))
    if old is not None:
        await _delete_if_ours(rule, ctx, *old)


async def _converge(rule: MuteRuleObject, ctx: kernel.Context, desired: _Desired) -> dict[str, Any]:
    store, region = ctx.store, desired.region
    current = await store.mute_rule(region, desired.name)
    tags = await store.tags(region, current["AlarmMuteRuleArn"]) if current else None
    if current is not None and not rule.owner(ctx.settings.cluster_name).owns(tags or {}) and not rule.adopting:
        message = (
            f"mute rule {desired.name} exists in {region} and is not this object's;"
            f" annotate {ownership.ADOPT_ANNOTATION}=true to adopt it (at the next refresh, within"
            f" {ctx.settings.state_interval:g} s: kopf sees no change in its own annotations)"
        )
        return _status(rule, False, "Conflict", message, desired)
    if current is None:
        await store.put_mute_rule(region, {**desired.params, "Tags": kernel.tag_list(desired.tags)})
    else:
        await store.set_tags(region, current["AlarmMuteRuleArn"], tags or {}, desired.tags)
        if mute_rule.comparable(current) == mute_rule.comparable(desired.params):
            return {**_status(rule, True, "Synced", _SYNCED, desired), **_seen(current, rule.spec, desired)}
        await store.put_mute_rule(region, desired.params)
    # Its status (ACTIVE or not) is CloudWatch's to tell, after the write as before.
    written = await store.mute_rule(region, desired.name)
    return {**_status(rule, True, "Synced", _SYNCED, desired), **_seen(written or {}, rule.spec, desired)}


_SYNCED = "the mute rule matches the spec"


async def _delete_if_ours(rule: MuteRuleObject, ctx: kernel.Context, name: str, region: str) -> None:
    current = await ctx.store.mute_rule(region, name)
    if current is None:
        return
    tags = await ctx.store.tags(region, current["AlarmMuteRuleArn"])
    if rule.owner(ctx.settings.cluster_name).owns(tags) or rule.adopting:
        await ctx.store.delete_mute_rule(region, name)
    else:
        owner = f"{rule.namespace}/{rule.meta.get('name')}"
        logger.warning("mute rule %s in %s is not %s's: left in place", name, region, owner)


def _seen(current: Mapping[str, Any], spec: Mapping[str, Any], desired: _Desired) -> dict[str, Any]:
    """What the status shows of the rule: CloudWatch's state, the window open now and the next one."""
    state = str(current.get("Status", ""))
    schedule = spec["schedule"]
    parsed = mute_schedules.Schedule.parse(
        schedule["expression"], schedule["duration"], schedule.get("timezone", "UTC")
    )
    now = datetime.datetime.now(datetime.UTC)
    until = parsed.open_until(now) if state == "ACTIVE" else None
    window = _next_window(parsed, spec, now) if state != "EXPIRED" else None
    return {
        "muteRuleArn": current.get("AlarmMuteRuleArn", ""),
        "state": state,
        "active": state == "ACTIVE",
        "activeUntil": _shown(until),
        "nextWindowStart": _shown(window[0] if window else None),
        "nextWindowEnd": _shown(window[1] if window else None),
        **_targets(desired),
    }


def _next_window(
    schedule: mute_schedules.Schedule, spec: Mapping[str, Any], now: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime] | None:
    """The next window to open, within the rule's start and expire dates (a window is cut at the expire date)."""
    start = mute_rule.instant(spec["startDate"]) if "startDate" in spec else None
    expire = mute_rule.instant(spec["expireDate"]) if "expireDate" in spec else None
    after = now if start is None or start <= now else start - datetime.timedelta(microseconds=1)
    opens = schedule.next_start(after)
    if opens is None or (expire is not None and opens >= expire):
        return None
    closes = opens + schedule.duration
    return opens, min(closes, expire) if expire is not None else closes


def _shown(moment: datetime.datetime | None) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _targets(desired: _Desired) -> dict[str, Any]:
    return {"targets": desired.targets, "targetCount": len(desired.targets), "unresolvedTargets": desired.unresolved}


def _status(
    rule: MuteRuleObject, ok: bool, reason: str, message: str, desired: _Desired | None = None
) -> dict[str, Any]:
    patch = status.status("Synced", ok, reason, message, rule.meta.get("generation"), rule.status)
    if desired is not None:
        patch.update(muteRuleName=desired.name, region=desired.region)
    return patch


def _failed(rule: MuteRuleObject, exc: errors.AwsError, desired: _Desired) -> dict[str, Any]:
    """Transient failures and targets that went away are retried; the rest wait until the spec or the targets
    change."""
    if exc.failure in errors.TRANSIENT:
        message = f"{kernel.aws_failure(exc, exc.code)}; retrying with backoff"
        raise kernel.Retry(message, _status(rule, False, "AwsUnavailable", message, desired)) from exc
    if exc.failure is errors.Failure.INVALID and _MISSING_ALARMS in exc.message:
        message = f"{kernel.aws_failure(exc)}; retrying with the targets resolved again"
        raise kernel.Retry(message, _status(rule, False, "AlarmsMissing", message, desired)) from exc
    reason = "AccessDenied" if exc.failure is errors.Failure.DENIED else "AwsRejected"
    return {**_status(rule, False, reason, kernel.aws_failure(exc), desired), **_targets(desired)}


def _refused(rule: MuteRuleObject) -> bool:
    """AWS (or the target limit) refused this very generation of the spec, the Synced condition says."""
    return status.refused(rule.status, rule.meta.get("generation"), _REFUSALS)
