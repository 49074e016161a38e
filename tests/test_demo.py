"""`make demo`'s happy path, shortened: the reference scenario scales to 10 and pages at 8 pods."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from kedawatch.demo import scenario


async def test_the_reference_scenario_scales_to_ten_pages_and_draws_its_run(tmp_path: Path) -> None:
    lines: list[str] = []
    drawn = tmp_path / "run.png"
    summary = await scenario.play(scenario.Scenario(speed=20.0, duration=180.0, picture=drawn), lines.append)
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
