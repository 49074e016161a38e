"""PutCompositeAlarm: the alarm rule's grammar and the alarms it names, what AWS refuses, what it stores.

Checked, each a 400 ValidationError, on top of the input shape (AlarmRule up to 10,240 characters) and
`checks`: the rule is a well-formed expression of ALARM(name), OK(name), INSUFFICIENT_DATA(name), TRUE and
FALSE joined by AND, OR, NOT and parentheses, names quoted in double quotes or not; it names at most 100
alarms and has at most 500 elements (named alarms, TRUE, FALSE, parentheses); every alarm it names exists, by
name or ARN ("Could not save the composite alarm as alarms [a, b] in the alarm rule do not exist", which the
operator waits on); ActionsSuppressor names an existing alarm and comes with ActionsSuppressorWaitPeriod and
ActionsSuppressorExtensionPeriod (not negative), which need it; actions are SNS, Lambda, Systems Manager
(OpsItems, Incident Manager) or investigation groups, as the API reference lists for composite alarms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from kedawatch.standins.alarms import checks
from kedawatch.standins.alarms.checks import refuse

__all__ = ["check", "children"]

ACTION_SERVICES = ("sns", "lambda", "ssm", "ssm-incidents", "aiops")
MAX_CHILDREN, MAX_ELEMENTS = 100, 500
_OPERAND, _OPERATOR = "ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, FALSE, NOT or (", "AND, OR or )"
_TOKEN = re.compile(
    r'\s*(?:(?P<function>ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^()"]*?))\s*\)'
    r"|(?P<word>AND|OR|NOT|TRUE|FALSE)(?![A-Za-z0-9_])|(?P<paren>[()]))"
)


def children(rule: str) -> list[str]:
    """The alarms (names or ARNs) the rule names, in order, each once; ValidationError if it is not well formed."""
    named: list[str] = []
    elements = 0
    position, depth, expect_operand = 0, 0, True
    rule = rule.rstrip()
    while position < len(rule):
        token = _TOKEN.match(rule, position)
        if token is None:
            refuse(f"Invalid AlarmRule: unexpected {rule[position : position + 20].strip()!r} at character {position}")
        position = token.end()
        word, paren = token["word"], token["paren"]
        if token["function"] or word in ("TRUE", "FALSE"):
            _expect(expect_operand, rule, position, _OPERATOR)
            elements += 1
            expect_operand = False
            if token["function"]:
                name = token["quoted"] if token["quoted"] is not None else token["bare"]
                if not name:
                    refuse(f"Invalid AlarmRule: {token['function']}() names no alarm")
                named.append(name)
        elif word == "NOT":
            _expect(expect_operand, rule, position, _OPERATOR)
        elif word in ("AND", "OR"):
            _expect(not expect_operand, rule, position, _OPERAND)
            expect_operand = True
        elif paren == "(":
            _expect(expect_operand, rule, position, _OPERATOR)
            depth, elements = depth + 1, elements + 1
        else:
            _expect(not expect_operand, rule, position, _OPERAND)
            if depth == 0:
                refuse(f"Invalid AlarmRule: a ) that closes no ( at character {position - 1}")
            depth, elements = depth - 1, elements + 1
    if expect_operand or depth:
        refuse("Invalid AlarmRule: the expression ends before it is complete")
    unique = list(dict.fromkeys(named))
    if len(unique) > MAX_CHILDREN:
        refuse(f"The AlarmRule can name at most {MAX_CHILDREN} alarms, not {len(unique)}")
    if elements > MAX_ELEMENTS:
        refuse(f"The AlarmRule can have at most {MAX_ELEMENTS} elements, not {elements}")
    return unique


def check(params: Mapping[str, Any], region: str, exists: Callable[[str], bool]) -> None:
    """`exists` tells whether an alarm of this account and region has that name or ARN."""
    checks.check_common(params, region, ACTION_SERVICES)
    missing = [name for name in children(params["AlarmRule"]) if not exists(name)]
    if missing:
        refuse(f"Could not save the composite alarm as alarms [{', '.join(missing)}] in the alarm rule do not exist")
    _check_suppressor(params, exists)


def _check_suppressor(params: Mapping[str, Any], exists: Callable[[str], bool]) -> None:
    periods = ("ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod")
    suppressor = params.get("ActionsSuppressor")
    if suppressor is None:
        for key in periods:
            if key in params:
                refuse(f"{key} is only for a composite alarm with an ActionsSuppressor")
        return
    if not exists(suppressor):
        refuse(f"Could not save the composite alarm as the actions suppressor alarm [{suppressor}] does not exist")
    for key in periods:
        if key not in params:
            refuse(f"{key} is required when ActionsSuppressor is specified")
        if params[key] < 0:
            refuse(f"{key} must not be negative, not {params[key]}")


def _expect(ok: bool, rule: str, end: int, wanted: str) -> None:
    """Refuse the token ending at `end` unless `ok`: the rule needed one of `wanted` there."""
    if not ok:
        refuse(f"Invalid AlarmRule: expected {wanted} before character {end} of {rule!r}")
