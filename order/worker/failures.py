"""Which failures are worth retrying: the dependency is down or two writers collided."""

from __future__ import annotations

import psycopg
from psycopg_pool import PoolTimeout

from order.store import ConcurrentApplyError
from runtime.kafka import ProduceError

TRANSIENT_DATABASE_ERRORS = (
    psycopg.OperationalError,  # connection lost, server shutting down, serialization, deadlock
    psycopg.InterfaceError,  # the connection is closed
    PoolTimeout,
    ConcurrentApplyError,
    OSError,
)
TRANSIENT_KAFKA_ERRORS = (ProduceError,)
