"""Starts the operator: kopf with kedawatch's settings, from our own CLI rather than `kopf run FILE`
(kopf's file loader would put `kedawatch/operator/` on sys.path, shadowing the standard `operator`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from kedawatch import settings
from kedawatch.aws import clients
from kedawatch.operator import alarm_store, main, pacing
from kedawatch.operator.reconcilers import alarms

__all__ = ["kopf_settings", "make_context", "run"]

logger = logging.getLogger(__name__)
ANNOTATION_PREFIX = "kedawatch.io"


def make_context(operator_settings: settings.OperatorSettings) -> alarms.Context:
    aws = clients.AwsClients(operator_settings.aws)
    region = operator_settings.region or aws.default_region
    if not region:
        raise SystemExit("kedawatch operator: no region: set --region or AWS_REGION")
    store = alarm_store.AlarmStore(
        aws, pacing.WriteLimiter(operator_settings.write_rate), operator_settings.cluster_name
    )
    return alarms.Context(operator_settings, store, region)


def kopf_settings(operator_settings: settings.OperatorSettings) -> kopf.OperatorSettings:
    """Progress and diff-base in annotations, so status holds only what users read."""
    configured = kopf.OperatorSettings()
    configured.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=ANNOTATION_PREFIX)
    configured.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=ANNOTATION_PREFIX, key="last-handled-configuration"
    )
    configured.persistence.finalizer = f"{ANNOTATION_PREFIX}/finalizer"
    configured.posting.reporting_component = "kedawatch-operator"
    configured.peering.standalone = operator_settings.peering is None
    if operator_settings.peering:
        configured.peering.name = operator_settings.peering
    return configured


async def run(
    operator_settings: settings.OperatorSettings, stop_flag: asyncio.Event | None = None, **extra: Any
) -> None:
    ctx = make_context(operator_settings)
    await kopf.operator(
        registry=main.build_registry(ctx),
        settings=kopf_settings(operator_settings),
        standalone=operator_settings.peering is None,
        peering_name=operator_settings.peering,
        clusterwide=not operator_settings.namespaces,
        namespaces=operator_settings.namespaces,
        liveness_endpoint=operator_settings.liveness,
        stop_flag=stop_flag,
        **extra,
    )
