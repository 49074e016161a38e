"""Reconcile a PrometheusRule (prometheus-operator's kind, not kedawatch's): one CloudWatchMetricAlarm object per
alerting rule, owned by the PrometheusRule, for those opted in.

Opt-in is the label `kedawatch.io/cloudwatch: "true"` on the PrometheusRule or on its namespace (`"false"` on the
object opts it out of its namespace's), so a cluster that also runs Prometheus is not alerted twice. The alarm
objects carry a controlling ownerReference: Kubernetes' garbage collector removes them with the PrometheusRule,
and each one's own finalizer deletes its alarm (or keeps it, under `kedawatch.io/deletion-policy: Retain`). No
finalizer is put on the PrometheusRule itself: kedawatch does not own it, and deleting it must never wait for
kedawatch.

The PrometheusRule's status is prometheus-operator's, so what was made is reported in annotations (the number of
alarm objects, each rule skipped and why, what was adjusted) and in a Warning Event for each new line.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import kubernetes

from kedawatch import tenancy
from kedawatch.operator import children, kernel, objects
from kedawatch.operator.rendering import prometheus_rules as rendering
from kedawatch.operator.resources import crds

__all__ = [
    "ALARMS_ANNOTATION",
    "NOTES_ANNOTATION",
    "OPT_IN",
    "SKIPPED_ANNOTATION",
    "concerned",
    "nudge",
    "reconcile_rules",
    "report_crd",
]

logger = logging.getLogger(__name__)

OPT_IN = "kedawatch.io/cloudwatch"
"""The label, on a PrometheusRule or its namespace, whose value "true" opts the rules in (the object's wins)."""
ALARMS_ANNOTATION = "kedawatch.io/cloudwatch-alarms"
"""How many alarm objects the PrometheusRule has; present while kedawatch manages it."""
SKIPPED_ANNOTATION = "kedawatch.io/skipped-rules"
"""One line per rule that is no alarm, with the reason."""
NOTES_ANNOTATION = "kedawatch.io/adjusted-rules"
"""One line per thing CloudWatch does differently from Prometheus in the alarms made (an interval moved)."""
NAMESPACE_OPT_IN = "cloudwatch.kedawatch.io/namespace-opt-in"
"""Written on a namespace's PrometheusRules when its opt-in label changes, so kopf reconciles them: kopf compares
labels and annotations, but no kedawatch.io/ annotation (its own prefix), hence another prefix."""
DISCOVERY_TIMEOUT = 10.0
"""Seconds the check at start waits for the API server: kopf starts nothing until its start-up activities end."""
_INVALID = frozenset({400, 422})
"""The API server refusing an alarm object (its schema or CEL): that rule is reported, the others made."""


@dataclasses.dataclass(frozen=True)
class Outcome:
    annotations: dict[str, str | None]
    """The report annotations to patch onto the PrometheusRule (None removes one)."""
    warnings: list[tuple[str, str]]
    """(reason, message) of a Warning Event for each line the previous report did not have."""


def opted_in(labels: Mapping[str, str], namespace_opt_in: str | None) -> bool:
    own = labels.get(OPT_IN)
    return (own if own is not None else namespace_opt_in) == "true"


def concerned(meta: Mapping[str, Any], namespace_opt_in: str | None) -> bool:
    """Whether the PrometheusRule is kedawatch's business: opted in, or with alarm objects made while it was
    (to delete them). kopf is blind to the others and writes nothing on them."""
    return opted_in(meta.get("labels") or {}, namespace_opt_in) or ALARMS_ANNOTATION in (meta.get("annotations") or {})


async def reconcile_rules(rule: Mapping[str, Any], namespace_opt_in: str | None, ctx: kernel.Context) -> Outcome:
    """Make the PrometheusRule's alarm objects match its alerting rules (none when it is not opted in)."""
    meta = rule["metadata"]
    owned = children.Children(ctx.kube, meta.get("uid", ""))
    existing = {child["metadata"]["name"] for child in await owned.owned(crds.METRIC_ALARMS, meta["namespace"])}
    if not opted_in(meta.get("labels") or {}, namespace_opt_in):
        await _prune(owned, meta["namespace"], existing, set())
        return Outcome({ALARMS_ANNOTATION: None, SKIPPED_ANNOTATION: None, NOTES_ANNOTATION: None}, [])
    translation = rendering.translate(rule, ctx.settings, ctx.routes)
    made, skipped = [], list(translation.skipped)
    for alarm in translation.alarms:
        refusal = await _apply(owned, alarm, meta["namespace"], ctx)
        if refusal is None:
            made.append(alarm.object["metadata"]["name"])
        else:
            skipped.append(refusal)
    kept = {item.child for item in skipped if item.child is not None and item.child in existing}
    await _prune(owned, meta["namespace"], existing, {*made, *kept})
    lines = [str(item) + ("; its alarm stays as last made" if item.child in kept else "") for item in skipped]
    previous = meta.get("annotations") or {}
    return Outcome(
        {
            ALARMS_ANNOTATION: str(len(made) + len(kept)),
            SKIPPED_ANNOTATION: "\n".join(lines) or None,
            NOTES_ANNOTATION: "\n".join(translation.notes) or None,
        },
        [
            *(("RuleSkipped", f"not a CloudWatch alarm: {line}") for line in _new(lines, previous, SKIPPED_ANNOTATION)),
            *(("RuleAdjusted", line) for line in _new(translation.notes, previous, NOTES_ANNOTATION)),
        ],
    )


async def _apply(
    owned: children.Children, alarm: rendering.Alarm, namespace: str, ctx: kernel.Context
) -> rendering.Skipped | None:
    """Create or update the alarm object, or say why not (the rule's alarm, if any, then stays as it was)."""
    spec, name = alarm.object["spec"], alarm.object["metadata"]["name"]
    try:
        kernel.check_alarm_policy(ctx, namespace, crds.METRIC_ALARMS, spec)
    except tenancy.Denied as exc:
        return rendering.Skipped(alarm.rule, f"the tenant policy refuses it: {exc}", name)
    try:
        applied = await owned.apply(alarm.object)
    except kubernetes.client.ApiException as exc:
        if exc.status not in _INVALID:
            raise
        return rendering.Skipped(alarm.rule, f"the API server refused its alarm object {name}: {exc.reason}", name)
    if applied.conflict:
        message = f"a {crds.METRIC_ALARMS.kind} named {name} exists and is not this PrometheusRule's: left alone"
        return rendering.Skipped(alarm.rule, message)
    return None


async def _prune(owned: children.Children, namespace: str, existing: Iterable[str], wanted: set[str]) -> None:
    for name in existing:
        if name not in wanted:
            await owned.delete(crds.METRIC_ALARMS, namespace, name)


def _new(lines: list[str], previous: Mapping[str, str], key: str) -> list[str]:
    said = set(previous.get(key, "").splitlines())
    return [line for line in lines if line not in said]


async def nudge(ctx: kernel.Context, namespace: str, names: Iterable[str], opt_in: str) -> None:
    """Have kopf reconcile the namespace's PrometheusRules `names` again: its opt-in label changed to `opt_in`. A
    failure is logged: that rule is reconciled on its next change or the operator's next start."""
    api = kubernetes.client.CustomObjectsApi(ctx.kube)
    kind = crds.PROMETHEUS_RULES
    patch = {"metadata": {"annotations": {NAMESPACE_OPT_IN: opt_in or "unset"}}}
    for name in names:
        try:
            await asyncio.to_thread(
                api.patch_namespaced_custom_object, kind.group, kind.version, namespace, kind.plural, name, patch
            )
        except kubernetes.client.ApiException as exc:
            logger.warning("PrometheusRule %s/%s not reconciled after its namespace's opt-in changed: %s %s",
                           namespace, name, exc.status, exc.reason)  # fmt: skip


async def report_crd(ctx: kernel.Context) -> None:
    """Say at start whether the cluster serves PrometheusRules, from the API server's discovery as kopf reads it.
    Without the CRD nothing fails: kopf watches CRDs, and serves the kind as soon as prometheus-operator's appears.
    Never raises: a failing start-up activity would keep kopf from starting at all."""
    kind = crds.PROMETHEUS_RULES
    api = kubernetes.client.CustomObjectsApi(ctx.kube)
    try:
        listed = await asyncio.to_thread(
            api.get_api_resources, kind.group, kind.version, _request_timeout=DISCOVERY_TIMEOUT
        )
    except kubernetes.client.ApiException as exc:
        if exc.status != objects.NOT_FOUND:
            logger.warning("PrometheusRules: cannot tell whether %s is installed: %s %s", kind.name, exc.status,
                           exc.reason)  # fmt: skip
            return
        listed = None
    if listed is None or not any(resource.name == kind.plural for resource in listed.resources or []):
        logger.warning(
            "PrometheusRules are on (--prometheus-rules) but the cluster has no %s CRD (prometheus-operator's):"
            " none are served until it is installed, then at once",
            kind.name,
        )
        return
    logger.info(
        "PrometheusRules: reconciling those labelled %s=true (or in a namespace so labelled) into CloudWatch alarms,"
        " %d alert route(s)",
        OPT_IN,
        len(ctx.routes.routes),
    )
