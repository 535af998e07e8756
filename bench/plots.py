"""The PNG plots BENCHMARKS.md shows (matplotlib without a display)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

OUT = Path(__file__).resolve().parent.parent / "docs" / "bench"


def latency_cdf(runs: Sequence[Sequence[float]], rate: float) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(7, 4))
    for number, latencies in enumerate(runs, start=1):
        ordered = sorted(latencies)
        share = [i / len(ordered) for i in range(1, len(ordered) + 1)]
        axes.plot(ordered, share, label=f"run {number} ({len(ordered)} payments)")
    axes.set_xscale("log")
    axes.set_xlabel("payment → PAID in PostgreSQL (ms, log scale)")
    axes.set_ylabel("share of payments")
    axes.axhline(0.99, color="grey", linewidth=0.5, linestyle="--")
    axes.set_title(f"End to end at {rate:.0f} payments/s")
    axes.legend(loc="lower right")
    axes.grid(True, which="both", linewidth=0.3)
    path = OUT / "end_to_end_latency.png"
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def reconciler_cost(
    pending: Sequence[int],
    ms_per_due: Sequence[Sequence[float]],
    cpu_ms_per_due: Sequence[Sequence[float]],
) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(7, 4))
    for series, colour, label in (
        (ms_per_due, "tab:blue", "wall time (600 calls/s limit)"),
        (cpu_ms_per_due, "tab:orange", "the pass's CPU time"),
    ):
        for index, count in enumerate(pending):
            axes.scatter([count] * len(series[index]), series[index], color=colour, alpha=0.5)
        medians = [sorted(v)[len(v) // 2] for v in series]
        axes.plot(pending, medians, color=colour, label=f"{label}, median")
    axes.set_xscale("log")
    axes.set_ylim(bottom=0)
    axes.set_xlabel("pending orders (log scale); 1,000 of them due")
    axes.set_ylabel("per due order (ms)")
    axes.set_title("Reconciler: cost follows what is due, not what is pending")
    axes.legend()
    axes.grid(True, which="both", linewidth=0.3)
    path = OUT / "reconciler_cost.png"
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
