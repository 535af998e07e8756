"""The order state machine: ARCHITECTURE.md's table as one pure function.

`decide(order, observation, refunds)` says what one observation means for an order, given the
refunds stored for it: the order's new fields (or none), the refund record to keep (or none),
the events to emit and an outcome for the inbox. Re-delivery is handled before this (the inbox
applies each observation id once); what reaches here is a new fact, which may still be stale,
say nothing new, or arrive before a fact WeChat made earlier (refund_rules.py says how refunds
that came before their payment are counted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from order.domain.decision import Decision
from order.domain.events import (
    AnomalyDetected,
    AnomalyKind,
    CloseReason,
    Event,
    OrderClosed,
    OrderPaid,
)
from order.domain.model import (
    CLOSED_TRADE_STATES,
    DOMESTIC_CURRENCY,
    PAID_TRADE_STATES,
    Anomaly,
    Observation,
    Order,
    Outcome,
    Refund,
    Source,
    Status,
    TradeState,
)
from order.domain.new_order import is_valid_order_id
from order.domain.refund_rules import PAID_STATUSES, count_refunds, refund_decision

NO_REFUNDS: Mapping[str, Refund] = {}
CLOSE_REASONS = {
    Source.CANCEL: CloseReason.CANCELLED,
    Source.POLL: CloseReason.TIMEOUT,
    Source.NOTIFY: CloseReason.WECHAT,
}


def decide(
    order: Order | None,
    observation: Observation,
    refunds: Mapping[str, Refund] = NO_REFUNDS,
    *,
    at: datetime,
) -> Decision:
    """What `observation` means for `order` (None: no such order). `refunds` are the order's
    stored refunds by out_refund_no; `at` is when the decision takes effect (the order's update
    time if it changes)."""
    if order is None:
        return _unknown_order(observation, at)
    if observation.refund is not None:
        stored = refunds.get(observation.refund.out_refund_no)
        return refund_decision(order, observation.refund, stored, at)
    state = observation.trade_state
    if _proves_payment(observation):
        if _foreign_currency(observation):
            return _currency_mismatch(order, observation, at)
        return _paid(order, observation, refunds, at)
    if state in CLOSED_TRADE_STATES:
        return _closed(order, observation.source, at)
    if order.status is not Status.PENDING:
        return Decision(Outcome.STALE)
    if state is TradeState.PAYERROR:
        return Decision(Outcome.RECORDED)
    return Decision(Outcome.NO_CHANGE)


def _proves_payment(observation: Observation) -> bool:
    return (
        observation.trade_state in PAID_TRADE_STATES
        and bool(observation.transaction_id)
        and observation.total_fee > 0
    )


def _foreign_currency(observation: Observation) -> bool:
    return any(
        currency not in ("", DOMESTIC_CURRENCY)
        for currency in (observation.currency, observation.cash_currency)
    )


def _currency_mismatch(order: Order, observation: Observation, at: datetime) -> Decision:
    """Another currency is not fen of CNY: the order is not paid by it; a person looks."""
    detail = (
        f"{_who(observation)} says paid {observation.total_fee} in "
        f"{observation.currency or DOMESTIC_CURRENCY} (payer "
        f"{observation.cash_currency or DOMESTIC_CURRENCY}); the merchant takes CNY only"
    )
    return _flag(
        order, Anomaly.CURRENCY_MISMATCH, AnomalyKind.CURRENCY_MISMATCH, detail, observation, at
    )


def _flag(
    order: Order,
    anomaly: Anomaly,
    kind: AnomalyKind,
    detail: str,
    observation: Observation,
    at: datetime,
) -> Decision:
    """Reports the anomaly, and keeps it on the order (once) unless the order is paid: a paid
    order's status already says where the money is."""
    flagged = None
    if order.anomaly is not anomaly and order.status not in PAID_STATUSES:
        flagged = replace(order, anomaly=anomaly, version=order.version + 1, update_time=at)
    return Decision(Outcome.ANOMALY, order=flagged, events=(_anomaly(kind, detail, observation),))


def _paid(
    order: Order, observation: Observation, refunds: Mapping[str, Refund], at: datetime
) -> Decision:
    if order.status in PAID_STATUSES:
        if observation.transaction_id == order.transaction_id:
            return Decision(Outcome.NO_CHANGE)
        detail = (
            f"{_who(observation)} says paid by transaction {observation.transaction_id}, "
            f"order was paid by transaction {order.transaction_id}"
        )
        return _anomaly_event(AnomalyKind.DOUBLE_PAYMENT, detail, observation)

    if observation.total_fee != order.total_fee:
        detail = (
            f"{_who(observation)} says {observation.total_fee} fen, order is {order.total_fee} fen"
        )
        return _flag(
            order, Anomaly.AMOUNT_MISMATCH, AnomalyKind.AMOUNT_MISMATCH, detail, observation, at
        )

    after_close = order.status is Status.CLOSED
    paid = replace(
        order,
        version=order.version + 1,
        update_time=at,
        status=Status.PAID,
        transaction_id=observation.transaction_id,
        paid_time=observation.success_time,
        anomaly=Anomaly.PAID_AFTER_CLOSE if after_close else order.anomaly,
    )
    events: tuple[Event, ...] = (
        OrderPaid(
            transaction_id=observation.transaction_id,
            total_fee=observation.total_fee,
            cash_fee=observation.cash_fee,
            paid_time=observation.success_time,
            after_close=after_close,
        ),
    )
    if after_close:
        detail = f"{_who(observation)} says paid after the order was closed: refund or ship"
        events += (_anomaly(AnomalyKind.PAID_AFTER_CLOSE, detail, observation),)
    # Refunds WeChat made of this payment that reached us before it did.
    paid, refunded = count_refunds(paid, refunds.values())
    events += refunded
    return Decision(Outcome.ANOMALY if after_close else Outcome.APPLIED, order=paid, events=events)


def _closed(order: Order, source: Source, at: datetime) -> Decision:
    if order.status is Status.PENDING:
        return Decision(
            Outcome.APPLIED,
            order=replace(order, status=Status.CLOSED, version=order.version + 1, update_time=at),
            events=(OrderClosed(CLOSE_REASONS[source]),),
        )
    if order.status is Status.CLOSED:
        return Decision(Outcome.NO_CHANGE)
    return Decision(Outcome.STALE)


def _unknown_order(observation: Observation, at: datetime) -> Decision:
    state = observation.refund.status if observation.refund else observation.trade_state
    detail = (
        f"{_who(observation)} says trade {observation.order_id} is {state.value} "
        f"({observation.total_fee} fen), but there is no such order"
    )
    event = _anomaly(AnomalyKind.UNKNOWN_ORDER, detail, observation)
    if (
        observation.refund is not None
        or not _proves_payment(observation)
        or not is_valid_order_id(observation.order_id)
    ):
        return Decision(Outcome.UNKNOWN_ORDER, events=(event,))
    # WeChat took money for it: keep it as an order, so its status says where the money is.
    record = Order(
        id=observation.order_id,
        total_fee=observation.total_fee,
        expire_time=observation.success_time or at,
        create_time=at,
        update_time=at,
        status=Status.PAID,
        anomaly=Anomaly.UNKNOWN_ORDER,
        transaction_id=observation.transaction_id,
        paid_time=observation.success_time,
    )
    return Decision(Outcome.UNKNOWN_ORDER, order=record, created=True, events=(event,))


def _anomaly(kind: AnomalyKind, detail: str, observation: Observation) -> AnomalyDetected:
    return AnomalyDetected(
        kind,
        detail,
        observed_total_fee=observation.total_fee,
        transaction_id=observation.transaction_id,
    )


def _anomaly_event(kind: AnomalyKind, detail: str, observation: Observation) -> Decision:
    return Decision(Outcome.ANOMALY, events=(_anomaly(kind, detail, observation),))


def _who(observation: Observation) -> str:
    return observation.source.value.lower()
