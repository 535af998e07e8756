"""Reconciler: time per due order with 10k, 100k and 1M pending orders, 1,000 of them due,
against the same pass at 10k pending (cost must follow what is due, not what is pending).

Each pass queries the 1,000 due orders through a real PaymentService and the sandbox (unknown
there: NOT_FOUND, rescheduled) at WeChat's limit of 600 calls/s, so wall time per due order is
mostly the rate limit; the pass's own CPU time per due order is the sharper measure of its cost.

`python -m bench.reconciler [--pending 10000 100000 1000000] [--runs R]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import psycopg
import redis

from bench import common, plots, procs
from bench.system import private_system
from devstack.apps import System
from order.reconcile.bootstrap import build_pass, resources
from order.reconcile.settings import ReconcileSettings
from order.store import COMPLETE_KEY, PENDING_KEY

DUE = 1_000


def load_index(redis_url: str, ids: list[str], due: int) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(PENDING_KEY)
        now = time.time()
        for first in range(0, len(ids), 10_000):
            chunk = ids[first : first + 10_000]
            client.zadd(
                PENDING_KEY,
                {o: (now - 5 if first + i < due else now + 3600) for i, o in enumerate(chunk)},
            )
        client.set(COMPLETE_KEY, "bench", ex=3600)
    finally:
        client.close()


def one_pass(system: System) -> tuple[float, float, int]:
    settings = ReconcileSettings(
        database_url=system.database_url,
        redis_url=system.redis_url,
        kafka_bootstrap_servers=system.kafka_bootstrap,
        kafka_topic_observations=system.extra_env["KAFKA_TOPIC_OBSERVATIONS"],
        payment_grpc_target=f"127.0.0.1:{system.ports.payment}",
        reconcile_rate_per_second=600,
        reconcile_concurrency=32,
        reconcile_batch_size=200,
        reconcile_time_budget_seconds=120,
    )

    async def run() -> tuple[float, float, int]:
        async with resources(settings) as res:
            reconcile = build_pass(settings, res)
            cpu = time.process_time()
            summary = await reconcile.run()
            return summary.duration_seconds, time.process_time() - cpu, summary.queried

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    wall: dict[int, list[float]] = {}
    cpu: dict[int, list[float]] = {}
    with private_system("reconcile", apps=["sandbox", "payment"]) as system:
        for pending in args.pending:
            ids = [f"Q{pending:07d}{n:09d}" for n in range(pending)]
            common.insert_pending_orders(system.database_url, ids, 100)
            for run in range(args.runs):
                load_index(system.redis_url, ids, DUE)
                seconds, cpu_seconds, queried = one_pass(system)
                wall.setdefault(pending, []).append(seconds / queried * 1000)
                cpu.setdefault(pending, []).append(cpu_seconds / queried * 1000)
                print(
                    f"{pending:>9,} pending, run {run + 1}: {queried} due queried in "
                    f"{seconds:.2f} s → {wall[pending][-1]:.3f} ms per due order "
                    f"({cpu[pending][-1]:.3f} ms CPU)",
                    flush=True,
                )
            with psycopg.connect(system.database_url) as conn:
                conn.execute("TRUNCATE orders CASCADE")
        rss = {
            app.name: procs.peak_rss_mb(pid)
            for app in system.apps()
            if (pid := app.pid()) is not None
        }
    for label, table in (("wall", wall), ("CPU", cpu)):
        base = common.median_range(table[args.pending[0]])[0]
        for pending, values in table.items():
            med, low, high = common.median_range(values)
            print(
                f"{label:>4}: {pending:>9,} pending: median {med:.3f} ms/due "
                f"({low:.3f}–{high:.3f}), {med / base:.2f}× the {args.pending[0]:,} pass"
            )
    out = Path(__file__).parent / "results" / "reconciler.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({"ms_per_due": wall, "cpu_ms_per_due": cpu, "peak_rss_mb": rss}, indent=2)
    )
    plots.reconciler_cost(list(wall), list(wall.values()), list(cpu.values()))


if __name__ == "__main__":
    main()
