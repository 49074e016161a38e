"""Scale-from-zero latency: from the first message in an empty SQS queue to `true` on a StreamIsActive stream.

Each run makes a new queue, opens the stream (as KEDA's external-push keeps one open per trigger), waits a
random 0 to `--max-wait` seconds so the message lands anywhere on the push grid, sends one message and times
the stream's first answer. Real clock throughout. KEDA's built-in aws-sqs-queue scaler notices the message
only at its next poll: up to `pollingInterval` (30 s by default) later, 15 s on average.

    .venv/bin/python -m benchmarks.activation [--quick] [--runs 20] [--push-interval 2]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Sequence
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


async def wait_for_streams(scaler: server.ScalerServer, count: int) -> None:
    """Until the scaler reports `count` open streams, so a run never starts before its stream is open."""
    deadline = time.perf_counter() + STREAM_WAIT
    while scaler.metrics.registry.get_sample_value("kedawatch_open_streams") != count:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the scaler did not reach {count} open StreamIsActive streams")
        await asyncio.sleep(0.01)


async def one_run(
    stub: Any, scaler: server.ScalerServer, sqs: Any, index: int, pause: float, answer_within: float
) -> float:
    """Seconds from sending the first message until the open stream answers `true`."""
    url = str((await asyncio.to_thread(sqs.create_queue, QueueName=f"activation-{index}"))["QueueUrl"])
    call = stub.StreamIsActive(_common.ref(_common.sqs_metadata(url), f"consumer-{index}"))
    try:
        await wait_for_streams(scaler, 1)
        await asyncio.sleep(pause)
        sent = time.perf_counter()
        await asyncio.to_thread(sqs.send_message, QueueUrl=url, MessageBody="wake up")
        answer = await asyncio.wait_for(call.read(), answer_within)
        elapsed = time.perf_counter() - sent
    finally:
        call.cancel()
    if not isinstance(answer, pb.IsActiveResponse) or not answer.result:
        raise RuntimeError(f"the stream ended without answering true: {answer!r}")
    await wait_for_streams(scaler, 0)
    return elapsed


async def run_all(args: argparse.Namespace) -> list[float]:
    """Every run in turn on one scaler and one connection, with a new queue each time."""
    rng = random.Random(args.seed)
    hub_settings = settings.HubSettings(sqs_push_interval=args.push_interval)
    with _common.aws_standins():
        sqs = _common.aws_client("sqs")
        async with local.running_scaler(hub_settings) as scaler, _common.stub_for(scaler.port) as stub:
            return [
                await one_run(stub, scaler, sqs, index, rng.uniform(0, args.max_wait), args.timeout)
                for index in range(args.runs)
            ]


def report(args: argparse.Namespace, latencies: Sequence[float]) -> None:
    median, worst = statistics.median(latencies), max(latencies)
    polling = args.polling_interval
    rows = [
        ["median", f"{median:.2f}", f"{polling / 2:.1f} (uniform 0..{polling:g})", _common.ratio(median, polling / 2)],
        ["max", f"{worst:.2f}", f"{polling:.1f} (pollingInterval)", _common.ratio(worst, polling)],
    ]
    title = f"Activation from zero: {len(latencies)} runs, push interval {args.push_interval:g} s, seconds"
    _common.print_table(title, ("statistic", "kedawatch", "built-in aws-sqs-queue", "ratio"), rows)
    print(f"  every run: {' '.join(f'{value:.2f}' for value in latencies)}")
    print(f"  goal: max < {GOAL:g} s: {_common.verdict(worst < GOAL)}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    defaults = settings.HubSettings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs, each with a new queue")
    parser.add_argument("--max-wait", type=float, default=2.0, help="most seconds between opening and sending")
    parser.add_argument("--push-interval", type=float, default=defaults.sqs_push_interval, help="the scaler's")
    parser.add_argument("--polling-interval", type=float, default=30.0, help="KEDA's, for the built-in bound")
    parser.add_argument("--timeout", type=float, default=30.0, help="most seconds to wait for one answer")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random waits")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 runs")
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
