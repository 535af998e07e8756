"""The real processes: `python -m order.api` serves OrderService with health and metrics and
stops cleanly on SIGTERM; so does `python -m order.worker`, whose liveness endpoint says when its
consumer loop is stuck."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack.ports import free_port
from order.api.bootstrap import SERVICE_NAME
from order.domain import Status
from paystream.order.v1 import order_pb2, order_pb2_grpc
from tests.fixtures.order import (
    FakePayments,
    OrderTopics,
    eventually,
    insert_order,
    load_order,
    observed,
    produce,
)

ROOT = Path(__file__).resolve().parents[3]


def _spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=ROOT,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _read(log: Path) -> str:
    return log.read_text()


def _worker_env(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    topics: OrderTopics,
    metrics_port: int,
) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_OBSERVATIONS": topics.observations,
        "KAFKA_TOPIC_ORDER_EVENTS": topics.events,
        "KAFKA_TOPIC_DLQ": topics.dlq,
        "KAFKA_CONSUMER_GROUP": topics.group,
        "WORKER_METRICS_PORT": str(metrics_port),
    }


async def _stop(process: subprocess.Popen[bytes], log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(process.wait, 30) == 0, _read(log)


async def test_order_api_serves_reports_health_and_metrics_and_stops_on_sigterm(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    fake_payments: FakePayments,
    tmp_path: Path,
) -> None:
    port, metrics_port = free_port(), free_port()
    log = tmp_path / "api.log"
    process = _spawn(
        "order.api",
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "KAFKA_TOPIC_OBSERVATIONS": order_topics.observations,
            "PAYMENT_GRPC_TARGET": fake_payments.target,
            "ORDER_GRPC_PORT": str(port),
            "ORDER_METRICS_PORT": str(metrics_port),
        },
        log,
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)

            async def serving() -> bool:
                try:
                    answer = await health.Check(
                        health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=1
                    )
                except grpc.aio.AioRpcError:
                    return False
                return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

            await eventually(serving, 30, 0.2)
            stub = order_pb2_grpc.OrderServiceStub(channel)
            created = await stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=42))
            assert created.created
        scraped = await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics").read()
        )
        assert b"/paystream.order.v1.OrderService/CreateOrder" in scraped
    finally:
        await _stop(process, log)
    assert '"order.api"' in _read(log)


async def test_order_worker_applies_serves_metrics_and_stops_on_sigterm(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    tmp_path: Path,
) -> None:
    order_id = insert_order(database_url, total_fee=5)
    metrics_port = free_port()
    log = tmp_path / "worker.log"
    env = _worker_env(database_url, redis_url, kafka_bootstrap, order_topics, metrics_port)
    process = _spawn("order.worker", env, log)
    try:
        produce(kafka_bootstrap, order_topics.observations, [observed(order_id, total_fee=5)])
        await eventually(lambda: load_order(database_url, order_id).status is Status.PAID, 30)  # type: ignore[union-attr]
        applied = b'paystream_order_worker_observations_total{outcome="APPLIED"} 1.0'

        async def counted() -> bool:  # the batch is counted after its commit and Redis refresh
            scraped = await asyncio.to_thread(
                lambda: urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics").read()
            )
            return applied in scraped

        await eventually(counted, 10, 0.1)
    finally:
        await _stop(process, log)


def _liveness(port: int) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:  # not listening yet
        return 0, b""


async def test_a_worker_stuck_on_a_row_lock_fails_its_liveness_probe_until_it_moves(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    tmp_path: Path,
) -> None:
    order_id = insert_order(database_url, total_fee=7)
    metrics_port = free_port()
    log = tmp_path / "worker.log"
    env = _worker_env(database_url, redis_url, kafka_bootstrap, order_topics, metrics_port)
    process = _spawn("order.worker", {**env, "WORKER_LIVENESS_SECONDS": "5"}, log)
    try:
        await eventually(lambda: _liveness(metrics_port) == (200, b"alive\n"), 30)
        # Another session holds the order's row: the worker's batch waits on it, not polling.
        with psycopg.connect(database_url) as holder:
            holder.execute("SELECT 1 FROM orders WHERE id = %s FOR UPDATE", (order_id,))
            produce(kafka_bootstrap, order_topics.observations, [observed(order_id, total_fee=7)])
            await eventually(lambda: _liveness(metrics_port) == (503, b"stuck\n"), 30)
            order = load_order(database_url, order_id)
            assert order is not None
            assert order.status is Status.PENDING
        # The lock is gone (the holder's transaction ended): the batch commits, polling resumes.
        await eventually(lambda: load_order(database_url, order_id).status is Status.PAID, 30)  # type: ignore[union-attr]
        await eventually(lambda: _liveness(metrics_port) == (200, b"alive\n"), 30)
    finally:
        await _stop(process, log)
