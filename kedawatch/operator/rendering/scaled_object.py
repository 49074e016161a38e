"""An AppObservability's KEDA ScaledObject: its triggers point at kedawatch's scaler, with its metadata.

Each trigger field maps onto the scaler's metadata key in `resources.app_observability`; the checks of AWS's
names there are the scaler's own (`kedawatch.aws.names`), so a trigger rendered here is one the scaler takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedawatch import settings
from kedawatch.operator.rendering import owned
from kedawatch.operator.resources import app_observability as app_kind
from kedawatch.operator.resources import crds

__all__ = ["scaled_object", "trigger_metadata", "trigger_problems"]

SOURCE_OF = {"sqs": "aws-sqs-queue", "cloudwatch": "aws-cloudwatch", "promql": "aws-cloudwatch-promql"}
"""Each trigger kind of an AppObservability, and the scaler source it becomes."""
_KEDA_KEYS = (("idleReplicas", "idleReplicaCount"), ("pollingInterval", "pollingInterval"),
              ("cooldownPeriod", "cooldownPeriod"), ("fallback", "fallback"))  # fmt: skip


def scaled_object(app: Mapping[str, Any], operator: settings.OperatorSettings) -> dict[str, Any]:
    spec = app["spec"]
    scaling, target = spec["scaling"], spec["target"]
    trigger_type = "external-push" if scaling.get("push") else "external"
    body: dict[str, Any] = {
        "scaleTargetRef": {
            "apiVersion": target.get("apiVersion", "apps/v1"),
            "kind": target.get("kind", "Deployment"),
            "name": target["name"],
        },
        "minReplicaCount": scaling.get("minReplicas", 1),
        "maxReplicaCount": scaling["maxReplicas"],
        "triggers": [_trigger(trigger, trigger_type, operator) for trigger in scaling["triggers"]],
    }
    for key, keda_key in _KEDA_KEYS:
        if key in scaling:
            body[keda_key] = scaling[key]
    if "behavior" in scaling:
        body["advanced"] = {"horizontalPodAutoscalerConfig": {"behavior": scaling["behavior"]}}
    return {
        "apiVersion": crds.SCALED_OBJECTS.api_version,
        "kind": crds.SCALED_OBJECTS.kind,
        "metadata": owned.child_meta(app, app["metadata"]["name"]),
        "spec": body,
    }


def _trigger(trigger: Mapping[str, Any], trigger_type: str, operator: settings.OperatorSettings) -> dict[str, Any]:
    metadata = {"scalerAddress": operator.scaler_address, **trigger_metadata(trigger)}
    if operator.scaler_tls:
        metadata["enableTLS"] = "true"
    rendered: dict[str, Any] = {"type": trigger_type, "metadata": metadata}
    if "name" in trigger:
        rendered["name"] = trigger["name"]
    if operator.scaler_authentication:
        kind, _, name = operator.scaler_authentication.rpartition("/")
        rendered["authenticationRef"] = {"name": name, "kind": kind or "TriggerAuthentication"}
    return rendered


def trigger_metadata(trigger: Mapping[str, Any]) -> dict[str, str]:
    """The scaler's metadata for one trigger: KEDA's keys, every value a string."""
    kind = _kind_of(trigger)
    fields = trigger[kind]
    keys = app_kind.TRIGGER_KEYS[kind]
    metadata = {"source": SOURCE_OF[kind]}
    metadata.update((keys[field].key, keys[field].text(value)) for field, value in fields.items() if field in keys)
    if fields.get("dimensions"):
        metadata["dimensionName"] = ";".join(d["name"] for d in fields["dimensions"])
        metadata["dimensionValue"] = ";".join(d["value"] for d in fields["dimensions"])
    return metadata


def trigger_problems(app: Mapping[str, Any]) -> list[str]:
    """What the scaler would refuse in the app's triggers, in the scaler's own words, each naming its field."""
    problems = []
    for index, trigger in enumerate(app["spec"]["scaling"]["triggers"]):
        kind = _kind_of(trigger)
        keys = app_kind.TRIGGER_KEYS[kind]
        for field, value in trigger[kind].items():
            key = keys.get(field)
            if key is not None and key.check is not None and (reason := key.check(value)):
                said = reason if isinstance(value, list) else f"{key.key}={value!r}: {reason}"
                problems.append(f"spec.scaling.triggers[{index}].{kind}.{field}: {said}")
    return problems


def _kind_of(trigger: Mapping[str, Any]) -> str:
    return next(kind for kind in SOURCE_OF if kind in trigger)
