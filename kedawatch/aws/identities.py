"""Who a read is made as and where it is sent: the key that clients and batches are grouped by."""

from __future__ import annotations

import dataclasses

__all__ = ["AwsIdentity", "RoleSession"]


@dataclasses.dataclass(frozen=True, slots=True)
class RoleSession:
    """For whom a role is assumed: what STS's AssumeRole is told besides the role. An external id is an
    identifier, not a secret (AWS's words), so this too is safe as a dictionary key and in logs."""

    name: str
    """RoleSessionName: CloudTrail shows it in every call made with the session."""
    tags: tuple[tuple[str, str], ...] = ()
    """Session tags (key, value), sent only when not empty: STS then needs `sts:TagSession` allowed."""
    external_id: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class AwsIdentity:
    """A region, an optional role to assume with the process's own credentials, an optional endpoint.

    Holds no secrets, so it is safe as a dictionary key and in logs.
    """

    region: str
    role_arn: str | None = None
    endpoint: str | None = None
    session: RoleSession | None = None
    """How `role_arn` is assumed (the scaler: for which namespace); None: as `kedawatch`, untagged.
    Part of the key, so that sessions, clients and batches are never shared between two of them."""
