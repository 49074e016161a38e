"""gRPC throughput and latency of the scaler on warm values, against a constant-answer server (the ceiling).

Both servers run in child processes; this process is the load generator (grpc.aio, one HTTP/2 connection
per server, as KEDA keeps). For each concurrency, callers alternate GetMetrics and IsActive for `--seconds`
per server, measured in `--slices` alternating slices (ceiling, kedawatch, ceiling, ...) so that drift on a
busy machine hits both alike. Last, the scaler's RSS is read after 10,000 distinct CloudWatch
triggers were registered (GetMetricSpec, GetMetrics, IsActive each).

    .venv/bin/python -m benchmarks.grpc_load [--quick] [--seconds 5] [--concurrency 1,16,64]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import functools
import operator
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

import grpc

from benchmarks import _common
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc
from kedawatch.standins import aws

RPC_TIMEOUT = 5.0
"""Seconds any one RPC of the load may take: a bound, far above the goals."""
GOAL_SHARE, GOAL_P99, GOAL_RSS_MB = 0.70, 0.010, 150.0
WARM_TRIGGERS = 4
"""SQS queues and CloudWatch metrics each, read once before the load so every answer comes from cache."""


# --- the servers ------------------------------------------------------------------------------------------


class ConstantScaler(pb_grpc.ExternalScalerServicer):  # type: ignore[misc]  # generated, untyped base
    """Answers without any work: the most a Python grpc.aio server does on this machine."""

    async def IsActive(self, request: Any, context: Any) -> pb.IsActiveResponse:
        return pb.IsActiveResponse(result=True)

    async def GetMetricSpec(self, request: Any, context: Any) -> pb.GetMetricSpecResponse:
        return pb.GetMetricSpecResponse(metricSpecs=[pb.MetricSpec(metricName="m", targetSize=5, targetSizeFloat=5)])

    async def GetMetrics(self, request: Any, context: Any) -> pb.GetMetricsResponse:
        value = pb.MetricValue(metricName="m", metricValue=3, metricValueFloat=3)
        return pb.GetMetricsResponse(metricValues=[value])


async def serve_constant(port: int, max_seconds: float) -> None:
    """The ceiling server's child process; it ends by itself should its parent forget to stop it."""
    server = grpc.aio.server()
    pb_grpc.add_ExternalScalerServicer_to_server(ConstantScaler(), server)
    server.add_insecure_port(f"{_common.LOOPBACK}:{port}")
    await server.start()
    await server.wait_for_termination(max_seconds)


def kedawatch_server() -> _common.ServerProcess:
    """Freshness long enough that every answer of the load comes from cache."""
    return _common.kedawatch_server("--sqs-freshness", "3600")


def ceiling_server(max_seconds: float) -> _common.ServerProcess:
    return _common.ServerProcess(
        [sys.executable, "-m", "benchmarks.grpc_load", "--serve-constant", "--serve-for", f"{max_seconds:.0f}"]
    )


# --- the load ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Load:
    """What one server did under load, in a form that adds up across alternating slices."""

    latencies: list[float]
    failures: int
    seconds: float
    server_cpu_seconds: float
    client_cpu_seconds: float
    """CPU time of this process, the load generator."""

    def __add__(self, other: Load) -> Load:
        return Load(
            self.latencies + other.latencies,
            self.failures + other.failures,
            self.seconds + other.seconds,
            self.server_cpu_seconds + other.server_cpu_seconds,
            self.client_cpu_seconds + other.client_cpu_seconds,
        )

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def server_cpu(self) -> float:
        """Share of one core the server used."""
        return self.server_cpu_seconds / self.seconds

    @property
    def client_cpu(self) -> float:
        return self.client_cpu_seconds / self.seconds

    def percentile(self, share: float) -> float:
        return _common.percentile(self.latencies, share)


async def measure(
    stub: Any, server: _common.ServerProcess, refs: Sequence[pb.ScaledObjectRef], concurrency: int, seconds: float
) -> Load:
    """`concurrency` callers, each alternating GetMetrics and IsActive over the warm triggers, for `seconds`."""
    requests = [pb.GetMetricsRequest(scaledObjectRef=scaled, metricName="m") for scaled in refs]
    latencies: list[float] = []
    failures: collections.Counter[str] = collections.Counter()
    server_cpu, client_cpu, started = server.cpu_seconds(), time.process_time(), time.perf_counter()
    deadline = started + seconds

    async def caller(offset: int) -> None:
        for index in range(offset, 10**9):
            if time.perf_counter() >= deadline:
                return
            latencies.append(await _one_call(stub, refs, requests, index, failures))

    await asyncio.gather(*(caller(offset) for offset in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - server_cpu, time.process_time() - client_cpu
    return Load(latencies, sum(failures.values()), elapsed, *cpu)


async def _one_call(
    stub: Any,
    refs: Sequence[pb.ScaledObjectRef],
    requests: Sequence[pb.GetMetricsRequest],
    index: int,
    failures: collections.Counter[str],
) -> float:
    """One RPC's latency; odd calls are IsActive, even ones GetMetrics, over the triggers in turn."""
    started = time.perf_counter()
    try:
        if index % 2:
            await stub.IsActive(refs[index % len(refs)], timeout=RPC_TIMEOUT)
        else:
            await stub.GetMetrics(requests[index % len(requests)], timeout=RPC_TIMEOUT)
    except grpc.aio.AioRpcError as exc:
        failures[exc.code().name] += 1
    return time.perf_counter() - started


# --- set-up and memory ------------------------------------------------------------------------------------


def warm_metadatas() -> list[dict[str, str]]:
    """A few queues with messages and CloudWatch metrics with datapoints, as the load's triggers."""
    sqs, cw = _common.aws_client("sqs"), _common.aws_client("cloudwatch")
    urls = [str(sqs.create_queue(QueueName=f"load{index}")["QueueUrl"]) for index in range(WARM_TRIGGERS)]
    for url in urls:
        sqs.send_message(QueueUrl=url, MessageBody="work")
    services = [f"load{index}" for index in range(WARM_TRIGGERS)]
    data = [{"MetricName": "M", "Dimensions": [{"Name": "Service", "Value": s}], "Value": 12.0} for s in services]
    cw.put_metric_data(Namespace="App", MetricData=data)
    sqs_triggers = [_common.sqs_metadata(url) for url in urls]
    return sqs_triggers + [_common.cloudwatch_metadata(service, period=300) for service in services]


async def warm(stub: Any, refs: Sequence[pb.ScaledObjectRef]) -> None:
    """One KEDA evaluation per trigger, so the load only ever reads the scaler's cache."""
    failures: collections.Counter[str] = collections.Counter()
    await _common.gather_bounded((_common.keda_cycle(stub, scaled, 30.0, failures) for scaled in refs), 16)
    if failures:
        raise RuntimeError(f"warming the scaler failed: {dict(failures)}")


async def memory_after_triggers(
    stub: Any, server: _common.ServerProcess, proxy: aws.CountingProxy, count: int
) -> tuple[float, float, int, int]:
    """(RSS before, RSS after, failed evaluations, GetMetricData calls) for `count` distinct triggers."""
    before = server.rss_mb()
    proxy.reset()
    failures: collections.Counter[str] = collections.Counter()
    refs = [_common.ref(_common.cloudwatch_metadata(f"rss{index}"), f"rss-{index}") for index in range(count)]
    await _common.gather_bounded((_common.keda_cycle(stub, scaled, 30.0, failures) for scaled in refs), 64)
    await asyncio.sleep(2)  # let reads whose RPC timed out land in the cache
    return before, server.rss_mb(), sum(failures.values()), proxy.calls["GetMetricData"]


# --- the run and the tables -------------------------------------------------------------------------------


def load_row(concurrency: int, ceiling: Load, ours: Load) -> list[object]:
    return [
        concurrency,
        f"{ceiling.rate:.0f}", f"{ours.rate:.0f}", _common.ratio(ours.rate, ceiling.rate),
        f"{ceiling.percentile(0.5) * 1e3:.2f}", f"{ours.percentile(0.5) * 1e3:.2f}",
        f"{ceiling.percentile(0.99) * 1e3:.2f}", f"{ours.percentile(0.99) * 1e3:.2f}",
        f"{ceiling.server_cpu:.0%}", f"{ours.server_cpu:.0%}",
        f"{ceiling.client_cpu:.0%}/{ours.client_cpu:.0%}", ceiling.failures + ours.failures,
    ]  # fmt: skip


LOAD_HEADERS = (
    "concurrency", "ceiling RPC/s", "kw RPC/s", "kw/ceiling", "ceiling p50 ms", "kw p50 ms",
    "ceiling p99 ms", "kw p99 ms", "ceiling CPU", "kw CPU", "load CPU", "failures",
)  # fmt: skip


async def run_loads(
    args: argparse.Namespace,
    ours: _common.ServerProcess,
    ceiling: _common.ServerProcess,
    refs: Sequence[pb.ScaledObjectRef],
) -> dict[int, tuple[Load, Load]]:
    """Each concurrency in alternating slices (ceiling, kedawatch, ceiling, ...), so drift hits both alike."""
    results = {}
    async with _common.stub_for(ours.port) as ours_stub, _common.stub_for(ceiling.port) as ceiling_stub:
        await warm(ours_stub, refs)
        pairs = ((ceiling_stub, ceiling), (ours_stub, ours))
        for concurrency in args.concurrency:
            for stub, server in pairs:
                await measure(stub, server, refs, concurrency, args.warmup)
            slices = [
                [await measure(stub, server, refs, concurrency, args.seconds / args.slices) for stub, server in pairs]
                for _ in range(args.slices)
            ]
            results[concurrency] = (sum_loads(pair[0] for pair in slices), sum_loads(pair[1] for pair in slices))
    return results


def sum_loads(loads: Iterable[Load]) -> Load:
    return functools.reduce(operator.add, loads)


def print_goals(results: dict[int, tuple[Load, Load]], memory: tuple[float, float, int, int], triggers: int) -> None:
    top = max(results)
    ceiling, ours = results[top]
    before, after, failed, metric_data = memory
    rows = [
        [f"throughput at {top} concurrent >= {GOAL_SHARE:.0%} of ceiling", _common.ratio(ours.rate, ceiling.rate),
         _common.verdict(ours.rate >= GOAL_SHARE * ceiling.rate)],
        [f"p99 at {top} concurrent < {GOAL_P99 * 1e3:.0f} ms",
         f"{ours.percentile(0.99) * 1e3:.2f} ms (ceiling: {ceiling.percentile(0.99) * 1e3:.2f})",
         _common.verdict(ours.percentile(0.99) < GOAL_P99)],
        [f"RSS after {triggers} distinct triggers < {GOAL_RSS_MB:.0f} MB", f"{after:.1f} MB (before: {before:.1f})",
         _common.verdict(after < GOAL_RSS_MB)],
    ]  # fmt: skip
    _common.print_table("Goals", ("goal", "measured", "verdict"), rows)
    print(f"  registering {triggers} triggers: {failed} failed evaluations, {metric_data} GetMetricData calls")


async def run(args: argparse.Namespace) -> None:
    with _common.aws_standins() as standins, contextlib.ExitStack() as stack:
        refs = [_common.ref(metadata, f"load-{index}") for index, metadata in enumerate(warm_metadatas())]
        ours = stack.enter_context(kedawatch_server())
        ceiling = stack.enter_context(ceiling_server(args.serve_for))
        results = await run_loads(args, ours, ceiling, refs)
        async with _common.stub_for(ours.port) as stub:
            memory = await memory_after_triggers(stub, ours, standins.proxy, args.triggers)
    rows = [load_row(concurrency, *loads) for concurrency, loads in results.items()]
    title = f"gRPC load: GetMetrics/IsActive on {len(refs)} warm triggers, {args.seconds:g} s per cell, one connection"
    _common.print_table(title, LOAD_HEADERS, rows)
    print(
        "  ceiling = a grpc.aio server answering constants; CPU = share of one core used by that server;\n"
        "  load CPU = share of one core used by this load generator (ceiling run/kedawatch run). The load is a\n"
        "  closed loop: latency ~ concurrency / throughput once a server is saturated."
    )
    print_goals(results, memory, args.triggers)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per server and concurrency")
    parser.add_argument("--slices", type=int, default=5, help="alternating slices each cell is measured in")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds before each measurement")
    parser.add_argument("--concurrency", default="1,16,64", help="concurrent callers, comma-separated")
    parser.add_argument("--triggers", type=int, default=10_000, help="distinct triggers for the memory goal")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s per cell, 1,000 triggers")
    parser.add_argument("--serve-constant", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-for", type=float, default=1800.0, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.triggers = 1.0, 0.2, 1000
    args.concurrency = [int(value) for value in args.concurrency.split(",")]
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve_constant:
        asyncio.run(serve_constant(args.port, args.serve_for))
        return
    _common.quiet_logs()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
