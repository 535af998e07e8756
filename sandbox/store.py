"""The sandbox's memory: orders and refunds with O(1) indexes.

Concurrency rule: every state change is a plain (non-async) function that checks and changes in
one step, so on the single event loop nothing can interleave between a check and its change —
a paid order cannot be closed, a closed one cannot be paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from payment.wechatpay.types import RefundStatus, TradeState
from sandbox.v2_sign import SignType

__all__ = ["ApiVersion", "Order", "Refund", "Store"]


class ApiVersion(StrEnum):
    """The protocol an order was placed with (or a refund asked for): its notifies use it."""

    V2 = "v2"
    V3 = "v3"


@dataclass(slots=True, eq=False)
class Refund:
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str
    total_fee: int
    refund_fee: int
    refund_desc: str
    notify_url: str | None
    created_at: datetime
    status: RefundStatus = RefundStatus.PROCESSING
    success_time: datetime | None = None
    api_version: ApiVersion = ApiVersion.V2


@dataclass(slots=True, eq=False)
class Order:
    out_trade_no: str
    params: dict[str, str]
    """The business fields of the first unifiedorder: a re-entry must repeat them exactly."""
    sign_type: SignType
    """v2: the sign type of its notifies (v3 orders keep the default and never use it)."""
    total_fee: int
    body: str
    attach: str
    notify_url: str
    created_at: datetime
    code_url: str
    prepay_id: str
    code_issued_at: datetime
    time_expire: datetime | None
    state: TradeState = TradeState.NOTPAY
    transaction_id: str | None = None
    time_end: datetime | None = None
    openid: str | None = None
    bank_type: str = "OTHERS"
    refunds: list[Refund] = field(default_factory=list)
    api_version: ApiVersion = ApiVersion.V2

    @property
    def paid(self) -> bool:
        return self.state in (TradeState.SUCCESS, TradeState.REFUND)

    @property
    def refunded_fee(self) -> int:
        return sum(r.refund_fee for r in self.refunds if r.status is not RefundStatus.REFUNDCLOSE)


class Store:
    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.by_code_url: dict[str, Order] = {}
        self.by_transaction_id: dict[str, Order] = {}
        self.refunds: dict[str, Refund] = {}
        self.refunds_by_id: dict[str, Refund] = {}

    def add_order(self, order: Order) -> None:
        self.orders[order.out_trade_no] = order
        self.by_code_url[order.code_url] = order

    def reissue_code(self, order: Order, code_url: str, prepay_id: str, now: datetime) -> None:
        self.by_code_url.pop(order.code_url, None)
        order.code_url, order.prepay_id, order.code_issued_at = code_url, prepay_id, now
        self.by_code_url[code_url] = order

    def mark_paid(self, order: Order, transaction_id: str) -> None:
        order.transaction_id = transaction_id
        self.by_transaction_id[transaction_id] = order

    def add_refund(self, order: Order, refund: Refund) -> None:
        order.refunds.append(refund)
        self.refunds[refund.out_refund_no] = refund
        self.refunds_by_id[refund.refund_id] = refund

    def order_of(self, out_trade_no: str = "", transaction_id: str = "") -> Order | None:
        if transaction_id:
            return self.by_transaction_id.get(transaction_id)
        return self.orders.get(out_trade_no)

    def clear(self) -> None:
        for index in (self.orders, self.by_code_url, self.by_transaction_id):
            index.clear()
        self.refunds.clear()
        self.refunds_by_id.clear()
