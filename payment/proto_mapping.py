"""WeChat's states (our library's enums) as the contract's protobuf enums, in one place."""

from __future__ import annotations

from payment.wechatpay.types import RefundStatus, TradeState
from paystream.payment.v1 import types_pb2

__all__ = ["refund_status_to_proto", "trade_state_to_proto"]

_TRADE_STATES: dict[TradeState, types_pb2.TradeState.ValueType] = {
    TradeState.SUCCESS: types_pb2.TRADE_STATE_SUCCESS,
    TradeState.REFUND: types_pb2.TRADE_STATE_REFUND,
    TradeState.NOTPAY: types_pb2.TRADE_STATE_NOTPAY,
    TradeState.CLOSED: types_pb2.TRADE_STATE_CLOSED,
    TradeState.REVOKED: types_pb2.TRADE_STATE_REVOKED,
    TradeState.USERPAYING: types_pb2.TRADE_STATE_USERPAYING,
    TradeState.PAYERROR: types_pb2.TRADE_STATE_PAYERROR,
    TradeState.ACCEPT: types_pb2.TRADE_STATE_ACCEPT,
}

_REFUND_STATUSES: dict[RefundStatus, types_pb2.RefundStatus.ValueType] = {
    RefundStatus.PROCESSING: types_pb2.REFUND_STATUS_PROCESSING,
    RefundStatus.SUCCESS: types_pb2.REFUND_STATUS_SUCCESS,
    RefundStatus.REFUNDCLOSE: types_pb2.REFUND_STATUS_CLOSED,
    RefundStatus.CHANGE: types_pb2.REFUND_STATUS_ABNORMAL,
}


def trade_state_to_proto(state: TradeState) -> types_pb2.TradeState.ValueType:
    return _TRADE_STATES[state]


def refund_status_to_proto(status: RefundStatus) -> types_pb2.RefundStatus.ValueType:
    return _REFUND_STATUSES[status]
