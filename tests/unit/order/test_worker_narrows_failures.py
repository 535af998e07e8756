"""The consumer loop against fakes of its four collaborators: which failures it retries, which
records it sends to the dead-letter topic, and that everything else is applied, in order."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg
import psycopg.errors
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg_pool import PoolTimeout

from order.domain import Observation
from order.store import BatchResult, ConcurrentApplyError
from order.worker.consumer import ObservationConsumer
from order.worker.database import BatchApplier
from order.worker.dead_letters import DeadLetters
from order.worker.failures import is_transient
from order.worker.loop import Worker
from order.worker.redis_refresh import RedisRefresher
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from runtime.kafka import HEADER_MESSAGE_TYPE
from runtime.observations import MESSAGE_TYPE_PAYMENT_OBSERVED

RETRIED = [
    psycopg.OperationalError("connection refused"),  # client side: no SQLSTATE
    psycopg.InterfaceError("the connection is closed"),
    PoolTimeout("no connection within 5 s"),
    ConcurrentApplyError("another worker applied it first"),
    ConnectionResetError(),
    psycopg.errors.SerializationFailure(),
    psycopg.errors.DeadlockDetected(),
    psycopg.errors.AdminShutdown(),
    psycopg.errors.CannotConnectNow(),
    psycopg.errors.TooManyConnections(),
    psycopg.errors.DiskFull(),
    psycopg.errors.QueryCanceled(),
    psycopg.errors.LockNotAvailable(),
    psycopg.errors.UndefinedTable(),  # migrations not run: every record alike
    psycopg.errors.InsufficientPrivilege(),
    psycopg.errors.InvalidPassword(),
]
POISON = [
    psycopg.errors.ProgramLimitExceeded(),  # an OperationalError, yet the record's fault
    psycopg.errors.StringDataRightTruncation(),
    psycopg.errors.NumericValueOutOfRange(),
    psycopg.errors.CheckViolation(),
    psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
    ValueError("year 10000 is out of range"),
    OverflowError("date value out of range"),
    KeyError("a bug"),
]


@pytest.mark.parametrize("error", RETRIED, ids=lambda e: type(e).__name__)
def test_the_named_transient_failures_are_retried(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize("error", POISON, ids=lambda e: type(e).__name__)
def test_every_other_failure_is_the_records(error: Exception) -> None:
    assert not is_transient(error)


# --- the loop, with fakes ------------------------------------------------------------------------


@dataclass
class FakeMessage:
    offset_: int
    value_: bytes
    headers_: list[tuple[str, bytes]] = field(
        default_factory=lambda: [(HEADER_MESSAGE_TYPE, MESSAGE_TYPE_PAYMENT_OBSERVED)]
    )

    def value(self) -> bytes:
        return self.value_

    def key(self) -> bytes:
        return b"k"

    def headers(self) -> list[tuple[str, bytes]]:
        return self.headers_

    def topic(self) -> str:
        return "payment.observations"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self.offset_


class FakeConsumer:
    def __init__(self) -> None:
        self.stored: list[int] = []

    def store(self, messages: Iterable[FakeMessage]) -> None:
        self.stored += [m.offset() for m in messages]

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass

    async def keep_alive(self, seconds: float) -> None:
        pass

    def drop_revoked(self, messages: Sequence[FakeMessage]) -> list[FakeMessage]:
        return list(messages)


class FakeApplier:
    """Fails a call that holds a bad record with that record's error; fails the first
    `transient` calls with a serialization failure."""

    def __init__(self, bad: dict[str, Exception], transient: int) -> None:
        self.bad = bad
        self.transient = transient
        self.calls = 0
        self.applied: list[str] = []

    async def apply(self, observations: Sequence[Observation]) -> BatchResult:
        self.calls += 1
        if self.transient > 0:
            self.transient -= 1
            raise psycopg.errors.SerializationFailure()
        for observation in observations:
            if observation.observation_id in self.bad:
                raise self.bad[observation.observation_id]
        self.applied += [o.observation_id for o in observations]
        return BatchResult()


class FakeRefresher:
    async def refresh(self, orders: Iterable[Any]) -> None:
        pass


class FakeDeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send(self, message: FakeMessage, reason: str) -> None:
        self.sent.append((message.offset(), reason))


def _record(index: int) -> bytes:
    return events_pb2.PaymentObserved(
        observation_id=f"obs-{index}",
        out_trade_no=f"order-{index % 7}",
        source=events_pb2.OBSERVATION_SOURCE_NOTIFY,
        trade_state=types_pb2.TRADE_STATE_NOTPAY,
    ).SerializeToString()


def _undecodable(index: int) -> bytes:
    """A record whose success_time lies outside the Timestamp range."""
    record = events_pb2.PaymentObserved.FromString(_record(index))
    record.success_time.seconds = 10**13
    return record.SerializeToString()


@given(
    size=st.integers(1, 200),
    data=st.data(),
    transient=st.integers(0, 3),
)
@settings(max_examples=300, deadline=None)
def test_each_bad_record_goes_to_the_dead_letters_and_every_other_is_applied_in_order(
    size: int, data: st.DataObject, transient: int
) -> None:
    kinds = data.draw(
        st.lists(
            st.sampled_from(["ok", "ok", "ok", "ok", "db", "decode"]), min_size=size, max_size=size
        )
    )
    errors = data.draw(st.lists(st.sampled_from(POISON), min_size=size, max_size=size))
    messages = [
        FakeMessage(i, _undecodable(i) if kind == "decode" else _record(i))
        for i, kind in enumerate(kinds)
    ]
    bad = {f"obs-{i}": errors[i] for i, kind in enumerate(kinds) if kind == "db"}
    consumer, applier, dead = FakeConsumer(), FakeApplier(bad, transient), FakeDeadLetters()
    worker = Worker(
        cast(ObservationConsumer, consumer),
        cast(BatchApplier, applier),
        cast(RedisRefresher, FakeRefresher()),
        cast(DeadLetters, dead),
        retry_max_seconds=0.01,
    )

    asyncio.run(worker.handle(cast(list[Any], messages), asyncio.Event()))

    good = [f"obs-{i}" for i, kind in enumerate(kinds) if kind == "ok"]
    assert applier.applied == good
    assert [offset for offset, _ in dead.sent] == [i for i, k in enumerate(kinds) if k != "ok"]
    for offset, reason in dead.sent:
        expected = (
            "success_time is not a time" if kinds[offset] == "decode" else "cannot be applied"
        )
        assert expected in reason
    assert consumer.stored == list(range(size))
    bad_count = len(bad)
    if bad_count:
        live = size - kinds.count("decode")
        # bisection: about two calls per level for each bad record, not one call per record
        bound = 1 + transient + 2 * bad_count * (math.ceil(math.log2(max(live, 2))) + 1)
        assert applier.calls <= bound
