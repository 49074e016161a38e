"""Pure builders of status and its conditions: no I/O."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["find", "newly_failing", "refused", "status"]


def status(
    kind: str, ok: bool, reason: str, message: str, generation: int | None, previous: Mapping[str, Any]
) -> dict[str, Any]:
    """The status patch of an object whose `kind` condition says `ok`, `reason` and `message`, given its
    metadata's `generation` and its `previous` status."""
    return {
        "observedGeneration": generation,
        "conditions": condition(kind, ok, reason, message, generation, previous.get("conditions", [])),
    }


def condition(
    kind: str, ok: bool, reason: str, message: str, generation: int | None, previous: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The conditions list with `kind` set; its lastTransitionTime moves only when its status does."""
    state = "True" if ok else "False"
    old = find(kind, previous)
    changed = old is None or old.get("status") != state
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    new = {
        "type": kind,
        "status": state,
        "reason": reason,
        "message": message,
        "lastTransitionTime": now if changed or old is None else old.get("lastTransitionTime", now),
        "observedGeneration": generation,
    }
    return [*(dict(c) for c in previous if c.get("type") != kind), new]


def newly_failing(
    kind: str, previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The `kind` condition of `current` when it is False and says what `previous` did not: worth one Event."""
    new = find(kind, current)
    if new is None or new.get("status") != "False":
        return None
    old = find(kind, previous) or {}
    said = ("status", "reason", "message", "observedGeneration")
    return None if all(old.get(key) == new.get(key) for key in said) else new


def refused(status: Mapping[str, Any], generation: int | None, reasons: Sequence[str]) -> bool:
    """Whether the Synced condition of `status` says one of `reasons` (a refusal of the spec) of this very
    `generation`: a refused spec waits for a new one rather than being written again."""
    synced = find("Synced", status.get("conditions", []))
    return synced is not None and synced.get("reason") in reasons and synced.get("observedGeneration") == generation


def find(kind: str, conditions: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The condition of type `kind` among `conditions`, if any."""
    return next((c for c in conditions if c.get("type") == kind), None)
