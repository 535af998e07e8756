"""A record that can never be applied goes to the dead-letter topic with the reason and where it
came from, and the partition moves on to the next record."""

from __future__ import annotations

import secrets

from order.domain import Status
from order.worker.dead_letters import HEADER_OFFSET, HEADER_PARTITION, HEADER_REASON, HEADER_TOPIC
from paystream.events.v1 import events_pb2
from runtime.kafka import HEADER_MESSAGE_TYPE
from runtime.observations import MESSAGE_TYPE_PAYMENT_OBSERVED
from tests.fixtures.order import (
    InProcessWorker,
    OrderTopics,
    committed_offsets,
    eventually,
    insert_order,
    load_order,
    observed,
    produce,
    read_topic,
    refund_observed,
    scalar,
)


async def test_poison_records_go_to_the_dead_letter_topic_and_the_next_record_is_applied(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
) -> None:
    order_id = insert_order(database_url, total_fee=100)
    key = order_id.encode()
    typed = {HEADER_MESSAGE_TYPE: MESSAGE_TYPE_PAYMENT_OBSERVED}
    valid = observed(order_id, total_fee=100)
    no_id = events_pb2.PaymentObserved()
    no_id.CopyFrom(valid)
    no_id.observation_id = ""
    produce(
        kafka_bootstrap,
        order_topics.observations,
        [
            (key, b"\xff\xfe not protobuf", typed),
            (key, valid.SerializeToString(), {HEADER_MESSAGE_TYPE: b"something.Else"}),
            (key, no_id.SerializeToString(), typed),
            valid,
        ],
    )
    await eventually(lambda: load_order(database_url, order_id).status is Status.PAID)  # type: ignore[union-attr]

    dead = await read_topic(kafka_bootstrap, order_topics.dlq, expect=3)
    assert len(dead) == 3
    reasons = [d.headers[HEADER_REASON].decode() for d in dead]
    assert "undecodable" in reasons[0]
    assert "message-type is something.Else" in reasons[1]
    assert "observation_id is empty" in reasons[2]
    assert {d.headers[HEADER_TOPIC].decode() for d in dead} == {order_topics.observations}
    assert [int(d.headers[HEADER_OFFSET]) for d in dead] == [0, 1, 2]
    assert len({d.headers[HEADER_PARTITION] for d in dead}) == 1
    assert dead[0].value == b"\xff\xfe not protobuf"
    assert all(d.key == key for d in dead)
    assert scalar(database_url, "SELECT count(*) FROM inbox") == 1

    async def all_four_committed() -> bool:
        offsets = await committed_offsets(
            kafka_bootstrap, order_topics.observations, order_topics.group
        )
        return max(offsets) == 4

    await eventually(all_four_committed, 10, 0.5)


def _raw(record: events_pb2.PaymentObserved, key: bytes) -> tuple[bytes, bytes, dict[str, bytes]]:
    return key, record.SerializeToString(), {HEADER_MESSAGE_TYPE: MESSAGE_TYPE_PAYMENT_OBSERVED}


def _poisoned(record: events_pb2.PaymentObserved, name: str) -> events_pb2.PaymentObserved:
    copy = events_pb2.PaymentObserved()
    copy.CopyFrom(record)
    copy.observation_id = f"poison-{name}-{record.observation_id}"
    return copy


async def test_each_kind_of_poison_lands_in_the_dead_letters_and_the_records_behind_it_apply(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
) -> None:
    paid_then_refunded = insert_order(database_url, total_fee=1000)
    paid_last = insert_order(database_url, total_fee=500)
    key = b"one-partition"  # every record in one partition, so they come in one batch, in order

    success_time_out_of_range = _poisoned(observed(paid_last, total_fee=500), "success")
    success_time_out_of_range.success_time.seconds = 10**13
    observed_time_out_of_range = _poisoned(observed(paid_last, total_fee=500), "observed")
    observed_time_out_of_range.observed_time.seconds = -(10**12)
    refund_time_out_of_range = _poisoned(refund_observed(paid_then_refunded, "R1", 300), "refund")
    refund_time_out_of_range.refund.success_time.nanos = 10**9
    # a key over PostgreSQL's btree limit: ProgramLimitExceeded, an OperationalError, yet the
    # record's fault (it used to be retried forever)
    over_btree_limit = observed(paid_last, total_fee=500)
    over_btree_limit.observation_id = secrets.token_hex(6000)
    nul_in_text = _poisoned(observed(paid_last, transaction_id="4200\x00x", total_fee=500), "nul")

    poison = [
        (success_time_out_of_range, "success_time is not a time"),
        (observed_time_out_of_range, "observed_time is not a time"),
        (refund_time_out_of_range, "refund success_time is not a time"),
        (over_btree_limit, "ProgramLimitExceeded"),
        (nul_in_text, "0x00"),
    ]
    produce(
        kafka_bootstrap,
        order_topics.observations,
        [
            _raw(observed(paid_then_refunded, total_fee=1000), key),
            *(_raw(record, key) for record, _ in poison),
            _raw(observed(paid_last, total_fee=500), key),
            _raw(refund_observed(paid_then_refunded, "R1", 300), key),
        ],
    )

    def applied() -> bool:
        last, refunded = (load_order(database_url, o) for o in (paid_last, paid_then_refunded))
        return (
            last is not None
            and last.status is Status.PAID
            and refunded is not None
            and refunded.refunded_fee == 300
        )

    await eventually(applied)
    dead = await read_topic(kafka_bootstrap, order_topics.dlq, expect=len(poison))
    assert [int(d.headers[HEADER_OFFSET]) for d in dead] == [1, 2, 3, 4, 5]
    for record, (sent, why) in zip(dead, poison, strict=True):
        assert why in record.headers[HEADER_REASON].decode()
        assert record.value == sent.SerializeToString()
    refunded = load_order(database_url, paid_then_refunded)
    assert refunded is not None
    assert refunded.status is Status.PARTIALLY_REFUNDED
    paid = load_order(database_url, paid_last)
    assert paid is not None
    assert paid.transaction_id == f"4200{paid_last}"
    assert scalar(database_url, "SELECT count(*) FROM inbox") == 3

    async def all_committed() -> bool:
        offsets = await committed_offsets(
            kafka_bootstrap, order_topics.observations, order_topics.group
        )
        return max(offsets) == 8

    await eventually(all_committed, 10, 0.5)
