"""Orders as `paystream.order.v1.Order` records."""

from __future__ import annotations

from order.domain import Order
from order.wire.enums import ANOMALIES_PB, STATUSES_PB
from paystream.order.v1 import order_pb2
from runtime.observations import timestamp


def order_message(order: Order) -> order_pb2.Order:
    return order_pb2.Order(
        id=order.id,
        total_fee=order.total_fee,
        description=order.description,
        attach=order.attach,
        status=STATUSES_PB[order.status],
        anomaly=ANOMALIES_PB[order.anomaly],
        transaction_id=order.transaction_id or "",
        paid_time=timestamp(order.paid_time),
        expire_time=timestamp(order.expire_time),
        create_time=timestamp(order.create_time),
        update_time=timestamp(order.update_time),
        version=order.version,
        refunded_fee=order.refunded_fee,
    )
