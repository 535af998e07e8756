"""Building `PaymentObserved` records: the one format in which every producer reports a fact.

The gateway (notifies), the reconciler (queries and closes) and CancelOrder all report through
here, so that the same fact gets the same observation id whoever saw it: a notify delivered twice,
or a notify and a query that both say "paid", are one fact, applied once by the worker.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from runtime.kafka import HEADER_MESSAGE_TYPE, AckingProducer, Delivered

MESSAGE_TYPE_PAYMENT_OBSERVED = b"paystream.events.v1.PaymentObserved"
MESSAGE_TYPE_ORDER_EVENT = b"paystream.events.v1.OrderEvent"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DOMESTIC_CURRENCY = "CNY"


def timestamp(moment: datetime | None) -> Timestamp | None:
    """An aware datetime as a protobuf Timestamp (None stays None)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times are aware UTC everywhere")
    # Whole seconds by integer arithmetic (Timestamp.FromDatetime is 3x slower; this is on the
    # notify gateway's hot path).
    delta = moment - _EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    return Timestamp(seconds=seconds, nanos=delta.microseconds * 1_000)


def from_timestamp(stamp: Timestamp) -> datetime | None:
    """A protobuf Timestamp as an aware UTC datetime; the unset (zero) Timestamp is None."""
    if stamp.seconds == 0 and stamp.nanos == 0:
        return None
    return stamp.ToDatetime(tzinfo=UTC)


def trade_observation_id(
    out_trade_no: str,
    trade_state: types_pb2.TradeState.ValueType,
    transaction_id: str,
    total_fee: int,
    err_code: str = "",
    currency: str = "",
) -> str:
    """Stable id of "WeChat says trade X is in state S" (independent of who observed it). The
    currency counts only when it is not CNY (WeChat's default), so that a notify that names CNY
    and a query that does not are the same fact, and ids made before currencies were carried
    stay the same."""
    state = types_pb2.TradeState.Name(trade_state)
    parts = [out_trade_no, state, transaction_id, str(total_fee), err_code]
    if currency not in ("", DOMESTIC_CURRENCY):
        parts.append(currency)
    return _digest("trade", *parts)


def refund_observation_id(
    out_trade_no: str,
    out_refund_no: str,
    refund_status: types_pb2.RefundStatus.ValueType,
    refund_fee: int,
) -> str:
    """Stable id of "WeChat says refund R of trade X is in status S"."""
    status = types_pb2.RefundStatus.Name(refund_status)
    return _digest("refund", out_trade_no, out_refund_no, status, str(refund_fee))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def with_trade_id(observed: events_pb2.PaymentObserved) -> events_pb2.PaymentObserved:
    """Fills observation_id from the record's own fields (trade or refund)."""
    if observed.HasField("refund"):
        observed.observation_id = refund_observation_id(
            observed.out_trade_no,
            observed.refund.out_refund_no,
            observed.refund.refund_status,
            observed.refund.refund_fee,
        )
    else:
        observed.observation_id = trade_observation_id(
            observed.out_trade_no,
            observed.trade_state,
            observed.transaction_id,
            observed.total_fee,
            observed.err_code,
            observed.currency,
        )
    return observed


async def publish(
    producer: AckingProducer, topic: str, record: events_pb2.PaymentObserved, timeout: float
) -> Delivered:
    """Produces the record keyed by out_trade_no (so one order's facts stay in order) and returns
    once the broker acknowledged it; raises runtime.kafka.ProduceError otherwise."""
    return await producer.send(
        topic,
        value=record.SerializeToString(),
        key=record.out_trade_no.encode(),
        headers={
            HEADER_MESSAGE_TYPE: MESSAGE_TYPE_PAYMENT_OBSERVED,
            "observation-id": record.observation_id.encode(),
        },
        timeout=timeout,
    )
