"""The operator's Prometheus metrics, bound to one registry so that each operator (and test) has its own.

Gauges of alarms and conditions are computed from what the operator already knows (its sweeps, the statuses it
writes), never from reads of their own.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import prometheus_client as prom
import prometheus_client.core
import prometheus_client.registry

__all__ = ["OperatorMetrics"]

ALARM_STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
"""CloudWatch's alarm states: each region's gauge says all three, zeros included, once swept."""
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
"""Seconds: from no wait at all to the minutes a bulk creation queues for PutMetricAlarm's 3 a second."""


class OperatorMetrics:
    def __init__(self, registry: prom.CollectorRegistry | None = None) -> None:
        self.registry = registry or prom.CollectorRegistry()
        self.reconciles = prom.Counter(
            "kedawatch_operator_reconciles", "Objects reconciled (created, updated, resumed), by kind and outcome:"
            " the reason of the condition the reconcile left, or `Error` for a failure of the operator's own.",
            ["kind", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.aws_calls = prom.Counter(
            "kedawatch_operator_aws_calls", "AWS API calls made (retries within a call not counted apart), by"
            " operation and outcome (`ok`, AWS's error code, or the exception of a call that got no answer).",
            ["operation", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.waiting = prom.Gauge(
            "kedawatch_operator_aws_calls_waiting", "AWS calls asked for and not yet sent, waiting for their"
            " operation's quota in their region, by operation.",
            ["operation"], registry=self.registry,
        )  # fmt: skip
        self.wait = prom.Histogram(
            "kedawatch_operator_aws_call_wait_seconds", "Time from asking for an AWS call to sending it, by"
            " operation: the operation's quota pacing its calls.",
            ["operation"], registry=self.registry, buckets=WAIT_BUCKETS,
        )  # fmt: skip
        self.drift_repairs = prom.Counter(
            "kedawatch_operator_drift_repairs", "Alarms written again by the drift check because CloudWatch no"
            " longer held them as declared (their configuration or their tags), by kind.",
            ["kind"], registry=self.registry,
        )  # fmt: skip
        self.alarms = prom.Gauge(
            "kedawatch_operator_alarms", "The operator's alarms by region and state, as its latest sweep of each"
            " region saw them.",
            ["region", "state"], registry=self.registry,
        )  # fmt: skip
        self._conditions = _FalseConditions()
        self.registry.register(self._conditions)

    def observe_aws_call(self, operation: str, outcome: str) -> None:
        self.aws_calls.labels(operation, outcome).inc()

    def observe_sweep(self, region: str, states: Sequence[str]) -> None:
        """A sweep of `region` saw alarms in these `states` (one each)."""
        counts = collections.Counter(states)
        for state in sorted({*ALARM_STATES, *counts}):
            self.alarms.labels(region, state).set(counts[state])

    def observe_conditions(self, kind: str, namespace: str, name: str, conditions: Sequence[Mapping[str, Any]]) -> None:
        """The conditions the operator just wrote into an object's status."""
        self._conditions.note((kind, namespace, name), conditions)

    def forget(self, kind: str, namespace: str, name: str) -> None:
        """The object is gone: its conditions no longer count."""
        self._conditions.note((kind, namespace, name), ())


class _FalseConditions(prometheus_client.registry.Collector):
    """Objects whose condition is False, by kind, condition and reason: counted at each scrape from the last
    conditions written to each object."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failing: dict[tuple[str, str, str], dict[str, str]] = {}
        """By (kind, namespace, name): the reason of each of its conditions that is False."""

    def note(self, key: tuple[str, str, str], conditions: Sequence[Mapping[str, Any]]) -> None:
        failing = {str(c.get("type")): str(c.get("reason", "")) for c in conditions if c.get("status") == "False"}
        with self._lock:
            if failing:
                self._failing[key] = failing
            else:
                self._failing.pop(key, None)

    def collect(self) -> Iterator[prometheus_client.core.Metric]:
        with self._lock:
            counts = collections.Counter(
                (kind, condition, reason)
                for (kind, _, _), failing in self._failing.items()
                for condition, reason in failing.items()
            )
        family = prometheus_client.core.GaugeMetricFamily(
            "kedawatch_operator_conditions_false",
            "Objects whose condition (Synced, Ready) is False, by kind, condition and reason.",
            labels=["kind", "condition", "reason"],
        )
        for labels, count in sorted(counts.items()):
            family.add_metric(list(labels), count)
        yield family
