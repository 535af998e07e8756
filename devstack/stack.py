"""Bringing the whole local stack up and down, and saying what runs where."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from devstack.layout import ROOT, TOPICS
from devstack.services import kafka, postgres, redis

POSTGRES = postgres.LOCAL
REDIS = redis.LOCAL
KAFKA = kafka.LOCAL


def _timed(label: str, action: Callable[[], bool]) -> tuple[str, bool, float]:
    started = time.monotonic()
    did = action()
    return label, did, time.monotonic() - started


def up() -> None:
    """Starts what is not running (idempotent), creates the topics, applies the migrations."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(
            pool.map(
                lambda item: _timed(*item),
                [("postgres", POSTGRES.start), ("redis", REDIS.start), ("kafka", KAFKA.start)],
            )
        )
    for label, did, seconds in results:
        state = f"started in {seconds:.1f}s" if did else "already running"
        print(f"[dev] {label:<8} {state}", file=sys.stderr)
    created = KAFKA.ensure_topics(TOPICS)
    if created:
        print(f"[dev] topics   created {', '.join(created)}", file=sys.stderr)
    migrate()
    print(f"[dev] stack up in {time.monotonic() - started:.1f}s", file=sys.stderr)


def migrate() -> None:
    env = {**os.environ, **stack_env()}
    subprocess.run([sys.executable, "-m", "order.migrate"], check=True, env=env, cwd=ROOT)


def down() -> None:
    from devstack.apps import System

    for name in System.local().stop_all():
        print(f"[dev] {name:<8} stopped", file=sys.stderr)
    for label, stop in (("kafka", KAFKA.stop), ("redis", REDIS.stop), ("postgres", POSTGRES.stop)):
        print(f"[dev] {label:<8} {'stopped' if stop() else 'was not running'}", file=sys.stderr)


def status() -> list[tuple[str, str]]:
    from devstack.apps import System

    rows = [
        ("postgres", POSTGRES.describe()),
        ("redis", REDIS.describe()),
        ("kafka", KAFKA.describe()),
    ]
    for app in System.local().apps():
        pid = app.pid()
        where = f" on {app.url}" if app.url else ""
        state = f"running (pid {pid}){where}, log {app.log}" if pid else "not running"
        rows.append((app.name, state))
    return rows


def stack_env() -> dict[str, str]:
    """The environment a paystream process needs to reach the local stack."""
    return {
        "DATABASE_URL": POSTGRES.url(),
        "REDIS_URL": REDIS.url(),
        "KAFKA_BOOTSTRAP_SERVERS": KAFKA.bootstrap,
    }
