"""The pending index in Redis: which PENDING orders to check at WeChat, and when.

`orders:pending` is a sorted set: member = order id, score = the next time to check the order
(unix seconds). CreateOrder adds an order (first check a few seconds after creation); whoever
writes the snapshot of an order that left PENDING removes it (the worker after each commit,
GetOrder's read repair: `Snapshots.put`); the reconciler (issue 7) takes what is due and
reschedules it with backoff. The index is derived: when Redis loses it, `rebuild_from()` fills it
again from PostgreSQL (`order.store.pending_orders`) and marks it complete
(`orders:pending:complete`, with a TTL so that the index is also rebuilt from time to time, which
bounds how long an order whose CreateOrder could not reach Redis stays out of it).

Races, and why they are harmless: `reschedule` only moves members that are still there, so a
reconciler never puts back an order the worker just removed; `rebuild_from` adds members that are
missing and keeps existing schedules, so at worst it re-adds an order that left PENDING during the
rebuild, which costs one extra check (whose observation the worker applies as a duplicate, and
removes the order from the index again).
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass

from redis.asyncio import Redis

PENDING_KEY = "orders:pending"
COMPLETE_KEY = "orders:pending:complete"
REBUILD_CHUNK = 1000

# Atomically: the due members (lowest score first, at most ARGV[2]), each moved to ARGV[3].
CLAIM_DUE = """
local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2],
                       'WITHSCORES')
for i = 1, #due, 2 do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], due[i]) end
return due
"""


@dataclass(frozen=True, slots=True)
class DueOrder:
    order_id: str
    due_at: float
    """The score it had: when it was due (unix seconds)."""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class PendingIndex:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def add(self, order_id: str, when: float) -> None:
        """Adds a new pending order, first checked at `when`; an existing schedule is kept."""
        await self._redis.zadd(PENDING_KEY, {order_id: when}, nx=True)

    async def due(self, now: float, limit: int) -> list[DueOrder]:
        """Up to `limit` orders whose check time has come, earliest first (cost ~ limit)."""
        rows = await self._redis.zrangebyscore(
            PENDING_KEY, "-inf", now, start=0, num=limit, withscores=True
        )
        return [DueOrder(_text(row[0]), float(row[1])) for row in rows]

    async def claim_due(self, now: float, limit: int, lease_until: float) -> list[DueOrder]:
        """Like `due`, and atomically reschedules what it returns to `lease_until`, so that two
        overlapping reconciler passes never take the same order."""
        rows: list[bytes] = await self._redis.eval(
            CLAIM_DUE, 1, PENDING_KEY, now, limit, lease_until
        )
        return [DueOrder(_text(rows[i]), float(rows[i + 1])) for i in range(0, len(rows), 2)]

    async def reschedule(self, order_id: str, when: float) -> None:
        """Moves the next check of an order that is still in the index (never re-adds one)."""
        await self._redis.zadd(PENDING_KEY, {order_id: when}, xx=True)

    async def remove(self, *order_ids: str) -> None:
        if order_ids:
            await self._redis.zrem(PENDING_KEY, *order_ids)

    async def score(self, order_id: str) -> float | None:
        score = await self._redis.zscore(PENDING_KEY, order_id)
        return float(score) if score is not None else None

    async def size(self) -> int:
        return int(await self._redis.zcard(PENDING_KEY))

    async def is_complete(self) -> bool:
        """False when the index may miss orders (Redis lost it, or it is due for a rebuild)."""
        return bool(await self._redis.exists(COMPLETE_KEY))

    async def rebuild_from(
        self, entries: AsyncIterable[tuple[str, float]], valid_seconds: int
    ) -> int:
        """Adds every (order id, next check) that is missing, then marks the index complete for
        `valid_seconds`. Returns how many entries it read."""
        count = 0
        chunk: dict[str, float] = {}
        async for order_id, when in entries:
            chunk[order_id] = when
            count += 1
            if len(chunk) >= REBUILD_CHUNK:
                await self._redis.zadd(PENDING_KEY, chunk, nx=True)
                chunk = {}
        if chunk:
            await self._redis.zadd(PENDING_KEY, chunk, nx=True)
        await self._redis.set(COMPLETE_KEY, str(count), ex=max(1, valid_seconds))
        return count
