"""The fault run's checks catch what they are there to catch: each kind of loss, doubling or
lie in made-up evidence is a violation, and clean evidence is none."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devstack.chaos.evidence import (
    AskedRefund,
    Delivery,
    Event,
    Evidence,
    Expected,
    Observed,
    OrderRow,
    WeChatRefund,
)
from devstack.chaos.verify import verify

PAID, COPIED, PROBED, CONTROL = "order-paid-1", "order-copied", "order-probed", "order-control"
FEES = {PAID: 100, COPIED: 200, PROBED: 300, CONTROL: 400}


PARTIAL, FULL, ABOVE = f"{PAID}r0", f"{COPIED}r0", f"{COPIED}r1"
"""PAID is refunded 30 of its 100 fen; COPIED, whose payment notify was held, in full (200),
then once more (1 fen, refused)."""
REFUNDED = {PAID: 30, COPIED: 200}


def _expected() -> Expected:
    return Expected(
        fees=dict(FEES),
        paid={PAID: 1, COPIED: 2, PROBED: 1},
        probed=frozenset({PROBED}),
        refunds={
            PARTIAL: AskedRefund(PAID, PARTIAL, 30, True, "accepted"),
            FULL: AskedRefund(COPIED, FULL, 200, True, "accepted", attempts=3),
            ABOVE: AskedRefund(COPIED, ABOVE, 1, False, "refused"),
        },
        held=frozenset({COPIED}),
    )


def _at(second: int) -> str:
    return f"2026-12-02T10:00:{second:02d}+00:00"


def _add_refunds(found: Evidence) -> None:
    """PAID's refund notify after its payment notify; COPIED's (held) before."""
    for n, (order_id, number, fee, at) in enumerate(
        [(PAID, PARTIAL, 30, 20), (COPIED, FULL, 200, 5)]
    ):
        found.wechat_refunds.append(WeChatRefund(order_id, number, fee, "SUCCESS"))
        found.refund_rows[number] = (order_id, fee, "SUCCESS")
        found.deliveries.append(
            Delivery(
                10 + n,
                "refund",
                order_id,
                "delivered",
                ("connection_error", "success"),
                number,
                _at(at - 1),
                _at(at),
            )
        )
        found.observations.append(
            Observed(f"obs-{number}", order_id, "NOTIFY", "REFUND", "", 0, number, "SUCCESS", fee)
        )
        full = fee == FEES[order_id]
        found.events.append(
            Event(f"ev-{number}", order_id, "refunded", "", 0, number, fee, fee, full)
        )
        found.inbox.append((order_id, "APPLIED"))
        status = "REFUNDED" if full else "PARTIALLY_REFUNDED"
        found.orders[order_id] = OrderRow(
            order_id, status, FEES[order_id], f"tx-{order_id}", 3, None, fee
        )
        found.snapshots[order_id] = (status, 3)
    found.observations.append(
        Observed(f"obs-{COPIED}", COPIED, "CANCEL", "SUCCESS", f"tx-{COPIED}", 1)
    )


def _clean() -> Evidence:
    found = Evidence()
    outcomes = ("http_error", "connection_error", "success")
    found.deliveries = [
        Delivery(1, "payment", PAID, "delivered", outcomes, "", _at(1), _at(3)),
        Delivery(2, "payment", COPIED, "delivered", ("success",), "", _at(9), _at(9)),
        Delivery(3, "payment", COPIED, "delivered", ("success",), "", _at(8), _at(8)),
        Delivery(4, "probe", PROBED, "rejected", ("http_error",)),
        Delivery(5, "payment", PROBED, "delivered", ("success",)),
    ]
    for delivery in found.deliveries:
        if delivery.kind == "payment":
            order_id = delivery.out_trade_no
            found.observations.append(
                Observed(f"obs-{order_id}", order_id, "NOTIFY", "SUCCESS", f"tx-{order_id}", 1)
            )
    for order_id, fee in FEES.items():
        paid = order_id != CONTROL
        found.orders[order_id] = OrderRow(
            order_id,
            "PAID" if paid else "PENDING",
            fee,
            f"tx-{order_id}" if paid else None,
            2 if paid else 1,
            None,
        )
        if paid:
            found.events.append(Event(f"obs-{order_id}.0", order_id, "paid", f"tx-{order_id}", fee))
            found.inbox.append((order_id, "APPLIED"))
            found.snapshots[order_id] = ("PAID", 2)
    _add_refunds(found)
    return found


def test_clean_evidence_has_no_violation_and_counts_the_retries() -> None:
    verdict = verify(_expected(), _clean())
    assert verdict.ok, dict(verdict.examples)
    assert verdict.counts["deliveries retried after a non-SUCCESS answer"] == 1
    assert verdict.counts["non-SUCCESS answers to real notifies (each retried)"] == 2
    assert verdict.counts["extra copies of a notify (duplicates)"] == 1
    assert verdict.counts["refunds SUCCESS at WeChat"] == 2
    assert verdict.counts["fen refunded at WeChat"] == sum(REFUNDED.values())
    assert verdict.counts["orders whose refund notifies all came before their payment notify"] == 1
    assert verdict.counts["OrderRefunded events (distinct)"] == 2


def _lose_an_event(found: Evidence) -> None:
    found.events = [e for e in found.events if e.order_id != PAID]


def _double_an_event(found: Evidence) -> None:
    found.events.append(Event("another-id", PAID, "paid", f"tx-{PAID}", FEES[PAID]))


def _redeliver_an_event(found: Evidence) -> None:
    found.events.append(found.events[0])


def _pay_a_control(found: Evidence) -> None:
    found.orders[CONTROL] = OrderRow(CONTROL, "PAID", FEES[CONTROL], "tx", 2, None)


def _leave_a_paid_order_pending(found: Evidence) -> None:
    found.orders[PAID] = OrderRow(PAID, "PENDING", FEES[PAID], None, 1, None)


def _apply_twice(found: Evidence) -> None:
    found.orders[PAID] = OrderRow(PAID, "PAID", FEES[PAID], f"tx-{PAID}", 3, None)


def _answer_success_without_a_record(found: Evidence) -> None:
    """Two copies of the notify were answered SUCCESS; only one record reached Kafka."""
    index = next(i for i, o in enumerate(found.observations) if o.out_trade_no == COPIED)
    del found.observations[index]


def _abandon_a_notify(found: Evidence) -> None:
    found.deliveries[0] = Delivery(1, "payment", PAID, "abandoned", ("http_error",) * 16)


def _accept_a_probe(found: Evidence) -> None:
    found.deliveries[3] = Delivery(4, "probe", PROBED, "delivered", ("success",))


def _unstable_observation_ids(found: Evidence) -> None:
    found.observations.append(Observed("obs-other", PAID, "NOTIFY", "SUCCESS", f"tx-{PAID}", 1))


def _stale_snapshot(found: Evidence) -> None:
    found.snapshots[PAID] = ("PENDING", 1)


def _dead_letter(found: Evidence) -> None:
    found.dead_letters = 1


def _process_died(found: Evidence) -> None:
    found.processes_down = ["gateway"]


def _unpublished(found: Evidence) -> None:
    found.unpublished_outbox = 3


def _unknown_order(found: Evidence) -> None:
    found.orders["order-nobody-made"] = OrderRow("order-nobody-made", "PAID", 1, "tx", 1, "X")


def _count_a_refund_twice(found: Evidence) -> None:
    found.orders[PAID] = OrderRow(PAID, "PARTIALLY_REFUNDED", 100, f"tx-{PAID}", 3, None, 60)


def _lose_a_refund_event(found: Evidence) -> None:
    found.events = [e for e in found.events if e.out_refund_no != PARTIAL]


def _double_a_refund_event(found: Evidence) -> None:
    found.events.append(Event("ev-again", PAID, "refunded", "", 0, PARTIAL, 30, 60, False))


def _lose_an_accepted_refund(found: Evidence) -> None:
    """WeChat never made a refund RefundOrder said it accepted (and nothing counted it)."""
    found.wechat_refunds = [r for r in found.wechat_refunds if r.out_refund_no != PARTIAL]
    found.refund_rows.pop(PARTIAL)


def _make_a_refused_refund(found: Evidence) -> None:
    found.wechat_refunds.append(WeChatRefund(COPIED, ABOVE, 1, "SUCCESS"))


def _refund_above_the_total(found: Evidence) -> None:
    found.wechat_refunds = [
        WeChatRefund(r.out_trade_no, r.out_refund_no, 300, r.status)
        if r.out_refund_no == FULL
        else r
        for r in found.wechat_refunds
    ]
    found.orders[COPIED] = OrderRow(COPIED, "REFUNDED", 200, f"tx-{COPIED}", 3, None, 300)


def _leave_a_refunded_order_paid(found: Evidence) -> None:
    found.orders[PAID] = OrderRow(PAID, "PAID", 100, f"tx-{PAID}", 3, None, 30)


def _payment_notify_before_the_held_refund(found: Evidence) -> None:
    found.deliveries[2] = Delivery(3, "payment", COPIED, "delivered", ("success",), "", _at(2))


def _lose_a_refund_record(found: Evidence) -> None:
    found.observations = [o for o in found.observations if o.out_refund_no != FULL]


def _abandon_a_refund_notify(found: Evidence) -> None:
    index = next(i for i, d in enumerate(found.deliveries) if d.out_refund_no == PARTIAL)
    found.deliveries[index] = Delivery(10, "refund", PAID, "abandoned", ("http_error",), PARTIAL)


def _refund_nobody_asked_for(found: Evidence) -> None:
    found.wechat_refunds.append(WeChatRefund(PROBED, "someone-else", 5, "SUCCESS"))


FLAWS: dict[str, tuple[Callable[[Evidence], None], str]] = {
    "refund counted twice": (_count_a_refund_twice, "refunded_fee_disagrees_with_wechat"),
    "refund event lost": (_lose_a_refund_event, "order_refunded_event_lost"),
    "refund event doubled": (_double_a_refund_event, "order_refunded_event_doubled"),
    "accepted refund not made": (_lose_an_accepted_refund, "accepted_refund_not_at_wechat"),
    "refused refund made": (_make_a_refused_refund, "refused_refund_made_at_wechat"),
    "refunded above the total": (_refund_above_the_total, "refunded_above_total"),
    "refunded order still PAID": (_leave_a_refunded_order_paid, "wrong_status"),
    "held payment notify sent first": (
        _payment_notify_before_the_held_refund,
        "refund_notify_not_before_payment_notify",
    ),
    "refund SUCCESS answered without a record": (
        _lose_a_refund_record,
        "success_answer_not_in_kafka",
    ),
    "refund notify abandoned": (_abandon_a_refund_notify, "notify_not_delivered"),
    "refund nobody asked for": (_refund_nobody_asked_for, "unexpected_refund"),
    "lost event": (_lose_an_event, "order_paid_event_lost"),
    "doubled event": (_double_an_event, "order_paid_event_doubled"),
    "control paid": (_pay_a_control, "wrong_status"),
    "paid order left pending": (_leave_a_paid_order_pending, "wrong_status"),
    "applied twice": (_apply_twice, "wrong_status"),
    "SUCCESS answered without a record": (
        _answer_success_without_a_record,
        "success_answer_not_in_kafka",
    ),
    "notify abandoned": (_abandon_a_notify, "notify_not_delivered"),
    "probe accepted": (_accept_a_probe, "probe_accepted"),
    "one fact, two observation ids": (_unstable_observation_ids, "unstable_observation_id"),
    "stale redis snapshot": (_stale_snapshot, "stale_redis_snapshot"),
    "dead letter": (_dead_letter, "dead_letters"),
    "process died": (_process_died, "process_died"),
    "outbox not drained": (_unpublished, "outbox_not_published"),
    "order nobody created": (_unknown_order, "unexpected_order"),
}


@pytest.mark.parametrize("flaw", list(FLAWS))
def test_each_flaw_is_a_violation(flaw: str) -> None:
    spoil, check = FLAWS[flaw]
    found = _clean()
    spoil(found)
    verdict = verify(_expected(), found)
    assert check in verdict.violations, dict(verdict.violations)


def test_an_event_redelivered_with_its_own_id_is_counted_not_a_violation() -> None:
    found = _clean()
    _redeliver_an_event(found)
    verdict = verify(_expected(), found)
    assert verdict.ok, dict(verdict.examples)
    assert verdict.counts["order.events redelivered (same event id, at least once)"] == 1


@pytest.mark.parametrize("made", [True, False], ids=["made at WeChat", "not made"])
def test_an_ambiguous_refund_is_a_violation_but_counted_as_neither(made: bool) -> None:
    """Whether WeChat made it or not, only its being left ambiguous is reported: the order is
    checked against WeChat's refunds, not against what the asker believed."""
    expected = _expected()
    expected.refunds[PARTIAL] = AskedRefund(PAID, PARTIAL, 30, True, "ambiguous", attempts=40)
    found = _clean()
    if not made:
        _lose_an_accepted_refund(found)
        found.orders[PAID] = OrderRow(PAID, "PAID", 100, f"tx-{PAID}", 2, None, 0)
        found.snapshots[PAID] = ("PAID", 2)
        found.events = [e for e in found.events if e.out_refund_no != PARTIAL]
        found.observations = [o for o in found.observations if o.out_refund_no != PARTIAL]
        found.deliveries = [d for d in found.deliveries if d.out_refund_no != PARTIAL]
        found.inbox.remove((PAID, "APPLIED"))
    verdict = verify(expected, found)
    assert dict(verdict.violations) == {"refund_not_definite": 1}, dict(verdict.examples)
