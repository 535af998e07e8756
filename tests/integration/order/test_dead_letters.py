"""A record that can never be applied goes to the dead-letter topic with the reason and where it
came from, and the partition moves on to the next record."""

from __future__ import annotations

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

    dead = read_topic(kafka_bootstrap, order_topics.dlq, expect=3)
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
    await eventually(
        lambda: (
            max(committed_offsets(kafka_bootstrap, order_topics.observations, order_topics.group))
            == 4
        ),
        10,
        0.5,
    )
