"""Assuming a role with the process's own credentials, refreshed by botocore before they expire.

Only the scaler assumes roles (a trigger's `awsRoleArn`); it hands `assume` to `clients.AwsClients`, and says
for whom with `session`: the session's name names the namespace, its tags (when the tenant policy asks for
them) carry the cluster and the namespace under the keys EKS Pod Identity gives its own sessions, so that one
role policy written for a namespace's pods (`${aws:PrincipalTag/kubernetes-namespace}`) fits the scaler's
reads for that namespace too. The tags are not transitive: the scaler never chains its sessions further.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import botocore.credentials
import botocore.session

from kedawatch.aws import calls, identities, names

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient

__all__ = ["assume", "session"]

_SESSION_NAME = "kedawatch"
"""The session name of a role assumed for no one in particular."""
_CLUSTER_TAG = "eks-cluster-name"
_NAMESPACE_TAG = "kubernetes-namespace"
"""EKS Pod Identity's session tag keys for the cluster's name and the pod's namespace."""


def session(cluster: str, namespace: str, external_id: str | None, tagged: bool) -> identities.RoleSession:
    """How the scaler assumes a role for `namespace` of `cluster`: named `kedawatch-<namespace>` (hashed down
    to STS's 64 characters), tagged with both if `tagged`, with `external_id` if any."""
    tags = ((_CLUSTER_TAG, cluster), (_NAMESPACE_TAG, namespace)) if tagged else ()
    return identities.RoleSession(names.role_session_name(f"{_SESSION_NAME}-{namespace}"), tags, external_id)


def assume(sts: STSClient, role_arn: str, how: identities.RoleSession | None) -> boto3.session.Session:
    """A session whose credentials are `role_arn`'s, fetched on first use and refreshed before expiry."""
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": how.name if how else _SESSION_NAME}
    if how is not None and how.tags:
        params["Tags"] = [{"Key": key, "Value": value} for key, value in how.tags]
    if how is not None and how.external_id:
        params["ExternalId"] = how.external_id

    def fetch() -> dict[str, str]:
        answer = calls.call(sts.assume_role, **params)["Credentials"]
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
