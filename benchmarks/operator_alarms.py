"""The alarm operator against moto: time to Synced under the write quota, AWS calls at rest, and memory.

N CloudWatchMetricAlarm objects are created in the Kubernetes stand-in, then the real operator starts as a
subprocess (`python -m kedawatch operator`) with moto behind a counting proxy as its AWS. Measured:

- the time from the operator's start until every object reports Synced=True, against the floor that
  CloudWatch's PutMetricAlarm quota (3 a second) sets: N/3 s;
- throttling: objects whose conditions ever mention it, lines of the operator's log that do, and (since
  the stand-in never throttles) the most PutMetricAlarm and DescribeAlarms calls the proxy saw arrive in any
  1 s window, retries included, against their quotas (`kedawatch.aws.quotas`);
- at rest: the AWS calls of the resync interval S right after all are Synced, by operation (the state and
  drift timers both run every S and share one batched sweep per region): no writes, ceil(N/100)
  DescribeAlarms and as many GetResources pages, no ListTagsForResource; the most DescribeAlarms in any
  S-long window of the intervals at rest; then further intervals until one makes no write, so writes still
  queued from the creation are counted, and the reads of a quiet interval shown;
- the stop: SIGTERM, the seconds until the operator exited, its exit code, and what it logged from the signal on
  (kopf's "did not exit in time. Leaving it orphaned" among it), against nothing at all;
- memory: a second operator, with write and read rates of 50 a second, until `--memory-alarms` objects (the
  first N and new ones) are Synced, then its resident set size.

    .venv/bin/python -m benchmarks.operator_alarms [--quick] [--alarms 500] [--interval 30] [--memory-alarms 1000]

The default run takes 6 to 10 minutes: N=500 at 3 writes a second is 167 s, then the intervals at rest (as
many as it takes writes to stop) and the memory run. `--quick` takes about a minute.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import contextlib
import dataclasses
import logging
import math
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

import aiohttp.web
import kmock
import kubernetes

from benchmarks import _common
from kedawatch.aws import quotas
from kedawatch.operator.resources import crds
from kedawatch.standins import aws
from kedawatch.standins import kubernetes as standin
from kedawatch.standins.alarms import service as alarm_service

QUOTA = quotas.quota("PutMetricAlarm").calls
"""PutMetricAlarm calls a second: CloudWatch's default quota, which the operator keeps to."""
DESCRIBE_QUOTA = quotas.quota("DescribeAlarms").calls
"""DescribeAlarms calls a second: CloudWatch's default quota; the stand-in has none, so it is checked here."""
SYNC_GOAL = 1.1
"""Time to all Synced, at most this multiple of the quota's floor N/QUOTA."""
RSS_GOAL_MB = 250.0
MEMORY_WRITE_RATE = 50.0
"""--write-rate and --read-rate of the memory run: the quotas do not matter there, only the number of objects held."""
CLUSTER = "bench"
ALARMS, NAMESPACE = crds.METRIC_ALARMS, "default"
WRITES = ("PutMetricAlarm", "TagResource", "UntagResource", "DeleteAlarms")
READS = ("DescribeAlarms", "GetResources", "ListTagsForResource")
POLL_EVERY = 1.0
"""Seconds between lists of the objects while waiting for Synced: the resolution of the time measured."""
SLACK = 120.0
"""Seconds beyond twice the quota's floor before a wait for Synced gives up."""
REQUEST_TIMEOUT = 30.0
"""Seconds any one request to the Kubernetes stand-in may take."""
STOP_TIMEOUT = 20.0
"""Seconds the operator gets to stop after SIGTERM before it is killed."""
STOP_GOAL = 5.0
"""Seconds a stop may take: kopf's own wait for hung tasks at exit."""
THROTTLING = re.compile(r"throttl", re.IGNORECASE)
ORPHANED = re.compile(r"Leaving it orphaned")


# --- the AWS side -----------------------------------------------------------------------------------------


class TimedProxy(aws.CountingProxy):
    """The counting proxy, also keeping when each call arrived, by operation (monotonic seconds)."""

    def __init__(self, upstream: str, port: int = 0, alarms: alarm_service.AlarmService | None = None) -> None:
        super().__init__(upstream, port, alarms)
        self.times: collections.defaultdict[str, list[float]] = collections.defaultdict(list)
        self._times_lock = threading.Lock()

    def record(self, operation: str, body: bytes, queries: int) -> aws.Fault | None:
        fault = super().record(operation, body, queries)
        with self._times_lock:
            self.times[operation].append(time.monotonic())
        return fault

    def reset(self) -> None:
        super().reset()
        with self._times_lock:
            self.times.clear()

    def snapshot(self) -> collections.Counter[str]:
        with self._times_lock:
            return collections.Counter({operation: len(times) for operation, times in self.times.items()})

    def times_of(self, operation: str) -> list[float]:
        with self._times_lock:
            return list(self.times.get(operation, []))


class MotoErrors(logging.Handler):
    """Counts the requests moto failed on (werkzeug logs each with its exception) instead of printing them."""

    def __init__(self) -> None:
        super().__init__()  # every level: werkzeug adds a printing handler of its own unless one takes INFO
        self.errors: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        """werkzeug writes the traceback into the message: keep its last frame's function and the error."""
        if record.levelno < logging.ERROR:
            return
        lines = record.getMessage().strip().splitlines()
        frames = [line.rsplit(" in ", 1)[-1] for line in lines if line.lstrip().startswith("File ")]
        self.errors[f"{lines[-1][:100]} (in {frames[-1] if frames else '?'})"] += 1

    @contextlib.contextmanager
    def installed(self) -> Iterator[MotoErrors]:
        werkzeug = logging.getLogger("werkzeug")
        werkzeug.addHandler(self)
        werkzeug.propagate = False
        try:
            yield self
        finally:
            werkzeug.removeHandler(self)
            werkzeug.propagate = True


def peak_per_window(times: Sequence[float], seconds: float = 1.0) -> int:
    """The most calls that arrived in any window [t, t + seconds), as AWS would count them."""
    ordered = sorted(times)
    ends = (bisect.bisect_left(ordered, start + seconds) - index for index, start in enumerate(ordered))
    return max(ends, default=0)


# --- the Kubernetes side ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Cluster:
    kubeconfig: pathlib.Path
    custom: Any
    """`kubernetes.client.CustomObjectsApi` on the stand-in."""


class ForgetfulApi(standin.KubernetesApi):
    """The Kubernetes stand-in, forgetting each request once it is answered.

    kmock keeps every request it served, for tests' assertions, and routes each new request by scanning them
    all (`request in payload._source` walks the whole log through the filters): time per request grows with
    the requests served so far, so a run of hundreds of objects slows the stand-in to seconds a request and
    the benchmark would time the stand-in, not the operator. The proper fix belongs in
    `kedawatch.standins.kubernetes.KubernetesApi`: an option not to keep answered requests.
    """

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        try:
            return await super()._handle(request)
        finally:
            self._requests[:] = [kept for kept in self._requests if kept is not request]
            for payload in self._payloads:
                payload._requests[:] = [kept for kept in payload._requests if kept is not request]


@contextlib.contextmanager
def kubernetes_standin(folder: pathlib.Path) -> Iterator[Cluster]:
    """The stand-in serving every kedawatch CRD (and KEDA's ScaledObject, as the tests do), on loopback."""
    api = ForgetfulApi()
    for crd in crds.installed():
        api.declare_crd(crd)
    server = standin.ApiServer(api, kubeconfig=folder / "kubeconfig").start()
    try:
        client = kubernetes.config.new_client_from_config(config_file=str(server.kubeconfig))
        with contextlib.closing(client):
            yield Cluster(folder / "kubeconfig", kubernetes.client.CustomObjectsApi(client))
    finally:
        server.stop()


def alarm_name(index: int) -> str:
    return f"alarm-{index:04d}"


def alarm_object(index: int) -> dict[str, Any]:
    """A valid alarm of its own: a metric, dimension and threshold per index."""
    return {
        "apiVersion": ALARMS.api_version,
        "kind": ALARMS.kind,
        "metadata": {"name": alarm_name(index), "namespace": NAMESPACE},
        "spec": {
            "namespace": "Bench",
            "metricName": f"queue_depth_{index % 7}",
            "dimensions": [{"name": "Service", "value": f"svc-{index}"}],
            "statistic": "Maximum",
            "period": 60,
            "evaluationPeriods": 1 + index % 3,
            "threshold": index,
            "comparisonOperator": "GreaterThanOrEqualToThreshold",
        },
    }


def create_alarms(cluster: Cluster, indices: range) -> None:
    for index in indices:
        cluster.custom.create_namespaced_custom_object(
            ALARMS.group,
            ALARMS.version,
            NAMESPACE,
            ALARMS.plural,
            alarm_object(index),
            _request_timeout=REQUEST_TIMEOUT,
        )


def list_alarms(cluster: Cluster) -> list[dict[str, Any]]:
    answer = cluster.custom.list_namespaced_custom_object(
        ALARMS.group, ALARMS.version, NAMESPACE, ALARMS.plural, _request_timeout=REQUEST_TIMEOUT
    )
    return list(answer["items"])


def conditions_of(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list((obj.get("status") or {}).get("conditions") or [])


def is_synced(obj: Mapping[str, Any]) -> bool:
    return any(c.get("type") == "Synced" and c.get("status") == "True" for c in conditions_of(obj))


@dataclasses.dataclass
class Sightings:
    """What the polls saw in the objects' conditions over a run."""

    throttled: set[str] = dataclasses.field(default_factory=set)
    """Objects whose conditions mentioned throttling at least once."""
    failures: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    """Reasons of Synced=False conditions seen, once per object and reason."""
    _seen: set[tuple[str, str]] = dataclasses.field(default_factory=set)

    def note(self, obj: Mapping[str, Any]) -> None:
        name = str(obj["metadata"]["name"])
        for condition in conditions_of(obj):
            if THROTTLING.search(f"{condition.get('reason', '')} {condition.get('message', '')}"):
                self.throttled.add(name)
            if condition.get("type") == "Synced" and condition.get("status") == "False":
                reason = str(condition.get("reason", "?"))
                if (name, reason) not in self._seen:
                    self._seen.add((name, reason))
                    self.failures[reason] += 1


# --- the operator -----------------------------------------------------------------------------------------


class Operator:
    """`python -m kedawatch operator` in a subprocess, its log in a file; stopped with SIGTERM, then killed."""

    def __init__(self, kubeconfig: pathlib.Path, rate: float | None, interval: float, log: pathlib.Path) -> None:
        """`rate`: --write-rate and --read-rate; None keeps to AWS's quotas, as a user's operator does."""
        rates = ["--write-rate", f"{rate:g}", "--read-rate", f"{rate:g}"] if rate is not None else []
        self._command = [
            sys.executable, "-m", "kedawatch", "operator", "--cluster-name", CLUSTER, *rates,
            "--state-interval", f"{interval:g}", "--drift-interval", f"{interval:g}", "--standalone",
            "--metrics-port", "0",
        ]  # fmt: skip
        self._environment = {**os.environ, "KUBECONFIG": str(kubeconfig)}  # AWS_* from use_endpoint
        self._environment.pop("KUBERNETES_SERVICE_HOST", None)  # never in-cluster
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self.started = 0.0
        self.stop_seconds: float | None = None
        """Seconds from SIGTERM until the operator exited (None: killed, or never stopped)."""
        self.log_at_stop = 0
        """The log's size when SIGTERM was sent: what it wrote from then on is the stop's."""

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> Operator:
        self._log_file = self.log.open("wb")
        self.started = time.monotonic()
        self._process = subprocess.Popen(
            self._command,
            env=self._environment,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def check_alive(self) -> None:
        assert self._process is not None
        if self._process.poll() is not None:
            tail = self.log.read_text(errors="replace").splitlines()[-20:]
            raise RuntimeError(f"the operator exited with {self._process.returncode}:\n" + "\n".join(tail))

    def stop(self) -> int | None:
        """SIGTERM, a bounded wait, then SIGKILL; the exit code (negative: the signal that ended it)."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self.log_at_stop = self.log.stat().st_size
            signalled = time.monotonic()
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(STOP_TIMEOUT)
                self.stop_seconds = time.monotonic() - signalled
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(STOP_TIMEOUT)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return self._process.returncode


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB, from /proc."""
    fields = dict(line.split(":", 1) for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


@dataclasses.dataclass(frozen=True)
class LogSummary:
    levels: collections.Counter[str]
    throttling: int
    samples: list[str]
    """Distinct WARNING, ERROR and Traceback lines, a few, shortened."""


def summarize_log(log: pathlib.Path, limit: int = 8, start: int = 0) -> LogSummary:
    """The log's lines from byte `start` on, by level."""
    levels: collections.Counter[str] = collections.Counter()
    throttling, samples = 0, dict[str, None]()
    with log.open("rb") as file:
        file.seek(start)
        text = file.read().decode(errors="replace")
    for line in text.splitlines():
        found = re.search(r" (DEBUG|INFO|WARNING|ERROR|CRITICAL) ", line)
        level = found.group(1) if found else ("Traceback" if line.startswith("Traceback") else "other")
        levels[level] += 1
        throttling += bool(THROTTLING.search(line))
        if level in ("WARNING", "ERROR", "CRITICAL", "Traceback") and len(samples) < limit:
            key = re.sub(r"alarm-\d+|\d+(\.\d+)?", "#", line.split(" ", 2)[-1])[:160]
            samples.setdefault(key)
    return LogSummary(levels, throttling, list(samples))


def wait_synced(cluster: Cluster, operator: Operator, count: int, within: float, seen: Sightings) -> float | None:
    """Seconds from the operator's start until all `count` objects are Synced (None: not within `within`)."""
    while True:
        operator.check_alive()
        objects = list_alarms(cluster)
        for obj in objects:
            seen.note(obj)
        synced = sum(is_synced(obj) for obj in objects)
        elapsed = time.monotonic() - operator.started
        if synced >= count:
            return elapsed
        if elapsed > within:
            print(f"  gave up after {elapsed:.0f} s: {synced}/{count} Synced", flush=True)
            return None
        time.sleep(POLL_EVERY)


def sleep_watching(operator: Operator, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        operator.check_alive()
        time.sleep(min(left, POLL_EVERY))


# --- the three measurements -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Rest:
    """AWS calls by operation in each interval S after all objects were Synced, up to the first without writes."""

    intervals: list[collections.Counter[str]]
    peak_describes: int
    """The most DescribeAlarms in any S-long window of the intervals at rest."""

    @property
    def first(self) -> collections.Counter[str]:
        return self.intervals[0]

    @property
    def quiet(self) -> collections.Counter[str] | None:
        """The first interval without a write, if one came before the deadline."""
        last = self.intervals[-1]
        return None if any(last[op] for op in WRITES) else last

    @property
    def writes(self) -> int:
        return sum(calls[op] for calls in self.intervals for op in WRITES)


@dataclasses.dataclass(frozen=True)
class SyncRun:
    seconds: float | None
    throttled_objects: int
    failures: collections.Counter[str]
    peak_puts: int
    puts: int
    peak_describes: int
    describes: int
    first_put: float | None
    """Seconds from the operator's start to its first PutMetricAlarm: start-up, not paced by the quota."""
    log: LogSummary
    exit_code: int | None
    rest: Rest
    stop: Stop


@dataclasses.dataclass(frozen=True)
class Stop:
    seconds: float | None
    exit_code: int | None
    log: LogSummary
    """What the operator logged from SIGTERM on."""
    orphaned: int
    """kopf's "Leaving it orphaned" lines among it."""


def stop_of(operator: Operator, exit_code: int | None) -> Stop:
    log = summarize_log(operator.log, start=operator.log_at_stop)
    with operator.log.open("rb") as file:
        file.seek(operator.log_at_stop)
        orphaned = len(ORPHANED.findall(file.read().decode(errors="replace")))
    return Stop(operator.stop_seconds, exit_code, log, orphaned)


@dataclasses.dataclass(frozen=True)
class MemoryRun:
    seconds: float | None
    objects: int
    rss_mb: float
    hwm_mb: float
    puts: int
    peak_puts: int
    peak_describes: int
    log: LogSummary
    exit_code: int | None


def sync_deadline(writes: int, rate: float) -> float:
    return 2 * writes / rate + SLACK


def measure_sync(cluster: Cluster, proxy: TimedProxy, args: argparse.Namespace, folder: pathlib.Path) -> SyncRun:
    """N objects created before the operator starts; then Synced, throttling, and one interval at rest."""
    create_alarms(cluster, range(args.alarms))
    seen = Sightings()
    proxy.reset()
    with Operator(cluster.kubeconfig, None, args.interval, folder / "operator-sync.log") as operator:
        seconds = wait_synced(cluster, operator, args.alarms, sync_deadline(args.alarms, QUOTA), seen)
        print(f"  {args.alarms} objects: all Synced after {_seconds(seconds)}", flush=True)
        puts, describes = proxy.times_of("PutMetricAlarm"), proxy.times_of("DescribeAlarms")
        rest = at_rest(proxy, operator, args.interval, sync_deadline(args.alarms, QUOTA))
        exit_code = operator.stop()
    log = summarize_log(operator.log)
    first_put = min(puts) - operator.started if puts else None
    return SyncRun(
        seconds, len(seen.throttled), seen.failures, peak_per_window(puts), len(puts),
        peak_per_window(describes), len(describes), first_put, log, exit_code, rest, stop_of(operator, exit_code),
    )  # fmt: skip


def at_rest(proxy: TimedProxy, operator: Operator, interval: float, within: float) -> Rest:
    """Intervals of S in turn, until one makes no AWS write or `within` seconds have passed."""
    intervals: list[collections.Counter[str]] = []
    describes: list[float] = []
    deadline = time.monotonic() + within
    while not intervals or (any(intervals[-1][op] for op in WRITES) and time.monotonic() < deadline):
        proxy.reset()
        sleep_watching(operator, interval)
        intervals.append(proxy.snapshot())
        describes += proxy.times_of("DescribeAlarms")
        calls = intervals[-1]
        print(f"  at rest, interval {len(intervals)}: {sum(calls.values())} AWS calls, {dict(calls)}", flush=True)
    return Rest(intervals, peak_per_window(describes, interval))


def measure_memory(cluster: Cluster, proxy: TimedProxy, args: argparse.Namespace, folder: pathlib.Path) -> MemoryRun:
    """A fresh operator with a high write rate until `--memory-alarms` objects are Synced: its RSS then."""
    create_alarms(cluster, range(args.alarms, args.memory_alarms))
    proxy.reset()
    with Operator(cluster.kubeconfig, MEMORY_WRITE_RATE, args.interval, folder / "operator-memory.log") as operator:
        new = args.memory_alarms - args.alarms
        seconds = wait_synced(
            cluster, operator, args.memory_alarms, sync_deadline(new, MEMORY_WRITE_RATE) + SLACK, Sightings()
        )
        rss, hwm = memory_mb(operator.pid)
        print(f"  {args.memory_alarms} objects: all Synced after {_seconds(seconds)}, RSS {rss:.0f} MiB", flush=True)
        exit_code = operator.stop()
    puts, describes = proxy.times_of("PutMetricAlarm"), proxy.times_of("DescribeAlarms")
    return MemoryRun(
        seconds, args.memory_alarms, rss, hwm, len(puts), peak_per_window(puts), peak_per_window(describes),
        summarize_log(operator.log), exit_code,
    )  # fmt: skip


# --- the table --------------------------------------------------------------------------------------------


def _seconds(seconds: float | None) -> str:
    return f"{seconds:.1f} s" if seconds is not None else "timeout"


def _at_most(measured: float, goal: float) -> list[object]:
    return [_common.ratio(measured, goal) if goal else "n/a", _common.verdict(measured <= goal)]


def sync_rows(run: SyncRun, alarms: int) -> list[list[object]]:
    floor = alarms / QUOTA
    ratio = run.seconds / floor if run.seconds is not None else math.inf
    return [
        [f"quota floor N/{QUOTA:g}", f"{floor:.1f} s", "", "", ""],
        [
            "time to all Synced",
            _seconds(run.seconds),
            f"ratio <= {SYNC_GOAL:g}",
            f"{ratio:.3f}",
            _common.verdict(ratio <= SYNC_GOAL),
        ],
        ["  first PutMetricAlarm after start", _seconds(run.first_put), "", "", ""],
        ["objects ever Throttling", run.throttled_objects, 0, *_at_most(run.throttled_objects, 0)],
        ["log lines with Throttling", run.log.throttling, 0, *_at_most(run.log.throttling, 0)],
        [
            f"PutMetricAlarm max/1 s ({run.puts} in all)",
            run.peak_puts,
            f"<= {QUOTA:g}",
            *_at_most(run.peak_puts, QUOTA),
        ],
        [
            f"DescribeAlarms max/1 s ({run.describes} in all)",
            run.peak_describes,
            f"<= {DESCRIBE_QUOTA:g}",
            *_at_most(run.peak_describes, DESCRIBE_QUOTA),
        ],
    ]


def rest_rows(rest: Rest, alarms: int, interval: float) -> list[list[object]]:
    calls = rest.first
    rows: list[list[object]] = [[f"at rest: {op}", calls[op], 0, *_at_most(calls[op], 0)] for op in WRITES]
    rows += read_rows("at rest", calls, alarms)
    others = {op: n for op, n in calls.items() if op not in (*WRITES, *READS)}
    rows.append(["at rest: other calls", sum(others.values()), "", "", ""])
    pages = math.ceil(alarms / 100)
    rows.append([f"DescribeAlarms max in any {interval:g} s at rest", rest.peak_describes, pages,
                 *_at_most(rest.peak_describes, pages)])  # fmt: skip
    quiet_after = f"{(len(rest.intervals) - 1) * interval:g} s" if rest.quiet is not None else "never"
    rows.append([f"writes until quiet (after {quiet_after})", rest.writes, 0, *_at_most(rest.writes, 0)])
    if rest.quiet is not None and len(rest.intervals) > 1:
        rows += read_rows("quiet S", rest.quiet, alarms)
    return rows


def read_rows(label: str, calls: collections.Counter[str], alarms: int) -> list[list[object]]:
    """One sweep's reads: ceil(N/100) DescribeAlarms and GetResources pages (the stand-in pages as AWS does, by
    ResourcesPerPage), and no alarm's tags read on their own."""
    pages = math.ceil(alarms / 100)
    describes, tagging, tags = calls["DescribeAlarms"], calls["GetResources"], calls["ListTagsForResource"]
    return [
        [f"{label}: DescribeAlarms", describes, pages, *_at_most(describes, pages)],
        [f"{label}: GetResources", tagging, pages, *_at_most(tagging, pages)],
        [f"{label}: ListTagsForResource", tags, 0, *_at_most(tags, 0)],
    ]


def stop_rows(stop: Stop) -> list[list[object]]:
    loud = sum(stop.log.levels[level] for level in ("WARNING", "ERROR", "CRITICAL", "Traceback"))
    return [
        ["stop after SIGTERM", _seconds(stop.seconds), f"<= {STOP_GOAL:g} s",
         *_at_most(stop.seconds if stop.seconds is not None else math.inf, STOP_GOAL)],
        ["  exit code", stop.exit_code, 0, "", _common.verdict(stop.exit_code == 0)],
        ["  warnings and errors logged at stop", loud, 0, *_at_most(loud, 0)],
        ["  timers left orphaned", stop.orphaned, 0, *_at_most(stop.orphaned, 0)],
    ]  # fmt: skip


def memory_rows(run: MemoryRun, new: int) -> list[list[object]]:
    return [
        [f"RSS with {run.objects} Synced", f"{run.rss_mb:.0f} MiB", f"< {RSS_GOAL_MB:g} MiB",
         _common.ratio(run.rss_mb, RSS_GOAL_MB), _common.verdict(run.rss_mb < RSS_GOAL_MB)],
        ["  peak RSS (VmHWM)", f"{run.hwm_mb:.0f} MiB", "", "", ""],
        [f"  time to {run.objects} Synced at {MEMORY_WRITE_RATE:g}/s", _seconds(run.seconds), "", "", ""],
        ["  PutMetricAlarm on restart", run.puts, f"{new} (new only)", *_ratio_equal(run.puts, new)],
        ["  PutMetricAlarm max/1 s", run.peak_puts, f"<= {MEMORY_WRITE_RATE:g}",
         *_at_most(run.peak_puts, MEMORY_WRITE_RATE)],
        ["  DescribeAlarms max/1 s", run.peak_describes, f"<= {MEMORY_WRITE_RATE:g}",
         *_at_most(run.peak_describes, MEMORY_WRITE_RATE)],
    ]  # fmt: skip


def _ratio_equal(measured: int, goal: int) -> list[object]:
    return [_common.ratio(measured, goal), _common.verdict(measured == goal)]


def report(args: argparse.Namespace, sync: SyncRun, memory: MemoryRun, moto_errors: collections.Counter[str]) -> None:
    rows = [
        *sync_rows(sync, args.alarms),
        *rest_rows(sync.rest, args.alarms, args.interval),
        *stop_rows(sync.stop),
        *memory_rows(memory, args.memory_alarms - args.alarms),
    ]
    title = (
        f"Alarm operator against the AWS stand-in: N={args.alarms} alarms at AWS's quotas,"
        f" state and drift interval S={args.interval:g} s"
    )
    _common.print_table(title, ("measure", "value", "goal", "ratio", "verdict"), rows)
    first = ", ".join(f"{op} {n}" for op, n in sorted(sync.rest.first.items())) or "none"
    print(
        f"  at rest = AWS calls in the interval S right after all were Synced: {first}.\n"
        "  Writes until quiet: in each interval S from then on, until one made no write; quiet S = its reads.\n"
        "  Throttling: the stand-in never throttles, so the proxy's busiest 1 s window of arrivals (start to all\n"
        f"  Synced) stands in for AWS's count: PutMetricAlarm {QUOTA:g}/s, DescribeAlarms {DESCRIBE_QUOTA:g}/s.\n"
        f"  Synced=False reasons seen (objects): {dict(sync.failures) or 'none'}.\n"
        f"  Requests moto failed on (HTTP 500), both runs: {dict(moto_errors) or 'none'}."
    )
    logs = (("sync operator", sync.log, sync.exit_code), ("  from SIGTERM on", sync.stop.log, sync.stop.exit_code),
            ("memory operator", memory.log, memory.exit_code))  # fmt: skip
    for name, run_log, code in logs:
        print(f"  {name}: exit code {code}, log lines by level {dict(run_log.levels)}")
        for sample in run_log.samples:
            print(f"    {sample}")


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="kedawatch-bench-") as temporary:
        folder = pathlib.Path(args.logs or temporary)
        folder.mkdir(parents=True, exist_ok=True)
        with (
            MotoErrors().installed() as moto_errors,
            _common.aws_standins(TimedProxy) as standins,
            kubernetes_standin(folder) as cluster,
        ):
            assert isinstance(standins.proxy, TimedProxy)
            sync = measure_sync(cluster, standins.proxy, args, folder)
            memory = measure_memory(cluster, standins.proxy, args, folder)
    report(args, sync, memory, moto_errors.errors)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alarms", type=int, default=500, help="alarm objects created before the operator starts")
    parser.add_argument("--interval", type=float, default=30.0, help="--state-interval and --drift-interval (s)")
    parser.add_argument(
        "--memory-alarms", type=int, default=1000, help="objects in all for the memory run (at least --alarms)"
    )
    parser.add_argument("--logs", default=None, help="a folder to keep the operators' logs in (else deleted)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 60 alarms, S=10 s, 100 for memory")
    args = parser.parse_args(argv)
    if args.quick:
        args.alarms, args.interval, args.memory_alarms = 60, 10.0, 100
    if args.memory_alarms < args.alarms:
        parser.error("--memory-alarms must be at least --alarms")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    _common.quiet_logs()
    run(parse_args(argv))


if __name__ == "__main__":
    main()
