"""Which alarms are ours: default names, and the tags that mark an alarm as one object's."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping

__all__ = ["ADOPT_ANNOTATION", "CLUSTER_TAG", "Owner", "claimed", "default_alarm_name", "fitted"]

PREFIX = "kedawatch.io/"
CLUSTER_TAG = PREFIX + "cluster"
ADOPT_ANNOTATION = PREFIX + "adopt"
"""Set to "true" on an object to take over an existing alarm of the same name that is not ours."""
MAX_NAME = 255


@dataclasses.dataclass(frozen=True)
class Owner:
    cluster: str
    kind: str
    namespace: str
    name: str
    uid: str

    def tags(self) -> dict[str, str]:
        return {
            CLUSTER_TAG: self.cluster,
            PREFIX + "kind": self.kind,
            PREFIX + "namespace": self.namespace,
            PREFIX + "name": self.name,
            PREFIX + "uid": self.uid,
        }

    def owns(self, tags: Mapping[str, str]) -> bool:
        """Ours when cluster, kind, namespace and name match; the uid may differ after a re-creation."""
        mine = self.tags()
        return all(tags.get(key) == mine[key] for key in mine if key != PREFIX + "uid")


def claimed(tags: Mapping[str, str]) -> bool:
    """Tagged as a kedawatch object's, of this cluster or another."""
    return any(key.startswith(PREFIX) for key in tags)


def default_alarm_name(cluster: str, namespace: str, name: str) -> str:
    """`<cluster>/<namespace>/<name>`, shortened with a hash when longer than CloudWatch's 255 characters."""
    return fitted(f"{cluster}/{namespace}/{name}")


def fitted(readable: str) -> str:
    """`readable`, or when longer than CloudWatch's 255 characters its start and a hash of the whole."""
    if len(readable) <= MAX_NAME:
        return readable
    digest = hashlib.sha256(readable.encode()).hexdigest()[:10]
    return f"{readable[: MAX_NAME - 11]}-{digest}"
