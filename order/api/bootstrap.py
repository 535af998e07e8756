"""OrderService's composition root: everything the process runs, built from its settings.

Tests build the same graph (with a fake PaymentService on a free port) and run it in-process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import grpc
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from order.api.service import ObservationReporter, OrderPolicy, OrderService, utc_now
from order.api.servicer import OrderServicer
from order.api.settings import ApiSettings
from order.payments import Payments
from order.store import OrderStore, PendingIndex, RefundStore, Snapshots, redis_client
from paystream.order.v1 import order_pb2, order_pb2_grpc
from paystream.payment.v1 import payment_pb2_grpc
from runtime.grpc_server import GrpcServer
from runtime.grpc_tls import channel, server_tls
from runtime.kafka import AckingProducer, producer_config
from runtime.logs import get_logger

log = get_logger(__name__)

SERVICE_NAME = order_pb2.DESCRIPTOR.services_by_name["OrderService"].full_name
MONEY_MOVING = ("CancelOrder", "RefundOrder")
"""Logged with their caller on each admitted call (mutual TLS); a name the service does not
have is ignored."""


@dataclass
class ApiApp:
    server: GrpcServer
    service: OrderService
    pool: AsyncConnectionPool
    redis: Redis
    producer: AckingProducer
    payment_channel: grpc.aio.Channel

    @property
    def port(self) -> int:
        return self.server.port

    async def start(self) -> None:
        await self.pool.open(wait=False)
        await self.server.start()

    async def stop(self, grace: float) -> None:
        await self.server.stop(grace)
        await self.close()

    async def serve_until_signalled(self, grace: float) -> None:
        await self.pool.open(wait=False)
        try:
            await self.server.serve_until_signalled(grace)
        finally:
            await self.close()

    async def close(self) -> None:
        await self.payment_channel.close(None)
        await self.pool.close()
        await self.redis.aclose()
        left = await asyncio.to_thread(self.producer.close)
        if left:
            log.warning("producer closed with records unacknowledged", records=left)


def build(settings: ApiSettings, clock: Callable[[], datetime] = utc_now) -> ApiApp:
    """Builds the service (call it inside the event loop that will serve it)."""
    pool = AsyncConnectionPool(
        str(settings.database_url),
        min_size=1,
        max_size=settings.database_pool_size,
        kwargs={"autocommit": True, "connect_timeout": 5},
        timeout=5,
        open=False,
    )
    redis = redis_client(str(settings.redis_url), settings.redis_timeout_seconds)
    producer = AckingProducer(producer_config(settings.kafka_bootstrap_servers))
    payment_channel = channel(settings.payment_grpc_target, settings.grpc_tls())
    service = OrderService(
        OrderStore(pool),
        RefundStore(pool),
        Snapshots(redis, settings.order_snapshot_ttl_seconds),
        PendingIndex(redis),
        Payments(payment_pb2_grpc.PaymentServiceStub(payment_channel)),
        ObservationReporter(producer, settings.kafka_topic_observations),
        OrderPolicy(
            payment_window=timedelta(seconds=settings.order_payment_window_seconds),
            first_check_delay=timedelta(seconds=settings.order_first_check_seconds),
            cancel_wait_seconds=settings.order_cancel_wait_seconds,
        ),
        clock,
    )
    servicer = OrderServicer(service)
    server = GrpcServer(
        lambda s: order_pb2_grpc.add_OrderServiceServicer_to_server(servicer, s),
        [SERVICE_NAME],
        f"{settings.order_grpc_host}:{settings.order_grpc_port}",
        tls=server_tls(settings, SERVICE_NAME, MONEY_MOVING),
        reflection=settings.grpc_reflection,
        health_address=settings.health_address(settings.order_grpc_host),
    )
    return ApiApp(server, service, pool, redis, producer, payment_channel)
