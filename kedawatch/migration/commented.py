"""Outputs as text: YAML with each note as a comment above the field it is about, or JSON (a `List`) with
the notes apart, since JSON has no comments.

The YAML is written here rather than by PyYAML, which cannot place comments; scalars are still PyYAML's (or
JSON's, itself YAML, where PyYAML would need several lines), so quoting is always YAML's own.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from kedawatch.migration.results import Converted, Note, Path

__all__ = ["LOST_MARK", "dump_json", "dump_yaml", "notes_text"]

LOST_MARK = "!!"
"""Starts every note on what the output does not do as the input did (and so exits 1)."""
_WIDTH = 118


def dump_yaml(results: Sequence[Converted]) -> str:
    """One YAML document per result; a result without an object is a document of comments only."""
    return "---\n".join(_document(result) for result in results)


def dump_json(results: Sequence[Converted]) -> str:
    items = [result.obj for result in results if result.obj is not None]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2) + "\n"


def notes_text(results: Sequence[Converted]) -> list[str]:
    """Every note as one line, for where comments cannot go, marked as the comments are."""
    lines = []
    for result in results:
        where = f"{result.obj['kind']} {result.obj['metadata']['name']}: " if result.obj else ""
        for note in result.notes:
            path = ".".join(str(part) for part in note.path)
            lines.append(f"{LOST_MARK + ' ' if note.lost else ''}{where}{path + ': ' if path else ''}{note.text}")
    return lines


def _document(result: Converted) -> str:
    by_path: dict[Path, list[Note]] = {}
    for note in result.notes:
        by_path.setdefault(_existing(result.obj, note.path), []).append(note)
    lines = _comments(by_path.get((), []), 0)
    if result.obj is not None:
        _mapping(result.obj, (), 0, by_path, lines)
    return "\n".join(lines) + "\n"


def _existing(obj: Any, path: Path) -> Path:
    """The longest start of `path` that is in `obj`: a note on a field not carried over goes on its parent."""
    found: list[str | int] = []
    for part in path:
        if isinstance(obj, Mapping):
            present = part in obj
        else:
            present = isinstance(obj, list) and isinstance(part, int) and 0 <= part < len(obj)
        if not present:
            break
        obj = obj[part]
        found.append(part)
    return tuple(found)


def _comments(notes: Sequence[Note], indent: int) -> list[str]:
    lines = []
    for note in notes:
        text = (LOST_MARK + " " if note.lost else "") + note.text
        for line in textwrap.wrap(text, max(40, _WIDTH - indent - 2), break_long_words=False, break_on_hyphens=False):
            lines.append(" " * indent + "# " + line)
    return lines


def _mapping(
    value: Mapping[str, Any], path: Path, indent: int, notes: Mapping[Path, list[Note]], out: list[str]
) -> None:
    for key, item in value.items():
        out += _comments(notes.get((*path, key), []), indent)
        _entry(" " * indent + _scalar(key) + ":", item, (*path, key), indent, notes, out)


def _entry(head: str, item: Any, path: Path, indent: int, notes: Mapping[Path, list[Note]], out: list[str]) -> None:
    if isinstance(item, Mapping) and item:
        out.append(head)
        _mapping(item, path, indent + 2, notes, out)
    elif isinstance(item, list) and item:
        out.append(head)
        _sequence(item, path, indent, notes, out)
    else:
        out.append(f"{head} {_scalar(item)}")


def _sequence(items: list[Any], path: Path, indent: int, notes: Mapping[Path, list[Note]], out: list[str]) -> None:
    """Items at the key's own indent, as kubectl writes them; an item's comments go above its dash."""
    for index, item in enumerate(items):
        here = (*path, index)
        if isinstance(item, Mapping) and item:
            first = next(iter(item))
            out += _comments([*notes.get(here, []), *notes.get((*here, first), [])], indent)
            body: list[str] = []
            _mapping(item, here, indent + 2, {k: v for k, v in notes.items() if k != (*here, first)}, body)
            out.append(" " * indent + "- " + body[0].lstrip())
            out += body[1:]
        else:
            out += _comments(notes.get(here, []), indent)
            out.append(" " * indent + "- " + (json.dumps(item) if isinstance(item, list) else _scalar(item)))


def _scalar(value: Any) -> str:
    if isinstance(value, Mapping | list):
        return json.dumps(value)  # only empty ones reach here; JSON is YAML's flow style
    text = yaml.safe_dump(value, width=float("inf"), allow_unicode=True)
    text = text.removesuffix("\n").removesuffix("\n...")
    return json.dumps(value) if "\n" in text else text
