"""Our enums against the protobuf ones, both ways, in one table each."""

from __future__ import annotations

from order.domain import Anomaly, RefundStatus, Source, Status, TradeState
from paystream.events.v1 import events_pb2
from paystream.order.v1 import order_pb2
from paystream.payment.v1 import types_pb2

TRADE_STATES: dict[types_pb2.TradeState.ValueType, TradeState] = {
    types_pb2.TRADE_STATE_SUCCESS: TradeState.SUCCESS,
    types_pb2.TRADE_STATE_REFUND: TradeState.REFUND,
    types_pb2.TRADE_STATE_NOTPAY: TradeState.NOTPAY,
    types_pb2.TRADE_STATE_CLOSED: TradeState.CLOSED,
    types_pb2.TRADE_STATE_REVOKED: TradeState.REVOKED,
    types_pb2.TRADE_STATE_USERPAYING: TradeState.USERPAYING,
    types_pb2.TRADE_STATE_PAYERROR: TradeState.PAYERROR,
    types_pb2.TRADE_STATE_ACCEPT: TradeState.ACCEPT,
}
TRADE_STATES_PB: dict[TradeState, types_pb2.TradeState.ValueType] = {
    ours: theirs for theirs, ours in TRADE_STATES.items()
}
REFUND_STATUSES: dict[types_pb2.RefundStatus.ValueType, RefundStatus] = {
    types_pb2.REFUND_STATUS_PROCESSING: RefundStatus.PROCESSING,
    types_pb2.REFUND_STATUS_SUCCESS: RefundStatus.SUCCESS,
    types_pb2.REFUND_STATUS_CLOSED: RefundStatus.CLOSED,
    types_pb2.REFUND_STATUS_ABNORMAL: RefundStatus.ABNORMAL,
}
REFUND_STATUSES_PB: dict[RefundStatus, types_pb2.RefundStatus.ValueType] = {
    ours: theirs for theirs, ours in REFUND_STATUSES.items()
}
SOURCES: dict[events_pb2.ObservationSource.ValueType, Source] = {
    events_pb2.OBSERVATION_SOURCE_NOTIFY: Source.NOTIFY,
    events_pb2.OBSERVATION_SOURCE_POLL: Source.POLL,
    events_pb2.OBSERVATION_SOURCE_CANCEL: Source.CANCEL,
}
STATUSES_PB: dict[Status, order_pb2.OrderStatus.ValueType] = {
    Status.PENDING: order_pb2.ORDER_STATUS_PENDING,
    Status.PAID: order_pb2.ORDER_STATUS_PAID,
    Status.CLOSED: order_pb2.ORDER_STATUS_CLOSED,
    Status.REFUNDED: order_pb2.ORDER_STATUS_REFUNDED,
    Status.PARTIALLY_REFUNDED: order_pb2.ORDER_STATUS_PARTIALLY_REFUNDED,
}
ANOMALIES_PB: dict[Anomaly | None, order_pb2.OrderAnomaly.ValueType] = {
    None: order_pb2.ORDER_ANOMALY_UNSPECIFIED,
    Anomaly.AMOUNT_MISMATCH: order_pb2.ORDER_ANOMALY_AMOUNT_MISMATCH,
    Anomaly.PAID_AFTER_CLOSE: order_pb2.ORDER_ANOMALY_PAID_AFTER_CLOSE,
    Anomaly.UNKNOWN_ORDER: order_pb2.ORDER_ANOMALY_UNKNOWN_ORDER,
    Anomaly.CURRENCY_MISMATCH: order_pb2.ORDER_ANOMALY_CURRENCY_MISMATCH,
}
