"""The building blocks of a kind's declaration, and the validation shared by every kind.

A `Field` is one spec key: its OpenAPI schema and the PutMetricAlarm / PutCompositeAlarm parameter it
becomes. A `Rule` is one cross-field constraint, written once as CEL for the CRD's
`x-kubernetes-validations` and once as Python for the operator, which cannot rely on the API server
(older clusters, loose legacy schemas); tests check that both agree. What the API server cannot know (the IANA
time zone database, a cron expression's fields) is a field's `check`, the operator's alone. An `AlarmApi` says how
CloudWatch holds an alarm kind: the call that puts one, the DescribeAlarms type it is read back as, and how that
description compares with the parameters.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jsonschema

from kedawatch import settings
from kedawatch.aws import names

__all__ = ["AlarmApi", "Field", "Kind", "Rule", "Spec", "brief", "plain_schema", "string_list", "validate"]

Spec = Mapping[str, Any]
Check = Callable[[Any, str], list[str]]
"""A field's value and its path (`spec.schedule`) -> every problem with it, each naming the path it is at."""


@dataclasses.dataclass(frozen=True)
class Field:
    key: str
    schema: dict[str, Any]
    aws: str | None = None
    """The AWS API parameter this field becomes, dotted when it is nested (`ScheduledQueryConfiguration.QueryString`);
    None when it is the operator's own (region, policy)."""
    to_aws: Callable[[Any], Any] | None = None
    required: bool = False
    legacy: tuple[str, ...] = ()
    """Its PascalCase names in the reference controller's `cw.aws.com` manifests."""
    check: Check | None = None
    """What the operator checks that no schema or CEL can, run once the schema and the rules hold."""
    returned: bool = True
    """False for a member AWS added lately, whose presence in DescribeAlarms' answers is not on record: an alarm
    described without it is not written again for it (that alarm cannot be told from one that dropped it)."""


@dataclasses.dataclass(frozen=True)
class Rule:
    cel: str
    message: str
    holds: Callable[[Spec], bool]


def _same(params: Mapping[str, Any]) -> dict[str, Any]:
    return dict(params)


def _unevaluated(params: Mapping[str, Any]) -> str:
    return "INSUFFICIENT_DATA"


@dataclasses.dataclass(frozen=True)
class AlarmApi:
    """How CloudWatch holds one kind's alarms."""

    alarm_type: str
    """DescribeAlarms' `AlarmTypes` value for it (MetricAlarm, CompositeAlarm, LogAlarm); its answer lists them
    under this name and an `s`."""
    put: Callable[[Any, Mapping[str, Any]], None]
    """The `kedawatch.aws.alarms` call that creates or overwrites one: (client, params)."""
    defaults: Mapping[str, Any]
    """What DescribeAlarms answers for a parameter the params leave out."""
    comparable: Callable[[Mapping[str, Any]], dict[str, Any]] = _same
    """Params or a description, recast so that the two compare: what AWS adds or spells its own way undone."""
    complete: Callable[[dict[str, Any], settings.OperatorSettings], tuple[dict[str, Any], list[str]]] | None = None
    """(spec, the operator's settings) -> the spec with the operator's defaults, and what is still missing."""
    created_state: Callable[[Mapping[str, Any]], str] = _unevaluated
    """The state AWS gives an alarm created with these params, shown until the next state sweep reads it."""


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind's spec: its fields and rules, from which the schema and the validation both come."""

    fields: Sequence[Field]
    rules: Sequence[Rule]
    alarm: AlarmApi | None = None
    """For an alarm kind, how CloudWatch holds it."""

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {field.key: field.schema for field in self.fields},
            "required": [field.key for field in self.fields if field.required],
            "x-kubernetes-validations": [{"rule": rule.cel, "message": rule.message} for rule in self.rules],
        }

    def aws_params(self, spec: Spec) -> dict[str, Any]:
        """The spec's AWS parameters, leaving out what the spec leaves out."""
        params: dict[str, Any] = {}
        for field in self.fields:
            if field.aws and field.key in spec:
                value = spec[field.key]
                *parents, leaf = field.aws.split(".")
                target = params
                for parent in parents:
                    target = target.setdefault(parent, {})
                target[leaf] = field.to_aws(value) if field.to_aws else value
        return params

    def drifted(self, described: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
        """Whether the alarm DescribeAlarms `described` differs from what `params` would put: AWS's defaults
        stand for what either leaves out, and a member AWS may not answer is compared only when it does."""
        assert self.alarm is not None, "only an alarm kind is described"
        api = self.alarm
        live, wanted = api.comparable(described), api.comparable(params)
        unanswered = {field.aws.split(".")[0] for field in self.fields if field.aws and not field.returned}
        for key in (set(wanted) | set(api.defaults)) - {"Tags"}:
            if key in unanswered and key not in live:
                continue
            if live.get(key, api.defaults.get(key)) != wanted.get(key, api.defaults.get(key)):
                return True
        return False


def string_list(max_items: int, max_length: int = 1024) -> dict[str, Any]:
    return {
        "type": "array",
        "maxItems": max_items,
        "items": {"type": "string", "minLength": 1, "maxLength": max_length},
    }


def validate(kind: Kind, spec: Spec) -> list[str]:
    """Every problem with `spec`, each naming its field, as the API server would word it."""
    problems = [problem for error in _validator(kind).iter_errors(spec) for problem in _describe(error)]
    problems += _not_finite(spec, "spec")
    if not problems:
        problems = [f"spec: {rule.message}" for rule in kind.rules if not rule.holds(spec)]
    if not problems:
        problems = _checked(kind, spec)
    return sorted(problems)


def _checked(kind: Kind, spec: Spec) -> list[str]:
    """The fields' own checks, once the schema and the rules hold (so each may rely on its value's shape)."""
    problems: list[str] = []
    for field in kind.fields:
        if field.check is not None and field.key in spec:
            problems += field.check(spec[field.key], f"spec.{field.key}")
    return problems


def _validator(kind: Kind) -> jsonschema.protocols.Validator:
    return jsonschema.Draft7Validator(plain_schema(_closed(kind.schema())))


def _closed(schema: Any) -> Any:
    """Objects with declared properties refuse others, as the API server's strict field validation does
    (`kubectl apply` asks for it) where it would otherwise prune them; `x-kubernetes-preserve-unknown-fields`
    keeps an object open."""
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {key: _closed(value) for key, value in schema.items()}
    if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        closed.setdefault("additionalProperties", False)
    return closed


def _not_finite(value: Any, path: str) -> list[str]:
    """NaN and infinities, which JSON (so the API server) cannot carry but a YAML file for `kedawatch render`
    can (`.nan`, `.inf`), and which AWS refuses."""
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{path}: {value} is not a finite number"]
    if isinstance(value, Mapping):
        return [problem for key, item in value.items() for problem in _not_finite(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [problem for index, item in enumerate(value) for problem in _not_finite(item, f"{path}.{index}")]
    return []


def plain_schema(schema: Any) -> Any:
    """The schema without Kubernetes' own keywords, which jsonschema does not know."""
    if isinstance(schema, dict):
        return {key: plain_schema(value) for key, value in schema.items() if not key.startswith("x-kubernetes-")}
    if isinstance(schema, list):
        return [plain_schema(item) for item in schema]
    return schema


_SIZES = {
    "maxLength": "too long: {} characters",
    "maxItems": "too many: {} items",
    "maxProperties": "too many: {} entries",
}
_SHOWN = 80
"""Characters of a value quoted in a message at most: a 10,240-character rule is not repeated whole."""


def _describe(error: jsonschema.ValidationError) -> list[str]:
    path = ".".join(["spec", *(str(part) for part in error.absolute_path)])
    instance: Any = error.instance
    if error.validator == "additionalProperties":
        declared = error.schema.get("properties", {})  # type: ignore[union-attr]
        return [f"{path}.{key}: unknown field" for key in instance if key not in declared]
    if error.validator in _SIZES:
        return [f"{path}: {_SIZES[str(error.validator)].format(len(instance))}, at most {error.validator_value}"]
    # A name AWS defines is also told what it must be, in the words the scaler uses.
    meaning = names.MESSAGES.get(str(error.validator_value)) if error.validator == "pattern" else None
    return [f"{path}: {error.message.replace(repr(instance), brief(instance))}" + (f": {meaning}" if meaning else "")]


def brief(value: Any) -> str:
    """`value` quoted as a message shows it: cut in the middle past `_SHOWN` characters."""
    shown = repr(value)
    return shown if len(shown) <= _SHOWN else f"{shown[: _SHOWN - 5]}...{shown[-1]}"
