"""From KEDA's metadata map to a parsed trigger: which source, whose identity, what read.

KEDA sends the whole metadata map with every RPC, so parsed triggers (and refusals) are cached by that map,
and by the namespace too: a role is assumed for the namespace that asks (`SessionOf`), so two namespaces with
the same metadata never share an assumed session, nor a read made with it.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from kedawatch.aws import identities
from kedawatch.scaler import metadata, reads, registry
from kedawatch.scaler.sources import base

__all__ = ["Trigger", "TriggerCache", "parse"]

SessionOf = Callable[[str, str], identities.RoleSession]
"""Given a role ARN and a namespace, how the role is assumed for that namespace (`sessions.RoleSessions`)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Trigger:
    source: base.Source
    identity: identities.AwsIdentity
    read: reads.Read[Any]


def parse(
    raw: Mapping[str, str], default_region: str | None, namespace: str = "", session_of: SessionOf | None = None
) -> Trigger:
    """Parse one trigger's metadata, or raise `metadata.MetadataError` naming every bad key. A role is assumed
    for `namespace` as `session_of` says (without it, as `kedawatch`)."""
    problems = base.refuse_static_credentials(raw)
    source_class = _source_class(raw, problems)
    if problems or source_class is None:
        raise metadata.MetadataError(problems)
    source = metadata.parse(source_class, raw)
    region = source.aws_region or default_region
    if not region:
        reason = "is required: the scaler has no region of its own (set AWS_REGION or --region)"
        raise metadata.MetadataError([metadata.Problem("awsRegion", None, reason)])
    identity = source.identity(region)
    if identity.role_arn is not None and session_of is not None:
        identity = dataclasses.replace(identity, session=session_of(identity.role_arn, namespace))
    return Trigger(source, identity, source.read(identity))


def _source_class(raw: Mapping[str, str], problems: list[metadata.Problem]) -> type[base.Source] | None:
    named = raw.get("source")
    if named:
        if named not in registry.BY_NAME:
            problems.append(metadata.Problem("source", named, f"must be one of {', '.join(registry.BY_NAME)}"))
        return registry.BY_NAME.get(named)
    candidates = [source for source in registry.SOURCES if _told(source, raw)]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        named = " and ".join(f"{source.name} ({', '.join(_told(source, raw))})" for source in candidates)
        reason = f"is required: the metadata has keys of {'both ' if len(candidates) == 2 else ''}{named}"
    else:
        telltales = (f"{'/'.join(source.telltales)} ({source.name})" for source in registry.SOURCES)
        reason = "is required: the metadata has none of " + ", ".join(telltales)
    problems.append(metadata.Problem("source", None, reason))
    return None


def _told(source: type[base.Source], raw: Mapping[str, str]) -> list[str]:
    """The source's telltale keys the metadata has, as themselves or as their resolved `<key>FromEnv`."""
    return [key for key in source.telltales if key in raw or key + "FromEnv" in raw]


class TriggerCache:
    """Parsed triggers by metadata map, least recently used dropped first.

    Refusals are kept apart and fewer: real clusters send few bad maps, while a flood of distinct hostile
    ones must not fill memory. Maps larger than `max_bytes` (KEDA's are a few hundred bytes) are parsed
    every time and never kept.
    """

    def __init__(
        self,
        default_region: str | None,
        session_of: SessionOf | None = None,
        capacity: int = 16384,
        refusals: int = 1024,
        max_bytes: int = 8192,
    ) -> None:
        self._default_region = default_region
        self._session_of = session_of
        self._max_bytes = max_bytes
        self._parsed: _Lru[tuple[str, frozenset[tuple[str, str]]], Trigger] = _Lru(capacity)
        self._refused: _Lru[frozenset[tuple[str, str]], list[metadata.Problem]] = _Lru(refusals)
        """By metadata alone: whether a map is refused does not depend on the namespace."""

    def get(self, raw: Mapping[str, str], namespace: str = "") -> Trigger:
        if sum(len(key) + len(value) for key, value in raw.items()) > self._max_bytes:
            return parse(raw, self._default_region, namespace, self._session_of)
        key = frozenset(raw.items())
        problems = self._refused.get(key)
        if problems is not None:
            raise metadata.MetadataError(problems)  # a new one: a raised one keeps its frames alive
        trigger = self._parsed.get((namespace, key))
        if trigger is None:
            try:
                trigger = parse(raw, self._default_region, namespace, self._session_of)
            except metadata.MetadataError as exc:
                self._refused.put(key, exc.problems)
                raise
            self._parsed.put((namespace, key), trigger)
        return trigger


K = TypeVar("K")
T = TypeVar("T")


class _Lru(Generic[K, T]):
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: collections.OrderedDict[K, T] = collections.OrderedDict()

    def get(self, key: K) -> T | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: K, value: T) -> None:
        self._items[key] = value
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)
