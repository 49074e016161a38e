"""`make demo`'s happy path, shortened: the reference scenario scales to 10 and pages at 8 pods, and, where
Debian's Prometheus is installed, a PromQL trigger reads the consumers' own metric end to end. One run serves
every test here (it takes about 20 s)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from PIL import Image

from kedawatch.demo import promql, scenario
from kedawatch.standins import promql as standin

ENGINE = standin.PrometheusEngine.BINARY


@dataclasses.dataclass(frozen=True)
class Run:
    summary: scenario.Summary
    lines: list[str]
    drawn: Path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The scenario as `make demo` plays it on this machine: with the PromQL part where the engine is installed."""
    lines: list[str] = []
    drawn = tmp_path_factory.mktemp("demo") / "run.png"
    summary = asyncio.run(scenario.play(scenario.Scenario(speed=20.0, duration=180.0, picture=drawn), lines.append))
    return Run(summary, lines, drawn)


def test_the_reference_scenario_scales_to_ten_pages_and_draws_its_run(run: Run) -> None:
    summary, lines, drawn = run.summary, run.lines, run.drawn
    assert (summary.peak_replicas, summary.max_replicas) == (10, 10)
    assert summary.alarm_threshold == 8.0
    assert "ALARM" in summary.alarm_states
    assert summary.pushes >= 1, "external-push: the scaler told KEDA the queue went active"
    assert summary.push_after is not None and summary.push_after < 5, "within about the 2 s push interval"
    assert summary.idle_push_calls > 0
    # Reported side by side; how much the hub saves is the benchmarks' job (a busy machine stretches the
    # demo's compressed time past the scaler's freshness window, so the counts here depend on the load).
    assert summary.scaler_aws_calls > 0 and summary.builtin_aws_calls == 2 * summary.cached_aws_calls > 0
    assert any(line.startswith("replicas reached 10 of 10") for line in lines)
    assert lines[-1] == f"a picture of the run: {drawn.resolve()}"
    with Image.open(drawn) as image:
        assert (image.format, image.size) == ("PNG", (1000, 900))
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16) or []
        assert len(colours) > 100, "queue, replicas, alarm and calls drawn in colour, not a blank canvas"
    assert max(moment.replicas for moment in summary.moments) == 10, "the picture's data is the run's"
    skipped = [line for line in lines if line.startswith("PromQL part skipped")]
    if ENGINE is None:
        assert skipped == [
            "PromQL part skipped: Debian's prometheus is not installed here; as root, sh deploy/install-prometheus.sh "
            "installs it (make demo runs it)"
        ]
        assert not summary.promql_ran and all(moment.throughput is None for moment in summary.moments)
    else:
        assert skipped == []


def test_a_promql_trigger_reads_the_consumers_own_metric_through_cloudwatch_s_api_and_the_scaler(run: Run) -> None:
    if ENGINE is None:
        pytest.skip("Debian's prometheus is not installed here (deploy/install-prometheus.sh installs it as root)")
    summary, lines = run.summary, run.lines
    assert summary.promql_ran and summary.promql_errors == [], "every request SigV4-signed and answered"
    rates = [moment.throughput for moment in summary.moments]
    assert None not in rates and rates[-1] is not None and rates[-1] > 0, "the engine scraped the consumers"
    # Within a small factor: the query's 15 s of the clock may be longer than this short replay (about 10 s),
    # and then hold its idle start too; a busy machine slows the replay and its rate alike.
    average = summary.processed / summary.replay_seconds
    assert summary.processed > 0 and 0.3 * average <= summary.promql_peak <= 3 * average, (
        f"Prometheus's rate agrees with the consumers' own count: peak {summary.promql_peak}, average {average}"
    )
    assert 0 < summary.promql_requests < summary.promql_evaluations == 2 * len(summary.moments), (
        "KEDA's poll and the HPA's sync share one request; KEDA's prometheus scaler makes one each"
    )
    header = next(line for line in lines if line.lstrip().startswith("time"))
    assert header.endswith("processed/s")
    assert any(line.startswith(f"PromQL trigger {promql.QUERY}: up to ") for line in lines)
    assert any(line.startswith("PromQL requests, SigV4-signed, answered by Prometheus") for line in lines)


@pytest.fixture
def engine_that_exits(tmp_path: Path) -> str:
    """A prometheus that fails at start, as one whose port is taken does."""
    binary = tmp_path / "prometheus"
    binary.write_text("#!/bin/sh\necho 'err=\"address already in use\"' >&2\nexit 1\n")
    binary.chmod(0o755)
    return str(binary)


def test_without_the_engine_the_promql_part_is_skipped_in_one_line_saying_how_to_get_it() -> None:
    lines: list[str] = []
    with promql.serving("127.0.0.1:1", standin.REGION, None, lines.append) as api:
        assert api is None
    assert lines == [
        "PromQL part skipped: Debian's prometheus is not installed here; as root, sh deploy/install-prometheus.sh "
        "installs it (make demo runs it)"
    ]


def test_an_engine_that_does_not_start_skips_the_promql_part_in_one_line_saying_why(engine_that_exits: str) -> None:
    lines: list[str] = []
    with promql.serving("127.0.0.1:1", standin.REGION, engine_that_exits, lines.append) as api:
        assert api is None
    assert lines == [
        f'PromQL part skipped: {engine_that_exits} did not start (prometheus exited with 1: err="address already in '
        'use")'
    ]
