"""The metadata every child of an AppObservability carries: its labels and the controlling ownerReference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedawatch.operator.resources import crds

__all__ = ["child_meta"]

MANAGED_BY = {"app.kubernetes.io/managed-by": "kedawatch"}


def owner_reference(app: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": crds.APPS.api_version,
        "kind": crds.APPS.kind,
        "name": app["metadata"]["name"],
        "uid": app["metadata"].get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def child_meta(app: Mapping[str, Any], name: str) -> dict[str, Any]:
    meta = app["metadata"]
    return {
        "name": name,
        "namespace": meta.get("namespace", "default"),
        "labels": {**MANAGED_BY, "kedawatch.io/app": meta["name"]},
        "ownerReferences": [owner_reference(app)],
    }
