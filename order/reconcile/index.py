"""Making sure the pending index can be trusted before a pass takes from it.

Redis holds derived state only: when the index is missing (Redis was flushed or lost) or its
"complete" mark has expired, every PENDING order in PostgreSQL that is not in it is added back,
due now, reading PostgreSQL with keyset pagination (never OFFSET). Orders already scheduled keep
their schedules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from order.store import PendingIndex, all_pending


async def ensure_complete(
    index: PendingIndex, pool: AsyncConnectionPool, now: datetime, valid_seconds: int
) -> int | None:
    """Rebuilds the index if it may miss orders; returns how many pending orders it read, or
    None when the index was complete."""
    if await index.is_complete():
        return None
    async with pool.connection() as conn:

        async def entries() -> AsyncIterator[tuple[str, float]]:
            async for order in all_pending(conn):
                yield order.id, now.timestamp()

        return await index.rebuild_from(entries(), valid_seconds)
