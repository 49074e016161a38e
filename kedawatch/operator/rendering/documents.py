"""`kedawatch render`'s input and output: AppObservability documents in, the objects they become out."""

from __future__ import annotations

import json
from typing import Any

import yaml

from kedawatch import settings
from kedawatch.operator.rendering import app as rendering
from kedawatch.operator.resources import crds

__all__ = ["dump", "render_file"]


def render_file(text: str, operator: settings.OperatorSettings) -> list[dict[str, Any]]:
    """Every object the AppObservability documents in `text` become; other documents are skipped.

    Raises ValueError naming each bad object and field.
    """
    objects: list[dict[str, Any]] = []
    problems: list[str] = []
    for document in yaml.safe_load_all(text):
        if not isinstance(document, dict) or document.get("kind") != crds.APPS.kind:
            continue
        meta = document.get("metadata", {})
        rendered, found = rendering.render_checked(document, operator)
        problems += [f"{meta.get('namespace', 'default')}/{meta.get('name')}: {problem}" for problem in found]
        if rendered is not None:
            objects += rendered.objects()
    if problems:
        raise ValueError("invalid AppObservability:\n  " + "\n  ".join(problems))
    return objects


def dump(objects: list[dict[str, Any]], output: str) -> str:
    if output == "json":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}, indent=2) + "\n"
    return "---\n".join(yaml.safe_dump(obj, sort_keys=False) for obj in objects)
