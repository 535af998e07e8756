"""Reading back what reached a topic, for assertions."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError


@dataclass(frozen=True)
class Record:
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]
    partition: int
    offset: int


def read_records(
    bootstrap: str,
    topic: str,
    expect: int | None = None,
    timeout: float = 10.0,
    idle: float = 1.0,
    until_key: bytes | None = None,
) -> list[Record]:
    """Every record of topic from the start: stops at `expect` records, at the first record
    keyed `until_key`, or after `idle` seconds without a new one once the partitions were
    reached (so "nothing arrived" is checkable)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    records: list[Record] = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout
        last_news = None
        while time.monotonic() < deadline:
            message = consumer.poll(0.2)
            now = time.monotonic()
            if message is None:
                if last_news is not None and now - last_news >= idle:
                    break
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    last_news = last_news or now
                    continue
                raise RuntimeError(str(error))
            last_news = now
            records.append(
                Record(
                    key=message.key(),
                    value=message.value() or b"",
                    headers=_headers(message.headers()),
                    partition=message.partition() or 0,
                    offset=message.offset() or 0,
                )
            )
            if expect is not None and len(records) >= expect:
                break
            if until_key is not None and message.key() == until_key:
                break
    finally:
        consumer.close()
    return records


def _headers(
    raw: dict[str, str | bytes | None] | list[tuple[str, str | bytes | None]] | None,
) -> dict[str, bytes]:
    pairs = list(raw.items()) if isinstance(raw, dict) else (raw or [])
    return {k: _as_bytes(v) for k, v in pairs}


def _as_bytes(value: str | bytes | None) -> bytes:
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else value
