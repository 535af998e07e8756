"""What each PaymentService call does, as plain functions over the WeChatPay port."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from payment.service.ports import WeChatPay
from payment.wechatpay.bills import BillType, TradeBill
from payment.wechatpay.errors import OrderClosedError, OrderPaidError, RefundNotFoundError
from payment.wechatpay.types import (
    NativeOrder,
    RefundQueryResult,
    RefundRecord,
    RefundResult,
    RefundStatus,
    TradeState,
    TradeStatus,
)
from payment.wechatpay_v3 import REFUND_QUERY_NEEDS_OUT_REFUND_NO


class PaidOnCloseError(Exception):
    """CloseOrder found the order paid: never a success; carries the payment's details."""

    def __init__(self, trade: TradeStatus) -> None:
        super().__init__(f"order {trade.out_trade_no} is paid ({trade.transaction_id})")
        self.trade = trade


class RefundRejectedError(Exception):
    """A refund we refuse before asking WeChat: the order is not paid, the total is not the
    paid total, or the amount exceeds what is still refundable."""


class RefundConflictError(Exception):
    """The out_refund_no already names a refund of a different amount."""


class RefundsUnknownError(RefundRejectedError):
    """The order has refunds WeChat cannot list (API v3) and the caller named none of them: the
    refundable amount cannot be known, so nothing is sent."""


@dataclass(frozen=True, slots=True)
class NativeRequest:
    out_trade_no: str
    total_fee: int
    description: str
    attach: str
    expire_time: datetime | None
    product_id: str


@dataclass(frozen=True, slots=True)
class RefundRequest:
    out_trade_no: str
    out_refund_no: str
    total_fee: int
    refund_fee: int
    reason: str
    other_out_refund_nos: tuple[str, ...] = ()
    """The order's other refunds as the caller's records know them (API v3 lists none)."""


PAID_STATES = {TradeState.SUCCESS, TradeState.REFUND}


class PaymentOperations:
    def __init__(self, wechat: WeChatPay) -> None:
        self._wechat = wechat

    async def create_native(self, request: NativeRequest, deadline: float) -> NativeOrder:
        return await self._wechat.unified_order_native(
            out_trade_no=request.out_trade_no,
            total_fee=request.total_fee,
            body=request.description,
            attach=request.attach or None,
            product_id=request.product_id or None,
            time_expire=request.expire_time,
            deadline=deadline,
        )

    async def download_bill(
        self, bill_date: date, bill_type: BillType, deadline: float
    ) -> TradeBill:
        return await self._wechat.download_bill(bill_date, bill_type, deadline=deadline)

    async def query(self, out_trade_no: str, deadline: float) -> TradeStatus:
        return await self._wechat.order_query(out_trade_no, deadline=deadline)

    async def close(self, out_trade_no: str, deadline: float) -> bool:
        """Closes the order; True when it had already been closed. A paid order raises
        PaidOnCloseError with what WeChat reports about the payment."""
        try:
            await self._wechat.close_order(out_trade_no, deadline=deadline)
        except OrderClosedError:
            return True
        except OrderPaidError:
            raise PaidOnCloseError(await self.query(out_trade_no, deadline)) from None
        return False

    async def refund(self, request: RefundRequest, deadline: float) -> RefundResult | RefundRecord:
        trade = await self.query(request.out_trade_no, deadline)
        if trade.trade_state not in PAID_STATES:
            raise RefundRejectedError(f"the order is {trade.trade_state}, not paid")
        if trade.total_fee != request.total_fee:
            raise RefundRejectedError(
                f"total_fee {request.total_fee} is not the paid total {trade.total_fee}"
            )
        refunds = await self._refunds_of(request, deadline)
        existing = next((r for r in refunds if r.out_refund_no == request.out_refund_no), None)
        if existing is not None:
            if existing.refund_fee != request.refund_fee:
                raise RefundConflictError(
                    f"{request.out_refund_no} already refunds {existing.refund_fee} fen"
                )
            return existing
        refundable = request.total_fee - sum(
            r.refund_fee for r in refunds if r.status is not RefundStatus.REFUNDCLOSE
        )
        if request.refund_fee > refundable:
            raise RefundRejectedError(
                f"refund_fee {request.refund_fee} exceeds the {refundable} fen still refundable"
            )
        return await self._wechat.refund(
            out_trade_no=request.out_trade_no,
            out_refund_no=request.out_refund_no,
            total_fee=request.total_fee,
            refund_fee=request.refund_fee,
            refund_desc=request.reason or None,
            deadline=deadline,
        )

    async def query_refunds(
        self, out_trade_no: str, out_refund_no: str, deadline: float
    ) -> RefundQueryResult:
        if out_refund_no:
            return await self._wechat.refund_query(out_refund_no=out_refund_no, deadline=deadline)
        return await self._wechat.refund_query(out_trade_no=out_trade_no, deadline=deadline)

    async def _refunds_of(
        self, request: RefundRequest, deadline: float
    ) -> tuple[RefundRecord, ...]:
        """The order's refunds as WeChat knows them: listed by order (v2), or else (v3) each
        one the caller named, plus the one asked for. Never "none" when it cannot know."""
        try:
            answer = await self._wechat.refund_query(
                out_trade_no=request.out_trade_no, deadline=deadline
            )
        except RefundNotFoundError as error:
            if error.err_code != REFUND_QUERY_NEEDS_OUT_REFUND_NO:
                return ()
        else:
            return answer.refunds
        named = {*request.other_out_refund_nos} - {request.out_refund_no}
        found: list[RefundRecord] = []
        for number in [request.out_refund_no, *sorted(named)]:
            try:
                one = await self._wechat.refund_query(out_refund_no=number, deadline=deadline)
            except RefundNotFoundError:
                continue  # named by the caller but never accepted by WeChat
            found.extend(r for r in one.refunds if r.out_refund_no == number)
        asked_before = any(r.out_refund_no == request.out_refund_no for r in found)
        if not named and not asked_before:
            raise RefundsUnknownError(
                "the order has refunds that WeChat (API v3) lists only by out_refund_no, and "
                "none was named: refund through OrderService.RefundOrder"
            )
        return tuple(found)
