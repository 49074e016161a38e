"""Starts the operator: kopf with kedawatch's settings, from our own CLI rather than `kopf run FILE`
(kopf's file loader would put `kedawatch/operator/` on sys.path, shadowing the standard `operator`)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import threading
import wsgiref.simple_server
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import kopf
import kubernetes
import prometheus_client

from kedawatch import settings, tenancy
from kedawatch.aws import accounts, clients, errors, quotas
from kedawatch.aws.identities import AwsIdentity
from kedawatch.operator import alarm_store, alert_routes, kernel, main, pacing, telemetry
from kedawatch.operator.rendering import prometheus_rules

__all__ = ["calls_a_second", "in_thread", "kube_client", "make_context", "run"]

ANNOTATION_PREFIX = "kedawatch.io"
TIMER_EXIT_POLLING = 1.0
"""Seconds between kopf's checks that a timer caught mid-run by a deletion has finished (kopf's default: 60).
Our timers' runs are AWS reads of a second or two; the finalizer should not wait a minute for them."""
TIMER_EXIT_WAIT = 0.5
"""Seconds kopf waits for a stopped timer to end before calling it orphaned (its default: 10 event-loop cycles).
Ours end at once (`main._unless_stopped` cancels their AWS reads), but a few more cycles than ten."""
Flag = asyncio.Event | threading.Event


def make_context(operator_settings: settings.OperatorSettings, kube: kubernetes.client.ApiClient) -> kernel.Context:
    """Everything the handlers share, with the operator's region resolved. Blocking (it may ask STS for the
    account): call it in a thread. `AlarmStore.close()` ends its worker threads."""
    metrics = telemetry.OperatorMetrics()
    pacer = pacing.Pacer(lambda operation: calls_a_second(operator_settings, operation), metrics)
    aws = clients.AwsClients(operator_settings.aws, metrics.observe_aws_call, pace=pacer)
    region = operator_settings.region or aws.default_region
    if not region:
        raise SystemExit("kedawatch operator: no region: set --region or AWS_REGION")
    try:
        routes = _alert_routes(operator_settings.prometheus_rules)
        account = operator_settings.account_id or accounts.own_account(aws.client("sts", AwsIdentity(region)))
        policy = tenancy.load(operator_settings.policy, account, operator_settings.cluster_name)
    except (errors.AwsError, tenancy.PolicyError, alert_routes.RoutesError) as exc:
        raise SystemExit(f"kedawatch operator: {exc}") from exc
    store = alarm_store.AlarmStore(aws, pacer, operator_settings.cluster_name, metrics)
    return kernel.Context(
        dataclasses.replace(operator_settings, region=region), store, policy, kube, routes=routes, metrics=metrics
    )


def calls_a_second(operator_settings: settings.OperatorSettings, operation: str) -> int:
    """The pace of `operation` in each region: its AWS quota, or the operator's write or read rate in its place."""
    quota = quotas.quota(operation)
    rate = operator_settings.write_rate if quota.write else operator_settings.read_rate
    return quota.calls if rate is None else max(1, int(rate))


def _alert_routes(rules: settings.PrometheusRuleSettings) -> alert_routes.Routes:
    """With PrometheusRules on, the routing table (none: no route) and a default interval CloudWatch takes."""
    if not rules.enabled:
        return alert_routes.Routes()
    interval = rules.default_interval
    if prometheus_rules.evaluation_interval(interval) != interval:
        raise alert_routes.RoutesError(
            f"--default-rule-interval {interval}: CloudWatch evaluates alarms every 10, 20 or 30 s or a multiple of"
            " 60 s, at most 3600"
        )
    if rules.routes is None:
        return alert_routes.Routes()
    try:
        return alert_routes.load(rules.routes)
    except alert_routes.RoutesError as exc:
        raise alert_routes.RoutesError(f"--alert-routes {exc}") from exc


def kopf_settings(operator_settings: settings.OperatorSettings) -> kopf.OperatorSettings:
    """Progress and diff-base in annotations, so status holds only what users read."""
    configured = kopf.OperatorSettings()
    configured.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=ANNOTATION_PREFIX)
    configured.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=ANNOTATION_PREFIX, key="last-handled-configuration"
    )
    configured.persistence.finalizer = f"{ANNOTATION_PREFIX}/finalizer"
    configured.posting.reporting_component = "kedawatch-operator"
    configured.background.cancellation_polling = TIMER_EXIT_POLLING
    configured.background.instant_exit_timeout = TIMER_EXIT_WAIT
    configured.peering.standalone = operator_settings.peering is None
    if operator_settings.peering:
        configured.peering.name = operator_settings.peering
    return configured


def kube_client(kubeconfig: Path | None = None) -> kubernetes.client.ApiClient:
    """The official client: in-cluster when there, else the kubeconfig (KUBECONFIG or ~/.kube/config)."""
    if kubeconfig is None:
        try:
            kubernetes.config.load_incluster_config()
            return kubernetes.client.ApiClient()
        except kubernetes.config.ConfigException:
            pass
    client = kubernetes.config.new_client_from_config(config_file=str(kubeconfig) if kubeconfig else None)
    return cast(kubernetes.client.ApiClient, client)


async def run(
    operator_settings: settings.OperatorSettings,
    *,
    kubeconfig: Path | None = None,
    login: Callable[..., Any] | None = None,
    stop_flag: Flag | None = None,
    ready_flag: Flag | None = None,
) -> None:
    """Run until stopped. `login` and `kubeconfig` point kopf and the client elsewhere (tests, the demo)."""
    ctx = await asyncio.to_thread(make_context, operator_settings, kube_client(kubeconfig))
    registry = main.build_registry(ctx, login or kopf.login_via_client)
    metrics_server = _serve_metrics(operator_settings, ctx.metrics)
    try:
        await kopf.operator(
            registry=registry,
            settings=kopf_settings(operator_settings),
            standalone=operator_settings.peering is None,
            peering_name=operator_settings.peering,
            priority=operator_settings.priority if operator_settings.priority is not None else random.randint(1, 2**31),
            clusterwide=not operator_settings.namespaces,
            namespaces=operator_settings.namespaces,
            liveness_endpoint=operator_settings.liveness,
            stop_flag=stop_flag,
            ready_flag=ready_flag,
        )
    finally:
        ctx.store.close()
        if metrics_server is not None:
            metrics_server.shutdown()
            metrics_server.server_close()


def _serve_metrics(
    operator_settings: settings.OperatorSettings, metrics: telemetry.OperatorMetrics
) -> wsgiref.simple_server.WSGIServer | None:
    """The Prometheus /metrics server on its own thread (None when the port is 0), to shut down on exit."""
    if not operator_settings.metrics_port:
        return None
    server, _ = prometheus_client.start_http_server(
        operator_settings.metrics_port, operator_settings.metrics_host, registry=metrics.registry
    )
    return server


@contextlib.contextmanager
def in_thread(
    operator_settings: settings.OperatorSettings,
    kubeconfig: Path | None,
    login: Callable[..., Any],
    ready_within: float = 30.0,
) -> Iterator[None]:
    """The operator in its own thread and event loop, for the demo and the tests: when kopf stops, it waits
    for and cancels every task of its loop, which must not be the caller's."""
    stop, ready = threading.Event(), threading.Event()
    running = run(operator_settings, kubeconfig=kubeconfig, login=login, stop_flag=stop, ready_flag=ready)
    thread = threading.Thread(target=asyncio.run, args=(running,), name="kedawatch-operator", daemon=True)
    thread.start()
    try:
        if not ready.wait(timeout=ready_within):
            raise RuntimeError(f"the operator did not start within {ready_within} s")
        yield
    finally:
        stop.set()
        thread.join(timeout=ready_within)
