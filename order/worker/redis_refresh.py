"""After a commit, bring Redis in line: the snapshot of every order the batch named (guarded by
version) and, for orders that left PENDING, their removal from the pending index (one script,
one round trip: `Snapshots.put`).

Redis is derived, so its failures never hold the worker back: after one quick retry the orders
go to a backlog, Redis is left alone for a moment (a dead Redis costs no timeout per batch), and
the backlog is written from PostgreSQL's current state once Redis answers again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable

from order.domain import Order
from order.store import REDIS_ERRORS, Snapshots
from order.worker import metrics
from order.worker.failures import DATABASE_ERRORS, is_transient
from runtime.logs import get_logger

log = get_logger(__name__)

BACKLOG_CAP = 100_000
REPAIR_CHUNK = 1000
QUICK_RETRY_SECONDS = 0.05


class RedisRefresher:
    def __init__(
        self,
        snapshots: Snapshots,
        read_orders: Callable[[list[str]], Awaitable[list[Order]]],
        rest_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._snapshots = snapshots
        self._read_orders = read_orders
        self._rest_seconds = rest_seconds
        self._clock = clock
        self._rest_until = 0.0
        self._backlog: dict[str, None] = {}  # an ordered set

    @property
    def backlog(self) -> int:
        return len(self._backlog)

    async def refresh(self, orders: Iterable[Order]) -> bool:
        """Writes the orders' snapshots and index entries; False when they went to the backlog."""
        orders = list(orders)
        if not orders:
            return True
        if self._resting():
            self._defer(orders)
            return False
        for attempt in range(2):
            try:
                await self._write(orders)
                break
            except REDIS_ERRORS as error:
                if attempt == 0:
                    await asyncio.sleep(QUICK_RETRY_SECONDS)
                    continue
                self._failed(error)
                self._defer(orders)
                return False
        await self.repair_some()
        return True

    async def repair_some(self) -> None:
        """Writes one chunk of the backlog from PostgreSQL's current state, if Redis answers."""
        if not self._backlog or self._resting():
            return
        chunk = list(self._backlog)[:REPAIR_CHUNK]
        repaired = True
        try:
            orders = await self._read_orders(chunk)
            await self._write(orders)
        except REDIS_ERRORS as error:
            self._failed(error)
            return
        except DATABASE_ERRORS as error:
            if is_transient(error):
                return  # the consumer loop reports PostgreSQL trouble; try again later
            # Redis is derived: the next observation of these orders writes them again.
            log.error("redis repair dropped", orders=len(chunk), error=repr(error))
            repaired = False
        for order_id in chunk:
            self._backlog.pop(order_id, None)
        metrics.REDIS_BACKLOG.set(len(self._backlog))
        if repaired:
            log.info("redis repaired", orders=len(chunk), backlog=len(self._backlog))

    async def _write(self, orders: list[Order]) -> None:
        await self._snapshots.put(*orders)

    def _resting(self) -> bool:
        return self._clock() < self._rest_until

    def _failed(self, error: BaseException) -> None:
        metrics.REDIS_FAILURES.inc()
        self._rest_until = self._clock() + self._rest_seconds
        log.warning(
            "redis refresh failed; orders kept for repair",
            error=repr(error),
            backlog=len(self._backlog),
        )

    def _defer(self, orders: list[Order]) -> None:
        for order in orders:
            self._backlog[order.id] = None
        overflow = len(self._backlog) - BACKLOG_CAP
        if overflow > 0:
            for order_id in list(self._backlog)[:overflow]:
                del self._backlog[order_id]
            log.error(
                "redis backlog full: oldest orders dropped from it; their snapshots expire or "
                "are rewritten on their next change",
                dropped=overflow,
            )
        metrics.REDIS_BACKLOG.set(len(self._backlog))
