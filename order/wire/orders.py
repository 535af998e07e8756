"""Orders and their refunds as `paystream.order.v1` records (and refunds from PaymentService's)."""

from __future__ import annotations

from order.domain import Order, Refund, RefundStatus
from order.wire.enums import ANOMALIES_PB, REFUND_STATUSES, REFUND_STATUSES_PB, STATUSES_PB
from paystream.order.v1 import order_pb2
from paystream.payment.v1 import payment_pb2
from runtime.observations import from_timestamp, timestamp


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


def refund_message(refund: Refund) -> order_pb2.Refund:
    return order_pb2.Refund(
        out_refund_no=refund.out_refund_no,
        refund_id=refund.refund_id,
        refund_fee=refund.refund_fee,
        status=REFUND_STATUSES_PB[refund.status],
        success_time=timestamp(refund.success_time),
    )


def refund_from_info(order_id: str, info: payment_pb2.RefundInfo) -> Refund:
    """PaymentService's view of a refund; a status it did not name is PROCESSING (accepted)."""
    return Refund(
        order_id=order_id,
        out_refund_no=info.out_refund_no,
        refund_id=info.refund_id,
        refund_fee=info.refund_fee,
        status=REFUND_STATUSES.get(info.status, RefundStatus.PROCESSING),
        success_time=from_timestamp(info.success_time) if info.HasField("success_time") else None,
    )
