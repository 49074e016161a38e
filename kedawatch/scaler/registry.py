"""Every source the scaler serves: adding one is adding its module under `sources/` and one line here.

A source's class declares everything the rest of the scaler needs of it (`sources.base.Source`): its name
for the `source` key, the keys that tell it apart when `source` is absent, its metadata, its read and the
fetcher of that read.
"""

from __future__ import annotations

from typing import Any

from kedawatch import settings
from kedawatch.aws import clients
from kedawatch.scaler import reads, telemetry
from kedawatch.scaler.sources import base, cloudwatch, promql, sqs

__all__ = ["BY_NAME", "SOURCES", "fetchers"]

SOURCES: tuple[type[base.Source], ...] = (
    sqs.SqsQueueDepth,
    cloudwatch.CloudWatchMetric,
    promql.PromQLQuery,
)
BY_NAME = {source.name: source for source in SOURCES}


def fetchers(
    aws: clients.AwsClients, hub_settings: settings.HubSettings, metrics: telemetry.ScalerMetrics
) -> dict[type[reads.Read[Any]], base.Fetcher]:
    """One fetcher per source, keyed by the type of read it fetches."""
    return {source.fetcher.read_type: source.fetcher(aws, hub_settings, metrics) for source in SOURCES}
