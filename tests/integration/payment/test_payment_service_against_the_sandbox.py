"""PaymentService as `python -m payment` builds it, on an ephemeral port, against the sandbox
over HTTPS with its CA and the merchant certificate: every RPC and its WeChat outcomes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from pydantic import SecretStr

from payment.bootstrap import SERVICE_NAME, build
from payment.settings import PaymentSettings
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc, types_pb2
from runtime.grpc_server import GrpcServer
from runtime.observations import timestamp
from tests.fixtures.payment import coffee_order, error_reason, fails
from tests.fixtures.sandbox import SandboxControl, SandboxHandle

if TYPE_CHECKING:  # the async stub type exists only in the generated .pyi
    Stub = payment_pb2_grpc.PaymentServiceAsyncStub


def _settings(sandbox: SandboxHandle) -> PaymentSettings:
    return PaymentSettings(
        wechatpay_base_url=sandbox.tls_base_url,
        wechatpay_appid=sandbox.appid,
        wechatpay_mch_id=sandbox.mch_id,
        wechatpay_api_key=SecretStr(sandbox.api_key),
        wechatpay_notify_url="http://127.0.0.1:9/wechatpay/v2/notify",
        wechatpay_client_cert=sandbox.client_cert,
        wechatpay_client_key=sandbox.client_key,
        wechatpay_ca_bundle=sandbox.ca_cert,
        payment_grpc_port=0,
        payment_metrics_port=0,
        payment_default_deadline_seconds=5.0,
    )


@pytest.fixture
async def payment_server(sandbox: SandboxHandle) -> AsyncIterator[GrpcServer]:
    async with build(_settings(sandbox)) as server:
        await server.start()
        try:
            yield server
        finally:
            await server.stop(0)


@pytest.fixture
async def payments(payment_server: GrpcServer) -> AsyncIterator[Stub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{payment_server.port}") as channel:
        yield payment_pb2_grpc.PaymentServiceStub(channel)


def _new_id() -> str:
    return f"pay-{uuid.uuid4().hex[:20]}"


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
    assert first.prepay_id
    assert first.qr_media_type == "image/svg+xml"
    assert b"<svg" in first.qr_image
    assert again.code_url == first.code_url
    assert first.code_url_expire_time.ToDatetime(tzinfo=UTC) <= expire_at
    assert changed.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(changed) == "INVALID_REQUEST"


async def test_query_follows_the_payment(payments: Stub, sandbox_control: SandboxControl) -> None:
    order = _new_id()
    await payments.CreateNative(coffee_order(order, 250, attach="table-7"))
    before = await payments.QueryStatus(payment_pb2.QueryStatusRequest(out_trade_no=order))
    await sandbox_control.pay(order, delivery="drop")
    after = await payments.QueryStatus(payment_pb2.QueryStatusRequest(out_trade_no=order))
    at_wechat = await sandbox_control.order(order)
    missing = await fails(
        payments.QueryStatus(payment_pb2.QueryStatusRequest(out_trade_no=_new_id()))
    )
    assert before.trade_state == types_pb2.TRADE_STATE_NOTPAY
    assert after.trade_state == types_pb2.TRADE_STATE_SUCCESS
    assert after.transaction_id
    assert (after.total_fee, after.cash_fee, after.attach) == (250, 250, "table-7")
    # WeChat's time_end (Beijing time, to the second) as an aware UTC instant.
    assert after.success_time.ToDatetime(tzinfo=UTC) == datetime.fromisoformat(
        at_wechat["time_end"]
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(missing) == "ORDERNOTEXIST"


async def test_close_unpaid_then_again_then_paid_then_unknown(
    payments: Stub, sandbox_control: SandboxControl
) -> None:
    unpaid, paid = _new_id(), _new_id()
    await payments.CreateNative(coffee_order(unpaid))
    await payments.CreateNative(coffee_order(paid))
    await sandbox_control.pay(paid, delivery="drop")

    closed = await payments.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no=unpaid))
    again = await payments.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no=unpaid))
    refused = await fails(payments.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no=paid)))
    unknown = await fails(
        payments.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no=_new_id()))
    )
    reorder = await fails(payments.CreateNative(coffee_order(unpaid)))

    assert (closed.already_closed, again.already_closed) == (False, True)
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(refused) == "ORDERPAID"
    status = rpc_status.from_call(refused)  # type: ignore[arg-type]
    assert status is not None
    paid_detail = payment_pb2.PaidTrade()
    assert any(
        d.Unpack(paid_detail) for d in status.details if d.Is(payment_pb2.PaidTrade.DESCRIPTOR)
    )
    assert paid_detail.trade.trade_state == types_pb2.TRADE_STATE_SUCCESS
    assert paid_detail.trade.transaction_id
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert reorder.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(reorder) == "ORDERCLOSED"


async def test_refund_over_mutual_tls_is_idempotent_and_bounded(
    payments: Stub, sandbox_control: SandboxControl
) -> None:
    order = _new_id()
    await payments.CreateNative(coffee_order(order, 300))
    await sandbox_control.pay(order, delivery="drop")

    def refund(out_refund_no: str, fee: int) -> Any:
        return payments.Refund(
            payment_pb2.RefundRequest(
                out_trade_no=order,
                out_refund_no=out_refund_no,
                total_fee=300,
                refund_fee=fee,
                reason="退一半",
            )
        )

    first = await refund(f"{order}-r1", 200)
    repeat = await refund(f"{order}-r1", 200)
    too_much = await fails(refund(f"{order}-r2", 101))
    rest = await refund(f"{order}-r2", 100)
    assert first.refund.status in {
        types_pb2.REFUND_STATUS_PROCESSING,
        types_pb2.REFUND_STATUS_SUCCESS,
    }
    assert first.refund.refund_id
    assert repeat.refund.refund_id == first.refund.refund_id
    assert too_much.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rest.refund.refund_fee == 100

    for _ in range(200):
        listed = await payments.QueryRefund(payment_pb2.QueryRefundRequest(out_trade_no=order))
        if all(r.status == types_pb2.REFUND_STATUS_SUCCESS for r in listed.refunds):
            break
        await asyncio.sleep(0.02)
    assert sorted(r.refund_fee for r in listed.refunds) == [100, 200]
    assert listed.refunded_fee == 300
    assert all(r.status == types_pb2.REFUND_STATUS_SUCCESS for r in listed.refunds)
    one = await payments.QueryRefund(payment_pb2.QueryRefundRequest(out_refund_no=f"{order}-r1"))
    assert [r.refund_fee for r in one.refunds] == [200]


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


async def test_health_then_graceful_stop_with_a_call_in_flight(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    async with build(_settings(sandbox)) as server:
        await server.start()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            answer = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
            stub: Stub = payment_pb2_grpc.PaymentServiceStub(channel)
            await sandbox_control.set_faults(latency_ms=600)
            in_flight = asyncio.ensure_future(stub.CreateNative(coffee_order(_new_id()), timeout=5))
            await asyncio.sleep(0.2)
            await server.stop(grace=5)
            finished = await in_flight
    assert finished.code_url.startswith("weixin://")
