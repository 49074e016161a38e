"""What the hub is asked for: hashable descriptions of one AWS read, shared by every trigger that needs it.

Two triggers whose reads compare equal share one AWS call and one cached answer. Each source declares its
own kind of read beside its metadata (`sources/`).
"""

from __future__ import annotations

import dataclasses
from typing import Generic, TypeVar

from kedawatch.aws import identities

__all__ = ["Read"]

R = TypeVar("R")


@dataclasses.dataclass(frozen=True, slots=True)
class Read(Generic[R]):
    """A read whose answer has type R."""

    identity: identities.AwsIdentity
