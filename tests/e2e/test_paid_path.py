"""A payment end to end: OrderService creates the order, WeChat (the sandbox) is paid, its
notify goes through the callback gateway (a real process) and Kafka to the order worker: the
order ends PAID, with exactly one OrderPaid event on `order.events`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import structlog

from order.domain import Status
from payment.wechatpay import RetryPolicy, WeChatPayV2Client
from paystream.events.v1 import events_pb2
from paystream.order.v1 import order_pb2
from tests.fixtures.order import (
    InProcessWorker,
    OrderTopics,
    RunningApi,
    eventually,
    load_order,
    read_topic,
)
from tests.fixtures.sandbox import SandboxControl, SandboxHandle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _structlog_defaults() -> None:
    """Another test may have pointed structlog at a capture stream that is closed by now."""
    structlog.reset_defaults()


@pytest.fixture
def gateway_url(gateway_base: str) -> str:
    return f"{gateway_base}/wechatpay/v2/notify"


async def test_a_paid_order_ends_paid_with_one_order_paid_event(
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    gateway_url: str,
    order_api: RunningApi,
    running_worker: InProcessWorker,
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
) -> None:
    created = await order_api.stub.CreateOrder(
        order_pb2.CreateOrderRequest(total_fee=1999, description="绿茶 500g")
    )
    order_id = created.order.id
    config = sandbox.wechatpay_config(notify_url=gateway_url)
    async with WeChatPayV2Client.open(config, retry=RetryPolicy(base_delay=0.01)) as wechat:
        await wechat.unified_order_native(
            out_trade_no=order_id, total_fee=1999, body=created.order.description
        )
    paid = await sandbox_control.pay(order_id)

    await eventually(lambda: load_order(database_url, order_id).status is Status.PAID, 30)  # type: ignore[union-attr]
    order = load_order(database_url, order_id)
    assert order is not None
    assert order.transaction_id == paid["order"]["transaction_id"]
    assert order.version == 2

    answer = await order_api.stub.GetOrder(order_pb2.GetOrderRequest(id=order_id))
    assert answer.order.status == order_pb2.ORDER_STATUS_PAID

    await asyncio.sleep(1.0)  # room for a duplicate notify or event, which must not appear
    events = [
        events_pb2.OrderEvent.FromString(r.value)
        for r in await read_topic(kafka_bootstrap, order_topics.events, expect=1)
    ]
    assert [(e.order_id, e.WhichOneof("kind")) for e in events] == [(order_id, "paid")]
    assert events[0].paid.transaction_id == order.transaction_id
    assert events[0].paid.total_fee == 1999
