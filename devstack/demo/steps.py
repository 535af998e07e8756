"""The steps the scenarios are made of; each prints one line of progress with its time."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import segno

from devstack.demo.progress import Progress, ScenarioFailedError
from devstack.demo.wiring import Wiring
from order.reconcile.reconcile_pass import PassSummary
from paystream.events.v1 import events_pb2
from paystream.order.v1 import order_pb2
from paystream.payment.v1 import payment_pb2

T = TypeVar("T")

CALL_TIMEOUT = 5.0
SETTLE_TIMEOUT = 15.0
"""How long a state change may take to show before the step fails."""
POLL_SECONDS = 0.01


def status_name(status: order_pb2.OrderStatus.ValueType) -> str:
    return order_pb2.OrderStatus.Name(status).removeprefix("ORDER_STATUS_")


def yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise ScenarioFailedError(f"{what} within {timeout:.0f} s")
        await asyncio.sleep(POLL_SECONDS)


async def create_order(
    w: Wiring, p: Progress, total_fee: int, description: str, expire_in: float | None = None
) -> order_pb2.Order:
    request = order_pb2.CreateOrderRequest(total_fee=total_fee, description=description)
    label = "CreateOrder"
    if expire_in is not None:
        request.expire_time.FromDatetime(datetime.now(UTC) + timedelta(seconds=expire_in))
        label += f" (payable for {expire_in:.0f} s)"
    with p.step(label) as step:
        answer = await w.orders.CreateOrder(request, timeout=CALL_TIMEOUT)
        order = answer.order
        if w.stock is not None:
            await asyncio.to_thread(w.stock.reserve, order.id)
        step.done(
            f"→ {order.id}  {status_name(order.status)}  {yuan(order.total_fee)}  "
            f"{order.description}"
        )
    return order


async def create_native(
    w: Wiring, p: Progress, order: order_pb2.Order, expire_in: float | None = None
) -> payment_pb2.CreateNativeResponse:
    request = payment_pb2.CreateNativeRequest(
        out_trade_no=order.id,
        total_fee=order.total_fee,
        description=order.description,
        qr_format=payment_pb2.QR_FORMAT_SVG,
    )
    if expire_in is None:
        request.expire_time.CopyFrom(order.expire_time)
        label = "CreateNative"
    else:
        request.expire_time.FromDatetime(datetime.now(UTC) + timedelta(seconds=expire_in))
        label = f"CreateNative (time_expire in {expire_in:.0f} s)"
    with p.step(label) as step:
        answer = await w.payments.CreateNative(request, timeout=CALL_TIMEOUT)
        step.done(f"→ {answer.code_url}  (+ SVG QR code, {len(answer.qr_image):,} bytes)")
    return answer


def print_qr(p: Progress, code_url: str) -> None:
    text = io.StringIO()
    segno.make(code_url, error="m", micro=False).terminal(out=text, compact=True)
    p.block(text.getvalue())


async def pay(w: Wiring, p: Progress, label: str, order_id: str, **mode: Any) -> dict[str, Any]:
    """The customer pays at the sandbox; mode: the delivery of the notify (drop, copies…)."""
    with p.step(label) as step:
        answer = await w.sandbox.post("/sandbox/pay", json={"out_trade_no": order_id, **mode})
        if answer.status_code != 200:
            raise ScenarioFailedError(f"the sandbox refused: {answer.text}")
        paid: dict[str, Any] = answer.json()
        count = len(paid["deliveries"])
        step.done(
            f"→ transaction {paid['order']['transaction_id']}, "
            f"{count} notify {'delivery' if count == 1 else 'deliveries'}"
        )
    return paid


async def deliveries(w: Wiring, order_id: str) -> list[dict[str, Any]]:
    answer = await w.sandbox.get(f"/sandbox/orders/{order_id}/deliveries")
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["deliveries"]
    return found


async def get_order(w: Wiring, order_id: str) -> order_pb2.Order:
    answer = await w.orders.GetOrder(order_pb2.GetOrderRequest(id=order_id), timeout=CALL_TIMEOUT)
    return answer.order


async def wait_for_status(
    w: Wiring, p: Progress, label: str, order_id: str, status: order_pb2.OrderStatus.ValueType
) -> order_pb2.Order:
    with p.step(label) as step:

        async def reached() -> order_pb2.Order | None:
            order = await get_order(w, order_id)
            return order if order.status == status else None

        order = await eventually(
            reached, SETTLE_TIMEOUT, f"the order was not {status_name(status)}"
        )
        step.done(f"→ {status_name(order.status)}  (GetOrder; version {order.version})")
    return order


async def observations(
    w: Wiring, order_id: str, count: int = 1
) -> list[events_pb2.PaymentObserved]:
    """What reached payment.observations about the order (at least `count` records)."""
    values = await asyncio.to_thread(
        w.observations.read, order_id, lambda found: len(found) >= count, SETTLE_TIMEOUT
    )
    return [events_pb2.PaymentObserved.FromString(v) for v in values]


def source(record: events_pb2.PaymentObserved) -> str:
    """NOTIFY, POLL or CANCEL."""
    return events_pb2.ObservationSource.Name(record.source).removeprefix("OBSERVATION_SOURCE_")


async def read_events(
    w: Wiring, p: Progress, order_id: str, kind: str, settle: float = 0.0
) -> list[events_pb2.OrderEvent]:
    """The order's events on order.events once one of `kind` arrived (and `settle` s more)."""
    label = f"{kind} read back from {w.order_events.topic}"
    with p.step(label) as step:
        values = await asyncio.to_thread(
            w.order_events.read,
            order_id,
            lambda found: any(_kind(v) == kind for v in found),
            SETTLE_TIMEOUT,
            settle,
        )
        events = [events_pb2.OrderEvent.FromString(v) for v in values]
        if not any(e.WhichOneof("kind") == _field(kind) for e in events):
            raise ScenarioFailedError(f"no {kind} event within {SETTLE_TIMEOUT:.0f} s")
        step.done(f"→ {', '.join(describe_event(e) for e in events)}")
    return events


def _field(kind: str) -> str:
    return kind.removeprefix("Order").lower()


def _kind(value: bytes) -> str:
    name = events_pb2.OrderEvent.FromString(value).WhichOneof("kind") or ""
    return f"Order{name.capitalize()}"


def describe_event(event: events_pb2.OrderEvent) -> str:
    kind = event.WhichOneof("kind") or "?"
    text = f"Order{kind.capitalize()} (event {event.event_id}, version {event.order_version}"
    if kind == "paid":
        text += f", transaction {event.paid.transaction_id}"
    elif kind == "closed":
        text += f', reason "{event.closed.reason}"'
    return text + ")"


async def reconcile(
    w: Wiring, p: Progress, label: str, close_grace_seconds: float | None = None
) -> PassSummary:
    with p.step(label) as step:
        summary = await w.reconcile(close_grace_seconds)
        step.done(
            f"→ due={summary.due} queried={summary.queried} paid={summary.paid} "
            f"closed={summary.closed} rescheduled={summary.rescheduled} errors={summary.errors}"
        )
    return summary
