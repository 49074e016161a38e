"""The demo's run as a picture: queue depth, replicas (and the PromQL trigger's throughput, when it ran), the
near-max alarm's state and AWS calls over time, with KEDA's built-in scaler beside kedawatch's. Drawn on a
matplotlib Figure of its own (the Agg canvas a Figure saves with by default): no display, no pyplot, no global
state."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["Moment", "draw"]

STATES = ("INSUFFICIENT_DATA", "OK", "ALARM")


@dataclasses.dataclass(frozen=True)
class Moment:
    """One HPA sync of the replay."""

    seconds: float
    """Simulated seconds since the messages arrived."""
    depth: int
    metric: float
    """The value the scaler served KEDA."""
    replicas: int
    alarm: str
    """The near-max alarm's state as its object's status mirrors it ("" before the first copy)."""
    scaler_calls: int
    builtin_calls: int
    cached_calls: int
    """The built-in scaler's calls at its default and with `useCachedMetrics: true`, for the same evaluations."""
    throughput: float | None = None
    """The PromQL trigger's value, messages processed a second of the clock (None: no PromQL part, or an error)."""


def draw(
    moments: Sequence[Moment], path: Path, max_replicas: int, threshold: float | None, pushed_after: float | None
) -> Path:
    """Write the picture of `moments` to `path` (PNG) and return it."""
    figure = Figure(figsize=(10, 9), dpi=100, layout="constrained")
    queue, replicas, alarm, calls = figure.subplots(4, 1, sharex=True, height_ratios=(3, 3, 1, 3))
    minutes = [moment.seconds / 60 for moment in moments]
    figure.suptitle("kedawatch demo: an SQS consumer scaling 1..10 on queue depth, paging at 8 pods")

    queue.plot(minutes, [m.depth for m in moments], label="queue depth", color="tab:blue")
    queue.plot(minutes, [m.metric for m in moments], label="metric served to KEDA", color="tab:cyan", ls="--")
    if pushed_after is not None:
        queue.axvline(pushed_after / 60, color="tab:green", ls=":",
                      label=f"StreamIsActive pushed {pushed_after:.1f} s after the messages came")  # fmt: skip
    queue.set_xlim(left=0)
    queue.set_ylabel("messages")
    queue.legend(loc="upper right")

    replicas.step(minutes, [m.replicas for m in moments], where="post", color="tab:orange", label="replicas")
    replicas.axhline(max_replicas, color="grey", ls=":", label=f"maxReplicas {max_replicas}")
    if threshold is not None:
        replicas.axhline(threshold, color="tab:red", ls="--", label=f"alarm threshold {threshold:g}")
    replicas.set_ylim(0, max_replicas + 1)
    replicas.set_ylabel("pods")
    _throughput(replicas, minutes, [m.throughput for m in moments])

    levels = [STATES.index(m.alarm) if m.alarm in STATES else 0 for m in moments]
    alarm.step(minutes, levels, where="post", color="tab:red")
    alarm.set_yticks(range(len(STATES)), ["no data", "OK", "ALARM"])
    alarm.set_ylim(-0.5, len(STATES) - 0.5)
    alarm.set_ylabel("alarm")

    calls.plot(minutes, [m.scaler_calls for m in moments], label="kedawatch's scaler", color="tab:purple", lw=2)
    calls.plot(minutes, [m.builtin_calls for m in moments], label="built-in scaler", color="tab:brown")
    calls.plot(minutes, [m.cached_calls for m in moments], label="built-in, useCachedMetrics", color="tab:olive",
               ls="--")  # fmt: skip
    calls.set_ylabel("AWS calls, in all")
    calls.set_xlabel("simulated minutes since the messages arrived")
    calls.legend(loc="upper left")

    figure.savefig(str(path), format="png")
    return path


def _throughput(replicas: Axes, minutes: Sequence[float], rates: Sequence[float | None]) -> None:
    """The PromQL trigger's value on the replicas' panel, on an axis of its own (it follows the replicas), when it
    ran; and the panel's legend, on the axis drawn last so that no line crosses it."""
    if all(rate is None for rate in rates):
        replicas.legend(loc="lower right")
        return
    axis = replicas.twinx()
    axis.plot(minutes, [float("nan") if rate is None else rate for rate in rates], color="tab:green",
              label="PromQL trigger: messages processed a second of the clock")  # fmt: skip
    axis.set_ylim(bottom=0)
    axis.set_ylabel("processed/s (PromQL)")
    handles, labels = replicas.get_legend_handles_labels()
    more_handles, more_labels = axis.get_legend_handles_labels()
    axis.legend(handles + more_handles, labels + more_labels, loc="lower right")
