"""The AWS account the process's own credentials belong to: the operator's "own account" in the tenant policy."""

from __future__ import annotations

from typing import Any

from kedawatch.aws import errors

__all__ = ["own_account"]


def own_account(sts: Any) -> str:
    """sts:GetCallerIdentity, which needs no IAM permission: any valid credentials may ask who they are."""
    try:
        return str(sts.get_caller_identity()["Account"])
    except Exception as exc:
        raise errors.translate(exc) from exc
