"""PaymentService as `python -m payment` builds it with WECHATPAY_API_VERSION=v3, against the
sandbox: the same RPCs with the same status codes (and ErrorInfo reasons) as over v2, so a caller
cannot tell the protocols apart. Where API v3 itself differs (no prepay_id in a Native answer;
no listing of an order's refunds), the test says so."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from grpc_status import rpc_status

from payment.bootstrap import build
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc, types_pb2
from runtime.observations import timestamp
from tests.fixtures.payment import coffee_order, error_reason, fails, v3_payment_settings
from tests.fixtures.sandbox import SandboxControl, SandboxHandle

if TYPE_CHECKING:  # the async stub type exists only in the generated .pyi
    Stub = payment_pb2_grpc.PaymentServiceAsyncStub


@pytest.fixture
async def payments(sandbox: SandboxHandle, sandbox_control: SandboxControl) -> AsyncIterator[Stub]:
    async with build(v3_payment_settings(sandbox)) as server:
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
                yield payment_pb2_grpc.PaymentServiceStub(channel)
        finally:
            await server.stop(0)


def _new_id() -> str:
    return f"pv3-{uuid.uuid4().hex[:20]}"


async def test_create_native_is_reentrant_and_refuses_a_changed_amount(payments: Stub) -> None:
    order = _new_id()
    expire_at = datetime.now(UTC) + timedelta(minutes=30)
    expire = timestamp(expire_at)
    first = await payments.CreateNative(
        coffee_order(order, expire_time=expire, qr_format=payment_pb2.QR_FORMAT_SVG)
    )
    again = await payments.CreateNative(coffee_order(order, expire_time=expire))
    changed = await fails(payments.CreateNative(coffee_order(order, 101, expire_time=expire)))
    assert first.code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert first.prepay_id == ""  # a v3 Native answer carries only code_url
    assert b"<svg" in first.qr_image
    assert again.code_url == first.code_url
    assert first.code_url_expire_time.ToDatetime(tzinfo=UTC) <= expire_at
    assert changed.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(changed) == "INVALID_REQUEST"


async def test_query_and_close_answer_as_over_v2(
    payments: Stub, sandbox_control: SandboxControl
) -> None:
    unpaid, paid = _new_id(), _new_id()
    await payments.CreateNative(coffee_order(unpaid))
    await payments.CreateNative(coffee_order(paid, 250, attach="table-7"))
    await sandbox_control.pay(paid, delivery="drop")
    status = await payments.QueryStatus(payment_pb2.QueryStatusRequest(out_trade_no=paid))
    at_wechat = await sandbox_control.order(paid)
    missing = await fails(
        payments.QueryStatus(payment_pb2.QueryStatusRequest(out_trade_no=_new_id()))
    )
    closed = await payments.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no=unpaid))
    again = await payments.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no=unpaid))
    refused = await fails(payments.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no=paid)))
    unknown = await fails(
        payments.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no=_new_id()))
    )
    reorder = await fails(payments.CreateNative(coffee_order(unpaid)))

    assert status.trade_state == types_pb2.TRADE_STATE_SUCCESS
    assert (status.total_fee, status.cash_fee, status.attach) == (250, 250, "table-7")
    assert status.transaction_id
    # v3's RFC 3339 success_time (+08:00) as an aware UTC instant, to the second.
    assert status.success_time.ToDatetime(tzinfo=UTC) == datetime.fromisoformat(
        at_wechat["time_end"]
    )
    assert (missing.code(), error_reason(missing)) == (grpc.StatusCode.NOT_FOUND, "ORDERNOTEXIST")
    assert (closed.already_closed, again.already_closed) == (False, True)
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(refused) == "ORDERPAID"
    rich = rpc_status.from_call(refused)  # type: ignore[arg-type]
    assert rich is not None
    assert any(d.Is(payment_pb2.PaidTrade.DESCRIPTOR) for d in rich.details)
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert (reorder.code(), error_reason(reorder)) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "ORDERCLOSED",
    )


async def test_refund_is_idempotent_and_bounded(
    payments: Stub, sandbox_control: SandboxControl
) -> None:
    order = _new_id()
    await payments.CreateNative(coffee_order(order, 300))
    await sandbox_control.pay(order, delivery="drop")

    def refund(out_refund_no: str, fee: int, *others: str) -> Any:
        return payments.Refund(
            payment_pb2.RefundRequest(
                out_trade_no=order,
                out_refund_no=out_refund_no,
                total_fee=300,
                refund_fee=fee,
                reason="退一半",
                other_out_refund_nos=others,
            )
        )

    first = await refund(f"{order}-r1", 200)
    repeat = await refund(f"{order}-r1", 200)
    reused = await fails(refund(f"{order}-r1", 250))
    # v3 lists no refunds by order: with none of them named, the limit cannot be checked, so
    # nothing is sent (it used to go to WeChat unchecked).
    unchecked = await fails(refund(f"{order}-r2", 100))
    too_much = await fails(refund(f"{order}-r2", 101, f"{order}-r1"))
    rest = await refund(f"{order}-r2", 100, f"{order}-r1")
    assert first.refund.refund_id
    assert repeat.refund.refund_id == first.refund.refund_id
    assert (reused.code(), error_reason(reused)) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "OUT_REFUND_NO_USED",
    )
    assert (unchecked.code(), error_reason(unchecked)) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "REFUNDS_UNKNOWN",  # its own reason: name the order's refunds and ask again
    )
    # Refused before WeChat is asked: checked against WeChat's answer for the named refund.
    assert (too_much.code(), error_reason(too_much)) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "REFUND_NOT_ALLOWED",
    )
    assert rest.refund.refund_fee == 100
    for _ in range(200):
        one = await payments.QueryRefund(
            payment_pb2.QueryRefundRequest(out_trade_no=order, out_refund_no=f"{order}-r1")
        )
        if one.refunds[0].status == types_pb2.REFUND_STATUS_SUCCESS:
            break
        await asyncio.sleep(0.02)
    assert [(r.refund_fee, r.status) for r in one.refunds] == [
        (200, types_pb2.REFUND_STATUS_SUCCESS)
    ]
    by_order = await fails(payments.QueryRefund(payment_pb2.QueryRefundRequest(out_trade_no=order)))
    assert (by_order.code(), error_reason(by_order)) == (
        grpc.StatusCode.NOT_FOUND,
        "REFUND_QUERY_NEEDS_OUT_REFUND_NO",
    )


async def test_wechat_failures_become_unavailable_and_deadlines_bound_the_retries(
    payments: Stub, sandbox_control: SandboxControl
) -> None:
    await sandbox_control.set_faults(systemerror_rate=1.0)
    unavailable = await fails(payments.CreateNative(coffee_order(_new_id()), timeout=3))
    await sandbox_control.set_faults(systemerror_rate=0.0, latency_ms=1500)
    late = await fails(
        payments.QueryStatus(payment_pb2.QueryStatusRequest(out_trade_no=_new_id()), timeout=0.5)
    )
    assert unavailable.code() == grpc.StatusCode.UNAVAILABLE
    assert error_reason(unavailable) == "SYSTEMERROR"
    assert late.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_platform_certificate_mode_is_downloaded_at_start(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    await sandbox_control.set_v3(key_mode="certificate")
    settings = v3_payment_settings(
        sandbox,
        wechatpay_base_url=sandbox.base_url,
        wechatpay_v3_public_key=None,
        wechatpay_v3_public_key_id=None,
        wechatpay_v3_platform_certificates=True,
    )
    async with build(settings) as server:
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
                stub: Stub = payment_pb2_grpc.PaymentServiceStub(channel)
                answer = await stub.CreateNative(coffee_order(_new_id()))
        finally:
            await server.stop(0)
    assert answer.code_url.startswith("weixin://")
