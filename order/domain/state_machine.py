"""The order state machine: ARCHITECTURE.md's table as one pure function.

`decide(order, observation, refund)` says what one observation means for an order: the order's
new fields (or none), the refund record to keep (or none), the events to emit and an outcome
for the inbox. Re-delivery is handled before this (the inbox applies each observation id once);
what reaches here is a new fact, which may still be stale or say nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from order.domain.events import (
    AnomalyDetected,
    AnomalyKind,
    CloseReason,
    Event,
    OrderClosed,
    OrderPaid,
    OrderRefunded,
)
from order.domain.model import (
    CLOSED_TRADE_STATES,
    PAID_TRADE_STATES,
    Anomaly,
    Observation,
    Order,
    Outcome,
    Refund,
    RefundObservation,
    RefundStatus,
    Source,
    Status,
    TradeState,
)
from order.domain.new_order import is_valid_order_id

PAID_STATUSES = frozenset({Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED})
REFUNDABLE_STATUSES = frozenset({Status.PAID, Status.PARTIALLY_REFUNDED})
CLOSE_REASONS = {
    Source.CANCEL: CloseReason.CANCELLED,
    Source.POLL: CloseReason.TIMEOUT,
    Source.NOTIFY: CloseReason.WECHAT,
}


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    order: Order | None = None
    """The order after the observation when it changed (version already increased), else None."""
    created: bool = False
    """`order` is new: WeChat took money for an order we did not have."""
    refund: Refund | None = None
    """The refund record to store (insert or update) when the observation is about a refund."""
    events: tuple[Event, ...] = ()

    def event_version(self, before: Order | None) -> int:
        """The order version the events carry: the new one, the unchanged one, or 0 (no order)."""
        if self.order is not None:
            return self.order.version
        return before.version if before is not None else 0


def decide(
    order: Order | None, observation: Observation, refund: Refund | None = None, *, at: datetime
) -> Decision:
    """What `observation` means for `order` (None: no such order). `refund` is the stored
    record of the refund the observation is about, if there is one; `at` is when the decision
    takes effect (the order's update time if it changes)."""
    if order is None:
        return _unknown_order(observation, at)
    if observation.refund is not None:
        return _refund(order, observation.refund, refund, at)
    state = observation.trade_state
    if _proves_payment(observation):
        return _paid(order, observation, at)
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


def _paid(order: Order, observation: Observation, at: datetime) -> Decision:
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
        flagged = None
        if order.anomaly is not Anomaly.AMOUNT_MISMATCH:
            flagged = replace(
                order, anomaly=Anomaly.AMOUNT_MISMATCH, version=order.version + 1, update_time=at
            )
        return Decision(
            Outcome.ANOMALY,
            order=flagged,
            events=(_anomaly(AnomalyKind.AMOUNT_MISMATCH, detail, observation),),
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
        return Decision(Outcome.ANOMALY, order=paid, events=events)
    return Decision(Outcome.APPLIED, order=paid, events=events)


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


def _refund(
    order: Order, observed: RefundObservation, stored: Refund | None, at: datetime
) -> Decision:
    if stored is not None and not _refund_moves_on(stored.status, observed.status):
        return Decision(Outcome.STALE if stored.status != observed.status else Outcome.NO_CHANGE)
    record = Refund(
        order_id=order.id,
        out_refund_no=observed.out_refund_no,
        refund_id=observed.refund_id,
        refund_fee=observed.refund_fee,
        status=observed.status,
        success_time=observed.success_time,
    )
    if order.status not in PAID_STATUSES:
        detail = (
            f"refund {observed.out_refund_no} of {observed.refund_fee} fen is "
            f"{observed.status.value} but the order is {order.status.value}, not paid"
        )
        return _refund_anomaly(record, detail, order)
    if observed.status is RefundStatus.ABNORMAL:
        detail = f"refund {observed.out_refund_no} of {observed.refund_fee} fen is ABNORMAL"
        return _refund_anomaly(record, detail, order)
    if observed.status is not RefundStatus.SUCCESS:
        return Decision(Outcome.RECORDED, refund=record)

    refunded = order.refunded_fee + observed.refund_fee
    if order.status not in REFUNDABLE_STATUSES or refunded > order.total_fee:
        detail = (
            f"refund {observed.out_refund_no} of {observed.refund_fee} fen succeeded, which "
            f"makes {refunded} fen refunded of a {order.total_fee} fen order"
        )
        return _refund_anomaly(record, detail, order)
    full = refunded == order.total_fee
    return Decision(
        Outcome.APPLIED,
        order=replace(
            order,
            version=order.version + 1,
            update_time=at,
            status=Status.REFUNDED if full else Status.PARTIALLY_REFUNDED,
            refunded_fee=refunded,
        ),
        refund=record,
        events=(OrderRefunded(observed.out_refund_no, observed.refund_fee, refunded, full),),
    )


def _refund_moves_on(stored: RefundStatus, observed: RefundStatus) -> bool:
    """A refund goes PROCESSING → SUCCESS | CLOSED | ABNORMAL, and ABNORMAL → SUCCESS once a
    person fixed it; anything else is stale or a repeat."""
    if stored is RefundStatus.PROCESSING:
        return observed is not RefundStatus.PROCESSING
    return stored is RefundStatus.ABNORMAL and observed is RefundStatus.SUCCESS


def _refund_anomaly(record: Refund, detail: str, order: Order) -> Decision:
    return Decision(
        Outcome.ANOMALY,
        refund=record,
        events=(
            AnomalyDetected(
                AnomalyKind.REFUND_ANOMALY,
                detail,
                observed_total_fee=order.total_fee,
                transaction_id=order.transaction_id or "",
            ),
        ),
    )


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
