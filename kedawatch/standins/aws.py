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
from collections.abc import Callable, Iterator

from moto.server import ThreadedMotoServer

from kedawatch.aws import wire
from kedawatch.standins import loopback
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
    "pointed_at",
    "slow",
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


@contextlib.contextmanager
def pointed_at(url: str | None) -> Iterator[None]:
    """boto3 pointed at `url` (None: wherever it pointed) with the stand-ins' dummy credentials, and the
    environment as it was afterwards."""
    wanted = {**DUMMY_CREDENTIALS, **({"AWS_ENDPOINT_URL": url} if url else {})}
    previous = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
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
    rewrite: Callable[[bytes], bytes] | None = None
    """Forward the call, then pass upstream's answer body through this: for answers AWS may give and moto
    never does (an attribute left out, a result missing)."""


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
        """Faults injected so far, by AWS error code (or "slow", "rewritten")."""
        self.choose: Chooser | None = None
        self._random = random.Random(0)
        self._lock = threading.Lock()
        self._server = loopback.LoopbackServer(self._respond, port)
        self.url = self._server.url

    def start(self) -> CountingProxy:
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut the kept-alive connections too: the endpoint is gone, as far as clients see."""
        self._server.stop()

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
                self.injected[fault.code or ("rewritten" if fault.rewrite else "slow")] += 1
            return fault

    def _respond(self, request: loopback.Request) -> loopback.Answer:
        """Count the call; answer it with its fault, from the alarm service, or from upstream."""
        recognised = wire.recognise(request.path, request.headers, request.body)
        fault = self.record(recognised.operation, request.body, _queries(recognised.operation, request.body))
        if fault is not None:
            time.sleep(fault.delay)
            if fault.status:
                message = fault.message or f"injected by the test proxy: {fault.code}"
                return wire.error_answer(recognised.protocol, fault.code, message, fault.status)
        served = serving.answer(self.alarms, request.path, request.headers, request.body) if self.alarms else None
        if served is not None:
            return served
        status, headers, body = self._forward(request)
        return status, headers, fault.rewrite(body) if fault is not None and fault.rewrite else body

    def _forward(self, request: loopback.Request) -> loopback.Answer:
        upstream = http.client.HTTPConnection(self.upstream, timeout=30)
        try:
            upstream.request(request.method, request.path, request.body, request.headers)
            answer = upstream.getresponse()
            headers = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP]
            return answer.status, headers, answer.read()
        finally:
            upstream.close()


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
