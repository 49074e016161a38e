"""The CRDs, generated from the kinds' declarations: `kedawatch crds` prints them, and the Helm chart's
`crds/` folder holds exactly this output (a test compares them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import yaml

from kedawatch import settings
from kedawatch.operator.resources import fields, legacy
from kedawatch.operator.resources.app_observability import APP_OBSERVABILITY
from kedawatch.operator.resources.composite_alarm import COMPOSITE_ALARM
from kedawatch.operator.resources.fields import Kind
from kedawatch.operator.resources.log_alarm import LOG_ALARM
from kedawatch.operator.resources.metric_alarm import METRIC_ALARM
from kedawatch.operator.resources.mute_rule import mute_rule_kind

__all__ = [
    "ALARM_DEFINITIONS",
    "APPS",
    "COMPOSITE_ALARMS",
    "DEFINITIONS",
    "LEGACY_COMPOSITE_ALARMS",
    "LEGACY_METRIC_ALARMS",
    "LOG_ALARMS",
    "METRIC_ALARMS",
    "MUTE_RULES",
    "NAMESPACES",
    "PROMETHEUS_RULES",
    "SCALED_OBJECTS",
    "Definition",
    "Reference",
    "by_kind",
    "installed",
    "manifest",
    "render",
]


def _records(**properties: str) -> dict[str, Any]:
    """A status list of objects: each property by its JSON type."""
    fields = {name: {"type": kind} for name, kind in properties.items()}
    return {"type": "array", "items": {"type": "object", "properties": fields}}


_CONDITIONS = _records(
    type="string", status="string", reason="string", message="string", lastTransitionTime="string",
    observedGeneration="integer",
)  # fmt: skip
ALARM_STATUS = {
    "type": "object",
    "x-kubernetes-preserve-unknown-fields": True,
    "properties": {
        "alarmName": {"type": "string"},
        "alarmArn": {"type": "string"},
        "region": {"type": "string"},
        "state": {"type": "string"},
        "stateReason": {"type": "string"},
        "stateUpdatedAt": {"type": "string"},
        "observedGeneration": {"type": "integer"},
        "conditions": _CONDITIONS,
    },
}
METRIC_ALARM_STATUS = {
    **ALARM_STATUS,
    "properties": {
        **ALARM_STATUS["properties"],  # type: ignore[dict-item]
        "breachingSeries": {"type": "integer", "description": "A PromQL alarm's contributors in ALARM."},
        "contributors": {
            "type": "array",
            "description": "The first breaching series, as DescribeAlarmContributors answers them.",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
                    "stateReason": {"type": "string"},
                    "since": {"type": "string"},
                },
            },
        },
        "contributorsReadAt": {"type": "string"},
        "contributorsError": {"type": "string"},
    },
}
_SHARED = ("region", "state", "observedGeneration", "conditions")
MUTE_RULE_STATUS = {
    **ALARM_STATUS,
    "properties": {
        "muteRuleName": {"type": "string"},
        "muteRuleArn": {"type": "string"},
        "active": {"type": "boolean"},
        "activeUntil": {"type": "string"},
        "nextWindowStart": {"type": "string"},
        "nextWindowEnd": {"type": "string"},
        "targets": {"type": "array", "items": {"type": "string"}},
        "targetCount": {"type": "integer"},
        "unresolvedTargets": {"type": "array", "items": {"type": "string"}},
        **{key: ALARM_STATUS["properties"][key] for key in _SHARED},  # type: ignore[index]
    },
}
_SYNCED_AGE = (
    {"name": "Synced", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Synced")].status'},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
)
MUTE_RULE_COLUMNS = (
    {"name": "State", "type": "string", "jsonPath": ".status.state"},
    {"name": "Next", "type": "string", "jsonPath": ".status.nextWindowStart"},
    {"name": "Targets", "type": "integer", "jsonPath": ".status.targetCount"},
    *_SYNCED_AGE,
)
ALARM_COLUMNS = [
    {"name": "State", "type": "string", "jsonPath": ".status.state"},
    {"name": "Alarm", "type": "string", "jsonPath": ".status.alarmName"},
    *_SYNCED_AGE,
]
METRIC_ALARM_COLUMNS: tuple[dict[str, Any], ...] = (
    *ALARM_COLUMNS[:1],
    {"name": "Breaching", "type": "integer", "jsonPath": ".status.breachingSeries", "priority": 1},
    *ALARM_COLUMNS[1:],
)
"""With a PromQL alarm's breaching series, under `-o wide` (the other alarms have none)."""
LOOSE = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_CHILD_ALARMS = _records(name="string", object="string", alarmName="string", state="string")
APP_STATUS = {
    "type": "object",
    "x-kubernetes-preserve-unknown-fields": True,
    "properties": {
        "observedGeneration": {"type": "integer"},
        "conditions": _CONDITIONS,
        "scaledObject": {"type": "string"},
        "dashboard": {"type": "string"},
        "alarmsInAlarm": {"type": "integer"},
        "alarms": _CHILD_ALARMS,
        "logAlarms": _CHILD_ALARMS,
        "maintenanceWindows": _records(
            name="string", object="string", muteRuleName="string", state="string", nextWindowStart="string"
        ),
    },
}
APP_COLUMNS = (
    {"name": "Target", "type": "string", "jsonPath": ".spec.target.name"},
    {"name": "Min", "type": "integer", "jsonPath": ".spec.scaling.minReplicas"},
    {"name": "Max", "type": "integer", "jsonPath": ".spec.scaling.maxReplicas"},
    {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
    {"name": "Alarming", "type": "integer", "jsonPath": ".status.alarmsInAlarm"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
)


@dataclasses.dataclass(frozen=True)
class Reference:
    """A kind by its API names: where the operator reads and writes objects of it."""

    group: str
    version: str
    kind: str
    plural: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def name(self) -> str:
        """The name of its CustomResourceDefinition."""
        return f"{self.plural}.{self.group}"

    def loose_manifest(self) -> dict[str, Any]:
        """Its CRD by name only, accepting any spec: for a test cluster without the kind's owner (KEDA)."""
        names = {"kind": self.kind, "plural": self.plural, "singular": self.kind.lower()}
        version = {"name": self.version, "served": True, "storage": True, "subresources": {"status": {}},
                   "schema": {"openAPIV3Schema": LOOSE}}  # fmt: skip
        return {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": self.name},
            "spec": {"group": self.group, "scope": "Namespaced", "names": names, "versions": [version]},
        }


@dataclasses.dataclass(frozen=True)
class Definition(Reference):
    """One of kedawatch's own kinds, from which its CRD is generated."""

    singular: str
    spec: Kind
    short_names: tuple[str, ...] = ()
    status: dict[str, Any] = dataclasses.field(default_factory=lambda: ALARM_STATUS)
    columns: tuple[dict[str, Any], ...] = tuple(ALARM_COLUMNS)
    legacy: bool = False
    """A `cw.aws.com` kind: a loose schema, since those manifests predate ours; the operator validates."""

    def checked(
        self, spec: Mapping[str, Any], operator: settings.OperatorSettings
    ) -> tuple[Mapping[str, Any], list[str]]:
        """The spec as the operator validates and uses it, and every problem with it: a legacy kind's in its native
        form, completed with the operator's defaults where the kind takes some (a log alarm's query role)."""
        problems: list[str] = []
        if self.legacy:
            spec, problems = legacy.to_native(self.spec, spec)
        complete = self.spec.alarm.complete if self.spec.alarm is not None else None
        if complete is not None:
            spec, missing = complete(dict(spec), operator)
            problems += missing
        return spec, problems + fields.validate(self.spec, spec)


METRIC_ALARMS = Definition(
    "kedawatch.io",
    "v1alpha1",
    "CloudWatchMetricAlarm",
    "cloudwatchmetricalarms",
    "cloudwatchmetricalarm",
    METRIC_ALARM,
    ("cwalarm",),
    status=METRIC_ALARM_STATUS,
    columns=METRIC_ALARM_COLUMNS,
)
COMPOSITE_ALARMS = Definition(
    "kedawatch.io",
    "v1alpha1",
    "CloudWatchCompositeAlarm",
    "cloudwatchcompositealarms",
    "cloudwatchcompositealarm",
    COMPOSITE_ALARM,
    ("cwcomposite",),
)
APPS = Definition(
    "kedawatch.io",
    "v1alpha1",
    "AppObservability",
    "appobservabilities",
    "appobservability",
    APP_OBSERVABILITY,
    ("appobs",),
    status=APP_STATUS,
    columns=APP_COLUMNS,
)
LEGACY_METRIC_ALARMS = Definition(
    "cw.aws.com",
    "v1",
    "cloudwatchmetricalarm",
    "cloudwatchmetricalarms",
    "cloudwatchmetricalarm",
    METRIC_ALARM,
    ("cwma", "cwmas"),
    status=METRIC_ALARM_STATUS,
    columns=METRIC_ALARM_COLUMNS,
    legacy=True,
)
LEGACY_COMPOSITE_ALARMS = Definition(
    "cw.aws.com",
    "v1",
    "cloudwatchcompositalarm",
    "cloudwatchcompositalarms",
    "cloudwatchcompositalarm",
    COMPOSITE_ALARM,
    ("cwca", "cwcas"),
    legacy=True,
)
"""The reference controller's two kinds by the names its CRDs gave them (kind, plural, singular, short names),
so that `kubectl get cwma` and every manifest and script written for it keep working."""
LOG_ALARMS = Definition(
    "kedawatch.io",
    "v1alpha1",
    "CloudWatchLogAlarm",
    "cloudwatchlogalarms",
    "cloudwatchlogalarm",
    LOG_ALARM,
    ("cwlogalarm", "cwla"),
)
ALARM_DEFINITIONS = (METRIC_ALARMS, COMPOSITE_ALARMS, LEGACY_METRIC_ALARMS, LEGACY_COMPOSITE_ALARMS, LOG_ALARMS)
MUTE_RULES = Definition(
    "kedawatch.io",
    "v1alpha1",
    "CloudWatchAlarmMuteRule",
    "cloudwatchalarmmuterules",
    "cloudwatchalarmmuterule",
    mute_rule_kind([definition.kind for definition in ALARM_DEFINITIONS]),
    ("cwmute",),
    status=MUTE_RULE_STATUS,
    columns=MUTE_RULE_COLUMNS,
)
DEFINITIONS = (
    METRIC_ALARMS, COMPOSITE_ALARMS, APPS, LEGACY_METRIC_ALARMS, LEGACY_COMPOSITE_ALARMS, LOG_ALARMS, MUTE_RULES
)  # fmt: skip
SCALED_OBJECTS = Reference("keda.sh", "v1alpha1", "ScaledObject", "scaledobjects")
"""KEDA's kind, which AppObservability generates."""
PROMETHEUS_RULES = Reference("monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules")
"""prometheus-operator's kind, whose alerting rules become CloudWatchMetricAlarm objects (`--prometheus-rules`).
kedawatch never installs its CRD: a cluster without prometheus-operator has none."""
NAMESPACES = Reference("", "v1", "Namespace", "namespaces")
"""Kubernetes' own, whose labels opt a namespace's PrometheusRules in."""


def manifest(definition: Definition) -> dict[str, Any]:
    spec_schema = LOOSE if definition.legacy else definition.spec.schema()
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": definition.name, "labels": {"app.kubernetes.io/part-of": "kedawatch"}},
        "spec": {
            "group": definition.group,
            "scope": "Namespaced",
            "names": {
                "kind": definition.kind,
                "listKind": definition.kind + "List",
                "plural": definition.plural,
                "singular": definition.singular,
                **({"shortNames": list(definition.short_names)} if definition.short_names else {}),
                "categories": ["kedawatch"],
            },
            "versions": [
                {
                    "name": definition.version,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": list(definition.columns),
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "required": ["spec"],
                            "properties": {"spec": spec_schema, "status": definition.status},
                        }
                    },
                }
            ],
        },
    }


def render(definition: Definition) -> str:
    header = "# Generated by `kedawatch crds` from kedawatch/operator/resources: do not edit.\n"
    return header + yaml.safe_dump(manifest(definition), sort_keys=False, width=120)


def installed() -> list[dict[str, Any]]:
    """The CRDs of a cluster where kedawatch runs beside KEDA, for stand-in API servers: ours, and KEDA's
    ScaledObject by name (a stand-in enforces no schema)."""
    return [*(manifest(definition) for definition in DEFINITIONS), SCALED_OBJECTS.loose_manifest()]


def by_kind(api_version: str, kind: str) -> Reference:
    """The kind an object's `apiVersion` and `kind` name, among those the operator writes."""
    for reference in (*DEFINITIONS, SCALED_OBJECTS, PROMETHEUS_RULES):
        if (reference.api_version, reference.kind) == (api_version, kind):
            return reference
    raise LookupError(f"{api_version} {kind} is not a kind kedawatch writes")
