"""What every AWS source shares: the identity parameters and the shape of a source."""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from kedawatch.aws import identities
from kedawatch.scaler import metadata, reads

__all__ = ["AwsParams", "Source", "metric_name", "refuse_static_credentials"]

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_STATIC_CREDENTIALS = ("awsAccessKeyID", "awsAccessKeyId", "awsSecretAccessKey", "awsSessionToken")


def _region(value: str) -> str | None:
    return None if _REGION.match(value) else "must be an AWS region such as us-east-1"


def _role_arn(value: str) -> str | None:
    return None if _ROLE_ARN.match(value) else "must be an IAM role ARN: arn:aws:iam::<account>:role/<name>"


def _endpoint(value: str) -> str | None:
    url = urllib.parse.urlsplit(value)
    return None if url.scheme in ("http", "https") and url.netloc else "must be an http(s) URL"


@dataclasses.dataclass(frozen=True, kw_only=True)
class AwsParams:
    """Identity parameters of KEDA's AWS scalers, plus `awsRoleArn` which the scaler assumes itself.

    `awsRegion` is optional here: it defaults to the scaler's own region (`triggers.parse`).
    """

    aws_region: str | None = metadata.param("awsRegion", default=None, check=_region)
    aws_endpoint: str | None = metadata.param("awsEndpoint", default=None, check=_endpoint)
    aws_role_arn: str | None = metadata.param("awsRoleArn", default=None, check=_role_arn)
    identity_owner: str = metadata.param("identityOwner", default="pod", check=metadata.one_of("pod", "operator"))

    def identity(self, default_region: str) -> identities.AwsIdentity:
        return identities.AwsIdentity(self.aws_region or default_region, self.aws_role_arn, self.aws_endpoint)

    def validate(self) -> list[metadata.Problem]:
        return []


def refuse_static_credentials(raw: Mapping[str, str]) -> list[metadata.Problem]:
    """Credentials come only from the scaler's own identity, never from trigger metadata."""
    reason = "is refused: static credentials are not accepted; the scaler uses its own identity or awsRoleArn"
    return [metadata.Problem(key, None, reason) for key in _STATIC_CREDENTIALS if key in raw]


class Source(Protocol):
    """A parsed trigger of one AWS source."""

    name: ClassVar[str]

    @property
    def aws_region(self) -> str | None: ...

    def validate(self) -> list[metadata.Problem]: ...

    def identity(self, default_region: str) -> identities.AwsIdentity: ...

    def metric_name(self) -> str: ...

    def target(self) -> float: ...

    def activation(self) -> float: ...

    def read(self, identity: identities.AwsIdentity) -> reads.Read[Any]: ...

    def value(self, answer: Any) -> float: ...


def metric_name(*parts: str) -> str:
    """A stable, valid HPA metric name: lower case letters, digits and dashes, at most 100 characters."""
    text = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    return text[:100].rstrip("-")
