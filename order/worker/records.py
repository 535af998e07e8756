"""Kafka records as the worker handles them."""

from __future__ import annotations

from confluent_kafka import Message

PartitionKey = tuple[str, int]


def headers_of(message: Message) -> list[tuple[str, bytes]]:
    """The record's headers as (name, bytes) pairs, in order (None values dropped)."""
    raw = message.headers() or []
    pairs = raw.items() if isinstance(raw, dict) else raw
    return [
        (name, value.encode() if isinstance(value, str) else value)
        for name, value in pairs
        if value is not None
    ]


def partition_of(message: Message) -> PartitionKey:
    return message.topic() or "", message.partition() or 0
