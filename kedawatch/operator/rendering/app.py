"""The whole of what an AppObservability becomes, checked before anything is written."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from kedawatch import settings
from kedawatch.operator.rendering import alarm_presets, dashboard, log_presets, maintenance, scaled_object
from kedawatch.operator.resources import app_observability as app_kind
from kedawatch.operator.resources import crds, fields

__all__ = ["Rendered", "render", "render_checked"]


@dataclasses.dataclass(frozen=True)
class Rendered:
    scaled_object: dict[str, Any]
    alarms: list[dict[str, Any]]
    dashboard: dict[str, Any] | None
    """`{"name": ..., "body": {...}}` for PutDashboard, or None when the dashboard is off."""
    log_alarms: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    mute_rules: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """The maintenance windows."""

    def objects(self) -> list[dict[str, Any]]:
        return [self.scaled_object, *self.alarms, *self.log_alarms, *self.mute_rules]


def render_checked(app: Mapping[str, Any], operator: settings.OperatorSettings) -> tuple[Rendered | None, list[str]]:
    """The children, or every problem with the spec (each naming its field) and none of them."""
    problems = fields.validate(app_kind.APP_OBSERVABILITY, app.get("spec", {})) or scaled_object.trigger_problems(app)
    if problems:
        return None, problems
    try:
        rendered = render(app, operator)
    except ValueError as exc:
        return None, [str(exc)]
    problems += _child_problems(app, "alarms", rendered.alarms, crds.METRIC_ALARMS, operator)
    problems += _child_problems(app, "logAlarms", rendered.log_alarms, crds.LOG_ALARMS, operator)
    problems += _child_problems(app, "maintenanceWindows", rendered.mute_rules, crds.MUTE_RULES, operator)
    return (None if problems else rendered), problems


def _child_problems(
    app: Mapping[str, Any],
    key: str,
    children: list[dict[str, Any]],
    kind: crds.Definition,
    operator: settings.OperatorSettings,
) -> list[str]:
    """Every problem with the children of the app's `key`, each named by its item, as their own kind validates
    them, with the operator's defaults where their kind takes some (a log alarm's role)."""
    problems = []
    for item, child in zip(app["spec"].get(key, []), children, strict=True):
        _, found = kind.checked(child["spec"], operator)
        problems += [f"spec.{key}[{item['name']}]{problem.removeprefix('spec')}" for problem in found]
    return problems


def render(app: Mapping[str, Any], operator: settings.OperatorSettings) -> Rendered:
    """The children of a valid app (`render_checked` says whether it is)."""
    spec = app["spec"]
    alarms = [alarm_presets.alarm_object(app, alarm, operator) for alarm in spec.get("alarms", [])]
    log_alarms = [log_presets.log_alarm_object(app, item, operator) for item in spec.get("logAlarms", [])]
    windows = [maintenance.mute_rule_object(app, window) for window in spec.get("maintenanceWindows", [])]
    shown = [*alarms, *log_alarms]
    board = dashboard.dashboard(app, shown, operator) if spec.get("dashboard", {}).get("enabled") else None
    return Rendered(scaled_object.scaled_object(app, operator), alarms, board, log_alarms, windows)
