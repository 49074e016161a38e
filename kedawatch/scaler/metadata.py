"""The one parser for trigger metadata.

A source declares each parameter once, as a dataclass field made by `param()`: KEDA's key, the default and
a check. `parse()` reads the string map KEDA sends, converts each value by the field's type, collects every
problem at once, then runs the class's own `validate()` for rules that span several fields. Keys a source
refuses by name are listed in its `refused_keys` (key -> reason); their values are never shown.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

__all__ = ["MetadataError", "Problem", "not_negative", "one_of", "param", "parse", "positive", "shortened", "shown"]

Check = Callable[[Any], str | None]
"""Returns what is wrong with a converted value, or None when it is acceptable."""

_MAX_SHOWN = 80
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclasses.dataclass(frozen=True)
class Problem:
    """One bad parameter: its key, the value given (None when missing) and what is expected."""

    key: str
    value: str | None
    reason: str

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.key} {self.reason}"
        return f"{self.key}={shown(self.value)}: {self.reason}"


def shown(value: str) -> str:
    """A given value as messages quote it: its repr, cut short so that a huge value cannot swell the message."""
    return repr(shortened(value, _MAX_SHOWN))


def shortened(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and "..." when it is longer."""
    return text if len(text) <= limit else text[:limit] + "..."


class MetadataError(ValueError):
    """Trigger metadata that cannot be used; lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("invalid trigger metadata: " + "; ".join(str(p) for p in problems))


@dataclasses.dataclass(frozen=True)
class Param:
    key: str
    check: Check | None = None


class Validated(Protocol):
    def validate(self) -> list[Problem]: ...


def param(key: str, *, default: Any = dataclasses.MISSING, check: Check | None = None) -> Any:
    """Declare a metadata parameter: KEDA's `key`, its default (none: required) and a value check."""
    return dataclasses.field(default=default, metadata={"param": Param(key, check)})


def one_of(*allowed: str) -> Check:
    def check(value: str) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return check


T = TypeVar("T", bound=Validated)


def parse(cls: type[T], raw: Mapping[str, str]) -> T:
    """Build `cls` from KEDA's metadata map, or raise `MetadataError` naming every bad key."""
    hints = typing.get_type_hints(cls)
    problems = _refused(cls, raw)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        declared: Param | None = field.metadata.get("param")
        if declared is None:
            continue
        key, text = _lookup(raw, declared.key)
        if text is None:
            if field.default is dataclasses.MISSING:
                problems.append(Problem(declared.key, None, "is required"))
            continue
        try:
            value = _convert(hints[field.name], text)
        except ValueError as exc:
            problems.append(Problem(key, text, str(exc)))
            continue
        if declared.check is not None and (reason := declared.check(value)):
            problems.append(Problem(key, text, reason))
            continue
        values[field.name] = value
    if problems:
        raise MetadataError(problems)
    parsed = cls(**values)
    if problems := parsed.validate():
        raise MetadataError(problems)
    return parsed


def _refused(cls: type[Any], raw: Mapping[str, str]) -> list[Problem]:
    """The keys given that `cls.refused_keys` names, without their values: a refused key may carry a secret."""
    problems = []
    for key, reason in getattr(cls, "refused_keys", {}).items():
        given, text = _lookup(raw, key)
        if text is not None:
            problems.append(Problem(given, None, reason))
    return problems


def _lookup(raw: Mapping[str, str], key: str) -> tuple[str, str | None]:
    """A key's value; KEDA forwards `<key>FromEnv` already resolved. Empty counts as absent, as in KEDA."""
    for candidate in (key, key + "FromEnv"):
        text = raw.get(candidate)
        if text is not None and text.strip() != "":
            return candidate, text.strip()
    return key, None


def _convert(hint: Any, text: str) -> Any:
    target = _unwrap_optional(hint)
    if target is str:
        return text
    if target is bool:
        return _to_bool(text)
    if target is int:
        return _to_int(text)
    if target is float:
        return _to_float(text)
    if typing.get_origin(target) is tuple:
        return tuple(part.strip() for part in text.split(";"))
    raise TypeError(f"no conversion for {hint!r}")


def _unwrap_optional(hint: Any) -> Any:
    """`str | None` converts as `str`: None is only ever the default."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return next(a for a in typing.get_args(hint) if a is not type(None))
    return hint


def _to_bool(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("must be true or false")


def _to_int(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise ValueError("must be a whole number") from None
    if abs(value) >= 2**63:
        raise ValueError("is out of range for a 64-bit integer")
    return value


def _to_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("must be a number") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def not_negative(value: float) -> str | None:
    return None if value >= 0 else "must be 0 or greater"
