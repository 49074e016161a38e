"""The AWS-calls benchmark's baselines and goals: KEDA's built-in scalers with and without `useCachedMetrics`,
and issue 14's goals at period 300, on a run small enough for the suite (not timed)."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks import _common, aws_calls


@pytest.mark.parametrize(
    ("cached", "calls"),
    [
        pytest.param(False, 60, id="default: every poll and every HPA sync"),
        pytest.param(True, 20, id="useCachedMetrics: every poll only"),
    ],
)
def test_the_builtin_calls_aws_as_keda_scale_handler_does_over_ten_minutes(cached: bool, calls: int) -> None:
    assert aws_calls.builtin_calls_per_trigger(10, cached) == calls


@pytest.mark.parametrize(
    ("poll", "recorded", "calls"),
    [
        pytest.param(True, False, 1, id="a first poll reads AWS"),
        pytest.param(True, True, 1, id="every poll reads AWS and replaces the record"),
        pytest.param(False, False, 1, id="an HPA sync before any poll reads AWS"),
        pytest.param(False, True, 0, id="an HPA sync after a poll is served the record"),
    ],
)
def test_keda_metrics_cache_serves_the_hpa_only_once_a_poll_stored_a_record(
    poll: bool, recorded: bool, calls: int
) -> None:
    assert _common.cached_builtin_calls(poll, recorded) == calls


def test_the_benchmark_prints_both_baselines_the_period_300_goals_and_where_sqs_does_not_win(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = aws_calls.parse_args(
        ["--variants", "sqs,cw300", "--sqs-sizes", "10", "--goal-sizes", "10", "--minutes", "1",
         "--baseline-sample", "5"]
    )  # fmt: skip
    asyncio.run(aws_calls.run(args))  # not main(): its quiet_logs() would silence later tests' logs
    out = capsys.readouterr().out
    tables = out.split("\n\n")
    calls = next(table for table in tables if table.startswith("AWS calls"))
    assert "built-in calls" in calls and "cached calls" in calls
    sqs = next(line.split() for line in calls.splitlines() if line.split()[:1] == ["sqs"])
    assert sqs[4:9] == ["40", "60", "0.667", "20", "2.000"]  # one read per HPA sync; 2 a minute cached
    metrics = next(table for table in tables if table.startswith("CloudWatch metrics requested"))
    cw300 = next(line.split() for line in metrics.splitlines() if line.split()[:1] == ["cw300"])
    # 10 metrics, 2 windows from a boundary: read after each boundary and re-read once; the cached built-in
    # requests one per poll (20 in 10 minutes), the default one per evaluation (60).
    assert cw300[3:] == ["20", "40", "2.000", "600", "0.067", "200", "0.200", "5.00x"]
    goals = next(table for table in tables if table.startswith("Goals"))
    assert [line.split()[-1] for line in goals.splitlines()[3:]] == ["PASS", "PASS", "PASS"]
    assert "sqs N=10, calls per ScaledObject per minute: kedawatch 4.00, built-in with useCachedMetrics 2.00:" \
        " kedawatch does not win on calls." in out  # fmt: skip
