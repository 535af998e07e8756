"""End to end: the sandbox pays N orders at a fixed rate; each notify goes through the gateway,
Kafka and the worker to PAID in PostgreSQL. Latency per order: from the moment the customer's
payment was asked of the sandbox to the commit that made the order PAID (`orders.updated_at`).

`python -m bench.end_to_end [--rate R] [--seconds S] [--runs N]`
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

from bench import common, plots, procs
from bench.placing import place
from bench.system import private_system

TOTAL_FEE = 100
TICK = 0.05


def pay_at_rate(sandbox_url: str, ids: list[str], rate: float) -> dict[str, float]:
    """Asks the sandbox to pay `ids` at `rate` per second, in ticks; returns when each was asked."""
    asked: dict[str, float] = {}
    per_tick = max(1, round(rate * TICK))
    started = time.monotonic()
    with httpx.Client(base_url=sandbox_url, timeout=10) as http:
        for tick, first in enumerate(range(0, len(ids), per_tick)):
            due = started + tick * TICK
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            batch = ids[first : first + per_tick]
            now = time.time()
            answer = http.post("/sandbox/pay/bulk", json={"out_trade_nos": batch})
            answer.raise_for_status()
            asked.update(dict.fromkeys(batch, now))
    return asked


def paid_at(database_url: str) -> dict[str, float]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT id, updated_at FROM orders WHERE status = 'PAID'").fetchall()
    return {row[0]: row[1].timestamp() for row in rows}


def one_run(rate: float, seconds: float) -> dict[str, object]:
    count = int(rate * seconds)
    with private_system("e2e") as system:
        ids = [f"E{common.run_id()}{n:08d}" for n in range(count)]
        place(system, ids, TOTAL_FEE)
        sandbox_url = f"http://127.0.0.1:{system.ports.sandbox}"
        began = datetime.now(UTC)
        pids = {app.name: pid for app in system.apps() if (pid := app.pid()) is not None}
        cpu_before = {name: procs.cpu_seconds(pid) for name, pid in pids.items()}
        clock = time.monotonic()
        asked = pay_at_rate(sandbox_url, ids, rate)
        offered = count / (max(asked.values()) - min(asked.values()) or 1)
        common.wait_for(lambda: len(paid_at(system.database_url)) >= count, 300, 0.2)
        elapsed = time.monotonic() - clock
        cpu = {
            name: round((procs.cpu_seconds(pid) - cpu_before[name]) / elapsed, 2)
            for name, pid in pids.items()
        }
        paid = paid_at(system.database_url)
        latencies = sorted((paid[o] - asked[o]) * 1000 for o in ids)
        rss = {
            app.name: procs.peak_rss_mb(pid)
            for app in system.apps()
            if (pid := app.pid()) is not None
        }
    return {
        "rate": rate,
        "orders": count,
        "offered_per_second": offered,
        "p50_ms": common.percentile(latencies, 0.50),
        "p99_ms": common.percentile(latencies, 0.99),
        "max_ms": latencies[-1],
        "latencies_ms": latencies,
        "peak_rss_mb": rss,
        "cpu_cores": cpu,
        "started": began.isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for run in range(args.runs):
        result = one_run(args.rate, args.seconds)
        runs.append(result)
        print(
            f"run {run + 1}: {result['orders']} payments at {result['offered_per_second']:.0f}/s"
            f" → PAID p50 {result['p50_ms']:.1f} ms p99 {result['p99_ms']:.1f} ms "
            f"max {result['max_ms']:.0f} ms | cores {result['cpu_cores']} | "
            f"peak RSS MB {result['peak_rss_mb']}",
            flush=True,
        )
    out = Path(__file__).parent / "results" / "end_to_end.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"runs": runs}))
    for key in ("p50_ms", "p99_ms"):
        med, low, high = common.median_range([float(str(r[key])) for r in runs])
        print(f"{key}: median {med:.1f} ({low:.1f}–{high:.1f})")
    plots.latency_cdf([r["latencies_ms"] for r in runs], args.rate)  # type: ignore[misc]


if __name__ == "__main__":
    main()
