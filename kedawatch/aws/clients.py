"""boto3 clients, one per service and identity, created once and shared by every thread.

Credentials come from boto3's standard chain (IRSA, Pod Identity, environment), so `AWS_ENDPOINT_URL`
points every client at a stand-in. An identity with a role assumes it with those credentials; botocore
refreshes the assumed-role credentials before they expire.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

import boto3
import botocore.config
import botocore.credentials
import botocore.session

from kedawatch import __version__, settings
from kedawatch.aws import identities

__all__ = ["AwsClients", "CallObserver"]

CallObserver = Callable[[str, str], None]
"""Told of every AWS API call made: the operation's name and its outcome (`ok` or AWS's error code)."""

_SESSION_NAME = "kedawatch"


class AwsClients:
    """Creates and caches clients per (service, identity)."""

    def __init__(self, aws_settings: settings.AwsSettings, observe: CallObserver | None = None) -> None:
        self._settings = aws_settings
        self._observe = observe
        self._lock = threading.Lock()
        self._base = boto3.session.Session()
        self._sessions: dict[str | None, boto3.session.Session] = {}
        self._clients: dict[tuple[str, identities.AwsIdentity], Any] = {}

    @property
    def default_region(self) -> str | None:
        """The region of the process's own configuration (AWS_REGION, AWS_DEFAULT_REGION, profile)."""
        return self._base.region_name

    def client(self, service: str, identity: identities.AwsIdentity) -> Any:
        key = (service, identity)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._create(service, identity)
            return client

    def _create(self, service: str, identity: identities.AwsIdentity) -> Any:
        session = self._session_for(identity.role_arn, identity.region)
        config = botocore.config.Config(
            connect_timeout=self._settings.connect_timeout,
            read_timeout=self._settings.read_timeout,
            retries={"mode": "adaptive", "max_attempts": self._settings.max_attempts},
            max_pool_connections=self._settings.max_pool_connections,
            user_agent_extra=f"kedawatch/{__version__}",
        )
        client = cast(Any, session).client(
            service, region_name=identity.region, endpoint_url=identity.endpoint, config=config
        )
        if self._observe is not None:
            client.meta.events.register("after-call", self._after_call)
            client.meta.events.register("after-call-error", self._after_call_error)
        return client

    def _session_for(self, role_arn: str | None, region: str) -> boto3.session.Session:
        session = self._sessions.get(role_arn)
        if session is None:
            session = self._sessions[role_arn] = self._base if role_arn is None else self._assumed(role_arn, region)
        return session

    def _assumed(self, role_arn: str, region: str) -> boto3.session.Session:
        sts = self._create("sts", identities.AwsIdentity(region=region))

        def fetch() -> dict[str, str]:
            answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=_SESSION_NAME)["Credentials"]
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

    def _after_call(self, model: Any, parsed: Any, **_: Any) -> None:
        assert self._observe is not None
        error = parsed.get("Error", {}) if isinstance(parsed, dict) else {}
        self._observe(model.name, str(error.get("Code") or "ok"))

    def _after_call_error(self, event_name: str, exception: Exception, **_: Any) -> None:
        """A call that got no answer from AWS at all (connection refused, timeout)."""
        assert self._observe is not None
        self._observe(event_name.rsplit(".", 1)[-1], type(exception).__name__)


class _Fixed(botocore.credentials.CredentialResolver):
    """A credential chain of exactly one set of (refreshable) credentials."""

    def __init__(self, credentials: botocore.credentials.Credentials) -> None:
        super().__init__(providers=[])
        self._credentials = credentials

    def load_credentials(self) -> botocore.credentials.Credentials:
        return self._credentials
