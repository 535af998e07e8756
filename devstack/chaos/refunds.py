"""The merchant refunding while the faults strike: OrderService.RefundOrder for a share of the
paid orders as soon as they are paid, each refund asked again with the same out_refund_no until
the answer is definite (accepted, or refused for certain).

For an order whose payment notify the sandbox holds, the merchant first learns of the payment
through CancelOrder (which finds it paid at WeChat), refunds it, waits until every refund's
notify was delivered, and only then has the sandbox send the payment notify: the refunds reach
the order system before the notify of the payment they refund.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import grpc
import httpx

from devstack.chaos.evidence import AskedRefund
from devstack.chaos.plan import ChaosPlan, RefundsOfOrder
from paystream.order.v1 import order_pb2, order_pb2_grpc

DEFINITE_REFUSALS = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.NOT_FOUND,
    }
)
"""RefundOrder's answers that say no refund was made (order.proto); anything else but OK may
have reached WeChat, so the same request is asked again."""
PAID_STATUSES = frozenset(
    {
        order_pb2.ORDER_STATUS_PAID,
        order_pb2.ORDER_STATUS_PARTIALLY_REFUNDED,
        order_pb2.ORDER_STATUS_REFUNDED,
    }
)
CALL_TIMEOUT = 10.0
FIRST_BACKOFF, MAX_BACKOFF = 0.05, 1.0


@dataclass
class RefundLog:
    asked: dict[str, AskedRefund] = field(default_factory=dict)
    """By out_refund_no."""
    held: set[str] = field(default_factory=set)
    """Orders whose payment notify was held (and then released)."""
    failed_calls: Counter[str] = field(default_factory=Counter)
    """Non-definite answers (gRPC code) to RefundOrder, each followed by the same call again."""
    cancel_calls: Counter[str] = field(default_factory=Counter)
    """CancelOrder answers for held orders ("PAID", or the gRPC code of a failed call)."""
    slowest: dict[str, float] = field(default_factory=dict)
    """The longest any order spent in each step (seconds), from the moment it was paid."""
    problems: list[str] = field(default_factory=list)
    """What went wrong for the merchant (a held order never found paid, a release refused)."""
    finished: float = 0.0


CONTROL_ATTEMPTS = 5


class Refunder:
    """Takes paid orders from `offer` and refunds them as their plan says, `concurrency` orders
    at a time; `close` then `wait` finishes the work."""

    def __init__(self, plan: ChaosPlan, order_target: str, sandbox_url: str) -> None:
        self._plan = plan
        self._order_target = order_target
        self._sandbox_url = sandbox_url
        self._queue: asyncio.Queue[tuple[str, int, RefundsOfOrder] | None] = asyncio.Queue()
        self.log = RefundLog()

    def offer(self, order_id: str, fee: int, refunds: RefundsOfOrder) -> None:
        self._queue.put_nowait((order_id, fee, refunds))

    def close(self) -> None:
        for _ in range(self._plan.refund_concurrency):
            self._queue.put_nowait(None)

    async def run(self) -> RefundLog:
        async with (
            grpc.aio.insecure_channel(self._order_target) as channel,
            httpx.AsyncClient(base_url=self._sandbox_url, timeout=30.0, trust_env=False) as http,
        ):
            stub = order_pb2_grpc.OrderServiceStub(channel)
            workers = [self._work(stub, http) for _ in range(self._plan.refund_concurrency)]
            await asyncio.gather(*workers)
        self.log.finished = time.monotonic()
        return self.log

    async def _work(
        self, stub: order_pb2_grpc.OrderServiceAsyncStub, http: httpx.AsyncClient
    ) -> None:
        while (job := await self._queue.get()) is not None:
            order_id, fee, refunds = job
            try:
                await self._refund_order(stub, http, order_id, fee, refunds)
            except Exception as error:  # one order's trouble is reported, the others go on
                self.log.problems.append(f"{order_id}: {type(error).__name__}: {error}")

    async def _refund_order(
        self,
        stub: order_pb2_grpc.OrderServiceAsyncStub,
        http: httpx.AsyncClient,
        order_id: str,
        fee: int,
        refunds: RefundsOfOrder,
    ) -> None:
        give_up = time.monotonic() + self._plan.refund_give_up_seconds
        step = _Steps(self.log.slowest)
        if refunds.hold_payment_notify:
            self.log.held.add(order_id)
            await self._learn_paid_by_cancel(stub, order_id, give_up)
            step.done("CancelOrder until PAID")
        if not await self._wait_paid(stub, order_id, give_up):
            self.log.problems.append(f"{order_id}: never PAID in the order system")
        step.done("until the order is PAID")
        numbers = [f"{order_id}r{n}" for n in range(len(refunds.amounts))]
        asks = [
            self._refund(stub, order_id, number, amount, True)
            for number, amount in zip(numbers, refunds.amounts, strict=True)
        ]
        # At once, in both versions: over v3 the refund overtaken by its sibling is asked again
        # naming it (OrderService), so both pass.
        asked = list(await asyncio.gather(*asks))
        if refunds.above_total and all(a.outcome == "accepted" for a in asked):
            left = fee - sum(refunds.amounts)
            number = f"{order_id}r{len(numbers)}"
            await self._refund(stub, order_id, number, left + refunds.above_total, False)
        step.done("RefundOrder until definite")
        if refunds.hold_payment_notify:
            accepted = {a.out_refund_no for a in asked if a.outcome == "accepted"}
            await self._wait_refund_notifies(http, order_id, accepted, give_up)
            step.done("until the refund notifies were delivered")
            answer, retried = await _control(http, "POST", f"/sandbox/orders/{order_id}/release")
            # a retry after a lost answer finds the notify released already
            if answer.status_code != 200 or not (answer.json()["released"] or retried):
                self.log.problems.append(f"{order_id}: release answered {answer.text[:200]}")

    async def _learn_paid_by_cancel(
        self, stub: order_pb2_grpc.OrderServiceAsyncStub, order_id: str, give_up: float
    ) -> None:
        backoff = FIRST_BACKOFF
        while time.monotonic() < give_up:
            try:
                answer = await stub.CancelOrder(
                    order_pb2.CancelOrderRequest(id=order_id), timeout=CALL_TIMEOUT
                )
            except grpc.aio.AioRpcError as error:
                self.log.cancel_calls[error.code().name] += 1
            else:
                outcome = order_pb2.CancelOutcome.Name(answer.outcome)
                self.log.cancel_calls[outcome.removeprefix("CANCEL_OUTCOME_")] += 1
                if answer.outcome != order_pb2.CANCEL_OUTCOME_CLOSED:
                    return
                self.log.problems.append(f"{order_id}: CancelOrder closed a paid order")
                return
            await asyncio.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)

    async def _wait_paid(
        self, stub: order_pb2_grpc.OrderServiceAsyncStub, order_id: str, give_up: float
    ) -> bool:
        while time.monotonic() < give_up:
            try:
                answer = await stub.GetOrder(
                    order_pb2.GetOrderRequest(id=order_id), timeout=CALL_TIMEOUT
                )
                if answer.order.status in PAID_STATUSES:
                    return True
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.2)
        return False

    async def _refund(
        self,
        stub: order_pb2_grpc.OrderServiceAsyncStub,
        order_id: str,
        out_refund_no: str,
        refund_fee: int,
        fits: bool,
    ) -> AskedRefund:
        """Asks until the answer is definite or the plan's patience is spent."""
        request = order_pb2.RefundOrderRequest(
            id=order_id, out_refund_no=out_refund_no, refund_fee=refund_fee, reason="fault run"
        )
        give_up = time.monotonic() + self._plan.refund_give_up_seconds
        attempts, outcome, backoff = 0, "ambiguous", FIRST_BACKOFF
        while time.monotonic() < give_up:
            attempts += 1
            try:
                await stub.RefundOrder(request, timeout=CALL_TIMEOUT)
            except grpc.aio.AioRpcError as error:
                if error.code() in DEFINITE_REFUSALS:
                    outcome = "refused"
                    break
                self.log.failed_calls[error.code().name] += 1
            else:
                outcome = "accepted"
                break
            await asyncio.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)
        asked = AskedRefund(order_id, out_refund_no, refund_fee, fits, outcome, attempts)
        self.log.asked[out_refund_no] = asked
        return asked

    async def _wait_refund_notifies(
        self, http: httpx.AsyncClient, order_id: str, numbers: set[str], give_up: float
    ) -> None:
        """Until WeChat has delivered a notify of each refund in `numbers` (answered SUCCESS)."""
        while numbers and time.monotonic() < give_up:
            answer, _ = await _control(http, "GET", f"/sandbox/orders/{order_id}/deliveries")
            if answer.status_code == 200:
                delivered = {
                    d["out_refund_no"]
                    for d in answer.json()["deliveries"]
                    if d["kind"] == "refund" and d["state"] == "delivered"
                }
                if numbers <= delivered:
                    return
            await asyncio.sleep(0.1)
        if numbers:
            self.log.problems.append(f"{order_id}: refund notifies not delivered in time")


async def _control(http: httpx.AsyncClient, method: str, url: str) -> tuple[httpx.Response, bool]:
    """A call to the sandbox's control API, asked again when the connection fails (a loaded
    machine resets kept-alive connections); True when it was asked again."""
    for attempt in range(CONTROL_ATTEMPTS):
        try:
            return await http.request(method, url), attempt > 0
        except httpx.TransportError:
            if attempt == CONTROL_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


class _Steps:
    def __init__(self, slowest: dict[str, float]) -> None:
        self._slowest = slowest
        self._at = time.monotonic()

    def done(self, step: str) -> None:
        now = time.monotonic()
        self._slowest[step] = round(max(self._slowest.get(step, 0.0), now - self._at), 1)
        self._at = now
