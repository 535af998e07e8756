"""`./dev chaos`: the command line of a fault run (RELIABILITY.md has the figures)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from devstack.chaos.plan import ChaosPlan
from devstack.chaos.run import run_chaos

# The run configures every process itself: a developer's `./dev env` must not leak in.
APP_SETTINGS = (
    "WECHATPAY_",
    "PAYMENT_",
    "ORDER_",
    "GATEWAY_",
    "SANDBOX_",
    "RECONCILE_",
    "WORKER_",
    "RELAY_",
    "KAFKA_",
    "SHUTDOWN_",
    "PUSHGATEWAY_",
    "PAYSTREAM_ENV",
    "LOG_LEVEL",
    "DATABASE_URL",
    "REDIS_URL",
)


def parse(args: list[str]) -> tuple[ChaosPlan, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="./dev chaos",
        description="Pay N orders on private servers while the broker, PostgreSQL, Redis, the "
        "gateway and the worker are knocked over; then check every order.",
    )
    parser.add_argument("--orders", type=int, default=2000, help="orders (default 2000)")
    parser.add_argument(
        "--rate", type=float, default=None, help="payments per second (40, or 250 over 5000)"
    )
    parser.add_argument(
        "--time-scale", type=float, default=0.005, help="the sandbox's notify clock"
    )
    parser.add_argument("--kafka-signal", choices=["SIGTERM", "SIGKILL"], default="SIGKILL")
    parser.add_argument("--settle-timeout", type=float, default=1800.0)
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument("--keep-logs", action="store_true", help="keep a passed run's logs")
    parser.add_argument("--v3", action="store_true", help="speak WeChat Pay API v3 throughout")
    options = parser.parse_args(args)
    rate = options.rate or (40.0 if options.orders <= 5000 else 250.0)
    plan = ChaosPlan(
        orders=options.orders,
        pay_rate=rate,
        chunk=max(1, min(200, int(rate // 2))),
        time_scale=options.time_scale,
        kafka_signal=options.kafka_signal,
        settle_timeout=options.settle_timeout,
        api_version="v3" if options.v3 else "v2",
    )
    return plan, options


def main(args: list[str]) -> int:
    plan, options = parse(args)
    for name in [n for n in os.environ if n.startswith(APP_SETTINGS)]:
        del os.environ[name]
    report = run_chaos(plan, keep_logs=options.keep_logs)
    print(report.text())
    if options.json is not None:
        report.write_json(options.json)
    return 0 if report.ok else 1
