"""AWS calls and CloudWatch metrics requested: kedawatch against KEDA's built-in scalers, side by side.

KEDA's call pattern is replayed for N ScaledObjects over simulated minutes on a fake clock: every 15 s (HPA
sync) GetMetricSpec, GetMetrics and IsActive, and every 30 s (poll) the same three again. ScaledObjects
created at different times poll at different moments: `--phases 5` (the default) spreads them over five
slots of each 15 s; `--phases 1` fires every trigger at the same instant (the worst case, as after a restart).
A counting proxy in front of moto counts the AWS calls, and the PromQL stand-in (recorded answers) counts the
PromQL requests. Each run starts at a period boundary of its metrics' period (variant g: 150 s past one).

Two baselines make real AWS calls (PromQL requests, for KEDA's prometheus scaler) against the same stand-ins,
for at most `--baseline-sample` triggers, scaled linearly to N:
- "built-in": KEDA's default, one call per evaluation (each poll and each HPA sync);
- "built-in with useCachedMetrics": KEDA at its best, one call per poll (every 30 s); the HPA's reads are
  served the last poll's record (`_common.cached_builtin_calls`, after KEDA's scale handler).

Variants f and g are the goals' variants: N = 1,000 distinct metrics of period 300 over 10 simulated minutes.

    .venv/bin/python -m benchmarks.aws_calls [--quick] [--sizes 10,100,1000] [--sqs-sizes 10,100] [--minutes 10]

The default run takes about 12 minutes on 2 cores (the two PromQL variants 4 of them): a Python gRPC server
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
POLL_EVERY = 2
"""KEDA polls every 30 s by default: every second tick."""
POLLING_INTERVAL = POLL_EVERY * HPA_SYNC
GOAL_METRICS_PER_FLOOR = 2.0
"""Metrics requested at most this many times the floor (issue 14)."""
GOAL_FEWER_THAN_CACHED = 5.0
"""Metrics requested at least this many times fewer than the built-in with useCachedMetrics (issue 14)."""


@dataclasses.dataclass(frozen=True)
class Variant:
    key: str
    title: str
    source: str
    """Which built-in scaler the variant stands in for: "cloudwatch", "sqs" or "promql" (KEDA's prometheus)."""
    shared: bool = False
    """Every ScaledObject reads the same metric or query (not meaningful for SQS)."""
    period: int = 60
    """The triggers' metricStatPeriod; the run starts at a multiple of it (plus `start`)."""
    collection: int = 300
    """The triggers' metricCollectionTime."""
    start: float = 0.0
    """Seconds past a period boundary at which the run starts."""
    goals: bool = False
    """Issue 14's goals are judged on it: sized by `--goal-sizes`, run for `--goal-minutes`."""


VARIANTS = (
    Variant("cw", "a) CloudWatch, a metric per ScaledObject (period 60)", "cloudwatch"),
    Variant("sqs", "b) SQS, a queue per ScaledObject", "sqs"),
    Variant("cw-shared", "c) CloudWatch, one metric shared by all (period 60)", "cloudwatch", shared=True),
    Variant("promql", "d) PromQL, a query per ScaledObject (KEDA's prometheus scaler as built-in)", "promql"),
    Variant("promql-shared", "e) PromQL, one query shared by all", "promql", shared=True),
    Variant("cw300", "f) CloudWatch, a metric per ScaledObject, period 300, from a boundary", "cloudwatch",
            period=300, goals=True),
    Variant("cw300-mid", "g) the same, from mid-period (150 s past a boundary)", "cloudwatch",
            period=300, start=150.0, goals=True),
)  # fmt: skip


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
        """The reads of a source that its freshness bounds: GetMetricData calls, or PromQL requests."""
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
class Slot:
    """One phase of one HPA sync: the triggers of `phase` asked at wall-clock `at` (simulated)."""

    phase: int
    at: float
    reads: int
    """GetMetricData calls (or PromQL requests) that it caused, including those landing after its RPCs."""


@dataclasses.dataclass(frozen=True)
class KedawatchRun:
    calls: int
    metrics: int
    slots: list[Slot]
    failures: collections.Counter[str]
    seconds: float

    def reads_per_tick(self, phases: int) -> list[int]:
        """Reads in each HPA sync, all its phases together."""
        return [sum(slot.reads for slot in self.slots[start : start + phases])
                for start in range(0, len(self.slots), phases)]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Baseline:
    """What one built-in configuration costs for the sampled triggers, counted by the stand-ins."""

    calls: int
    metrics: int


def schedule(minutes: float) -> list[bool]:
    """One entry per HPA sync: whether KEDA's poll fires at the same instant. Used by both sides."""
    return [tick % POLL_EVERY == 0 for tick in range(int(minutes * 60 / HPA_SYNC))]


def builtin_calls_per_trigger(minutes: float, cached: bool) -> int:
    """AWS calls one built-in trigger makes over the run: one per evaluation (each poll, each HPA sync), or
    with `useCachedMetrics` as KEDA's metrics cache allows. A poll comes first when both fire at once: KEDA
    starts a ScaledObject's scale loop, whose first poll is immediate, before the HPA it creates asks."""
    calls, recorded = 0, False
    for poll_too in schedule(minutes):
        for poll in (True, False) if poll_too else (False,):
            calls += _common.cached_builtin_calls(poll, recorded) if cached else 1
            recorded = recorded or poll
    return calls


def minutes_of(variant: Variant, args: argparse.Namespace) -> float:
    return float(args.goal_minutes if variant.goals else args.minutes)


def epoch_of(variant: Variant) -> float:
    """Where the run starts on the wall clock: `start` past a period boundary, in the last hour (CloudWatch
    takes datapoints of the last two weeks)."""
    return (time.time() - 3600) // 3600 * 3600 + variant.start


# --- set-up -----------------------------------------------------------------------------------------------


def prepare(standins: Standins, variant: Variant, count: int, epoch: float) -> list[dict[str, str]]:
    """Creates the variant's AWS resources (or PromQL answers) for a run starting at `epoch`, and returns the
    metadata of `count` triggers."""
    if variant.source == "sqs":
        return [_common.sqs_metadata(url) for url in _create_queues(count)]
    names = ["shared"] * count if variant.shared else [f"svc{index}" for index in range(count)]
    if variant.source == "promql":
        for name in sorted(set(names)):
            standins.promql.record(_promql_query(name), PROMQL_ANSWER)
        return [promql_metadata(name, standins.promql.url) for name in names]
    _put_datapoints(sorted(set(names)), variant, epoch)
    return [_common.cloudwatch_metadata(name, variant.period, variant.collection) for name in names]


def _create_queues(count: int) -> list[str]:
    sqs = _common.aws_client("sqs")
    return _common.threaded(lambda index: str(sqs.create_queue(QueueName=f"q{index}")["QueueUrl"]), range(count))


def _put_datapoints(dimension_values: Sequence[str], variant: Variant, epoch: float) -> None:
    """One datapoint per metric in the run's first window, so GetMetricData answers carry values as in
    production (one, not one a period: moto scans every stored datapoint for each query)."""
    end = epoch // variant.period * variant.period
    at = datetime.datetime.fromtimestamp(end - variant.period / 2, datetime.UTC)
    _common.put_datapoints(_common.aws_client("cloudwatch"), dict.fromkeys(dimension_values, 7.0), at)


PROMQL_ANSWER = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "7"]}]}}
"""What the PromQL stand-in answers every query: one sample, as a `sum(...)` answers."""


def _promql_query(service: str) -> str:
    return f'sum(rate({{"http.server.request.duration_count", "@resource.service.name"="{service}"}}[1m]))'


def promql_metadata(service: str, endpoint: str) -> dict[str, str]:
    """An aws-cloudwatch-promql trigger as a user moves it from `type: prometheus`; distinct services make
    distinct queries. `awsEndpoint` is the stand-in's."""
    return {"query": _promql_query(service), "threshold": "10", "awsRegion": "us-east-1", "awsEndpoint": endpoint}


# --- the built-in baselines -------------------------------------------------------------------------------


class BuiltinScaler:
    """What KEDA's aws-sqs-queue, aws-cloudwatch and prometheus scalers do per call of GetMetricsAndActivity:
    one AWS call (one PromQL request), theirs alone."""

    def __init__(self) -> None:
        self._sqs = _common.aws_client("sqs")
        self._cloudwatch = _common.aws_client("cloudwatch")
        self._promql = promql.PromQLClient(clients.AwsClients(settings.AwsSettings()))

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


def measure_builtin(standins: Standins, metadatas: Sequence[dict[str, str]], calls_each: int) -> Baseline:
    """AWS calls and metrics requested of the built-in scalers making `calls_each` calls per trigger."""
    builtin = BuiltinScaler()
    standins.zero()
    _common.threaded(builtin.evaluate, [metadata for metadata in metadatas for _ in range(calls_each)])
    return Baseline(standins.calls(), standins.aws.proxy.metrics_requested)


# --- kedawatch --------------------------------------------------------------------------------------------


async def measure_kedawatch(
    standins: Standins,
    variant: Variant,
    metadatas: Sequence[dict[str, str]],
    args: argparse.Namespace,
    epoch: float,
) -> KedawatchRun:
    """A fresh scaler on a fake clock from `epoch`, driven tick by tick; its reads counted by the stand-ins per
    slot."""
    clock = FakeClock(epoch=epoch)
    hub_settings = settings.HubSettings(gather_delay=args.gather_delay)
    policy = {"default": {"endpoints": [standins.promql.url]}}  # the PromQL triggers' awsEndpoint
    slots: list[Slot] = []
    failures: collections.Counter[str] = collections.Counter()
    started, simulated = time.perf_counter(), clock.monotonic()
    async with local.running_scaler(hub_settings, clock=clock, policy=policy) as scaler:
        standins.zero()
        with _common.KedaLoad(scaler.port, args.concurrency) as driver:
            for poll_too in schedule(minutes_of(variant, args)):
                for phase in range(args.phases):
                    before, at = standins.reads(variant.source), clock.time()
                    tick = driver.tick(metadatas[phase :: args.phases], poll_too)
                    failures += await _common.while_time_passes(clock, tick, hub_settings.gather_delay)
                    await scaler.hub.settle()  # let reads whose RPC timed out land before the clock moves on
                    slots.append(Slot(phase, at, standins.reads(variant.source) - before))
                    simulated += HPA_SYNC / args.phases
                    await clock.advance(max(0.0, simulated - clock.monotonic()))
    calls, metrics = standins.calls(), standins.aws.proxy.metrics_requested
    return KedawatchRun(calls, metrics, slots, failures, time.perf_counter() - started)


# --- the goals --------------------------------------------------------------------------------------------


def floor_of(variant: Variant, run: KedawatchRun, metadatas: Sequence[dict[str, str]], phases: int) -> int:
    """Metrics requested by a scaler at the physical floor: one per distinct (metric, window) that KEDA asks
    for. KEDA's value changes only when the window's end moves to the next period boundary, so no scaler can
    serve KEDA's answer at every ask with fewer; late datapoints aside, none needs more."""
    asked = {
        (metadata["dimensionValue"], slot.at // variant.period)
        for slot in run.slots
        for metadata in metadatas[slot.phase :: phases]
    }
    return len(asked)


def wave_of(variant: Variant, at: float) -> tuple[float, bool]:
    """The read wave a moment falls in: the period it is in, and whether it is past the late-data re-read
    (`cloudwatch_late_data` after the boundary, half the period if shorter)."""
    late = min(settings.HubSettings().cloudwatch_late_data, variant.period / 2)
    return at // variant.period, at % variant.period >= late


def read_goal(variant: Variant, run: KedawatchRun, metadatas: Sequence[dict[str, str]], phases: int) -> list[str]:
    """The most reads in any warm read unit, their limit and the verdict.

    CloudWatch: GetMetricData calls per read wave (the reads just after a period boundary, or the late-data
    re-reads), at most ceil(distinct metrics / 500). PromQL: requests per 15 s freshness window, at most one per
    distinct query. The first wave (window) is cold, left out: each trigger's first value is read when KEDA
    first asks for it, phase by phase."""
    if variant.source == "sqs":
        return ["n/a", "n/a", "n/a"]
    if variant.source == "promql":
        limit = len({metadata["query"] for metadata in metadatas})
        window = max(1, math.ceil(settings.HubSettings().promql_freshness / HPA_SYNC))
        ticks = run.reads_per_tick(phases)
        units = [sum(ticks[start : start + window]) for start in range(window, len(ticks))]
    else:
        limit = math.ceil(len({metadata["dimensionValue"] for metadata in metadatas}) / vocabulary.MAX_QUERIES)
        waves: collections.Counter[tuple[float, bool]] = collections.Counter()
        for slot in run.slots:
            waves[wave_of(variant, slot.at)] += slot.reads
        units = list(waves.values())[1:]
    if not units:
        return ["n/a", str(limit), "n/a"]
    worst = max(units)
    return [str(worst), str(limit), _common.verdict(worst <= limit)]


# --- the tables -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Result:
    variant: Variant
    metadatas: Sequence[dict[str, str]]
    run: KedawatchRun
    builtin: Baseline
    cached: Baseline
    sample: int
    phases: int
    minutes: float

    def scaled(self, count: int) -> int:
        """A baseline count measured on `sample` triggers, scaled to N."""
        return round(count * len(self.metadatas) / self.sample)

    def floor(self) -> int:
        return floor_of(self.variant, self.run, self.metadatas, self.phases)


CALL_HEADERS = (
    "variant", "N", "min", "built-ins measured on",
    "kw calls", "built-in calls", "ratio", "cached calls", "ratio",
    "reads worst warm", "limit", "goal", "RPC failures", "kw s",
)  # fmt: skip


def call_row(result: Result) -> list[object]:
    run = result.run
    builtin, cached = result.scaled(result.builtin.calls), result.scaled(result.cached.calls)
    failures = sum(run.failures.values())
    failed = f"{failures} ({', '.join(sorted(run.failures))})" if failures else "0"
    return [
        result.variant.key, len(result.metadatas), f"{result.minutes:g}", result.sample,
        run.calls, builtin, _common.ratio(run.calls, builtin), cached, _common.ratio(run.calls, cached),
        *read_goal(result.variant, run, result.metadatas, result.phases), failed, f"{run.seconds:.0f}",
    ]  # fmt: skip


METRIC_HEADERS = (
    "variant", "N", "min", "floor", "kw metrics", "kw / floor",
    "built-in metrics", "ratio", "cached metrics", "ratio", "cached / kw",
)  # fmt: skip


def metric_row(result: Result) -> list[object]:
    ours, floor = result.run.metrics, result.floor()
    builtin, cached = result.scaled(result.builtin.metrics), result.scaled(result.cached.metrics)
    return [
        result.variant.key, len(result.metadatas), f"{result.minutes:g}", floor, ours, _common.ratio(ours, floor),
        builtin, _common.ratio(ours, builtin), cached, _common.ratio(ours, cached), _times(cached, ours),
    ]  # fmt: skip


def _times(theirs: float, ours: float) -> str:
    return f"{theirs / ours:.2f}x" if ours else "n/a"


def goal_rows(result: Result) -> list[list[object]]:
    """Issue 14's goals on one run of a goals variant."""
    ours, floor, cached = result.run.metrics, result.floor(), result.scaled(result.cached.metrics)
    distinct = len({metadata["dimensionValue"] for metadata in result.metadatas})
    worst, limit, wave_verdict = read_goal(result.variant, result.run, result.metadatas, result.phases)
    fewer = cached / ours if ours else math.inf
    key = f"{result.variant.key} N={len(result.metadatas)}"
    return [
        [key, f"metrics requested <= {GOAL_METRICS_PER_FLOOR:g}x the floor ({floor})", ours,
         f"<= {GOAL_METRICS_PER_FLOOR * floor:.0f}", _common.verdict(ours <= GOAL_METRICS_PER_FLOOR * floor)],
        [key, f">= {GOAL_FEWER_THAN_CACHED:g}x fewer than built-in with useCachedMetrics ({cached})",
         f"{fewer:.2f}x fewer", f">= {GOAL_FEWER_THAN_CACHED:g}x", _common.verdict(fewer >= GOAL_FEWER_THAN_CACHED)],
        [key, f"GetMetricData calls per warm read wave <= ceil({distinct} / {vocabulary.MAX_QUERIES})",
         f"{worst} (worst)", f"<= {limit}", wave_verdict],
    ]  # fmt: skip


def print_freshness(results: Sequence[Result]) -> None:
    """Where each ScaledObject reads a value of its own, nothing is shared: each side's cost (calls, or
    CloudWatch's metrics requested) per ScaledObject, beside the freshness of what it serves KEDA's HPA."""
    hub = settings.HubSettings()
    largest = {result.variant: result for result in results if not result.variant.shared}
    for result in largest.values():
        if result.variant.source == "cloudwatch":
            unit, ours, cached = "metrics requested", result.run.metrics, result.scaled(result.cached.metrics)
            served = (
                "the value KEDA's built-in would read at that moment (a datapoint landing late excepted:"
                f" --cloudwatch-late-data {hub.cloudwatch_late_data:g} s)"
            )
        else:
            unit, ours, cached = "calls", result.run.calls, result.scaled(result.cached.calls)
            freshness = hub.sqs_freshness if result.variant.source == "sqs" else hub.promql_freshness
            served = f"a value at most {freshness:g} s old (its freshness window)"
        each = len(result.metadatas) * result.minutes
        verdict = "kedawatch wins" if ours < cached else "kedawatch does not win"
        print(
            f"  {result.variant.key} N={len(result.metadatas)}, {unit} per ScaledObject per minute: kedawatch"
            f" {ours / each:.2f}, built-in with useCachedMetrics {cached / each:.2f}: {verdict} on {unit}.\n"
            f"    The cached built-in reads once per pollingInterval ({POLLING_INTERVAL:g} s) and serves each HPA sync"
            f" the last poll's value, up to {POLLING_INTERVAL:g} s old;\n"
            f"    kedawatch serves each HPA sync ({HPA_SYNC:g} s) {served}."
        )


def print_report(results: Sequence[Result], args: argparse.Namespace) -> None:
    title = f"AWS calls (PromQL requests) over simulated minutes, KEDA's pattern in {args.phases} phase(s) per sync"
    _common.print_table(title, CALL_HEADERS, [call_row(result) for result in results])
    cloudwatch_results = [result for result in results if result.variant.source == "cloudwatch"]
    if cloudwatch_results:
        title = "CloudWatch metrics requested (what GetMetricData bills)"
        _common.print_table(title, METRIC_HEADERS, [metric_row(result) for result in cloudwatch_results])
    goals = [row for result in results if result.variant.goals for row in goal_rows(result)]
    if goals:
        title = "Goals (issue 14): distinct metrics of period 300, from a boundary (f) and from mid-period (g)"
        _common.print_table(title, ("run", "goal", "measured", "limit", "verdict"), goals)
    print()
    print_freshness(results)
    for variant in VARIANTS:
        print(f"  {variant.key}: {variant.title}")
    print(
        "  ratio = kedawatch / baseline. built-in = one AWS call (PromQL request) per evaluation; cached = built-in\n"
        "  with useCachedMetrics: one per poll, the HPA's syncs served from KEDA's metrics cache. Both measured on\n"
        "  the first 'measured on' triggers against the same stand-ins and scaled to N (variants a and c, d and e,\n"
        "  f and g share their measurements: the built-in calls alike whether or not the metric is shared).\n"
        "  reads worst warm = the most reads after the first (cold) unit: GetMetricData calls per read wave (the\n"
        "  reads after one period boundary, or its late-data re-reads), limit ceil(distinct metrics / 500); PromQL\n"
        "  requests per 15 s, limit one per distinct query. floor = one metric requested per distinct (metric,\n"
        "  window) KEDA asks for: its value changes only at a period boundary. cached / kw = how many times fewer."
    )


# --- the run ----------------------------------------------------------------------------------------------


async def run_variant(
    standins: Standins, variant: Variant, args: argparse.Namespace, baselines: dict[tuple[object, ...], Baseline]
) -> list[Result]:
    """Every size of one variant; the baselines are measured once per source, period, sample and length."""
    standins.reset()
    sizes = args.goal_sizes if variant.goals else args.sqs_sizes if variant.source == "sqs" else args.sizes
    epoch = epoch_of(variant)  # once: a run crossing the hour must not move its sizes' windows off the datapoints
    all_metadatas = prepare(standins, variant, max(sizes), epoch)
    minutes = minutes_of(variant, args)
    results = []
    for size in sizes:
        metadatas = all_metadatas[:size]
        sample = min(size, args.baseline_sample)
        for cached in (False, True):
            key = (variant.source, variant.period, sample, minutes, cached)
            if key not in baselines:
                calls_each = builtin_calls_per_trigger(minutes, cached)
                baselines[key] = measure_builtin(standins, all_metadatas[:sample], calls_each)
        run = await measure_kedawatch(standins, variant, metadatas, args, epoch)
        builtin, cached_builtin = (baselines[variant.source, variant.period, sample, minutes, c] for c in (False, True))
        results.append(Result(variant, metadatas, run, builtin, cached_builtin, sample, args.phases, minutes))
        print(f"  {variant.key} N={size}: done in {run.seconds:.0f} s", flush=True)
    return results


async def run(args: argparse.Namespace) -> None:
    results: list[Result] = []
    baselines: dict[tuple[object, ...], Baseline] = {}
    with standins_running() as standins:
        for variant in VARIANTS:
            if variant.key in args.variants:
                results += await run_variant(standins, variant, args, baselines)
    print_report(results, args)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000", help="ScaledObject counts, comma-separated")
    parser.add_argument(
        "--sqs-sizes",
        default="10,100",
        help="ScaledObject counts for variant b: SQS has no batch read, so its ratio does not depend on N, and"
        " N=1000 makes 40,000 GetQueueAttributes through moto (over 10 minutes on 2 cores)",
    )
    parser.add_argument("--goal-sizes", default="1000", help="ScaledObject counts for the goals' variants f, g")
    parser.add_argument("--minutes", type=float, default=10.0, help="simulated minutes")
    parser.add_argument("--goal-minutes", type=float, default=10.0, help="simulated minutes of variants f, g")
    parser.add_argument(
        "--variants",
        default=",".join(variant.key for variant in VARIANTS),
        help=f"comma-separated: {', '.join(variant.key for variant in VARIANTS)}",
    )
    parser.add_argument("--baseline-sample", type=int, default=100, help="most triggers the baselines measure")
    parser.add_argument("--concurrency", type=int, default=256, help="KEDA evaluations in flight at once")
    parser.add_argument(
        "--phases", type=int, default=5, help="slots of each 15 s the triggers are spread over (1: all in step)"
    )
    parser.add_argument(
        "--gather-delay", type=float, default=settings.HubSettings().gather_delay, help="the hub's gather_delay (s)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: N=10,100 over 2 minutes; the goals' variants at N=100"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.sqs_sizes, args.goal_sizes = "10,100", "10,100", "100"
        args.minutes, args.baseline_sample = 2.0, 20
    for name in ("sizes", "sqs_sizes", "goal_sizes"):
        setattr(args, name, [int(size) for size in getattr(args, name).split(",")])
    args.variants = args.variants.split(",")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    _common.quiet_logs()
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
