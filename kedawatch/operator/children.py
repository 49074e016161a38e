"""Objects an AppObservability owns, written with the official client off the event loop.

Writes are JSON merge patches (never strategic merge, which custom resources do not support). An object
of the same name that another owner controls is never touched: the caller reports a conflict. Answers that
may pass (a race with another writer, throttling, an outage) become `Unavailable`, for a prompt retry.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import kubernetes

from kedawatch.operator import objects
from kedawatch.operator.resources import crds

__all__ = ["Children", "Unavailable"]

TRANSIENT = frozenset({409, 429, 500, 502, 503, 504})
"""A conflict (created or changed since we read it), throttling, or an API server failing or restarting."""


class Unavailable(Exception):
    """The API server refused a call in a way that may pass: try again soon."""


@dataclasses.dataclass(frozen=True)
class Applied:
    name: str
    conflict: bool = False
    """An object of that name exists and is not ours: it was left alone."""


class Children:
    def __init__(self, client: Any, owner_uid: str) -> None:
        self._client = client
        self._api = kubernetes.client.CustomObjectsApi(client)
        self._owner_uid = owner_uid

    def owns(self, obj: Mapping[str, Any]) -> bool:
        refs = obj.get("metadata", {}).get("ownerReferences") or []
        return any(ref.get("uid") == self._owner_uid and ref.get("controller") for ref in refs)

    async def apply(self, desired: Mapping[str, Any]) -> Applied:
        """Create `desired`, or merge-patch it into the object we own; leave anyone else's alone."""
        kind = crds.by_kind(desired["apiVersion"], desired["kind"])
        name, namespace = desired["metadata"]["name"], desired["metadata"]["namespace"]
        current = await self._request(objects.get, self._client, kind, namespace, name)
        if current is None:
            await self._request(self._api.create_namespaced_custom_object, *_path(kind, namespace), dict(desired))
            return Applied(name)
        if not self.owns(current):
            return Applied(name, conflict=True)
        patch = _merge_patch(current, desired)
        if patch:
            await self._request(self._api.patch_namespaced_custom_object, *_path(kind, namespace), name, patch)
        return Applied(name)

    async def owned(self, kind: crds.Reference, namespace: str) -> list[dict[str, Any]]:
        listed = await self._request(self._api.list_namespaced_custom_object, *_path(kind, namespace))
        return [dict(item) for item in listed.get("items", []) if self.owns(item)]

    async def delete(self, kind: crds.Reference, namespace: str, name: str) -> None:
        try:
            await self._request(self._api.delete_namespaced_custom_object, *_path(kind, namespace), name)
        except kubernetes.client.ApiException as exc:
            if exc.status != objects.NOT_FOUND:
                raise

    async def _request(self, call: Callable[..., Any], *args: Any) -> Any:
        """Make one call off the event loop; transient refusals become `Unavailable`."""
        try:
            return await asyncio.to_thread(call, *args)
        except kubernetes.client.ApiException as exc:
            if exc.status in TRANSIENT:
                raise Unavailable(f"Kubernetes API {exc.status} {exc.reason}: {call.__name__}") from exc
            raise


def _path(kind: crds.Reference, namespace: str) -> tuple[str, str, str, str]:
    return kind.group, kind.version, namespace, kind.plural


def _merge_patch(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The merge patch that makes `current`'s spec, labels and owners `desired`'s; empty when they match."""
    patch: dict[str, Any] = {}
    spec = _diff(current.get("spec", {}), desired["spec"])
    if spec:
        patch["spec"] = spec
    meta = {
        key: desired["metadata"][key]
        for key in ("labels", "ownerReferences")
        if current.get("metadata", {}).get(key) != desired["metadata"][key]
    }
    if meta:
        patch["metadata"] = meta
    return patch


def _diff(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386: changed keys with their new values, removed keys as null, nested maps recursively."""
    patch: dict[str, Any] = {key: None for key in current if key not in desired}
    for key, value in desired.items():
        old = current.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            nested = _diff(old, value)
            if nested:
                patch[key] = nested
        elif old != value:
            patch[key] = value
    return patch
