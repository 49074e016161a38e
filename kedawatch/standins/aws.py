"""A moto server on loopback, and a counting proxy in front of it that sees every AWS call on the wire and
can answer some of them with an AWS error instead (for the checks moto does not make)."""

from __future__ import annotations

import collections
import contextlib
import http.client
import http.server
import json
import logging
import os
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from moto.server import ThreadedMotoServer

__all__ = ["CountingProxy", "MotoServer", "Refusal", "free_port", "restore_environment", "use_endpoint"]

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


Refusal = Callable[[str, bytes], tuple[str, str] | None]
"""Given an operation and its request body, the AWS error code and message to answer instead, or None to forward."""


class CountingProxy:
    """Forwards HTTP to an upstream AWS stand-in and counts each call by operation, at the HTTP level.

    Counts GetMetricData's queries too (`metrics_requested`), since CloudWatch bills per metric requested.
    `refuse` answers the calls it picks with an HTTP 400 error in the AWS JSON protocol (the one botocore
    chooses for CloudWatch), for what AWS refuses and moto accepts; refused calls are counted too.
    """

    def __init__(self, upstream: str, refuse: Refusal | None = None) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.refuse = refuse
        self.calls: collections.Counter[str] = collections.Counter()
        self.metrics_requested = 0
        self._lock = threading.Lock()
        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def start(self) -> CountingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.metrics_requested = 0

    def record(self, operation: str, queries: int) -> None:
        with self._lock:
            self.calls[operation] += 1
            self.metrics_requested += queries

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes: without this, +40 ms a call

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                operation, queries = _operation_of(self.path, self.headers, body)
                proxy.record(operation, queries)
                refusal = proxy.refuse(operation, body) if proxy.refuse else None
                if refusal is not None:
                    code, message = refusal
                    error = json.dumps({"__type": code, "message": message}).encode()
                    self._answer(400, [("Content-Type", self.headers.get("Content-Type", ""))], error)
                    return
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
                upstream.request("POST", self.path, body, dict(self.headers.items()))
                answer = upstream.getresponse()
                headers = [(name, value) for name, value in answer.getheaders() if name.lower() not in _HOP_BY_HOP]
                self._answer(answer.status, headers, answer.read())
                upstream.close()

            def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


_HOP_BY_HOP = ("transfer-encoding", "connection", "content-length")


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
