"""PaymentService through its composition root with a fake WeChat: validation before any call,
and every failure mapped to its status with rich details."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from pydantic import SecretStr

from payment.bootstrap import server_for
from payment.settings import PaymentSettings
from payment.wechatpay import errors as wx
from payment.wechatpay.bills import BillType, TradeBill, parse_bill
from payment.wechatpay.types import (
    NativeOrder,
    RefundQueryResult,
    RefundRecord,
    RefundResult,
    RefundStatus,
    TradeState,
    TradeStatus,
)
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc, types_pb2
from runtime.observations import timestamp
from tests.fixtures.payment import fails
from tests.unit.wechatpay.bill_fixtures import REAL_V3_LINES, bill_bytes

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PAID = TradeStatus(
    "order-0001",
    TradeState.SUCCESS,
    "支付成功",
    "4200000001",
    100,
    100,
    NOW,
    "",
    "NATIVE",
    "OTHERS",
)


class FakeWeChat:
    """Answers from a script; records what reached it."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail: dict[str, Exception] = {}
        self.trade = PAID
        self.refunds: tuple[RefundRecord, ...] = ()
        self.delay = 0.0
        self.bill = parse_bill(bill_bytes(REAL_V3_LINES), date(2021, 1, 28), BillType.ALL)

    async def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.delay:
            await asyncio.sleep(self.delay)
        if name in self.fail:
            raise self.fail[name]

    async def unified_order_native(self, **kwargs: Any) -> NativeOrder:
        await self._enter("unifiedorder")
        return NativeOrder(
            kwargs["out_trade_no"],
            "weixin://wxpay/bizpayurl?pr=abc",
            "wx1",
            NOW,
            NOW + timedelta(hours=2),
        )

    async def order_query(self, out_trade_no: str | None = None, **_: Any) -> TradeStatus:
        await self._enter("orderquery")
        return self.trade

    async def close_order(self, out_trade_no: str, **_: Any) -> None:
        await self._enter("closeorder")

    async def refund(self, **kwargs: Any) -> RefundResult:
        await self._enter("refund")
        return RefundResult(
            kwargs["out_trade_no"],
            kwargs["out_refund_no"],
            "5001",
            "4200000001",
            kwargs["refund_fee"],
            kwargs["total_fee"],
        )

    async def download_bill(
        self,
        bill_date: date,
        bill_type: BillType = BillType.ALL,
        *,
        gzip: bool = True,
        deadline: float | None = None,
    ) -> TradeBill:
        await self._enter("downloadbill")
        return self.bill

    async def refund_query(self, **_: Any) -> RefundQueryResult:
        await self._enter("refundquery")
        if not self.refunds:
            raise wx.RefundNotFoundError("REFUNDNOTEXIST", "退款订单查询失败")
        return RefundQueryResult("order-0001", "4200000001", 100, self.refunds)


@pytest.fixture
async def service() -> AsyncIterator[tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat]]:
    wechat = FakeWeChat()
    settings = PaymentSettings(
        wechatpay_appid="wx0a1b2c3d4e5f6a7b",
        wechatpay_mch_id="1900012345",
        wechatpay_api_key=SecretStr("k" * 32),
        wechatpay_notify_url="http://127.0.0.1/n",
        payment_grpc_port=0,
        payment_default_deadline_seconds=2.0,
    )
    server = server_for(wechat, settings)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            yield payment_pb2_grpc.PaymentServiceStub(channel), wechat
    finally:
        await server.stop(0)


def _details(error: grpc.aio.AioRpcError) -> list[Any]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found: list[Any] = []
    for packed in status.details:
        for kind in (
            error_details_pb2.BadRequest,
            error_details_pb2.ErrorInfo,
            payment_pb2.PaidTrade,
        ):
            if packed.Is(kind.DESCRIPTOR):
                message = kind()
                packed.Unpack(message)
                found.append(message)
    return found


async def test_invalid_create_native_names_every_field_and_never_calls_wechat(
    service: tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat],
) -> None:
    stub, wechat = service
    error = await fails(
        stub.CreateNative(
            payment_pb2.CreateNativeRequest(
                out_trade_no="bad no!",
                total_fee=0,
                description="x" * 128,
                attach="é" * 64,
                expire_time=timestamp(datetime.now(UTC) - timedelta(seconds=1)),
            )
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    (bad,) = _details(error)
    assert [v.field for v in bad.field_violations] == [
        "out_trade_no",
        "total_fee",
        "description",
        "attach",
        "expire_time",
    ]
    assert wechat.calls == []


async def test_create_native_returns_the_code_and_the_requested_image(
    service: tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat],
) -> None:
    stub, _ = service
    for qr_format, media_type, magic in [
        (payment_pb2.QR_FORMAT_PNG, "image/png", b"\x89PNG"),
        (payment_pb2.QR_FORMAT_SVG, "image/svg+xml", b"<svg"),
        (payment_pb2.QR_FORMAT_UNSPECIFIED, "", b""),
    ]:
        answer = await stub.CreateNative(
            payment_pb2.CreateNativeRequest(
                out_trade_no="order-0001",
                total_fee=100,
                description="一杯咖啡",
                qr_format=qr_format,
            )
        )
        assert answer.code_url == "weixin://wxpay/bizpayurl?pr=abc"
        assert answer.qr_media_type == media_type
        assert answer.qr_image.startswith(magic)
        assert bool(answer.qr_image) == bool(magic)


@pytest.mark.parametrize(
    ("error", "code", "reason"),
    [
        (
            wx.OutTradeNoReusedError("INVALID_REQUEST", "201 商户订单号重复"),
            grpc.StatusCode.ALREADY_EXISTS,
            "INVALID_REQUEST",
        ),
        (
            wx.OrderPaidError("ORDERPAID", "该订单已支付"),
            grpc.StatusCode.FAILED_PRECONDITION,
            "ORDERPAID",
        ),
        (
            wx.OrderClosedError("ORDERCLOSED", "订单已关闭"),
            grpc.StatusCode.FAILED_PRECONDITION,
            "ORDERCLOSED",
        ),
        (wx.RetryableError("SYSTEMERROR", "系统超时"), grpc.StatusCode.UNAVAILABLE, "SYSTEMERROR"),
        (wx.TransportError("HTTP_503", "upstream"), grpc.StatusCode.UNAVAILABLE, "HTTP_503"),
        (
            wx.DeadlineExceededError("DEADLINE", "out of time"),
            grpc.StatusCode.DEADLINE_EXCEEDED,
            "DEADLINE",
        ),
        (wx.CallerError("SIGNERROR", "签名错误"), grpc.StatusCode.INTERNAL, "SIGNERROR"),
        (wx.ConfigurationError("NOAUTH", "商户无此接口权限"), grpc.StatusCode.INTERNAL, "NOAUTH"),
        (
            wx.ResponseSignatureError("RESPONSE_SIGNATURE", "bad sign"),
            grpc.StatusCode.INTERNAL,
            "RESPONSE_SIGNATURE",
        ),
    ],
)
async def test_wechat_errors_map_to_statuses_with_the_err_code(
    service: tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat],
    error: Exception,
    code: grpc.StatusCode,
    reason: str,
) -> None:
    stub, wechat = service
    wechat.fail["unifiedorder"] = error
    failed = await fails(
        stub.CreateNative(
            payment_pb2.CreateNativeRequest(
                out_trade_no="order-0001", total_fee=100, description="coffee"
            )
        )
    )
    assert failed.code() == code
    (info,) = _details(failed)
    assert (info.domain, info.reason) == ("wechatpay", reason)


async def test_closing_a_paid_order_is_never_ok_and_carries_the_payment(
    service: tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat],
) -> None:
    stub, wechat = service
    wechat.fail["closeorder"] = wx.OrderPaidError("ORDERPAID", "订单已支付，不能发起关单")
    failed = await fails(stub.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no="order-0001")))
    assert failed.code() == grpc.StatusCode.FAILED_PRECONDITION
    info, paid = _details(failed)
    assert info.reason == "ORDERPAID"
    assert paid.trade.transaction_id == "4200000001"
    assert paid.trade.trade_state == types_pb2.TRADE_STATE_SUCCESS
    assert wechat.calls == ["closeorder", "orderquery"]


async def test_closing_twice_reports_already_closed_and_unknown_orders_are_not_found(
    service: tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat],
) -> None:
    stub, wechat = service
    first = await stub.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no="order-0001"))
    wechat.fail["closeorder"] = wx.OrderClosedError("ORDERCLOSED", "订单已关闭")
    again = await stub.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no="order-0001"))
    wechat.fail["closeorder"] = wx.OrderNotFoundError("ORDERNOTEXIST", "订单不存在")
    missing = await fails(stub.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no="order-0001")))
    assert (first.already_closed, again.already_closed) == (False, True)
    assert missing.code() == grpc.StatusCode.NOT_FOUND


async def test_refund_checks_what_is_refundable_before_asking_wechat(
    service: tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat],
) -> None:
    stub, wechat = service
    wechat.refunds = (
        RefundRecord("refund-1", "5001", 70, RefundStatus.SUCCESS),
        RefundRecord("refund-2", "5002", 20, RefundStatus.REFUNDCLOSE),
    )

    def refund(out_refund_no: str, fee: int, total: int = 100) -> Any:
        return stub.Refund(
            payment_pb2.RefundRequest(
                out_trade_no="order-0001",
                out_refund_no=out_refund_no,
                total_fee=total,
                refund_fee=fee,
            )
        )

    too_much = await fails(refund("refund-3", 31))
    wrong_total = await fails(refund("refund-3", 10, total=99))
    conflict = await fails(refund("refund-1", 60))
    again = await refund("refund-1", 70)
    rest = await refund("refund-3", 30)
    assert too_much.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert wrong_total.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert conflict.code() == grpc.StatusCode.ALREADY_EXISTS
    assert again.refund.status == types_pb2.REFUND_STATUS_SUCCESS
    assert rest.refund.status == types_pb2.REFUND_STATUS_PROCESSING
    assert rest.refund.refund_fee == 30
    assert wechat.calls.count("refund") == 1

    wechat.trade = TradeStatus("order-0001", TradeState.NOTPAY)
    unpaid = await fails(refund("refund-4", 1))
    assert unpaid.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_the_callers_deadline_bounds_the_call(
    service: tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat],
) -> None:
    stub, wechat = service
    wechat.delay = 1.0
    failed = await fails(
        stub.QueryStatus(payment_pb2.QueryStatusRequest(out_trade_no="order-0001"), timeout=0.2)
    )
    assert failed.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def _bill(
    stub: payment_pb2_grpc.PaymentServiceAsyncStub, day: str, received: list[Any] | None = None
) -> list[Any]:
    """Every message of the stream (also collected in ``received`` as they come)."""
    messages = [] if received is None else received
    request = payment_pb2.DownloadTradeBillRequest(bill_date=day)
    async for message in stub.DownloadTradeBill(request):
        messages.append(message)
    return messages


async def test_a_bill_streams_its_summary_first_then_lines_in_batches(
    service: tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat],
) -> None:
    stub, wechat = service
    wechat.bill = replace(wechat.bill, lines=wechat.bill.lines * 834)  # 2,502 lines
    messages = await _bill(stub, "2021-01-28")
    assert [len(m.lines) for m in messages] == [1000, 1000, 502]
    assert [m.HasField("summary") for m in messages] == [True, False, False]
    assert messages[0].summary.sha1 == wechat.bill.sha1
    line = messages[2].lines[-1]
    assert (line.out_trade_no, line.order_total_fee, line.fee_rate) == (
        "S20210128165824499930",
        1,
        "1.00%",
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (wx.BillTotalsError("BILL_TOTALS", "总交易单数 3, but 2 lines"), grpc.StatusCode.INTERNAL),
        (wx.BillDigestError("BILL_DIGEST", "SHA-1"), grpc.StatusCode.INTERNAL),
        (
            wx.BillNotReadyError("STATEMENT_CREATING", "账单生成中"),
            grpc.StatusCode.FAILED_PRECONDITION,
        ),
        (wx.NoBillError("NO_STATEMENT_EXIST", "No Bill Exist"), grpc.StatusCode.NOT_FOUND),
        (wx.BillDateRefusedError("INVALID_BILL_DATE", "old"), grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
async def test_a_refused_bill_sends_no_line_and_names_why(
    service: tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat],
    error: wx.WeChatPayError,
    code: grpc.StatusCode,
) -> None:
    stub, wechat = service
    wechat.fail["downloadbill"] = error
    received: list[Any] = []
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await _bill(stub, "2021-01-28", received)
    assert received == []
    assert failed.value.code() is code
    [info] = [d for d in _details(failed.value) if isinstance(d, error_details_pb2.ErrorInfo)]
    assert info.reason == error.err_code


@pytest.mark.parametrize("day", ["", "2021-1-28", "2021-02-29", "yesterday"])
async def test_a_malformed_bill_date_is_refused_before_wechat_is_asked(
    service: tuple[payment_pb2_grpc.PaymentServiceAsyncStub, FakeWeChat], day: str
) -> None:
    stub, wechat = service
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await _bill(stub, day)
    assert failed.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "downloadbill" not in wechat.calls
