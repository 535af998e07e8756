"""The sandbox's state rules in-process: pay and close exclude each other, reset forgets all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from payment.wechatpay.http import HttpxPoster
from payment.wechatpay.mapping import beijing_compact
from payment.wechatpay.types import TradeState
from sandbox.failures import BusinessFailError, PayRefusedError
from sandbox.notifier import Notifier
from sandbox.service import DeliveryOptions, Sandbox
from sandbox.store import Order
from sandbox.v2_sign import SignType
from sandbox.wire import Merchant

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    transport = httpx.MockTransport(lambda _: httpx.Response(200))
    async with httpx.AsyncClient(transport=transport) as http:
        notifier = Notifier(HttpxPoster(http), clock=lambda: NOW)
        yield Sandbox(
            Merchant("wx1", "19", "k" * 32),
            notifier,
            lambda: NOW,
            refund_delay_seconds=0,
            refund_notify_url=None,
        )
        await notifier.cancel_all()


def place(sandbox: Sandbox, out_trade_no: str = "order-001", **fields: str) -> Order:
    request = {
        "body": "x",
        "out_trade_no": out_trade_no,
        "total_fee": "100",
        "spbill_create_ip": "127.0.0.1",
        "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "NATIVE",
        "product_id": "p",
        **fields,
    }
    sandbox.trades.unified_order(request, SignType.MD5, NOW)
    return sandbox.store.orders[out_trade_no]


async def test_a_paid_order_cannot_be_closed(sandbox: Sandbox) -> None:
    order = place(sandbox)
    sandbox.pay(order, DeliveryOptions(drop=True))
    with pytest.raises(BusinessFailError) as raised:
        sandbox.trades.close_order({"out_trade_no": order.out_trade_no})
    assert raised.value.err_code == "ORDERPAID"
    assert order.state is TradeState.SUCCESS


async def test_a_closed_order_cannot_be_paid(sandbox: Sandbox) -> None:
    order = place(sandbox)
    sandbox.trades.close_order({"out_trade_no": order.out_trade_no})
    with pytest.raises(PayRefusedError) as raised:
        sandbox.pay(order, DeliveryOptions())
    assert raised.value.code == "ORDER_CLOSED"
    assert (order.state, order.transaction_id) == (TradeState.CLOSED, None)
    assert sandbox.deliveries.of_order(order.out_trade_no) == []


async def test_a_failed_payment_leaves_the_order_payable(sandbox: Sandbox) -> None:
    order = place(sandbox)
    sandbox.pay(order, DeliveryOptions(drop=True, succeeded=False))
    assert order.state is TradeState.NOTPAY
    sandbox.pay(order, DeliveryOptions(drop=True))
    assert order.paid


async def test_time_expire_must_leave_a_minute_to_pay(sandbox: Sandbox) -> None:
    with pytest.raises(BusinessFailError) as raised:
        place(sandbox, time_expire=beijing_compact(NOW + timedelta(seconds=59)))
    assert raised.value.err_code == "PARAM_ERROR"
    order = place(sandbox, "order-002", time_expire=beijing_compact(NOW + timedelta(minutes=5)))
    assert order.time_expire == NOW + timedelta(minutes=5)


async def test_reset_forgets_orders_refunds_deliveries_and_faults(sandbox: Sandbox) -> None:
    order = place(sandbox)
    sandbox.pay(order, DeliveryOptions(drop=True))
    sandbox.faults.configure(sandbox.faults.settings.model_copy(update={"systemerror_rate": 1.0}))
    await sandbox.reset()
    assert (sandbox.store.orders, sandbox.store.by_code_url, sandbox.store.by_transaction_id) == (
        {},
        {},
        {},
    )
    assert sandbox.deliveries.summary()["deliveries"] == 0
    assert not sandbox.faults.systemerror()
