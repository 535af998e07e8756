"""The state machine implements ARCHITECTURE.md's table: every (status, observation) pair."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from order.domain import (
    Anomaly,
    AnomalyDetected,
    AnomalyKind,
    CloseReason,
    Decision,
    Observation,
    Order,
    OrderClosed,
    OrderPaid,
    OrderRefunded,
    Outcome,
    Refund,
    RefundObservation,
    RefundStatus,
    Source,
    Status,
    TradeState,
    decide,
)

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
PAID_AT = T0 + timedelta(minutes=3)
AT = T0 + timedelta(minutes=4)


def _order(status: Status) -> Order:
    paid = status in (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)
    refunded = {Status.PARTIALLY_REFUNDED: 400, Status.REFUNDED: 1000}.get(status, 0)
    return Order(
        id="order-0001",
        total_fee=1000,
        expire_time=T0 + timedelta(minutes=30),
        create_time=T0,
        update_time=T0,
        status=status,
        transaction_id="4200-first" if paid else None,
        paid_time=PAID_AT if paid else None,
        refunded_fee=refunded,
        version=3,
    )


def _trade(state: TradeState, transaction_id: str = "", fee: int = 0) -> Observation:
    return Observation(
        observation_id="obs-1",
        order_id="order-0001",
        source=Source.NOTIFY,
        trade_state=state,
        transaction_id=transaction_id,
        total_fee=fee,
        cash_fee=fee,
        success_time=PAID_AT if transaction_id else None,
        observed_time=PAID_AT,
    )


def _refund(status: RefundStatus, fee: int, out_refund_no: str = "R1") -> Observation:
    return Observation(
        observation_id="obs-r",
        order_id="order-0001",
        source=Source.NOTIFY,
        trade_state=TradeState.REFUND,
        refund=RefundObservation(out_refund_no, "50R", status, fee, PAID_AT),
    )


OBSERVATIONS: dict[str, Observation] = {
    "SUCCESS same amount, new transaction": _trade(TradeState.SUCCESS, "4200-new", 1000),
    "SUCCESS same amount, the order's transaction": _trade(TradeState.SUCCESS, "4200-first", 1000),
    "SUCCESS other amount": _trade(TradeState.SUCCESS, "4200-new", 900),
    "REFUND state with the trade": _trade(TradeState.REFUND, "4200-new", 1000),
    "REFUND state without the trade": _trade(TradeState.REFUND),
    "NOTPAY": _trade(TradeState.NOTPAY),
    "USERPAYING": _trade(TradeState.USERPAYING),
    "ACCEPT": _trade(TradeState.ACCEPT),
    "CLOSED": _trade(TradeState.CLOSED),
    "REVOKED": _trade(TradeState.REVOKED),
    "PAYERROR": _trade(TradeState.PAYERROR),
    "refund PROCESSING": _refund(RefundStatus.PROCESSING, 300),
    "refund SUCCESS 300": _refund(RefundStatus.SUCCESS, 300),
    "refund SUCCESS 600": _refund(RefundStatus.SUCCESS, 600),
    "refund SUCCESS 1000": _refund(RefundStatus.SUCCESS, 1000),
    "refund CLOSED": _refund(RefundStatus.CLOSED, 300),
    "refund ABNORMAL": _refund(RefundStatus.ABNORMAL, 300),
}


@dataclass(frozen=True)
class Row:
    """What must happen: the outcome, the status after (None: the order does not change), the
    anomaly on the order after, the kinds of events (in order)."""

    outcome: Outcome
    status: Status | None
    anomaly: Anomaly | None
    events: tuple[str, ...]


P, PD, C, R, PR = (
    Status.PENDING,
    Status.PAID,
    Status.CLOSED,
    Status.REFUNDED,
    Status.PARTIALLY_REFUNDED,
)
A, AN, NC, ST, REC = (
    Outcome.APPLIED,
    Outcome.ANOMALY,
    Outcome.NO_CHANGE,
    Outcome.STALE,
    Outcome.RECORDED,
)
MISMATCH, AFTER_CLOSE = Anomaly.AMOUNT_MISMATCH, Anomaly.PAID_AFTER_CLOSE
SAME = Row(NC, None, None, ())
STALE = Row(ST, None, None, ())
DOUBLE = Row(AN, None, None, ("DOUBLE_PAYMENT",))
REFUND_ANOMALY = Row(AN, None, None, ("REFUND_ANOMALY",))
REFUND_KEPT = Row(REC, None, None, ())

TABLE: dict[tuple[Status, str], Row] = {
    # PENDING: paid in full, closed, or waiting; a refund is kept until its payment arrives
    (P, "SUCCESS same amount, new transaction"): Row(A, PD, None, ("paid",)),
    (P, "SUCCESS same amount, the order's transaction"): Row(A, PD, None, ("paid",)),
    (P, "SUCCESS other amount"): Row(AN, P, MISMATCH, ("AMOUNT_MISMATCH",)),
    (P, "REFUND state with the trade"): Row(A, PD, None, ("paid",)),
    (P, "REFUND state without the trade"): SAME,
    (P, "NOTPAY"): SAME,
    (P, "USERPAYING"): SAME,
    (P, "ACCEPT"): SAME,
    (P, "CLOSED"): Row(A, C, None, ("closed",)),
    (P, "REVOKED"): Row(A, C, None, ("closed",)),
    (P, "PAYERROR"): Row(REC, None, None, ()),
    (P, "refund PROCESSING"): REFUND_KEPT,
    (P, "refund SUCCESS 300"): REFUND_KEPT,
    (P, "refund SUCCESS 600"): REFUND_KEPT,
    (P, "refund SUCCESS 1000"): REFUND_KEPT,
    (P, "refund CLOSED"): REFUND_KEPT,
    (P, "refund ABNORMAL"): REFUND_KEPT,
    # CLOSED: money taken after all wins (reality), anything else is old news
    (C, "SUCCESS same amount, new transaction"): Row(
        AN, PD, AFTER_CLOSE, ("paid", "PAID_AFTER_CLOSE")
    ),
    (C, "SUCCESS same amount, the order's transaction"): Row(
        AN, PD, AFTER_CLOSE, ("paid", "PAID_AFTER_CLOSE")
    ),
    (C, "SUCCESS other amount"): Row(AN, C, MISMATCH, ("AMOUNT_MISMATCH",)),
    (C, "REFUND state with the trade"): Row(AN, PD, AFTER_CLOSE, ("paid", "PAID_AFTER_CLOSE")),
    (C, "REFUND state without the trade"): STALE,
    (C, "NOTPAY"): STALE,
    (C, "USERPAYING"): STALE,
    (C, "ACCEPT"): STALE,
    (C, "CLOSED"): SAME,
    (C, "REVOKED"): SAME,
    (C, "PAYERROR"): STALE,
    (C, "refund PROCESSING"): REFUND_ANOMALY,
    (C, "refund SUCCESS 300"): REFUND_ANOMALY,
    (C, "refund SUCCESS 600"): REFUND_ANOMALY,
    (C, "refund SUCCESS 1000"): REFUND_ANOMALY,
    (C, "refund CLOSED"): REFUND_ANOMALY,
    (C, "refund ABNORMAL"): REFUND_ANOMALY,
}
for paid_status in (PD, PR, R):
    TABLE |= {
        (paid_status, "SUCCESS same amount, new transaction"): DOUBLE,
        (paid_status, "SUCCESS same amount, the order's transaction"): SAME,
        (paid_status, "SUCCESS other amount"): DOUBLE,
        (paid_status, "REFUND state with the trade"): DOUBLE,
        (paid_status, "REFUND state without the trade"): STALE,
        (paid_status, "NOTPAY"): STALE,
        (paid_status, "USERPAYING"): STALE,
        (paid_status, "ACCEPT"): STALE,
        (paid_status, "CLOSED"): STALE,
        (paid_status, "REVOKED"): STALE,
        (paid_status, "PAYERROR"): STALE,
        (paid_status, "refund PROCESSING"): REFUND_KEPT,
        (paid_status, "refund CLOSED"): REFUND_KEPT,
        (paid_status, "refund ABNORMAL"): REFUND_ANOMALY,
    }
TABLE |= {
    (PD, "refund SUCCESS 300"): Row(A, PR, None, ("refunded",)),
    (PD, "refund SUCCESS 600"): Row(A, PR, None, ("refunded",)),
    (PD, "refund SUCCESS 1000"): Row(A, R, None, ("refunded",)),
    (PR, "refund SUCCESS 300"): Row(A, PR, None, ("refunded",)),
    (PR, "refund SUCCESS 600"): Row(A, R, None, ("refunded",)),
    (PR, "refund SUCCESS 1000"): REFUND_ANOMALY,
    (R, "refund SUCCESS 300"): REFUND_ANOMALY,
    (R, "refund SUCCESS 600"): REFUND_ANOMALY,
    (R, "refund SUCCESS 1000"): REFUND_ANOMALY,
}


def _kinds(decision: Decision) -> tuple[str, ...]:
    names = {OrderPaid: "paid", OrderClosed: "closed", OrderRefunded: "refunded"}
    return tuple(
        e.kind.value if isinstance(e, AnomalyDetected) else names[type(e)] for e in decision.events
    )


def test_the_table_covers_every_status_and_observation() -> None:
    assert set(TABLE) == set(product(Status, OBSERVATIONS))


@pytest.mark.parametrize(
    ("status", "observation"), list(TABLE), ids=[f"{s.value}+{o}" for s, o in TABLE]
)
def test_state_table(status: Status, observation: str) -> None:
    before = _order(status)
    expected = TABLE[status, observation]
    decision = decide(before, OBSERVATIONS[observation], at=AT)

    assert decision.outcome is expected.outcome
    assert _kinds(decision) == expected.events
    if expected.status is None:
        assert decision.order is None
        assert decision.event_version(before) == before.version
    else:
        assert decision.order is not None
        assert decision.order.status is expected.status
        assert decision.order.anomaly is expected.anomaly
        assert decision.order.version == before.version + 1
        assert decision.order.update_time == AT
        assert decision.event_version(before) == before.version + 1
        assert decision.order.refunded_fee <= decision.order.total_fee


def test_paid_takes_the_transaction_and_wechats_payment_time() -> None:
    decision = decide(_order(P), OBSERVATIONS["SUCCESS same amount, new transaction"], at=AT)
    assert decision.order is not None
    assert (decision.order.transaction_id, decision.order.paid_time) == ("4200-new", PAID_AT)
    assert decision.events == (OrderPaid("4200-new", 1000, 1000, PAID_AT, after_close=False),)


def test_close_reason_says_who_closed_it() -> None:
    closed = _trade(TradeState.CLOSED)
    reasons = {
        source: decide(_order(P), replace(closed, source=source), at=AT).events
        for source in (Source.CANCEL, Source.POLL, Source.NOTIFY)
    }
    assert reasons == {
        Source.CANCEL: (OrderClosed(CloseReason.CANCELLED),),
        Source.POLL: (OrderClosed(CloseReason.TIMEOUT),),
        Source.NOTIFY: (OrderClosed(CloseReason.WECHAT),),
    }


def test_a_second_mismatch_is_reported_without_changing_the_flagged_order() -> None:
    flagged = replace(_order(P), anomaly=Anomaly.AMOUNT_MISMATCH)
    decision = decide(flagged, _trade(TradeState.SUCCESS, "4200-x", 800), at=AT)
    assert decision.order is None
    assert _kinds(decision) == ("AMOUNT_MISMATCH",)
    assert decision.event_version(flagged) == flagged.version


def test_refund_sums_and_reports_how_much_is_refunded() -> None:
    decision = decide(_order(PR), OBSERVATIONS["refund SUCCESS 600"], at=AT)
    assert decision.order is not None
    assert decision.order.refunded_fee == 1000
    assert decision.events == (OrderRefunded("R1", 600, 1000, full=True),)
    assert decision.refund == Refund("order-0001", "R1", "50R", 600, RefundStatus.SUCCESS, PAID_AT)


@pytest.mark.parametrize(
    ("stored", "observed", "outcome"),
    [
        (RefundStatus.SUCCESS, RefundStatus.SUCCESS, Outcome.NO_CHANGE),
        (RefundStatus.SUCCESS, RefundStatus.PROCESSING, Outcome.STALE),
        (RefundStatus.PROCESSING, RefundStatus.PROCESSING, Outcome.NO_CHANGE),
        (RefundStatus.CLOSED, RefundStatus.SUCCESS, Outcome.STALE),
        (RefundStatus.PROCESSING, RefundStatus.SUCCESS, Outcome.APPLIED),
        (RefundStatus.ABNORMAL, RefundStatus.SUCCESS, Outcome.APPLIED),
    ],
)
def test_a_refund_is_counted_once_and_never_moves_backwards(
    stored: RefundStatus, observed: RefundStatus, outcome: Outcome
) -> None:
    record = Refund("order-0001", "R1", "50R", 300, stored)
    decision = decide(_order(PD), _refund(observed, 300), {"R1": record}, at=AT)
    assert decision.outcome is outcome
    if outcome is not Outcome.APPLIED:
        assert decision.order is None
        assert decision.events == ()


@pytest.mark.parametrize(
    ("observation", "creates"),
    [
        (_trade(TradeState.SUCCESS, "4200-x", 700), True),
        (_trade(TradeState.NOTPAY), False),
        (_trade(TradeState.CLOSED), False),
        (_refund(RefundStatus.SUCCESS, 100), False),
        (replace(_trade(TradeState.SUCCESS, "4200-x", 700), order_id="bad id"), False),
    ],
)
def test_an_unknown_order_is_recorded_with_an_anomaly_and_kept_when_money_moved(
    observation: Observation, creates: bool
) -> None:
    decision = decide(None, observation, at=AT)
    assert decision.outcome is Outcome.UNKNOWN_ORDER
    assert _kinds(decision) == ("UNKNOWN_ORDER",)
    assert decision.created is creates
    if creates:
        assert decision.order is not None
        assert (decision.order.status, decision.order.anomaly) == (
            Status.PAID,
            Anomaly.UNKNOWN_ORDER,
        )
        assert (decision.order.total_fee, decision.order.version) == (700, 1)
        assert decision.order.create_time == decision.order.update_time == AT
        assert decision.event_version(None) == 1
    else:
        assert decision.order is None
        assert decision.event_version(None) == 0


@given(st.lists(st.sampled_from(sorted(OBSERVATIONS)), max_size=12))
def test_any_sequence_keeps_the_invariants(sequence: list[str]) -> None:
    """Versions count changes, refunds never exceed the total, a paid order is never unpaid
    again, and at most one OrderPaid is emitted."""
    order = _order(P)
    refunds: dict[str, Refund] = {}
    changes = paid_events = 0
    was_paid = False
    for name in sequence:
        observation = OBSERVATIONS[name]
        decision = decide(order, observation, refunds, at=AT)
        if decision.refund is not None:
            refunds[decision.refund.out_refund_no] = decision.refund
        if decision.order is not None:
            changes += 1
            order = decision.order
        paid_events += sum(isinstance(e, OrderPaid) for e in decision.events)
        assert order.refunded_fee <= order.total_fee
        if was_paid:
            assert order.status in (PD, PR, R)
        was_paid = order.status in (PD, PR, R)
    assert order.version == 3 + changes
    assert paid_events <= 1


def test_event_anomaly_kinds_include_every_order_anomaly() -> None:
    assert {a.value for a in Anomaly} <= {k.value for k in AnomalyKind}


@pytest.mark.parametrize(
    ("currency", "cash_currency"), [("USD", ""), ("USD", "USD"), ("", "HKD"), ("CNY", "JPY")]
)
def test_a_payment_in_another_currency_is_an_anomaly_not_a_payment(
    currency: str, cash_currency: str
) -> None:
    observation = replace(
        OBSERVATIONS["SUCCESS same amount, new transaction"],
        currency=currency,
        cash_currency=cash_currency,
    )
    decision = decide(_order(P), observation, at=AT)
    assert decision.outcome is Outcome.ANOMALY
    assert _kinds(decision) == ("CURRENCY_MISMATCH",)
    assert decision.order is not None
    assert (decision.order.status, decision.order.anomaly) == (P, Anomaly.CURRENCY_MISMATCH)
    again = decide(decision.order, replace(observation, observation_id="obs-2"), at=AT)
    assert (again.outcome, again.order, _kinds(again)) == (
        Outcome.ANOMALY,
        None,
        ("CURRENCY_MISMATCH",),
    )


@pytest.mark.parametrize("currency", ["", "CNY"])
def test_a_payment_in_cny_or_in_wechats_default_pays(currency: str) -> None:
    observation = replace(
        OBSERVATIONS["SUCCESS same amount, new transaction"],
        currency=currency,
        cash_currency=currency,
    )
    decision = decide(_order(P), observation, at=AT)
    assert decision.order is not None
    assert decision.order.status is PD


def test_refunds_that_came_before_the_payment_are_counted_with_it_in_wechats_order() -> None:
    late = Refund("order-0001", "R-late", "50R2", 300, RefundStatus.SUCCESS, PAID_AT + timedelta(1))
    early = Refund("order-0001", "R-early", "50R1", 200, RefundStatus.SUCCESS, PAID_AT)
    kept = Refund("order-0001", "R-open", "50R3", 100, RefundStatus.PROCESSING)
    stored = {r.out_refund_no: r for r in (late, early, kept)}
    decision = decide(
        _order(P), OBSERVATIONS["SUCCESS same amount, new transaction"], stored, at=AT
    )
    assert decision.order is not None
    assert (decision.order.status, decision.order.refunded_fee) == (PR, 500)
    assert decision.order.version == 4
    assert decision.events[1:] == (
        OrderRefunded("R-early", 200, 200, full=False),
        OrderRefunded("R-late", 300, 500, full=False),
    )
    assert isinstance(decision.events[0], OrderPaid)
