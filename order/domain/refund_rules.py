"""How refunds move an order's money: counting a refund once, and folding in the refunds that
arrived before the payment did.

WeChat refunds only paid trades, but its notifies and our queries can reach us in any order: a
refund's SUCCESS may come while the order still waits for its payment notify. Such a refund is
kept (as WeChat says it is) and counted the moment the payment is known, so the order ends as
WeChat knows it and the events come as a ledger needs them: OrderPaid, then OrderRefunded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from order.domain.decision import Decision
from order.domain.events import AnomalyDetected, AnomalyKind, Event, OrderRefunded
from order.domain.model import Order, Outcome, Refund, RefundObservation, RefundStatus, Status

PAID_STATUSES = frozenset({Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED})
_LAST = datetime.max.replace(tzinfo=UTC)


def refund_decision(
    order: Order, observed: RefundObservation, stored: Refund | None, at: datetime
) -> Decision:
    """What one refund observation means for the order it is about."""
    if stored is not None and not refund_moves_on(stored.status, observed.status):
        return Decision(Outcome.STALE if stored.status != observed.status else Outcome.NO_CHANGE)
    record = Refund(
        order_id=order.id,
        out_refund_no=observed.out_refund_no,
        refund_id=observed.refund_id or (stored.refund_id if stored else ""),
        refund_fee=observed.refund_fee,
        status=observed.status,
        success_time=observed.success_time,
    )
    if order.status is Status.PENDING:
        # Not paid *yet* as far as we know: kept, and counted when the payment arrives.
        return Decision(Outcome.RECORDED, refund=record)
    if order.status is Status.CLOSED:
        detail = (
            f"refund {observed.out_refund_no} of {observed.refund_fee} fen is "
            f"{observed.status.value} but the order is CLOSED, not paid"
        )
        return Decision(Outcome.ANOMALY, refund=record, events=(_anomaly(order, detail, fact=""),))
    counted, events = count_refunds(order, [record])
    if counted is order:
        return Decision(
            Outcome.ANOMALY if events else Outcome.RECORDED, refund=record, events=events
        )
    changed = replace(counted, version=order.version + 1, update_time=at)
    return Decision(Outcome.APPLIED, order=changed, refund=record, events=events)


def count_refunds(order: Order, records: Iterable[Refund]) -> tuple[Order, tuple[Event, ...]]:
    """A paid order with these refunds (none counted yet) counted, in the order WeChat made
    them; the order is returned unchanged (the same object) when nothing was counted. A
    SUCCESS that would refund more than was paid, and an ABNORMAL refund, are not counted:
    they are reported for a person, once per refund."""
    events: list[Event] = []
    refunded = order.refunded_fee
    for record in sorted(records, key=lambda r: (r.success_time or _LAST, r.out_refund_no)):
        if record.status is RefundStatus.ABNORMAL:
            detail = f"refund {record.out_refund_no} of {record.refund_fee} fen is ABNORMAL"
            events.append(_anomaly(order, detail, fact=f"refund.{record.out_refund_no}.abnormal"))
        elif record.status is RefundStatus.SUCCESS:
            total = refunded + record.refund_fee
            if order.status is Status.REFUNDED or total > order.total_fee:
                detail = (
                    f"refund {record.out_refund_no} of {record.refund_fee} fen succeeded, which "
                    f"makes {total} fen refunded of a {order.total_fee} fen order"
                )
                fact = f"refund.{record.out_refund_no}.exceeds"
                events.append(_anomaly(order, detail, fact=fact))
                continue
            refunded = total
            full = refunded == order.total_fee
            events.append(OrderRefunded(record.out_refund_no, record.refund_fee, refunded, full))
    if refunded == order.refunded_fee:
        return order, tuple(events)
    status = Status.REFUNDED if refunded == order.total_fee else Status.PARTIALLY_REFUNDED
    return replace(order, refunded_fee=refunded, status=status), tuple(events)


def refund_moves_on(stored: RefundStatus, observed: RefundStatus) -> bool:
    """A refund goes PROCESSING → SUCCESS | CLOSED | ABNORMAL, and ABNORMAL → SUCCESS once a
    person fixed it; anything else is stale or a repeat."""
    if stored is RefundStatus.PROCESSING:
        return observed is not RefundStatus.PROCESSING
    return stored is RefundStatus.ABNORMAL and observed is RefundStatus.SUCCESS


def _anomaly(order: Order, detail: str, *, fact: str) -> AnomalyDetected:
    return AnomalyDetected(
        AnomalyKind.REFUND_ANOMALY,
        detail,
        observed_total_fee=order.total_fee,
        transaction_id=order.transaction_id or "",
        fact=fact,
    )
