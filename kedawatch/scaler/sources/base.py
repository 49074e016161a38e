"""What every source shares: the AWS identity parameters, the shape of a source and of its fetcher, and the
one failure a source may raise on its own."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar, Protocol, cast

from kedawatch import settings
from kedawatch.aws import clients, errors, identities, names
from kedawatch.scaler import metadata, reads, telemetry

__all__ = [
    "CREDENTIAL_KEYS",
    "Answer",
    "AwsParams",
    "Fetcher",
    "NoValue",
    "SingleReads",
    "Source",
    "metric_name",
    "refuse_static_credentials",
]

CREDENTIAL_KEYS = ("awsAccessKeyID", "awsAccessKeyId", "awsSecretAccessKey", "awsSessionToken")
"""KEDA's credential keys (in metadata or TriggerAuthentication); also refused as `<key>FromEnv`."""

Answer = Any | errors.AwsError


class NoValue(Exception):
    """AWS answered, but with nothing the source can make a value of, where KEDA's built-in scaler errors too
    (an empty CloudWatch window with `ignoreNullValues: false`). The service answers FAILED_PRECONDITION."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class AwsParams:
    """Identity parameters of KEDA's AWS scalers, plus `awsRoleArn` which the scaler assumes itself.

    `awsRegion` is optional here: it defaults to the scaler's own region (`triggers.parse`).
    """

    aws_region: str | None = metadata.param("awsRegion", default=None, check=names.region_problem)
    aws_endpoint: str | None = metadata.param("awsEndpoint", default=None, check=names.endpoint_problem)
    aws_role_arn: str | None = metadata.param("awsRoleArn", default=None, check=names.role_arn_problem)
    identity_owner: str = metadata.param("identityOwner", default="pod", check=metadata.one_of("pod", "operator"))

    def identity(self, default_region: str) -> identities.AwsIdentity:
        return identities.AwsIdentity(self.aws_region or default_region, self.aws_role_arn, self.aws_endpoint)

    def validate(self) -> list[metadata.Problem]:
        return []


def refuse_static_credentials(raw: Mapping[str, str]) -> list[metadata.Problem]:
    """Credentials come only from the scaler's own identity, never from trigger metadata: neither as themselves
    nor as `<key>FromEnv`, which KEDA forwards carrying the secret it resolved. Refused by name, never by value."""
    reason = "is refused: static credentials are not accepted; the scaler uses its own identity or awsRoleArn"
    keys = (candidate for key in CREDENTIAL_KEYS for candidate in (key, key + "FromEnv"))
    return [metadata.Problem(key, None, reason) for key in keys if key in raw]


class Fetcher(Protocol):
    """How the hub turns a batch of one source's reads into AWS calls.

    It says which reads may share a call (`batch_key`), how much of one a read takes (`size`, of `max_batch`),
    how long an answer stays fresh, and makes the call. `fetch` is synchronous: the hub runs it in a worker
    thread, and it returns an answer or an `errors.AwsError` for each read, in order.
    """

    read_type: ClassVar[type[reads.Read[Any]]]
    max_batch: int

    def __init__(
        self, aws: clients.AwsClients, hub_settings: settings.HubSettings, metrics: telemetry.ScalerMetrics
    ) -> None: ...

    def batch_key(self, read: Any, now: float) -> Hashable: ...

    def size(self, read: Any) -> int: ...

    def group_key(self, read: Any) -> Hashable:
        """Reads that would share a batch at any time: refreshed together, ahead of expiry."""
        ...

    def freshness(self, read: Any) -> float:
        """Seconds between reads of a value in use: a read not asked for in two of these is let go."""
        ...

    def expiry(self, read: Any, fetched: float, max_age: float | None) -> float:
        """When (wall-clock seconds) an answer fetched at `fetched` stops being fresh, for an asker who wants it
        no older than `max_age` (None: as fresh as the source needs)."""
        ...

    def push_interval(self, read: Any) -> float: ...

    def fetch(self, key: Hashable, batch: Sequence[Any]) -> list[Answer]: ...


class Source(Protocol):
    """A parsed trigger of one source. Its class declares the source: the name KEDA's `source` key gives,
    the keys that tell it apart when `source` is absent, and the fetcher of its reads."""

    name: ClassVar[str]
    telltales: ClassVar[tuple[str, ...]]
    fetcher: ClassVar[type[Fetcher]]

    @property
    def aws_region(self) -> str | None: ...

    def validate(self) -> list[metadata.Problem]: ...

    def identity(self, default_region: str) -> identities.AwsIdentity: ...

    def metric_name(self) -> str: ...

    def target(self) -> float: ...

    def activation(self) -> float: ...

    def read(self, identity: identities.AwsIdentity) -> reads.Read[Any]: ...

    def value(self, answer: Any) -> float:
        """The trigger's value from its read's answer; raises `NoValue` when there is none to give."""
        ...


class SingleReads:
    """The `Fetcher` of a source that reads one value a call (SQS's GetQueueAttributes, a PromQL query): each
    distinct read is its own call, fresh for the source's `freshness` (or an asker's `max_age`). A subclass sets
    `read_type`, says its `freshness` and `push_interval`, and makes the call in `fetch_one`."""

    max_batch = 1

    def batch_key(self, read: Any, now: float) -> Hashable:
        return cast(Hashable, read)

    def size(self, read: Any) -> int:
        return 1

    def group_key(self, read: Any) -> Hashable:
        return cast(Hashable, read)

    def freshness(self, read: Any) -> float:
        raise NotImplementedError

    def expiry(self, read: Any, fetched: float, max_age: float | None) -> float:
        """A value that changes at any time: fresh for `freshness`, or the asker's `max_age`."""
        freshness = self.freshness(read)
        return fetched + (freshness if max_age is None else min(freshness, max_age))

    def fetch(self, key: Hashable, batch: Sequence[Any]) -> list[Answer]:
        (read,) = batch
        try:
            return [self.fetch_one(key, read)]
        except errors.AwsError as exc:
            return [exc]

    def fetch_one(self, key: Hashable, read: Any) -> Any:
        """The call for `read`, batched under `key`; raises `errors.AwsError` when AWS fails."""
        raise NotImplementedError


def metric_name(*parts: str) -> str:
    """A stable, valid HPA metric name: lower case letters, digits and dashes, at most 100 characters."""
    text = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    return text[:100].rstrip("-")
