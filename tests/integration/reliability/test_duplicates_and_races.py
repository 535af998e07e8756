"""Duplicates and races through the real pieces — the sandbox's notifies, a real gateway
process, Kafka, the order worker, the reconciler with the PaymentService: every notify
delivered 16 times at once, a notify racing the reconciler's query, a customer paying while the
reconciler closes, two reconciler passes at once. Each order changes once and gets one event."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from order.domain import Status
from order.reconcile import ReconcileSettings
from order.reconcile.bootstrap import build_pass, resources
from order.store import PENDING_KEY, PendingIndex
from payment.wechatpay import RetryPolicy, WeChatPayV2Client
from paystream.events.v1 import events_pb2
from tests.fixtures.order import (
    NOTPAY,
    POLL,
    InProcessWorker,
    OrderTopics,
    eventually,
    insert_order,
    load_order,
    observed,
    outbox_events,
    produce,
    read_topic,
    scalar,
)
from tests.fixtures.payment import RunningPayments
from tests.fixtures.sandbox import SandboxControl, SandboxHandle, all_finished
from tests.integration.reliability.conftest import GatewayProcess, start_gateway, stop_gateway

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def sandbox_gateway(
    sandbox: SandboxHandle, kafka_bootstrap: str, order_topics: OrderTopics, tmp_path: Path
) -> Iterator[GatewayProcess]:
    """`python -m callback_gateway` for the sandbox's merchant, into this test's topic."""
    handle = start_gateway(
        kafka_bootstrap,
        order_topics.observations,
        tmp_path / "gateway.log",
        WECHATPAY_APPID=sandbox.appid,
        WECHATPAY_MCH_ID=sandbox.mch_id,
        WECHATPAY_API_KEY=sandbox.api_key,
    )
    try:
        yield handle
    finally:
        stop_gateway(handle)


@pytest.fixture
async def wechat(
    sandbox: SandboxHandle, sandbox_gateway: GatewayProcess
) -> AsyncIterator[WeChatPayV2Client]:
    """A merchant client whose orders are notified to the gateway."""
    config = sandbox.wechatpay_config(notify_url=sandbox_gateway.notify_url)
    async with WeChatPayV2Client.open(config, retry=RetryPolicy(base_delay=0.01)) as client:
        yield client


def _reconcile_settings(
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
        "reconcile_rate_per_second": 200,
        "reconcile_time_budget_seconds": 30,
    }
    values.update(overrides)
    return ReconcileSettings(**values)


async def _orders(
    database_url: str,
    wechat: WeChatPayV2Client,
    count: int,
    fee: int,
    expire_in: timedelta = timedelta(minutes=30),
) -> list[str]:
    """`count` orders in PostgreSQL (expiring as said) placed at WeChat for 30 minutes."""
    ids = [f"D{uuid.uuid4().hex[:20]}" for _ in range(count)]
    for order_id in ids:
        insert_order(database_url, order_id, total_fee=fee, expire_in=expire_in)
        await wechat.unified_order_native(out_trade_no=order_id, total_fee=fee, body="race")
    return ids


async def _due_now(redis_url: str, ids: list[str]) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.zadd(PENDING_KEY, dict.fromkeys(ids, time.time() - 1))

        async def nothing() -> AsyncIterator[tuple[str, float]]:
            empty: list[tuple[str, float]] = []
            for item in empty:
                yield item

        await PendingIndex(client).rebuild_from(nothing(), 3600)  # marks the index complete
    finally:
        await client.aclose()


async def _all_applied(
    database_url: str, bootstrap: str, topics: OrderTopics, ids: list[str]
) -> None:
    """A marker (a NOTPAY query result) behind everything sent for each order, same partition:
    once the worker applied every marker, it has applied everything before them."""
    markers = []
    for order_id in ids:
        marker = observed(order_id, NOTPAY, source=POLL)
        marker.observation_id = f"marker-{uuid.uuid4().hex}"
        markers.append(marker)
    produce(bootstrap, topics.observations, markers)
    marker_ids = [m.observation_id for m in markers]

    def applied() -> bool:
        count = scalar(
            database_url,
            "SELECT count(*) FROM inbox WHERE observation_id = ANY(%s)",
            marker_ids,
        )
        return bool(count == len(marker_ids))

    await eventually(applied, timeout=60)


def _event_kinds(database_url: str, order_id: str) -> list[str]:
    return [e.WhichOneof("kind") or "" for e in outbox_events(database_url, order_id)]


async def _published_events(
    bootstrap: str, topics: OrderTopics, expect: int
) -> Counter[tuple[str, str]]:
    """(order id, kind) → how many distinct event ids reached order.events."""
    records = await read_topic(bootstrap, topics.events, expect=expect, timeout=30)
    distinct = {}
    for record in records:
        event = events_pb2.OrderEvent.FromString(record.value)
        distinct[event.event_id] = (event.order_id, event.WhichOneof("kind") or "")
    return Counter(distinct.values())


async def _wait_delivered(control: SandboxControl, ids: list[str]) -> list[Any]:
    deliveries = []
    for order_id in ids:
        deliveries += await control.wait_for_deliveries(order_id, all_finished, timeout=60)
    return deliveries


async def test_every_notify_delivered_sixteen_times_at_once_changes_the_order_once(
    wechat: WeChatPayV2Client,
    sandbox_control: SandboxControl,
    running_worker: InProcessWorker,
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
) -> None:
    ids = await _orders(database_url, wechat, 20, fee=990)
    paid = await sandbox_control.pay_bulk(ids, copies=16)
    assert sorted(paid["paid"]) == sorted(ids)

    deliveries = await _wait_delivered(sandbox_control, ids)
    assert len(deliveries) == 20 * 16
    assert {d["state"] for d in deliveries} == {"delivered"}  # each copy answered SUCCESS
    await _all_applied(database_url, kafka_bootstrap, order_topics, ids)

    records = await read_topic(kafka_bootstrap, order_topics.observations, expect=20 * 17)
    notified = [
        o
        for o in map(events_pb2.PaymentObserved.FromString, (r.value for r in records))
        if o.source == events_pb2.OBSERVATION_SOURCE_NOTIFY  # the markers are POLL
    ]
    per_order = Counter(o.out_trade_no for o in notified)
    assert per_order == dict.fromkeys(ids, 16), "every SUCCESS answer is a record in Kafka"
    assert len({o.observation_id for o in notified}) == 20, "16 copies, one fact"
    for order_id in ids:
        order = load_order(database_url, order_id)
        assert order is not None
        assert (order.status, order.version) == (Status.PAID, 2)
        assert _event_kinds(database_url, order_id) == ["paid"]
        applied = scalar(
            database_url,
            "SELECT count(*) FROM inbox WHERE order_id = %s AND outcome = 'APPLIED'",
            order_id,
        )
        assert applied == 1
    published = await _published_events(kafka_bootstrap, order_topics, expect=20)
    assert published == {(order_id, "paid"): 1 for order_id in ids}


async def test_a_notify_racing_the_reconcilers_query_pays_once(
    wechat: WeChatPayV2Client,
    sandbox_control: SandboxControl,
    payment_service: RunningPayments,
    running_worker: InProcessWorker,
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
) -> None:
    ids = await _orders(database_url, wechat, 24, fee=1234)
    await _due_now(redis_url, ids)
    settings = _reconcile_settings(
        database_url,
        redis_url,
        kafka_bootstrap,
        order_topics,
        payment_service,
        reconcile_concurrency=2,
        reconcile_rate_per_second=60,
    )
    rng = random.Random(11)

    async def customer(order_id: str) -> None:
        # Queries run over ~0.4 s; each customer pays at a random moment of it.
        await asyncio.sleep(rng.uniform(0, 0.4))
        await sandbox_control.pay(order_id)

    async with resources(settings) as res:
        reconcile = asyncio.ensure_future(build_pass(settings, res).run())
        await asyncio.gather(*map(customer, ids))
        summary = await reconcile

    await _wait_delivered(sandbox_control, ids)
    await _all_applied(database_url, kafka_bootstrap, order_topics, ids)
    for order_id in ids:
        order = load_order(database_url, order_id)
        assert order is not None
        assert (order.status, order.version) == (Status.PAID, 2)
        assert _event_kinds(database_url, order_id) == ["paid"]
    assert summary.queried == len(ids)
    published = await _published_events(kafka_bootstrap, order_topics, expect=len(ids))
    assert published == {(order_id, "paid"): 1 for order_id in ids}


async def test_a_customer_paying_while_the_reconciler_closes_gets_one_outcome_and_one_event(
    wechat: WeChatPayV2Client,
    sandbox_control: SandboxControl,
    payment_service: RunningPayments,
    running_worker: InProcessWorker,
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
) -> None:
    ids = await _orders(database_url, wechat, 24, fee=500, expire_in=timedelta(seconds=-1))
    await _due_now(redis_url, ids)
    settings = _reconcile_settings(
        database_url,
        redis_url,
        kafka_bootstrap,
        order_topics,
        payment_service,
        reconcile_concurrency=2,
        reconcile_rate_per_second=10,
    )
    rng = random.Random(7)

    # The pass takes about 2.4 s (24 orders at 10/s) and the customers pay over the same 2.4 s,
    # so the two overlap even when a loaded machine starts the pass a second late.
    async def customer(order_id: str) -> int:
        await asyncio.sleep(rng.uniform(0, 2.4))
        answer = await sandbox_control.http.post("/sandbox/pay", json={"out_trade_no": order_id})
        return answer.status_code

    async with resources(settings) as res:
        reconcile = asyncio.ensure_future(build_pass(settings, res).run())
        answers = dict(zip(ids, await asyncio.gather(*map(customer, ids)), strict=True))
        summary = await reconcile

    paid_ids = [order_id for order_id, status in answers.items() if status == 200]
    await _wait_delivered(sandbox_control, paid_ids)
    await _all_applied(database_url, kafka_bootstrap, order_topics, ids)
    outcomes: Counter[Status] = Counter()
    for order_id in ids:
        at_wechat = (await sandbox_control.order(order_id))["trade_state"]
        assert (answers[order_id] == 200) == (at_wechat == "SUCCESS")
        order = load_order(database_url, order_id)
        assert order is not None
        want = Status.PAID if at_wechat == "SUCCESS" else Status.CLOSED
        assert (order.status, order.version) == (want, 2), order_id
        assert _event_kinds(database_url, order_id) == ["paid" if want is Status.PAID else "closed"]
        outcomes[want] += 1
    assert summary.paid + summary.closed == len(ids)
    assert set(outcomes) == {Status.PAID, Status.CLOSED}, (
        f"the race should go both ways: {outcomes}"
    )


async def test_two_reconciler_passes_at_once_change_each_order_once(
    wechat: WeChatPayV2Client,
    sandbox_control: SandboxControl,
    payment_service: RunningPayments,
    running_worker: InProcessWorker,
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
) -> None:
    lost = await _orders(database_url, wechat, 30, fee=700)
    expired = await _orders(database_url, wechat, 20, fee=700, expire_in=timedelta(seconds=-1))
    await sandbox_control.pay_bulk(lost, delivery="drop")  # paid, but no notify ever comes
    await _due_now(redis_url, lost + expired)
    settings = _reconcile_settings(
        database_url,
        redis_url,
        kafka_bootstrap,
        order_topics,
        payment_service,
        reconcile_batch_size=7,
    )

    async with resources(settings) as first, resources(settings) as second:
        summaries = await asyncio.gather(
            build_pass(settings, first).run(), build_pass(settings, second).run()
        )

    assert sum(s.due for s in summaries) == 50
    assert (sum(s.paid for s in summaries), sum(s.closed for s in summaries)) == (30, 20)
    await _all_applied(database_url, kafka_bootstrap, order_topics, lost + expired)
    for order_id in lost + expired:
        order = load_order(database_url, order_id)
        assert order is not None
        want = Status.PAID if order_id in lost else Status.CLOSED
        assert (order.status, order.version) == (want, 2)
        assert _event_kinds(database_url, order_id) == ["paid" if want is Status.PAID else "closed"]
    published = await _published_events(kafka_bootstrap, order_topics, expect=50)
    assert sum(published.values()) == 50
    assert set(published.values()) == {1}
