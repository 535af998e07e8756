"""The pending index the reconciler works from: due orders cost what is due, a reschedule never
resurrects an order that left, and the index is rebuilt from PostgreSQL by keyset pages."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg

from order.store import (
    EARLIEST,
    PendingIndex,
    all_pending,
    page_by_expiry,
    redis_client,
)
from tests.fixtures.order import insert_order, insert_orders


async def test_due_orders_come_earliest_first_and_claims_never_overlap(redis_url: str) -> None:
    client = redis_client(redis_url, 1.0)
    index = PendingIndex(client)
    try:
        for n in range(10):
            await index.add(f"order-{n:04d}", 100.0 + n)
        await index.add("order-0000", 999.0)  # an existing schedule is kept
        assert [d.order_id for d in await index.due(now=104.5, limit=3)] == [
            "order-0000",
            "order-0001",
            "order-0002",
        ]
        first = await index.claim_due(now=104.5, limit=3, lease_until=500.0)
        second = await index.claim_due(now=104.5, limit=10, lease_until=500.0)
        assert [d.order_id for d in first] == ["order-0000", "order-0001", "order-0002"]
        assert [d.order_id for d in second] == ["order-0003", "order-0004"]
        assert await index.score("order-0000") == 500.0

        await index.remove("order-0005")
        await index.reschedule("order-0005", 50.0)  # gone: not brought back
        await index.reschedule("order-0006", 50.0)
        assert await index.score("order-0005") is None
        assert [d.order_id for d in await index.due(now=60.0, limit=10)] == ["order-0006"]
    finally:
        await client.aclose()


async def test_the_index_is_rebuilt_from_postgres_without_losing_schedules(
    database_url: str, redis_url: str
) -> None:
    pending = sorted(insert_orders(database_url, 25))
    insert_order(database_url, status="PAID")
    client = redis_client(redis_url, 1.0)
    index = PendingIndex(client)
    try:
        await index.add(pending[0], 123.0)
        assert not await index.is_complete()
        async with await psycopg.AsyncConnection.connect(database_url) as conn:

            async def entries() -> AsyncIterator[tuple[str, float]]:
                async for order in all_pending(conn, page_size=7):
                    yield order.id, 1000.0

            assert await index.rebuild_from(entries(), valid_seconds=60) == 25
            by_expiry = await page_by_expiry(conn, (EARLIEST, ""), 10)
            after = await page_by_expiry(conn, (by_expiry[-1].expire_time, by_expiry[-1].id), 100)
        assert await index.is_complete()
        assert await index.size() == 25
        assert await index.score(pending[0]) == 123.0
        assert await index.score(pending[1]) == 1000.0
        ordered = [o.expire_time for o in by_expiry + after]
        assert len(ordered) == 25
        assert ordered == sorted(ordered)
    finally:
        await client.aclose()
