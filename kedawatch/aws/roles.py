"""Assuming a role with the process's own credentials, refreshed by botocore before they expire.

Only the scaler assumes roles (a trigger's `awsRoleArn`); it hands `assume` to `clients.AwsClients`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import botocore.credentials
import botocore.session

from kedawatch.aws import calls

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient

__all__ = ["assume"]

SESSION_NAME = "kedawatch"


def assume(sts: STSClient, role_arn: str) -> boto3.session.Session:
    """A session whose credentials are `role_arn`'s, fetched on first use and refreshed before expiry."""

    def fetch() -> dict[str, str]:
        answer = calls.call(sts.assume_role, RoleArn=role_arn, RoleSessionName=SESSION_NAME)["Credentials"]
        return {
            "access_key": answer["AccessKeyId"],
            "secret_key": answer["SecretAccessKey"],
            "token": answer["SessionToken"],
            "expiry_time": answer["Expiration"].isoformat(),
        }

    credentials = botocore.credentials.DeferredRefreshableCredentials(fetch, method="sts-assume-role")
    core = botocore.session.Session()
    core.register_component("credential_provider", _Fixed(credentials))
    return boto3.session.Session(botocore_session=core)


class _Fixed(botocore.credentials.CredentialResolver):
    """A credential chain of exactly one set of (refreshable) credentials."""

    def __init__(self, credentials: botocore.credentials.Credentials) -> None:
        super().__init__(providers=[])
        self._credentials = credentials

    def load_credentials(self) -> botocore.credentials.Credentials:
        return self._credentials
