"""Where orders are kept: PostgreSQL (the truth) and Redis (snapshots and the pending index)."""

from order.store.batch import BatchResult, apply_batch
from order.store.batch_writes import OUTBOX_CHANNEL, ConcurrentApplyError
from order.store.orders import OrderStore
from order.store.pending_index import COMPLETE_KEY, PENDING_KEY, DueOrder, PendingIndex
from order.store.pending_orders import (
    EARLIEST,
    PendingOrder,
    all_pending,
    page_by_expiry,
    page_by_id,
    pending_among,
)
from order.store.redis_client import REDIS_ERRORS, redis_client
from order.store.refunds import OpenRefund, RefundStore, Reservation
from order.store.snapshots import Snapshots, snapshot_key

__all__ = [
    "COMPLETE_KEY",
    "EARLIEST",
    "OUTBOX_CHANNEL",
    "PENDING_KEY",
    "REDIS_ERRORS",
    "BatchResult",
    "ConcurrentApplyError",
    "DueOrder",
    "OpenRefund",
    "OrderStore",
    "PendingIndex",
    "PendingOrder",
    "RefundStore",
    "Reservation",
    "Snapshots",
    "all_pending",
    "apply_batch",
    "page_by_expiry",
    "page_by_id",
    "pending_among",
    "redis_client",
    "snapshot_key",
]
