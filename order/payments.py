"""PaymentService as CancelOrder and the reconciler need it: ask WeChat about an order, close it
there, and read what that says about the money.

The error contract is in protos/paystream/payment/v1/payment.proto: NOT_FOUND means WeChat never
saw the order (so it can be closed safely); FAILED_PRECONDITION with a PaidTrade detail means it
is paid (ORDERPAID), with reason ORDERCLOSED that it is closed already.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from order.domain import PaymentUnavailableError
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc, types_pb2

PAID_STATES = (types_pb2.TRADE_STATE_SUCCESS, types_pb2.TRADE_STATE_REFUND)
REFUND_QUERY_NEEDS_OUT_REFUND_NO = "REFUND_QUERY_NEEDS_OUT_REFUND_NO"
REFUNDS_UNKNOWN = "REFUNDS_UNKNOWN"
"""PaymentService found refunds of the order the request did not name (API v3)."""
"""PaymentService's reason when API v3 cannot list an order's refunds (payment.proto)."""


@dataclass(frozen=True)
class ClosedAtWeChat:
    """Closed now, closed before, or never created at WeChat: it can no longer be paid."""


@dataclass(frozen=True)
class PaidAtWeChat:
    trade: payment_pb2.QueryStatusResponse


@dataclass(frozen=True)
class RefundRefused:
    """WeChat (or PaymentService before asking it) refused the refund for certain: no money
    moved, and the same request would be refused again."""

    code: grpc.StatusCode
    reason: str
    detail: str


# Answers that say for certain the refund was not made; anything else may have reached WeChat.
REFUSALS = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.NOT_FOUND,
    }
)


@dataclass(frozen=True)
class UnknownAtWeChat:
    """WeChat has no such order (it was never placed there, or not yet)."""


class Payments:
    def __init__(self, stub: payment_pb2_grpc.PaymentServiceAsyncStub) -> None:
        self._stub = stub

    async def query(
        self, order_id: str, timeout: float
    ) -> payment_pb2.QueryStatusResponse | UnknownAtWeChat:
        """What WeChat says about the order now."""
        try:
            return await self._stub.QueryStatus(
                payment_pb2.QueryStatusRequest(out_trade_no=order_id), timeout=timeout
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return UnknownAtWeChat()
            raise PaymentUnavailableError(
                f"PaymentService.QueryStatus failed: {error.code().name} {error.details()}"
            ) from error

    async def refund(
        self, request: payment_pb2.RefundRequest, timeout: float
    ) -> payment_pb2.RefundInfo | RefundRefused:
        """Asks WeChat for the refund: its answer, or a certain refusal; PaymentUnavailableError
        when the outcome is unknown (then the same request again is safe)."""
        try:
            answer = await self._stub.Refund(request, timeout=timeout)
        except grpc.aio.AioRpcError as error:
            code = error.code()
            if code in REFUSALS:
                return RefundRefused(code, _reason(error), error.details() or "")
            raise PaymentUnavailableError(
                f"PaymentService.Refund failed: {code.name} {error.details()}"
            ) from error
        return answer.refund

    async def refunds(
        self, order_id: str, out_refund_nos: list[str], timeout: float
    ) -> list[payment_pb2.RefundInfo]:
        """The order's refunds as WeChat knows them: listed by order, or (API v3, which lists
        none by order) each of `out_refund_nos` asked for in turn."""
        try:
            listed = await self._stub.QueryRefund(
                payment_pb2.QueryRefundRequest(out_trade_no=order_id), timeout=timeout
            )
            return list(listed.refunds)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise PaymentUnavailableError(
                    f"PaymentService.QueryRefund failed: {error.code().name} {error.details()}"
                ) from error
            if _reason(error) != REFUND_QUERY_NEEDS_OUT_REFUND_NO:
                return []
        found: list[payment_pb2.RefundInfo] = []
        for number in out_refund_nos:
            one = await self.refund_status(order_id, number, timeout)
            if one is not None:
                found.append(one)
        return found

    async def refund_status(
        self, order_id: str, out_refund_no: str, timeout: float
    ) -> payment_pb2.RefundInfo | None:
        """One refund as WeChat knows it; None when WeChat has no such refund."""
        try:
            one = await self._stub.QueryRefund(
                payment_pb2.QueryRefundRequest(out_trade_no=order_id, out_refund_no=out_refund_no),
                timeout=timeout,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise PaymentUnavailableError(
                f"PaymentService.QueryRefund failed: {error.code().name} {error.details()}"
            ) from error
        return next((r for r in one.refunds if r.out_refund_no == out_refund_no), None)

    async def close(self, order_id: str, timeout: float) -> ClosedAtWeChat | PaidAtWeChat:
        try:
            await self._stub.CloseOrder(
                payment_pb2.CloseOrderRequest(out_trade_no=order_id), timeout=timeout
            )
        except grpc.aio.AioRpcError as error:
            return await self._understand(order_id, error, timeout)
        return ClosedAtWeChat()

    async def _understand(
        self, order_id: str, error: grpc.aio.AioRpcError, timeout: float
    ) -> ClosedAtWeChat | PaidAtWeChat:
        code = error.code()
        if code == grpc.StatusCode.NOT_FOUND:
            return ClosedAtWeChat()
        if code != grpc.StatusCode.FAILED_PRECONDITION:
            raise PaymentUnavailableError(
                f"PaymentService.CloseOrder failed: {code.name} {error.details()}",
                retryable=True,
            )
        status = _rich_status(error)
        paid = payment_pb2.PaidTrade()
        reason = ""
        for detail in status.details if status else ():
            if detail.Is(payment_pb2.PaidTrade.DESCRIPTOR):
                detail.Unpack(paid)
                return PaidAtWeChat(paid.trade)
            info = error_details_pb2.ErrorInfo()
            if detail.Is(info.DESCRIPTOR) and detail.Unpack(info):
                reason = info.reason
        if reason == "ORDERCLOSED":
            return ClosedAtWeChat()
        if reason == "ORDERPAID":
            return await self._paid_trade(order_id, timeout)
        raise PaymentUnavailableError(
            f"PaymentService.CloseOrder refused: {error.details()}", retryable=False
        )

    async def _paid_trade(self, order_id: str, timeout: float) -> PaidAtWeChat:
        """WeChat said paid without the trade: ask for it."""
        try:
            trade = await self._stub.QueryStatus(
                payment_pb2.QueryStatusRequest(out_trade_no=order_id), timeout=timeout
            )
        except grpc.aio.AioRpcError as error:
            raise PaymentUnavailableError(
                f"PaymentService.QueryStatus failed: {error.code().name} {error.details()}"
            ) from error
        if trade.trade_state not in PAID_STATES:
            raise PaymentUnavailableError("WeChat says paid, then not: try again")
        return PaidAtWeChat(trade)


def _reason(error: grpc.aio.AioRpcError) -> str:
    """The ErrorInfo reason PaymentService attached (WeChat's err_code), or ""."""
    status = _rich_status(error)
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Is(info.DESCRIPTOR) and detail.Unpack(info):
            return str(info.reason)
    return ""


def _rich_status(error: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    try:
        status: status_pb2.Status | None = rpc_status.from_call(cast(grpc.Call, error))
    except ValueError:
        return None
    return status
