"""An AppObservability's maintenance windows: each a CloudWatchAlarmMuteRule over the app's own alarm objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedawatch.operator.rendering import owned
from kedawatch.operator.resources import crds

__all__ = ["mute_rule_object"]

_COPIED = ("schedule", "startDate", "expireDate", "description")


def mute_rule_object(app: Mapping[str, Any], window: Mapping[str, Any]) -> dict[str, Any]:
    """A mute rule named `<app>-<window>` whose targets are the objects carrying the app's children's labels: its
    alarms and log alarms, as they come and go."""
    name = app["metadata"]["name"]
    spec = {key: window[key] for key in _COPIED if key in window}
    spec.setdefault("description", f"{name}: {window['name']} (kedawatch AppObservability maintenance window)")
    spec["targets"] = {"selector": {"matchLabels": owned.labels(app)}}
    return {
        "apiVersion": crds.MUTE_RULES.api_version,
        "kind": crds.MUTE_RULES.kind,
        "metadata": owned.child_meta(app, f"{name}-{window['name']}"),
        "spec": spec,
    }
