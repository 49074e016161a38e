"""Stopping the operator while its timers are reading AWS ends every one of them at once, quietly: none is left
orphaned by kopf (to patch after kopf closed its API sessions) and nothing is logged as a failure."""

from __future__ import annotations

import logging
import time

import pytest

from kedawatch.operator.resources import crds
from kedawatch.standins import aws
from tests.operator.conftest import FAST, Cluster, eventually, operating
from tests.operator.test_alarm_operator import alarm_object, synced

OBJECTS = 10


def test_timers_caught_mid_read_by_a_stop_end_quietly(
    cluster: Cluster, proxy: aws.CountingProxy, caplog: pytest.LogCaptureFixture
) -> None:
    with operating(cluster, FAST):
        for index in range(OBJECTS):
            cluster.create(alarm_object(f"a{index}"))
        eventually(lambda: all(synced(cluster, f"a{index}") for index in range(OBJECTS)))
        proxy.inject(aws.slow(1.0))  # every timer's next read is under way when the stop comes (and succeeds)
        sweeps = proxy.calls["DescribeAlarms"]
        eventually(lambda: proxy.calls["DescribeAlarms"] > sweeps)
        caplog.clear()
        caplog.set_level(logging.WARNING)
        stopping = time.monotonic()
    stopped = time.monotonic() - stopping
    proxy.heal()
    loud = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.getMessage() for record in loud] == []
    assert stopped < 5.0, f"the stop took {stopped:.1f} s"
    assert all(cluster.get(crds.METRIC_ALARMS, f"a{index}") for index in range(OBJECTS))
