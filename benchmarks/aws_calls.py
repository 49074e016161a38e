"""AWS calls and CloudWatch metrics requested: kedawatch against KEDA's built-in scalers, side by side.

KEDA's call pattern is replayed for N ScaledObjects over simulated minutes on a fake clock: every 15 s (HPA
sync) GetMetricSpec, GetMetrics and IsActive, and every 30 s (poll) the same three again. ScaledObjects
created at different times poll at different moments: `--phases 5` (the default) spreads them over five
slots of each 15 s; `--phases 1` fires every trigger at the same instant (the worst case, as after a restart).
A counting proxy in front of moto counts the AWS calls, and the PromQL stand-in (recorded answers) counts the
PromQL requests. The built-in baseline makes one real AWS call (or, for KEDA's prometheus scaler, one PromQL
request) per evaluation against the same stand-ins, for at most `--baseline-sample` triggers, scaled linearly to N.

    .venv/bin/python -m benchmarks.aws_calls [--quick] [--sizes 10,100,1000] [--sqs-sizes 10,100] [--minutes 10]

The default run takes about 15 minutes on 2 cores (the two PromQL variants 4 of them): a Python gRPC server
answers ~1,500 RPCs a second, and N=1000 over 10 minutes is 180,000 RPCs per variant. `--quick` takes about a
minute.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import datetime
import math
import time
from collections.abc import Iterator, Sequence

from benchmarks import _common
from kedawatch import settings
from kedawatch.aws import clients, cloudwatch, identities, promql, vocabulary
from kedawatch.demo import local
from kedawatch.scaler.sources import cloudwatch as cloudwatch_source
from kedawatch.standins import aws
from kedawatch.standins import promql as promql_standin
from kedawatch.standins.clock import FakeClock

HPA_SYNC = 15.0
"""Seconds between HPA syncs (KEDA's default); one tick of the simulation."""
GOAL_WINDOW = 60.0
"""Seconds of the GetMetricData goal's window: at most ceil(distinct / 500) calls in any of them once warm."""
POLL_EVERY = 2
"""KEDA polls every 30 s by default: every second tick."""


@dataclasses.dataclass(frozen=True)
class Variant:
    key: str
    title: str
    source: str
    """Which built-in scaler the variant stands in for: "cloudwatch", "sqs" or "promql" (KEDA's prometheus)."""
    shared: bool = False
    """Every ScaledObject reads the same metric or query (not meaningful for SQS)."""


VARIANTS = (
    Variant("cw", "a) CloudWatch, a metric per ScaledObject", "cloudwatch"),
    Variant("sqs", "b) SQS, a queue per ScaledObject", "sqs"),
    Variant("cw-shared", "c) CloudWatch, one metric shared by all", "cloudwatch", shared=True),
    Variant("promql", "d) PromQL, a query per ScaledObject (KEDA's prometheus scaler as built-in)", "promql"),
    Variant("promql-shared", "e) PromQL, one query shared by all", "promql", shared=True),
)


@dataclasses.dataclass
class Standins:
    """What the benchmark counts calls on: the AWS stand-in, and CloudWatch's PromQL API with recorded answers."""

    aws: aws.AwsStandIn
    promql: promql_standin.PromQLStandin
    _promql_before: int = 0

    def reset(self) -> None:
        """Empty both stand-ins and zero the counts."""
        self.aws.reset()
        self.promql.reset()
        self._promql_before = 0

    def zero(self) -> None:
        """Zero the counts; keep what the stand-ins hold (queues, metrics, recorded answers)."""
        self.aws.proxy.reset()
        self._promql_before = self.promql.count()

    def calls(self) -> int:
        """AWS calls and PromQL requests made since the counts were zeroed."""
        return sum(self.aws.proxy.calls.values()) + self.promql_requests()

    def promql_requests(self) -> int:
        return self.promql.count() - self._promql_before

    def reads(self, source: str) -> int:
        """The reads of a source that its freshness window bounds: GetMetricData calls, or PromQL requests."""
        return self.promql_requests() if source == "promql" else self.aws.proxy.calls["GetMetricData"]


@contextlib.contextmanager
def standins_running() -> Iterator[Standins]:
    with _common.aws_standins() as aws_standin:
        cloudwatch_promql = promql_standin.PromQLStandin().start()
        try:
            yield Standins(aws_standin, cloudwatch_promql)
        finally:
            cloudwatch_promql.stop()


@dataclasses.dataclass(frozen=True)
class KedawatchRun:
    calls: int
    metrics: int
    reads_per_tick: list[int]
    """GetMetricData calls (or PromQL requests) in each HPA sync."""
    failures: collections.Counter[str]
    seconds: float


def schedule(minutes: float) -> list[bool]:
    """One entry per HPA sync: whether KEDA's poll fires at the same instant. Used by both sides."""
    return [tick % POLL_EVERY == 0 for tick in range(int(minutes * 60 / HPA_SYNC))]


def evaluations_per_trigger(minutes: float) -> int:
    """Evaluations KEDA asks of one trigger: each HPA sync, plus each poll."""
    return sum(2 if poll_too else 1 for poll_too in schedule(minutes))


# --- set-up -----------------------------------------------------------------------------------------------


def prepare(standins: Standins, variant: Variant, count: int) -> list[dict[str, str]]:
    """Creates the variant's AWS resources (or PromQL answers) and returns the metadata of `count` triggers."""
    if variant.source == "sqs":
        return [_common.sqs_metadata(url) for url in _create_queues(count)]
    names = ["shared"] * count if variant.shared else [f"svc{index}" for index in range(count)]
    if variant.source == "promql":
        for name in sorted(set(names)):
            standins.promql.record(_promql_query(name), PROMQL_ANSWER)
        return [promql_metadata(name, standins.promql.url) for name in names]
    _put_datapoints(sorted(set(names)))
    return [_common.cloudwatch_metadata(name) for name in names]


def _create_queues(count: int) -> list[str]:
    sqs = _common.aws_client("sqs")
    return _common.threaded(lambda index: str(sqs.create_queue(QueueName=f"q{index}")["QueueUrl"]), range(count))


def _put_datapoints(dimension_values: Sequence[str]) -> None:
    """One datapoint per metric, so GetMetricData answers carry values as in production."""
    now = datetime.datetime.now(datetime.UTC)
    _common.put_datapoints(_common.aws_client("cloudwatch"), dict.fromkeys(dimension_values, 7.0), now)


PROMQL_ANSWER = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "7"]}]}}
"""What the PromQL stand-in answers every query: one sample, as a `sum(...)` answers."""


def _promql_query(service: str) -> str:
    return f'sum(rate({{"http.server.request.duration_count", "@resource.service.name"="{service}"}}[1m]))'


def promql_metadata(service: str, endpoint: str) -> dict[str, str]:
    """An aws-cloudwatch-promql trigger as a user moves it from `type: prometheus`; distinct services make
    distinct queries. `awsEndpoint` is the stand-in's."""
    return {"query": _promql_query(service), "threshold": "10", "awsRegion": "us-east-1", "awsEndpoint": endpoint}


# --- the built-in baseline --------------------------------------------------------------------------------


class BuiltinScaler:
    """What KEDA's aws-sqs-queue, aws-cloudwatch and prometheus scalers do per evaluation: one AWS call (one
    PromQL request), theirs alone."""

    def __init__(self) -> None:
        self._sqs = _common.aws_client("sqs")
        self._cloudwatch = _common.aws_client("cloudwatch")
        self._promql = promql.PromQLClient(clients.AwsClients(settings.AwsSettings()), settings.AwsSettings())

    def evaluate(self, metadata: dict[str, str]) -> None:
        if "queueURL" in metadata:
            attributes = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            self._sqs.get_queue_attributes(QueueUrl=metadata["queueURL"], AttributeNames=attributes)
        elif "query" in metadata:
            identity = identities.AwsIdentity(metadata["awsRegion"], endpoint=metadata["awsEndpoint"])
            self._promql.query(identity, metadata["query"], time.time())  # KEDA's ExecutePromQuery: at its now
        else:
            self._get_metric_data(metadata)

    def _get_metric_data(self, metadata: dict[str, str]) -> None:
        period, collection = int(metadata["metricStatPeriod"]), int(metadata["metricCollectionTime"])
        start, end = cloudwatch_source.query_window(time.time(), period, 0, collection)
        dimensions = ((metadata["dimensionName"], metadata["dimensionValue"]),)
        query = cloudwatch.MetricQuery(period, metadata["namespace"], metadata["metricName"], dimensions)
        self._cloudwatch.get_metric_data(
            MetricDataQueries=[query.entry("q1")], StartTime=start, EndTime=end, ScanBy="TimestampDescending"
        )


def measure_builtin(standins: Standins, metadatas: Sequence[dict[str, str]], evaluations: int) -> tuple[int, int]:
    """(AWS calls, metrics requested) of the built-in scalers for these triggers, counted by the stand-ins."""
    builtin = BuiltinScaler()
    standins.zero()
    _common.threaded(builtin.evaluate, [metadata for metadata in metadatas for _ in range(evaluations)])
    return standins.calls(), standins.aws.proxy.metrics_requested


# --- kedawatch --------------------------------------------------------------------------------------------


async def measure_kedawatch(
    standins: Standins, variant: Variant, metadatas: Sequence[dict[str, str]], args: argparse.Namespace
) -> KedawatchRun:
    """A fresh scaler on a fake clock, driven tick by tick; its reads counted by the stand-ins per tick."""
    clock = FakeClock()
    hub_settings = settings.HubSettings(gather_delay=args.gather_delay)
    policy = {"default": {"endpoints": [standins.promql.url]}}  # the PromQL triggers' awsEndpoint
    per_tick: list[int] = []
    failures: collections.Counter[str] = collections.Counter()
    started, simulated = time.perf_counter(), clock.monotonic()
    async with local.running_scaler(hub_settings, clock=clock, policy=policy) as scaler:
        standins.zero()
        with _common.KedaLoad(scaler.port, args.concurrency) as driver:
            for poll_too in schedule(args.minutes):
                before = standins.reads(variant.source)
                for phase in range(args.phases):
                    tick = driver.tick(metadatas[phase :: args.phases], poll_too)
                    failures += await _common.while_time_passes(clock, tick, hub_settings.gather_delay)
                    await scaler.hub.settle()  # let reads whose RPC timed out land before the clock moves on
                    simulated += HPA_SYNC / args.phases
                    await clock.advance(max(0.0, simulated - clock.monotonic()))
                per_tick.append(standins.reads(variant.source) - before)
    calls, metrics = standins.calls(), standins.aws.proxy.metrics_requested
    return KedawatchRun(calls, metrics, per_tick, failures, time.perf_counter() - started)


# --- the goal and the table -------------------------------------------------------------------------------


def window_goal(variant: Variant, run: KedawatchRun, metadatas: Sequence[dict[str, str]]) -> tuple[str, str, str]:
    """Most reads in any freshness window after the first, their limit, and the verdict: GetMetricData calls per
    60 s window, at most ceil(distinct metrics / 500); PromQL requests per 15 s window, at most one per distinct
    query. The first window is cold: each trigger's first value is read when KEDA first asks for it."""
    if variant.source == "sqs":
        return "n/a", "n/a", "n/a"
    defaults = settings.HubSettings()
    if variant.source == "promql":
        freshness = defaults.promql_freshness
        limit = len({metadata["query"] for metadata in metadatas})
    else:
        freshness = min(GOAL_WINDOW, float(metadatas[0]["metricStatPeriod"]))
        limit = math.ceil(len({metadata["dimensionValue"] for metadata in metadatas}) / vocabulary.MAX_QUERIES)
    window = max(1, math.ceil(freshness / HPA_SYNC))
    ticks = run.reads_per_tick
    worst = max(sum(ticks[start : start + window]) for start in range(window, max(window + 1, len(ticks))))
    return str(worst), str(limit), _common.verdict(worst <= limit)


def row(
    variant: Variant,
    metadatas: Sequence[dict[str, str]],
    run: KedawatchRun,
    builtin: tuple[int, int],
    sample: int,
) -> list[object]:
    scale = len(metadatas) / sample
    builtin_calls, builtin_metrics = round(builtin[0] * scale), round(builtin[1] * scale)
    failures = sum(run.failures.values())
    failed = f"{failures} ({', '.join(sorted(run.failures))})" if failures else "0"
    metrics = (
        ["-"] * 3
        if variant.source == "promql"
        else [run.metrics, builtin_metrics, _common.ratio(run.metrics, builtin_metrics)]
    )
    return [
        variant.key, len(metadatas), sample,
        run.calls, builtin_calls, _common.ratio(run.calls, builtin_calls),
        *metrics, *window_goal(variant, run, metadatas), failed, f"{run.seconds:.0f}",
    ]  # fmt: skip


HEADERS = (
    "variant", "N", "built-in measured on",
    "kw calls", "built-in calls", "ratio",
    "kw metrics", "built-in metrics", "ratio",
    "reads max/window warm", "limit", "goal", "RPC failures", "kw s",
)  # fmt: skip


async def run_variant(
    standins: Standins,
    variant: Variant,
    args: argparse.Namespace,
    baselines: dict[tuple[str, int], tuple[int, int]],
) -> list[list[object]]:
    """Every size of one variant; the built-in baseline is measured once per source and sample size."""
    standins.reset()
    sizes = args.sqs_sizes if variant.source == "sqs" else args.sizes
    all_metadatas = prepare(standins, variant, max(sizes))
    evaluations = evaluations_per_trigger(args.minutes)
    rows = []
    for size in sizes:
        metadatas = all_metadatas[:size]
        sample = min(size, args.baseline_sample)
        if (variant.source, sample) not in baselines:
            baselines[variant.source, sample] = measure_builtin(standins, all_metadatas[:sample], evaluations)
        run = await measure_kedawatch(standins, variant, metadatas, args)
        rows.append(row(variant, metadatas, run, baselines[variant.source, sample], sample))
        print(f"  {variant.key} N={size}: done in {run.seconds:.0f} s", flush=True)
    return rows


async def run(args: argparse.Namespace) -> None:
    rows: list[list[object]] = []
    baselines: dict[tuple[str, int], tuple[int, int]] = {}
    with standins_running() as standins:
        for variant in VARIANTS:
            if variant.key in args.variants:
                rows += await run_variant(standins, variant, args, baselines)
    title = (
        f"AWS calls over {args.minutes:g} simulated minutes "
        f"({evaluations_per_trigger(args.minutes)} KEDA evaluations per trigger, in {args.phases} phase(s) per sync)"
    )
    _common.print_table(title, HEADERS, rows)
    for variant in VARIANTS:
        print(f"  {variant.key}: {variant.title}")
    print(
        "  ratio = kedawatch / built-in; built-in = one AWS call (PromQL request) per evaluation, measured on the\n"
        "  first 'measured on' triggers and scaled to N (variants a and c, d and e share their measurement: the\n"
        "  built-in makes the same calls whether or not the metric or query is shared). reads max/window warm =\n"
        "  most reads in any freshness window after the first (cold) one: GetMetricData calls per 60 s, goal <=\n"
        "  ceil(distinct metrics / 500); PromQL requests per 15 s, goal <= one per distinct query."
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000", help="ScaledObject counts, comma-separated")
    parser.add_argument(
        "--sqs-sizes",
        default="10,100",
        help="ScaledObject counts for variant b: SQS has no batch read, so its ratio does not depend on N, and"
        " N=1000 makes 40,000 GetQueueAttributes through moto (over 10 minutes on 2 cores)",
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="simulated minutes")
    parser.add_argument(
        "--variants",
        default=",".join(variant.key for variant in VARIANTS),
        help=f"comma-separated: {', '.join(variant.key for variant in VARIANTS)}",
    )
    parser.add_argument("--baseline-sample", type=int, default=100, help="most triggers the baseline measures")
    parser.add_argument("--concurrency", type=int, default=256, help="KEDA evaluations in flight at once")
    parser.add_argument(
        "--phases", type=int, default=5, help="slots of each 15 s the triggers are spread over (1: all in step)"
    )
    parser.add_argument(
        "--gather-delay", type=float, default=settings.HubSettings().gather_delay, help="the hub's gather_delay (s)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: N=10,100 over 2 minutes")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.sqs_sizes, args.minutes, args.baseline_sample = "10,100", "10,100", 2.0, 20
    args.sizes = [int(size) for size in args.sizes.split(",")]
    args.sqs_sizes = [int(size) for size in args.sqs_sizes.split(",")]
    args.variants = args.variants.split(",")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    _common.quiet_logs()
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
