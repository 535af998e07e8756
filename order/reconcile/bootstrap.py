"""The reconciler's composition root: build the pass from its settings, check that it can run,
run it once, and close everything."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from order.payments import Payments
from order.reconcile.index import ensure_complete
from order.reconcile.rate import RateLimiter
from order.reconcile.reconcile_pass import PassLimits, PassSummary, ReconcilePass
from order.reconcile.refund_sweep import RefundSweep, SweepLimits
from order.reconcile.schedule import Schedule
from order.reconcile.settings import ReconcileSettings
from order.store import PendingIndex, PendingOrder, RefundStore, pending_among, redis_client
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc
from runtime import grpc_tls
from runtime.kafka import AckingProducer, producer_config
from runtime.logs import get_logger
from runtime.observations import publish

log = get_logger("order.reconcile")

PAYMENT_SERVICE = payment_pb2.DESCRIPTOR.services_by_name["PaymentService"].full_name
PREFLIGHT_TIMEOUT = 5.0


class CannotRunError(Exception):
    """A dependency is unreachable: the pass did not start (exit non-zero; the next one will)."""


@dataclass
class Resources:
    redis: Redis
    pool: AsyncConnectionPool
    producer: AckingProducer
    channel: grpc.aio.Channel


@asynccontextmanager
async def resources(settings: ReconcileSettings) -> AsyncIterator[Resources]:
    redis = redis_client(str(settings.redis_url), timeout=2.0)
    pool = AsyncConnectionPool(
        str(settings.database_url),
        min_size=1,
        max_size=2,
        kwargs={"autocommit": True, "connect_timeout": 5},
        timeout=5,
        open=False,
    )
    producer = AckingProducer(producer_config(settings.kafka_bootstrap_servers))
    channel = grpc_tls.channel(settings.payment_grpc_target, settings.grpc_tls())
    await pool.open(wait=False)
    try:
        yield Resources(redis, pool, producer, channel)
    finally:
        await channel.close(None)
        await pool.close()
        await redis.aclose()
        await asyncio.to_thread(producer.close)


async def preflight(res: Resources) -> None:
    """Every dependency answers now, or the pass does not start."""
    checks = {
        "redis": _redis_answers(res.redis),
        "postgresql": _postgres_answers(res.pool),
        "kafka": asyncio.to_thread(res.producer.reachable, PREFLIGHT_TIMEOUT),
        "payment service": _payment_serving(res.channel),
    }
    results = await asyncio.gather(*checks.values(), return_exceptions=True)
    down = [name for name, ok in zip(checks, results, strict=True) if ok is not True]
    if down:
        raise CannotRunError(f"unreachable: {', '.join(down)}")


async def _redis_answers(redis: Redis) -> bool:
    return bool(await redis.ping())


async def _postgres_answers(pool: AsyncConnectionPool) -> bool:
    async with pool.connection(timeout=PREFLIGHT_TIMEOUT) as conn:
        cursor = await conn.execute("SELECT 1")
        return await cursor.fetchone() == (1,)


async def _payment_serving(channel: grpc.aio.Channel) -> bool:
    health = health_pb2_grpc.HealthStub(channel)
    answer = await health.Check(
        health_pb2.HealthCheckRequest(service=PAYMENT_SERVICE), timeout=PREFLIGHT_TIMEOUT
    )
    return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)


def _reporter(
    settings: ReconcileSettings, res: Resources
) -> Callable[[events_pb2.PaymentObserved], Awaitable[None]]:
    async def report(record: events_pb2.PaymentObserved) -> None:
        await publish(
            res.producer,
            settings.kafka_topic_observations,
            record,
            settings.reconcile_call_timeout_seconds,
        )

    return report


def build_pass(settings: ReconcileSettings, res: Resources) -> ReconcilePass:
    index = PendingIndex(res.redis)

    async def load_pending(ids: list[str]) -> dict[str, PendingOrder]:
        async with res.pool.connection() as conn:
            return await pending_among(conn, ids)

    refund_store = RefundStore(res.pool)

    report = _reporter(settings, res)

    limits = PassLimits(
        batch_size=settings.reconcile_batch_size,
        concurrency=settings.reconcile_concurrency,
        time_budget=settings.reconcile_time_budget_seconds,
        call_timeout=settings.reconcile_call_timeout_seconds,
        lease=timedelta(seconds=settings.reconcile_time_budget_seconds * 2 + 60),
        settle=timedelta(seconds=settings.reconcile_settle_seconds),
        retry=timedelta(seconds=settings.reconcile_retry_seconds),
    )

    def progress(summary: PassSummary) -> None:
        log.info(summary.line().replace("reconcile pass:", "reconcile progress:"))

    return ReconcilePass(
        index=index,
        load_pending=load_pending,
        load_refund_numbers=refund_store.numbers,
        payments=Payments(payment_pb2_grpc.PaymentServiceStub(res.channel)),
        report=report,
        limiter=RateLimiter(
            settings.reconcile_rate_per_second, burst=settings.reconcile_concurrency
        ),
        schedule=Schedule(close_grace=timedelta(seconds=settings.reconcile_close_grace_seconds)),
        limits=limits,
        progress=progress,
    )


def build_sweep(settings: ReconcileSettings, res: Resources) -> RefundSweep:
    report = _reporter(settings, res)

    return RefundSweep(
        RefundStore(res.pool),
        Payments(payment_pb2_grpc.PaymentServiceStub(res.channel)),
        report,
        RateLimiter(settings.reconcile_rate_per_second, burst=1),
        SweepLimits(
            check_after=timedelta(seconds=settings.reconcile_refund_check_seconds),
            release_after=timedelta(seconds=settings.reconcile_refund_release_seconds),
            batch_size=settings.reconcile_refund_batch_size,
            call_timeout=settings.reconcile_call_timeout_seconds,
        ),
    )


async def run_once(settings: ReconcileSettings) -> PassSummary:
    """One bounded pass. Raises CannotRunError when it could not start."""
    async with resources(settings) as res:
        await preflight(res)
        rebuilt = await ensure_complete(
            PendingIndex(res.redis),
            res.pool,
            datetime.now(UTC),
            settings.reconcile_index_valid_seconds,
        )
        if rebuilt is not None:
            log.info("pending index rebuilt from PostgreSQL", pending_orders=rebuilt)
        summary = await build_pass(settings, res).run()
        summary.rebuilt_index = rebuilt
        swept = await build_sweep(settings, res).run(datetime.now(UTC))
        summary.open_refunds_checked = swept.checked
        summary.open_refunds_settled = swept.reported
        summary.open_refunds_released = swept.released
        summary.errors += swept.errors
        return summary
