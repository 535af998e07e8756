"""The sandbox's v3 notifies, read with the library's own checks: signed JSON whose resource
decrypts with the APIv3 key, re-signed at every attempt, retried until 200/204."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from payment.wechatpay.types import RefundStatus, TradeState
from payment.wechatpay_v3 import (
    SignatureVerifier,
    WeChatPayV3Client,
    open_notification,
    payment_notify,
    refund_notify,
    trusted_keys,
)
from tests.fixtures.sandbox import (
    NotifyReceiver,
    Reply,
    SandboxControl,
    SandboxHandle,
    all_finished,
)
from tests.integration.wechatpay_v3.conftest import new_out_trade_no


def _open(sandbox: SandboxHandle, body: bytes, headers: dict[str, str]) -> Any:
    keys, _ = trusted_keys(sandbox.v3_trust())
    return open_notification(body, headers, SignatureVerifier(keys), sandbox.v3_api_key.encode())


async def test_a_paid_v3_order_is_notified_until_the_receiver_says_200_or_204(
    client: WeChatPayV3Client,
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    notify_receiver: NotifyReceiver,
) -> None:
    notify_receiver.script = [Reply(status=500, body=b"busy"), Reply(status=204, body=b"")]
    no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=no, total_fee=888, body="b", attach="a1")
    await sandbox_control.pay(no)
    (delivery,) = await sandbox_control.wait_for_deliveries(no, all_finished)
    bodies = await notify_receiver.wait_for(2)
    assert bodies[0] == bodies[1]  # the same notify again …
    first, second = notify_receiver.headers[:2]
    assert first["Wechatpay-Nonce"] != second["Wechatpay-Nonce"]  # … signed anew
    assert first["Content-Type"] == "application/json"
    notify = payment_notify(
        _open(sandbox, bodies[1], second), appid=sandbox.appid, mch_id=sandbox.mch_id
    )
    assert (notify.out_trade_no, notify.total_fee, notify.attach) == (no, 888, "a1")
    assert notify.trade_state is TradeState.SUCCESS
    assert (delivery["api_version"], delivery["state"]) == ("v3", "delivered")
    assert [a["outcome"] for a in delivery["attempts"]] == ["http_error", "success"]
    assert json.loads(bodies[0])["event_type"] == "TRANSACTION.SUCCESS"


async def test_a_settled_v3_refund_is_notified_as_refund_success(
    client: WeChatPayV3Client,
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    notify_receiver: NotifyReceiver,
) -> None:
    no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=no, total_fee=100, body="b")
    await sandbox_control.pay(no, delivery="drop")
    await client.refund(out_trade_no=no, out_refund_no=f"{no}-r", total_fee=100, refund_fee=30)
    (body,) = await notify_receiver.wait_for(1)
    notification = _open(sandbox, body, notify_receiver.headers[0])
    notify = refund_notify(notification, mch_id=sandbox.mch_id)
    assert notification.event_type == "REFUND.SUCCESS"
    assert (notify.out_refund_no, notify.refund_fee) == (f"{no}-r", 30)
    assert notify.refund_status is RefundStatus.SUCCESS


async def test_a_failed_v3_payment_sends_nothing_and_tampering_needs_a_v3_order(
    client: WeChatPayV3Client, sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=no, total_fee=1, body="b")
    failed = await sandbox_control.pay(no, result="FAIL")
    assert failed["deliveries"] == []
    assert failed["order"]["trade_state"] == "NOTPAY"
    assert failed["order"]["api_version"] == "v3"
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        v2_order = await http.post(
            "/sandbox/pay", json={"out_trade_no": "no-such-order", "tamper_first": ["body"]}
        )
    assert v2_order.status_code == 404


@pytest.mark.parametrize("mode", ["certificate", "both"])
async def test_notifies_are_signed_in_the_key_mode(
    mode: str,
    client: WeChatPayV3Client,
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    notify_receiver: NotifyReceiver,
) -> None:
    no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=no, total_fee=1, body="b")
    described = await sandbox_control.set_v3(key_mode=mode)
    await sandbox_control.pay(no, copies=2)
    await notify_receiver.wait_for(2)
    serials = {headers["Wechatpay-Serial"] for headers in notify_receiver.headers}
    if mode == "certificate":
        assert serials == {described["signing_certificate_serial"]}
    else:
        assert serials == {described["signing_certificate_serial"], described["public_key_id"]}


async def test_the_sandbox_logs_no_v3_secret(
    client: WeChatPayV3Client, sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    no = new_out_trade_no()
    await client.unified_order_native(out_trade_no=no, total_fee=1, body="b")
    await sandbox_control.pay(no, probe_first=True, tamper_first=["body"])
    await sandbox_control.wait_for_deliveries(no, all_finished)
    log = sandbox.log_path.read_text(errors="replace")
    assert "notify_attempt" in log
    assert sandbox.v3_api_key not in log
    assert "PRIVATE KEY" not in log
