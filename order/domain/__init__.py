"""The order domain: status rules as pure code. No I/O, no clock, no WeChat wire types."""

from order.domain.errors import (
    InvalidRequestError,
    OrderConflictError,
    OrderError,
    OrderNotFoundError,
    PaymentUnavailableError,
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
from order.domain.state_machine import Decision, decide

__all__ = [
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
