"""Reconcile an AppObservability: its ScaledObject, its CloudWatchMetricAlarm objects, its dashboard.

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
from kedawatch.operator.resources.metric_alarm import METRIC_ALARM

__all__ = ["delete_app", "reconcile_app", "refresh_app"]


async def reconcile_app(app: Mapping[str, Any], ctx: kernel.Context) -> dict[str, Any]:
    """Create or update the children and the dashboard; return the status patch."""
    rendered, refusal = _permitted_rendering(app, ctx)
    if rendered is None:
        return refusal
    owned = children.Children(ctx.kube, app["metadata"].get("uid", ""))
    conflicts = [applied.name for applied in [await owned.apply(obj) for obj in rendered.objects()] if applied.conflict]
    kept = await _prune_alarms(owned, app, {alarm["metadata"]["name"] for alarm in rendered.alarms})
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
    listed = await _child_alarms(children.Children(ctx.kube, app["metadata"].get("uid", "")), app)
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


async def _child_alarms(owned: children.Children, app: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The alarm objects this app owns: listed once per reconcile, then read from memory."""
    return await owned.owned(crds.METRIC_ALARMS, app["metadata"].get("namespace", "default"))


async def _prune_alarms(owned: children.Children, app: Mapping[str, Any], wanted: set[str]) -> list[dict[str, Any]]:
    """Delete the owned alarm objects the spec no longer names; return the ones kept."""
    kept = []
    for alarm in await _child_alarms(owned, app):
        name = alarm["metadata"]["name"]
        if name in wanted:
            kept.append(alarm)
        else:
            await owned.delete(crds.METRIC_ALARMS, alarm["metadata"]["namespace"], name)
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
    for alarm in rendered.alarms:
        region = alarm["spec"].get("region") or ctx.region
        kernel.check_policy(ctx, namespace, region, METRIC_ALARM.aws_params(alarm["spec"]))


def _alarm_arns(listed: list[dict[str, Any]]) -> list[str]:
    return sorted(arn for alarm in listed if (arn := alarm.get("status", {}).get("alarmArn")))


def _mirror(listed: list[dict[str, Any]], app: Mapping[str, Any], rendered: rendering.Rendered) -> dict[str, Any]:
    by_name = {alarm["metadata"]["name"]: alarm for alarm in listed}
    mirrored = []
    for declared, child in zip(app["spec"].get("alarms", []), rendered.alarms, strict=True):
        seen = by_name.get(child["metadata"]["name"], {}).get("status", {})
        mirrored.append({
            "name": declared["name"],
            "object": child["metadata"]["name"],
            "alarmName": seen.get("alarmName", ""),
            "state": seen.get("state", ""),
        })  # fmt: skip
    return {"alarms": mirrored, "alarmsInAlarm": sum(1 for alarm in mirrored if alarm["state"] == "ALARM")}


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
