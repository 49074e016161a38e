"""Reading custom objects with the official client: the one place where a 404 becomes None.

Blocking: the operator calls it in a thread (`children`); the demo and the tests call it as it is.
"""

from __future__ import annotations

from typing import Any

import kubernetes

from kedawatch.operator.resources import crds

__all__ = ["NOT_FOUND", "get"]

NOT_FOUND = 404


def get(api: kubernetes.client.ApiClient, kind: crds.Reference, namespace: str, name: str) -> dict[str, Any] | None:
    """The object, or None when there is none of that name."""
    custom = kubernetes.client.CustomObjectsApi(api)
    try:
        found = custom.get_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural, name)
    except kubernetes.client.ApiException as exc:
        if exc.status == NOT_FOUND:
            return None
        raise
    return dict(found)
