"""A stand-in for CloudWatch's PromQL query API on loopback, honest about what it is.

What it checks as AWS does: every request's SigV4 signature (service `monitoring`, the region and credentials
it was given; `kedawatch.aws.sigv4` recomputes it with botocore's signer) and refuses a missing, unknown or
wrong one with 403. AWS documents no error body for this API: refusals and injected faults answer as
CloudWatch's JSON protocol does, `{"__type": code, "message": ...}` with `x-amzn-ErrorType`, in the codes and
words of IAM's SigV4 troubleshooting guide.

What answers the query, in this order:
- an answer the test recorded for exactly that query (`record`), Prometheus's JSON as it is, with its status;
- else a real PromQL engine: Debian's `prometheus` binary (`PrometheusEngine`), started on a free loopback
  port with a temporary TSDB, scraping the exporters the test runs; the stand-in forwards the verified
  request's parameters to it and relays its answer byte for byte;
- else a 500 that says no answer was recorded: a test that needs an answer must give one.
With recorded answers only, `time` and `timeout` are still read as Prometheus reads them, and refused with
Prometheus's own 400 `bad_data` text when they do not parse.

What it does not do: CloudWatch's OTLP label scopes (`@resource.`, `@datapoint.`) and UTF-8 names exist only in
Prometheus 3, and Debian ships 2.42; nor the 500-series limit, the preview's quotas, or clock-skew checks.

It counts requests by (query, outcome) (`requests`): the outcome is "ok" or the error code answered.
`inject()` fails requests as AWS does (throttling, 5xx, slowness) until `heal()`; `stop()` closes the port.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kedawatch.aws import sigv4
from kedawatch.standins import aws, loopback

__all__ = ["DUMMY_KEYS", "INTERNAL_ERROR", "REGION", "THROTTLING", "UNAVAILABLE", "PromQLStandin", "PrometheusEngine"]

DUMMY_KEYS = sigv4.Keys(
    aws.DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
    aws.DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    aws.DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"],
)
REGION = aws.DUMMY_CREDENTIALS["AWS_REGION"]

THROTTLING = aws.Fault(429, "Throttling", message="Rate exceeded")
INTERNAL_ERROR = aws.Fault(
    500, "InternalFailure", message="The request processing has failed because of an unknown error."
)
UNAVAILABLE = aws.Fault(503, "ServiceUnavailable", message="Service is unavailable, please try again later.")

QUERY_PATHS = frozenset({"/api/v1/query", "/api/v1/query_range"})
_DURATION = re.compile(r"(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?")
"""Prometheus's duration syntax (model.ParseDuration): units largest first, each at most once."""
_READY_WITHIN = 15.0
"""Seconds Prometheus may take to answer /-/ready; it takes about 0.2 s here."""


@dataclasses.dataclass(frozen=True)
class Recorded:
    """An answer as Prometheus gives it: its JSON body and HTTP status."""

    body: Mapping[str, Any]
    status: int = 200


class PrometheusEngine:
    """Debian's `prometheus` on a free loopback port with a temporary TSDB, scraping `targets` every second.

    `setpriv --pdeathsig` ends it with the thread that started it, should the tests die without stopping it:
    start it from a thread that lives as long as it should (a pytest fixture's).
    """

    BINARY = shutil.which("prometheus")
    """None where Debian's package is not installed (`deploy/install-prometheus.sh`)."""

    def __init__(self, targets: Sequence[str], binary: str | None = None) -> None:
        self.binary = binary or self.BINARY
        if self.binary is None:
            raise FileNotFoundError("no prometheus binary: apt-get install prometheus (deploy/install-prometheus.sh)")
        self.targets = list(targets)
        self.port = aws.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._folder = tempfile.TemporaryDirectory(prefix="kedawatch-prometheus-")
        self._process: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        """The process's id while it runs."""

    def start(self) -> PrometheusEngine:
        config = os.path.join(self._folder.name, "prometheus.yml")
        with open(config, "w") as file:
            json.dump(self._config(), file)  # JSON is YAML
        command = [
            self.binary or "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={os.path.join(self._folder.name, 'data')}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=warn",
        ]
        if shutil.which("setpriv"):
            command = ["setpriv", "--pdeathsig", "TERM", *command]
        log = open(os.path.join(self._folder.name, "prometheus.log"), "wb")  # noqa: SIM115 (the child keeps it)
        with log:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.pid = self._process.pid  # setpriv execs prometheus: the same process
        self._wait_ready()
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = self.pid = None
        self._folder.cleanup()

    def log(self) -> str:
        """What Prometheus logged (warnings and errors), for a failing test's message."""
        with open(os.path.join(self._folder.name, "prometheus.log"), errors="replace") as file:
            return file.read()

    def _config(self) -> dict[str, Any]:
        return {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
            "scrape_configs": [{"job_name": "exporter", "static_configs": [{"targets": self.targets}]}],
        }

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _READY_WITHIN
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self._process.returncode}: {self.log()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                if answer.status == 200:
                    return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"prometheus was not ready within {_READY_WITHIN} s")


Reply = tuple[int, list[tuple[str, str]], bytes, str]
"""An answer's HTTP status, headers and body, and its outcome as counted."""
Chooser = Callable[[str], aws.Fault | None]
"""Given a request's query, the fault it gets, or None to answer it."""


class PromQLStandin:
    """CloudWatch's PromQL query API on 127.0.0.1, for `region` and the credentials `keys` only."""

    def __init__(
        self,
        region: str = REGION,
        keys: sigv4.Keys = DUMMY_KEYS,
        engine: PrometheusEngine | None = None,
        port: int = 0,
    ) -> None:
        """`port` 0 picks a free one; a stopped stand-in's port makes its successor reachable at the same URL."""
        self.region = region
        self.keys = keys
        self.engine = engine
        self.answers: dict[str, Recorded] = {}
        self.requests: collections.Counter[tuple[str, str]] = collections.Counter()
        """Requests received, by (query, outcome): "ok" or the error code answered."""
        self.last: sigv4.Received | None = None
        """The request received last, as it arrived (to check what a client sent)."""
        self.choose: Chooser | None = None
        self._random = random.Random(0)
        self._lock = threading.Lock()
        self._server = loopback.LoopbackServer(self._serve, port)
        self.port = self._server.port
        self.url = self._server.url

    def start(self) -> PromQLStandin:
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut kept-alive connections: the port is closed, as far as clients see."""
        self._server.stop()

    def _serve(self, request: loopback.Request) -> loopback.Answer:
        return self.answer(sigv4.Received(request.method, request.path, request.headers, request.body))

    def record(self, query: str, body: Mapping[str, Any], status: int = 200) -> None:
        """From now on, answer `query` with `body` (Prometheus's JSON) and `status`, whatever the engine says."""
        self.answers[query] = Recorded(body, status)

    def count(self, query: str | None = None) -> int:
        """Requests received (for `query` only, if given), whatever their outcome."""
        with self._lock:
            return sum(n for (asked, _), n in self.requests.items() if query is None or asked == query)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
        self.answers.clear()
        self.heal()

    def inject(self, *faults: aws.Fault, rate: float = 1.0) -> None:
        """From now on, a `rate` share of requests (chosen at random) gets one of `faults`, also at random."""

        def at_random(query: str) -> aws.Fault | None:
            return self._random.choice(faults) if self._random.random() < rate else None

        self.choose = at_random

    def heal(self) -> None:
        self.choose = None

    def answer(self, request: sigv4.Received) -> tuple[int, list[tuple[str, str]], bytes]:
        """The status, headers and body for `request`; counted by query and outcome."""
        path, _, query_string = request.target.partition("?")
        params = _parameters(query_string, request)
        query = params.get("query", "")
        status, headers, body, outcome = self._respond(request, path, params)
        with self._lock:
            self.requests[(query, outcome)] += 1
            self.last = request
        return status, headers, body

    def _respond(self, request: sigv4.Received, path: str, params: dict[str, str]) -> Reply:
        fault = self.choose(params.get("query", "")) if self.choose else None
        if fault is not None:
            time.sleep(fault.delay)
            if fault.status:
                return (*_aws_error(fault.status, fault.code, fault.message or f"injected: {fault.code}"), fault.code)
        refusal = sigv4.verify(request, self.region, self.keys)
        if refusal is not None:
            return (*_aws_error(refusal.status, refusal.code, refusal.message), refusal.code)
        if path not in QUERY_PATHS:
            return (
                *_aws_error(404, "UnknownOperationException", f"no such operation: {path}"),
                "UnknownOperationException",
            )
        recorded = self.answers.get(params.get("query", ""))
        if recorded is not None:
            refused = _unreadable_parameter(params)
            return refused if refused is not None else _json_answer(recorded.status, recorded.body)
        if self.engine is not None:
            return _forward(self.engine.url + path, params)
        text = f"PromQL stand-in: no engine here and no recorded answer for {params.get('query', '')!r}"
        return _json_answer(500, {"status": "error", "errorType": "internal", "error": text})


def _parameters(query_string: str, request: sigv4.Received) -> dict[str, str]:
    """The request's parameters as Prometheus reads them (Go's FormValue): a form body's first, then the URL's,
    the first value of each name winning."""
    pairs: list[tuple[str, str]] = []
    content_type = {k.lower(): v for k, v in request.headers.items()}.get("content-type", "")
    if request.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
        pairs += urllib.parse.parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    pairs += urllib.parse.parse_qsl(query_string, keep_blank_values=True)
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value)
    return params


def _unreadable_parameter(params: Mapping[str, str]) -> Reply | None:
    """Prometheus 2.42's own refusal of a `time` or `timeout` it cannot read, word for word."""
    when = params.get("time")
    if when is not None and not _is_time(when):
        text = f'invalid parameter "time": Invalid time value for \'time\': cannot parse "{when}" to a valid timestamp'
        return _json_answer(400, {"status": "error", "errorType": "bad_data", "error": text})
    timeout = params.get("timeout")
    if timeout is not None and not _is_duration(timeout):
        text = f'invalid parameter "timeout": cannot parse "{timeout}" to a valid duration'
        return _json_answer(400, {"status": "error", "errorType": "bad_data", "error": text})
    return None


def _is_time(text: str) -> bool:
    """Unix seconds (a float) or RFC 3339, as Prometheus's parseTime accepts."""
    try:
        float(text)
        return True
    except ValueError:
        pass
    try:
        time.strptime(re.sub(r"\.\d+", "", text).replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
        return True
    except ValueError:
        return False


def _is_duration(text: str) -> bool:
    try:
        return float(text) >= 0
    except ValueError:
        return text not in ("", "0") and _DURATION.fullmatch(text) is not None


def _json_answer(status: int, body: Mapping[str, Any]) -> Reply:
    outcome = "ok" if 200 <= status < 300 else str(body.get("errorType", f"HTTP{status}"))
    return status, [("Content-Type", "application/json")], json.dumps(body).encode(), outcome


def _aws_error(status: int, code: str, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", "standin")]
    return status, headers, json.dumps({"__type": code, "message": message}).encode()


def _forward(url: str, params: Mapping[str, str]) -> Reply:
    """Ask the engine and relay its answer as it is."""
    form = urllib.parse.urlencode(list(params.items())).encode()
    request = urllib.request.Request(url, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, body, content_type = answer.status, answer.read(), answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as refused:
        status, body, content_type = refused.code, refused.read(), refused.headers.get("Content-Type", "")
    try:
        outcome = "ok" if status < 300 else str(json.loads(body).get("errorType", f"HTTP{status}"))
    except (ValueError, AttributeError):
        outcome = f"HTTP{status}"
    return status, [("Content-Type", content_type)], body, outcome
