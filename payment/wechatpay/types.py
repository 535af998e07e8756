"""Our typed view of WeChat's answers: amounts in integer fen, times as aware UTC datetimes.

WeChat's strings become these types in :mod:`payment.wechatpay.mapping` and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "NativeOrder",
    "PaymentNotify",
    "RefundNotify",
    "RefundQueryResult",
    "RefundRecord",
    "RefundResult",
    "RefundStatus",
    "TradeState",
    "TradeStatus",
]


class TradeState(StrEnum):
    """WeChat's ``trade_state`` (reference §1.4; the same names in v2 and v3)."""

    SUCCESS = "SUCCESS"
    """Paid."""
    REFUND = "REFUND"
    """Paid, and a refund was initiated."""
    NOTPAY = "NOTPAY"
    """Not paid yet; payable until its time_expire or until closed."""
    CLOSED = "CLOSED"
    """Closed by the merchant or by WeChat; cannot be paid."""
    REVOKED = "REVOKED"
    """Revoked (payment-code trades only)."""
    USERPAYING = "USERPAYING"
    """The customer is paying (payment-code trades only)."""
    PAYERROR = "PAYERROR"
    """Payment failed; also what a notify with result_code=FAIL reports."""
    ACCEPT = "ACCEPT"
    """Accepted, waiting for the debit (rare)."""


class RefundStatus(StrEnum):
    """WeChat's ``refund_status`` (reference §1.7)."""

    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    REFUNDCLOSE = "REFUNDCLOSE"
    CHANGE = "CHANGE"
    """Abnormal: the money could not be returned; needs a person."""


@dataclass(frozen=True, slots=True)
class NativeOrder:
    """A placed NATIVE order: the ``code_url`` to show as a QR code."""

    out_trade_no: str
    code_url: str
    prepay_id: str
    issued_at: datetime
    """When this call received the code (a re-entry may return a code issued earlier)."""
    expires_at: datetime
    """Two hours after ``issued_at``, or the order's time_expire if that comes first."""


@dataclass(frozen=True, slots=True)
class TradeStatus:
    """An ``orderquery`` answer. Fields other than the state are set once the order is paid."""

    out_trade_no: str
    trade_state: TradeState
    trade_state_desc: str = ""
    transaction_id: str | None = None
    total_fee: int | None = None
    cash_fee: int | None = None
    success_time: datetime | None = None
    attach: str | None = None
    trade_type: str | None = None
    bank_type: str | None = None
    openid: str | None = None
    currency: str | None = None
    """v2 ``fee_type``, v3 ``amount.currency``: None when WeChat did not say (its default: CNY)."""
    cash_currency: str | None = None
    """v2 ``cash_fee_type``, v3 ``amount.payer_currency``."""


@dataclass(frozen=True, slots=True)
class RefundResult:
    """A ``refund`` answer: the refund is accepted (PROCESSING); its outcome comes later."""

    out_trade_no: str
    out_refund_no: str
    refund_id: str
    transaction_id: str
    refund_fee: int
    total_fee: int
    cash_fee: int | None = None


@dataclass(frozen=True, slots=True)
class RefundRecord:
    """One refund of an order, as ``refundquery`` lists it."""

    out_refund_no: str
    refund_id: str
    refund_fee: int
    status: RefundStatus
    success_time: datetime | None = None
    channel: str | None = None
    recv_account: str | None = None


@dataclass(frozen=True, slots=True)
class RefundQueryResult:
    """A ``refundquery`` answer: an order's refunds (or the one asked for)."""

    out_trade_no: str
    transaction_id: str
    total_fee: int
    refunds: tuple[RefundRecord, ...]
    cash_fee: int | None = None

    @property
    def refunded_fee(self) -> int:
        """Fen refunded or on the way back (every refund that is not closed)."""
        return sum(r.refund_fee for r in self.refunds if r.status is not RefundStatus.REFUNDCLOSE)


@dataclass(frozen=True, slots=True)
class PaymentNotify:
    """A verified v2 payment notify (reference §1.8): trust it only as far as its checks go —
    the signature, appid and mch_id are verified; the amount must still be compared with the
    merchant's order."""

    appid: str
    mch_id: str
    out_trade_no: str
    result_code: str
    trade_state: TradeState
    """SUCCESS for result_code=SUCCESS, PAYERROR for result_code=FAIL."""
    total_fee: int
    transaction_id: str | None
    cash_fee: int | None
    success_time: datetime | None
    attach: str | None
    trade_type: str | None
    bank_type: str | None
    openid: str | None
    err_code: str | None
    err_code_des: str | None
    sign_type: str
    """The algorithm that verified it (from ``sign_type`` or the signature's length)."""
    fields: Mapping[str, str] = field(repr=False)
    """Every field as received, ``sign`` included."""
    raw_body: bytes = field(repr=False)
    """The exact bytes WeChat sent."""
    currency: str | None = None
    """``fee_type`` (v2) or ``amount.currency`` (v3); None when absent (WeChat's default: CNY)."""
    cash_currency: str | None = None
    """``cash_fee_type`` (v2) or ``amount.payer_currency`` (v3)."""


@dataclass(frozen=True, slots=True)
class RefundNotify:
    """A decrypted v2 refund notify (reference §1.9)."""

    appid: str
    mch_id: str
    out_trade_no: str
    out_refund_no: str
    refund_id: str
    transaction_id: str
    total_fee: int
    refund_fee: int
    refund_status: RefundStatus
    success_time: datetime | None
    settlement_refund_fee: int | None
    recv_account: str | None
    fields: Mapping[str, str] = field(repr=False)
    """The decrypted ``req_info`` fields."""
    raw_body: bytes = field(repr=False)
