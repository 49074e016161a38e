"""The real scaler on a free loopback port, without its /metrics listener: as the demo, the tests and the
benchmarks run it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from kedawatch import settings
from kedawatch.scaler import server, timing

__all__ = ["LOOPBACK", "running_scaler"]

LOOPBACK = settings.ServerSettings(host="127.0.0.1", port=0, metrics_port=0)


@contextlib.asynccontextmanager
async def running_scaler(
    hub: settings.HubSettings | None = None,
    serving: settings.ServerSettings = LOOPBACK,
    aws: settings.AwsSettings | None = None,
    clock: timing.Clock | None = None,
    policy: Mapping[str, object] | None = None,
) -> AsyncIterator[server.ScalerServer]:
    """A started scaler; `policy` is written to a file for it to read, as the chart's ConfigMap is."""
    with tempfile.TemporaryDirectory(prefix="kedawatch-scaler-") as folder:
        if policy is not None:
            path = Path(folder) / "policy.json"
            path.write_text(json.dumps(policy))
            serving = dataclasses.replace(serving, policy=path)
        scaler_settings = settings.ScalerSettings(
            server=serving, hub=hub or settings.HubSettings(), aws=aws or settings.AwsSettings()
        )
        async with server.ScalerServer(scaler_settings, clock) as scaler:
            yield scaler
