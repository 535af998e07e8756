"""The four stories the demo tells, each checked as it goes: a failed check ends the scenario
with a ScenarioFailedError that says what was not seen."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from devstack.demo import steps
from devstack.demo.progress import Progress, ScenarioFailedError
from devstack.demo.wiring import Wiring
from paystream.order.v1 import order_pb2

PAID = order_pb2.ORDER_STATUS_PAID
CLOSED = order_pb2.ORDER_STATUS_CLOSED
PENDING = order_pb2.ORDER_STATUS_PENDING

STORM_COPIES = 16
PAYMENT_WINDOW = 2.0
"""Scenario 3's order: payable for this long here (CreateOrder takes any future expire time)."""
WECHAT_MINIMUM = 65.0
"""...but WeChat wants time_expire at least 1 min ahead (plus a margin for the clocks)."""
QUIET_SECONDS = 1.0
"""How long the storm waits for a second event that must not come."""


@dataclass(frozen=True)
class Scenario:
    title: str
    story: str
    run: Callable[[Wiring, Progress], Awaitable[str]]
    """Runs the steps; returns what held, for the summary."""


async def happy_path(w: Wiring, p: Progress) -> str:
    order = await steps.create_order(w, p, 1999, "馥芮白咖啡")
    native = await steps.create_native(w, p, order)
    p.note("the code_url as the QR code the customer scans (the cashier page shows it as SVG):")
    steps.print_qr(p, native.code_url)
    await steps.pay(w, p, "the customer scans and pays (sandbox)", order.id)
    paid = await steps.wait_for_status(w, p, "notify → gateway → Kafka → worker", order.id, PAID)
    sources = [steps.source(r) for r in await steps.observations(w, order.id)]
    if set(sources) != {"NOTIFY"}:
        raise ScenarioFailedError(f"expected observations from the notify, saw {sources}")
    events = await steps.read_events(w, p, order.id, "OrderPaid")
    if events[0].paid.transaction_id != paid.transaction_id:
        raise ScenarioFailedError("the event's transaction is not the order's")
    return "PAID through the notify; OrderPaid on order.events"


async def lost_notify(w: Wiring, p: Progress) -> str:
    order = await steps.create_order(w, p, 2500, "纽约芝士蛋糕")
    await steps.create_native(w, p, order)
    await steps.pay(
        w, p, "the customer pays; the sandbox drops the notify", order.id, delivery="drop"
    )
    with p.step("nothing arrives") as step:
        delivered = await steps.deliveries(w, order.id)
        states = sorted({d["state"] for d in delivered})
        still = await steps.get_order(w, order.id)
        if states != ["dropped"] or still.status != PENDING:
            raise ScenarioFailedError(f"deliveries {states}, order {still.status}")
        step.done("→ delivery dropped; the order is still PENDING (WeChat has the money)")
    with p.step("the reconciler's next check comes") as step:
        await w.bring_check_forward(order.id)
        step.done("→ due now in the pending index (normally within a minute: CronJob)")
    await steps.reconcile(w, p, "reconciler pass: QueryStatus → SUCCESS, reported", None)
    await steps.wait_for_status(w, p, "Kafka → worker", order.id, PAID)
    sources = [steps.source(r) for r in await steps.observations(w, order.id)]
    if set(sources) != {"POLL"}:
        raise ScenarioFailedError(f"expected observations from the reconciler, saw {sources}")
    await steps.read_events(w, p, order.id, "OrderPaid")
    return "PAID through the reconciler's query; OrderPaid"


async def timeout(w: Wiring, p: Progress) -> str:
    p.note(
        f"The order is payable here for {PAYMENT_WINDOW:.0f} s. WeChat wants time_expire at least"
        f" 1 min ahead,\nso it is placed there with {WECHAT_MINIMUM:.0f} s: the code outlives"
        " the order, which is why the\nreconciler closes at WeChat before anything changes here."
        " This pass runs with\nRECONCILE_CLOSE_GRACE_SECONDS=0 (default 60 s: WeChat's clock may"
        " run behind)."
    )
    order = await steps.create_order(w, p, 3800, "酸种面包", expire_in=PAYMENT_WINDOW)
    await steps.create_native(w, p, order, expire_in=WECHAT_MINIMUM)
    with p.step("nobody pays; the order's expire time passes") as step:
        left = order.expire_time.ToDatetime().timestamp() - time.time()
        await asyncio.sleep(max(0.0, left) + 0.1)
        step.done(f"→ expired at {order.expire_time.ToJsonString()}")
    with p.step("the reconciler's next check comes") as step:
        await w.bring_check_forward(order.id)
        step.done("→ due now in the pending index")
    await steps.reconcile(w, p, "reconciler pass: CloseOrder at WeChat, CLOSED reported", 0.0)
    with p.step("the customer tries to pay now (sandbox)") as step:
        answer = await w.sandbox.post("/sandbox/pay", json={"out_trade_no": order.id})
        refusal = answer.json().get("error", "")
        if answer.status_code != 409 or refusal != "ORDER_CLOSED":
            raise ScenarioFailedError(f"WeChat still takes money: {answer.status_code} {refusal}")
        step.done(f"→ refused: {refusal} (closed at WeChat)")
    await steps.wait_for_status(w, p, "Kafka → worker", order.id, CLOSED)
    events = await steps.read_events(w, p, order.id, "OrderClosed")
    p.note("(OrderClosed is what a stock service consumes to put the goods back)")
    return f'closed at WeChat, then CLOSED here; OrderClosed "{events[0].closed.reason}"'


async def duplicate_storm(w: Wiring, p: Progress) -> str:
    order = await steps.create_order(w, p, 999, "意式浓缩")
    await steps.create_native(w, p, order)
    await steps.pay(
        w,
        p,
        f"the customer pays; {STORM_COPIES} identical notifies at once",
        order.id,
        copies=STORM_COPIES,
    )
    paid = await steps.wait_for_status(w, p, "gateway → Kafka → worker", order.id, PAID)
    with p.step("every copy answered") as step:

        async def all_delivered() -> list[dict[str, object]] | None:
            found = await steps.deliveries(w, order.id)
            done = [d for d in found if d["state"] == "delivered"]
            return found if len(done) == STORM_COPIES else None

        answers = await steps.eventually(
            all_delivered, steps.SETTLE_TIMEOUT, "not every copy delivered"
        )
        records = await steps.observations(w, order.id, STORM_COPIES)
        ids = {r.observation_id for r in records}
        if len(records) < STORM_COPIES or len(ids) != 1:
            raise ScenarioFailedError(f"{len(records)} records, {len(ids)} observation ids")
        step.done(
            f"→ {gateway_answers(answers)} from the gateway; {len(records)} records on "
            f"{w.observations.topic}, all one observation id"
        )
    events = await steps.read_events(w, p, order.id, "OrderPaid", settle=QUIET_SECONDS)
    final = await steps.get_order(w, order.id)
    if len(events) != 1 or final.version != paid.version or final.version != 2:
        raise ScenarioFailedError(
            f"{len(events)} events and version {final.version}: expected 1 event, version 2"
        )
    p.note(
        f"one state change (version 1 → 2) and one event: the worker's inbox knew the other "
        f"{STORM_COPIES - 1} copies' observation id"
    )
    return f"{STORM_COPIES} notifies → one change (version 2), one OrderPaid"


def gateway_answers(deliveries: list[dict[str, Any]]) -> str:
    """What the gateway answered the delivered copies, as the sandbox recorded it: `16 × SUCCESS`
    for v2's XML, `16 × HTTP 204` for v3's empty answer."""
    last = [d["attempts"][-1] for d in deliveries if d["attempts"]]
    said = Counter(
        "SUCCESS"
        if a["http_status"] == 200 and "SUCCESS" in a["reply_excerpt"]
        else f"HTTP {a['http_status']}"
        for a in last
    )
    return ", ".join(f"{count} × {what}" for what, count in said.most_common())


SCENARIOS = (
    Scenario(
        "happy path",
        "the customer pays; WeChat's notify goes gateway → Kafka → worker.",
        happy_path,
    ),
    Scenario(
        "lost notify",
        "WeChat takes the money, but its notify is lost; the reconciler finds out.",
        lost_notify,
    ),
    Scenario(
        "timeout",
        "nobody pays; the reconciler closes the order at WeChat first, then here.",
        timeout,
    ),
    Scenario(
        "duplicate storm",
        f"WeChat delivers the same notify {STORM_COPIES} times at once.",
        duplicate_storm,
    ),
)
