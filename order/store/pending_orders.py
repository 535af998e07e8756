"""Pending orders in PostgreSQL, page by page with keyset pagination (never OFFSET, which skips
rows when the set changes while paging): the source the pending index is rebuilt from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection

BY_ID = """
    SELECT id, expire_at, created_at FROM orders
    WHERE status = 'PENDING' AND id > %s
    ORDER BY id LIMIT %s
"""
BY_EXPIRY = """
    SELECT id, expire_at, created_at FROM orders
    WHERE status = 'PENDING' AND (expire_at, id) > (%s, %s)
    ORDER BY expire_at, id LIMIT %s
"""
BY_IDS = """
    SELECT id, expire_at, created_at FROM orders WHERE status = 'PENDING' AND id = ANY(%s)
"""
EARLIEST = datetime.fromisoformat("0001-01-01T00:00:00+00:00")


@dataclass(frozen=True, slots=True)
class PendingOrder:
    id: str
    expire_time: datetime
    create_time: datetime


async def page_by_id(conn: AsyncConnection, after_id: str, limit: int) -> list[PendingOrder]:
    """Pending orders with an id greater than `after_id` ("" for the first page), by id."""
    cursor = await conn.execute(BY_ID, (after_id, limit))
    return [PendingOrder(*row) for row in await cursor.fetchall()]


async def pending_among(conn: AsyncConnection, ids: list[str]) -> dict[str, PendingOrder]:
    """Which of these orders are still PENDING (one indexed query for a batch of ids)."""
    cursor = await conn.execute(BY_IDS, (ids,))
    return {row[0]: PendingOrder(*row) for row in await cursor.fetchall()}


async def page_by_expiry(
    conn: AsyncConnection, after: tuple[datetime, str], limit: int
) -> list[PendingOrder]:
    """Pending orders after (expire time, id) `after` (`(EARLIEST, "")` first), soonest first."""
    cursor = await conn.execute(BY_EXPIRY, (after[0], after[1], limit))
    return [PendingOrder(*row) for row in await cursor.fetchall()]


async def all_pending(conn: AsyncConnection, page_size: int = 1000) -> AsyncIterator[PendingOrder]:
    """Every pending order, by id, one page (one short query) at a time."""
    after = ""
    while True:
        page = await page_by_id(conn, after, page_size)
        for order in page:
            yield order
        if len(page) < page_size:
            return
        after = page[-1].id
