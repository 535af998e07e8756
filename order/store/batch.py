"""One PostgreSQL transaction that applies a batch of observations exactly once.

Same effect as one transaction per observation, in offset order:
1. lock every order the batch names (`FOR UPDATE`, in id order, so workers never deadlock);
2. drop the observations the inbox already holds (applied before: a replay changes nothing);
3. let the state machine decide each new observation in turn, each seeing the order and its
   refunds as the previous one left them;
4. write the inbox rows (with their outcomes), the orders (version + 1 per change), the refunds,
   the unknown-order records and the outbox events, and NOTIFY the relay; commit.
The row locks serialize writers of one order, so a later writer of an order reads what an
earlier one committed, and its outbox ids are allocated after the earlier ones were committed.
Orders we do not have cannot be locked: a concurrent writer there shows up as a conflict on
the inbox or on the order id, and the whole batch is retried (`ConcurrentApplyError`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from psycopg import AsyncConnection

from order.domain import (
    Decision,
    EmittedEvent,
    Observation,
    Order,
    Outcome,
    Refund,
    decide,
    event_id,
)
from order.store.batch_writes import (
    RefundKey,
    insert_orders,
    load_refunds,
    update_orders,
    write_inbox,
    write_outbox,
    write_refunds,
    write_unknown,
)
from order.store.rows import LOCK_ORDERS, order_from_row


@dataclass
class BatchResult:
    decisions: list[tuple[Observation, Decision]] = field(default_factory=list)
    """The new observations, in offset order, with what they did."""
    duplicates: int = 0
    """Observations already applied before (or repeated within the batch)."""
    orders: dict[str, Order] = field(default_factory=dict)
    """Every order the batch names that exists, as committed (the Redis refresh writes them all,
    which also repairs a snapshot that a crash after an earlier commit left behind)."""
    events: list[EmittedEvent] = field(default_factory=list)


async def apply_batch(
    conn: AsyncConnection, observations: Sequence[Observation], now: datetime
) -> BatchResult:
    """Applies `observations` (offset order) in one transaction on `conn` (autocommit mode)."""
    result = BatchResult()
    unique: dict[str, Observation] = {}
    for observation in observations:
        unique.setdefault(observation.observation_id, observation)
    result.duplicates = len(observations) - len(unique)
    if not unique:
        return result
    order_ids = sorted({o.order_id for o in unique.values()})

    async with conn.transaction():
        cursor = await conn.execute(LOCK_ORDERS, (order_ids,))
        orders = {o.id: o for o in map(order_from_row, await cursor.fetchall())}
        cursor = await conn.execute(
            "SELECT observation_id FROM inbox WHERE observation_id = ANY(%b)",
            (list(unique),),
        )
        seen = {row[0] for row in await cursor.fetchall()}
        new = [o for o in unique.values() if o.observation_id not in seen]
        result.duplicates += len(seen)
        refunds = await load_refunds(conn, order_ids)

        writes = _Writes()
        for observation in new:
            before = orders.get(observation.order_id)
            stored = refunds.setdefault(observation.order_id, {})
            decision = decide(before, observation, stored, at=now)
            result.decisions.append((observation, decision))
            writes.inbox.append((observation, decision.outcome))
            if decision.order is not None:
                orders[observation.order_id] = decision.order
                writes.changed.add(observation.order_id)
                if decision.created:
                    writes.created.add(observation.order_id)
            if decision.refund is not None:
                stored[decision.refund.out_refund_no] = decision.refund
                writes.refunds[decision.refund.order_id, decision.refund.out_refund_no] = (
                    decision.refund
                )
            if decision.outcome is Outcome.UNKNOWN_ORDER:
                writes.unknown.append(observation)
            version = decision.event_version(before)
            for index, event in enumerate(decision.events):
                result.events.append(
                    EmittedEvent(
                        event_id(observation.order_id, observation.observation_id, index, event),
                        observation.order_id,
                        version,
                        event,
                    )
                )

        await write_inbox(conn, writes.inbox)
        await insert_orders(conn, [orders[i] for i in sorted(writes.created)])
        await update_orders(conn, [orders[i] for i in sorted(writes.changed - writes.created)])
        await write_refunds(conn, list(writes.refunds.values()), now)
        await write_unknown(conn, writes.unknown)
        await write_outbox(conn, result.events, now)
    result.orders = orders
    return result


@dataclass
class _Writes:
    inbox: list[tuple[Observation, Outcome]] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    refunds: dict[RefundKey, Refund] = field(default_factory=dict)
    unknown: list[Observation] = field(default_factory=list)
