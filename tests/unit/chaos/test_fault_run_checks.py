"""The fault run's checks catch what they are there to catch: each kind of loss, doubling or
lie in made-up evidence is a violation, and clean evidence is none."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devstack.chaos.evidence import Delivery, Event, Evidence, Expected, Observed, OrderRow
from devstack.chaos.verify import verify

PAID, COPIED, PROBED, CONTROL = "order-paid-1", "order-copied", "order-probed", "order-control"
FEES = {PAID: 100, COPIED: 200, PROBED: 300, CONTROL: 400}


def _expected() -> Expected:
    return Expected(
        fees=dict(FEES),
        paid={PAID: 1, COPIED: 2, PROBED: 1},
        probed=frozenset({PROBED}),
    )


def _clean() -> Evidence:
    found = Evidence()
    found.deliveries = [
        Delivery(1, "payment", PAID, "delivered", ("http_error", "connection_error", "success")),
        Delivery(2, "payment", COPIED, "delivered", ("success",)),
        Delivery(3, "payment", COPIED, "delivered", ("success",)),
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
    return found


def test_clean_evidence_has_no_violation_and_counts_the_retries() -> None:
    verdict = verify(_expected(), _clean())
    assert verdict.ok, dict(verdict.examples)
    assert verdict.counts["deliveries retried after a non-SUCCESS answer"] == 1
    assert verdict.counts["non-SUCCESS answers to real notifies (each retried)"] == 2
    assert verdict.counts["extra copies of a notify (duplicates)"] == 1


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


FLAWS: dict[str, tuple[Callable[[Evidence], None], str]] = {
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
