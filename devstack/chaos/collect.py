"""Gathering a run's evidence: the sandbox's delivery log, every record of the three topics,
the orders, inbox and outbox in PostgreSQL, the snapshots in Redis, the processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import redis
from confluent_kafka import Consumer, KafkaError, TopicPartition
from google.protobuf.message import DecodeError

from devstack.chaos.evidence import (
    Delivery,
    Event,
    Evidence,
    Observed,
    OrderRow,
    WeChatRefund,
)
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from runtime.kafka import TOPIC_OBSERVATIONS, TOPIC_OBSERVATIONS_DLQ, TOPIC_ORDER_EVENTS

PAGE = 1000


def deliveries(sandbox_url: str) -> list[Delivery]:
    found: list[Delivery] = []
    after = 0
    with httpx.Client(base_url=sandbox_url, timeout=60.0, trust_env=False) as http:
        while True:
            answer = http.get("/sandbox/deliveries", params={"after": after, "limit": PAGE})
            answer.raise_for_status()
            page: dict[str, Any] = answer.json()
            for item in page["deliveries"]:
                attempts = item["attempts"]
                found.append(
                    Delivery(
                        id=item["id"],
                        kind=item["kind"],
                        out_trade_no=item["out_trade_no"],
                        state=item["state"],
                        outcomes=tuple(a["outcome"] for a in attempts),
                        out_refund_no=item["out_refund_no"] or "",
                        first_attempt=attempts[0]["at"] if attempts else "",
                        succeeded_at=next(
                            (a["at"] for a in attempts if a["outcome"] == "success"), ""
                        ),
                    )
                )
            if page["next_after"] is None:
                return found
            after = page["next_after"]


def wechat_refunds(sandbox_url: str) -> list[WeChatRefund]:
    found: list[WeChatRefund] = []
    after: int | None = 0
    with httpx.Client(base_url=sandbox_url, timeout=60.0, trust_env=False) as http:
        while after is not None:
            answer = http.get("/sandbox/refunds", params={"after": after, "limit": PAGE})
            answer.raise_for_status()
            page: dict[str, Any] = answer.json()
            found += [
                WeChatRefund(r["out_trade_no"], r["out_refund_no"], r["refund_fee"], r["status"])
                for r in page["refunds"]
            ]
            after = page["next_after"]
    return found


def pending_deliveries(sandbox_url: str) -> int:
    """Notifies not yet finished: being sent, waiting for a retry, or held."""
    answer = httpx.get(f"{sandbox_url}/sandbox/deliveries/summary", timeout=30, trust_env=False)
    answer.raise_for_status()
    by_state: dict[str, int] = answer.json()["by_state"]
    return by_state.get("pending", 0) + by_state.get("held", 0)


def topic_values(bootstrap: str, topic: str) -> Iterator[bytes]:
    """Every value of `topic` from the first offset to the high watermark of now."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"chaos-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=30)
        ends: dict[int, int] = {}
        starts: list[TopicPartition] = []
        for partition in metadata.topics[topic].partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
            if high > low:
                ends[partition] = high
                starts.append(TopicPartition(topic, partition, low))
        consumer.assign(starts)
        while ends:
            message = consumer.poll(5.0)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(f"reading {topic}: {error}")
            partition, offset = message.partition(), message.offset()
            assert partition is not None
            assert offset is not None
            yield message.value() or b""
            if offset + 1 >= ends.get(partition, 0):
                ends.pop(partition, None)
    finally:
        consumer.close()


def observations(bootstrap: str, evidence: Evidence) -> None:
    for value in topic_values(bootstrap, TOPIC_OBSERVATIONS):
        record = events_pb2.PaymentObserved()
        try:
            record.ParseFromString(value)
        except DecodeError:
            evidence.undecodable_observations += 1
            continue
        refund = record.refund if record.HasField("refund") else None
        evidence.observations.append(
            Observed(
                observation_id=record.observation_id,
                out_trade_no=record.out_trade_no,
                source=events_pb2.ObservationSource.Name(record.source).removeprefix(
                    "OBSERVATION_SOURCE_"
                ),
                trade_state=types_pb2.TradeState.Name(record.trade_state).removeprefix(
                    "TRADE_STATE_"
                ),
                transaction_id=record.transaction_id,
                total_fee=record.total_fee,
                out_refund_no=refund.out_refund_no if refund else "",
                refund_status=types_pb2.RefundStatus.Name(refund.refund_status).removeprefix(
                    "REFUND_STATUS_"
                )
                if refund
                else "",
                refund_fee=refund.refund_fee if refund else 0,
            )
        )


def events(bootstrap: str, evidence: Evidence) -> None:
    for value in topic_values(bootstrap, TOPIC_ORDER_EVENTS):
        event = events_pb2.OrderEvent.FromString(value)
        kind = event.WhichOneof("kind") or ""
        evidence.events.append(
            Event(
                event_id=event.event_id,
                order_id=event.order_id,
                kind=kind,
                transaction_id=event.paid.transaction_id if kind == "paid" else "",
                total_fee=event.paid.total_fee if kind == "paid" else 0,
                out_refund_no=event.refunded.out_refund_no,
                refund_fee=event.refunded.refund_fee,
                refunded_fee=event.refunded.refunded_fee,
                full=event.refunded.full,
            )
        )
    evidence.dead_letters = sum(1 for _ in topic_values(bootstrap, TOPIC_OBSERVATIONS_DLQ))


def database(database_url: str, evidence: Evidence) -> None:
    with psycopg.connect(database_url) as conn:
        for row in conn.execute(
            "SELECT id, status, total_fee, transaction_id, version, anomaly, refunded_fee"
            " FROM orders"
        ):
            evidence.orders[row[0]] = OrderRow(*row)
        for order_id, out_refund_no, refund_fee, status in conn.execute(
            "SELECT order_id, out_refund_no, refund_fee, status FROM refunds"
        ):
            evidence.refund_rows[out_refund_no] = (order_id, refund_fee, status)
        evidence.inbox = [(r[0], r[1]) for r in conn.execute("SELECT order_id, outcome FROM inbox")]
        unpublished = conn.execute(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        ).fetchone()
        evidence.unpublished_outbox = unpublished[0] if unpublished else 0


def settled_counts(database_url: str) -> tuple[int, int]:
    """(orders no longer PENDING, outbox rows not yet published)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM orders WHERE status <> 'PENDING'),"
            " (SELECT count(*) FROM outbox WHERE published_at IS NULL)"
        ).fetchone()
    return (row[0], row[1]) if row else (0, 0)


def snapshots(redis_url: str, evidence: Evidence) -> None:
    from order.store import snapshot_key

    prefix = snapshot_key("")
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(key, "status", "version")
        for key, (status, version) in zip(keys, pipe.execute(), strict=True):
            if status is not None and version is not None:
                evidence.snapshots[key.removeprefix(prefix)] = (status, int(version))
    finally:
        client.close()
