"""What a conversion yields: objects, and notes on what could not be carried over."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["Converted", "Document", "Note", "Path", "prefixed"]

Path = tuple[str | int, ...]
"""Where in an object: `("spec", "triggers", 0, "metadata", "metricStatPeriod")`; `()` is the object."""


@dataclasses.dataclass(frozen=True)
class Note:
    """A comment for the field at `path` (or its nearest ancestor in the output)."""

    path: Path
    text: str
    lost: bool = False
    """The output does not do what the input did (or may not): `kedawatch migrate` then exits 1."""


@dataclasses.dataclass(frozen=True)
class Document:
    """One object read from a file, and where it came from."""

    body: dict[str, Any]
    file: str

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def namespace(self) -> str:
        """The object's namespace; `default` when the file names none, as kubectl applies it by default."""
        return str((self.body.get("metadata") or {}).get("namespace") or "default")

    @property
    def name(self) -> str:
        return str((self.body.get("metadata") or {}).get("name", ""))

    def describe(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name} ({self.api_version}, {self.file})"


@dataclasses.dataclass(frozen=True)
class Converted:
    """One output: an object with notes on it, or notes alone (`obj` None) when there is nothing to print."""

    obj: dict[str, Any] | None
    notes: list[Note]

    @property
    def lost(self) -> bool:
        return any(note.lost for note in self.notes)


def prefixed(prefix: Path, notes: list[Note]) -> list[Note]:
    """Notes made relative to a part, placed under that part's path."""
    return [dataclasses.replace(note, path=(*prefix, *note.path)) for note in notes]
