"""An HTTP/1.1 server on 127.0.0.1 for the stand-ins, each request answered in a thread of its own.

Stopping it also cuts the connections clients keep alive: otherwise a "stopped" endpoint goes on answering on a
pooled connection, and a test of an endpoint going away would not be one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import socket
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Answer", "LoopbackServer", "Request"]


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, list[tuple[str, str]], bytes]
"""An answer's HTTP status, headers (Content-Length is added) and body."""


class LoopbackServer:
    def __init__(self, respond: Callable[[Request], Answer], port: int = 0) -> None:
        """`port` 0 picks a free one; a stopped server's port makes its successor reachable at the same URL."""
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._http = _Server(("127.0.0.1", port), _handler(self, respond))
        self._http.daemon_threads = True
        self.port = int(self._http.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        # A short poll interval, so that stopping takes milliseconds rather than half a second.
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.02,), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and cut kept-alive connections: the endpoint is gone, as far as clients see."""
        self._http.shutdown()
        self._http.server_close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
    """Connections waiting to be accepted, as AWS's endpoints take many at once; socketserver's 5 drops the
    rest while the accepting thread waits for the GIL, and their clients' connects time out."""


def _handler(server: LoopbackServer, respond: Callable[[Request], Answer]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go in two writes: without this, +40 ms a request

        def handle(self) -> None:
            server._opened(self.connection)
            try:
                with contextlib.suppress(ConnectionResetError, BrokenPipeError):  # the client gave up
                    super().handle()
            finally:
                server._closed(self.connection)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, headers, payload = respond(Request(self.command, self.path, dict(self.headers.items()), body))
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client stopped waiting
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
