"""One reconciliation pass: claim the due orders, ask WeChat about each, report what it says.

- Cost follows what is due, not what is pending: orders are claimed from the sorted index
  lowest score first, a batch at a time, and their state is read in one query per batch.
- Claims are atomic (`PendingIndex.claim_due` moves each claimed order's next check to the end of
  a lease), so two overlapping passes never take the same order; orders a crashed pass claimed
  come back when the lease runs out.
- An order past its expire time (plus the grace) is closed at WeChat first, never locally:
  closed (or unknown at WeChat) → CLOSED is reported; WeChat says paid → the SUCCESS it reports.
- Before that, the order is queried: a final state is reported; NOTPAY is rescheduled with
  backoff (a NOTPAY report would change nothing).
- A trade in state REFUND was paid and has refunds: they are looked up too (by order, or under
  API v3 by the refund numbers our records hold) and each is reported, so that a refund whose
  notify was lost (or came before the payment) is counted with the payment.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from order.payments import ClosedAtWeChat, PaidAtWeChat, Payments, UnknownAtWeChat
from order.reconcile.rate import RateLimiter
from order.reconcile.schedule import Schedule
from order.store import DueOrder, PendingIndex, PendingOrder
from order.wire import closed_report, paid_report, refund_report, trade_report
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from runtime.logs import get_logger

log = get_logger("order.reconcile")

POLL = events_pb2.OBSERVATION_SOURCE_POLL
# States a query reports as they are; the others mean "still payable": check again later.
REPORTED_STATES = {
    types_pb2.TRADE_STATE_SUCCESS,
    types_pb2.TRADE_STATE_REFUND,
    types_pb2.TRADE_STATE_CLOSED,
    types_pb2.TRADE_STATE_REVOKED,
    types_pb2.TRADE_STATE_PAYERROR,
}
PAID_STATES = {types_pb2.TRADE_STATE_SUCCESS, types_pb2.TRADE_STATE_REFUND}

Report = Callable[[events_pb2.PaymentObserved], Awaitable[None]]
LoadPending = Callable[[list[str]], Awaitable[dict[str, PendingOrder]]]
LoadRefundNumbers = Callable[[str], Awaitable[list[str]]]


@dataclass
class PassSummary:
    due: int = 0
    queried: int = 0
    paid: int = 0
    closed: int = 0
    reported_other: int = 0
    rescheduled: int = 0
    left_pending: int = 0
    """Claimed, but no longer PENDING (or gone): dropped from the index."""
    errors: int = 0
    refunds: int = 0
    """Refunds reported from the refund queries of trades in state REFUND."""
    open_refunds_checked: int = 0
    """Refunds PROCESSING here that were asked about (refund_sweep.py)."""
    open_refunds_settled: int = 0
    open_refunds_released: int = 0
    released: int = 0
    """Claimed but not handled within the time budget: handed back for the next pass."""
    duration_seconds: float = 0.0
    rebuilt_index: int | None = None
    outcomes: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        rebuilt = "" if self.rebuilt_index is None else f" rebuilt_index={self.rebuilt_index}"
        return (
            f"reconcile pass: due={self.due} queried={self.queried} paid={self.paid} "
            f"closed={self.closed} other={self.reported_other} rescheduled={self.rescheduled} "
            f"not_pending={self.left_pending} refunds={self.refunds} "
            f"open_refunds={self.open_refunds_checked}/{self.open_refunds_settled}"
            f"/{self.open_refunds_released} errors={self.errors} released={self.released} "
            f"duration={self.duration_seconds:.2f}s{rebuilt}"
        )


@dataclass(frozen=True)
class PassLimits:
    batch_size: int
    concurrency: int
    time_budget: float
    call_timeout: float
    lease: timedelta
    settle: timedelta
    retry: timedelta


class ReconcilePass:
    def __init__(
        self,
        index: PendingIndex,
        load_pending: LoadPending,
        load_refund_numbers: LoadRefundNumbers,
        payments: Payments,
        report: Report,
        limiter: RateLimiter,
        schedule: Schedule,
        limits: PassLimits,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        progress: Callable[[PassSummary], None] | None = None,
    ) -> None:
        self._index = index
        self._load_pending = load_pending
        self._load_refund_numbers = load_refund_numbers
        self._payments = payments
        self._report = report
        self._limiter = limiter
        self._schedule = schedule
        self._limits = limits
        self._clock = clock
        self._progress = progress
        self.summary = PassSummary()

    async def run(self) -> PassSummary:
        started = time.monotonic()
        budget_ends = started + self._limits.time_budget
        while time.monotonic() < budget_ends:
            now = self._clock()
            claimed = await self._index.claim_due(
                now.timestamp(), self._limits.batch_size, (now + self._limits.lease).timestamp()
            )
            if not claimed:
                break
            self.summary.due += len(claimed)
            await self._handle_batch(claimed, budget_ends)
            self.summary.duration_seconds = time.monotonic() - started
            if self._progress is not None:
                self._progress(self.summary)
        self.summary.duration_seconds = time.monotonic() - started
        return self.summary

    async def _handle_batch(self, claimed: list[DueOrder], budget_ends: float) -> None:
        pending = await self._load_pending([due.order_id for due in claimed])
        gone = [due.order_id for due in claimed if due.order_id not in pending]
        if gone:
            await self._index.remove(*gone)
            self.summary.left_pending += len(gone)
        gate = asyncio.Semaphore(self._limits.concurrency)

        async def one(order: PendingOrder, due_at: float) -> None:
            async with gate:
                if time.monotonic() >= budget_ends:
                    await self._index.reschedule(order.id, due_at)
                    self.summary.released += 1
                    return
                await self._check(order)

        await asyncio.gather(
            *[one(pending[due.order_id], due.due_at) for due in claimed if due.order_id in pending]
        )

    async def _check(self, order: PendingOrder) -> None:
        try:
            now = self._clock()
            if self._schedule.must_close(now, order.expire_time):
                await self._close(order)
            else:
                await self._query(order, now)
        except Exception as error:
            self.summary.errors += 1
            log.warning(
                "reconcile_check_failed",
                out_trade_no=order.id,
                error=type(error).__name__,
                detail=str(error)[:200],
            )
            retry_at = self._clock() + self._limits.retry
            await self._index.reschedule(order.id, retry_at.timestamp())

    async def _query(self, order: PendingOrder, now: datetime) -> None:
        await self._limiter.acquire()
        answer = await self._payments.query(order.id, self._limits.call_timeout)
        self.summary.queried += 1
        if isinstance(answer, UnknownAtWeChat) or answer.trade_state not in REPORTED_STATES:
            next_check = self._schedule.next_check(now, order.create_time, order.expire_time)
            await self._index.reschedule(order.id, next_check.timestamp())
            self.summary.rescheduled += 1
            return
        await self._publish(trade_report(order.id, answer, self._clock(), POLL))
        self._count(answer.trade_state)
        await self._report_refunds(order.id, answer.trade_state)
        await self._settle(order)

    async def _close(self, order: PendingOrder) -> None:
        await self._limiter.acquire()
        outcome = await self._payments.close(order.id, self._limits.call_timeout)
        if isinstance(outcome, PaidAtWeChat):
            await self._publish(paid_report(order.id, outcome.trade, self._clock(), POLL))
            self.summary.paid += 1
            await self._report_refunds(order.id, outcome.trade.trade_state)
        else:
            assert isinstance(outcome, ClosedAtWeChat)
            await self._publish(closed_report(order.id, self._clock(), POLL))
            self.summary.closed += 1
        await self._settle(order)

    async def _report_refunds(self, order_id: str, state: types_pb2.TradeState.ValueType) -> None:
        if state != types_pb2.TRADE_STATE_REFUND:
            return
        numbers = await self._load_refund_numbers(order_id)
        await self._limiter.acquire()
        for refund in await self._payments.refunds(order_id, numbers, self._limits.call_timeout):
            await self._publish(refund_report(order_id, refund, self._clock(), POLL))
            self.summary.refunds += 1

    async def _publish(self, record: events_pb2.PaymentObserved) -> None:
        await self._report(record)

    async def _settle(self, order: PendingOrder) -> None:
        """Reported: the worker takes it out of the index; look again later in case it did not
        (an amount mismatch leaves an order PENDING, say)."""
        await self._index.reschedule(order.id, (self._clock() + self._limits.settle).timestamp())

    def _count(self, state: types_pb2.TradeState.ValueType) -> None:
        if state in PAID_STATES:
            self.summary.paid += 1
        elif state == types_pb2.TRADE_STATE_CLOSED:
            self.summary.closed += 1
        else:
            self.summary.reported_other += 1
        name = types_pb2.TradeState.Name(state)
        self.summary.outcomes[name] = self.summary.outcomes.get(name, 0) + 1
