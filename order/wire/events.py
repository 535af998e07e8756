"""Order events as `OrderEvent` records (the value of `order.events`)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from order.domain import (
    AnomalyDetected,
    AnomalyKind,
    EmittedEvent,
    OrderClosed,
    OrderPaid,
    OrderRefunded,
)
from paystream.events.v1 import events_pb2
from paystream.order.v1 import order_pb2
from runtime.observations import timestamp

EVENT_ANOMALIES: dict[AnomalyKind, order_pb2.OrderAnomaly.ValueType] = {
    AnomalyKind.AMOUNT_MISMATCH: order_pb2.ORDER_ANOMALY_AMOUNT_MISMATCH,
    AnomalyKind.PAID_AFTER_CLOSE: order_pb2.ORDER_ANOMALY_PAID_AFTER_CLOSE,
    AnomalyKind.UNKNOWN_ORDER: order_pb2.ORDER_ANOMALY_UNKNOWN_ORDER,
    AnomalyKind.DOUBLE_PAYMENT: order_pb2.ORDER_ANOMALY_DOUBLE_PAYMENT,
    AnomalyKind.REFUND_ANOMALY: order_pb2.ORDER_ANOMALY_REFUND_MISMATCH,
    AnomalyKind.CURRENCY_MISMATCH: order_pb2.ORDER_ANOMALY_CURRENCY_MISMATCH,
}


def event_type(emitted: EmittedEvent) -> str:
    """The event's kind, as the outbox records it for people: paid, closed, refunded, anomaly."""
    match emitted.event:
        case OrderPaid():
            return "paid"
        case OrderClosed():
            return "closed"
        case OrderRefunded():
            return "refunded"
        case AnomalyDetected():
            return "anomaly"


def order_event(emitted: EmittedEvent, occurred: datetime | Timestamp) -> events_pb2.OrderEvent:
    """The OrderEvent record (`occurred`: when the change was committed; a batch passes one
    Timestamp for all its events)."""
    record = events_pb2.OrderEvent(
        event_id=emitted.event_id,
        order_id=emitted.order_id,
        order_version=emitted.order_version,
        occurred_time=occurred if isinstance(occurred, Timestamp) else timestamp(occurred),
    )
    event = emitted.event
    match event:
        case OrderPaid():
            record.paid.CopyFrom(
                events_pb2.OrderPaid(
                    transaction_id=event.transaction_id,
                    total_fee=event.total_fee,
                    cash_fee=event.cash_fee,
                    paid_time=timestamp(event.paid_time),
                    after_close=event.after_close,
                )
            )
        case OrderClosed():
            record.closed.reason = event.reason.value
        case OrderRefunded():
            record.refunded.CopyFrom(
                events_pb2.OrderRefunded(
                    out_refund_no=event.out_refund_no,
                    refund_fee=event.refund_fee,
                    refunded_fee=event.refunded_fee,
                    full=event.full,
                )
            )
        case AnomalyDetected():
            record.anomaly.CopyFrom(
                events_pb2.OrderAnomalyDetected(
                    anomaly=EVENT_ANOMALIES[event.kind],
                    detail=event.detail,
                    observed_total_fee=event.observed_total_fee,
                    transaction_id=event.transaction_id,
                )
            )
    return record
