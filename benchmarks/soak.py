"""Soak: 2,000 ScaledObjects' worth of KEDA traffic for 10 minutes against moto failing 5% of AWS calls.

Three processes. This one runs moto behind the counting proxy, which answers `--error-rate` of the AWS
calls with Throttling (400) or InternalFailure (500) instead of forwarding them, and samples the scaler.
The scaler is the real CLI in a process of its own, reaching AWS through AWS_ENDPOINT_URL, so its RSS,
threads and open file descriptors are its own, read from /proc/<pid>. KEDA is a third process, so the load
generator competes with neither the scaler nor moto for a GIL.

The mix: half the triggers are aws-sqs-queue, on 80% as many queues (a fifth of the queues serve two
triggers; a third hold messages); half are aws-cloudwatch, each on a metric of its own, which a publisher
writes every minute straight to moto (uncounted, never failed). Their window is one 60 s period: moto's
GetMetricData scans every stored datapoint for each query and each period of the window, so KEDA's default
300 s window over 1,000 metrics would make moto, not the scaler, the bottleneck. Each trigger has KEDA's
two timers at its own random phase: a poll every 30 s (no deadline) and an HPA sync every 15 s (3 s
deadline), each a GetMetricSpec, GetMetrics and IsActive. Every tenth trigger also holds a StreamIsActive
stream open for the whole run, reconnecting with KEDA's backoff (2 s doubling to 60 s) should it end.

Warm-up: "start" figures (RSS, file descriptors) are read after the first minute, two full polling cycles:
by then every trigger has been parsed and read, every stream is open, every cache entry has been refreshed
once (so it holds a last good answer besides the current one) and the AWS connection pools have grown.
Start-up allocation is therefore not counted as growth; what grows after it is what a soak looks for. The
steady window (warm-up to end) is what RPC errors and latency, and AWS calls per minute, are reported over;
the warm-up's RPCs are summed up on a line of their own. A run shorter than two minutes warms up for half.

    .venv/bin/python -m benchmarks.soak [--minutes 10] [--triggers 2000] [--error-rate 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import datetime
import itertools
import math
import multiprocessing.connection
import random
import time
import urllib.request
from collections.abc import Awaitable, Sequence
from typing import Any

import grpc
import prometheus_client.parser

from benchmarks import _common
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.standins import aws

POLLING_INTERVAL = 30.0
"""KEDA's default pollingInterval (seconds): a poll per trigger, without deadline."""
HPA_SYNC = 15.0
"""The HPA controller's default sync period (seconds): an evaluation per trigger, with a 3 s deadline."""
WARMUP = 2 * POLLING_INTERVAL
PUSH_EVERY = 10
"""Every tenth trigger is an external-push trigger with a StreamIsActive stream."""
QUEUE_SHARE = 0.8
"""Queues per SQS trigger: the first fifth of the queues serve two triggers each."""
STREAM_BACKOFF, STREAM_BACKOFF_MAX = 2.0, 60.0
"""KEDA's reconnect backoff for a push stream that ended (seconds), doubling."""
GOAL_RSS_GROWTH, GOAL_P99 = 0.10, 3.0
STARTUP_TIMEOUT = 120.0
"""Seconds the scaler and KEDA's process may take to come up on a busy machine."""
UNARY = ("GetMetricSpec", "GetMetrics", "IsActive")


@dataclasses.dataclass(frozen=True)
class Trigger:
    name: str
    source: str
    """"sqs" or "cloudwatch"."""
    metadata: dict[str, str]
    push: bool
    poll_phase: float
    """Seconds into each polling interval at which KEDA polls this trigger."""
    sync_phase: float
    """Seconds into each HPA sync period at which the HPA asks for this trigger's metric."""


# --- set-up -----------------------------------------------------------------------------------------------


def metric_values(services: Sequence[str], minute: int) -> dict[str, float]:
    """A quarter of the metrics above the activation threshold, a different quarter each minute, so that
    push streams see inactive-to-active edges as the run goes on."""
    return {service: 20.0 if (index + minute) % 4 == 0 else 0.0 for index, service in enumerate(services)}


def publish(client: Any, services: Sequence[str], minute: int, ago: float = 0.0) -> None:
    """Every metric's datapoint for this minute (or the one `ago` seconds back)."""
    timestamp = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=ago)
    _common.put_datapoints(client, metric_values(services, minute), timestamp)


def prepare(count: int, moto_url: str, seed: int) -> tuple[list[Trigger], list[str]]:
    """Queues (a third with messages) and metrics with datapoints in moto; the triggers and the metrics."""
    sqs_count = count // 2
    sqs = _common.aws_client("sqs")
    names = [f"soak{index}" for index in range(max(1, round(sqs_count * QUEUE_SHARE)))]
    urls = _common.threaded(lambda name: str(sqs.create_queue(QueueName=name)["QueueUrl"]), names)
    _common.threaded(lambda url: sqs.send_message(QueueUrl=url, MessageBody="work"), urls[::3])
    services = [f"soak{index}" for index in range(count - sqs_count)]
    cloudwatch = _common.aws_client("cloudwatch", moto_url)
    publish(cloudwatch, services, -1, ago=60.0)
    publish(cloudwatch, services, 0)
    rng = random.Random(seed)
    metadatas = [("sqs", _common.sqs_metadata(urls[index % len(urls)])) for index in range(sqs_count)]
    metadatas += [("cloudwatch", _common.cloudwatch_metadata(service, collection=60)) for service in services]
    triggers = [
        Trigger(f"so-{index}", source, metadata, index % PUSH_EVERY == 0,
                rng.uniform(0, POLLING_INTERVAL), rng.uniform(0, HPA_SYNC))
        for index, (source, metadata) in enumerate(metadatas)
    ]  # fmt: skip
    return triggers, services


async def publish_every_minute(client: Any, services: Sequence[str]) -> None:
    """The applications' side: new datapoints every minute, as CloudWatch receives them in production."""
    for minute in range(1, 10**6):
        await asyncio.sleep(60)
        await asyncio.to_thread(publish, client, services, minute)


# --- KEDA's process ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Window:
    """What KEDA saw in one window of the run (warm-up, then steady)."""

    latencies: dict[str, list[float]] = dataclasses.field(default_factory=lambda: collections.defaultdict(list))
    codes: collections.Counter[tuple[str, str]] = dataclasses.field(default_factory=collections.Counter)
    """RPCs by (method, gRPC code)."""
    evaluations: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    """KEDA evaluations begun, by source: the built-in scalers make one AWS call for each."""
    cached_calls: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    """The built-ins' AWS calls for the same evaluations with `useCachedMetrics: true`, by source: one per poll,
    and one per HPA sync before the trigger's first poll has stored a record (`_common.cached_builtin_calls`)."""
    failed_evaluations: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    stream_opens: int = 0
    stream_ends: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    pushes: int = 0
    """`true` answers received on the streams."""
    cpu_seconds: float = 0.0
    """CPU time of KEDA's process in this window."""


@dataclasses.dataclass(frozen=True)
class KedaReport:
    warmup: Window
    steady: Window
    streams_open: int
    """Streams still open on KEDA's side when the run ended."""


class TimedStub:
    """The scaler's stub as `keda.evaluate` uses it, with each RPC timed and its outcome counted."""

    def __init__(self, stub: Any, keda_load: KedaLoad) -> None:
        self._stub = stub
        self._load = keda_load

    def GetMetricSpec(self, request: pb.ScaledObjectRef, timeout: float) -> Awaitable[Any]:
        return self._timed("GetMetricSpec", request, timeout)

    def GetMetrics(self, request: pb.GetMetricsRequest, timeout: float) -> Awaitable[Any]:
        return self._timed("GetMetrics", request, timeout)

    def IsActive(self, request: pb.ScaledObjectRef, timeout: float) -> Awaitable[Any]:
        return self._timed("IsActive", request, timeout)

    async def _timed(self, method: str, request: Any, deadline: float) -> Any:
        started, code = time.perf_counter(), "OK"
        try:
            return await getattr(self._stub, method)(request, timeout=deadline)
        except grpc.aio.AioRpcError as exc:
            code = exc.code().name
            raise
        finally:
            window = self._load.window
            window.latencies[method].append(time.perf_counter() - started)
            window.codes[method, code] += 1


class KedaLoad:
    """KEDA's traffic for the planned triggers: two timers per trigger, and the push streams."""

    def __init__(self, stub: Any, triggers: Sequence[Trigger]) -> None:
        self._stub = stub
        self._timed = TimedStub(stub, self)
        self._triggers = triggers
        self.windows = [Window()]
        self.streams_open = 0
        self._recorded: set[str] = set()
        """Triggers whose poll has completed: KEDA's metrics cache holds a record of theirs."""
        self._cpu_at = time.process_time()

    @property
    def window(self) -> Window:
        return self.windows[-1]

    def next_window(self) -> None:
        now = time.process_time()
        self.window.cpu_seconds, self._cpu_at = now - self._cpu_at, now
        self.windows.append(Window())

    def start(self) -> list[asyncio.Task[None]]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        coroutines = [
            timer
            for trigger in self._triggers
            for timer in (
                self._timer(trigger, POLLING_INTERVAL, started + trigger.poll_phase, _common.POLL_DEADLINE, poll=True),
                self._timer(trigger, HPA_SYNC, started + trigger.sync_phase, _common.HPA_DEADLINE),
            )
        ]
        coroutines += [self._stream(trigger) for trigger in self._triggers if trigger.push]
        return [loop.create_task(coroutine) for coroutine in coroutines]

    async def _timer(self, trigger: Trigger, interval: float, due: float, deadline: float, poll: bool = False) -> None:
        """One of KEDA's tickers for one trigger: an evaluation at a time; ticks missed meanwhile are dropped."""
        loop = asyncio.get_running_loop()
        scaled_object = _common.ref(trigger.metadata, trigger.name)
        while True:
            await asyncio.sleep(due - loop.time())
            self.window.evaluations[trigger.source] += 1
            recorded = trigger.name in self._recorded
            self.window.cached_calls[trigger.source] += _common.cached_builtin_calls(poll, recorded)
            await _common.keda_cycle(self._timed, scaled_object, deadline, self.window.failed_evaluations)
            if poll:
                self._recorded.add(trigger.name)
            due += interval * max(1, math.ceil((loop.time() - due) / interval))

    async def _stream(self, trigger: Trigger) -> None:
        """external-push: one stream held open, reopened after KEDA's backoff should it end."""
        backoff = STREAM_BACKOFF
        while True:
            self.window.stream_opens += 1
            self.streams_open += 1
            code = "OK"
            try:
                async for answer in self._stub.StreamIsActive(_common.ref(trigger.metadata, trigger.name)):
                    self.window.pushes += answer.result
                    backoff = STREAM_BACKOFF
            except grpc.aio.AioRpcError as exc:
                code = exc.code().name
            finally:
                self.streams_open -= 1
            self.window.stream_ends[code] += 1
            await asyncio.sleep(backoff)
            backoff = min(2 * backoff, STREAM_BACKOFF_MAX)


def keda_process(conn: multiprocessing.connection.Connection, port: int, triggers: Sequence[Trigger]) -> None:
    """KEDA's process: says "ready" as the load begins, starts the steady window on "steady", stops on None
    (or when the benchmark is gone) and sends its report."""
    asyncio.run(_keda_run(conn, port, triggers))


async def _keda_run(conn: multiprocessing.connection.Connection, port: int, triggers: Sequence[Trigger]) -> None:
    async with _common.stub_for(port, STARTUP_TIMEOUT) as stub:
        load = KedaLoad(stub, triggers)
        tasks = load.start()
        conn.send("ready")
        while await asyncio.to_thread(_next_message, conn) == "steady":
            load.next_window()
        streams_open = load.streams_open
        load.next_window()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    conn.send(KedaReport(load.windows[0], load.windows[1], streams_open))


def _next_message(conn: multiprocessing.connection.Connection) -> str | None:
    try:
        message: str | None = conn.recv()
    except EOFError:
        return None
    return message


# --- the scaler, sampled ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sample:
    at: float
    """Seconds since the load began."""
    rss_mb: float
    fds: int
    threads: int
    scaler_cpu: float
    own_cpu: float
    """CPU seconds of this process: moto, the proxy and the publisher."""
    aws_calls: collections.Counter[str]
    injected: collections.Counter[str]
    scaler_figures: dict[str, float]
    """From the scaler's /metrics: open streams, and hub reads by how they were answered."""


def scaler_figures(metrics_port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{_common.LOOPBACK}:{metrics_port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    figures = {}
    for family in prometheus_client.parser.text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "kedawatch_open_streams":
                figures["streams"] = sample.value
            elif sample.name == "kedawatch_hub_reads_total":
                figures[sample.labels["answer"]] = sample.value
    return figures


async def take_sample(at: float, scaler: _common.ServerProcess, proxy: aws.CountingProxy, metrics_port: int) -> Sample:
    figures = await asyncio.to_thread(scaler_figures, metrics_port)
    return Sample(
        at, scaler.rss_mb(), scaler.open_fds(), scaler.threads(), scaler.cpu_seconds(), time.process_time(),
        collections.Counter(proxy.calls), collections.Counter(proxy.injected), figures,
    )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Run:
    triggers: list[Trigger]
    samples: list[Sample]
    """At the load's start, the warm-up's end (the "start" figures), each minute, and the end."""
    warmup: float
    keda: KedaReport


async def soak(args: argparse.Namespace) -> Run:
    seconds = args.minutes * 60
    warmup = min(WARMUP, seconds / 2)
    offsets = sorted({0.0, warmup, *(60.0 * minute for minute in range(1, math.ceil(seconds / 60))), seconds})
    with _common.aws_standins() as standins:
        triggers, services = prepare(args.triggers, standins.moto.url, args.seed)
        standins.proxy.reset()
        standins.proxy.inject(aws.THROTTLING, aws.INTERNAL_ERROR, rate=args.error_rate)
        metrics_port = aws.free_port()
        with (
            _common.kedawatch_server(metrics_port=metrics_port) as scaler,
            _common.ChildProcess(keda_process, scaler.port, triggers) as keda_side,
        ):
            await keda_side.receive(STARTUP_TIMEOUT)
            began = time.monotonic()
            publisher = asyncio.create_task(
                publish_every_minute(_common.aws_client("cloudwatch", standins.moto.url), services)
            )
            samples = []
            for offset in offsets:
                await asyncio.sleep(began + offset - time.monotonic())
                samples.append(await take_sample(offset, scaler, standins.proxy, metrics_port))
                if offset == warmup:
                    keda_side.conn.send("steady")
                print(f"  {offset / 60:4.1f} min: RSS {samples[-1].rss_mb:.1f} MB, {samples[-1].fds} fds", flush=True)
            keda_side.conn.send(None)
            report: KedaReport = await keda_side.receive(STARTUP_TIMEOUT)
            publisher.cancel()
    return Run(triggers, samples, warmup, report)


# --- the tables -------------------------------------------------------------------------------------------


def share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "n/a"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}"


def rpc_row(label: str, window: Window, methods: Sequence[str], codes: Sequence[str], seconds: float) -> list[object]:
    total = sum(count for (method, _), count in window.codes.items() if method in methods)
    latencies = [value for method in methods for value in window.latencies[method]]
    by_code = [share(sum(window.codes[method, code] for method in methods), total) for code in codes]
    return [
        label, total, f"{total / seconds:.0f}", *by_code,
        ms(_common.percentile(latencies, 0.5)), ms(_common.percentile(latencies, 0.99)), ms(max(latencies, default=0)),
    ]  # fmt: skip


def print_rpcs(run: Run) -> None:
    steady_seconds = run.samples[-1].at - run.warmup
    codes = sorted({code for window in (run.keda.warmup, run.keda.steady) for _, code in window.codes})
    rows = [rpc_row(method, run.keda.steady, (method,), codes, steady_seconds) for method in UNARY]
    rows.append(rpc_row("all", run.keda.steady, UNARY, codes, steady_seconds))
    rows.append(rpc_row("warm-up: all", run.keda.warmup, UNARY, codes, run.warmup))
    headers = ("method", "RPCs", "per s", *(f"{code} %" for code in codes), "p50 ms", "p99 ms", "max ms")
    _common.print_table(f"RPCs, steady window ({steady_seconds:.0f} s after {run.warmup:.0f} s warm-up)", headers, rows)
    for label, window in (("steady", run.keda.steady), ("warm-up", run.keda.warmup)):
        failed = dict(window.failed_evaluations) or "none"
        print(f"  {label}: {sum(window.evaluations.values())} KEDA evaluations, failed by code: {failed}")


def print_streams(run: Run, end: Sample) -> None:
    planned = sum(trigger.push for trigger in run.triggers)
    rows = [
        [label, window.stream_opens, dict(window.stream_ends) or "none", window.pushes]
        for label, window in (("warm-up", run.keda.warmup), ("steady", run.keda.steady))
    ]
    _common.print_table(f"StreamIsActive: {planned} push triggers", ("window", "opened", "ended", "true pushed"), rows)
    print(
        f"  open at the end: {run.keda.streams_open} on KEDA's side, {end.scaler_figures['streams']:.0f} in the scaler"
    )


def print_aws(run: Run, start: Sample, end: Sample) -> None:
    minutes = (end.at - start.at) / 60
    calls = end.aws_calls - start.aws_calls
    evaluations, cached_calls = run.keda.steady.evaluations, run.keda.steady.cached_calls
    pairs = (("GetQueueAttributes", "sqs"), ("GetMetricData", "cloudwatch"))
    total = sum(calls.values())
    counts = [(operation, calls[operation], evaluations[source], cached_calls[source]) for operation, source in pairs]
    counts.append(("all", total, evaluations.total(), cached_calls.total()))
    rows = [
        [operation, f"{ours / minutes:.0f}", f"{default / minutes:.0f}", _common.ratio(ours, default),
         f"{cached / minutes:.0f}", _common.ratio(ours, cached)]
        for operation, ours, default, cached in counts
    ]  # fmt: skip
    headers = ("operation", "kedawatch", "built-in", "ratio", "built-in with useCachedMetrics", "ratio")
    _common.print_table("AWS calls per minute, steady window", headers, rows)
    injected = end.injected - start.injected
    stale = end.scaler_figures.get("stale", 0) - start.scaler_figures.get("stale", 0)
    print(
        f"  faults injected: {dict(injected)} = {share(injected.total(), total)} of calls; the scaler answered"
        f" {stale:.0f} reads from the last good value meanwhile.\n"
        "  kedawatch's calls include the push streams' checks of inactive queues (every 2 s), which the\n"
        "  built-in scalers do not make. built-in = one call per KEDA evaluation made in this window (each poll,\n"
        "  each HPA sync); built-in with useCachedMetrics = one per poll (and per HPA sync before a trigger's first\n"
        "  poll), as KEDA's metrics cache serves the HPA the last poll's value, up to 30 s old, where kedawatch\n"
        "  serves each sync an SQS depth at most 5 s old. Both are counted from the evaluations KEDA's process\n"
        "  made, one GetMetricsAndActivity (one AWS call) each; retries not counted."
    )


def print_process(run: Run, start: Sample, end: Sample) -> None:
    growth = (end.rss_mb - start.rss_mb) / start.rss_mb
    steady = run.keda.steady
    latencies = [value for method in UNARY for value in steady.latencies[method]]
    p99 = _common.percentile(latencies, 0.99)
    unexpected = sum(n for (_, code), n in steady.codes.items() if code not in ("OK", "UNAVAILABLE"))
    planned = sum(trigger.push for trigger in run.triggers)
    streams = (run.keda.streams_open, round(end.scaler_figures["streams"]))
    rows: list[list[object]] = [
        ["RSS MB", f"{start.rss_mb:.1f}", f"{end.rss_mb:.1f}", f"{growth:+.1%}", f"<= +{GOAL_RSS_GROWTH:.0%}",
         _common.verdict(growth <= GOAL_RSS_GROWTH)],
        ["open fds", start.fds, end.fds, f"{end.fds - start.fds:+d}", "no growth",
         _common.verdict(end.fds <= start.fds)],
        ["threads", start.threads, end.threads, f"{end.threads - start.threads:+d}", "-", "-"],
        ["streams open (KEDA / scaler)", planned, f"{streams[0]} / {streams[1]}", "", f"{planned}",
         _common.verdict(streams == (planned, planned))],
        ["p99 of all RPCs, ms", "", ms(p99), "", f"< {GOAL_P99 * 1e3:.0f}", _common.verdict(p99 < GOAL_P99)],
        ["RPC errors other than UNAVAILABLE", "", unexpected, "", "0", _common.verdict(not unexpected)],
    ]  # fmt: skip
    _common.print_table(
        f"The scaler's process: start = after the {run.warmup:.0f} s warm-up",
        ("measure", "start", "end", "change", "goal", "verdict"), rows,
    )  # fmt: skip


def print_timeline(run: Run) -> None:
    rows: list[list[object]] = []
    for previous, sample in itertools.pairwise(run.samples):
        seconds = sample.at - previous.at
        rows.append([
            f"{sample.at / 60:.1f}", f"{sample.rss_mb:.1f}", sample.fds, sample.threads,
            f"{sample.scaler_figures['streams']:.0f}",
            f"{(sample.aws_calls - previous.aws_calls).total() / seconds * 60:.0f}",
            (sample.injected - previous.injected).total(),
            f"{(sample.scaler_cpu - previous.scaler_cpu) / seconds:.0%}",
            f"{(sample.own_cpu - previous.own_cpu) / seconds:.0%}",
        ])  # fmt: skip
    headers = ("minute", "RSS MB", "fds", "threads", "streams", "AWS calls/min", "faults", "scaler CPU", "moto CPU")
    _common.print_table("Timeline (each row: the interval ending at that minute)", headers, rows)
    keda_cpu = [window.cpu_seconds for window in (run.keda.warmup, run.keda.steady)]
    print(
        f"  CPU = share of one core; moto CPU includes the proxy and the publisher. KEDA's process:"
        f" {keda_cpu[0] / run.warmup:.0%} in warm-up, {keda_cpu[1] / (run.samples[-1].at - run.warmup):.0%} after."
    )


def report(args: argparse.Namespace, run: Run) -> None:
    start = next(sample for sample in run.samples if sample.at == run.warmup)
    end = run.samples[-1]
    sources = collections.Counter(trigger.source for trigger in run.triggers)
    queues = len({trigger.metadata.get("queueURL") for trigger in run.triggers if trigger.source == "sqs"})
    print(
        f"\nSoak: {len(run.triggers)} triggers ({sources['sqs']} SQS on {queues} queues,"
        f" {sources['cloudwatch']} CloudWatch on as many metrics), {sum(t.push for t in run.triggers)} with a push"
        f" stream; {end.at / 60:g} min of KEDA's pattern (poll {POLLING_INTERVAL:g} s + HPA sync {HPA_SYNC:g} s"
        f" per trigger, random phases); {args.error_rate:.0%} of AWS calls fail (Throttling, InternalFailure)"
    )
    print_rpcs(run)
    print_streams(run, end)
    print_aws(run, start, end)
    print_process(run, start, end)
    print_timeline(run)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of load, warm-up included")
    parser.add_argument("--triggers", type=int, default=2000, help="triggers (ScaledObjects), half SQS")
    parser.add_argument("--error-rate", type=float, default=0.05, help="share of AWS calls the proxy fails")
    parser.add_argument("--seed", type=int, default=1, help="seed of the triggers' timer phases")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    _common.quiet_logs()
    args = parse_args(argv)
    report(args, asyncio.run(soak(args)))


if __name__ == "__main__":
    main()
