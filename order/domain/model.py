"""The order's vocabulary: statuses, anomalies, what WeChat can say about a trade, and the order.

Our own types, not protobuf and not WeChat's strings: the wire mapping lives in `order.wire`.
Amounts are integer fen; times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    CLOSED = "CLOSED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


class Anomaly(StrEnum):
    """Something about an order that a person should look at (kept on the order)."""

    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    PAID_AFTER_CLOSE = "PAID_AFTER_CLOSE"
    UNKNOWN_ORDER = "UNKNOWN_ORDER"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    """WeChat reported a payment in another currency: a domestic merchant takes CNY only."""


class TradeState(StrEnum):
    """What WeChat says about a trade (its trade_state)."""

    SUCCESS = "SUCCESS"
    REFUND = "REFUND"
    NOTPAY = "NOTPAY"
    CLOSED = "CLOSED"
    REVOKED = "REVOKED"
    USERPAYING = "USERPAYING"
    PAYERROR = "PAYERROR"
    ACCEPT = "ACCEPT"


class RefundStatus(StrEnum):
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    CLOSED = "CLOSED"
    ABNORMAL = "ABNORMAL"


class Source(StrEnum):
    """Who observed it: the gateway (notify), the reconciler (poll), CancelOrder (cancel)."""

    NOTIFY = "NOTIFY"
    POLL = "POLL"
    CANCEL = "CANCEL"


class Outcome(StrEnum):
    """What applying one observation did, as recorded in the inbox."""

    APPLIED = "APPLIED"
    """The order changed."""
    ANOMALY = "ANOMALY"
    """Something a person should look at; an anomaly event was emitted."""
    UNKNOWN_ORDER = "UNKNOWN_ORDER"
    """No such order: recorded, with an anomaly event."""
    RECORDED = "RECORDED"
    """Kept for the record (a failed payment, a refund in progress); the order did not change."""
    NO_CHANGE = "NO_CHANGE"
    """Nothing new (not paid yet, or the order already says so)."""
    STALE = "STALE"
    """Older or weaker than what the order already knows (NOTPAY after PAID): ignored."""


# States that prove WeChat took the money (REFUND: a refund was started, so it had been paid).
PAID_TRADE_STATES = frozenset({TradeState.SUCCESS, TradeState.REFUND})
# The only currency of a domestic merchant; WeChat's v2 default when fee_type is absent.
DOMESTIC_CURRENCY = "CNY"
# States that say the trade can no longer be paid.
CLOSED_TRADE_STATES = frozenset({TradeState.CLOSED, TradeState.REVOKED})
# States that say nothing new about an unpaid trade.
WAITING_TRADE_STATES = frozenset({TradeState.NOTPAY, TradeState.USERPAYING, TradeState.ACCEPT})


@dataclass(frozen=True, slots=True)
class RefundObservation:
    out_refund_no: str
    refund_id: str
    status: RefundStatus
    refund_fee: int
    success_time: datetime | None


@dataclass(frozen=True, slots=True)
class Observation:
    """One fact WeChat told us about a trade, as reported on `payment.observations`."""

    observation_id: str
    order_id: str
    source: Source
    trade_state: TradeState
    transaction_id: str = ""
    total_fee: int = 0
    cash_fee: int = 0
    success_time: datetime | None = None
    observed_time: datetime | None = None
    refund: RefundObservation | None = None
    currency: str = ""
    """The order's currency as WeChat reported it (v2 fee_type, v3 amount.currency); empty when
    it did not say, which WeChat defines as CNY."""
    cash_currency: str = ""
    """The currency the payer paid in (v2 cash_fee_type, v3 amount.payer_currency), or empty."""


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    total_fee: int
    expire_time: datetime
    create_time: datetime
    update_time: datetime
    description: str = ""
    attach: str = ""
    status: Status = Status.PENDING
    anomaly: Anomaly | None = None
    transaction_id: str | None = None
    paid_time: datetime | None = None
    refunded_fee: int = 0
    version: int = 1

    @property
    def is_final(self) -> bool:
        """Past the point where cancelling means anything (anything but PENDING)."""
        return self.status is not Status.PENDING


@dataclass(frozen=True, slots=True)
class Refund:
    """One refund of an order, by the merchant's refund number."""

    order_id: str
    out_refund_no: str
    refund_id: str
    refund_fee: int
    status: RefundStatus
    success_time: datetime | None = None
