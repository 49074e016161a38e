"""Round trips for what `kedawatch migrate` prints: every ScaledObject against KEDA's own CRD schema, every
trigger through the scaler's own parser (or, for `metricDataQueries`, `metric_math`), every AppObservability
through kedawatch's own validation and rendering, and the YAML text back into the same objects."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kedawatch import settings
from kedawatch.migration import autoscalers, commented, migrating
from kedawatch.migration.results import Converted
from kedawatch.operator.rendering import app as rendering
from kedawatch.operator.resources import app_observability, fields
from kedawatch.scaler import triggers
from tests.helm import schemas

__all__ = ["DATA", "SCALER", "check", "migrate", "migrate_text", "scaled_object_schema"]

DATA = Path(__file__).parent / "data"
SCALER = "kedawatch-scaler.kedawatch.svc:9090"
KEDA_CRD = schemas.KEDA_CRDS / "keda.sh_scaledobjects.yaml"


def scaled_object_schema() -> dict[str, Any]:
    if not KEDA_CRD.exists():
        pytest.skip(f"{KEDA_CRD} is absent: KEDA's ScaledObject CRD comes with ../shared (CI always has it)")
    crd = yaml.safe_load(KEDA_CRD.read_text())
    return schemas.closed(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def migrate_text(text: str, app: bool = False) -> list[Converted]:
    documents, unread = migrating.load(text, "test.yaml")
    return unread + migrating.migrate(documents, autoscalers.Settings(SCALER, app=app))


def migrate(*files: Path, app: bool = False) -> list[Converted]:
    documents: list[Any] = []
    results: list[Converted] = []
    for file in files:
        found, unread = migrating.load(file.read_text(), file.name)
        documents += found
        results += unread
    return results + migrating.migrate(documents, autoscalers.Settings(SCALER, app=app))


def check(results: Sequence[Converted]) -> list[dict[str, Any]]:
    """The objects printed, each checked as KEDA and kedawatch will check it."""
    objects = [result.obj for result in results if result.obj is not None]
    printed = [doc for doc in yaml.safe_load_all(commented.dump_yaml(results)) if doc is not None]
    assert printed == objects, "the YAML with its comments reads back as the same objects"
    for obj in objects:
        if obj["kind"] == "ScaledObject":
            jsonschema.Draft7Validator(scaled_object_schema()).validate(obj)
            for trigger in obj["spec"]["triggers"]:
                _check_trigger(trigger)
        elif obj["kind"] == "AppObservability":
            _check_app(obj)
    return objects


def _check_trigger(trigger: dict[str, Any]) -> None:
    metadata = trigger["metadata"]
    if trigger["type"] in ("cpu", "memory"):
        assert trigger["metricType"] in ("Utilization", "AverageValue")
        return
    assert trigger["type"] == "external" and trigger["metricType"] in ("Value", "AverageValue")
    parsed = triggers.parse(metadata, "us-east-1")
    assert parsed.source.target() == float(metadata["targetMetricValue"])


def _check_app(app: dict[str, Any]) -> None:
    """kedawatch's own validation, then what the operator renders: KEDA's schema and the scaler's parser."""
    assert fields.validate(app_observability.APP_OBSERVABILITY, app["spec"]) == []
    operator = settings.OperatorSettings(region="us-east-1")
    rendered, problems = rendering.render_checked({**app, "metadata": {**app["metadata"], "uid": "u"}}, operator)
    assert rendered is not None, problems
    jsonschema.Draft7Validator(scaled_object_schema()).validate(rendered.scaled_object)
    for trigger in rendered.scaled_object["spec"]["triggers"]:
        triggers.parse(trigger["metadata"], "us-east-1")
