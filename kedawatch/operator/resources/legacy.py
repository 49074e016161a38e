"""The reference controller's `cw.aws.com/v1` manifests, read as the native kinds.

Their PascalCase fields map onto the native camelCase fields named by each `Field.legacy`, so one
reconciler serves both. Unlike the reference controller, a `Threshold` of 0 is kept, `OKActions` (or
`OkActions`) and `ExtendedStatistic` are sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedawatch.operator.resources import common
from kedawatch.operator.resources.fields import Kind

__all__ = ["to_native"]


def to_native(kind: Kind, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The native spec, and a problem for each key the kind does not know."""
    by_legacy = {name: field.key for field in kind.fields for name in field.legacy}
    native: dict[str, Any] = {}
    problems = []
    for key, value in spec.items():
        if key not in by_legacy:
            problems.append(f"spec.{key}: unknown field")
            continue
        native[by_legacy[key]] = _tags(value) if by_legacy[key] == "tags" else _camel(value)
    return native, problems


def _camel(value: Any) -> Any:
    """PascalCase keys to camelCase, all the way down (`MetricStat.Period` -> `metricStat.period`)."""
    return common.recased(value, str.lower)


def _tags(value: Any) -> Any:
    """Tags as AWS lists them (`[{Key, Value}]`) or as a map."""
    if isinstance(value, list):
        return {str(tag.get("Key")): str(tag.get("Value", "")) for tag in value if isinstance(tag, Mapping)}
    return value
