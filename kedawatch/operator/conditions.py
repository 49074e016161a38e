"""Pure builders of status conditions: no I/O."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["condition"]


def condition(
    kind: str, ok: bool, reason: str, message: str, generation: int | None, previous: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The conditions list with `kind` set; its lastTransitionTime moves only when its status does."""
    status = "True" if ok else "False"
    old = next((c for c in previous if c.get("type") == kind), None)
    changed = old is None or old.get("status") != status
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    new = {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": now if changed or old is None else old.get("lastTransitionTime", now),
        "observedGeneration": generation,
    }
    return [*(dict(c) for c in previous if c.get("type") != kind), new]
