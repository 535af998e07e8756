"""OrderService's use cases: create, read, cancel and refund orders. No gRPC here (servicer.py).

The worker alone changes an order's status: CancelOrder closes the order at WeChat, reports
what WeChat said as an observation (source CANCEL) on Kafka like any other, then waits a bounded
time for the worker to apply it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import grpc

from order.api import metrics
from order.api.ids import new_order_id
from order.domain import (
    FieldViolation,
    InvalidRequestError,
    NewOrder,
    Order,
    OrderConflictError,
    OrderNotFoundError,
    Refund,
    RefundConflictError,
    RefundNotAllowedError,
    RefundStatus,
    Status,
    is_valid_order_id,
    violations,
)
from order.domain.refund_request import RefundRequest, refund_violations
from order.payments import REFUNDS_UNKNOWN, PaidAtWeChat, Payments, RefundRefused
from order.store import REDIS_ERRORS, OrderStore, PendingIndex, RefundStore, Snapshots
from order.wire import closed_report, paid_report, refund_from_info
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import payment_pb2
from runtime.kafka import AckingProducer
from runtime.logs import get_logger
from runtime.observations import publish

log = get_logger(__name__)

DEFAULT_CALL_BUDGET_SECONDS = 30.0
"""How long CancelOrder may take when the caller set no deadline."""
DEADLINE_MARGIN_SECONDS = 0.05
"""Kept free at the end of a call's deadline to answer in time."""
APPLIED_POLL_SECONDS = 0.02


def utc_now() -> datetime:
    return datetime.now(UTC)


class CancelOutcome(StrEnum):
    CLOSED = "CLOSED"
    PAID = "PAID"
    ALREADY_FINAL = "ALREADY_FINAL"


@dataclass(frozen=True)
class OrderPolicy:
    payment_window: timedelta
    first_check_delay: timedelta
    cancel_wait_seconds: float


@dataclass(frozen=True)
class CreateOrder:
    id: str
    total_fee: int
    description: str = ""
    attach: str = ""
    expire_time: datetime | None = None


class ObservationReporter:
    """Publishes PaymentObserved records to `payment.observations`, keyed by order id."""

    def __init__(self, producer: AckingProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def report(self, record: events_pb2.PaymentObserved, timeout: float) -> None:
        await publish(self._producer, self._topic, record, timeout)


REFUND_RENAMES = 3
"""How often a refund is asked again naming refunds that concurrent calls made meanwhile."""


class OrderService:
    def __init__(
        self,
        store: OrderStore,
        refunds: RefundStore,
        snapshots: Snapshots,
        index: PendingIndex,
        payments: Payments,
        reporter: ObservationReporter,
        policy: OrderPolicy,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._refunds = refunds
        self._snapshots = snapshots
        self._index = index
        self._payments = payments
        self._reporter = reporter
        self._policy = policy
        self._clock = clock

    async def create(self, request: CreateOrder) -> tuple[Order, bool]:
        """The new PENDING order and True, or the existing one with the same amount and False."""
        now = self._clock()
        new = NewOrder(
            id=request.id or new_order_id(now),
            total_fee=request.total_fee,
            description=request.description,
            attach=request.attach,
            expire_time=request.expire_time or now + self._policy.payment_window,
        )
        problems = violations(new, now)
        if problems:
            raise InvalidRequestError(problems)
        order, created = await self._store.create(new, now)
        if order.total_fee != new.total_fee:
            raise OrderConflictError(order, new.total_fee)
        await self._cache(order, first_check=now + self._policy.first_check_delay)
        return order, created

    async def get(self, order_id: str) -> Order:
        _require_id(order_id)
        try:
            cached = await self._snapshots.get(order_id)
        except REDIS_ERRORS as error:
            self._redis_failed("get", error)
            cached = None
        if cached is not None:
            return cached
        order = await self._store.get(order_id)
        if order is None:
            raise OrderNotFoundError(order_id)
        await self._cache(order)
        return order

    async def cancel(self, order_id: str, time_left: float | None) -> tuple[CancelOutcome, Order]:
        _require_id(order_id)
        budget = time_left if time_left is not None else DEFAULT_CALL_BUDGET_SECONDS
        deadline = time.monotonic() + budget - DEADLINE_MARGIN_SECONDS
        order = await self._store.get(order_id)
        if order is None:
            raise OrderNotFoundError(order_id)
        if order.is_final:
            metrics.CANCEL_OUTCOMES.labels(CancelOutcome.ALREADY_FINAL.value, "n/a").inc()
            return CancelOutcome.ALREADY_FINAL, order

        at_wechat = await self._payments.close(order_id, timeout=_left(deadline))
        if isinstance(at_wechat, PaidAtWeChat):
            outcome = CancelOutcome.PAID
            record = paid_report(order_id, at_wechat.trade, self._clock())
        else:
            outcome = CancelOutcome.CLOSED
            record = closed_report(order_id, self._clock())
        await self._reporter.report(record, timeout=_left(deadline))
        log.info("cancel reported", order_id=order_id, outcome=outcome.value)

        wait_until = min(deadline, time.monotonic() + self._policy.cancel_wait_seconds)
        order, applied = await self._applied(order, record.observation_id, wait_until)
        if order.status in (Status.PAID, Status.REFUNDED, Status.PARTIALLY_REFUNDED):
            outcome = CancelOutcome.PAID
        metrics.CANCEL_OUTCOMES.labels(outcome.value, str(applied).lower()).inc()
        return outcome, order

    async def refund(self, request: RefundRequest, time_left: float | None) -> tuple[Refund, Order]:
        """Reserves the refund against the order's limit, then asks WeChat for it; returns the
        refund as WeChat accepted it (or as it ended, for a repeat of a settled one)."""
        problems = refund_violations(request)
        if problems:
            raise InvalidRequestError(problems)
        budget = time_left if time_left is not None else DEFAULT_CALL_BUDGET_SECONDS
        deadline = time.monotonic() + budget - DEADLINE_MARGIN_SECONDS
        reserved = await self._refunds.reserve(request, self._clock())
        order = reserved.order
        if not reserved.new and reserved.refund.status is not RefundStatus.PROCESSING:
            return reserved.refund, order
        answer = await self._ask_for_refund(request, order, reserved.others, deadline)
        if isinstance(answer, RefundRefused):
            await self._refunds.release(order.id, request.out_refund_no)
            log.info(
                "refund refused",
                order_id=order.id,
                out_refund_no=request.out_refund_no,
                reason=answer.reason,
            )
            message = (
                f"WeChat refused the refund: {answer.reason or answer.code.name} {answer.detail}"
            )
            if answer.code is grpc.StatusCode.ALREADY_EXISTS:
                raise RefundConflictError(message)
            raise RefundNotAllowedError(message)
        if answer.refund_id:
            await self._refunds.accepted(order.id, request.out_refund_no, answer.refund_id)
        log.info(
            "refund asked",
            order_id=order.id,
            out_refund_no=request.out_refund_no,
            refund_fee=request.refund_fee,
        )
        return refund_from_info(order.id, answer), order

    async def _ask_for_refund(
        self, request: RefundRequest, order: Order, others: tuple[str, ...], deadline: float
    ) -> payment_pb2.RefundInfo | RefundRefused:
        """PaymentService.Refund, naming the order's other refunds. A concurrent refund of the
        same order, reserved after this one and sent first, is one this request did not name
        (API v3 cannot list them): ask again naming it. Both passed the limit under the row lock,
        so the refund is still within it."""
        for _ in range(REFUND_RENAMES + 1):
            answer = await self._payments.refund(
                payment_pb2.RefundRequest(
                    out_trade_no=order.id,
                    out_refund_no=request.out_refund_no,
                    total_fee=order.total_fee,
                    refund_fee=request.refund_fee,
                    reason=request.reason,
                    other_out_refund_nos=others,
                ),
                timeout=_left(deadline),
            )
            if not (isinstance(answer, RefundRefused) and answer.reason == REFUNDS_UNKNOWN):
                return answer
            known = tuple(
                n for n in await self._refunds.numbers(order.id) if n != request.out_refund_no
            )
            if set(known) <= set(others):
                return answer  # nothing new to name: the refusal stands
            others = known
        return answer

    async def _applied(
        self, order: Order, observation_id: str, wait_until: float
    ) -> tuple[Order, bool]:
        """The order once the worker applied the observation, or as it is when time is up."""
        while True:
            applied = await self._store.was_applied(observation_id)
            if applied or time.monotonic() >= wait_until:
                latest = await self._store.get(order.id)
                return latest or order, applied
            await asyncio.sleep(min(APPLIED_POLL_SECONDS, max(0.0, wait_until - time.monotonic())))

    async def _cache(self, order: Order, first_check: datetime | None = None) -> None:
        """Writes the snapshot (and, for a new pending order, its first check); Redis is
        derived, so its failure is logged and counted, never raised."""
        try:
            await self._snapshots.put(order)
            if first_check is not None and order.status is Status.PENDING:
                await self._index.add(order.id, first_check.timestamp())
        except REDIS_ERRORS as error:
            self._redis_failed("cache", error)

    @staticmethod
    def _redis_failed(operation: str, error: BaseException) -> None:
        metrics.REDIS_FAILURES.labels(operation).inc()
        log.warning(
            "redis unavailable; going on without it", operation=operation, error=repr(error)
        )


def _require_id(order_id: str) -> None:
    if not order_id:
        raise InvalidRequestError([FieldViolation("id", "is required")])
    # No order can have another id (a CHECK constraint says so); some (a NUL) PostgreSQL
    # cannot even be asked about.
    if not is_valid_order_id(order_id):
        raise InvalidRequestError([FieldViolation("id", "must be 6 to 32 of [0-9A-Za-z_-|*]")])


def _left(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())
