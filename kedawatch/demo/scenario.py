"""The reference scenario, end to end on stand-ins: the operator applies `examples/otlp-consumer.yaml`,
the real scaler serves the generated ScaledObject, a KEDA/HPA driver scales the consumers, and the
near-max alarm pages at 8 pods; beside it, a PromQL trigger reads the consumers' own metric through
CloudWatch's PromQL API (`promql`). Simulated time runs `speed` times faster than the clock."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes
import yaml

from kedawatch import settings
from kedawatch.aws import alarms, clients, identities, workload
from kedawatch.demo import keda, local, picture, promql, world
from kedawatch.operator import objects, run
from kedawatch.operator.rendering import alarm_presets
from kedawatch.operator.resources import crds
from kedawatch.scaler import server
from kedawatch.standins import aws
from kedawatch.standins import kubernetes as standin
from kedawatch.standins import promql as promql_standin

__all__ = ["Scenario", "Summary", "play"]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "otlp-consumer.yaml"
CLUSTER = "demo"
REGION = "us-east-1"
NAMESPACE = "default"
APP = "otlp-consumer"
NEAR_MAX = f"{APP}-near-max-replicas"
SQS_READ = "GetQueueAttributes"
"""The built-in aws-sqs-queue scaler's one call per evaluation, which the scaler's calls are compared with."""


@dataclasses.dataclass(frozen=True)
class Scenario:
    speed: float = 5.0
    """Simulated seconds per second of the clock."""
    duration: float = 600.0
    """Simulated seconds to play at most."""
    idle: float = 10.0
    """Simulated seconds the queue stays empty first: StreamIsActive watches it every 2 s."""
    backlog: int = 300
    """Messages arriving at once after that (an upstream outage ends): enough to want all 10 replicas."""
    sync_every: float = 15.0
    """Simulated seconds between KEDA's polls and the HPA's syncs (the example's pollingInterval)."""
    until_paged: bool = False
    """Stop as soon as the app reached its maximum and the near-max alarm fired (the suite's short run)."""
    example: Path = EXAMPLE
    picture: Path | None = None
    """Where to draw the run as a PNG; None draws nothing."""
    prometheus: str | None = promql_standin.PrometheusEngine.BINARY
    """Debian's prometheus, the PromQL part's engine; None skips the part (as where it is not installed)."""


@dataclasses.dataclass
class Summary:
    peak_replicas: int = 0
    max_replicas: int = 0
    alarm_threshold: float | None = None
    alarm_states: list[str] = dataclasses.field(default_factory=list)
    scaler_aws_calls: int = 0
    """During the replay, to compare with the built-in scaler's calls for the same KEDA evaluations."""
    builtin_aws_calls: int = 0
    """KEDA's built-in scaler at its default: one read for each poll and for each HPA sync."""
    cached_aws_calls: int = 0
    """KEDA's built-in scaler at its best, `useCachedMetrics: true`: the HPA's syncs answered from the last poll."""
    idle_push_calls: int = 0
    """Before the backlog arrived: StreamIsActive checking the empty queue every push interval."""
    push_after: float | None = None
    """Simulated seconds from the messages' arrival to the scaler's push telling KEDA."""
    pushes: int = 0
    moments: list[picture.Moment] = dataclasses.field(default_factory=list)
    """Each HPA sync of the replay, as the picture draws it."""
    promql_ran: bool = False
    promql_peak: float = 0.0
    """The PromQL trigger's highest value: messages processed a second of the clock."""
    promql_requests: int = 0
    """Requests CloudWatch's PromQL API (the stand-in) received from the scaler."""
    promql_evaluations: int = 0
    """KEDA's evaluations of the trigger: KEDA's prometheus scaler makes one request for each."""
    promql_errors: list[str] = dataclasses.field(default_factory=list)
    processed: float = 0.0
    """Messages the consumers processed during the replay, by their own count."""
    replay_seconds: float = 0.0
    """Seconds of the clock the replay took."""


async def play(scenario: Scenario = Scenario(), out: Callable[[str], None] = print) -> Summary:
    with tempfile.TemporaryDirectory(prefix="kedawatch-demo-") as folder, _aws() as cloud:
        app = world.App(cloud.sqs, workload.create_queue(cloud.sqs, "otlp-queue"))
        # Prometheus first: its first scrape comes 1 to 6 s after it starts, while the operator starts.
        with world.exporting(app.registry) as exporter, promql.serving(exporter, REGION, scenario.prometheus,
                                                                         out) as api:  # fmt: skip
            async with _scaler(scenario, api) as scaler, _cluster(Path(folder)) as cluster:
                with _operator(cluster, scaler.port):
                    return await _replay(scenario, cloud, app, cluster, scaler, api, out)


@contextlib.contextmanager
def _aws() -> Iterator[world.Cloud]:
    amazon = aws.AwsStandIn().start()
    try:
        with aws.pointed_at(amazon.url):
            aws_clients = clients.AwsClients(settings.AwsSettings())
            here = identities.AwsIdentity(REGION)
            yield world.Cloud(aws_clients.client("sqs", here), aws_clients.client("cloudwatch", here))
    finally:
        amazon.stop()


@contextlib.asynccontextmanager
async def _scaler(scenario: Scenario, api: promql_standin.PromQLStandin | None) -> AsyncIterator[server.ScalerServer]:
    """The real scaler, its freshness and push interval scaled to simulated time."""
    defaults = settings.HubSettings()
    hub = settings.HubSettings(sqs_freshness=defaults.sqs_freshness / scenario.speed,
                               sqs_push_interval=defaults.sqs_push_interval / scenario.speed,
                               promql_freshness=defaults.promql_freshness / scenario.speed)  # fmt: skip
    async with local.running_scaler(hub, policy=promql.endpoint_policy(api)) as scaler:
        yield scaler


@contextlib.asynccontextmanager
async def _cluster(folder: Path) -> AsyncIterator[standin.ApiServer]:
    api = standin.KubernetesApi()
    for crd in crds.installed():
        api.declare_crd(crd)
    async with standin.ApiServer(api, kubeconfig=folder / "kubeconfig") as cluster:
        yield cluster


def _operator(cluster: standin.ApiServer, scaler_port: int) -> contextlib.AbstractContextManager[None]:
    operator_settings = settings.OperatorSettings(
        cluster_name=CLUSTER,
        scaler_address=f"127.0.0.1:{scaler_port}",
        state_interval=1.0,
        drift_interval=300.0,
        metrics_port=0,
    )
    return run.in_thread(operator_settings, cluster.kubeconfig, cluster.login)


async def _replay(
    scenario: Scenario, cloud: world.Cloud, app: world.App, cluster: standin.ApiServer,
    scaler: server.ScalerServer, api: promql_standin.PromQLStandin | None, out: Callable[[str], None],
) -> Summary:  # fmt: skip
    client = run.kube_client(cluster.kubeconfig)
    app_spec = await asyncio.to_thread(_apply, client, scenario.example)
    out(f"applied {scenario.example.name}: the operator generates the ScaledObject and the alarms ...")
    scaled_object = await _wait_for(lambda: objects.get(client, crds.SCALED_OBJECTS, NAMESPACE, APP))
    driver = keda.KedaDriver(scaled_object)
    driver.open_streams()
    rate = None if api is None else promql.Trigger(APP, NAMESPACE, f"127.0.0.1:{scaler.port}", REGION, api)
    evaluator = world.AlarmEvaluator(cloud.cloudwatch)
    pods = alarm_presets.running_pods_dimensions(app_spec, settings.OperatorSettings(cluster_name=CLUSTER))
    dimensions = [{"Name": d["name"], "Value": d["value"]} for d in pods]
    summary = Summary(max_replicas=scaled_object["spec"]["maxReplicaCount"])
    out(f"the queue is empty for {scenario.idle:g} s; the scaler checks it every 2 s for KEDA's push stream")
    await _wait_for(lambda: {"checked": True} if _aws_calls(scaler) else None)
    await asyncio.sleep(scenario.idle / scenario.speed)
    summary.idle_push_calls = _aws_calls(scaler)
    arrived = asyncio.get_running_loop().time()
    await asyncio.to_thread(app.backlog, scenario.backlog)
    out(f"{scenario.backlog} messages arrive; a producer adds 1 a second, each consumer takes 1 every 5 s")
    if rate is not None:
        out(f"processed/s: a PromQL trigger's value, {promql.QUERY}, over the consumers' own metric")
    columns = "" if rate is None else f" {'processed/s':>11}"
    out(f"{'time':>6} {'queue':>6} {'metric':>7} {'replicas':>8}  {'alarm (8 pods)':<18} {'scaler AWS calls':>20}"
        f"{columns}")  # fmt: skip
    out(f"{'':>6} {'':>6} {'':>7} {'':>8}  {'':<18} {'(built-in / cached)':>20}")
    started, processed = asyncio.get_running_loop().time(), app.processed()
    try:
        elapsed = 0.0
        while elapsed < scenario.duration:
            await asyncio.sleep(scenario.sync_every / scenario.speed)
            elapsed += scenario.sync_every
            await asyncio.to_thread(app.advance, scenario.sync_every)
            await driver.sync()  # KEDA's poll
            app.replicas, value = await driver.sync()  # the HPA's sync
            throughput = None if rate is None else await rate.sync()
            summary.builtin_aws_calls += 2 * len(scaled_object["spec"]["triggers"])
            summary.cached_aws_calls += len(scaled_object["spec"]["triggers"])
            summary.peak_replicas = max(summary.peak_replicas, app.replicas)
            await asyncio.to_thread(_scale, client, app.replicas)
            await asyncio.to_thread(world.publish_running_pods, cloud.cloudwatch, dimensions, app.replicas)
            await asyncio.to_thread(evaluator.evaluate)
            state = await asyncio.to_thread(_alarm_state, client)
            if state and (not summary.alarm_states or summary.alarm_states[-1] != state):
                summary.alarm_states.append(state)
            summary.scaler_aws_calls = _aws_calls(scaler) - summary.idle_push_calls
            depth = await asyncio.to_thread(app.depth)
            minutes, seconds = divmod(int(elapsed), 60)
            line = f"{minutes:>3}:{seconds:02} {depth:>6} {value:>7.0f} {app.replicas:>8}  {state or '...':<18}"
            calls = f"{summary.scaler_aws_calls} ({summary.builtin_aws_calls} / {summary.cached_aws_calls})"
            cell = "" if rate is None else f" {'error' if throughput is None else f'{throughput:.1f}':>11}"
            out(f"{line} {calls:>20}{cell}")
            summary.moments.append(picture.Moment(elapsed, depth, value, app.replicas, state,
                                                  summary.scaler_aws_calls, summary.builtin_aws_calls,
                                                  summary.cached_aws_calls, throughput))  # fmt: skip
            if scenario.until_paged and app.replicas == summary.max_replicas and "ALARM" in summary.alarm_states:
                break
    finally:
        summary.pushes = driver.pushes
        if driver.first_push is not None:
            summary.push_after = (driver.first_push - arrived) * scenario.speed
        await driver.close()
        if rate is not None:
            await rate.close()
    summary.replay_seconds = asyncio.get_running_loop().time() - started
    summary.processed = app.processed() - processed
    if rate is not None:
        _promql_summary(summary, rate)
    summary.alarm_threshold = _threshold(cloud)
    _report(summary, out)
    if scenario.picture is not None:
        drawn = picture.draw(summary.moments, scenario.picture, summary.max_replicas, summary.alarm_threshold,
                             summary.push_after)  # fmt: skip
        out(f"a picture of the run: {drawn.resolve()}")
    return summary


def _apply(client: Any, example: Path) -> dict[str, Any]:
    """Apply the example's documents as kubectl would; returns the AppObservability."""
    app: dict[str, Any] = {}
    for document in yaml.safe_load_all(example.read_text()):
        if document["kind"] == "Deployment":
            kubernetes.client.AppsV1Api(client).create_namespaced_deployment(NAMESPACE, document)
        elif document["kind"] == crds.APPS.kind:
            kubernetes.client.CustomObjectsApi(client).create_namespaced_custom_object(
                crds.APPS.group, crds.APPS.version, NAMESPACE, crds.APPS.plural, document
            )
            app = document
    return app


async def _wait_for(find: Callable[[], dict[str, Any] | None], within: float = 60.0) -> dict[str, Any]:
    for _ in range(int(within / 0.2)):
        found = await asyncio.to_thread(find)
        if found:
            return found
        await asyncio.sleep(0.2)
    raise RuntimeError(f"not there within {within} s: is the operator running?")


def _scale(client: Any, replicas: int) -> None:
    kubernetes.client.AppsV1Api(client).patch_namespaced_deployment(APP, NAMESPACE, {"spec": {"replicas": replicas}})


def _alarm_state(client: Any) -> str:
    alarm = objects.get(client, crds.METRIC_ALARMS, NAMESPACE, NEAR_MAX)
    return str((alarm or {}).get("status", {}).get("state", ""))


def _aws_calls(scaler: server.ScalerServer) -> int:
    """The scaler's SQS reads so far."""
    return int(sum(
        sample.value for metric in scaler.metrics.registry.collect() for sample in metric.samples
        if sample.name == "kedawatch_aws_calls_total" and sample.labels.get("operation") == SQS_READ
    ))  # fmt: skip


def _promql_summary(summary: Summary, rate: promql.Trigger) -> None:
    summary.promql_ran = True
    summary.promql_peak = max((m.throughput or 0.0 for m in summary.moments), default=0.0)
    summary.promql_requests = rate.requests()
    summary.promql_evaluations = rate.evaluations
    summary.promql_errors = rate.errors


def _threshold(cloud: world.Cloud) -> float | None:
    name = f"{CLUSTER}/{NAMESPACE}/{NEAR_MAX}"
    found = alarms.describe(cloud.cloudwatch, [name]).get(name)
    return float(found["Threshold"]) if found else None


def _report(summary: Summary, out: Callable[[str], None]) -> None:
    out("")
    out(f"replicas reached {summary.peak_replicas} of {summary.max_replicas}")
    out(
        f"near-max alarm in CloudWatch: threshold {summary.alarm_threshold}, states {' -> '.join(summary.alarm_states)}"
    )
    out(
        f"AWS calls for KEDA's evaluations: kedawatch's scaler {summary.scaler_aws_calls}; KEDA's built-in scaler "
        f"{summary.builtin_aws_calls} at its default, {summary.cached_aws_calls} with useCachedMetrics"
    )
    out("  (one queue for one ScaledObject: SQS reads no queues together, so one read a poll is the floor for any"
        " scaler; kedawatch saves where triggers share queues or read CloudWatch: see the benchmarks)")  # fmt: skip
    after = "" if summary.push_after is None else f" {summary.push_after:.1f} s after the messages arrived"
    out(f"push: {summary.idle_push_calls} checks of the empty queue, then KEDA was told{after} "
        f"(the built-in scaler notices at KEDA's next poll, up to 15 s here)")  # fmt: skip
    if summary.promql_ran:
        _report_promql(summary, out)


def _report_promql(summary: Summary, out: Callable[[str], None]) -> None:
    average = summary.processed / summary.replay_seconds if summary.replay_seconds else 0.0
    out(f"PromQL trigger {promql.QUERY}: up to {summary.promql_peak:.1f} messages a second of the clock; the "
        f"consumers' own count: {summary.processed:.0f} in {summary.replay_seconds:.0f} s, {average:.1f} a second "
        "on average (Prometheus keeps the clock's time, not the scenario's)")  # fmt: skip
    out(
        f"PromQL requests, SigV4-signed, answered by Prometheus scraping the consumers: kedawatch's scaler "
        f"{summary.promql_requests}; KEDA's prometheus scaler {summary.promql_evaluations}, one each evaluation"
    )
    if summary.promql_errors:
        out(f"PromQL errors: {len(summary.promql_errors)}, the first: {summary.promql_errors[0]}")
