"""The metadata every child of an AppObservability (or of another owner, such as a PrometheusRule) carries: its labels
and the controlling ownerReference; and the parts every alarm child of an app shares (its actions, its
description)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedawatch.operator.resources import crds

__all__ = ["alarm_child", "child_meta", "labels", "owned_meta"]

MANAGED_BY = {"app.kubernetes.io/managed-by": "kedawatch"}


def owner_reference(owner: Mapping[str, Any], kind: crds.Reference) -> dict[str, Any]:
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"].get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def labels(app: Mapping[str, Any]) -> dict[str, str]:
    """The labels of the app's children: what its maintenance windows select its alarms by."""
    return {**MANAGED_BY, "kedawatch.io/app": app["metadata"]["name"]}


def child_meta(app: Mapping[str, Any], name: str) -> dict[str, Any]:
    return owned_meta(app, crds.APPS, name, labels(app))


def owned_meta(
    owner: Mapping[str, Any], kind: crds.Reference, name: str, child_labels: Mapping[str, str]
) -> dict[str, Any]:
    """The metadata of a child named `name` of `owner` (of `kind`), in its namespace, controlled by it, with the
    labels every kedawatch child carries and `child_labels`."""
    return {
        "name": name,
        "namespace": owner["metadata"].get("namespace", "default"),
        "labels": {**MANAGED_BY, **child_labels},
        "ownerReferences": [owner_reference(owner, kind)],
    }


def alarm_child(
    app: Mapping[str, Any], item: Mapping[str, Any], kind: crds.Reference, spec: Mapping[str, Any]
) -> dict[str, Any]:
    """The alarm object of kind `kind` that one of the app's alarms (`item`) becomes: named `<app>-<name>`, calling
    the app's actions unless it names its own, described as the app's."""
    spec = dict(spec)
    actions = item.get("alarmActions", app["spec"].get("alarmActions"))
    if actions and "alarmActions" not in spec:
        spec["alarmActions"] = list(actions)
    spec.setdefault("description", f"{app['metadata']['name']}: {item['name']} (kedawatch AppObservability)")
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": child_meta(app, f"{app['metadata']['name']}-{item['name']}"),
        "spec": spec,
    }
