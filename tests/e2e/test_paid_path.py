"""A payment end to end: OrderService creates the order, WeChat (the sandbox) is paid, its
notify goes through the callback gateway (a real process) and Kafka to the order worker: the
order ends PAID, with exactly one OrderPaid event on `order.events`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog

from devstack.ports import free_port
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
def gateway_url(
    sandbox: SandboxHandle, kafka_bootstrap: str, order_topics: OrderTopics, tmp_path: Path
) -> Iterator[str]:
    """`python -m callback_gateway` on a free port, publishing to this test's topic."""
    port = free_port()
    log = tmp_path / "gateway.log"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "WECHATPAY_APPID": sandbox.appid,
        "WECHATPAY_MCH_ID": sandbox.mch_id,
        "WECHATPAY_API_KEY": sandbox.api_key,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_OBSERVATIONS": order_topics.observations,
        "GATEWAY_PORT": str(port),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "callback_gateway"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=1.0) as http:
            for _ in range(300):
                assert process.poll() is None, log.read_text()
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        yield f"{base}/wechatpay/v2/notify"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


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
        for r in read_topic(kafka_bootstrap, order_topics.events, expect=1)
    ]
    assert [(e.order_id, e.WhichOneof("kind")) for e in events] == [(order_id, "paid")]
    assert events[0].paid.transaction_id == order.transaction_id
    assert events[0].paid.total_fee == 1999
