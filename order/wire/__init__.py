"""The order system's protobuf edge: PaymentObserved in, OrderEvent and Order out."""

from order.wire.events import event_type, order_event
from order.wire.observations import (
    Poison,
    closed_report,
    decode,
    paid_report,
    refund_report,
    trade_report,
)
from order.wire.orders import order_message, refund_from_info, refund_message

__all__ = [
    "Poison",
    "closed_report",
    "decode",
    "event_type",
    "order_event",
    "order_message",
    "paid_report",
    "refund_from_info",
    "refund_message",
    "refund_report",
    "trade_report",
]
