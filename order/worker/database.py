"""The worker's PostgreSQL side: one connection per applier, reopened after a failure, and the
unit of work that applies one batch on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from psycopg import AsyncConnection

from order.domain import Observation, Order
from order.store import BatchResult, apply_batch
from order.store.rows import SELECT_ORDERS, order_from_row

CONNECT_TIMEOUT_SECONDS = 5


class Connection:
    """One PostgreSQL connection (autocommit; transactions are explicit), opened on first use
    and opened again after it broke."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: AsyncConnection | None = None

    async def get(self) -> AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            await self.discard()
            self._conn = await AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
        return self._conn

    async def discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            await conn.close()

    async def close(self) -> None:
        await self.discard()


class BatchApplier:
    """Applies batches of observations, one transaction each, on its own connection. The
    consumer loop has one; concurrent callers (tests, several consumers) each need their own."""

    def __init__(self, connection: Connection, clock: Callable[[], datetime]) -> None:
        self._connection = connection
        self._clock = clock

    async def apply(self, observations: Sequence[Observation]) -> BatchResult:
        conn = await self._connection.get()
        try:
            return await apply_batch(conn, observations, self._clock())
        finally:
            if conn.broken:
                await self._connection.discard()

    async def read_orders(self, order_ids: list[str]) -> list[Order]:
        """The orders as committed now (for repairing Redis)."""
        conn = await self._connection.get()
        try:
            cursor = await conn.execute(SELECT_ORDERS, (order_ids,))
            return [order_from_row(row) for row in await cursor.fetchall()]
        finally:
            if conn.broken:
                await self._connection.discard()
