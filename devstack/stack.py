"""Bringing the whole local stack up and down, and saying what runs where."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from devstack.layout import HOST, KAFKA_VERSION, ROOT, STACK, TOPICS
from devstack.services import kafka, postgres, redis

POSTGRES = postgres.LOCAL
REDIS = redis.LOCAL
KAFKA = kafka.LOCAL
SERVERS: dict[str, postgres.Postgres | redis.Redis | kafka.Kafka] = {
    "postgres": POSTGRES,
    "redis": REDIS,
    "kafka": KAFKA,
}


NAMES = {"postgres": "PostgreSQL", "redis": "Redis", "kafka": "Kafka"}


def say(text: str) -> None:
    print(f"[dev] {text}", file=sys.stderr, flush=True)


def _timed(label: str, action: Callable[[], bool]) -> tuple[str, bool, float]:
    started = time.monotonic()
    did = action()
    return label, did, time.monotonic() - started


def up() -> list[str]:
    """Starts what is not running (idempotent), creates the topics, applies the migrations;
    says what each step does and how long it took. Returns the servers it started."""
    started = time.monotonic()
    if not kafka.jars_ready():
        say(
            f"Kafka jars: resolving Apache Kafka {KAFKA_VERSION} and its runtime from Maven "
            f"Central into {kafka.LIB.relative_to(STACK.parent)} (first run only, about 45 MB)"
        )
        began = time.monotonic()
        kafka.fetch_jars(say)
        say(f"Kafka jars: ready in {time.monotonic() - began:.1f} s")
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(
            pool.map(
                lambda item: _timed(*item),
                [("postgres", POSTGRES.start), ("redis", REDIS.start), ("kafka", KAFKA.start)],
            )
        )
    for label, did, seconds in results:
        state = f"started in {seconds:.1f} s" if did else "already running"
        say(f"{NAMES[label]:<10} {state:<17} on {HOST}:{SERVERS[label].port}")
    created = KAFKA.ensure_topics(TOPICS)
    if created:
        say(f"topics     created {', '.join(created)}")
    began = time.monotonic()
    applied = migrate()
    say(f"migrations {applied} in {time.monotonic() - began:.1f} s (python -m order.migrate)")
    say(f"stack up in {time.monotonic() - started:.1f} s")
    return [label for label, did, _ in results if did]


def stop_servers(names: list[str]) -> None:
    """Stops the named servers (Kafka first: its clients are gone by then)."""
    for label in ("kafka", "redis", "postgres"):
        if label in names:
            SERVERS[label].stop()


def migrate() -> str:
    """Applies the database migrations; returns what order.migrate said it did."""
    env = {**os.environ, **stack_env()}
    result = subprocess.run(
        [sys.executable, "-m", "order.migrate"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"python -m order.migrate failed:\n{result.stdout}{result.stderr}")
    said = result.stderr.strip().splitlines()
    return said[-1].removeprefix("order.migrate: ") if said else "done"


def down() -> None:
    from devstack.apps import System

    for name in System.local().stop_all():
        say(f"{name:<10} stopped")
    for label in ("kafka", "redis", "postgres"):
        say(f"{NAMES[label]:<10} {'stopped' if SERVERS[label].stop() else 'was not running'}")


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
