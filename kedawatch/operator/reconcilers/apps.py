"""Reconcile an AppObservability: its ScaledObject, its alarm and log alarm objects, its maintenance windows' mute
rule objects, its dashboard.

Children carry a controlling ownerReference, so Kubernetes' garbage collector removes them with their
AppObservability; the dashboard lives in AWS, so deleting it is ours (behind a finalizer).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from kedawatch import tenancy
from kedawatch.aws import errors
from kedawatch.operator import children, kernel, status
from kedawatch.operator.rendering import app as rendering
from kedawatch.operator.rendering import dashboard
from kedawatch.operator.resources import crds

__all__ = ["delete_app", "reconcile_app", "refresh_app"]

PRUNED = (crds.METRIC_ALARMS, crds.LOG_ALARMS, crds.MUTE_RULES)
"""The kinds of children an app's spec names item by item: those it no longer names are deleted."""


async def reconcile_app(app: Mapping[str, Any], ctx: kernel.Context) -> dict[str, Any]:
    """Create or update the children and the dashboard; return the status patch."""
    rendered, refusal = _permitted_rendering(app, ctx)
    if rendered is None:
        return refusal
    owned = children.Children(ctx.kube, app["metadata"].get("uid", ""))
    conflicts = [applied.name for applied in [await owned.apply(obj) for obj in rendered.objects()] if applied.conflict]
    kept = await _prune(owned, app, rendered)
    try:
        board = await _sync_dashboard(app, rendered, ctx, _alarm_arns(kept))
    except errors.AwsError as exc:
        kernel.retry_if_transient(exc)
        return _status(app, False, "DashboardFailed", kernel.aws_failure(exc))
    patch = {**_status(app, True, "Ready", "the ScaledObject, alarms and dashboard match the spec"), **board}
    if conflicts:
        message = f"not overwriting objects owned by someone else: {', '.join(conflicts)}"
        patch = {**patch, **_status(app, False, "Conflict", message)}
    return {**patch, "scaledObject": rendered.scaled_object["metadata"]["name"], **_mirror(kept, app, rendered)}


async def refresh_app(app: Mapping[str, Any], ctx: kernel.Context) -> dict[str, Any]:
    """Copy each child alarm's state into the app's status, and write the dashboard again once the alarms'
    ARNs are known (its alarm widget needs them)."""
    rendered, _ = _permitted_rendering(app, ctx)
    if rendered is None:
        return {}
    owned = children.Children(ctx.kube, app["metadata"].get("uid", ""))
    listed = [child for kind in PRUNED for child in await _children(owned, app, kind)]
    board = await _sync_dashboard(app, rendered, ctx, _alarm_arns(listed))
    return {**board, **_mirror(listed, app, rendered)}


async def delete_app(app: Mapping[str, Any], ctx: kernel.Context) -> None:
    """The children go with Kubernetes' garbage collector; the dashboard is ours to delete."""
    name = app.get("status", {}).get("dashboard")
    if name:
        try:
            await ctx.store.delete_dashboard(ctx.region, name)
        except errors.AwsError as exc:
            kernel.retry_if_transient(exc)
            raise kernel.Retry(f"cannot delete dashboard {name}: {kernel.aws_failure(exc)}") from exc


async def _children(owned: children.Children, app: Mapping[str, Any], kind: crds.Reference) -> list[dict[str, Any]]:
    """The objects of `kind` this app owns: listed once per reconcile, then read from memory."""
    return await owned.owned(kind, app["metadata"].get("namespace", "default"))


async def _prune(
    owned: children.Children, app: Mapping[str, Any], rendered: rendering.Rendered
) -> list[dict[str, Any]]:
    """Delete the owned alarm, log alarm and mute rule objects the spec no longer names; return the ones kept."""
    wanted = {(child["kind"], child["metadata"]["name"]) for child in rendered.objects()}
    kept = []
    for kind in PRUNED:
        for child in await _children(owned, app, kind):
            name = child["metadata"]["name"]
            if (kind.kind, name) in wanted:
                kept.append(child)
            else:
                await owned.delete(kind, child["metadata"]["namespace"], name)
    return kept


def _permitted_rendering(
    app: Mapping[str, Any], ctx: kernel.Context
) -> tuple[rendering.Rendered | None, dict[str, Any]]:
    """What the app renders to, if its spec is valid and the tenant policy allows all of it; else None, and
    the status that says why."""
    rendered, problems = rendering.render_checked(app, ctx.settings)
    if rendered is None:
        return None, _status(app, False, "InvalidSpec", "; ".join(problems))
    try:
        _check_policy(app, rendered, ctx)
    except tenancy.Denied as exc:
        return None, _status(app, False, "Denied", f"{exc}; nothing was created or changed")
    return rendered, {}


def _check_policy(app: Mapping[str, Any], rendered: rendering.Rendered, ctx: kernel.Context) -> None:
    """Refuse up front what the scaler and the alarms would refuse later: the whole app or none of it."""
    namespace = app["metadata"].get("namespace", "default")
    for trigger in rendered.scaled_object["spec"]["triggers"]:
        metadata = trigger["metadata"]
        region = metadata.get("awsRegion") or ctx.region
        ctx.policy.check_identity(namespace, region, metadata.get("awsRoleArn"), metadata.get("awsEndpoint"))
    for definition, alarms in ((crds.METRIC_ALARMS, rendered.alarms), (crds.LOG_ALARMS, rendered.log_alarms)):
        for alarm in alarms:
            kernel.check_alarm_policy(ctx, namespace, definition, alarm["spec"])
    for rule in rendered.mute_rules:
        ctx.policy.check_identity(namespace, rule["spec"].get("region") or ctx.region, None, None)


def _alarm_arns(listed: list[dict[str, Any]]) -> list[str]:
    return sorted(arn for alarm in listed if (arn := alarm.get("status", {}).get("alarmArn")))


def _mirror(listed: list[dict[str, Any]], app: Mapping[str, Any], rendered: rendering.Rendered) -> dict[str, Any]:
    """Each child's state, as its own object's status shows it."""
    seen = {(child["kind"], child["metadata"]["name"]): child.get("status", {}) for child in listed}
    spec = app["spec"]
    alarms = _states(spec.get("alarms", []), rendered.alarms, seen, ("alarmName", "state"))
    log_alarms = _states(spec.get("logAlarms", []), rendered.log_alarms, seen, ("alarmName", "state"))
    windows = _states(
        spec.get("maintenanceWindows", []), rendered.mute_rules, seen, ("muteRuleName", "state", "nextWindowStart")
    )
    in_alarm = sum(1 for alarm in (*alarms, *log_alarms) if alarm["state"] == "ALARM")
    return {"alarms": alarms, "logAlarms": log_alarms, "maintenanceWindows": windows, "alarmsInAlarm": in_alarm}


def _states(
    declared: list[dict[str, Any]],
    children: list[dict[str, Any]],
    seen: Mapping[tuple[str, str], Mapping[str, Any]],
    keys: tuple[str, ...],
) -> list[dict[str, Any]]:
    """For each declared item, its child's name and the `keys` of that child's status."""
    states = []
    for item, child in zip(declared, children, strict=True):
        shown = seen.get((child["kind"], child["metadata"]["name"]), {})
        states.append(
            {"name": item["name"], "object": child["metadata"]["name"], **{k: shown.get(k, "") for k in keys}}
        )
    return states


async def _sync_dashboard(
    app: Mapping[str, Any], rendered: rendering.Rendered, ctx: kernel.Context, arns: list[str]
) -> dict[str, Any]:
    """Put the dashboard when its body changed (a digest in status says), delete it when turned off."""
    previous = app.get("status", {})
    if rendered.dashboard is None:
        if previous.get("dashboard"):
            await ctx.store.delete_dashboard(ctx.region, previous["dashboard"])
        return {"dashboard": "", "dashboardDigest": ""}
    body = dashboard.with_alarm_widget(rendered.dashboard["body"], arns)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    name = rendered.dashboard["name"]
    if (previous.get("dashboard"), previous.get("dashboardDigest")) != (name, digest):
        await ctx.store.put_dashboard(ctx.region, name, body)
    return {"dashboard": name, "dashboardDigest": digest}


def _status(app: Mapping[str, Any], ok: bool, reason: str, message: str) -> dict[str, Any]:
    return status.status("Ready", ok, reason, message, app["metadata"].get("generation"), app.get("status", {}))
