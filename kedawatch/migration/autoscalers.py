"""A HorizontalPodAutoscaler (autoscaling/v2beta1, v2beta2, v2) and the adapter ExternalMetrics it names, as the
KEDA ScaledObject, or kedawatch AppObservability, that replaces them.

Decided from the HPA API (`minReplicas` defaults to 1; an External metric names the adapter's metric by the
ExternalMetric's object name in the HPA's namespace, which is how the adapter looked it up; v2beta1 has no
`behavior`) and KEDA's ScaledObject spec (keda.sh/docs/latest/reference/scaledobject-spec: `minReplicaCount`
defaults to 0; `advanced.horizontalPodAutoscalerConfig.behavior`; the annotation
`scaledobject.keda.sh/transfer-hpa-ownership` with `advanced.horizontalPodAutoscalerConfig.name` takes over an
existing HPA; a trigger's `metricType` is `AverageValue` (the default) or `Value`; the cpu and memory scalers
take `metricType` Utilization or AverageValue, `value`, and `containerName` for a container's resource).
"""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Mapping
from typing import Any

from kedawatch.migration import external_metrics, quantities
from kedawatch.migration.results import Converted, Document, Note, Path, prefixed
from kedawatch.operator.rendering import scaled_object
from kedawatch.operator.resources import app_observability, crds, fields
from kedawatch.scaler import metadata, triggers

__all__ = ["VERSIONS", "Settings", "convert", "external_metric_names"]

VERSIONS = ("autoscaling/v2beta1", "autoscaling/v2beta2", "autoscaling/v2")
TRANSFER_ANNOTATION = "scaledobject.keda.sh/transfer-hpa-ownership"
_SPEC_KEYS = ("scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior")
_STAND_IN_REGION = "us-east-1"
"""The scaler's own region, which a trigger without awsRegion reads in; any region checks the rest."""


@dataclasses.dataclass(frozen=True)
class Settings:
    scaler_address: str
    """`scalerAddress` of the generated triggers (ScaledObjects; an AppObservability's come from the operator)."""
    app: bool = False
    """AppObservability objects instead of ScaledObjects."""


@dataclasses.dataclass(frozen=True)
class _Target:
    type: str
    """Value, AverageValue or Utilization: the HPA's target type, which KEDA's `metricType` is."""
    value: Any


Key = tuple[str, str]
"""(namespace, name) of an ExternalMetric."""


def external_metric_names(hpa: Document) -> list[str]:
    """The External metrics an HPA names: the adapter served each from the ExternalMetric of that name."""
    names = []
    for metric in _metrics(hpa):
        external = metric.get("external") if metric.get("type") == "External" else None
        if isinstance(external, Mapping):
            name = external.get("metricName") or (external.get("metric") or {}).get("name")
            names.append(str(name))
    return names


def _metrics(hpa: Document) -> list[Mapping[str, Any]]:
    spec = hpa.body.get("spec") or {}
    found = spec.get("metrics") if isinstance(spec, Mapping) else None
    return [m for m in found if isinstance(m, Mapping)] if isinstance(found, list) else []


def convert(hpa: Document, adapter_metrics: Mapping[Key, Document], settings: Settings) -> Converted:
    spec = hpa.body.get("spec")
    if (
        not isinstance(spec, Mapping)
        or not isinstance(spec.get("scaleTargetRef"), Mapping)
        or "maxReplicas" not in spec
    ):
        return Converted(
            None, [Note((), f"{hpa.describe()}: not converted, no spec.scaleTargetRef or maxReplicas", True)]
        )
    triggers_path: Path = ("spec", "scaling", "triggers") if settings.app else ("spec", "triggers")
    made: list[dict[str, Any]] = []
    notes = [Note((), f"replaces {hpa.describe()}")]
    for index, metric in enumerate(_metrics(hpa)):
        trigger, found = _trigger(hpa, index, metric, adapter_metrics, settings)
        where = (*triggers_path, len(made)) if trigger is not None else triggers_path
        notes += prefixed(where, found)
        if trigger is not None:
            made.append(_uniquely_named(trigger, made))
    notes += [
        Note(("spec",), f"spec.{key}: not carried over, no HorizontalPodAutoscaler field", True)
        for key in spec
        if key not in _SPEC_KEYS
    ]
    if not made:
        return Converted(
            None, [*notes, Note((), f"{hpa.describe()}: not converted, none of its metrics carried over", True)]
        )
    build = _app if settings.app else _scaled_object
    obj, found = build(hpa, spec, made)
    notes += found
    if "minReplicas" not in spec:
        path: Path = ("spec", "scaling", "minReplicas") if settings.app else ("spec", "minReplicaCount")
        notes.append(Note(path, "the HPA set no minReplicas, so 1 (its default); KEDA's default is 0, scale to zero"))
    return Converted(obj, notes)


def _uniquely_named(trigger: dict[str, Any], made: list[dict[str, Any]]) -> dict[str, Any]:
    """KEDA refuses a ScaledObject whose triggers share a name (`ValidateTriggers`): an HPA naming one
    ExternalMetric twice gets `name`, `name-2`, ..."""
    taken = {t.get("name") for t in made}
    name, count = trigger.get("name"), 1
    while name is not None and name in taken:
        count += 1
        name = f"{trigger['name']}-{count}"
    return trigger if name is None else {**trigger, "name": name}


def _scaled_object(
    hpa: Document, spec: Mapping[str, Any], made: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[Note]]:
    config: dict[str, Any] = {"name": hpa.name}
    if "behavior" in spec:
        config["behavior"] = spec["behavior"]
    body = {
        "scaleTargetRef": dict(spec["scaleTargetRef"]),
        "minReplicaCount": spec.get("minReplicas", 1),
        "maxReplicaCount": spec["maxReplicas"],
        "advanced": {"horizontalPodAutoscalerConfig": config},
        "triggers": made,
    }
    obj = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {**_meta(hpa), "annotations": {TRANSFER_ANNOTATION: "true"}},
        "spec": body,
    }
    text = (
        f"KEDA takes over the HPA {hpa.name} in place (advanced.horizontalPodAutoscalerConfig.name), so scaling"
        " never stops; then remove the HPA from your manifests, or your deploy tool writes it back"
    )
    return obj, [Note(("metadata", "annotations", TRANSFER_ANNOTATION), text)]


def _app(hpa: Document, spec: Mapping[str, Any], made: list[dict[str, Any]]) -> tuple[dict[str, Any], list[Note]]:
    scaling: dict[str, Any] = {"minReplicas": spec.get("minReplicas", 1), "maxReplicas": spec["maxReplicas"]}
    if "behavior" in spec:
        scaling["behavior"] = spec["behavior"]
    scaling["triggers"] = made
    body = {"target": dict(spec["scaleTargetRef"]), "scaling": scaling}
    obj = {"apiVersion": crds.APPS.api_version, "kind": crds.APPS.kind, "metadata": _meta(hpa), "spec": body}
    text = (
        f"delete the HPA {hpa.name} before applying: KEDA refuses a ScaledObject for a workload another HPA"
        " scales, and the operator's ScaledObject cannot take it over"
    )
    notes = [Note((), text)]
    notes += [
        Note(("spec",), f"not accepted by kedawatch: {p}", True)
        for p in fields.validate(app_observability.APP_OBSERVABILITY, body)
    ]
    return obj, notes


def _meta(hpa: Document) -> dict[str, Any]:
    meta = hpa.body.get("metadata") or {}
    found: dict[str, Any] = {"name": hpa.name}
    if meta.get("namespace"):
        found["namespace"] = meta["namespace"]
    if meta.get("labels"):
        found["labels"] = dict(meta["labels"])
    return found


def _trigger(
    hpa: Document, index: int, metric: Mapping[str, Any], adapter_metrics: Mapping[Key, Document], settings: Settings
) -> tuple[dict[str, Any] | None, list[Note]]:
    kind = metric.get("type")
    where = f"spec.metrics[{index}] ({kind})"
    if kind == "External":
        return _external(hpa, where, metric.get("external") or {}, adapter_metrics, settings)
    if kind in ("Resource", "ContainerResource"):
        return _resource(
            hpa, where, metric.get("resource" if kind == "Resource" else "containerResource") or {}, settings
        )
    if kind in ("Pods", "Object"):
        text = (
            f"{where}: not carried over, {'an' if kind == 'Object' else 'a'} {kind} metric comes from the custom"
            " metrics API, which a ScaledObject cannot name; KEDA's triggers read their sources directly (for"
            " Prometheus, its prometheus scaler)"
        )
        return None, [Note((), text, True)]
    return None, [Note((), f"{where}: not carried over, not a metric type the HPA API knows", True)]


def _external(
    hpa: Document, where: str, external: Mapping[str, Any], adapter_metrics: Mapping[Key, Document], settings: Settings
) -> tuple[dict[str, Any] | None, list[Note]]:
    v2beta1 = hpa.api_version == "autoscaling/v2beta1"
    name = external.get("metricName") if v2beta1 else (external.get("metric") or {}).get("name")
    selector = external.get("metricSelector") if v2beta1 else (external.get("metric") or {}).get("selector")
    target, problem = _target(external, v2beta1, ("targetValue", "Value"), ("targetAverageValue", "AverageValue"))
    if problem:
        return None, [Note((), f"{where}: not carried over, {problem}", True)]
    assert target is not None
    source = adapter_metrics.get((hpa.namespace, str(name)))
    if source is None:
        text = (
            f"{where}: not carried over, no ExternalMetric {name} in namespace {hpa.namespace} among the files"
            " given. If it is the adapter's, pass its file too; if another adapter serves it, KEDA now serves"
            " the cluster's external metrics API, so use KEDA's scaler for that source"
        )
        return None, [Note((), text, True)]
    converted = external_metrics.convert(source)
    notes = [Note((), f"{where}: {name}, from {source.describe()}"), *converted.notes]
    if selector:
        notes.append(Note((), f"{where} selector: not carried over, the adapter ignored it"))
    if converted.fields is None:
        return None, notes
    try:
        value = quantities.parse(target.value)
    except ValueError as exc:
        return None, [*notes, Note((), f"{where} target {target.value!r}: not carried over, {exc}", True)]
    if value <= 0:
        return None, [*notes, Note((), f"{where} target {target.value!r}: not carried over, must be above 0", True)]
    truncated = (
        "the adapter truncated CloudWatch's value to a whole number before the HPA compared it with this"
        " target; kedawatch passes the value on as it is"
    )
    notes.append(Note(("target",), truncated))
    if settings.app:
        return _app_cloudwatch(str(name), target.type, value, converted.fields, notes)
    return _external_trigger(str(name), target.type, value, converted.fields, notes, settings)


def _target(source: Mapping[str, Any], v2beta1: bool, *keys: tuple[str, str]) -> tuple[_Target | None, str | None]:
    """The target of a v2beta1 metric (one of its `target...` fields) or a v2beta2/v2 one (`target`)."""
    if v2beta1:
        given = [_Target(kind, source[key]) for key, kind in keys if key in source]
        if len(given) != 1:
            return None, f"needs exactly one of {', '.join(key for key, _ in keys)}"
        return given[0], None
    target = source.get("target") or {}
    kinds = {kind: key for key, kind in keys}
    field_of = {"Value": "value", "AverageValue": "averageValue", "Utilization": "averageUtilization"}
    kind = target.get("type")
    if kind not in kinds or field_of[kind] not in target:
        return None, f"target.type must be one of {', '.join(kinds)}, with its {'/'.join(field_of[k] for k in kinds)}"
    return _Target(kind, target[field_of[kind]]), None


def _external_trigger(
    name: str, metric_type: str, value: decimal.Decimal, source: dict[str, Any], notes: list[Note], settings: Settings
) -> tuple[dict[str, Any] | None, list[Note]]:
    meta = {"scalerAddress": settings.scaler_address, **scaled_object.trigger_metadata({"cloudwatch": source})}
    meta["targetMetricValue"] = quantities.plain(value)
    trigger = {"type": "external", "name": name, "metricType": metric_type, "metadata": meta}
    placed = [dataclasses.replace(n, path=_metadata_path(n.path)) if n.path else n for n in notes]
    refused = [Note(("metadata",), f"the scaler would refuse this trigger: {p}", True) for p in _scaler_problems(meta)]
    return trigger, placed + refused


def _metadata_path(path: Path) -> Path:
    """A note on a `cloudwatch` field, placed at the metadata key it becomes."""
    field = str(path[0])
    cloudwatch = app_observability.TRIGGER_KEYS["cloudwatch"]
    keys = {**{field: key.key for field, key in cloudwatch.items()}, "dimensions": "dimensionName"}
    return ("metadata", keys.get(field, field), *path[1:])


def _scaler_problems(meta: Mapping[str, str]) -> list[str]:
    """What the scaler's own parser says of the metadata."""
    try:
        triggers.parse(meta, _STAND_IN_REGION)
    except metadata.MetadataError as exc:
        return [str(problem) for problem in exc.problems]
    return []


def _app_cloudwatch(
    name: str, metric_type: str, value: decimal.Decimal, source: dict[str, Any], notes: list[Note]
) -> tuple[dict[str, Any] | None, list[Note]]:
    if metric_type != "AverageValue":
        text = (
            f"target type {metric_type}: not carried over, an AppObservability's triggers always scale on"
            " AverageValue (the metric divided by the replicas); convert this HPA without --app"
        )
        return None, [*notes, Note((), text, True)]
    number = int(value) if value == value.to_integral_value() else float(value)
    trigger = {"name": name, "cloudwatch": {**source, "target": number}}
    return trigger, [dataclasses.replace(n, path=("cloudwatch", *n.path)) if n.path else n for n in notes]


def _resource(
    hpa: Document, where: str, resource: Mapping[str, Any], settings: Settings
) -> tuple[dict[str, Any] | None, list[Note]]:
    name = resource.get("name")
    if settings.app:
        text = (
            f"{where}: not carried over, an AppObservability has no {name} trigger; convert this HPA without"
            " --app for KEDA's cpu/memory triggers"
        )
        return None, [Note((), text, True)]
    if name not in ("cpu", "memory"):
        return None, [Note((), f"{where}: not carried over, KEDA scales on cpu and memory only, not {name}", True)]
    target, problem = _target(
        resource,
        hpa.api_version == "autoscaling/v2beta1",
        ("targetAverageUtilization", "Utilization"),
        ("targetAverageValue", "AverageValue"),
    )
    if problem:
        return None, [Note((), f"{where}: not carried over, {problem}", True)]
    assert target is not None
    problem = _resource_value(target)
    if problem:
        return None, [Note((), f"{where} target {target.value!r}: not carried over, {problem}", True)]
    meta = {"value": str(target.value)}
    if resource.get("container"):
        meta["containerName"] = str(resource["container"])
    return {"type": name, "metricType": target.type, "metadata": meta}, []


def _resource_value(target: _Target) -> str | None:
    if target.type == "Utilization":
        ok = isinstance(target.value, int) and not isinstance(target.value, bool) and target.value > 0
        return None if ok else "must be a whole percentage above 0"
    try:
        return None if quantities.parse(target.value) > 0 else "must be above 0"
    except ValueError as exc:
        return str(exc)
