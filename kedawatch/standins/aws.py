"""The AWS stand-in: moto on loopback, behind a proxy that counts every AWS call, can inject faults, and sends
the CloudWatch alarm calls moto lacks to the in-memory alarm service (`kedawatch.standins.alarms`)."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import http.client
import http.server
import logging
import os
import random
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from moto.server import ThreadedMotoServer

from kedawatch.aws import wire
from kedawatch.standins.alarms import service as alarm_service
from kedawatch.standins.alarms import serving

__all__ = [
    "DUMMY_CREDENTIALS",
    "INTERNAL_ERROR",
    "THROTTLING",
    "AwsStandIn",
    "CountingProxy",
    "Fault",
    "MotoServer",
    "free_port",
    "restore_environment",
    "slow",
    "use_endpoint",
]

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MotoServer:
    """moto in server mode on a fixed loopback port, so it can be stopped and started again at the same URL."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> MotoServer:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")).close()


def use_endpoint(url: str) -> dict[str, str | None]:
    """Point boto3 at `url` with dummy credentials; returns the previous environment to restore."""
    wanted = {**DUMMY_CREDENTIALS, "AWS_ENDPOINT_URL": url}
    previous = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    return previous


def restore_environment(previous: dict[str, str | None]) -> None:
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@dataclasses.dataclass(frozen=True)
class Fault:
    """What the proxy does to a call instead of (or before) forwarding it."""

    status: int = 0
    """The HTTP status to answer with AWS's error `code`, without forwarding; 0 forwards the call."""
    code: str = ""
    delay: float = 0.0
    """Seconds to wait before answering: longer than the client's read timeout, and the call times out."""
    message: str = ""
    """AWS's words for the error; by default, that the proxy injected it."""


THROTTLING = Fault(400, "Throttling")
INTERNAL_ERROR = Fault(500, "InternalFailure")


def slow(seconds: float) -> Fault:
    return Fault(delay=seconds)


Chooser = Callable[[str, bytes], Fault | None]
"""Given a call's operation and request body, the fault it gets, or None to forward it as it is."""


class CountingProxy:
    """Forwards HTTP to an upstream AWS stand-in and counts each call by operation, at the HTTP level.

    Counts GetMetricData's queries too (`metrics_requested`), since CloudWatch bills per metric requested.
    `inject()` makes it fail a share of calls as AWS does (throttling, 500s, slowness) until `heal()`;
    `choose` picks the calls to fail by their content, for what AWS refuses and the stand-in accepts.
    Given `alarms`, the calls that service answers are answered here, after counting and faults, not forwarded.
    """

    def __init__(self, upstream: str, port: int = 0, alarms: alarm_service.AlarmService | None = None) -> None:
        """`port` 0 picks a free one; a stopped proxy's port makes its successor reachable at the same URL."""
        self.upstream = upstream.removeprefix("http://")
        self.alarms = alarms
        self.calls: collections.Counter[str] = collections.Counter()
        self.metrics_requested = 0
        self.injected: collections.Counter[str] = collections.Counter()
        """Faults injected so far, by AWS error code (or "slow")."""
        self._connections: set[socket.socket] = set()
        self.choose: Chooser | None = None
        self._random = random.Random(0)
        self._lock = threading.Lock()
        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def start(self) -> CountingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut the kept-alive connections too: the endpoint is gone, as far as clients see."""
        self._http.shutdown()
        self._http.server_close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.metrics_requested = 0

    def inject(self, *faults: Fault, rate: float = 1.0) -> None:
        """From now on, a `rate` share of calls (chosen at random) gets one of `faults`, also at random."""

        def at_random(operation: str, body: bytes) -> Fault | None:
            return self._random.choice(faults) if self._random.random() < rate else None

        self.choose = at_random

    def heal(self) -> None:
        self.choose = None

    def record(self, operation: str, body: bytes, queries: int) -> Fault | None:
        """Count the call; the fault it gets, if any."""
        with self._lock:
            self.calls[operation] += 1
            self.metrics_requested += queries
            fault = self.choose(operation, body) if self.choose else None
            if fault is not None:
                self.injected[fault.code or "slow"] += 1
            return fault

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes: without this, +40 ms a call

            def handle(self) -> None:
                with proxy._lock:
                    proxy._connections.add(self.connection)
                try:
                    with contextlib.suppress(ConnectionResetError, BrokenPipeError):  # the client gave up
                        super().handle()
                finally:
                    with proxy._lock:
                        proxy._connections.discard(self.connection)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request_headers = dict(self.headers.items())
                request = wire.recognise(self.path, request_headers, body)
                fault = proxy.record(request.operation, body, _queries(request.operation, body))
                if fault is not None:
                    time.sleep(fault.delay)
                    if fault.status:
                        message = fault.message or f"injected by the test proxy: {fault.code}"
                        self._answer(*wire.error_answer(request.protocol, fault.code, message, fault.status))
                        return
                served = serving.answer(proxy.alarms, self.path, request_headers, body) if proxy.alarms else None
                if served is not None:
                    self._answer(*served)
                    return
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
                upstream.request("POST", self.path, body, dict(self.headers.items()))
                answer = upstream.getresponse()
                headers = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP]
                self._answer(answer.status, headers, answer.read())
                upstream.close()

            def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    self.send_response(status)
                    for name, value in headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


_HOP_BY_HOP = ("transfer-encoding", "connection", "content-length")


def _queries(operation: str, body: bytes) -> int:
    """The number of metric queries a GetMetricData call asks, counted in the body in either of its protocols:
    CBOR encodes the text "Id" as the bytes 0x62 'I' 'd', JSON as "Id"."""
    if operation != "GetMetricData":
        return 0
    return body.count(b"\x62Id") + body.count(b'"Id"') + body.count(b".Id=")


class AwsStandIn:
    """The AWS the tests, the demo and the benchmarks run on: moto behind a counting proxy that answers the
    CloudWatch alarm calls from the in-memory alarm service. Point boto3 at `url`; `reset()` empties both."""

    def __init__(self, proxy_class: type[CountingProxy] = CountingProxy) -> None:
        self.moto = MotoServer()
        self.alarms = alarm_service.AlarmService()
        self.proxy = proxy_class(self.moto.url, alarms=self.alarms)
        self.url = self.proxy.url

    def start(self) -> AwsStandIn:
        self.moto.start()
        self.proxy.start()
        return self

    def stop(self) -> None:
        self.proxy.stop()
        self.moto.stop()

    def reset(self) -> None:
        """Empty moto and the alarm service, and zero the proxy's counts."""
        self.moto.reset()
        self.alarms.reset()
        self.proxy.reset()
