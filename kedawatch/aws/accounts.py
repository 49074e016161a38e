"""The AWS account the process's own credentials belong to: the operator's "own account" in the tenant policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kedawatch.aws import calls

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient

__all__ = ["own_account"]


def own_account(sts: STSClient) -> str:
    """sts:GetCallerIdentity, which needs no IAM permission: any valid credentials may ask who they are."""
    return calls.call(sts.get_caller_identity)["Account"]
