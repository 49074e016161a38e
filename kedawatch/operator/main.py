"""kopf's routing table: each handler unpacks kopf's arguments and calls one reconciler.

Handlers are registered on a registry built per operator (not at import), with the context they need
closed over, so several operators can run in one process (tests) and nothing reads a global.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import kopf

from kedawatch.operator import children, kernel, status
from kedawatch.operator.reconcilers import alarms, apps, mute_rules, prometheus_rules
from kedawatch.operator.resources import crds

__all__ = ["build_registry"]

BACKOFF_CAP = 120.0
T = TypeVar("T")
TARGETS = [f"{definition.name}/targets" for definition in crds.ALARM_DEFINITIONS]
"""The indexes of every alarm kind's objects by namespace, which mute rules resolve their targets from."""
NAMESPACE_OPT_IN = "namespaces/cloudwatch-opt-in"
"""The index of each namespace's opt-in label for its PrometheusRules."""
RULES_BY_NAMESPACE = "prometheusrules/by-namespace"
"""The index of the PrometheusRules' names by namespace."""


def build_registry(ctx: kernel.Context, login: Callable[..., Any] = kopf.login_via_client) -> kopf.OperatorRegistry:
    """`login` reaches the API server: by default the official client's in-cluster or kubeconfig set-up."""
    registry = kopf.OperatorRegistry()
    kopf.on.login(registry=registry, id="login")(login)

    @kopf.on.cleanup(registry=registry, id="cleanup")
    async def cleanup(**_: Any) -> None:
        ctx.store.cancel()

    for definition in crds.ALARM_DEFINITIONS:
        _register_alarm_kind(registry, definition, ctx)
        _register_targets(registry, definition)
    _register_apps(registry, crds.APPS, ctx)
    _register_mute_rules(registry, crds.MUTE_RULES, ctx)
    if ctx.settings.prometheus_rules.enabled:
        _register_prometheus_rules(registry, ctx)
    return registry


def _register_prometheus_rules(registry: kopf.OperatorRegistry, ctx: kernel.Context) -> None:
    """PrometheusRules, kedawatch's only if opted in: kopf is blind to the others (`when`), so it writes nothing on
    them; and namespaces, whose opt-in label is indexed, and whose change has their PrometheusRules reconciled."""
    resource = (crds.PROMETHEUS_RULES.group, crds.PROMETHEUS_RULES.version, crds.PROMETHEUS_RULES.plural)
    namespaces = (crds.NAMESPACES.group, crds.NAMESPACES.version, crds.NAMESPACES.plural)
    seen: dict[str, str] = {}

    @kopf.on.startup(registry=registry, id="prometheusrule/crd")
    async def report_crd(**_: Any) -> None:
        await prometheus_rules.report_crd(ctx)

    @kopf.index(*namespaces, id=NAMESPACE_OPT_IN, registry=registry)
    def namespace_opt_in(name: str, labels: kopf.Labels, **_: Any) -> dict[str, str]:
        return {name: labels.get(prometheus_rules.OPT_IN, "")}

    @kopf.index(*resource, id=RULES_BY_NAMESPACE, registry=registry)
    def rule_names(name: str, namespace: str | None, labels: kopf.Labels, **_: Any) -> dict[str, str]:
        """Only those without a label of their own: theirs wins, so their namespace's label changes nothing. (An
        empty mapping, not None: None would leave an object indexed as it was.)"""
        return {} if prometheus_rules.OPT_IN in labels else {namespace or "": name}

    @kopf.on.event(*namespaces, id="prometheusrule/namespace", registry=registry)
    async def namespace_changed(name: str, labels: kopf.Labels, type: str | None, **kwargs: Any) -> None:
        """A namespace's opt-in changed since it was last seen (a new namespace had none): reconcile its rules.
        The namespaces listed at start are only noted, their rules being resumed then anyway."""
        opt_in, previous = labels.get(prometheus_rules.OPT_IN, ""), seen.get(name, "" if type == "ADDED" else None)
        seen[name] = opt_in
        if type == "DELETED":
            del seen[name]
        elif previous is not None and previous != opt_in:
            rules = list(kwargs[RULES_BY_NAMESPACE].get(name, []))
            await prometheus_rules.nudge(ctx, name, rules, opt_in)

    def concerned(body: kopf.Body, **kwargs: Any) -> bool:
        return prometheus_rules.concerned(body.get("metadata", {}), _namespace_opt_in(kwargs, body))

    @kopf.on.resume(*resource, id="prometheusrule/resume", when=concerned, registry=registry)
    @kopf.on.create(*resource, id="prometheusrule/create", when=concerned, registry=registry)
    @kopf.on.update(*resource, id="prometheusrule/update", when=concerned, registry=registry)
    async def reconcile_prometheus_rule(retry: int, body: kopf.Body, patch: kopf.Patch, **kwargs: Any) -> None:
        with _retrying(retry, ctx, body) as reconciling:
            opt_in = _namespace_opt_in(kwargs, body)
            outcome = await prometheus_rules.reconcile_rules(dict(body), opt_in, ctx)
            reconciling.outcome = (
                "RulesSkipped" if outcome.annotations.get(prometheus_rules.SKIPPED_ANNOTATION) else "Converted"
            )
        patch.metadata.annotations.update(outcome.annotations)
        for reason, message in outcome.warnings:
            kopf.warn(body, reason=reason, message=message)


def _namespace_opt_in(kwargs: dict[str, Any], body: kopf.Body) -> str | None:
    """The opt-in label of the object's namespace, from the index (None for a namespace not seen yet)."""
    return next(iter(kwargs[NAMESPACE_OPT_IN].get(body.get("metadata", {}).get("namespace"), [])), None)


def _register_apps(registry: kopf.OperatorRegistry, definition: crds.Definition, ctx: kernel.Context) -> None:
    resource = (definition.group, definition.version, definition.plural)

    @kopf.on.resume(*resource, id="app/resume", registry=registry)
    @kopf.on.create(*resource, id="app/create", registry=registry)
    @kopf.on.update(*resource, id="app/update", registry=registry)
    async def reconcile_app(retry: int, body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
        with _retrying(retry, ctx, body) as reconciling:
            reconciling.outcome = _update_status(ctx, body, patch, "Ready", await apps.reconcile_app(body, ctx))

    @kopf.on.delete(*resource, id="app/delete", registry=registry)
    async def delete_app(retry: int, body: kopf.Body, **_: Any) -> None:
        with _retrying(retry):
            await apps.delete_app(body, ctx)
        _forget(ctx, body)

    @kopf.timer(*resource, id="app/refresh", interval=ctx.settings.state_interval, registry=registry)
    async def refresh_app(body: kopf.Body, patch: kopf.Patch, **kwargs: Any) -> None:
        refreshed = await _unless_stopped(kwargs, apps.refresh_app(body, ctx)) or {}
        patch.status.update(refreshed)
        if "conditions" in refreshed:
            _observe_conditions(ctx, body, refreshed)


def _register_alarm_kind(registry: kopf.OperatorRegistry, definition: crds.Definition, ctx: kernel.Context) -> None:
    resource = (definition.group, definition.version, definition.plural)
    prefix = definition.name

    @kopf.on.resume(*resource, id=f"{prefix}/resume", registry=registry)
    @kopf.on.create(*resource, id=f"{prefix}/create", registry=registry)
    @kopf.on.update(*resource, id=f"{prefix}/update", registry=registry)
    async def reconcile_alarm(retry: int, body: kopf.Body, patch: kopf.Patch, **kwargs: Any) -> None:
        with _retrying(retry, ctx, body, patch) as reconciling:
            synced = await alarms.reconcile_alarm(_alarm_object(definition, body), ctx)
            reconciling.outcome = _update_status(ctx, body, patch, "Synced", synced)

    @kopf.on.delete(*resource, id=f"{prefix}/delete", registry=registry)
    async def delete_alarm(retry: int, body: kopf.Body, **kwargs: Any) -> None:
        with _retrying(retry):
            await alarms.delete_alarm(_alarm_object(definition, body), ctx)
        _forget(ctx, body)

    @kopf.timer(*resource, id=f"{prefix}/state", interval=ctx.settings.state_interval, registry=registry)
    async def mirror_alarm_state(body: kopf.Body, patch: kopf.Patch, **kwargs: Any) -> None:
        observed = alarms.observe_alarm(_alarm_object(definition, body), ctx)
        seen, changed = await _unless_stopped(kwargs, observed) or ({}, None)
        patch.status.update(seen)
        if changed == "ALARM":
            breaching = f": {seen['breachingSeries']} series breaching" if seen.get("breachingSeries") else ""
            kopf.warn(body, reason="AlarmState", message=f"alarm {seen.get('alarmArn')} is in ALARM{breaching}")
        elif changed:
            kopf.info(body, reason="AlarmState", message=f"alarm {seen.get('alarmArn')} is {changed}")

    @kopf.timer(
        *resource,
        id=f"{prefix}/drift",
        interval=ctx.settings.drift_interval,
        initial_delay=ctx.settings.drift_interval,
        registry=registry,
    )
    async def repair_alarm_drift(body: kopf.Body, patch: kopf.Patch, **kwargs: Any) -> None:
        repairing = alarms.repair_drift(_alarm_object(definition, body), ctx)
        _update_status(ctx, body, patch, "Synced", await _unless_stopped(kwargs, repairing) or {})


async def _unless_stopped(kwargs: dict[str, Any], work: Coroutine[Any, Any, T]) -> T | None:
    """A timer's `work`, or None as soon as kopf stops the timer (`stopped` among its `kwargs`: the operator
    exiting, the object going).

    On the operator's exit kopf gives a timer a few event-loop cycles, never cancels it, and then leaves it
    orphaned: an AWS read still under way would outlive the operator and patch after kopf closed its API
    sessions. Cancelled instead, the timer is done at once and its patch is empty.
    """
    running = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(_stopped(kwargs["stopped"]))
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if running.done() and not running.cancelled():
        return running.result()
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    return None


async def _stopped(stopped: kopf.DaemonStopped) -> None:
    await stopped.wait()


def _register_targets(registry: kopf.OperatorRegistry, definition: crds.Definition) -> None:
    """Index the kind's objects by namespace, as mute rules see them: kept current from kopf's watch, so resolving
    a rule's targets reads no API."""
    resource = (definition.group, definition.version, definition.plural)

    @kopf.index(*resource, id=f"{definition.name}/targets", registry=registry)
    def mute_targets(body: kopf.Body, **_: Any) -> dict[str, mute_rules.Candidate]:
        meta, seen = body.get("metadata", {}), body.get("status", {})
        synced = (status.find("Synced", seen.get("conditions", [])) or {}).get("status") == "True"
        candidate = mute_rules.Candidate(
            kind=definition.kind,
            name=meta.get("name", ""),
            labels=dict(meta.get("labels", {})),
            alarm_name=seen.get("alarmName", "") if synced else "",
            region=seen.get("region", ""),
            deleting=bool(meta.get("deletionTimestamp")),
        )
        return {meta.get("namespace", ""): candidate}


def _register_mute_rules(registry: kopf.OperatorRegistry, definition: crds.Definition, ctx: kernel.Context) -> None:
    resource = (definition.group, definition.version, definition.plural)
    prefix = definition.name

    @kopf.on.resume(*resource, id=f"{prefix}/resume", registry=registry)
    @kopf.on.create(*resource, id=f"{prefix}/create", registry=registry)
    @kopf.on.update(*resource, id=f"{prefix}/update", registry=registry)
    async def reconcile_mute_rule(retry: int, body: kopf.Body, patch: kopf.Patch, **kwargs: Any) -> None:
        with _retrying(retry, ctx, body, patch) as reconciling:
            synced = await mute_rules.reconcile_mute_rule(_mute_rule_object(definition, body, kwargs), ctx)
            reconciling.outcome = _update_status(ctx, body, patch, "Synced", synced)
            _tell_mute_state(body, synced)

    @kopf.on.delete(*resource, id=f"{prefix}/delete", registry=registry)
    async def delete_mute_rule(retry: int, body: kopf.Body, **kwargs: Any) -> None:
        with _retrying(retry):
            await mute_rules.delete_mute_rule(_mute_rule_object(definition, body, kwargs), ctx)
        _forget(ctx, body)

    @kopf.timer(*resource, id=f"{prefix}/refresh", interval=ctx.settings.state_interval, registry=registry)
    async def refresh_mute_rule(body: kopf.Body, patch: kopf.Patch, **kwargs: Any) -> None:
        refreshing = mute_rules.refresh_mute_rule(_mute_rule_object(definition, body, kwargs), ctx)
        try:
            seen = await _unless_stopped(kwargs, refreshing) or {}
        except kernel.Retry as exc:  # the next interval tries again
            seen = exc.status or {}
        _update_status(ctx, body, patch, "Synced", seen)
        _tell_mute_state(body, seen)


def _tell_mute_state(body: kopf.Body, seen: dict[str, Any]) -> None:
    """A Normal Event when the rule's state in CloudWatch changes: muting began, ended, or the rule expired."""
    state = seen.get("state")
    if not state or state == body.get("status", {}).get("state"):
        return
    if state == "ACTIVE":
        muted = f"{seen.get('targetCount')} alarms' actions muted until {seen.get('activeUntil') or 'its window ends'}"
        kopf.info(body, reason="MuteState", message=f"mute rule {seen.get('muteRuleName')} is ACTIVE: {muted}")
    else:
        kopf.info(body, reason="MuteState", message=f"mute rule {seen.get('muteRuleName')} is {state}")


def _mute_rule_object(
    definition: crds.Definition, body: kopf.Body, kwargs: dict[str, Any]
) -> mute_rules.MuteRuleObject:
    namespace = body.get("metadata", {}).get("namespace", "")
    # An index of a kind whose CRD the cluster lacks (a cw.aws.com one) holds nothing.
    candidates = [candidate for index in TARGETS for candidate in kwargs.get(index, {}).get(namespace, [])]
    return mute_rules.MuteRuleObject(definition, dict(body), candidates)


def _alarm_object(definition: crds.Definition, body: kopf.Body) -> alarms.AlarmObject:
    meta = body.get("metadata", {})
    return alarms.AlarmObject(
        definition=definition,
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        generation=meta.get("generation"),
        spec=dict(body.get("spec", {})),
        status=dict(body.get("status", {})),
        annotations=dict(meta.get("annotations", {})),
    )


def _update_status(ctx: kernel.Context, body: kopf.Body, patch: kopf.Patch, kind: str, new: dict[str, Any]) -> str:
    """Patch the status and return the reason of its `kind` condition (`Unchanged` if it has none); a condition that
    newly turned False is also told once as a Warning Event."""
    patch.status.update(new)
    failing = status.newly_failing(kind, body.get("status", {}).get("conditions", []), new.get("conditions", []))
    if failing is not None:
        kopf.warn(body, reason=failing["reason"], message=failing["message"])
    if "conditions" in new:
        _observe_conditions(ctx, body, new)
    written = status.find(kind, new.get("conditions", [])) or {}
    return str(written.get("reason") or "Unchanged")


def _observe_conditions(ctx: kernel.Context, body: kopf.Body, new: dict[str, Any]) -> None:
    meta = body.get("metadata", {})
    ctx.metrics.observe_conditions(
        str(body.get("kind", "")), meta.get("namespace", ""), meta.get("name", ""), new["conditions"]
    )


def _forget(ctx: kernel.Context, body: kopf.Body) -> None:
    """The object's deletion is done: its conditions no longer count."""
    meta = body.get("metadata", {})
    ctx.metrics.forget(str(body.get("kind", "")), meta.get("namespace", ""), meta.get("name", ""))


class _retrying:
    """Turns a reconciler's `Retry` (or the Kubernetes API's `Unavailable`) into kopf's TemporaryError with an
    exponential, capped delay rather than kopf's fixed 60 s, keeping the status that a Retry carries (kopf
    still applies the patch of a handler that fails).

    Given `ctx` and the object's `body`, the reconcile is counted by kind and `outcome`: the reason of the condition
    it left (set by the handler, or the Retry's), `Retry` without one, `Error` for any other failure.
    """

    def __init__(
        self,
        retry: int,
        ctx: kernel.Context | None = None,
        body: kopf.Body | None = None,
        patch: kopf.Patch | None = None,
    ) -> None:
        self._delay = min(BACKOFF_CAP, 2.0 ** min(retry, 10))
        self._ctx, self._body, self._patch = ctx, body, patch
        self.outcome = ""

    def __enter__(self) -> _retrying:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        ctx, body, patch = self._ctx, self._body, self._patch
        if isinstance(exc, kernel.Retry) and exc.status and ctx is not None and body is not None and patch is not None:
            self.outcome = _update_status(ctx, body, patch, "Synced", exc.status)
        if ctx is not None and body is not None and not isinstance(exc, asyncio.CancelledError):
            outcome = self.outcome or ("Retry" if isinstance(exc, kernel.Retry | children.Unavailable) else "Error")
            ctx.metrics.reconciles.labels(str(body.get("kind", "")), outcome).inc()
        if isinstance(exc, kernel.Retry | children.Unavailable):
            raise kopf.TemporaryError(str(exc), delay=self._delay) from exc
