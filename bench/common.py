"""What the benchmark stages share: a fresh database and topics on the local stack, bulk
loading, percentiles and medians."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import psycopg
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from devstack.stack import stack_env
from order import migrate
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from runtime.kafka import HEADER_MESSAGE_TYPE
from runtime.observations import MESSAGE_TYPE_PAYMENT_OBSERVED, timestamp, with_trade_id

STACK = stack_env()


def run_id() -> str:
    return time.strftime("%H%M%S") + uuid.uuid4().hex[:4]


def fresh_database(name: str) -> str:
    """A new, migrated database on the local stack; returns its URL."""
    base = STACK["DATABASE_URL"]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    migrate.apply(url)
    return url


def drop_database(name: str) -> None:
    with psycopg.connect(STACK["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def topics(names: dict[str, int]) -> None:
    admin = AdminClient({"bootstrap.servers": STACK["KAFKA_BOOTSTRAP_SERVERS"]})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=n, replication_factor=1) for name, n in names.items()]
    )
    for future in futures.values():
        future.result()


def delete_topics(names: Iterable[str]) -> None:
    admin = AdminClient({"bootstrap.servers": STACK["KAFKA_BOOTSTRAP_SERVERS"]})
    for future in admin.delete_topics(list(names)).values():
        future.result()


def insert_pending_orders(
    database_url: str, ids: Sequence[str], total_fee: int, expire_in: timedelta = timedelta(hours=1)
) -> None:
    with psycopg.connect(database_url) as conn, conn.cursor() as cursor:
        expire_at = datetime.now(UTC) + expire_in
        with cursor.copy("COPY orders (id, total_fee, expire_at) FROM STDIN") as copy:
            for order_id in ids:
                copy.write_row((order_id, total_fee, expire_at))


def paid_observation(order_id: str, total_fee: int) -> events_pb2.PaymentObserved:
    now = datetime.now(UTC)
    return with_trade_id(
        events_pb2.PaymentObserved(
            source=events_pb2.OBSERVATION_SOURCE_NOTIFY,
            out_trade_no=order_id,
            transaction_id=f"42{order_id}",
            trade_state=types_pb2.TRADE_STATE_SUCCESS,
            total_fee=total_fee,
            cash_fee=total_fee,
            success_time=timestamp(now),
            observed_time=timestamp(now),
        )
    )


def produce_observations(topic: str, records: Iterable[events_pb2.PaymentObserved]) -> int:
    producer = Producer(
        {
            "bootstrap.servers": STACK["KAFKA_BOOTSTRAP_SERVERS"],
            "enable.idempotence": True,
            "linger.ms": 20,
        }
    )
    count = 0
    for record in records:
        while True:
            try:
                producer.produce(
                    topic,
                    key=record.out_trade_no.encode(),
                    value=record.SerializeToString(),
                    headers={HEADER_MESSAGE_TYPE: MESSAGE_TYPE_PAYMENT_OBSERVED},
                )
                break
            except BufferError:
                producer.poll(0.1)
        count += 1
    if producer.flush(60) != 0:
        raise RuntimeError("observations not acknowledged")
    return count


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> float:
    """Seconds until check() held; raises if it never did within timeout."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError("the benchmark's condition never held")
        time.sleep(interval)
    return time.monotonic() - started


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def median_range(values: Sequence[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)
