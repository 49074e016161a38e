"""Scale-from-zero latency: from the first message in an empty SQS queue to `true` on a StreamIsActive stream.

Each run makes a new queue, opens the stream (as KEDA's external-push keeps one open per trigger), waits a
random 0 to `--max-wait` seconds so the message lands anywhere on the push grid, sends one message and times
the stream's first answer. Real clock throughout. KEDA's built-in aws-sqs-queue scaler notices the message
only at its next poll: up to `pollingInterval` (30 s by default) later, 15 s on average.

The runs are made twice on one scaler: with SQS streams alone, and beside `--cloudwatch-streams` CloudWatch
push triggers (half of period 300, half of period 60, a metric each) whose reads and checks follow CloudWatch's
period schedule meanwhile. SQS is not period-scheduled (its checks keep their own grid and freshness), so its
push latency must come out the same in both, within the goal.

    .venv/bin/python -m benchmarks.activation [--quick] [--runs 20] [--push-interval 2] [--cloudwatch-streams 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import random
import statistics
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from benchmarks import _common
from kedawatch import settings
from kedawatch.demo import local
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.scaler import server

GOAL = 3.0
"""Seconds from the first message to `true`, at most."""
STREAM_WAIT = 5.0
"""Seconds a stream may take to open or close on the server before the run is abandoned."""
CLOUDWATCH_PERIODS = (300, 60)
"""The periods of the CloudWatch push triggers beside the SQS runs, alternately."""


async def wait_for_streams(scaler: server.ScalerServer, count: int) -> None:
    """Until the scaler reports `count` open streams, so a run never starts before its stream is open."""
    deadline = time.perf_counter() + STREAM_WAIT
    while scaler.metrics.registry.get_sample_value("kedawatch_open_streams") != count:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the scaler did not reach {count} open StreamIsActive streams")
        await asyncio.sleep(0.01)


async def one_run(
    stub: Any, scaler: server.ScalerServer, sqs: Any, name: str, pause: float, answer_within: float, beside: int
) -> float:
    """Seconds from sending the first message until the open stream answers `true`; `beside` other streams
    are open meanwhile."""
    url = str((await asyncio.to_thread(sqs.create_queue, QueueName=f"activation-{name}"))["QueueUrl"])
    call = stub.StreamIsActive(_common.ref(_common.sqs_metadata(url), f"consumer-{name}"))
    try:
        await wait_for_streams(scaler, beside + 1)
        await asyncio.sleep(pause)
        sent = time.perf_counter()
        await asyncio.to_thread(sqs.send_message, QueueUrl=url, MessageBody="wake up")
        answer = await asyncio.wait_for(call.read(), answer_within)
        elapsed = time.perf_counter() - sent
    finally:
        call.cancel()
    if not isinstance(answer, pb.IsActiveResponse) or not answer.result:
        raise RuntimeError(f"the stream ended without answering true: {answer!r}")
    await wait_for_streams(scaler, beside)
    return elapsed


@contextlib.asynccontextmanager
async def cloudwatch_streams(stub: Any, scaler: server.ScalerServer, count: int) -> AsyncIterator[int]:
    """`count` CloudWatch push triggers with their streams open (inactive: their metrics hold no datapoint, so
    none ever pushes), checked and read on CloudWatch's period schedule while the block runs."""
    periods = [CLOUDWATCH_PERIODS[index % len(CLOUDWATCH_PERIODS)] for index in range(count)]
    calls = [
        stub.StreamIsActive(_common.ref(_common.cloudwatch_metadata(f"svc{index}", period), f"cw-{index}"))
        for index, period in enumerate(periods)
    ]
    try:
        await wait_for_streams(scaler, count)
        yield count
    finally:
        for call in calls:
            call.cancel()
        await wait_for_streams(scaler, 0)


@dataclasses.dataclass(frozen=True)
class Measured:
    alone: list[float]
    beside: list[float]
    """Seconds to `true` of each run, alone and beside the CloudWatch streams."""
    cloudwatch_reads: int
    """GetMetricData calls made while the runs beside the CloudWatch streams went on."""
    beside_seconds: float


async def run_all(args: argparse.Namespace) -> Measured:
    """Every run in turn on one scaler and one connection, with a new queue each time: first alone, then beside
    the CloudWatch streams. The same seed draws both sets' waits."""
    hub_settings = settings.HubSettings(sqs_push_interval=args.push_interval)
    with _common.aws_standins() as standins:
        sqs = _common.aws_client("sqs")
        async with local.running_scaler(hub_settings) as scaler, _common.stub_for(scaler.port) as stub:

            async def runs(label: str, beside: int) -> list[float]:
                rng = random.Random(args.seed)
                return [
                    await one_run(stub, scaler, sqs, f"{label}-{index}", rng.uniform(0, args.max_wait), args.timeout,
                                  beside)
                    for index in range(args.runs)
                ]  # fmt: skip

            alone = await runs("alone", 0)
            async with cloudwatch_streams(stub, scaler, args.cloudwatch_streams) as beside:
                reads, started = standins.proxy.calls["GetMetricData"], time.perf_counter()
                latencies = await runs("beside", beside)
                reads, seconds = standins.proxy.calls["GetMetricData"] - reads, time.perf_counter() - started
    return Measured(alone, latencies, reads, seconds)


def report(args: argparse.Namespace, measured: Measured) -> None:
    alone, beside, polling = measured.alone, measured.beside, args.polling_interval
    median_alone, median_beside = statistics.median(alone), statistics.median(beside)
    rows = [
        ["median", f"{median_alone:.2f}", f"{median_beside:.2f}", f"{polling / 2:.1f} (uniform 0..{polling:g})",
         _common.ratio(median_alone, polling / 2), _common.ratio(median_beside, polling / 2)],
        ["max", f"{max(alone):.2f}", f"{max(beside):.2f}", f"{polling:.1f} (pollingInterval)",
         _common.ratio(max(alone), polling), _common.ratio(max(beside), polling)],
    ]  # fmt: skip
    title = f"Activation from zero: {len(alone)} runs each, push interval {args.push_interval:g} s, seconds"
    headers = (
        "statistic", "kedawatch, SQS alone", f"beside {args.cloudwatch_streams} CloudWatch streams",
        "built-in aws-sqs-queue", "ratio alone", "ratio beside",
    )  # fmt: skip
    _common.print_table(title, headers, rows)
    print(f"  alone:  {' '.join(f'{value:.2f}' for value in alone)}")
    print(f"  beside: {' '.join(f'{value:.2f}' for value in beside)}")
    print(
        f"  beside: the CloudWatch triggers (periods {', '.join(map(str, CLOUDWATCH_PERIODS))}) made"
        f" {measured.cloudwatch_reads} GetMetricData calls in those {measured.beside_seconds:.0f} s"
    )
    print(
        f"  goal: max < {GOAL:g} s, SQS push latency unchanged by CloudWatch's period schedule: median"
        f" {median_alone:.2f} s alone, {median_beside:.2f} s beside; max {max(alone):.2f} / {max(beside):.2f} s,"
        f" both within a check every {args.push_interval:g} s plus one read (< {GOAL:g} s):"
        f" {_common.verdict(max(alone) < GOAL and max(beside) < GOAL)}"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    defaults = settings.HubSettings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each set, each with a new queue")
    parser.add_argument("--max-wait", type=float, default=2.0, help="most seconds between opening and sending")
    parser.add_argument("--push-interval", type=float, default=defaults.sqs_push_interval, help="the scaler's")
    parser.add_argument("--polling-interval", type=float, default=30.0, help="KEDA's, for the built-in bound")
    parser.add_argument("--timeout", type=float, default=30.0, help="most seconds to wait for one answer")
    parser.add_argument("--cloudwatch-streams", type=int, default=100, help="CloudWatch push triggers beside")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random waits")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 runs of each set")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 5
    return args


def main(argv: Sequence[str] | None = None) -> None:
    _common.quiet_logs()
    args = parse_args(argv)
    report(args, asyncio.run(run_all(args)))


if __name__ == "__main__":
    main()
