"""Orders in PostgreSQL for OrderService: create (idempotent on id) and read."""

from __future__ import annotations

from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from order.domain import NewOrder, Order
from order.store.rows import INSERT_PENDING_ORDER, SELECT_ORDER, order_from_row


class OrderStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def create(self, new: NewOrder, now: datetime) -> tuple[Order, bool]:
        """Inserts a PENDING order; returns it and True, or the order already under that id
        and False (the caller compares amounts)."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                INSERT_PENDING_ORDER,
                (new.id, new.total_fee, new.description, new.attach, new.expire_time, now, now),
            )
            row = await cursor.fetchone()
            if row is not None:
                return order_from_row(row), True
            cursor = await conn.execute(SELECT_ORDER, (new.id,))
            row = await cursor.fetchone()
        if row is None:  # pragma: no cover - orders are never deleted
            raise RuntimeError(f"order {new.id} conflicted on insert but cannot be read")
        return order_from_row(row), False

    async def get(self, order_id: str) -> Order | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(SELECT_ORDER, (order_id,))
            row = await cursor.fetchone()
        return order_from_row(row) if row is not None else None

    async def was_applied(self, observation_id: str) -> bool:
        """Whether the worker applied this observation (its id is in the inbox)."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT EXISTS (SELECT 1 FROM inbox WHERE observation_id = %s)", (observation_id,)
            )
            row = await cursor.fetchone()
        return bool(row and row[0])
