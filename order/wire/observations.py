"""`PaymentObserved` records in and out: decoding what the worker consumes (or saying why it can
never be applied), and building the record CancelOrder reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp

from order.domain import Observation, RefundObservation, RefundStatus, TradeState
from order.wire.enums import REFUND_STATUSES, SOURCES, TRADE_STATES, TRADE_STATES_PB
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import payment_pb2
from runtime.kafka import HEADER_MESSAGE_TYPE
from runtime.observations import (
    MESSAGE_TYPE_PAYMENT_OBSERVED,
    from_timestamp,
    timestamp,
    with_trade_id,
)

Headers = Sequence[tuple[str, bytes | None]] | None


@dataclass(frozen=True, slots=True)
class Poison:
    """A record that can never be applied, and why (it goes to the dead-letter topic)."""

    reason: str


def decode(value: bytes | None, headers: Headers) -> Observation | Poison:
    """The observation in a `payment.observations` record, or why there is none."""
    message_type = _header(headers, HEADER_MESSAGE_TYPE)
    if message_type != MESSAGE_TYPE_PAYMENT_OBSERVED:
        shown = message_type.decode("utf-8", "replace") if message_type is not None else "none"
        return Poison(f"message-type is {shown}, not PaymentObserved")
    if not value:
        return Poison("empty value")
    record = events_pb2.PaymentObserved()
    try:
        record.ParseFromString(value)
    except DecodeError as error:
        return Poison(f"undecodable PaymentObserved: {error}")
    return _validated(record)


def _validated(record: events_pb2.PaymentObserved) -> Observation | Poison:
    if not record.observation_id:
        return Poison("observation_id is empty")
    if not record.out_trade_no:
        return Poison("out_trade_no is empty")
    source = SOURCES.get(record.source)
    if source is None:
        return Poison(f"source {record.source} is not NOTIFY, POLL or CANCEL")
    if record.total_fee < 0 or record.cash_fee < 0:
        return Poison("negative amount")
    try:
        success_time = _time(record, "success_time")
        observed_time = _time(record, "observed_time")
    except _OutOfRangeError as error:
        return Poison(str(error))
    refund = None
    if record.HasField("refund"):
        refund_or_poison = _refund(record.refund)
        if isinstance(refund_or_poison, Poison):
            return refund_or_poison
        refund = refund_or_poison
        trade_state = TradeState.REFUND
    else:
        state = TRADE_STATES.get(record.trade_state)
        if state is None:
            return Poison(f"trade_state {record.trade_state} is not a trade state")
        trade_state = state
        if trade_state is TradeState.SUCCESS and (
            not record.transaction_id or record.total_fee < 1
        ):
            return Poison("SUCCESS without transaction_id or total_fee")
    return Observation(
        observation_id=record.observation_id,
        order_id=record.out_trade_no,
        source=source,
        trade_state=trade_state,
        transaction_id=record.transaction_id,
        total_fee=record.total_fee,
        cash_fee=record.cash_fee,
        success_time=success_time,
        observed_time=observed_time,
        refund=refund,
        currency=record.currency,
        cash_currency=record.cash_currency,
    )


def _refund(record: events_pb2.RefundObserved) -> RefundObservation | Poison:
    status = REFUND_STATUSES.get(record.refund_status)
    if not record.out_refund_no:
        return Poison("refund without out_refund_no")
    if status is None:
        return Poison(f"refund_status {record.refund_status} is not a refund status")
    if record.refund_fee < 0 or (status is RefundStatus.SUCCESS and record.refund_fee < 1):
        return Poison("refund without a valid refund_fee")
    try:
        success_time = (
            _checked(record.success_time, "success_time")
            if record.HasField("success_time")
            else None
        )
    except _OutOfRangeError as error:
        return Poison(f"refund {error}")
    return RefundObservation(
        out_refund_no=record.out_refund_no,
        refund_id=record.refund_id,
        status=status,
        refund_fee=record.refund_fee,
        success_time=success_time,
    )


class _OutOfRangeError(Exception):
    pass


def _time(
    record: events_pb2.PaymentObserved, field: Literal["success_time", "observed_time"]
) -> datetime | None:
    return _checked(getattr(record, field), field) if record.HasField(field) else None


def _checked(stamp: Timestamp, field: str) -> datetime | None:
    try:
        return from_timestamp(stamp)
    except (ValueError, OverflowError) as error:  # outside 0001-01-01 .. 9999-12-31
        raise _OutOfRangeError(
            f"{field} is not a time ({stamp.seconds} s, {stamp.nanos} ns): {error}"
        ) from error


def _header(headers: Headers, name: str) -> bytes | None:
    for key, value in headers or ():
        if key == name:
            return value
    return None


def closed_report(
    order_id: str,
    observed_time: datetime,
    source: events_pb2.ObservationSource.ValueType = events_pb2.OBSERVATION_SOURCE_CANCEL,
) -> events_pb2.PaymentObserved:
    """The report that WeChat closed the order (or never saw it, so it can never be paid)."""
    record = events_pb2.PaymentObserved(
        source=source,
        out_trade_no=order_id,
        trade_state=TRADE_STATES_PB[TradeState.CLOSED],
        observed_time=timestamp(observed_time),
    )
    return with_trade_id(record)


def trade_report(
    order_id: str,
    trade: payment_pb2.QueryStatusResponse,
    observed_time: datetime,
    source: events_pb2.ObservationSource.ValueType,
) -> events_pb2.PaymentObserved:
    """The report of what WeChat's query said about the trade, as it said it."""
    record = events_pb2.PaymentObserved(
        source=source,
        out_trade_no=order_id,
        transaction_id=trade.transaction_id,
        trade_state=trade.trade_state,
        total_fee=trade.total_fee,
        cash_fee=trade.cash_fee,
        attach=trade.attach,
        currency=trade.currency,
        cash_currency=trade.cash_currency,
        observed_time=timestamp(observed_time),
        raw_payload=trade.SerializeToString(),
        raw_payload_format="paystream.payment.v1.QueryStatusResponse",
    )
    if trade.HasField("success_time"):
        record.success_time.CopyFrom(trade.success_time)
    return with_trade_id(record)


def paid_report(
    order_id: str,
    trade: payment_pb2.QueryStatusResponse,
    observed_time: datetime,
    source: events_pb2.ObservationSource.ValueType = events_pb2.OBSERVATION_SOURCE_CANCEL,
) -> events_pb2.PaymentObserved:
    """The report that WeChat refused to close the order because it is paid: a SUCCESS (or a
    REFUND, if refunds started) with the trade WeChat reported."""
    paid = payment_pb2.QueryStatusResponse()
    paid.CopyFrom(trade)
    if paid.trade_state != TRADE_STATES_PB[TradeState.REFUND]:
        paid.trade_state = TRADE_STATES_PB[TradeState.SUCCESS]
    return trade_report(order_id, paid, observed_time, source)


def refund_report(
    order_id: str,
    refund: payment_pb2.RefundInfo,
    observed_time: datetime,
    source: events_pb2.ObservationSource.ValueType,
) -> events_pb2.PaymentObserved:
    """The report of what WeChat's refund query said about one refund of the order."""
    record = events_pb2.PaymentObserved(
        source=source,
        out_trade_no=order_id,
        transaction_id=refund.transaction_id,
        trade_state=TRADE_STATES_PB[TradeState.REFUND],
        total_fee=refund.total_fee,
        observed_time=timestamp(observed_time),
        raw_payload=refund.SerializeToString(),
        raw_payload_format="paystream.payment.v1.RefundInfo",
        refund=events_pb2.RefundObserved(
            out_refund_no=refund.out_refund_no,
            refund_id=refund.refund_id,
            refund_status=refund.status,
            refund_fee=refund.refund_fee,
        ),
    )
    if refund.HasField("success_time"):
        record.refund.success_time.CopyFrom(refund.success_time)
    return with_trade_id(record)
