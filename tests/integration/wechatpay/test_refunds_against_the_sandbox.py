"""refund (mutual TLS) and refundquery against the running sandbox."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from payment.wechatpay import (
    ConfigurationError,
    OrderNotFoundError,
    OutTradeNoReusedError,
    RefundNotFoundError,
    RefundQueryResult,
    RefundRefusedError,
    RefundStatus,
    TradeState,
    TransportError,
    WeChatPayV2Client,
    parse_refund_notify,
)
from tests.fixtures.sandbox import NotifyReceiver, SandboxControl, SandboxHandle
from tests.integration.wechatpay.conftest import new_out_trade_no


async def pay(client: WeChatPayV2Client, control: SandboxControl, total_fee: int) -> str:
    out_trade_no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=out_trade_no, total_fee=total_fee, body="x")
    await control.pay(out_trade_no, delivery="drop")
    return out_trade_no


async def settled(client: WeChatPayV2Client, out_trade_no: str) -> RefundQueryResult:
    for _ in range(500):
        result = await client.refund_query(out_trade_no=out_trade_no)
        if all(r.status is not RefundStatus.PROCESSING for r in result.refunds):
            return result
        await asyncio.sleep(0.01)
    pytest.fail("the refund never left PROCESSING")


async def test_a_refund_is_accepted_processing_then_succeeds(
    tls_client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = await pay(tls_client, sandbox_control, 1000)
    refund = await tls_client.refund(
        out_trade_no=out_trade_no, out_refund_no=f"r-{out_trade_no}", total_fee=1000, refund_fee=300
    )
    assert (refund.refund_fee, refund.total_fee) == (300, 1000)
    result = await settled(tls_client, out_trade_no)
    [record] = result.refunds
    assert (record.out_refund_no, record.refund_id) == (f"r-{out_trade_no}", refund.refund_id)
    assert record.status is RefundStatus.SUCCESS
    assert record.success_time is not None
    assert (await tls_client.order_query(out_trade_no)).trade_state is TradeState.REFUND


async def test_the_same_out_refund_no_never_refunds_twice(
    tls_client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = await pay(tls_client, sandbox_control, 100)
    refunds = [
        tls_client.refund(
            out_trade_no=out_trade_no,
            out_refund_no=f"r-{out_trade_no}",
            total_fee=100,
            refund_fee=60,
        )
        for _ in range(2)
    ]
    first, again = [await refund for refund in refunds]
    assert again.refund_id == first.refund_id
    result = await tls_client.refund_query(out_refund_no=f"r-{out_trade_no}")
    assert (len(result.refunds), result.refunded_fee) == (1, 60)


async def test_the_same_out_refund_no_with_another_amount_is_refused(
    tls_client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = await pay(tls_client, sandbox_control, 100)
    await tls_client.refund(
        out_trade_no=out_trade_no, out_refund_no=f"r-{out_trade_no}", total_fee=100, refund_fee=10
    )
    with pytest.raises(OutTradeNoReusedError):
        await tls_client.refund(
            out_trade_no=out_trade_no,
            out_refund_no=f"r-{out_trade_no}",
            total_fee=100,
            refund_fee=20,
        )


async def test_refunds_add_up_to_at_most_the_total(
    tls_client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = await pay(tls_client, sandbox_control, 100)
    for n, amount in enumerate((40, 60)):
        await tls_client.refund(
            out_trade_no=out_trade_no,
            out_refund_no=f"r{n}-{out_trade_no}",
            total_fee=100,
            refund_fee=amount,
        )
    with pytest.raises(RefundRefusedError) as raised:
        await tls_client.refund(
            out_trade_no=out_trade_no,
            out_refund_no=f"r2-{out_trade_no}",
            total_fee=100,
            refund_fee=1,
        )
    assert raised.value.err_code == "ERROR"
    result = await tls_client.refund_query(out_trade_no=out_trade_no)
    assert (len(result.refunds), result.refunded_fee) == (2, 100)


async def test_an_unpaid_order_cannot_be_refunded(tls_client: WeChatPayV2Client) -> None:
    out_trade_no = new_out_trade_no()
    await tls_client.unified_order_native(out_trade_no=out_trade_no, total_fee=5, body="x")
    with pytest.raises(RefundRefusedError):
        await tls_client.refund(
            out_trade_no=out_trade_no, out_refund_no=f"r-{out_trade_no}", total_fee=5, refund_fee=5
        )


async def test_unknown_orders_and_refunds_do_not_exist(tls_client: WeChatPayV2Client) -> None:
    with pytest.raises(OrderNotFoundError):
        await tls_client.refund(
            out_trade_no=new_out_trade_no(), out_refund_no="r-unknown", total_fee=5, refund_fee=5
        )
    with pytest.raises(RefundNotFoundError):
        await tls_client.refund_query(out_refund_no="r-" + new_out_trade_no())


async def test_refunds_over_plain_http_are_refused_for_want_of_a_certificate(
    client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = await pay(client, sandbox_control, 5)
    with pytest.raises(ConfigurationError) as raised:
        await client.refund(
            out_trade_no=out_trade_no, out_refund_no=f"r-{out_trade_no}", total_fee=5, refund_fee=5
        )
    assert raised.value.err_code == "NOAUTH"


async def test_a_settled_refund_is_notified_with_req_info_encrypted(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    config = sandbox.wechatpay_config(tls=True, refund_notify_url=notify_receiver.url)
    async with WeChatPayV2Client.open(config) as client:
        out_trade_no = await pay(client, sandbox_control, 500)
        refund = await client.refund(
            out_trade_no=out_trade_no,
            out_refund_no=f"r-{out_trade_no}",
            total_fee=500,
            refund_fee=500,
        )
    [body] = await notify_receiver.wait_for(1)
    notify = parse_refund_notify(body, config)
    assert (notify.out_refund_no, notify.refund_id) == (f"r-{out_trade_no}", refund.refund_id)
    assert (notify.refund_fee, notify.total_fee) == (500, 500)
    assert notify.refund_status is RefundStatus.SUCCESS
    other_key = sandbox.wechatpay_config(api_key=SecretStr("k" * 32))
    with pytest.raises(ValueError, match="req_info"):
        parse_refund_notify(body, other_key)


async def test_a_refund_whose_answer_was_lost_was_made_and_asking_again_finds_it(
    tls_client: WeChatPayV2Client, sandbox_control: SandboxControl
) -> None:
    out_trade_no = await pay(tls_client, sandbox_control, 500)
    number = f"r-{out_trade_no}"
    await sandbox_control.set_faults(lost_answer_rate=1.0)
    with pytest.raises(TransportError):
        await tls_client.refund(
            out_trade_no=out_trade_no, out_refund_no=number, total_fee=500, refund_fee=200
        )
    await sandbox_control.set_faults()
    listed = (await sandbox_control.http.get("/sandbox/refunds", params={"limit": 1000})).json()
    made = [r for r in listed["refunds"] if r["out_trade_no"] == out_trade_no]
    assert [(r["out_refund_no"], r["refund_fee"]) for r in made] == [(number, 200)]
    again = await tls_client.refund(
        out_trade_no=out_trade_no, out_refund_no=number, total_fee=500, refund_fee=200
    )
    assert again.refund_id == made[0]["refund_id"]
    assert (await tls_client.refund_query(out_trade_no=out_trade_no)).refunded_fee == 200
