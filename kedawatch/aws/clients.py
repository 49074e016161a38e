"""boto3 clients, one per service and identity, created once and shared by every thread.

Credentials come from boto3's standard chain (IRSA, Pod Identity, environment), so `AWS_ENDPOINT_URL`
points every client at a stand-in. An identity with a role is served by the `assume` strategy given, if any.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast, overload

import boto3
import botocore.config
import botocore.credentials

from kedawatch import __version__, settings
from kedawatch.aws import calls, errors, identities, sigv4

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_resourcegroupstaggingapi import ResourceGroupsTaggingAPIClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sts import STSClient

__all__ = ["AwsClients", "CallObserver"]

RoleAssumer = Callable[["STSClient", str, identities.RoleSession | None], boto3.session.Session]
"""Given an STS client, a role ARN and for whom, a session with that role's credentials (`roles.assume`)."""
CallObserver = Callable[[str, str], None]
"""Told of every AWS API call made: the operation's name and its outcome (`ok` or AWS's error code)."""


class Pace(Protocol):
    """Told of every attempt at an AWS call, botocore's retries included (its `before-send` event fires per attempt):
    the one place where a caller can keep every request that reaches AWS under AWS's quotas."""

    def begin(self, operation: str, region: str) -> None:
        """Return when this attempt at `operation` in `region` may be sent, in the thread that sends it; raising
        gives the call up (botocore retries no exception of ours)."""

    def end(self, operation: str, region: str) -> None:
        """The attempt at `operation` begun last in this thread has its answer, or failed without one."""


class AwsClients:
    """Creates and caches clients per (service, identity)."""

    def __init__(
        self,
        aws_settings: settings.AwsSettings,
        observe: CallObserver | None = None,
        assume: RoleAssumer | None = None,
        pace: Pace | None = None,
    ) -> None:
        self._settings = aws_settings
        self._observe = observe
        self._assume = assume
        self._pace = pace
        self._lock = threading.Lock()
        self._base = boto3.session.Session()
        self._sessions: dict[tuple[str, identities.RoleSession | None], boto3.session.Session] = {}
        """Assumed roles' sessions, by role and for whom it is assumed."""
        self._clients: dict[tuple[str, identities.AwsIdentity], Any] = {}

    @property
    def aws_settings(self) -> settings.AwsSettings:
        """The timeouts and pool sizes of these clients, for the HTTP APIs that share their identities."""
        return self._settings

    @property
    def default_region(self) -> str | None:
        """The region of the process's own configuration (AWS_REGION, AWS_DEFAULT_REGION, profile)."""
        return self._base.region_name

    @overload
    def client(self, service: Literal["cloudwatch"], identity: identities.AwsIdentity) -> CloudWatchClient: ...
    @overload
    def client(self, service: Literal["sqs"], identity: identities.AwsIdentity) -> SQSClient: ...
    @overload
    def client(self, service: Literal["sts"], identity: identities.AwsIdentity) -> STSClient: ...
    @overload
    def client(
        self, service: Literal["resourcegroupstaggingapi"], identity: identities.AwsIdentity
    ) -> ResourceGroupsTaggingAPIClient: ...
    def client(self, service: str, identity: identities.AwsIdentity) -> Any:
        """The client of `service` for `identity`, created on first use and shared by every thread."""
        key = (service, identity)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._create(service, identity)
            return client

    def credentials(self, identity: identities.AwsIdentity) -> sigv4.Keys:
        """The identity's current credentials, for the APIs botocore has no client for (CloudWatch's PromQL):
        the same chain and role as its clients, refreshed before they expire."""
        with self._lock:
            session = self._session_for(identity)
        frozen = calls.call(_frozen_credentials, session)  # may assume the role: STS's failures are AwsErrors
        if frozen is None or not frozen.access_key or not frozen.secret_key:
            raise errors.AwsError(errors.Failure.DENIED, "NoCredentials", "no AWS credentials found")
        return sigv4.Keys(frozen.access_key, frozen.secret_key, frozen.token)

    def _create(self, service: str, identity: identities.AwsIdentity) -> Any:
        session = self._session_for(identity)
        config = botocore.config.Config(
            connect_timeout=self._settings.connect_timeout,
            read_timeout=self._settings.read_timeout,
            retries={"mode": "standard", "max_attempts": self._settings.max_attempts},
            max_pool_connections=self._settings.max_pool_connections,
            user_agent_extra=f"kedawatch/{__version__}",
        )
        client = cast(Any, session).client(
            service, region_name=identity.region, endpoint_url=identity.endpoint, config=config
        )
        if self._observe is not None:
            client.meta.events.register("after-call", self._after_call)
            client.meta.events.register("after-call-error", self._after_call_error)
        if self._pace is not None:
            pace, region = self._pace, str(client.meta.region_name)

            def before_send(event_name: str, **_: Any) -> None:
                pace.begin(_operation_of(event_name), region)

            def response_received(event_name: str, **_: Any) -> None:
                pace.end(_operation_of(event_name), region)

            client.meta.events.register("before-send", before_send)
            client.meta.events.register("response-received", response_received)
        return client

    def _session_for(self, identity: identities.AwsIdentity) -> boto3.session.Session:
        if identity.role_arn is None:
            return self._base
        key = (identity.role_arn, identity.session)
        session = self._sessions.get(key)
        if session is None:
            session = self._sessions[key] = self._assumed(identity)
        return session

    def _assumed(self, identity: identities.AwsIdentity) -> boto3.session.Session:
        assert identity.role_arn is not None
        if self._assume is None:
            raise errors.AwsError(
                errors.Failure.INVALID, "RolesDisabled", f"this component assumes no role ({identity.role_arn})"
            )
        sts = self._create("sts", identities.AwsIdentity(region=identity.region))
        return self._assume(sts, identity.role_arn, identity.session)

    def _after_call(self, model: Any, parsed: Any, **_: Any) -> None:
        assert self._observe is not None
        error = parsed.get("Error", {}) if isinstance(parsed, dict) else {}
        self._observe(model.name, str(error.get("Code") or "ok"))

    def _after_call_error(self, event_name: str, exception: Exception, **_: Any) -> None:
        """A call that got no answer from AWS at all (connection refused, timeout)."""
        assert self._observe is not None
        self._observe(_operation_of(event_name), type(exception).__name__)


def _operation_of(event_name: str) -> str:
    """`PutMetricAlarm` of botocore's `before-send.cloudwatch.PutMetricAlarm`."""
    return event_name.rsplit(".", 1)[-1]


def _frozen_credentials(session: boto3.session.Session) -> botocore.credentials.ReadOnlyCredentials | None:
    live = session.get_credentials()
    return live.get_frozen_credentials() if live is not None else None
