"""What the PaymentService needs from WeChat Pay, whichever protocol version serves it.

`payment.wechatpay.WeChatPayV2Client` satisfies it as is; the v3 client implements the same
methods, so callers of the gRPC service never learn which protocol is underneath.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from payment.wechatpay.bills import BillType, TradeBill
from payment.wechatpay.types import NativeOrder, RefundQueryResult, RefundResult, TradeStatus


class WeChatPay(Protocol):
    """The five Native-payment operations and the trade bill; errors come from
    payment.wechatpay.errors."""

    async def unified_order_native(
        self,
        *,
        out_trade_no: str,
        total_fee: int,
        body: str,
        product_id: str | None = None,
        attach: str | None = None,
        time_expire: datetime | None = None,
        time_start: datetime | None = None,
        notify_url: str | None = None,
        deadline: float | None = None,
    ) -> NativeOrder: ...

    async def order_query(
        self,
        out_trade_no: str | None = None,
        *,
        transaction_id: str | None = None,
        deadline: float | None = None,
    ) -> TradeStatus: ...

    async def close_order(self, out_trade_no: str, *, deadline: float | None = None) -> None: ...

    async def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        total_fee: int,
        refund_fee: int,
        refund_desc: str | None = None,
        notify_url: str | None = None,
        deadline: float | None = None,
    ) -> RefundResult: ...

    async def refund_query(
        self,
        *,
        out_trade_no: str | None = None,
        out_refund_no: str | None = None,
        refund_id: str | None = None,
        transaction_id: str | None = None,
        deadline: float | None = None,
    ) -> RefundQueryResult: ...

    async def download_bill(
        self,
        bill_date: date,
        bill_type: BillType = BillType.ALL,
        *,
        gzip: bool = True,
        deadline: float | None = None,
    ) -> TradeBill: ...
