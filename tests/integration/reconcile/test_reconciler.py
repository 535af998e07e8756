"""The reconciler against the sandbox, the PaymentService, Kafka, PostgreSQL and Redis, with the
order worker applying what it reports: lost notifies recovered, timed-out orders closed at
WeChat first, never a double action."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import redis.asyncio as aioredis

from order.domain import Status
from order.payments import Payments
from order.reconcile import ReconcileSettings
from order.reconcile.bootstrap import build_pass, resources, run_once
from order.store import PENDING_KEY, PendingIndex
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import payment_pb2, types_pb2
from runtime.observations import timestamp
from tests.fixtures.order import (
    InProcessWorker,
    OrderTopics,
    eventually,
    insert_order,
    insert_orders,
    load_order,
    read_topic,
)
from tests.fixtures.payment import RunningPayments, paid_order
from tests.fixtures.sandbox import SandboxControl

pytestmark = pytest.mark.timeout(120)


def _settings(
    database_url: str,
    redis_url: str,
    bootstrap: str,
    topics: OrderTopics,
    payments: RunningPayments,
    **overrides: Any,
) -> ReconcileSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "kafka_bootstrap_servers": bootstrap,
        "kafka_topic_observations": topics.observations,
        "payment_grpc_target": payments.target,
        "reconcile_close_grace_seconds": 0,
        "reconcile_rate_per_second": 500,
        "reconcile_time_budget_seconds": 30,
    }
    values.update(overrides)
    return ReconcileSettings(**values)


@pytest.fixture
def reconcile_settings(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    payment_service: RunningPayments,
) -> ReconcileSettings:
    return _settings(database_url, redis_url, kafka_bootstrap, order_topics, payment_service)


async def _due_now(redis_url: str, *order_ids: str, when: float | None = None) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        index = PendingIndex(client)
        for order_id in order_ids:
            await client.zadd(PENDING_KEY, {order_id: when or time.time() - 1})
        await index.rebuild_from(_none(), 3600)  # marks the index complete
    finally:
        await client.aclose()


async def _none() -> AsyncIterator[tuple[str, float]]:
    nothing: list[tuple[str, float]] = []
    for item in nothing:
        yield item


async def _place(
    payments: RunningPayments,
    order_id: str,
    total_fee: int,
    expire_in: timedelta = timedelta(minutes=30),
) -> None:
    await payments.stub.CreateNative(
        payment_pb2.CreateNativeRequest(
            out_trade_no=order_id,
            total_fee=total_fee,
            description="reconcile test",
            expire_time=timestamp(datetime.now(UTC) + expire_in),
        )
    )


def _new_id() -> str:
    return f"R{uuid.uuid4().hex[:20]}"


async def test_a_dropped_notify_is_recovered_by_the_next_pass(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    payment_service: RunningPayments,
    sandbox_control: SandboxControl,
    reconcile_settings: ReconcileSettings,
    running_worker: InProcessWorker,
) -> None:
    order_id = insert_order(database_url, _new_id(), total_fee=880)
    await _place(payment_service, order_id, 880)
    await sandbox_control.pay(order_id, delivery="drop")
    await _due_now(redis_url, order_id)

    summary = await run_once(reconcile_settings)

    assert (summary.due, summary.queried, summary.paid, summary.errors) == (1, 1, 1, 0)
    await eventually(lambda: (load_order(database_url, order_id) or _never()).status is Status.PAID)
    paid = load_order(database_url, order_id)
    assert paid is not None
    assert paid.transaction_id
    events = [
        events_pb2.OrderEvent.FromString(r.value)
        for r in await read_topic(kafka_bootstrap, order_topics.events, expect=1)
    ]
    assert [e.WhichOneof("kind") for e in events] == ["paid"]


async def test_an_expired_unpaid_order_is_closed_at_wechat_first_then_locally(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    payment_service: RunningPayments,
    sandbox_control: SandboxControl,
    reconcile_settings: ReconcileSettings,
    running_worker: InProcessWorker,
) -> None:
    order_id = insert_order(database_url, _new_id(), expire_in=timedelta(seconds=-1))
    await _place(payment_service, order_id, 1000, expire_in=timedelta(minutes=5))
    never_placed = insert_order(database_url, _new_id(), expire_in=timedelta(seconds=-1))
    await _due_now(redis_url, order_id, never_placed)

    summary = await run_once(reconcile_settings)

    assert (summary.due, summary.closed, summary.paid, summary.errors) == (2, 2, 0, 0)
    assert (await sandbox_control.order(order_id))["trade_state"] == "CLOSED"
    for closed in (order_id, never_placed):
        await eventually(
            lambda o=closed: (load_order(database_url, o) or _never()).status is Status.CLOSED
        )
    events = [
        events_pb2.OrderEvent.FromString(r.value)
        for r in await read_topic(kafka_bootstrap, order_topics.events, expect=2)
    ]
    assert [e.WhichOneof("kind") for e in events] == ["closed", "closed"]
    assert {e.closed.reason for e in events} == {"timeout"}


async def test_a_customer_paying_while_the_pass_closes_ends_paid_never_closed(
    database_url: str,
    redis_url: str,
    payment_service: RunningPayments,
    sandbox_control: SandboxControl,
    reconcile_settings: ReconcileSettings,
    running_worker: InProcessWorker,
) -> None:
    ids = [
        insert_order(database_url, _new_id(), total_fee=500, expire_in=timedelta(seconds=-1))
        for _ in range(16)
    ]
    for order_id in ids:
        await _place(payment_service, order_id, 500, expire_in=timedelta(minutes=5))
    await _due_now(redis_url, *ids)
    # Two closes at a time, 40 a second: the pass closes these over ~0.4 s, while each
    # customer pays at a random moment of the same 0.4 s.
    settings = reconcile_settings.model_copy(
        update={"reconcile_concurrency": 2, "reconcile_rate_per_second": 40}
    )
    rng = random.Random(7)

    async def customer(order_id: str) -> int:
        await asyncio.sleep(rng.uniform(0, 0.4))
        answer = await sandbox_control.http.post(
            "/sandbox/pay", json={"out_trade_no": order_id, "delivery": "drop"}
        )
        return answer.status_code

    async with resources(settings) as res:
        reconcile = build_pass(settings, res)
        running = asyncio.ensure_future(reconcile.run())
        answers = await asyncio.gather(*map(customer, ids))
        summary = await running

    assert summary.paid + summary.closed == len(ids)
    outcomes = set()
    for order_id, status_code in zip(ids, answers, strict=True):
        at_wechat = (await sandbox_control.order(order_id))["trade_state"]
        assert (status_code == 200) == (at_wechat == "SUCCESS")
        expected = Status.PAID if at_wechat == "SUCCESS" else Status.CLOSED
        outcomes.add(expected)
        await eventually(
            lambda o=order_id, e=expected: (load_order(database_url, o) or _never()).status is e
        )
    assert outcomes == {Status.PAID, Status.CLOSED}, "the race should go both ways"


class CountingPayments(Payments):
    def __init__(self, inner: Payments, seen: list[str]) -> None:
        self._inner = inner
        self.seen = seen

    async def query(self, order_id: str, timeout: float) -> Any:
        self.seen.append(order_id)
        return await self._inner.query(order_id, timeout)

    async def close(self, order_id: str, timeout: float) -> Any:
        self.seen.append(order_id)
        return await self._inner.close(order_id, timeout)


async def test_two_passes_at_once_handle_each_order_once(
    database_url: str,
    redis_url: str,
    reconcile_settings: ReconcileSettings,
) -> None:
    ids = insert_orders(database_url, 60)
    await _due_now(redis_url, *ids)
    seen: list[str] = []
    settings = reconcile_settings.model_copy(update={"reconcile_batch_size": 7})
    async with resources(settings) as first, resources(settings) as second:
        passes = [build_pass(settings, res) for res in (first, second)]
        for one in passes:
            one._payments = CountingPayments(one._payments, seen)
        summaries = await asyncio.gather(*(one.run() for one in passes))
    assert sorted(seen) == sorted(ids)
    assert sum(s.due for s in summaries) == len(ids)
    assert sum(s.queried for s in summaries) == len(ids)


async def test_a_flushed_redis_is_rebuilt_from_postgres_and_nothing_is_missed(
    database_url: str,
    redis_url: str,
    reconcile_settings: ReconcileSettings,
) -> None:
    ids = insert_orders(database_url, 25)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE orders SET status = 'PAID', transaction_id = 'x' WHERE id = %s", (ids[0],)
        )
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()

    summary = await run_once(reconcile_settings)

    assert summary.rebuilt_index == 24
    assert (summary.due, summary.queried) == (24, 24)


async def test_only_the_due_orders_among_ten_thousand_pending_are_queried(
    database_url: str,
    redis_url: str,
    reconcile_settings: ReconcileSettings,
) -> None:
    ids = insert_orders(database_url, 10_000)
    due, later = ids[:100], ids[100:]
    client = aioredis.Redis.from_url(redis_url)
    try:
        now = time.time()
        await client.zadd(PENDING_KEY, {o: now + 600 for o in later})
        await client.zadd(PENDING_KEY, {o: now - 5 for o in due})
        await PendingIndex(client).rebuild_from(_none(), 3600)
    finally:
        await client.aclose()
    seen: list[str] = []
    async with resources(reconcile_settings) as res:
        one = build_pass(reconcile_settings, res)
        one._payments = CountingPayments(one._payments, seen)
        summary = await one.run()
    assert sorted(seen) == sorted(due)
    assert (summary.due, summary.queried) == (100, 100)


def _never() -> Any:
    raise AssertionError("the order is gone")


async def test_a_poll_answering_refund_reports_the_refunds_so_the_order_ends_refunded(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    payment_service: RunningPayments,
    sandbox_control: SandboxControl,
    reconcile_settings: ReconcileSettings,
    running_worker: InProcessWorker,
) -> None:
    """Payment notify lost, refunds made (their notifies lost too): WeChat's query says REFUND,
    which means "paid, and refunds exist" — the pass reports the payment and each refund."""
    order_id = insert_order(database_url, _new_id(), total_fee=1000)
    await _place(payment_service, order_id, 1000)
    await sandbox_control.pay(order_id, delivery="drop")
    for number, fee in ((1, 600), (2, 400)):
        await payment_service.stub.Refund(
            payment_pb2.RefundRequest(
                out_trade_no=order_id,
                out_refund_no=f"{order_id}-{number}",
                total_fee=1000,
                refund_fee=fee,
            )
        )
    for _ in range(200):  # the sandbox settles a refund REFUND_DELAY_SECONDS after it
        settled = await payment_service.stub.QueryRefund(
            payment_pb2.QueryRefundRequest(out_trade_no=order_id)
        )
        if all(r.status == types_pb2.REFUND_STATUS_SUCCESS for r in settled.refunds):
            break
        await asyncio.sleep(0.05)
    assert [r.status for r in settled.refunds] == [types_pb2.REFUND_STATUS_SUCCESS] * 2
    await _due_now(redis_url, order_id)

    summary = await run_once(reconcile_settings)

    assert (summary.queried, summary.paid, summary.refunds, summary.errors) == (1, 1, 2, 0)
    await eventually(
        lambda: (load_order(database_url, order_id) or _never()).status is Status.REFUNDED, 30
    )
    order = load_order(database_url, order_id)
    assert order is not None
    assert order.refunded_fee == 1000
    events = [
        events_pb2.OrderEvent.FromString(r.value)
        for r in await read_topic(kafka_bootstrap, order_topics.events, expect=3)
    ]
    assert [e.WhichOneof("kind") for e in events] == ["paid", "refunded", "refunded"]
    assert sum(e.refunded.refund_fee for e in events[1:]) == 1000


async def test_open_refunds_are_asked_about_and_a_reservation_wechat_never_got_is_released(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    payment_service: RunningPayments,
    sandbox_control: SandboxControl,
    reconcile_settings: ReconcileSettings,
    running_worker: InProcessWorker,
) -> None:
    """A paid order is no longer polled: a refund whose notify is lost stays PROCESSING here
    until the sweep asks WeChat about it."""
    order_id = await paid_order(
        1000, database_url, kafka_bootstrap, order_topics, payment_service, sandbox_control
    )
    made = await payment_service.stub.Refund(
        payment_pb2.RefundRequest(
            out_trade_no=order_id, out_refund_no=f"{order_id}-1", total_fee=1000, refund_fee=250
        )
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO refunds (order_id, out_refund_no, refund_id, refund_fee, status) "
            "VALUES (%s, %s, %s, 250, 'PROCESSING'), (%s, %s, '', 300, 'PROCESSING')",
            (order_id, f"{order_id}-1", made.refund.refund_id, order_id, f"{order_id}-never"),
        )
        conn.execute(
            "UPDATE refunds SET created_at = now() - interval '1 hour' WHERE out_refund_no = %s",
            (f"{order_id}-never",),
        )
    for _ in range(200):  # the sandbox settles a refund REFUND_DELAY_SECONDS after it
        one = await payment_service.stub.QueryRefund(
            payment_pb2.QueryRefundRequest(out_trade_no=order_id, out_refund_no=f"{order_id}-1")
        )
        if one.refunds[0].status == types_pb2.REFUND_STATUS_SUCCESS:
            break
        await asyncio.sleep(0.05)

    summary = await run_once(
        reconcile_settings.model_copy(update={"reconcile_refund_check_seconds": 0})
    )

    assert (
        summary.open_refunds_checked,
        summary.open_refunds_settled,
        summary.open_refunds_released,
    ) == (2, 1, 1)
    await eventually(
        lambda: (load_order(database_url, order_id) or _never()).status is Status.PARTIALLY_REFUNDED
    )
    order = load_order(database_url, order_id)
    assert order is not None
    assert order.refunded_fee == 250
    with psycopg.connect(database_url) as conn:
        left = conn.execute(
            "SELECT out_refund_no, status FROM refunds WHERE order_id = %s", (order_id,)
        ).fetchall()
    assert left == [(f"{order_id}-1", "SUCCESS")]
