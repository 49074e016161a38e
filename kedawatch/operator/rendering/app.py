"""The whole of what an AppObservability becomes, checked before anything is written."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from kedawatch import settings
from kedawatch.operator.rendering import alarm_presets, dashboard, scaled_object
from kedawatch.operator.resources import app_observability as app_kind
from kedawatch.operator.resources import fields, metric_alarm

__all__ = ["Rendered", "render", "render_checked"]


@dataclasses.dataclass(frozen=True)
class Rendered:
    scaled_object: dict[str, Any]
    alarms: list[dict[str, Any]]
    dashboard: dict[str, Any] | None
    """`{"name": ..., "body": {...}}` for PutDashboard, or None when the dashboard is off."""

    def objects(self) -> list[dict[str, Any]]:
        return [self.scaled_object, *self.alarms]


def render_checked(app: Mapping[str, Any], operator: settings.OperatorSettings) -> tuple[Rendered | None, list[str]]:
    """The children, or every problem with the spec (each naming its field) and none of them."""
    problems = fields.validate(app_kind.APP_OBSERVABILITY, app.get("spec", {})) or scaled_object.trigger_problems(app)
    if problems:
        return None, problems
    try:
        rendered = render(app, operator)
    except ValueError as exc:
        return None, [str(exc)]
    for alarm, child in zip(app["spec"].get("alarms", []), rendered.alarms, strict=True):
        for problem in fields.validate(metric_alarm.METRIC_ALARM, child["spec"]):
            problems.append(f"spec.alarms[{alarm['name']}]{problem.removeprefix('spec')}")
    return (None if problems else rendered), problems


def render(app: Mapping[str, Any], operator: settings.OperatorSettings) -> Rendered:
    """The children of a valid app (`render_checked` says whether it is)."""
    spec = app["spec"]
    alarms = [alarm_presets.alarm_object(app, alarm, operator) for alarm in spec.get("alarms", [])]
    board = dashboard.dashboard(app, alarms, operator) if spec.get("dashboard", {}).get("enabled") else None
    return Rendered(scaled_object.scaled_object(app, operator), alarms, board)
