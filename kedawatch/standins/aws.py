"""A moto server on loopback, and a proxy in front of it that counts every AWS call and can inject faults."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import http.client
import http.server
import json
import logging
import os
import random
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from moto.server import ThreadedMotoServer

__all__ = [
    "DUMMY_CREDENTIALS",
    "INTERNAL_ERROR",
    "THROTTLING",
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
    `choose` picks the calls to fail by their content, for what AWS refuses and moto accepts.
    """

    def __init__(self, upstream: str, port: int = 0) -> None:
        """`port` 0 picks a free one; a stopped proxy's port makes its successor reachable at the same URL."""
        self.upstream = upstream.removeprefix("http://")
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
                operation, queries = _operation_of(self.path, self.headers, body)
                fault = proxy.record(operation, body, queries)
                if fault is not None:
                    time.sleep(fault.delay)
                    if fault.status:
                        self._answer(fault.status, *_error_body(fault, self.headers))
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


def _error_body(fault: Fault, request_headers: Any) -> tuple[list[tuple[str, str]], bytes]:
    """AWS's error answer in the request's protocol. SQS and CloudWatch are "query compatible": botocore
    takes the code from the x-amzn-query-error header in JSON and CBOR, so those bodies carry only a message.
    """
    code, message = fault.code, fault.message or f"injected by the test proxy: {fault.code}"
    query_error = [("x-amzn-query-error", f"{code};Sender"), ("x-amzn-RequestId", "injected")]
    if request_headers.get("X-Amz-Target"):
        body = json.dumps({"__type": code, "message": message}).encode()
        return [("Content-Type", "application/x-amz-json-1.0"), *query_error], body
    if request_headers.get("smithy-protocol"):
        return [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"), *query_error], b""
    xml = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
    return [("Content-Type", "text/xml"), *query_error], f"{xml}</ErrorResponse>".encode()


def _operation_of(path: str, headers: Any, body: bytes) -> tuple[str, int]:
    """The API operation, from whichever protocol botocore chose, and the number of metric queries it asks.

    JSON names it in X-Amz-Target, Smithy RPCv2 CBOR (CloudWatch) in the path, the query protocol in Action.
    A query's "Id" key is counted in the body: CBOR encodes the text "Id" as the bytes 0x62 'I' 'd'.
    """
    target = headers.get("X-Amz-Target", "")
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif "/operation/" in path:
        operation = path.rsplit("/", 1)[-1]
    else:
        operation = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", ["Unknown"])[0]
    if operation != "GetMetricData":
        return operation, 0
    return operation, body.count(b"\x62Id") + body.count(b'"Id"') + body.count(b".Id=")
