"""Who a read is made as and where it is sent: the key that clients and batches are grouped by."""

from __future__ import annotations

import dataclasses

__all__ = ["AwsIdentity"]


@dataclasses.dataclass(frozen=True, slots=True)
class AwsIdentity:
    """A region, an optional role to assume with the process's own credentials, an optional endpoint.

    Holds no secrets, so it is safe as a dictionary key and in logs.
    """

    region: str
    role_arn: str | None = None
    endpoint: str | None = None
