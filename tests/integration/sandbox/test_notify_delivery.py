"""The sandbox delivers notifies like WeChat: retried until SUCCESS, in every delivery mode."""

from __future__ import annotations

import uuid

import httpx

from payment.wechatpay import WeChatPayV2Client
from tests.fixtures.sandbox import (
    FAIL_XML,
    NotifyReceiver,
    Reply,
    SandboxControl,
    SandboxHandle,
    all_finished,
)


async def new_order(sandbox: SandboxHandle, notify_url: str, total_fee: int = 100) -> str:
    out_trade_no = "nd" + uuid.uuid4().hex[:20]
    async with WeChatPayV2Client.open(sandbox.wechatpay_config(notify_url=notify_url)) as client:
        await client.unified_order_native(out_trade_no=out_trade_no, total_fee=total_fee, body="x")
    return out_trade_no


async def test_non_success_replies_are_retried_until_success(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    notify_receiver.script = [
        Reply(body=FAIL_XML),
        Reply(body=b"success", content_type="text/plain"),
        Reply(body=b"<html><body>thanks</body>", content_type="text/html"),
        Reply(status=500, body=b"oops"),
    ]
    out_trade_no = await new_order(sandbox, notify_receiver.url)
    await sandbox_control.pay(out_trade_no)
    [delivery] = await sandbox_control.wait_for_deliveries(out_trade_no, all_finished)
    outcomes = [a["outcome"] for a in delivery["attempts"]]
    assert outcomes == ["fail_reply", "invalid_reply", "invalid_reply", "http_error", "success"]
    assert [a["http_status"] for a in delivery["attempts"]] == [200, 200, 200, 500, 200]
    assert delivery["attempts"][1]["reply_excerpt"] == "success"
    assert delivery["state"] == "delivered"
    bodies = await notify_receiver.wait_for(5)
    assert len(set(bodies)) == 1


async def test_an_unreachable_receiver_is_retried(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    out_trade_no = await new_order(sandbox, "http://127.0.0.1:9/closed")
    await sandbox_control.pay(out_trade_no)
    deliveries = await sandbox_control.wait_for_deliveries(
        out_trade_no, lambda ds: len(ds[0]["attempts"]) >= 3
    )
    assert {a["outcome"] for a in deliveries[0]["attempts"]} == {"connection_error"}


async def test_copies_are_delivered_concurrently_and_identically(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    out_trade_no = await new_order(sandbox, notify_receiver.url)
    await sandbox_control.pay(out_trade_no, copies=16)
    deliveries = await sandbox_control.wait_for_deliveries(out_trade_no, all_finished)
    assert sorted(d["copy"] for d in deliveries) == list(range(16))
    assert {d["state"] for d in deliveries} == {"delivered"}
    bodies = await notify_receiver.wait_for(16)
    assert len(bodies) == 16
    assert len(set(bodies)) == 1


async def test_a_dropped_notify_is_never_sent_but_the_order_is_paid(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    out_trade_no = await new_order(sandbox, notify_receiver.url)
    paid = await sandbox_control.pay(out_trade_no, delivery="drop")
    assert paid["order"]["trade_state"] == "SUCCESS"
    [delivery] = await sandbox_control.deliveries(out_trade_no)
    assert (delivery["state"], delivery["attempts"]) == ("dropped", [])
    assert notify_receiver.received == []


async def test_a_delayed_notify_arrives(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    out_trade_no = await new_order(sandbox, notify_receiver.url)
    await sandbox_control.pay(out_trade_no, delay_ms=50)
    [delivery] = await sandbox_control.wait_for_deliveries(out_trade_no, all_finished)
    assert delivery["state"] == "delivered"


async def test_a_probe_precedes_the_real_notify_and_is_recorded(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    notify_receiver.script = [Reply(status=401, body=FAIL_XML)]
    out_trade_no = await new_order(sandbox, notify_receiver.url)
    await sandbox_control.pay(out_trade_no, probe_first=True)
    probe, real = await sandbox_control.wait_for_deliveries(out_trade_no, all_finished)
    assert (probe["kind"], probe["state"], len(probe["attempts"])) == ("probe", "rejected", 1)
    assert (real["kind"], real["state"]) == ("payment", "delivered")


async def test_every_delivery_can_be_read_back_page_by_page(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    out_trade_no = await new_order(sandbox, notify_receiver.url)
    await sandbox_control.pay(out_trade_no, copies=5)
    mine = await sandbox_control.wait_for_deliveries(out_trade_no, all_finished)
    first_id = min(d["id"] for d in mine)
    seen: list[int] = []
    after = first_id - 1
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        while after is not None and len(seen) < 5:
            params = {"after": after, "limit": 2, "state": "delivered"}
            page = (await http.get("/sandbox/deliveries", params=params)).json()
            seen += [d["id"] for d in page["deliveries"] if d["out_trade_no"] == out_trade_no]
            after = page["next_after"]
        summary = (await http.get("/sandbox/deliveries/summary")).json()
    assert sorted(seen) == sorted(d["id"] for d in mine)
    assert summary["by_state"]["delivered"] >= 5
    assert summary["attempts_by_outcome"]["success"] >= 5


async def test_a_delivery_body_can_be_read_back_for_replay(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    out_trade_no = await new_order(sandbox, notify_receiver.url)
    await sandbox_control.pay(out_trade_no)
    await sandbox_control.wait_for_deliveries(out_trade_no, all_finished)
    [delivery] = await sandbox_control.deliveries(out_trade_no, include_body=True)
    [received] = await notify_receiver.wait_for(1)
    assert delivery["body"].encode() == received


async def test_a_held_notify_waits_for_its_release_and_is_then_delivered(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    out_trade_no = await new_order(sandbox, notify_receiver.url)
    paid = await sandbox_control.pay(out_trade_no, delivery="hold", copies=2)
    assert paid["order"]["trade_state"] == "SUCCESS"
    held = await sandbox_control.deliveries(out_trade_no)
    assert [(d["state"], d["attempts"]) for d in held] == [("held", [])] * 2
    assert notify_receiver.received == []
    path = f"/sandbox/orders/{out_trade_no}/release"
    released = (await sandbox_control.http.post(path)).json()["released"]
    assert sorted(released) == sorted(d["id"] for d in held)
    delivered = await sandbox_control.wait_for_deliveries(
        out_trade_no, lambda ds: all(d["state"] == "delivered" for d in ds)
    )
    assert len(delivered) == 2
    assert len(await notify_receiver.wait_for(2)) == 2
    assert (await sandbox_control.http.post(path)).json()["released"] == []
