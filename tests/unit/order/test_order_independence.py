"""Order independence: whatever order the facts of one order arrive in, and however often, the
order ends as WeChat knows it, and the same events (by id) are emitted, each once, in an order a
ledger can follow (OrderPaid before any OrderRefunded).

The facts come from a WeChat timeline drawn by hypothesis: a trade that is paid and then refunded
in parts (some refunds closed), closed unpaid, or still waiting; each fact is observed by a
notify, a poll or a close attempt, any number of times. The worker is modelled as the batch
transaction applies observations: the inbox drops an id seen before, the state machine decides
with the order and its stored refunds as the previous observation left them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from order.domain import (
    Observation,
    Order,
    OrderPaid,
    OrderRefunded,
    Refund,
    RefundObservation,
    RefundStatus,
    Source,
    Status,
    TradeState,
    decide,
    event_id,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TOTAL = 1000
ORDER_ID = "order-indep-1"
TRANSACTION = "4200000001202612010000000001"


@dataclass(frozen=True)
class Fact:
    """Something WeChat said, at the moment WeChat's timeline says it."""

    at: datetime
    observation: Observation


@dataclass
class Timeline:
    facts: list[Fact]
    paid: bool
    closed: bool
    refunded: int
    """WeChat's Σ of SUCCESS refunds."""


def _trade(at: datetime, state: TradeState, source: Source, *, paid: bool = False) -> Observation:
    return Observation(
        observation_id=f"trade/{state.value}/{TRANSACTION if paid else ''}",
        order_id=ORDER_ID,
        source=source,
        trade_state=state,
        transaction_id=TRANSACTION if paid else "",
        total_fee=TOTAL if paid else 0,
        cash_fee=TOTAL if paid else 0,
        success_time=T0 + timedelta(minutes=1) if paid else None,
        observed_time=at,
    )


def _refund(at: datetime, number: int, status: RefundStatus, fee: int) -> Observation:
    no = f"R{number}"
    return Observation(
        observation_id=f"refund/{no}/{status.value}/{fee}",
        order_id=ORDER_ID,
        source=Source.NOTIFY,
        trade_state=TradeState.REFUND,
        transaction_id=TRANSACTION,
        total_fee=TOTAL,
        observed_time=at,
        refund=RefundObservation(
            no, f"50{number}", status, fee, at if status is RefundStatus.SUCCESS else None
        ),
    )


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    kind = draw(st.sampled_from(["paid", "closed", "waiting"]))
    facts: list[Fact] = []
    minute = 0

    def tick() -> datetime:
        nonlocal minute
        minute += 1
        return T0 + timedelta(minutes=minute, seconds=draw(st.integers(0, 59)))

    for state in draw(st.lists(st.sampled_from([TradeState.NOTPAY, TradeState.USERPAYING]))):
        facts.append(Fact(tick(), _trade(T0, state, Source.POLL)))
    if kind == "closed":
        source = draw(st.sampled_from([Source.POLL, Source.CANCEL, Source.NOTIFY]))
        facts.append(Fact(tick(), _trade(T0, TradeState.CLOSED, source)))
        return Timeline(facts, paid=False, closed=True, refunded=0)
    if kind == "waiting":
        return Timeline(facts, paid=False, closed=False, refunded=0)

    paid_source = draw(st.sampled_from([Source.NOTIFY, Source.POLL, Source.CANCEL]))
    facts.append(Fact(tick(), _trade(T0, TradeState.SUCCESS, paid_source, paid=True)))
    left, refunded = TOTAL, 0
    fees = draw(st.lists(st.integers(1, TOTAL), max_size=4))
    for number, wanted in enumerate(fees, 1):
        fee = min(wanted, left)
        if fee < 1:
            break
        facts.append(Fact(tick(), _refund(T0, number, RefundStatus.PROCESSING, fee)))
        if number == 1:
            # From now on WeChat's query (and a refused close) says REFUND: paid, refunds exist.
            source = draw(st.sampled_from([Source.POLL, Source.CANCEL]))
            facts.append(Fact(tick(), _trade(T0, TradeState.REFUND, source, paid=True)))
        ends = draw(
            st.sampled_from([RefundStatus.SUCCESS, RefundStatus.SUCCESS, RefundStatus.CLOSED])
        )
        at = tick()
        facts.append(Fact(at, replace(_refund(at, number, ends, fee), observed_time=at)))
        if ends is RefundStatus.SUCCESS:
            left -= fee
            refunded += fee
    return Timeline(facts, paid=True, closed=False, refunded=refunded)


@dataclass
class Worker:
    """The worker's effect, as `order.store.batch.apply_batch` has it, one observation at a time."""

    order: Order = field(
        default_factory=lambda: Order(
            id=ORDER_ID,
            total_fee=TOTAL,
            expire_time=T0 + timedelta(hours=2),
            create_time=T0,
            update_time=T0,
        )
    )
    inbox: set[str] = field(default_factory=set)
    refunds: dict[str, Refund] = field(default_factory=dict)
    events: list[tuple[str, object]] = field(default_factory=list)

    def apply(self, observation: Observation) -> None:
        if observation.observation_id in self.inbox:
            return
        self.inbox.add(observation.observation_id)
        decision = decide(self.order, observation, self.refunds, at=T0 + timedelta(hours=1))
        if decision.refund is not None:
            self.refunds[decision.refund.out_refund_no] = decision.refund
        if decision.order is not None:
            assert decision.order.version == self.order.version + 1
            self.order = decision.order
        for index, event in enumerate(decision.events):
            self.events.append(
                (event_id(ORDER_ID, observation.observation_id, index, event), event)
            )


def _run(observations: list[Observation]) -> Worker:
    worker = Worker()
    for observation in observations:
        worker.apply(observation)
    return worker


def _expected_status(timeline: Timeline) -> Status:
    if timeline.closed:
        return Status.CLOSED
    if not timeline.paid:
        return Status.PENDING
    if timeline.refunded == 0:
        return Status.PAID
    return Status.REFUNDED if timeline.refunded == TOTAL else Status.PARTIALLY_REFUNDED


def _ledger_balances(worker: Worker) -> None:
    """Each event once; OrderPaid first; the refunds a ledger adds up are the order's."""
    ids = [event_id for event_id, _ in worker.events]
    assert len(ids) == len(set(ids)), ids
    paid_at = [i for i, (_, e) in enumerate(worker.events) if isinstance(e, OrderPaid)]
    refunds = [(i, e) for i, (_, e) in enumerate(worker.events) if isinstance(e, OrderRefunded)]
    assert len(paid_at) <= 1
    assert all(paid_at and paid_at[0] < i for i, _ in refunds)
    assert sum(e.refund_fee for _, e in refunds) == worker.order.refunded_fee
    if refunds:
        last = refunds[-1][1]
        assert (last.refunded_fee, last.full) == (
            worker.order.refunded_fee,
            worker.order.refunded_fee == TOTAL,
        )


@pytest.mark.timeout(240)  # 3,000 examples: ~35 s of CPU, slower on a shared machine
@settings(max_examples=3000, deadline=None)
@given(data=st.data(), timeline=timelines())
def test_any_arrival_order_ends_as_wechat_knows_it(data: st.DataObject, timeline: Timeline) -> None:
    in_wechat_order = [f.observation for f in sorted(timeline.facts, key=lambda f: f.at)]
    copies = data.draw(
        st.lists(st.sampled_from(in_wechat_order), max_size=6) if in_wechat_order else st.just([])
    )
    arrival = data.draw(st.permutations(in_wechat_order + copies))

    reference = _run(in_wechat_order)
    worker = _run(arrival)

    assert worker.order.status is _expected_status(timeline)
    assert worker.order.refunded_fee == timeline.refunded
    assert worker.order.anomaly is None
    assert worker.order.transaction_id == (TRANSACTION if timeline.paid else None)
    assert (reference.order.status, reference.order.refunded_fee) == (
        worker.order.status,
        worker.order.refunded_fee,
    )
    assert {i for i, _ in worker.events} == {i for i, _ in reference.events}
    _ledger_balances(worker)
    _ledger_balances(reference)
