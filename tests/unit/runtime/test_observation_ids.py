"""The same fact gets the same observation id, whoever observed it; different facts differ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from runtime.observations import (
    from_timestamp,
    refund_observation_id,
    timestamp,
    trade_observation_id,
    with_trade_id,
)

PAID = types_pb2.TRADE_STATE_SUCCESS


def test_a_notify_and_a_query_of_the_same_payment_share_the_id() -> None:
    notify = events_pb2.PaymentObserved(
        source=events_pb2.OBSERVATION_SOURCE_NOTIFY,
        out_trade_no="order-1",
        trade_state=PAID,
        transaction_id="4200001",
        total_fee=100,
        raw_payload=b"<xml>notify</xml>",
    )
    poll = events_pb2.PaymentObserved(
        source=events_pb2.OBSERVATION_SOURCE_POLL,
        out_trade_no="order-1",
        trade_state=PAID,
        transaction_id="4200001",
        total_fee=100,
        raw_payload=b"<xml>query</xml>",
    )
    assert with_trade_id(notify).observation_id == with_trade_id(poll).observation_id


def test_different_facts_have_different_ids() -> None:
    ids = {
        trade_observation_id("order-1", PAID, "4200001", 100),
        trade_observation_id("order-1", PAID, "4200001", 99),
        trade_observation_id("order-2", PAID, "4200001", 100),
        trade_observation_id("order-1", types_pb2.TRADE_STATE_CLOSED, "", 0),
        trade_observation_id("order-1", types_pb2.TRADE_STATE_NOTPAY, "", 0),
        trade_observation_id("order-1", types_pb2.TRADE_STATE_PAYERROR, "", 0, "BANKERROR"),
        refund_observation_id("order-1", "r-1", types_pb2.REFUND_STATUS_SUCCESS, 100),
        refund_observation_id("order-1", "r-1", types_pb2.REFUND_STATUS_PROCESSING, 100),
        refund_observation_id("order-1", "r-2", types_pb2.REFUND_STATUS_SUCCESS, 100),
    }
    assert len(ids) == 9


def test_refund_records_take_the_refund_id() -> None:
    observed = events_pb2.PaymentObserved(
        out_trade_no="order-1",
        trade_state=types_pb2.TRADE_STATE_REFUND,
        refund=events_pb2.RefundObserved(
            out_refund_no="r-1", refund_fee=50, refund_status=types_pb2.REFUND_STATUS_SUCCESS
        ),
    )
    assert with_trade_id(observed).observation_id == refund_observation_id(
        "order-1", "r-1", types_pb2.REFUND_STATUS_SUCCESS, 50
    )


def test_timestamps_round_trip_as_aware_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2026, 11, 27, 20, 0, 1, 500_000, tzinfo=beijing)
    stamp = timestamp(moment)
    assert stamp is not None
    assert from_timestamp(stamp) == moment.astimezone(UTC)
    assert from_timestamp(events_pb2.PaymentObserved().success_time) is None
    with pytest.raises(ValueError, match="naive"):
        timestamp(datetime(2026, 1, 1))  # noqa: DTZ001 - the naive value is the point
