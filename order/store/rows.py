"""Order rows as domain orders: the one place that knows the orders table's column order."""

from __future__ import annotations

from typing import Any

from order.domain import Anomaly, Order, Status

# Every query that reads whole orders names the columns in this order (see order_from_row).
SELECT_ORDER = """
    SELECT id, total_fee, description, attach, status, anomaly, transaction_id, paid_at,
           expire_at, refunded_fee, created_at, updated_at, version
    FROM orders WHERE id = %s
"""
SELECT_ORDERS = """
    SELECT id, total_fee, description, attach, status, anomaly, transaction_id, paid_at,
           expire_at, refunded_fee, created_at, updated_at, version
    FROM orders WHERE id = ANY(%s)
"""
LOCK_ORDERS = """
    SELECT id, total_fee, description, attach, status, anomaly, transaction_id, paid_at,
           expire_at, refunded_fee, created_at, updated_at, version
    FROM orders WHERE id = ANY(%b) ORDER BY id FOR UPDATE
"""
INSERT_PENDING_ORDER = """
    INSERT INTO orders (id, total_fee, description, attach, expire_at, created_at, updated_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (id) DO NOTHING
    RETURNING id, total_fee, description, attach, status, anomaly, transaction_id, paid_at,
              expire_at, refunded_fee, created_at, updated_at, version
"""


def order_from_row(row: tuple[Any, ...]) -> Order:
    (
        order_id,
        total_fee,
        description,
        attach,
        status,
        anomaly,
        transaction_id,
        paid_at,
        expire_at,
        refunded_fee,
        created_at,
        updated_at,
        version,
    ) = row
    return Order(
        id=order_id,
        total_fee=total_fee,
        description=description,
        attach=attach,
        status=Status(status),
        anomaly=Anomaly(anomaly) if anomaly else None,
        transaction_id=transaction_id,
        paid_time=paid_at,
        expire_time=expire_at,
        refunded_fee=refunded_fee,
        create_time=created_at,
        update_time=updated_at,
        version=version,
    )
