"""The demo's PromQL part: the consumers' own Prometheus metric, read through CloudWatch's PromQL API by an
`aws-cloudwatch-promql` trigger, which KEDA's driver evaluates beside the queue's.

In AWS the consumers' metrics reach CloudWatch through OTLP and CloudWatch answers PromQL over them. Here
Debian's Prometheus scrapes the consumers' exporter (`standins.promql.PrometheusEngine`: a real engine, never a
made-up answer) and the PromQL stand-in answers on the API's path with every SigV4 signature checked. Where the
engine is not installed, or does not start, the part is skipped with one line saying why and how to get it.

The trigger is shown, not scaled on: a trigger on the consumers' own throughput would hold their replicas where
they are. Prometheus keeps the clock's time, not the scenario's, so its rates are per second of the clock:
`speed` times the simulated rate.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from kedawatch.demo import keda
from kedawatch.standins import promql as standin

__all__ = ["QUERY", "Trigger", "endpoint_policy", "serving"]

QUERY = "sum(rate(demo_messages_processed_total[15s]))"
"""The consumers' throughput: 15 s of the clock hold 15 of Prometheus's scrapes and 5 of the demo's syncs."""
INSTALL = "as root, sh deploy/install-prometheus.sh installs it (make demo runs it)"


@contextlib.contextmanager
def serving(
    exporter: str, region: str, binary: str | None, out: Callable[[str], None]
) -> Iterator[standin.PromQLStandin | None]:
    """CloudWatch's PromQL API for `region`, answered by Prometheus (`binary`) scraping `exporter`; None, once
    `out` is told why, where the engine is missing or does not start."""
    if binary is None:
        out(f"PromQL part skipped: Debian's prometheus is not installed here; {INSTALL}")
        yield None
        return
    engine = standin.PrometheusEngine([exporter], binary)
    try:
        engine.start()
    except (OSError, RuntimeError, TimeoutError) as exc:
        engine.stop()
        out(f"PromQL part skipped: {binary} did not start ({' '.join(str(exc).split())[:200]})")
        yield None
        return
    api = standin.PromQLStandin(region, engine=engine).start()
    try:
        yield api
    finally:
        api.stop()
        engine.stop()


def endpoint_policy(api: standin.PromQLStandin | None) -> dict[str, Any] | None:
    """The tenant policy letting the demo's namespace read through the stand-in (the trigger's `awsEndpoint`),
    as a cluster admin allows a namespace its own endpoint; None (the defaults) without the part."""
    return None if api is None else {"default": {"endpoints": [api.url]}}


class Trigger:
    """The PromQL trigger, as a user moving from `type: prometheus` writes it, evaluated as KEDA evaluates every
    trigger: GetMetricSpec, GetMetrics and IsActive at each poll and at each HPA sync."""

    def __init__(
        self, scaled_object: str, namespace: str, scaler_address: str, region: str, api: standin.PromQLStandin
    ) -> None:
        self._api = api
        metadata = {
            "scalerAddress": scaler_address,
            "query": QUERY,
            "threshold": "1",  # KEDA needs a target; nothing is scaled on it here
            "awsRegion": region,
            "awsEndpoint": api.url,  # in AWS, left out: the region's CloudWatch endpoint
        }
        self._driver = keda.KedaDriver({
            "metadata": {"name": scaled_object, "namespace": namespace},
            "spec": {"maxReplicaCount": 1, "triggers": [{"type": "external", "metadata": metadata}]},
        })  # fmt: skip
        self.evaluations = 0
        self.errors: list[str] = []
        """What the scaler answered instead of a value, as KEDA would log it."""

    async def sync(self) -> float | None:
        """KEDA's poll and the HPA's sync that follows it: the value the HPA got, None if an RPC failed."""
        try:
            for _ in range(2):
                self.evaluations += 1
                _, value = await self._driver.sync()
        except grpc.aio.AioRpcError as exc:
            self.errors.append(f"{exc.code().name}: {exc.details()}")
            return None
        return value

    def requests(self) -> int:
        """Requests CloudWatch's PromQL API received for the trigger's query."""
        return self._api.count(QUERY)

    async def close(self) -> None:
        await self._driver.close()
