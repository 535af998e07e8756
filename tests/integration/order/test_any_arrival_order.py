"""Order independence through the real worker: the facts of many orders — payments, copies of
them, partial and full refunds (some closed), polls answering NOTPAY, REFUND or CLOSED — shuffled
together and produced to a real `payment.observations` topic; every order ends as WeChat knows it,
with each fact's event once, OrderPaid before its OrderRefunded events.

The pure state machine has the same property with thousands of timelines
(tests/unit/order/test_order_independence.py); here a few hundred records check that the batch
transaction, the inbox and the stored refunds keep it. Each seed is one draw; a failure names it.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

import pytest

from order.domain import Status
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from tests.fixtures.order import (
    NOTPAY,
    POLL,
    InProcessWorker,
    OrderTopics,
    eventually,
    insert_order,
    load_order,
    observed,
    outbox_events,
    produce,
    refund_observed,
)

TOTAL = 1000
ORDERS = 25


@dataclass
class Expected:
    order_id: str
    status: Status
    refunded_fee: int = 0
    event_ids: set[str] = field(default_factory=set)


def _timeline(
    rng: random.Random, order_id: str
) -> tuple[list[events_pb2.PaymentObserved], Expected]:
    """One order's facts in WeChat's order, and how it must end."""
    facts = [observed(order_id, NOTPAY, source=POLL) for _ in range(rng.randint(0, 2))]
    kind = rng.choice(["paid", "paid", "closed", "waiting"])
    if kind == "waiting":
        return facts, Expected(order_id, Status.PENDING)
    if kind == "closed":
        facts.append(observed(order_id, types_pb2.TRADE_STATE_CLOSED, source=POLL))
        return facts, Expected(order_id, Status.CLOSED, event_ids={f"{order_id}.closed"})
    transaction = f"4200{uuid.uuid4().hex[:24]}"
    facts.append(observed(order_id, transaction_id=transaction, total_fee=TOTAL))
    expected = Expected(order_id, Status.PAID, event_ids={f"{order_id}.paid"})
    left = TOTAL
    for number in range(1, rng.randint(1, 4)):
        fee = min(left, rng.choice([1, 100, 250, 400, TOTAL]))
        if fee < 1:
            break
        no = f"{order_id}-{number}"
        facts.append(refund_observed(order_id, no, fee, types_pb2.REFUND_STATUS_PROCESSING))
        if number == 1:
            facts.append(
                observed(
                    order_id,
                    types_pb2.TRADE_STATE_REFUND,
                    transaction_id=transaction,
                    total_fee=TOTAL,
                    source=POLL,
                )
            )
        if rng.random() < 0.2:
            facts.append(refund_observed(order_id, no, fee, types_pb2.REFUND_STATUS_CLOSED))
            continue
        facts.append(refund_observed(order_id, no, fee, types_pb2.REFUND_STATUS_SUCCESS))
        left -= fee
        expected.refunded_fee += fee
        expected.event_ids.add(f"{order_id}.refund.{no}")
    if expected.refunded_fee:
        full = expected.refunded_fee == TOTAL
        expected.status = Status.REFUNDED if full else Status.PARTIALLY_REFUNDED
    return facts, expected


@pytest.mark.timeout(120)
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_any_arrival_order_of_many_orders_facts_ends_as_wechat_knows_them(
    seed: int,
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
) -> None:
    rng = random.Random(seed)
    records: list[events_pb2.PaymentObserved] = []
    expected: list[Expected] = []
    for _ in range(ORDERS):
        order_id = insert_order(database_url, f"AO{uuid.uuid4().hex[:20]}", total_fee=TOTAL)
        facts, ends = _timeline(rng, order_id)
        records += facts + [rng.choice(facts) for _ in range(rng.randint(0, 3)) if facts]
        expected.append(ends)
    rng.shuffle(records)
    produce(kafka_bootstrap, order_topics.observations, records)

    def settled() -> bool:
        for ends in expected:
            order = load_order(database_url, ends.order_id)
            if order is None or (order.status, order.refunded_fee) != (
                ends.status,
                ends.refunded_fee,
            ):
                return False
        return True

    await eventually(settled, 60)
    for ends in expected:
        order = load_order(database_url, ends.order_id)
        assert order is not None
        assert order.anomaly is None, (seed, ends.order_id)
        events = outbox_events(database_url, ends.order_id)
        ids = [e.event_id for e in events]
        assert sorted(ids) == sorted(ends.event_ids), (seed, ends.order_id)
        kinds = [e.WhichOneof("kind") for e in events]
        if "refunded" in kinds:
            assert kinds[0] == "paid", (seed, ends.order_id, kinds)
            assert sum(e.refunded.refund_fee for e in events) == order.refunded_fee
