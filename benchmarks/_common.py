"""What every benchmark shares: AWS stand-ins on loopback, a scaler, KEDA's call pattern, plain-text tables.

Everything listens on 127.0.0.1 only, and every wait here is bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import datetime
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import socketserver
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, Self, TypeVar

import boto3
import botocore.config
import grpc

from kedawatch.demo import keda
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc
from kedawatch.standins import aws
from kedawatch.standins.clock import FakeClock

__all__ = [
    "LOOPBACK",
    "ChildProcess",
    "KedaLoad",
    "ServerProcess",
    "aws_client",
    "aws_standins",
    "cached_builtin_calls",
    "cloudwatch_metadata",
    "gather_bounded",
    "keda_cycle",
    "kedawatch_server",
    "percentile",
    "print_table",
    "put_datapoints",
    "quiet_logs",
    "ratio",
    "ref",
    "sqs_metadata",
    "stub_for",
    "threaded",
    "verdict",
    "while_time_passes",
]

LOOPBACK = "127.0.0.1"
HPA_DEADLINE = 3.0
"""Seconds KEDA's HPA path gives an external scaler (its poll path has none)."""
POLL_DEADLINE = 30.0
"""Our bound on the poll path, which KEDA leaves unbounded: every wait in a benchmark must end."""
DRIVER_TIMEOUT = 300.0
"""Seconds a driver process may take for one tick before the benchmark gives up."""

T = TypeVar("T")
R = TypeVar("R")


def quiet_logs() -> None:
    """The scaler logs every timed-out RPC; benchmarks count failures themselves and print them once."""
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("kedawatch").setLevel(logging.ERROR)


# --- trigger metadata -------------------------------------------------------------------------------------


def sqs_metadata(queue_url: str) -> dict[str, str]:
    """An aws-sqs-queue trigger as a user writes it."""
    return {"queueURL": queue_url, "queueLength": "5"}


def cloudwatch_metadata(dimension_value: str, period: int = 60, collection: int = 300) -> dict[str, str]:
    """An aws-cloudwatch trigger as a user writes it; distinct dimension values make distinct metrics."""
    return {
        "namespace": "App",
        "metricName": "M",
        "dimensionName": "Service",
        "dimensionValue": dimension_value,
        "targetMetricValue": "10",
        "metricStatPeriod": str(period),
        "metricCollectionTime": str(collection),
        "awsRegion": "us-east-1",
    }


def ref(metadata: dict[str, str], name: str) -> pb.ScaledObjectRef:
    return pb.ScaledObjectRef(name=name, namespace="bench", scalerMetadata=metadata)


# --- AWS stand-ins ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def aws_standins(proxy_class: type[aws.CountingProxy] = aws.CountingProxy) -> Iterator[aws.AwsStandIn]:
    """The AWS stand-in (moto and the alarm service behind the counting proxy, or a subclass of it that records
    more), with boto3 pointed at the proxy.

    The proxy answers in two TCP writes (headers, then body); with Nagle's algorithm on, the client's
    delayed ACK holds the body back ~40 ms, capping a client thread at ~20 calls a second. Turning Nagle off
    for every socketserver handler in this process removes that stall (the proper fix belongs in
    `kedawatch.standins.aws.CountingProxy`: `disable_nagle_algorithm = True` on its handler).
    """
    socketserver.StreamRequestHandler.disable_nagle_algorithm = True
    standins = aws.AwsStandIn(proxy_class).start()
    try:
        with aws.pointed_at(standins.url):
            yield standins
    finally:
        standins.stop()


def aws_client(service: Literal["sqs", "cloudwatch"], endpoint: str | None = None) -> Any:
    """A boto3 client for set-up and for the built-in baseline, with a connection per worker thread; through
    the proxy unless given another `endpoint` (moto's own URL: writes that are neither counted nor failed)."""
    config = botocore.config.Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 2})
    return boto3.client(service, config=config, endpoint_url=endpoint)


def put_datapoints(client: Any, values: Mapping[str, float], timestamp: datetime.datetime) -> None:
    """One datapoint of App/M per dimension value (Service=...), in as few PutMetricData calls as allowed."""
    items = list(values.items())
    for start in range(0, len(items), 1000):
        data = [
            {"MetricName": "M", "Dimensions": [{"Name": "Service", "Value": service}], "Value": value,
             "Timestamp": timestamp}
            for service, value in items[start : start + 1000]
        ]  # fmt: skip
        client.put_metric_data(Namespace="App", MetricData=data)


def threaded(function: Callable[[T], R], items: Iterable[T], workers: int = 8) -> list[R]:
    """Blocking AWS calls side by side: one thread gets ~125 moto calls a second, moto handles more."""
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(function, items))


# --- the scaler and its clients ---------------------------------------------------------------------------


class ServerProcess:
    """A gRPC server in a child process on a free loopback port; its CPU time, RSS, threads and open file
    descriptors come from /proc."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.port = aws.free_port()
        self._argv = [*argv, "--port", str(self.port)]
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self._process = subprocess.Popen(self._argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._process is not None
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        return self._status_field("VmRSS") / 1024

    def threads(self) -> int:
        return self._status_field("Threads")

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def _status_field(self, name: str) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            line = next(line for line in status if line.startswith(f"{name}:"))
        return int(line.split()[1])


def kedawatch_server(*flags: str, metrics_port: int = 0) -> ServerProcess:
    """The real CLI in a process of its own, reaching AWS through this process's environment (the proxy)."""
    return ServerProcess(
        [sys.executable, "-m", "kedawatch", "scaler", "--host", LOOPBACK, "--metrics-port", str(metrics_port),
         "--log-level", "ERROR", *flags]
    )  # fmt: skip


async def while_time_passes(clock: FakeClock, work: Awaitable[T], step: float) -> T:
    """`work`, moving `clock` on by `step` for each `step` of real time it takes: the scaler's reads gather on
    its clock, so a tick takes simulated time too (as a real one takes real time)."""
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.wait({task}, timeout=step)
        if not task.done():
            await clock.advance(step)
    return task.result()


@contextlib.asynccontextmanager
async def stub_for(port: int, ready_timeout: float = 20.0) -> AsyncIterator[Any]:
    """One HTTP/2 connection to a scaler, as KEDA keeps one per scaler address; waits until it is up."""
    async with grpc.aio.insecure_channel(f"{LOOPBACK}:{port}") as channel:
        await asyncio.wait_for(channel.channel_ready(), ready_timeout)
        yield pb_grpc.ExternalScalerStub(channel)


async def gather_bounded(coroutines: Iterable[Coroutine[Any, Any, None]], limit: int) -> None:
    """Run all, at most `limit` at once: enough in flight to look like KEDA's goroutines, not unbounded."""
    semaphore = asyncio.Semaphore(limit)

    async def run(coroutine: Coroutine[Any, Any, None]) -> None:
        async with semaphore:
            await coroutine

    await asyncio.gather(*(run(coroutine) for coroutine in coroutines))


async def keda_cycle(
    stub: Any, scaled_object: pb.ScaledObjectRef, deadline: float, failures: collections.Counter[str]
) -> None:
    """One evaluation as KEDA makes it: GetMetricSpec, GetMetrics for the spec's metric, then IsActive.

    KEDA stops at the first failed RPC, and so does this; failures are counted by gRPC status code.
    """
    try:
        await keda.evaluate(stub, scaled_object, deadline)
    except grpc.aio.AioRpcError as exc:
        failures[exc.code().name] += 1


async def keda_tick(
    stub: Any, refs: Sequence[pb.ScaledObjectRef], poll_too: bool, limit: int
) -> collections.Counter[str]:
    """Every trigger at one instant: the HPA sync (3 s deadline) and, every other tick, KEDA's poll too."""
    failures: collections.Counter[str] = collections.Counter()
    deadlines = (HPA_DEADLINE, POLL_DEADLINE) if poll_too else (HPA_DEADLINE,)
    cycles = (keda_cycle(stub, scaled, deadline, failures) for scaled in refs for deadline in deadlines)
    await gather_bounded(cycles, limit)
    return failures


class ChildProcess:
    """`target(conn, *args)` in a spawned process of its own, talking to this one over a pipe, so that a load
    generator never competes with this process (and its in-process stand-ins) for the GIL.

    On exit it is sent None (its cue to stop), given 10 s, then killed.
    """

    def __init__(self, target: Callable[..., None], *args: object) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self._process = context.Process(target=target, args=(child, *args), daemon=True)

    def __enter__(self) -> Self:
        self._process.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)

    async def receive(self, within: float) -> Any:
        """The child's next message, waited for (at most `within` seconds) in a thread so the loop goes on."""
        return await asyncio.to_thread(self._receive, within)

    def _receive(self, within: float) -> Any:
        if not self.conn.poll(within):
            raise TimeoutError(f"the child process sent nothing within {within:.0f} s")
        return self.conn.recv()


class KedaLoad(ChildProcess):
    """KEDA's side of the call pattern in a process of its own, so the scaler under test keeps its core.

    The benchmark process owns the scaler and its fake clock; it tells the driver when a tick happens and
    waits for the driver's failure counts before moving the clock on.
    """

    def __init__(self, port: int, concurrency: int) -> None:
        super().__init__(_drive, port, concurrency)

    async def tick(self, metadatas: Sequence[dict[str, str]], poll_too: bool) -> collections.Counter[str]:
        """One tick for these triggers; the metadata is sent each time so the driver holds no state."""
        self.conn.send((list(metadatas), poll_too))
        answer: collections.Counter[str] = await self.receive(DRIVER_TIMEOUT)
        return answer


def _drive(conn: multiprocessing.connection.Connection, port: int, concurrency: int) -> None:
    asyncio.run(_drive_ticks(conn, port, concurrency))


async def _drive_ticks(conn: multiprocessing.connection.Connection, port: int, concurrency: int) -> None:
    """The driver process's loop: one tick per message, until the benchmark sends None."""
    async with stub_for(port) as stub:
        while (message := await asyncio.to_thread(_next_message, conn)) is not None:
            metadatas, poll_too = message
            refs = [ref(metadata, f"so-{index}") for index, metadata in enumerate(metadatas)]
            conn.send(await keda_tick(stub, refs, poll_too, concurrency))


def _next_message(conn: multiprocessing.connection.Connection) -> Any:
    """The next tick, or None when the benchmark is gone or silent for too long."""
    if not conn.poll(DRIVER_TIMEOUT):
        return None
    try:
        return conn.recv()
    except EOFError:
        return None


# --- KEDA's built-in scalers -------------------------------------------------------------------------------


def cached_builtin_calls(poll: bool, recorded: bool) -> int:
    """AWS calls of one evaluation of a built-in trigger with `useCachedMetrics: true`, as KEDA's scale handler
    makes them (pkg/scaling/scale_handler.go). A poll (checkScalers, getScalerState) always calls the scaler's
    GetMetricsAndActivity, which is one AWS call, and stores its record in the metrics cache (StoreRecords).
    The HPA's read (GetScaledObjectMetrics) is served that record once a poll has stored one (ReadRecord), and
    calls the scaler itself before that. A record never expires; each poll replaces it."""
    return 1 if poll or not recorded else 0


# --- reporting --------------------------------------------------------------------------------------------


def ratio(ours: float, theirs: float) -> str:
    """ours/theirs, or n/a when there is nothing to compare against."""
    return f"{ours / theirs:.3f}" if theirs else "n/a"


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank); NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Right-aligned columns, so ratios measured in one run read side by side."""
    cells = [list(headers), *([str(value) for value in row] for row in rows)]
    widths = [max(len(line[column]) for line in cells) for column in range(len(headers))]
    lines = ["  ".join(value.rjust(width) for value, width in zip(line, widths, strict=True)) for line in cells]
    print(f"\n{title}")
    print(lines[0])
    print("-" * len(lines[0]))
    print("\n".join(lines[1:]), flush=True)
