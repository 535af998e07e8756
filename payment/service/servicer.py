"""`paystream.payment.v1.PaymentService` over grpc.aio: translate, call, translate back.

Each call gets a deadline: the caller's (it bounds the retries too) or the configured default.
Known failures become statuses in payment.service.errors; anything else is a bug and surfaces as
UNKNOWN with a logged traceback.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
import structlog
from typing_extensions import override

from payment.service import bills, convert, qr, validation
from payment.service.errors import failure_for
from payment.service.operations import NativeRequest, PaymentOperations, RefundRequest
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc

log = structlog.get_logger("payment.service")

T = TypeVar("T")
Context = grpc.aio.ServicerContext[Any, Any]

# Time kept back from the caller's deadline to send the answer.
ANSWER_MARGIN_SECONDS = 0.05


class PaymentServicer(payment_pb2_grpc.PaymentServiceServicer):
    def __init__(
        self,
        operations: PaymentOperations,
        default_deadline: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._ops = operations
        self._default_deadline = default_deadline
        self._clock = clock

    def _deadline(self, context: Context) -> float:
        remaining = context.time_remaining()
        budget = self._default_deadline if remaining is None else remaining
        return time.monotonic() + max(0.0, budget - ANSWER_MARGIN_SECONDS)

    async def _run(self, context: Context, out_trade_no: str, work: Awaitable[T]) -> T:
        structlog.contextvars.bind_contextvars(out_trade_no=out_trade_no)
        try:
            return await work
        except Exception as error:
            failure = failure_for(error)
            if failure is None:
                log.exception("payment_call_crashed")
                raise
            log.info("payment_call_failed", code=failure.code.name, reason=str(error)[:200])
            # The stubs lack abort_with_status on the aio context; grpc.aio has it.
            await context.abort_with_status(failure.status())  # type: ignore[attr-defined]
            raise AssertionError("abort_with_status raises") from error
        finally:
            structlog.contextvars.unbind_contextvars("out_trade_no")

    @override
    async def CreateNative(
        self, request: payment_pb2.CreateNativeRequest, context: Context
    ) -> payment_pb2.CreateNativeResponse:
        async def work() -> payment_pb2.CreateNativeResponse:
            expire_time = (
                validation.timestamp_field(request.expire_time, "expire_time")
                if request.HasField("expire_time")
                else None
            )
            validation.check_create_native(
                request.out_trade_no,
                request.total_fee,
                request.description,
                request.attach,
                expire_time,
                self._clock(),
                request.product_id,
            )
            order = await self._ops.create_native(
                NativeRequest(
                    out_trade_no=request.out_trade_no,
                    total_fee=request.total_fee,
                    description=request.description,
                    attach=request.attach,
                    expire_time=expire_time,
                    product_id=request.product_id,
                ),
                self._deadline(context),
            )
            image, media_type = qr.render(order.code_url, request.qr_format)
            return convert.native_message(order, image, media_type)

        return await self._run(context, request.out_trade_no, work())

    @override
    async def QueryStatus(
        self, request: payment_pb2.QueryStatusRequest, context: Context
    ) -> payment_pb2.QueryStatusResponse:
        async def work() -> payment_pb2.QueryStatusResponse:
            validation.check_order_reference(request.out_trade_no)
            trade = await self._ops.query(request.out_trade_no, self._deadline(context))
            return convert.trade_status_message(trade)

        return await self._run(context, request.out_trade_no, work())

    @override
    async def CloseOrder(
        self, request: payment_pb2.CloseOrderRequest, context: Context
    ) -> payment_pb2.CloseOrderResponse:
        async def work() -> payment_pb2.CloseOrderResponse:
            validation.check_order_reference(request.out_trade_no)
            already = await self._ops.close(request.out_trade_no, self._deadline(context))
            return payment_pb2.CloseOrderResponse(
                out_trade_no=request.out_trade_no, already_closed=already
            )

        return await self._run(context, request.out_trade_no, work())

    @override
    async def Refund(
        self, request: payment_pb2.RefundRequest, context: Context
    ) -> payment_pb2.RefundResponse:
        async def work() -> payment_pb2.RefundResponse:
            validation.check_refund(
                request.out_trade_no,
                request.out_refund_no,
                request.total_fee,
                request.refund_fee,
                request.reason,
                request.other_out_refund_nos,
            )
            refund = await self._ops.refund(
                RefundRequest(
                    out_trade_no=request.out_trade_no,
                    out_refund_no=request.out_refund_no,
                    total_fee=request.total_fee,
                    refund_fee=request.refund_fee,
                    reason=request.reason,
                    other_out_refund_nos=tuple(request.other_out_refund_nos),
                ),
                self._deadline(context),
            )
            info = convert.refund_info(refund, request.out_trade_no, "", request.total_fee)
            return payment_pb2.RefundResponse(refund=info)

        return await self._run(context, request.out_trade_no, work())

    @override
    async def QueryRefund(
        self, request: payment_pb2.QueryRefundRequest, context: Context
    ) -> payment_pb2.QueryRefundResponse:
        async def work() -> payment_pb2.QueryRefundResponse:
            validation.check_refund_query(request.out_trade_no, request.out_refund_no)
            result = await self._ops.query_refunds(
                request.out_trade_no, request.out_refund_no, self._deadline(context)
            )
            return convert.refunds_message(result)

        return await self._run(context, request.out_trade_no, work())

    @override
    async def DownloadTradeBill(
        self, request: payment_pb2.DownloadTradeBillRequest, context: Context
    ) -> AsyncIterator[payment_pb2.DownloadTradeBillResponse]:
        async def work() -> list[payment_pb2.DownloadTradeBillResponse]:
            day, bill_type = bills.bill_request(request)
            bill = await self._ops.download_bill(day, bill_type, self._deadline(context))
            return list(bills.bill_messages(bill))

        # The whole bill is verified and converted before the first message goes out.
        for message in await self._run(context, request.bill_date, work()):
            yield message
