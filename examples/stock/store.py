"""Stock in PostgreSQL: reservations the shop makes, and the order events that settle them, each
event applied once, in the same transaction as its stock change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import psycopg

from paystream.events.v1 import events_pb2

SCHEMA = (Path(__file__).parent / "schema.sql").read_text()


class OutOfStockError(Exception):
    """Not enough of an item is free to reserve."""


class Outcome(StrEnum):
    DUPLICATE = "DUPLICATE"  # the event was applied before
    COMMITTED = "COMMITTED"  # paid: the reserved stock is sold
    RECOMMITTED = "RECOMMITTED"  # paid after its close, and the stock was still there
    REFUND_NEEDED = "REFUND_NEEDED"  # paid after its close, the stock gone
    RELEASED = "RELEASED"  # closed unpaid: the stock is back on sale
    NO_CHANGE = "NO_CHANGE"  # nothing to do (already settled, or the order holds no stock)
    NOT_FOR_STOCK = "NOT_FOR_STOCK"  # refunds and anomalies: a person decides about goods
    UNKNOWN_KIND = "UNKNOWN_KIND"  # an event type newer than this consumer: skipped, recorded


@dataclass(frozen=True)
class Where:
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Item:
    sku: str
    on_hand: int
    reserved: int


def create_schema(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute(SCHEMA)


def put_items(conn: psycopg.Connection, on_hand: Mapping[str, int]) -> None:
    """Sets the stock of these items (a delivery, or a test's starting stock)."""
    with conn.transaction():
        for sku, count in on_hand.items():
            conn.execute(
                "INSERT INTO stock_items (sku, on_hand) VALUES (%s, %s)"
                " ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand",
                (sku, count),
            )


def items(conn: psycopg.Connection) -> dict[str, Item]:
    rows = conn.execute("SELECT sku, on_hand, reserved FROM stock_items ORDER BY sku").fetchall()
    return {sku: Item(sku, on_hand, reserved) for sku, on_hand, reserved in rows}


def reserve(conn: psycopg.Connection, order_id: str, lines: Mapping[str, int]) -> None:
    """Holds the lines for the order, all or none (raises OutOfStockError). Idempotent: a second
    call for the same order changes nothing."""
    with conn.transaction():
        held = conn.execute(
            "SELECT 1 FROM stock_reservations WHERE order_id = %s LIMIT 1", (order_id,)
        ).fetchone()
        if held is not None:
            return
        if not _hold(conn, lines):
            raise OutOfStockError(f"not enough stock for order {order_id}")
        for sku, quantity in sorted(lines.items()):
            conn.execute(
                "INSERT INTO stock_reservations (order_id, sku, quantity, state)"
                " VALUES (%s, %s, %s, 'RESERVED')",
                (order_id, sku, quantity),
            )


def apply(conn: psycopg.Connection, event: events_pb2.OrderEvent, where: Where) -> Outcome:
    """Applies one event of `order.events` in one transaction, unless it was applied before."""
    kind = event.WhichOneof("kind") or "unknown"
    with conn.transaction():
        first = conn.execute(
            "INSERT INTO stock_processed_events"
            " (event_id, order_id, kind, outcome, topic, kafka_partition, kafka_offset)"
            " VALUES (%s, %s, %s, '', %s, %s, %s) ON CONFLICT (event_id) DO NOTHING"
            " RETURNING event_id",
            (event.event_id, event.order_id, kind, where.topic, where.partition, where.offset),
        ).fetchone()
        if first is None:
            return Outcome.DUPLICATE
        outcome = _settle(conn, event.order_id, kind)
        conn.execute(
            "UPDATE stock_processed_events SET outcome = %s WHERE event_id = %s",
            (outcome.value, event.event_id),
        )
        return outcome


def _settle(conn: psycopg.Connection, order_id: str, kind: str) -> Outcome:
    if kind in ("refunded", "anomaly"):
        return Outcome.NOT_FOR_STOCK
    if kind not in ("paid", "closed"):
        return Outcome.UNKNOWN_KIND
    rows = conn.execute(
        "SELECT sku, quantity, state FROM stock_reservations WHERE order_id = %s"
        " ORDER BY sku FOR UPDATE",
        (order_id,),
    ).fetchall()
    states = {state for _, _, state in rows}
    lines = {sku: quantity for sku, quantity, _ in rows}
    if kind == "closed":
        if states != {"RESERVED"}:
            return Outcome.NO_CHANGE
        _unhold(conn, lines)
        _set_state(conn, order_id, "RELEASED")
        return Outcome.RELEASED
    if states == {"RESERVED"}:
        _unhold(conn, lines)
        _sell(conn, lines)
        _set_state(conn, order_id, "COMMITTED")
        return Outcome.COMMITTED
    if states == {"RELEASED"}:
        if not _hold(conn, lines):
            _set_state(conn, order_id, "REFUND_NEEDED")
            return Outcome.REFUND_NEEDED
        _unhold(conn, lines)
        _sell(conn, lines)
        _set_state(conn, order_id, "COMMITTED")
        return Outcome.RECOMMITTED
    return Outcome.NO_CHANGE


class _ShortError(Exception):
    pass


def _hold(conn: psycopg.Connection, lines: Mapping[str, int]) -> bool:
    """Adds the lines to `reserved` if every one is free; False, and nothing changed, if not."""
    try:
        with conn.transaction():  # a savepoint: all lines or none
            for sku, quantity in sorted(lines.items()):  # one lock order: no deadlocks
                row = conn.execute(
                    "UPDATE stock_items SET reserved = reserved + %s"
                    " WHERE sku = %s AND on_hand - reserved >= %s RETURNING sku",
                    (quantity, sku, quantity),
                ).fetchone()
                if row is None:
                    raise _ShortError(sku)
    except _ShortError:
        return False
    return True


def _unhold(conn: psycopg.Connection, lines: Mapping[str, int]) -> None:
    for sku, quantity in sorted(lines.items()):
        conn.execute(
            "UPDATE stock_items SET reserved = reserved - %s WHERE sku = %s", (quantity, sku)
        )


def _sell(conn: psycopg.Connection, lines: Mapping[str, int]) -> None:
    for sku, quantity in sorted(lines.items()):
        conn.execute(
            "UPDATE stock_items SET on_hand = on_hand - %s WHERE sku = %s", (quantity, sku)
        )


def _set_state(conn: psycopg.Connection, order_id: str, state: str) -> None:
    conn.execute(
        "UPDATE stock_reservations SET state = %s, updated_at = now() WHERE order_id = %s",
        (state, order_id),
    )
