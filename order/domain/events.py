"""What happened to an order, as the state machine reports it (serialized by `order.wire`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from order.domain.model import Anomaly


class AnomalyKind(StrEnum):
    """Why an anomaly event was emitted: the order's anomalies, and two facts that only warrant
    an event because the order's status already says where the money is."""

    AMOUNT_MISMATCH = Anomaly.AMOUNT_MISMATCH.value
    PAID_AFTER_CLOSE = Anomaly.PAID_AFTER_CLOSE.value
    UNKNOWN_ORDER = Anomaly.UNKNOWN_ORDER.value
    DOUBLE_PAYMENT = "DOUBLE_PAYMENT"
    """A second SUCCESS with another transaction id for an order that is already paid."""
    REFUND_ANOMALY = "REFUND_ANOMALY"
    """A refund WeChat reports that does not fit the order (closed order, too much, ABNORMAL)."""
    CURRENCY_MISMATCH = Anomaly.CURRENCY_MISMATCH.value


class CloseReason(StrEnum):
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    WECHAT = "wechat"


@dataclass(frozen=True, slots=True)
class OrderPaid:
    transaction_id: str
    total_fee: int
    cash_fee: int
    paid_time: datetime | None
    after_close: bool = False


@dataclass(frozen=True, slots=True)
class OrderClosed:
    reason: CloseReason


@dataclass(frozen=True, slots=True)
class OrderRefunded:
    out_refund_no: str
    refund_fee: int
    refunded_fee: int
    full: bool


@dataclass(frozen=True, slots=True)
class AnomalyDetected:
    kind: AnomalyKind
    detail: str
    observed_total_fee: int = 0
    transaction_id: str = ""
    fact: str = ""
    """Names the fact the anomaly is about when it happens once per order whichever
    observation reveals it (a refund's, say); empty: it is about the observation itself."""


Event = OrderPaid | OrderClosed | OrderRefunded | AnomalyDetected


@dataclass(frozen=True, slots=True)
class EmittedEvent:
    """An event with its identity: stable (derived from the observation that caused it), the
    order it is about and the order version it produced."""

    event_id: str
    order_id: str
    order_version: int
    event: Event


def event_id(order_id: str, observation_id: str, index: int, event: Event) -> str:
    """The event's stable id. Facts that happen once in an order's life (paid, closed, each
    refund counted) are named by the fact, so the id is the same whichever observation revealed
    it and in whatever order the observations arrived; the rest by the observation that caused
    them (the index-th event of an observation, each observation applying once)."""
    match event:
        case OrderPaid():
            return f"{order_id}.paid"
        case OrderClosed():
            return f"{order_id}.closed"
        case OrderRefunded(out_refund_no=out_refund_no):
            return f"{order_id}.refund.{out_refund_no}"
        case AnomalyDetected(fact=fact) if fact:
            return f"{order_id}.{fact}"
    return f"{observation_id}.{index}"
