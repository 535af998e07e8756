"""unifiedorder, orderquery and closeorder against the running sandbox, with WeChat's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payment.wechatpay import (
    OrderClosedError,
    OrderNotFoundError,
    OrderPaidError,
    OutTradeNoReusedError,
    TradeState,
    WeChatPayV2Client,
)
from tests.fixtures.sandbox import SandboxControl
from tests.integration.wechatpay.conftest import new_out_trade_no


async def test_a_native_order_gives_a_code_url_and_is_unpaid(client: WeChatPayV2Client) -> None:
    out_trade_no = new_out_trade_no()
    order = await client.unified_order_native(
        out_trade_no=out_trade_no, total_fee=888, body="QQ会员充值", attach="cart=7"
    )
    assert order.code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert order.prepay_id.startswith("wx")
    status = await client.order_query(out_trade_no)
    assert status.trade_state is TradeState.NOTPAY
    assert (status.attach, status.transaction_id, status.total_fee) == ("cart=7", None, None)


async def test_re_entry_with_the_same_parameters_returns_the_same_code(
    client: WeChatPayV2Client,
) -> None:
    out_trade_no = new_out_trade_no()
    expire = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    first = await client.unified_order_native(
        out_trade_no=out_trade_no, total_fee=100, body="x", time_expire=expire
    )
    again = await client.unified_order_native(
        out_trade_no=out_trade_no, total_fee=100, body="x", time_expire=expire
    )
    assert (again.code_url, again.prepay_id) == (first.code_url, first.prepay_id)
    assert again.expires_at == expire


async def test_re_entry_with_other_parameters_is_refused(client: WeChatPayV2Client) -> None:
    out_trade_no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=out_trade_no, total_fee=100, body="x")
    with pytest.raises(OutTradeNoReusedError) as raised:
        await client.unified_order_native(out_trade_no=out_trade_no, total_fee=101, body="x")
    assert (raised.value.err_code, raised.value.err_code_des) == (
        "INVALID_REQUEST",
        "201 商户订单号重复",
    )


async def test_a_paid_order_reports_its_payment(
    client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = new_out_trade_no()
    await client.unified_order_native(
        out_trade_no=out_trade_no, total_fee=250, body="x", attach="a"
    )
    paid = await sandbox_control.pay(out_trade_no, delivery="drop")
    status = await client.order_query(out_trade_no)
    assert status.trade_state is TradeState.SUCCESS
    assert (status.total_fee, status.cash_fee, status.attach) == (250, 250, "a")
    assert status.transaction_id == paid["order"]["transaction_id"]
    assert status.success_time is not None
    assert status.success_time.tzinfo is UTC
    assert abs(status.success_time - datetime.now(UTC)) < timedelta(minutes=1)
    by_transaction = await client.order_query(transaction_id=status.transaction_id)
    assert by_transaction.out_trade_no == out_trade_no


async def test_a_paid_order_cannot_be_closed_or_ordered_again(
    client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=out_trade_no, total_fee=1, body="x")
    await sandbox_control.pay(out_trade_no, delivery="drop")
    with pytest.raises(OrderPaidError):
        await client.close_order(out_trade_no)
    with pytest.raises(OrderPaidError):
        await client.unified_order_native(out_trade_no=out_trade_no, total_fee=1, body="x")


async def test_a_closed_order_cannot_be_paid_ordered_or_closed_again(
    client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=out_trade_no, total_fee=1, body="x")
    await client.close_order(out_trade_no)
    assert (await client.order_query(out_trade_no)).trade_state is TradeState.CLOSED
    refused = await sandbox_control.http.post("/sandbox/pay", json={"out_trade_no": out_trade_no})
    assert (refused.status_code, refused.json()["error"]) == (409, "ORDER_CLOSED")
    with pytest.raises(OrderClosedError):
        await client.unified_order_native(out_trade_no=out_trade_no, total_fee=1, body="x")
    with pytest.raises(OrderClosedError):
        await client.close_order(out_trade_no)


async def test_unknown_orders_do_not_exist(client: WeChatPayV2Client) -> None:
    with pytest.raises(OrderNotFoundError):
        await client.order_query(new_out_trade_no())
    with pytest.raises(OrderNotFoundError):
        await client.close_order(new_out_trade_no())


async def test_an_md5_merchant_gets_md5_answers(md5_client: WeChatPayV2Client) -> None:
    out_trade_no = new_out_trade_no()
    await md5_client.unified_order_native(out_trade_no=out_trade_no, total_fee=3, body="x")
    assert (await md5_client.order_query(out_trade_no)).trade_state is TradeState.NOTPAY


async def test_a_code_url_is_valid_two_hours_then_re_entry_issues_a_new_one(
    client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = new_out_trade_no()
    first = await client.unified_order_native(out_trade_no=out_trade_no, total_fee=1, body="x")
    await sandbox_control.age(out_trade_no, seconds=2 * 3600)
    expired = await sandbox_control.http.post("/sandbox/pay", json={"code_url": first.code_url})
    assert (expired.status_code, expired.json()["error"]) == (409, "CODE_URL_EXPIRED")
    second = await client.unified_order_native(out_trade_no=out_trade_no, total_fee=1, body="x")
    assert second.code_url != first.code_url
    paid = await sandbox_control.http.post(
        "/sandbox/pay", json={"code_url": second.code_url, "delivery": "drop"}
    )
    assert paid.json()["order"]["trade_state"] == "SUCCESS"


async def test_an_order_cannot_be_paid_after_its_time_expire(
    client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = new_out_trade_no()
    expire = datetime.now(UTC) + timedelta(minutes=10)
    await client.unified_order_native(
        out_trade_no=out_trade_no, total_fee=1, body="x", time_expire=expire
    )
    await sandbox_control.age(out_trade_no, seconds=601)
    refused = await sandbox_control.http.post("/sandbox/pay", json={"out_trade_no": out_trade_no})
    assert (refused.status_code, refused.json()["error"]) == (409, "ORDER_EXPIRED")
    assert (await client.order_query(out_trade_no)).trade_state is TradeState.NOTPAY
