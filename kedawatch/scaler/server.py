"""The scaler's process: the gRPC server with health and reflection, /metrics, and a graceful stop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
from pathlib import Path

import grpc
import prometheus_client
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from kedawatch import settings, tenancy
from kedawatch.aws import clients, roles
from kedawatch.proto import externalscaler_pb2 as pb
from kedawatch.proto import externalscaler_pb2_grpc as pb_grpc
from kedawatch.scaler import hub, registry, service, sessions, telemetry, timing, triggers

__all__ = ["MAX_MESSAGE_BYTES", "ScalerServer", "run"]

logger = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ExternalScaler"].full_name
MAX_MESSAGE_BYTES = 1024 * 1024
"""KEDA's messages are a few hundred bytes; anything near a megabyte is refused by gRPC itself."""


class ScalerServer:
    """One scaler: build it, `start()` it, `stop()` it. Tests run several in one process."""

    def __init__(self, scaler_settings: settings.ScalerSettings, clock: timing.Clock | None = None) -> None:
        self.settings = scaler_settings
        self.metrics = telemetry.ScalerMetrics()
        self.aws = clients.AwsClients(scaler_settings.aws, self.metrics.observe_aws_call, roles.assume)
        self._executor = concurrent.futures.ThreadPoolExecutor(scaler_settings.aws.workers, "aws")
        hub_settings = scaler_settings.hub
        clock = clock or timing.SystemClock()
        self.hub = hub.MetricHub(
            registry.fetchers(self.aws, hub_settings, self.metrics),
            hub_settings,
            self._executor,
            self.metrics,
            clock,
        )
        default_region = scaler_settings.server.region or self.aws.default_region
        policy = tenancy.load(scaler_settings.server.policy)
        role_sessions = sessions.RoleSessions(policy, scaler_settings.server.cluster_name)
        self.triggers = triggers.TriggerCache(default_region, role_sessions.session)
        """Parsed triggers, as each namespace's RPCs use them (their identity included)."""
        self.service = service.ExternalScalerService(
            self.hub, self.triggers, scaler_settings.server, policy, self.metrics, clock
        )
        self.health = health.aio.HealthServicer()  # type: ignore[attr-defined]  # grpc-stubs predates aio
        self._server: grpc.aio.Server | None = None
        self._metrics_http: object | None = None
        self.port = 0
        self.metrics_port = 0

    async def start(self) -> None:
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                # gRPC cancels calls beyond 1,000 not yet taken up by the server; KEDA sends thousands at once
                # after a restart (one stream per push trigger, one poll per trigger), so allow far more.
                ("grpc.server.max_pending_requests", 20000),
                ("grpc.server.max_pending_requests_hard_limit", 50000),
            ]
        )
        pb_grpc.add_ExternalScalerServicer_to_server(self.service, server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            (
                SERVICE_NAME,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            server,
        )
        address = f"{self.settings.server.host}:{self.settings.server.port}"
        credentials = self._tls_credentials()
        if credentials is None:
            self.port = server.add_insecure_port(address)
        else:
            self.port = server.add_secure_port(address, credentials)
        await server.start()
        self._server = server
        for name in ("", SERVICE_NAME):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self._start_metrics_http()
        logger.info("scaler serving on port %d (tls=%s)", self.port, credentials is not None)

    async def stop(self) -> None:
        """Report NOT_SERVING, end open streams, let in-flight RPCs finish within the grace period, then wait
        for AWS calls."""
        await self.health.enter_graceful_shutdown()
        await self.service.close()
        if self._server is not None:
            await self._server.stop(self.settings.server.grace)
        await self.hub.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._metrics_http is not None:
            self._metrics_http.shutdown()  # type: ignore[attr-defined]
            self._metrics_http.server_close()  # type: ignore[attr-defined]

    async def __aenter__(self) -> ScalerServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait(self) -> None:
        assert self._server is not None
        await self._server.wait_for_termination()

    def _tls_credentials(self) -> grpc.ServerCredentials | None:
        tls = self.settings.server
        if tls.tls_cert is None and tls.tls_key is None:
            return None
        if tls.tls_cert is None or tls.tls_key is None:
            raise ValueError("TLS needs both --tls-cert and --tls-key")
        client_ca = _read(tls.tls_client_ca) if tls.tls_client_ca else None
        return grpc.ssl_server_credentials(
            [(_read(tls.tls_key), _read(tls.tls_cert))],
            root_certificates=client_ca,
            require_client_auth=client_ca is not None,
        )

    def _start_metrics_http(self) -> None:
        if not self.settings.server.metrics_port:
            return
        http, _ = prometheus_client.start_http_server(
            self.settings.server.metrics_port, self.settings.server.host, registry=self.metrics.registry
        )
        self._metrics_http = http
        self.metrics_port = http.server_port


def _read(path: Path) -> bytes:
    return path.read_bytes()


async def run(scaler_settings: settings.ScalerSettings) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully."""
    server = ScalerServer(scaler_settings)
    await server.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    logger.info("stopping: %d s grace for in-flight RPCs", scaler_settings.server.grace)
    await server.stop()
