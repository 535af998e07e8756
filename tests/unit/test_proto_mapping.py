"""Every WeChat state has exactly one protobuf counterpart, and none is left unmapped."""

from __future__ import annotations

from payment.proto_mapping import refund_status_to_proto, trade_state_to_proto
from payment.wechatpay.types import RefundStatus, TradeState
from paystream.payment.v1 import types_pb2


def test_every_trade_state_maps_to_its_own_proto_value() -> None:
    mapped = {trade_state_to_proto(state) for state in TradeState}
    assert len(mapped) == len(TradeState)
    assert types_pb2.TRADE_STATE_UNSPECIFIED not in mapped
    for state in TradeState:
        assert types_pb2.TradeState.Name(trade_state_to_proto(state)) == f"TRADE_STATE_{state}"


def test_every_refund_status_maps_and_abnormal_is_visible() -> None:
    mapped = {refund_status_to_proto(status) for status in RefundStatus}
    assert len(mapped) == len(RefundStatus)
    assert refund_status_to_proto(RefundStatus.CHANGE) == types_pb2.REFUND_STATUS_ABNORMAL
    assert refund_status_to_proto(RefundStatus.REFUNDCLOSE) == types_pb2.REFUND_STATUS_CLOSED
