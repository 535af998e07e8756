"""What the sandbox sends to notify_url verifies with parse_payment_notify, in every mode."""

from __future__ import annotations

import pytest

from payment.wechatpay import (
    SignatureProbeError,
    SignType,
    TradeState,
    WeChatPayConfig,
    WeChatPayV2Client,
    parse_payment_notify,
)
from tests.fixtures.sandbox import NotifyReceiver, SandboxControl, SandboxHandle
from tests.integration.wechatpay.conftest import new_out_trade_no


async def order(config: WeChatPayConfig, total_fee: int = 321) -> str:
    out_trade_no = new_out_trade_no()
    async with WeChatPayV2Client.open(config) as client:
        await client.unified_order_native(
            out_trade_no=out_trade_no, total_fee=total_fee, body="x", attach="att"
        )
    return out_trade_no


@pytest.mark.parametrize("sign_type", list(SignType))
async def test_a_payment_notify_verifies_and_matches_the_order(
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    notify_receiver: NotifyReceiver,
    sign_type: SignType,
) -> None:
    config = sandbox.wechatpay_config(notify_url=notify_receiver.url, sign_type=sign_type)
    out_trade_no = await order(config)
    paid = await sandbox_control.pay(out_trade_no)
    [body] = await notify_receiver.wait_for(1)
    notify = parse_payment_notify(body, config)
    assert (notify.out_trade_no, notify.total_fee, notify.attach) == (out_trade_no, 321, "att")
    assert notify.transaction_id == paid["order"]["transaction_id"]
    assert notify.trade_state is TradeState.SUCCESS
    assert notify.sign_type == sign_type.value
    assert ("sign_type" in notify.fields) is (sign_type is SignType.HMAC_SHA256)


async def test_a_notify_without_sign_type_is_hmac_by_its_length(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    config = sandbox.wechatpay_config(notify_url=notify_receiver.url)
    out_trade_no = await order(config)
    await sandbox_control.pay(out_trade_no, omit_sign_type=True)
    [body] = await notify_receiver.wait_for(1)
    notify = parse_payment_notify(body, config)
    assert "sign_type" not in notify.fields
    assert notify.sign_type == "HMAC-SHA256"


async def test_the_probe_comes_first_and_is_refused_then_the_real_notify_verifies(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    config = sandbox.wechatpay_config(notify_url=notify_receiver.url)
    out_trade_no = await order(config)
    await sandbox_control.pay(out_trade_no, probe_first=True)
    probe, real = await notify_receiver.wait_for(2)
    with pytest.raises(SignatureProbeError):
        parse_payment_notify(probe, config)
    assert parse_payment_notify(real, config).out_trade_no == out_trade_no


async def test_a_failed_payment_notifies_payerror_and_leaves_the_order_unpaid(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    config = sandbox.wechatpay_config(notify_url=notify_receiver.url)
    out_trade_no = await order(config)
    await sandbox_control.pay(out_trade_no, result="FAIL")
    [body] = await notify_receiver.wait_for(1)
    notify = parse_payment_notify(body, config)
    assert (notify.result_code, notify.trade_state) == ("FAIL", TradeState.PAYERROR)
    assert (await sandbox_control.order(out_trade_no))["trade_state"] == "NOTPAY"
