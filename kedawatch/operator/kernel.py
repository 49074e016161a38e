"""What every reconciler shares: the context they run in, the retry they raise, and the tenant policy check.

Reconcilers are siblings that never import each other; what more than one of them needs lives here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from kedawatch import settings, tenancy
from kedawatch.aws import errors
from kedawatch.operator import alarm_store, alert_routes, telemetry
from kedawatch.operator.resources import crds

__all__ = [
    "Context",
    "Desired",
    "Retry",
    "aws_failure",
    "check_alarm_policy",
    "check_policy",
    "delete_unless_retained",
    "retry_if_transient",
    "tag_list",
]

ACTION_KEYS = ("AlarmActions", "OKActions", "InsufficientDataActions")
"""The alarm parameters that name actions, each checked against the tenant policy."""
LOG_QUERY = "ScheduledQueryConfiguration"
"""A log alarm's query: the log groups it reads and the role it runs as, each checked against the tenant policy."""


class Retry(Exception):
    """AWS failed in a way that may pass: try again later; meanwhile show `status`, if any."""

    def __init__(self, message: str, status: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclasses.dataclass(frozen=True)
class Context:
    settings: settings.OperatorSettings
    """With `region` resolved at start (`run.make_context`): the region of objects that name none."""
    store: alarm_store.AlarmStore
    policy: tenancy.TenantPolicy
    kube: Any = None
    """The official Kubernetes client (`kubernetes.client.ApiClient`), for reconcilers that write objects."""
    routes: alert_routes.Routes = dataclasses.field(default_factory=alert_routes.Routes)
    """The alert-routing table of PrometheusRules' alarms (`--alert-routes`), read at start."""
    metrics: telemetry.OperatorMetrics = dataclasses.field(default_factory=telemetry.OperatorMetrics)
    """The operator's Prometheus metrics (the store's and the pacer's are the same)."""

    @property
    def region(self) -> str:
        assert self.settings.region, "make_context resolves the operator's region"
        return self.settings.region


@dataclasses.dataclass(frozen=True)
class Desired:
    """What an object's spec asks of AWS: a resource of `name` in `region`, written with `params` and `tags`."""

    name: str
    region: str
    params: dict[str, Any]
    tags: dict[str, str]
    retain: bool
    """deletionPolicy Retain: the resource stays in AWS when the object goes or renames it."""

    def left_behind(self, recorded: tuple[str | None, str | None]) -> tuple[str, str] | None:
        """The (name, region) the status `recorded` when it is another resource than this, unless retained: a
        rename or a move to another region, whose old resource is to be deleted."""
        name, region = recorded
        if name and region and (name, region) != (self.name, self.region) and not self.retain:
            return name, region
        return None


def check_policy(ctx: Context, namespace: str, region: str, params: Mapping[str, Any]) -> None:
    """Raise `tenancy.Denied` unless `namespace` may have an alarm in `region` calling the actions of its
    Put*Alarm `params`, and for a log alarm, querying its log groups as its roles. The operator's own log query
    role (`--log-query-role-arn`) is the cluster admin's to scope, so any namespace may have it."""
    ctx.policy.check_identity(namespace, region, None, None)
    ctx.policy.check_actions(namespace, [arn for key in ACTION_KEYS for arn in params.get(key, ())])
    query = params.get(LOG_QUERY, {})
    ctx.policy.check_log_groups(namespace, query.get("LogGroupIdentifiers", ()))
    roles = (query.get("ScheduledQueryRoleARN"), params.get("ActionLogLineRoleArn"))
    ctx.policy.check_roles(namespace, [arn for arn in roles if arn and arn != ctx.settings.log_query_role_arn])


def check_alarm_policy(ctx: Context, namespace: str, definition: crds.Definition, spec: Mapping[str, Any]) -> None:
    """`check_policy` of an alarm object's `spec` before the object is written: completed with the operator's
    defaults and in its region, as its reconciler will check it."""
    completed, _ = definition.checked(spec, ctx.settings)
    check_policy(ctx, namespace, completed.get("region") or ctx.region, definition.spec.aws_params(completed))


def retry_if_transient(exc: errors.AwsError) -> None:
    if exc.failure in errors.TRANSIENT:
        raise Retry(aws_failure(exc)) from exc


def aws_failure(exc: errors.AwsError, detail: str | None = None) -> str:
    """An AWS failure as conditions and Events say it: its kind, the operation that failed and `detail` (by
    default AWS's code and message), e.g. `AWS invalid request in PutCompositeAlarm: ValidationError: ...`."""
    where = f" in {exc.operation}" if exc.operation else ""
    return f"AWS {exc.failure.value}{where}: {exc if detail is None else detail}"


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags as a Put call takes them on creation: `[{Key, Value}]`, in key order."""
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


async def delete_unless_retained(
    what: str,
    recorded: tuple[str | None, str | None],
    declared: Callable[[], Desired | None],
    retain: bool,
    delete: Callable[[str, str], Awaitable[None]],
) -> tuple[str, str] | None:
    """`delete(name, region)` `what` (an alarm, a mute rule) by the name and region its status `recorded`, or
    without them (that write was lost, or the object never synced) by those its spec `declared`: it may exist
    all the same. Nothing when retained. The (name, region) deleted, if any; a failure is a `Retry`."""
    name, region = recorded
    if not name or not region:
        desired = declared()
        name, region = (desired.name, desired.region) if desired is not None else (None, None)
    if not name or not region or retain:
        return None
    try:
        await delete(name, region)
    except errors.AwsError as exc:
        retry_if_transient(exc)
        raise Retry(f"cannot delete {what} {name}: {aws_failure(exc)}") from exc
    return name, region
