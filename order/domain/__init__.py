"""The order domain: status rules as pure code. No I/O, no clock, no WeChat wire types."""

from order.domain.decision import Decision
from order.domain.errors import (
    InvalidRequestError,
    OrderConflictError,
    OrderError,
    OrderNotFoundError,
    PaymentUnavailableError,
    RefundConflictError,
    RefundNotAllowedError,
)
from order.domain.events import (
    AnomalyDetected,
    AnomalyKind,
    CloseReason,
    EmittedEvent,
    Event,
    OrderClosed,
    OrderPaid,
    OrderRefunded,
    event_id,
)
from order.domain.model import (
    DOMESTIC_CURRENCY,
    Anomaly,
    Observation,
    Order,
    Outcome,
    Refund,
    RefundObservation,
    RefundStatus,
    Source,
    Status,
    TradeState,
)
from order.domain.new_order import FieldViolation, NewOrder, is_valid_order_id, violations
from order.domain.state_machine import decide

__all__ = [
    "DOMESTIC_CURRENCY",
    "Anomaly",
    "AnomalyDetected",
    "AnomalyKind",
    "CloseReason",
    "Decision",
    "EmittedEvent",
    "Event",
    "FieldViolation",
    "InvalidRequestError",
    "NewOrder",
    "Observation",
    "Order",
    "OrderClosed",
    "OrderConflictError",
    "OrderError",
    "OrderNotFoundError",
    "OrderPaid",
    "OrderRefunded",
    "Outcome",
    "PaymentUnavailableError",
    "Refund",
    "RefundConflictError",
    "RefundNotAllowedError",
    "RefundObservation",
    "RefundStatus",
    "Source",
    "Status",
    "TradeState",
    "decide",
    "event_id",
    "is_valid_order_id",
    "violations",
]
