"""The alert-routing table: which CloudWatch actions a PrometheusRule's alarm calls, chosen by its labels.

The shape Alertmanager users know, flattened: a list of routes, each with label matchers and the SNS/Lambda
ARNs to call, the first route whose matchers all hold wins, and `default` applies when none does. A matcher is
Alertmanager's classic syntax (`pkg/labels/parse.go`), one per list item: a label name, `=`, `!=`, `=~` or
`!~`, and a value, double-quoted (with `\\"`, `\\\\` and `\\n` escapes) or bare; a regular expression is
anchored at both ends as Alertmanager anchors it (`^(?:...)$`), and a label an alert lacks matches as the empty
string. Alertmanager also takes several comma-separated matchers in one string: here each goes in its own item.

The table is a JSON file read once at start (the Helm chart renders it from its `prometheusRules` values, whose
schema carries `MATCHER` too), so a matcher that does not parse stops the operator with its position named.
No I/O here but reading that file.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["ACTION_KEYS", "MATCHER", "Routes", "RoutesError", "load", "parse", "parse_matcher"]

MATCHER = r'^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*("(\\.|[^"\\])*"|[^",]*?)\s*$'
"""One matcher, for Python's `re` and the chart's JSON schema alike: a label name, an operator, a quoted value or a
bare one (without quotes or commas: Alertmanager would split a line there)."""
ACTION_KEYS = ("alarmActions", "okActions", "insufficientDataActions")
"""A route's actions, as CloudWatchMetricAlarm's spec names them."""
MAX_ACTIONS = 5
"""PutMetricAlarm's limit on the ARNs of each action list."""
_ROUTE_KEYS = ("matchers", *ACTION_KEYS)
_ESCAPES = {"n": "\n", '"': '"', "\\": "\\"}


class RoutesError(ValueError):
    """The routing table is malformed: the message names the route and the key."""


class Operation(enum.Enum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclasses.dataclass(frozen=True)
class Matcher:
    name: str
    operation: Operation
    value: str
    pattern: re.Pattern[str] | None = None
    """For `=~` and `!~`: the value, compiled."""

    def matches(self, labels: Mapping[str, str]) -> bool:
        seen = labels.get(self.name, "")
        if self.pattern is not None:
            return (self.pattern.fullmatch(seen) is not None) == (self.operation is Operation.REGEX)
        return (seen == self.value) == (self.operation is Operation.EQUAL)


@dataclasses.dataclass(frozen=True)
class Actions:
    """What an alarm calls, by CloudWatchMetricAlarm's spec keys; only the lists that name an ARN."""

    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()

    def spec(self) -> dict[str, list[str]]:
        lists = (self.alarm_actions, self.ok_actions, self.insufficient_data_actions)
        return {key: list(arns) for key, arns in zip(ACTION_KEYS, lists, strict=True) if arns}


@dataclasses.dataclass(frozen=True)
class Route:
    matchers: tuple[Matcher, ...]
    actions: Actions


@dataclasses.dataclass(frozen=True)
class Routes:
    routes: tuple[Route, ...] = ()
    default: Actions = dataclasses.field(default_factory=Actions)

    def actions_for(self, labels: Mapping[str, str]) -> Actions:
        """The first route's whose matchers all hold for `labels`, else the default's."""
        for route in self.routes:
            if all(matcher.matches(labels) for matcher in route.matchers):
                return route.actions
        return self.default


def load(path: Path) -> Routes:
    try:
        document = json.loads(path.read_text())
        return parse(document)
    except (OSError, ValueError) as exc:  # RoutesError included
        raise RoutesError(f"{path}: {exc}") from exc


def parse(document: Any) -> Routes:
    """The table of `{"routes": [{"matchers": [...], "alarmActions": [...], ...}], "default": {...}}`."""
    if not isinstance(document, Mapping):
        raise RoutesError("the routing table must be an object with routes and default")
    _known(document, ("routes", "default"), "the routing table")
    listed = document.get("routes", [])
    if not isinstance(listed, list):
        raise RoutesError("routes: must be a list")
    routes = tuple(_route(route, f"routes[{index}]") for index, route in enumerate(listed))
    default = document.get("default", {})
    if not isinstance(default, Mapping):
        raise RoutesError("default: must be an object")
    _known(default, ACTION_KEYS, "default")
    return Routes(routes, _actions(default, "default"))


def parse_matcher(text: str) -> Matcher:
    """One matcher, as Alertmanager's classic parser reads it."""
    found = re.fullmatch(MATCHER, text)
    if found is None:
        raise RoutesError(
            f"{text!r} is not a matcher: write a label name, one of = != =~ !~, and a value,"
            ' quoted when it holds a comma or a quote (severity="critical", team=~"db|cache")'
        )
    name, operation, raw = found[1], Operation(found[2]), found[3]
    value = _unquoted(raw[1:-1]) if raw.startswith('"') else raw
    if operation in (Operation.REGEX, Operation.NOT_REGEX):
        try:
            return Matcher(name, operation, value, re.compile(f"(?:{value})", re.DOTALL))
        except re.error as exc:
            raise RoutesError(f"{text!r}: {value!r} is not a regular expression: {exc}") from exc
    return Matcher(name, operation, value)


def _unquoted(quoted: str) -> str:
    """OpenMetrics' escapes undone; a backslash before any other character stays, as Alertmanager keeps it."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[0]), quoted, flags=re.DOTALL)


def _route(route: Any, where: str) -> Route:
    if not isinstance(route, Mapping):
        raise RoutesError(f"{where}: must be an object with matchers and actions")
    _known(route, _ROUTE_KEYS, where)
    matchers = route.get("matchers")
    if not isinstance(matchers, list) or not matchers or not all(isinstance(m, str) for m in matchers):
        raise RoutesError(f"{where}.matchers: must be a list of one or more matchers such as 'severity=\"critical\"'")
    parsed = []
    for index, text in enumerate(matchers):
        try:
            parsed.append(parse_matcher(text))
        except RoutesError as exc:
            raise RoutesError(f"{where}.matchers[{index}]: {exc}") from exc
    return Route(tuple(parsed), _actions(route, where))


def _actions(given: Mapping[str, Any], where: str) -> Actions:
    lists = [_arns(given.get(key, []), f"{where}.{key}") for key in ACTION_KEYS]
    return Actions(*lists)


def _arns(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(arn, str) and arn.startswith("arn:") for arn in value):
        raise RoutesError(f"{where}: must be a list of ARNs (arn:aws:sns:..., arn:aws:lambda:...)")
    if len(value) > MAX_ACTIONS:
        raise RoutesError(f"{where}: at most {MAX_ACTIONS} ARNs (PutMetricAlarm's limit), not {len(value)}")
    return tuple(value)


def _known(given: Mapping[str, Any], keys: Sequence[str], where: str) -> None:
    unknown = sorted(set(given) - set(keys))
    if unknown:
        raise RoutesError(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(keys)}")
