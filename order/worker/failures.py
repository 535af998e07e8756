"""Which failures are worth retrying: a closed, named list. Everything else about a record makes
that record poison (it goes to the dead-letter topic and the worker goes on).

Retried, because the dependency (not the record) is at fault and waiting fixes it:
- the connection: refused, lost or closed (no SQLSTATE, or class 08), the pool timed out;
- the server going away or not yet accepting: admin/crash shutdown, cannot connect now (57P0x);
- two writers colliding: serialization failure, deadlock (class 40), lock not available (55P03),
  our own ConcurrentApplyError;
- the server out of resources: too many connections, disk full, out of memory (class 53), a
  system or I/O error (class 58), a statement cancelled by its timeout (57014);
- the deployment broken for every record alike: the schema or a privilege missing (class 42,
  e.g. migrations not run), authentication refused (class 28), no such database (3D000). Sending
  every record to the dead-letter topic would not fix these either.

Not retried, because the same record fails the same way again: data exceptions (class 22: a
value out of range, a NUL in text, a string too long), integrity violations (class 23), program
limits (class 54: a key over the btree size), and any error that is not PostgreSQL's.
"""

from __future__ import annotations

import psycopg
from psycopg_pool import PoolTimeout

from order.store import ConcurrentApplyError
from runtime.kafka import ProduceError

TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "28", "40", "42", "53", "58"})
TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "57014", "55P03", "3D000"})

# For the places that only ever talk to the database about no one record (the outbox relay, the
# Redis repair): the exception types to catch before `is_transient` decides.
DATABASE_ERRORS = (psycopg.Error, PoolTimeout, ConcurrentApplyError, OSError)
TRANSIENT_KAFKA_ERRORS = (ProduceError,)


def is_transient(error: BaseException) -> bool:
    """True if waiting and trying the same work again can succeed."""
    if isinstance(error, PoolTimeout | ConcurrentApplyError | OSError | psycopg.InterfaceError):
        return True
    if not isinstance(error, psycopg.Error):
        return False
    sqlstate = error.sqlstate
    if sqlstate is None:  # raised by the client: the connection failed or broke
        return isinstance(error, psycopg.OperationalError)
    return sqlstate in TRANSIENT_SQLSTATES or sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES
