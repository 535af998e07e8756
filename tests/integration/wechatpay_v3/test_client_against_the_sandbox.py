"""The v3 client against the running sandbox: every API and its WeChat outcomes, raised as the
same error classes (and v2 err_code names) as the v2 client."""

from __future__ import annotations

import asyncio

import pytest

from payment.wechatpay import RetryPolicy
from payment.wechatpay import errors as wx
from payment.wechatpay.types import RefundStatus, TradeState
from payment.wechatpay_v3 import (
    REFUND_QUERY_NEEDS_OUT_REFUND_NO,
    MerchantKey,
    WeChatPayV3Client,
)
from sandbox.v3_keys import new_platform_certificate
from tests.fixtures.sandbox import SandboxControl, SandboxHandle
from tests.integration.wechatpay_v3.conftest import new_out_trade_no


async def test_native_order_is_reentrant_and_refuses_other_parameters(
    client: WeChatPayV3Client,
) -> None:
    no = new_out_trade_no()
    first = await client.unified_order_native(out_trade_no=no, total_fee=100, body="一杯咖啡")
    again = await client.unified_order_native(out_trade_no=no, total_fee=100, body="一杯咖啡")
    with pytest.raises(wx.OutTradeNoReusedError) as changed:
        await client.unified_order_native(out_trade_no=no, total_fee=101, body="一杯咖啡")
    assert first.code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert again.code_url == first.code_url
    assert changed.value.err_code == "INVALID_REQUEST"


async def test_query_follows_the_payment_by_either_number(
    client: WeChatPayV3Client, sandbox_control: SandboxControl
) -> None:
    no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=no, total_fee=250, body="b", attach="table-7")
    before = await client.order_query(no)
    await sandbox_control.pay(no, delivery="drop")
    after = await client.order_query(no)
    assert after.transaction_id is not None
    by_id = await client.order_query(transaction_id=after.transaction_id)
    with pytest.raises(wx.OrderNotFoundError) as missing:
        await client.order_query(new_out_trade_no())
    # An unpaid order's answer carries its amount too (reference Corrections).
    assert (before.trade_state, before.total_fee) == (TradeState.NOTPAY, 250)
    assert after.trade_state is TradeState.SUCCESS
    assert (after.total_fee, after.cash_fee, after.attach) == (250, 250, "table-7")
    assert after.success_time is not None
    assert by_id == after
    assert missing.value.err_code == "ORDERNOTEXIST"


async def test_an_order_number_with_every_allowed_symbol_is_signed_as_sent(
    client: WeChatPayV3Client, sandbox_control: SandboxControl
) -> None:
    # `|` and `*` travel percent-encoded in the path the request signs: a transport that
    # re-quoted the URL after signing would get SIGN_ERROR back.
    paid_no, closed_no = ("v3|*_-" + new_out_trade_no()[2:20] for _ in range(2))
    placed = await client.unified_order_native(out_trade_no=paid_no, total_fee=99, body="b")
    await sandbox_control.pay(paid_no, delivery="drop")
    paid = await client.order_query(paid_no)
    await client.unified_order_native(out_trade_no=closed_no, total_fee=98, body="b")
    await client.close_order(closed_no)  # a POST answered 204, empty and signed
    closed = await client.order_query(closed_no)
    assert placed.code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert (paid.out_trade_no, paid.trade_state) == (paid_no, TradeState.SUCCESS)
    assert (closed.out_trade_no, closed.trade_state) == (closed_no, TradeState.CLOSED)


async def test_close_unpaid_then_again_then_paid_then_unknown(
    client: WeChatPayV3Client, sandbox_control: SandboxControl
) -> None:
    unpaid, paid = new_out_trade_no(), new_out_trade_no()
    await client.unified_order_native(out_trade_no=unpaid, total_fee=1, body="b")
    await client.unified_order_native(out_trade_no=paid, total_fee=1, body="b")
    await sandbox_control.pay(paid, delivery="drop")
    await client.close_order(unpaid)
    with pytest.raises(wx.OrderClosedError):
        await client.close_order(unpaid)
    with pytest.raises(wx.OrderPaidError):
        await client.close_order(paid)
    with pytest.raises(wx.OrderNotFoundError):
        await client.close_order(new_out_trade_no())
    with pytest.raises(wx.OrderClosedError) as reorder:
        await client.unified_order_native(out_trade_no=unpaid, total_fee=1, body="b")
    assert reorder.value.err_code == "ORDERCLOSED"
    assert (await client.order_query(unpaid)).trade_state is TradeState.CLOSED


async def test_refunds_are_idempotent_bounded_and_settle(
    client: WeChatPayV3Client, sandbox_control: SandboxControl
) -> None:
    no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=no, total_fee=300, body="b")
    with pytest.raises(wx.RefundRefusedError):  # not paid yet
        await client.refund(out_trade_no=no, out_refund_no=f"{no}-r0", total_fee=300, refund_fee=1)
    with pytest.raises(wx.RefundNotFoundError) as none_yet:
        await client.refund_query(out_trade_no=no)
    await sandbox_control.pay(no, delivery="drop")
    first = await client.refund(
        out_trade_no=no, out_refund_no=f"{no}-r1", total_fee=300, refund_fee=200
    )
    repeat = await client.refund(
        out_trade_no=no, out_refund_no=f"{no}-r1", total_fee=300, refund_fee=200
    )
    with pytest.raises(wx.RefundRefusedError) as too_much:
        await client.refund(
            out_trade_no=no, out_refund_no=f"{no}-r2", total_fee=300, refund_fee=101
        )
    with pytest.raises(wx.RefundNotFoundError) as by_order:
        await client.refund_query(out_trade_no=no)
    with pytest.raises(wx.RefundNotFoundError) as unknown:
        await client.refund_query(out_refund_no=f"{no}-r9")
    for _ in range(200):
        settled = await client.refund_query(out_refund_no=f"{no}-r1")
        if settled.refunds[0].status is RefundStatus.SUCCESS:
            break
        await asyncio.sleep(0.02)
    assert none_yet.value.err_code == "REFUNDNOTEXIST"
    assert repeat.refund_id == first.refund_id
    assert too_much.value.err_code == "INVALID_REQUEST"
    assert by_order.value.err_code == REFUND_QUERY_NEEDS_OUT_REFUND_NO
    assert unknown.value.err_code == "REFUNDNOTEXIST"
    assert settled.refunds[0].status is RefundStatus.SUCCESS
    assert settled.refunds[0].success_time is not None
    assert (settled.total_fee, settled.refunds[0].refund_fee) == (300, 200)
    assert (await client.order_query(no)).trade_state is TradeState.REFUND


async def test_legacy_error_spellings_mean_the_same(
    client: WeChatPayV3Client, sandbox_control: SandboxControl
) -> None:
    await sandbox_control.set_v3(legacy_error_codes=True)
    no = new_out_trade_no()
    with pytest.raises(wx.OrderNotFoundError) as missing:
        await client.order_query(no)
    await client.unified_order_native(out_trade_no=no, total_fee=1, body="b")
    await client.close_order(no)
    with pytest.raises(wx.OrderClosedError) as closed:
        await client.close_order(no)
    assert "HTTP 404 ORDERNOTEXIST" in missing.value.err_code_des
    assert "HTTP 400 ORDERCLOSED" in closed.value.err_code_des


async def test_systemerror_and_5xx_are_retried_then_surface_as_retryable(
    client: WeChatPayV3Client, sandbox_control: SandboxControl
) -> None:
    no = new_out_trade_no()
    await sandbox_control.set_faults(systemerror_rate=1.0)
    with pytest.raises(wx.RetryableError) as system:
        await client.unified_order_native(out_trade_no=no, total_fee=1, body="b")
    await sandbox_control.set_faults(http_5xx_rate=1.0)
    with pytest.raises(wx.TransportError) as unavailable:
        await client.order_query(no)
    await sandbox_control.set_faults(systemerror_rate=0.5, seed=7)
    order = await client.unified_order_native(out_trade_no=no, total_fee=1, body="b")
    assert system.value.err_code == "SYSTEMERROR"
    assert unavailable.value.err_code.startswith("HTTP_5")
    assert order.code_url  # the faulted attempts changed nothing: the same order, once


async def test_a_request_signed_wrongly_is_sign_error(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    key, _ = new_platform_certificate()
    good = sandbox.wechatpay_v3_config()
    wrong = [
        MerchantKey(good.mch_id, good.merchant.serial, key),
        MerchantKey(good.mch_id, "0123456789ABCDEF", good.merchant.private_key),
        MerchantKey("1999999999", good.merchant.serial, good.merchant.private_key),
    ]
    for merchant in wrong:
        config = sandbox.wechatpay_v3_config(merchant=merchant)
        async with WeChatPayV3Client.open(config, retry=RetryPolicy(max_attempts=1)) as client:
            with pytest.raises(wx.CallerError) as raised:
                await client.order_query(new_out_trade_no())
        assert raised.value.err_code == "SIGNERROR"
