"""Order worker: observations applied per second — a pre-loaded topic of SUCCESS observations
→ orders PAID, inbox and outbox written, Redis refreshed, events relayed — against a baseline
of single-row UPDATEs through psycopg, one transaction each, one connection, in the same run.

`python -m bench.order_worker [--orders N] [--runs R]`
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from bench import common, procs

TOTAL_FEE = 1000


def baseline(database_url: str, ids: list[str]) -> float:
    """Single-row UPDATEs, one transaction each, one connection: updates per second."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        started = time.perf_counter()
        for order_id in ids:
            conn.execute(
                "UPDATE orders SET status = 'PAID', transaction_id = %s, paid_at = now(),"
                " version = version + 1, updated_at = now() WHERE id = %s AND status = 'PENDING'",
                (f"42{order_id}", order_id),
            )
        return len(ids) / (time.perf_counter() - started)


def paid_count(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM orders WHERE status = 'PAID'").fetchone()
    return int(row[0]) if row else 0


def published_count(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL").fetchone()
    return int(row[0]) if row else 0


def worker_run(orders: int) -> dict[str, float]:
    tag = common.run_id()
    db_name = f"bench_worker_{tag}"
    url = common.fresh_database(db_name)
    observations, events, dlq = (
        f"bench.{tag}.observations",
        f"bench.{tag}.events",
        f"bench.{tag}.dlq",
    )
    common.topics({observations: 6, events: 6, dlq: 1})
    try:
        ids = [f"W{tag}{n:010d}" for n in range(orders)]
        common.insert_pending_orders(url, ids, TOTAL_FEE)
        common.produce_observations(
            observations, (common.paid_observation(o, TOTAL_FEE) for o in ids)
        )
        base_ids = [f"B{tag}{n:010d}" for n in range(min(orders, 5000))]
        common.insert_pending_orders(url, base_ids, TOTAL_FEE)
        baseline_rate = baseline(url, base_ids)
        env = {
            **os.environ,
            **common.STACK,
            "DATABASE_URL": url,
            "KAFKA_TOPIC_OBSERVATIONS": observations,
            "KAFKA_TOPIC_ORDER_EVENTS": events,
            "KAFKA_TOPIC_DLQ": dlq,
            "KAFKA_CONSUMER_GROUP": f"bench-{tag}",
            "WORKER_METRICS_PORT": "0",
            "REDIS_URL": common.STACK["REDIS_URL"].rsplit("/", 1)[0] + "/14",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "order.worker"],
            cwd=procs.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # Timed from the first order PAID (start-up and the group join are not throughput).
            done_before = len(base_ids)
            common.wait_for(lambda: paid_count(url) > done_before, 120, 0.01)
            started, first = time.monotonic(), paid_count(url) - done_before
            cpu_before = procs.cpu_seconds(worker.pid)
            common.wait_for(lambda: paid_count(url) >= len(ids) + done_before, 600, 0.02)
            applied = time.monotonic() - started
            worker_cores = (procs.cpu_seconds(worker.pid) - cpu_before) / applied
            common.wait_for(lambda: published_count(url) >= len(ids), 600, 0.02)
            relayed = time.monotonic() - started
            rss = procs.peak_rss_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(30)
        return {
            "orders": orders,
            "applied_per_second": (orders - first) / applied,
            "relayed_per_second": (orders - first) / relayed,
            "baseline_per_second": baseline_rate,
            "ratio": (orders - first) / applied / baseline_rate,
            "worker_peak_rss_mb": rss,
            "worker_cores": worker_cores,
        }
    finally:
        common.delete_topics([observations, events, dlq])
        common.drop_database(db_name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for run in range(args.runs):
        result = worker_run(args.orders)
        runs.append(result)
        print(
            f"run {run + 1}: worker {result['applied_per_second']:.0f}/s applied "
            f"({result['relayed_per_second']:.0f}/s relayed) | baseline "
            f"{result['baseline_per_second']:.0f}/s | ratio {result['ratio']:.2f} | "
            f"worker {result['worker_cores']:.2f} cores, "
            f"peak RSS {result['worker_peak_rss_mb']:.0f} MB",
            flush=True,
        )
    out = Path(__file__).parent / "results" / "order_worker.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"runs": runs}, indent=2))
    for key in ("applied_per_second", "baseline_per_second", "ratio"):
        med, low, high = common.median_range([r[key] for r in runs])
        print(f"{key}: median {med:.2f} ({low:.2f}–{high:.2f})")


if __name__ == "__main__":
    main()
