"""The order system's protobuf edge: PaymentObserved in, OrderEvent and Order out."""

from order.wire.events import event_type, order_event
from order.wire.observations import Poison, cancel_closed, cancel_paid, decode
from order.wire.orders import order_message

__all__ = [
    "Poison",
    "cancel_closed",
    "cancel_paid",
    "decode",
    "event_type",
    "order_event",
    "order_message",
]
