"""What the scenarios talk to, built from one System's environment: the two gRPC services, the
sandbox's control API, the topics read back, the pending index and the reconciler."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
import structlog

from devstack.apps import System
from devstack.demo.stock import DemoStock
from devstack.demo.topic_tail import TopicTail
from devstack.layout import HOST
from order.reconcile.bootstrap import run_once
from order.reconcile.reconcile_pass import PassSummary
from order.reconcile.settings import ReconcileSettings
from order.store import PendingIndex, redis_client
from paystream.order.v1 import order_pb2_grpc
from paystream.payment.v1 import payment_pb2_grpc
from runtime.grpc_tls import TlsFiles, channel
from runtime.kafka import TOPIC_OBSERVATIONS, TOPIC_ORDER_EVENTS

CALL_TIMEOUT = 5.0


@dataclass
class Wiring:
    env: dict[str, str]
    orders: order_pb2_grpc.OrderServiceAsyncStub
    payments: payment_pb2_grpc.PaymentServiceAsyncStub
    sandbox: httpx.AsyncClient
    """The sandbox's plain port: the control API (the customer, the deliveries log)."""
    order_events: TopicTail
    observations: TopicTail
    index: PendingIndex
    reconciler_tls: TlsFiles | None = None
    stock: DemoStock | None = None
    """The reference stock service; the demo, as the shop, reserves for each order."""

    async def bring_check_forward(self, order_id: str) -> None:
        """Makes the order due now in the pending index, as if the reconciler's next check had
        come (it would come ORDER_FIRST_CHECK_SECONDS after creation, on the next CronJob run)."""
        await self.index.reschedule(order_id, time.time())

    async def reconcile(self, close_grace_seconds: float | None = None) -> PassSummary:
        """One reconciler pass in this process, as `python -m order.reconcile` makes it."""
        values: dict[str, Any] = {
            "database_url": self.env["DATABASE_URL"],
            "redis_url": self.env["REDIS_URL"],
            "kafka_bootstrap_servers": self.env["KAFKA_BOOTSTRAP_SERVERS"],
            "kafka_topic_observations": self.env.get(
                "KAFKA_TOPIC_OBSERVATIONS", TOPIC_OBSERVATIONS
            ),
            "payment_grpc_target": self.env["PAYMENT_GRPC_TARGET"],
            "reconcile_time_budget_seconds": 10.0,
        }
        if self.reconciler_tls is not None:  # the reconciler's own certificate
            files = self.reconciler_tls
            values |= {"grpc_tls_cert": files.cert, "grpc_tls_key": files.key}
            values["grpc_tls_ca"] = files.ca
        if close_grace_seconds is not None:
            values["reconcile_close_grace_seconds"] = close_grace_seconds
        return await run_once(ReconcileSettings(**values))


@contextmanager
def log_to(path: Path) -> Iterator[None]:
    """Sends what the in-process reconciler logs to a file instead of the demo's terminal,
    for the duration of the block (then structlog's defaults come back)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as stream:
        _configure(stream)
        try:
            yield
        finally:
            structlog.reset_defaults()


def _configure(stream: TextIO) -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,  # the stream closes with the block
    )


@asynccontextmanager
async def wired(system: System) -> AsyncIterator[Wiring]:
    env = system.env()
    async with AsyncExitStack() as stack:
        tls = system.client_tls()
        order_channel = channel(env["ORDER_GRPC_TARGET"], tls)
        stack.push_async_callback(order_channel.close, None)
        payment_channel = channel(env["PAYMENT_GRPC_TARGET"], tls)
        stack.push_async_callback(payment_channel.close, None)
        control = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=f"http://{HOST}:{system.ports.sandbox}",
                timeout=CALL_TIMEOUT,
                trust_env=False,
            )
        )
        bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
        events_topic = env.get("KAFKA_TOPIC_ORDER_EVENTS", TOPIC_ORDER_EVENTS)
        observations_topic = env.get("KAFKA_TOPIC_OBSERVATIONS", TOPIC_OBSERVATIONS)
        order_events = await asyncio.to_thread(TopicTail, bootstrap, events_topic)
        stack.callback(order_events.close)
        observations = await asyncio.to_thread(TopicTail, bootstrap, observations_topic)
        stack.callback(observations.close)
        redis = redis_client(env["REDIS_URL"], timeout=2.0)
        stack.push_async_callback(redis.aclose)
        stock = await asyncio.to_thread(DemoStock, env["DATABASE_URL"], bootstrap, events_topic)
        stack.enter_context(stock)
        yield Wiring(
            env=env,
            orders=order_pb2_grpc.OrderServiceStub(order_channel),
            payments=payment_pb2_grpc.PaymentServiceStub(payment_channel),
            sandbox=control,
            order_events=order_events,
            observations=observations,
            index=PendingIndex(redis),
            reconciler_tls=system.client_tls("order-reconcile"),
            stock=stock,
        )
