"""What a PrometheusRule (prometheus-operator's `monitoring.coreos.com/v1` kind) becomes: one CloudWatchMetricAlarm
object per alerting rule, a CloudWatch PromQL alarm, owned by the PrometheusRule.

| Prometheus | CloudWatchMetricAlarm |
| --- | --- |
| `expr` | `evaluationCriteria.promQLCriteria.query` |
| `for` | `...pendingPeriod` (seconds, rounded up) |
| `keep_firing_for` | `...recoveryPeriod` (seconds, rounded up) |
| the group's `interval` | `evaluationInterval`, moved to the nearest shorter value CloudWatch takes (noted) |
| `labels` (the group's, then the rule's) and the alert's name | `tags`, and the labels the routing table matches |
| `annotations` | `description`, `summary` and `description` first; templates kept as text |

Anything CloudWatch cannot express is reported, never dropped in silence: a rule that cannot become an alarm is
`Skipped` with the reason, and what was adjusted or left out of an alarm is in `notes`. Each alarm object is checked
as its own kind checks it, so a rule the alarm would refuse (a PromQL syntax error, a period out of range) is
skipped by name while the others are made. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Mapping
from typing import Any

from kedawatch import settings
from kedawatch.aws import vocabulary
from kedawatch.operator import alert_routes, ownership
from kedawatch.operator.rendering import owned
from kedawatch.operator.resources import crds, fields, metric_alarm

__all__ = [
    "DELETION_POLICY_LABEL",
    "RULE_LABEL",
    "Alarm",
    "Skipped",
    "Translation",
    "duration_ms",
    "evaluation_interval",
    "translate",
]

RULE_LABEL = "kedawatch.io/prometheus-rule"
"""On each alarm object: the name of its PrometheusRule (for `kubectl get cwalarm -l` and mute rules' selectors)."""
DELETION_POLICY_LABEL = "kedawatch.io/deletion-policy"
"""On a PrometheusRule: `Retain` keeps its alarms in CloudWatch when their objects go (a label, not an annotation:
kopf reacts to a change of labels, and leaves kedawatch.io annotations out of what it compares)."""
_DURATION = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)  # fmt: skip
_UNIT_MS = (365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1)
"""Prometheus's units (`model.ParseDuration`): a year is 365 days, a week 7."""
_INTERVAL = metric_alarm.FIELDS_BY_KEY["evaluationInterval"].schema
_DESCRIPTION = metric_alarm.FIELDS_BY_KEY["description"].schema
_FIRST_ANNOTATIONS = ("summary", "description")
_MAX_OBJECT_NAME = 253
_MAX_LABEL_VALUE = 63
_CRITERIA = "spec.evaluationCriteria.promQLCriteria"
_DURATIONS = ("for", "keep_firing_for")
_RULE_FIELDS = (
    (f"{_CRITERIA}.query", "expr"),
    (f"{_CRITERIA}.pendingPeriod", "for"),
    (f"{_CRITERIA}.recoveryPeriod", "keep_firing_for"),
    (_CRITERIA, "expr"),
    ("spec.evaluationInterval", "the group's interval"),
    ("spec.tags", "labels"),
    ("spec.description", "annotations"),
    ("spec.alarmName", "the alarm's name"),
    *((f"spec.{key}", f"the route's {key}") for key in alert_routes.ACTION_KEYS),
)
"""Where an alarm object's problems come from in the rule, so a report names what its author wrote."""


@dataclasses.dataclass(frozen=True)
class Alarm:
    rule: str
    """How reports name the rule: `<group>/<alert>`."""
    object: dict[str, Any]
    """The CloudWatchMetricAlarm object."""


@dataclasses.dataclass(frozen=True)
class Skipped:
    rule: str
    reason: str
    child: str | None = None
    """The name the rule's alarm object has, for an alerting rule: an alarm made from an earlier version of the rule
    is kept as it was, as Prometheus keeps its last good rules when a new rule file does not load."""

    def __str__(self) -> str:
        return f"{self.rule}: {self.reason}"


@dataclasses.dataclass(frozen=True)
class Translation:
    alarms: list[Alarm]
    skipped: list[Skipped]
    notes: list[str]
    """What was adjusted or not carried over in alarms that were made (an interval moved, a group's limit)."""


@dataclasses.dataclass(frozen=True)
class _Group:
    name: str
    interval: int
    labels: Mapping[str, str]


def duration_ms(text: str) -> int:
    """A Prometheus duration (`1h30m`, `5m`, `0`, units y w d h m s ms in that order) in milliseconds."""
    if text == "0":
        return 0
    found = _DURATION.fullmatch(text)
    if found is None or not any(found.groups()):
        raise ValueError(f"{text!r} is not a Prometheus duration such as 30s, 5m or 1h30m (units y w d h m s ms)")
    return sum(int(amount) * unit for amount, unit in zip(found.groups(), _UNIT_MS, strict=True) if amount)


def evaluation_interval(seconds: float) -> int:
    """The interval CloudWatch takes that is nearest to `seconds` without being longer (so an alarm is evaluated at
    least as often as Prometheus evaluated its rule), within CloudWatch's shortest and longest."""
    shortest, longest = _INTERVAL["minimum"], _INTERVAL["maximum"]
    wanted = min(max(seconds, shortest), longest)
    return max(period for period in range(shortest, int(wanted) + 1) if vocabulary.alarm_period_ok(period))


def translate(rule: Mapping[str, Any], operator: settings.OperatorSettings, routes: alert_routes.Routes) -> Translation:
    """Every alerting rule of the PrometheusRule `rule` as an alarm object, or skipped with the reason."""
    translation = Translation([], [], [])
    groups = rule.get("spec", {}).get("groups") or []
    if not isinstance(groups, list):
        translation.skipped.append(Skipped("spec.groups", "must be a list of rule groups"))
        return translation
    names = _Names(rule, operator.cluster_name)
    for index, group in enumerate(groups):
        _translate_group(rule, group, index, operator, routes, names, translation)
    return translation


class _Names:
    """The names of one PrometheusRule's alarms, each alert's occurrences in its group counted (Prometheus allows
    two rules of one name in a group) so every alarm gets its own."""

    def __init__(self, rule: Mapping[str, Any], cluster: str) -> None:
        meta = rule["metadata"]
        self._object, self._prefix = meta["name"], f"{cluster}/{meta.get('namespace', 'default')}/{meta['name']}"
        self._seen: dict[tuple[str, str], int] = {}
        self._alarm_names: set[str] = set()

    def next(self, group: str, alert: str) -> tuple[str, str, str]:
        """(how reports name the rule, its object's name, its alarm's name)."""
        occurrence = self._seen[group, alert] = self._seen.get((group, alert), 0) + 1
        suffix = f"#{occurrence}" if occurrence > 1 else ""
        key = f"{group}\0{alert}\0{occurrence}"
        digest = hashlib.sha256(key.encode()).hexdigest()
        readable = "-".join(part for part in (self._object, _slug(group), _slug(alert)) if part)
        object_name = f"{readable[: _MAX_OBJECT_NAME - 9].rstrip('-.')}-{digest[:8]}"
        alarm_name = f"{self._prefix}/{group}/{alert}{suffix}"
        if alarm_name in self._alarm_names:  # a group or alert name holding '/' or '#' met another's
            alarm_name = f"{alarm_name}#{digest[:8]}"
        self._alarm_names.add(alarm_name)
        return f"{group}/{alert}{suffix}", object_name, ownership.fitted(alarm_name)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _translate_group(
    rule: Mapping[str, Any],
    group: Any,
    index: int,
    operator: settings.OperatorSettings,
    routes: alert_routes.Routes,
    names: _Names,
    translation: Translation,
) -> None:
    if not isinstance(group, Mapping) or not isinstance(group.get("rules", []), list):
        translation.skipped.append(Skipped(f"spec.groups[{index}]", "must be a group with a name and a list of rules"))
        return
    name = str(group.get("name", f"groups[{index}]"))
    rules = [item if isinstance(item, Mapping) else {} for item in group.get("rules", [])]
    alerting = [item for item in rules if "alert" in item and "record" not in item]
    parsed = _group(group, name, operator, translation.notes if alerting else [])
    for position, item in enumerate(rules):
        if "record" in item or "alert" not in item:
            translation.skipped.append(Skipped(_unalerting(name, position, item), _not_alerting(item)))
            continue
        where, object_name, alarm_name = names.next(name, str(item["alert"]))
        if isinstance(parsed, str):
            translation.skipped.append(Skipped(where, parsed, object_name))
            continue
        try:
            spec = _spec(rule, parsed, item, alarm_name, routes)
        except ValueError as exc:
            translation.skipped.append(Skipped(where, str(exc), object_name))
            continue
        problems = fields.validate(crds.METRIC_ALARMS.spec, spec)
        if problems:
            reason = "; ".join(_in_rule_terms(problem, item) for problem in problems)
            translation.skipped.append(Skipped(where, reason, object_name))
            continue
        labels = {RULE_LABEL: _label_value(rule["metadata"]["name"])}
        child = {
            "apiVersion": crds.METRIC_ALARMS.api_version,
            "kind": crds.METRIC_ALARMS.kind,
            "metadata": owned.owned_meta(rule, crds.PROMETHEUS_RULES, object_name, labels),
            "spec": spec,
        }
        translation.alarms.append(Alarm(where, child))


def _unalerting(group: str, position: int, item: Mapping[str, Any]) -> str:
    return f"{group}/{item['record']}" if "record" in item and "alert" not in item else f"{group}/rules[{position}]"


def _not_alerting(item: Mapping[str, Any]) -> str:
    if "record" in item and "alert" in item:
        return "sets both alert and record: a rule is one or the other"
    if "record" in item:
        return (
            "a recording rule: CloudWatch stores no series a rule records, and alarms on alerting rules only"
            " (query its expression where it is used instead)"
        )
    return "sets neither alert nor record"


def _group(group: Mapping[str, Any], name: str, operator: settings.OperatorSettings, notes: list[str]) -> _Group | str:
    """The group's interval (the operator's default when unset or 0, as Prometheus's global one) and labels, or
    what is wrong with them; what CloudWatch does differently goes to `notes`."""
    given = str(group.get("interval") or "0")
    try:
        asked = duration_ms(given) / 1000 or operator.prometheus_rules.default_interval
    except ValueError as exc:
        return f"the group's interval: {exc}"
    interval = evaluation_interval(asked)
    if interval != asked:
        notes.append(f"group {name}: interval {given} ({asked:g} s) is evaluated every {interval} s, {_why(asked)}")
    if "limit" in group:
        notes.append(f"group {name}: limit {group['limit']} is not applied: a CloudWatch alarm has no such limit")
    if group.get("query_offset"):
        notes.append(f"group {name}: query_offset {group['query_offset']} is not applied: CloudWatch queries at now")
    labels = group.get("labels") or {}
    return _Group(name, interval, {str(key): str(value) for key, value in labels.items()})


def _why(asked: float) -> str:
    if asked < _INTERVAL["minimum"]:
        return "CloudWatch's shortest evaluation interval"
    if asked > _INTERVAL["maximum"]:
        return "CloudWatch's longest evaluation interval"
    return "the nearest shorter one CloudWatch takes (10, 20, 30 s or a multiple of 60 s)"


def _spec(
    rule: Mapping[str, Any],
    group: _Group,
    item: Mapping[str, Any],
    alarm_name: str,
    routes: alert_routes.Routes,
) -> dict[str, Any]:
    alert = str(item["alert"])
    labels = {**group.labels, **{str(k): str(v) for k, v in (item.get("labels") or {}).items()}, "alertname": alert}
    criteria = {
        "query": str(item.get("expr", "")).strip(),
        "pendingPeriod": _seconds(item, "for"),
        "recoveryPeriod": _seconds(item, "keep_firing_for"),
    }
    spec: dict[str, Any] = {
        "alarmName": alarm_name,
        "description": _description({str(k): str(v) for k, v in (item.get("annotations") or {}).items()}, alert),
        "evaluationCriteria": {"promQLCriteria": criteria},
        "evaluationInterval": group.interval,
        **routes.actions_for(labels).spec(),
        "tags": labels,
    }
    if rule["metadata"].get("labels", {}).get(DELETION_POLICY_LABEL) == "Retain":
        spec["deletionPolicy"] = "Retain"
    return spec


def _seconds(item: Mapping[str, Any], key: str) -> int:
    """A rule's duration in whole seconds, rounded up: the alarm never fires (or recovers) sooner than the rule."""
    if key not in item:
        return 0
    try:
        return math.ceil(duration_ms(str(item[key])) / 1000)
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from exc


def _description(annotations: Mapping[str, str], alert: str) -> str:
    """`summary`, `description`, then every other annotation as `key: value`, within AlarmDescription's limit."""
    first = [annotations[key] for key in _FIRST_ANNOTATIONS if annotations.get(key)]
    rest = [f"{key}: {value}" for key, value in sorted(annotations.items()) if key not in _FIRST_ANNOTATIONS]
    text = "\n".join([*first, *rest]) or f"Prometheus alert {alert}"
    limit = _DESCRIPTION["maxLength"]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _in_rule_terms(problem: str, item: Mapping[str, Any]) -> str:
    """An alarm object's problem as the rule's author wrote it: `for 2d: 172800 is greater than ... 86400`."""
    for path, field in _RULE_FIELDS:
        if problem.startswith(path):
            written = f" {item[field]}" if field in _DURATIONS and field in item else ""
            return field + written + problem[len(path) :]
    return problem.replace("spec: ", "its alarm: ", 1)  # a rule across the alarm's fields


def _label_value(name: str) -> str:
    """An object's name as a label value (63 characters at most: a long name keeps its start and a hash)."""
    if len(name) <= _MAX_LABEL_VALUE:
        return name
    return f"{name[: _MAX_LABEL_VALUE - 9].rstrip('-.')}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
