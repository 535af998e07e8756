"""The SQL of the worker's batch transaction: reading refunds, writing inbox rows, orders,
refunds, unknown-order records and outbox events, each as one statement over arrays (binary
parameters, so that a 500-row batch costs a few statements, not 500)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from psycopg import AsyncConnection

from order.domain import EmittedEvent, Observation, Order, Outcome, Refund, RefundStatus
from order.wire import event_type, order_event
from runtime.observations import timestamp

OUTBOX_CHANNEL = "order_outbox"

RefundKey = tuple[str, str]


class ConcurrentApplyError(Exception):
    """Another transaction applied part of this batch first; retrying it is safe."""


async def load_refunds(conn: AsyncConnection, order_ids: list[str]) -> dict[str, dict[str, Refund]]:
    """Every stored refund of these orders, by order id, then out_refund_no."""
    cursor = await conn.execute(
        """
        SELECT order_id, out_refund_no, refund_id, refund_fee, status, success_at
        FROM refunds WHERE order_id = ANY(%b)
        """,
        (order_ids,),
    )
    refunds: dict[str, dict[str, Refund]] = {}
    for row in await cursor.fetchall():
        refund = Refund(row[0], row[1], row[2], row[3], RefundStatus(row[4]), row[5])
        refunds.setdefault(refund.order_id, {})[refund.out_refund_no] = refund
    return refunds


async def write_inbox(conn: AsyncConnection, rows: list[tuple[Observation, Outcome]]) -> None:
    if not rows:
        return
    rows = sorted(rows, key=lambda r: r[0].observation_id)
    cursor = await conn.execute(
        """
        INSERT INTO inbox (observation_id, order_id, source, trade_state, outcome)
        SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[])
        ON CONFLICT (observation_id) DO NOTHING
        RETURNING observation_id
        """,
        (
            [o.observation_id for o, _ in rows],
            [o.order_id for o, _ in rows],
            [o.source.value for o, _ in rows],
            [_state(o) for o, _ in rows],
            [outcome.value for _, outcome in rows],
        ),
    )
    if len(await cursor.fetchall()) != len(rows):
        raise ConcurrentApplyError("an observation of this batch was applied concurrently")


def _state(observation: Observation) -> str:
    if observation.refund is not None:
        return f"REFUND_{observation.refund.status.value}"
    return observation.trade_state.value


async def insert_orders(conn: AsyncConnection, orders: list[Order]) -> None:
    if not orders:
        return
    cursor = await conn.execute(
        """
        INSERT INTO orders (id, total_fee, description, attach, status, anomaly, transaction_id,
                            paid_at, expire_at, refunded_fee, created_at, updated_at, version)
        SELECT * FROM unnest(%b::text[], %b::bigint[], %b::text[], %b::text[], %b::text[],
                             %b::text[], %b::text[], %b::timestamptz[], %b::timestamptz[],
                             %b::bigint[], %b::timestamptz[], %b::timestamptz[], %b::bigint[])
        ON CONFLICT (id) DO NOTHING
        RETURNING id
        """,
        (
            [o.id for o in orders],
            [o.total_fee for o in orders],
            [o.description for o in orders],
            [o.attach for o in orders],
            [o.status.value for o in orders],
            [o.anomaly.value if o.anomaly else None for o in orders],
            [o.transaction_id for o in orders],
            [o.paid_time for o in orders],
            [o.expire_time for o in orders],
            [o.refunded_fee for o in orders],
            [o.create_time for o in orders],
            [o.update_time for o in orders],
            [o.version for o in orders],
        ),
    )
    if len(await cursor.fetchall()) != len(orders):
        raise ConcurrentApplyError("an order this batch did not find was created concurrently")


async def update_orders(conn: AsyncConnection, orders: list[Order]) -> None:
    if not orders:
        return
    await conn.execute(
        """
        UPDATE orders AS o
        SET status = v.status, anomaly = v.anomaly, transaction_id = v.transaction_id,
            paid_at = v.paid_at, refunded_fee = v.refunded_fee, updated_at = v.updated_at,
            version = v.version
        FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::timestamptz[],
                    %b::bigint[], %b::timestamptz[], %b::bigint[])
             AS v(id, status, anomaly, transaction_id, paid_at, refunded_fee, updated_at, version)
        WHERE o.id = v.id
        """,
        (
            [o.id for o in orders],
            [o.status.value for o in orders],
            [o.anomaly.value if o.anomaly else None for o in orders],
            [o.transaction_id for o in orders],
            [o.paid_time for o in orders],
            [o.refunded_fee for o in orders],
            [o.update_time for o in orders],
            [o.version for o in orders],
        ),
    )


async def write_refunds(conn: AsyncConnection, refunds: list[Refund], now: datetime) -> None:
    if not refunds:
        return
    await conn.execute(
        """
        INSERT INTO refunds (order_id, out_refund_no, refund_id, refund_fee, status, success_at,
                             created_at, updated_at)
        SELECT v.*, %s, %s
        FROM unnest(%b::text[], %b::text[], %b::text[], %b::bigint[], %b::text[],
                    %b::timestamptz[]) AS v
        ON CONFLICT (order_id, out_refund_no) DO UPDATE
        SET refund_id = excluded.refund_id, refund_fee = excluded.refund_fee,
            status = excluded.status, success_at = excluded.success_at,
            updated_at = excluded.updated_at
        """,
        (
            now,
            now,
            [r.order_id for r in refunds],
            [r.out_refund_no for r in refunds],
            [r.refund_id for r in refunds],
            [r.refund_fee for r in refunds],
            [r.status.value for r in refunds],
            [r.success_time for r in refunds],
        ),
    )


async def write_unknown(conn: AsyncConnection, observations: list[Observation]) -> None:
    if not observations:
        return
    await conn.execute(
        """
        INSERT INTO unknown_order_observations (observation_id, out_trade_no, source,
                                                trade_state, transaction_id, total_fee,
                                                out_refund_no)
        SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[],
                             %b::bigint[], %b::text[])
        ON CONFLICT (observation_id) DO NOTHING
        """,
        (
            [o.observation_id for o in observations],
            [o.order_id for o in observations],
            [o.source.value for o in observations],
            [_state(o) for o in observations],
            [o.transaction_id for o in observations],
            [o.total_fee for o in observations],
            [o.refund.out_refund_no if o.refund else "" for o in observations],
        ),
    )


async def write_outbox(conn: AsyncConnection, events: list[EmittedEvent], now: datetime) -> None:
    if not events:
        return
    occurred = timestamp(now) or Timestamp()
    await conn.execute(
        """
        INSERT INTO outbox (event_id, order_id, order_version, event_type, payload, created_at)
        SELECT v.*, %s
        FROM unnest(%b::text[], %b::text[], %b::bigint[], %b::text[], %b::bytea[]) AS v
        """,
        (
            now,
            [e.event_id for e in events],
            [e.order_id for e in events],
            [e.order_version for e in events],
            [event_type(e) for e in events],
            [order_event(e, occurred).SerializeToString() for e in events],
        ),
    )
    await conn.execute(f"NOTIFY {OUTBOX_CHANNEL}")
