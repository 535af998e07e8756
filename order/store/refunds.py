"""The refunds OrderService.RefundOrder asks for, kept under the order's row lock.

A refund is reserved (kept as PROCESSING) before WeChat is asked, in a transaction that locks
the order row, so two concurrent refunds of one order see each other and cannot both pass the
limit. The worker takes the refund from there when WeChat's outcome arrives (it upserts by
order id and out_refund_no). A reservation WeChat refused for certain is released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from order.domain import (
    Order,
    OrderNotFoundError,
    Refund,
    RefundConflictError,
    RefundNotAllowedError,
    RefundStatus,
)
from order.domain.refund_request import RefundRequest, refund_refusal
from order.store.rows import order_from_row

_LOCK_ORDER = """
    SELECT id, total_fee, description, attach, status, anomaly, transaction_id, paid_at,
           expire_at, refunded_fee, created_at, updated_at, version
    FROM orders WHERE id = %s FOR UPDATE
"""
_REFUNDS_OF = """
    SELECT order_id, out_refund_no, refund_id, refund_fee, status, success_at
    FROM refunds WHERE order_id = %s ORDER BY created_at, out_refund_no
"""


@dataclass(frozen=True, slots=True)
class OpenRefund:
    """A refund still PROCESSING here: its outcome has not reached the worker."""

    order_id: str
    out_refund_no: str
    refund_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Reservation:
    order: Order
    refund: Refund
    others: tuple[str, ...]
    """The order's other refunds by out_refund_no."""
    new: bool
    """False: the refund was reserved (or made) before, by an earlier call with this number."""


class RefundStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def reserve(self, request: RefundRequest, now: datetime) -> Reservation:
        """Keeps the refund as PROCESSING if the order can take it; an earlier reservation of
        the same number and amount is returned as it is."""
        async with self._pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(_LOCK_ORDER, (request.order_id,))
            row = await cursor.fetchone()
            if row is None:
                raise OrderNotFoundError(request.order_id)
            order = order_from_row(row)
            cursor = await conn.execute(_REFUNDS_OF, (request.order_id,))
            refunds = [
                Refund(r[0], r[1], r[2], r[3], RefundStatus(r[4]), r[5])
                for r in await cursor.fetchall()
            ]
            others = tuple(
                r.out_refund_no for r in refunds if r.out_refund_no != request.out_refund_no
            )
            earlier = next((r for r in refunds if r.out_refund_no == request.out_refund_no), None)
            if earlier is not None:
                if earlier.refund_fee != request.refund_fee:
                    raise RefundConflictError(
                        f"{request.out_refund_no} already refunds {earlier.refund_fee} fen of "
                        f"order {order.id}, not {request.refund_fee}"
                    )
                return Reservation(order, earlier, others, new=False)
            refusal = refund_refusal(order, refunds, request)
            if refusal is not None:
                raise RefundNotAllowedError(refusal)
            refund = Refund(
                order.id, request.out_refund_no, "", request.refund_fee, RefundStatus.PROCESSING
            )
            await conn.execute(
                """
                INSERT INTO refunds (order_id, out_refund_no, refund_fee, status, created_at,
                                     updated_at)
                VALUES (%s, %s, %s, %s, %s, %s)
                """,
                (order.id, refund.out_refund_no, refund.refund_fee, refund.status.value, now, now),
            )
        return Reservation(order, refund, others, new=True)

    async def accepted(self, order_id: str, out_refund_no: str, refund_id: str) -> None:
        """Notes WeChat's refund id on the reservation (the worker's notify may have already)."""
        async with self._pool.connection() as conn:
            await conn.execute(
                """
                UPDATE refunds SET refund_id = %s
                WHERE order_id = %s AND out_refund_no = %s AND refund_id = ''
                """,
                (refund_id, order_id, out_refund_no),
            )

    async def release(self, order_id: str, out_refund_no: str) -> None:
        """Forgets a reservation WeChat refused for certain (so it holds no money), unless
        WeChat's outcome already reached the worker."""
        async with self._pool.connection() as conn:
            await conn.execute(
                """
                DELETE FROM refunds
                WHERE order_id = %s AND out_refund_no = %s AND status = 'PROCESSING'
                  AND refund_id = ''
                """,
                (order_id, out_refund_no),
            )

    async def open_since(self, before: datetime, limit: int) -> list[OpenRefund]:
        """Refunds PROCESSING here since before `before`, oldest first."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                """
                SELECT order_id, out_refund_no, refund_id, created_at FROM refunds
                WHERE status = 'PROCESSING' AND created_at < %s
                ORDER BY created_at LIMIT %s
                """,
                (before, limit),
            )
            return [OpenRefund(*row) for row in await cursor.fetchall()]

    async def numbers(self, order_id: str) -> list[str]:
        """The order's refunds by out_refund_no (what API v3 cannot list)."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT out_refund_no FROM refunds WHERE order_id = %s ORDER BY out_refund_no",
                (order_id,),
            )
            return [row[0] for row in await cursor.fetchall()]
