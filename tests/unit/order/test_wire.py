"""The protobuf edge: what the worker accepts, what it sends to the dead-letter topic and why,
and the records CancelOrder and the outbox produce."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from order.domain import (
    AnomalyDetected,
    AnomalyKind,
    CloseReason,
    EmittedEvent,
    Observation,
    OrderClosed,
    OrderPaid,
    OrderRefunded,
    RefundStatus,
    Source,
    TradeState,
)
from order.wire import Poison, closed_report, decode, order_event, paid_report
from paystream.events.v1 import events_pb2
from paystream.order.v1 import order_pb2
from paystream.payment.v1 import payment_pb2, types_pb2
from runtime.kafka import HEADER_MESSAGE_TYPE
from runtime.observations import MESSAGE_TYPE_PAYMENT_OBSERVED, timestamp, with_trade_id

HEADERS = [(HEADER_MESSAGE_TYPE, MESSAGE_TYPE_PAYMENT_OBSERVED)]
PAID_AT = datetime(2026, 11, 27, 8, 3, tzinfo=UTC)


def _paid_record() -> events_pb2.PaymentObserved:
    return with_trade_id(
        events_pb2.PaymentObserved(
            source=events_pb2.OBSERVATION_SOURCE_NOTIFY,
            out_trade_no="order-0001",
            transaction_id="4200-1",
            trade_state=types_pb2.TRADE_STATE_SUCCESS,
            total_fee=1000,
            cash_fee=900,
            success_time=timestamp(PAID_AT),
        )
    )


def test_a_paid_notify_decodes_to_our_observation() -> None:
    record = _paid_record()
    decoded = decode(record.SerializeToString(), HEADERS)
    assert decoded == Observation(
        observation_id=record.observation_id,
        order_id="order-0001",
        source=Source.NOTIFY,
        trade_state=TradeState.SUCCESS,
        transaction_id="4200-1",
        total_fee=1000,
        cash_fee=900,
        success_time=PAID_AT,
    )


def test_a_refund_notify_decodes_with_its_refund() -> None:
    record = events_pb2.PaymentObserved(
        source=events_pb2.OBSERVATION_SOURCE_NOTIFY,
        out_trade_no="order-0001",
        trade_state=types_pb2.TRADE_STATE_REFUND,
        refund=events_pb2.RefundObserved(
            out_refund_no="R1", refund_status=types_pb2.REFUND_STATUS_SUCCESS, refund_fee=300
        ),
    )
    decoded = decode(with_trade_id(record).SerializeToString(), HEADERS)
    assert isinstance(decoded, Observation)
    assert decoded.refund is not None
    assert (decoded.refund.status, decoded.refund.refund_fee) == (RefundStatus.SUCCESS, 300)


def _broken(**changes: object) -> bytes:
    record = _paid_record()
    for name, value in changes.items():
        if value is None:
            record.ClearField(name)  # type: ignore[arg-type]
        else:
            setattr(record, name, value)
    return record.SerializeToString()


@pytest.mark.parametrize(
    ("value", "headers", "reason"),
    [
        (_paid_record().SerializeToString(), [], "message-type is none"),
        (
            _paid_record().SerializeToString(),
            [(HEADER_MESSAGE_TYPE, b"x.Y")],
            "message-type is x.Y",
        ),
        (b"", HEADERS, "empty value"),
        (b"\xff\xff\xff", HEADERS, "undecodable"),
        (_broken(observation_id=None), HEADERS, "observation_id is empty"),
        (_broken(out_trade_no=None), HEADERS, "out_trade_no is empty"),
        (_broken(source=None), HEADERS, "source 0"),
        (_broken(trade_state=None), HEADERS, "trade_state 0"),
        (_broken(trade_state=99), HEADERS, "trade_state 99"),
        (_broken(transaction_id=None), HEADERS, "SUCCESS without transaction_id"),
        (_broken(total_fee=-1), HEADERS, "negative amount"),
    ],
)
def test_records_that_can_never_be_applied_say_why(
    value: bytes, headers: list[tuple[str, bytes]], reason: str
) -> None:
    decoded = decode(value, headers)
    assert isinstance(decoded, Poison)
    assert reason in decoded.reason


def test_cancel_reports_the_same_fact_ids_as_any_other_observer() -> None:
    closed = closed_report("order-0001", PAID_AT)
    polled = with_trade_id(
        events_pb2.PaymentObserved(
            source=events_pb2.OBSERVATION_SOURCE_POLL,
            out_trade_no="order-0001",
            trade_state=types_pb2.TRADE_STATE_CLOSED,
        )
    )
    assert closed.source == events_pb2.OBSERVATION_SOURCE_CANCEL
    assert closed.observation_id == polled.observation_id

    trade = payment_pb2.QueryStatusResponse(
        trade_state=types_pb2.TRADE_STATE_SUCCESS,
        transaction_id="4200-1",
        total_fee=1000,
        cash_fee=900,
        success_time=timestamp(PAID_AT),
    )
    paid = paid_report("order-0001", trade, PAID_AT)
    assert paid.observation_id == _paid_record().observation_id
    decoded = decode(paid.SerializeToString(), HEADERS)
    assert isinstance(decoded, Observation)
    assert (decoded.trade_state, decoded.success_time) == (TradeState.SUCCESS, PAID_AT)


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (OrderPaid("4200-1", 1000, 900, PAID_AT, after_close=True), "paid"),
        (OrderClosed(CloseReason.CANCELLED), "closed"),
        (OrderRefunded("R1", 300, 300, full=False), "refunded"),
        (AnomalyDetected(AnomalyKind.AMOUNT_MISMATCH, "900 fen", 900, "4200-1"), "anomaly"),
    ],
)
def test_order_events_carry_identity_version_and_payload(event: object, kind: str) -> None:
    emitted = EmittedEvent("obs.0", "order-0001", 4, event)  # type: ignore[arg-type]
    record = order_event(emitted, PAID_AT)
    assert (record.event_id, record.order_id, record.order_version) == ("obs.0", "order-0001", 4)
    assert record.occurred_time.ToDatetime(UTC) == PAID_AT
    assert record.WhichOneof("kind") == kind


def test_every_anomaly_kind_has_its_own_proto_value() -> None:
    values = set()
    for kind in AnomalyKind:
        emitted = EmittedEvent(
            "obs.0", "order-0001", 2, AnomalyDetected(kind, "detail", 1000, "4200-2")
        )
        anomaly = order_event(emitted, PAID_AT).anomaly
        assert anomaly.anomaly != order_pb2.ORDER_ANOMALY_UNSPECIFIED
        assert anomaly.detail == "detail"
        values.add(anomaly.anomaly)
    assert len(values) == len(AnomalyKind)
