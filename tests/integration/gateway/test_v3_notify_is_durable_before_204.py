"""``/wechatpay/v3/notify`` answers 204 only for what Kafka acknowledged, with the right record;
the same fact reported over v2 or v3 (or by a query) has the same observation id."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from callback_gateway.__main__ import bootstrap
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from runtime.kafka import DeliveryTimeoutError, ProduceError, QueueFullError
from runtime.observations import trade_observation_id
from tests.conftest import TopicFactory
from tests.fixtures.gateway import (
    APPID,
    MCH_ID,
    FakeProducer,
    gateway_settings,
    notify_fields,
    running_gateway,
    signed_body,
    v3_body,
    v3_gateway_settings,
    v3_headers,
    v3_refund,
    v3_transaction,
)
from tests.kafka_reader import read_records

NOTIFY = "/wechatpay/v3/notify"


async def test_a_valid_v3_notify_is_204_after_exactly_one_record(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    topic = kafka_topics("observations", partitions=1)
    body = v3_body(v3_transaction("order-v3-7001", 1234, attach="shop-7"))
    settings = v3_gateway_settings(kafka_bootstrap, topic, tmp_path)
    async with running_gateway(settings) as gateway:
        answer = await gateway.post(NOTIFY, content=body, headers=v3_headers(body))
    assert answer.status_code == 204
    assert answer.content == b""

    (record,) = read_records(kafka_bootstrap, topic)
    observed = events_pb2.PaymentObserved.FromString(record.value)
    assert record.key == b"order-v3-7001"
    assert record.headers["message-type"] == b"paystream.events.v1.PaymentObserved"
    assert record.headers["observation-id"] == observed.observation_id.encode()
    assert observed.source == events_pb2.OBSERVATION_SOURCE_NOTIFY
    assert observed.trade_state == types_pb2.TRADE_STATE_SUCCESS
    assert observed.transaction_id == "4200001234202611270000000001"
    assert (observed.total_fee, observed.cash_fee, observed.attach) == (1234, 1234, "shop-7")
    assert (observed.appid, observed.mch_id) == (APPID, MCH_ID)
    assert observed.success_time.ToJsonString() == "2026-11-27T12:01:02Z"
    assert observed.raw_payload == body
    assert observed.raw_payload_format == "wechatpay.v3.json"
    assert observed.observation_id == trade_observation_id(
        "order-v3-7001", types_pb2.TRADE_STATE_SUCCESS, "4200001234202611270000000001", 1234
    )


async def test_the_same_payment_over_v2_and_v3_is_one_observation(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    topic = kafka_topics("observations", partitions=1)
    v3 = v3_body(v3_transaction("order-v3-7002", 100))
    v2 = signed_body(notify_fields("order-v3-7002", 100, time_end="20261127200102"))
    settings = v3_gateway_settings(kafka_bootstrap, topic, tmp_path)
    async with running_gateway(settings) as gateway:
        answers = await asyncio.gather(
            gateway.post(NOTIFY, content=v3, headers=v3_headers(v3)),
            gateway.post(NOTIFY, content=v3, headers=v3_headers(v3)),
            gateway.post("/wechatpay/v2/notify", content=v2),
        )
    assert [a.status_code for a in answers] == [204, 204, 200]
    records = read_records(kafka_bootstrap, topic, expect=3)
    ids = {events_pb2.PaymentObserved.FromString(r.value).observation_id for r in records}
    assert len(records) == 3
    assert len(ids) == 1


async def test_a_v3_refund_notify_is_a_refund_observation(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    topic = kafka_topics("observations", partitions=1)
    body = v3_body(v3_refund("order-v3-7003", "refund-1", 40), "REFUND.SUCCESS")
    settings = v3_gateway_settings(kafka_bootstrap, topic, tmp_path)
    async with running_gateway(settings) as gateway:
        answer = await gateway.post(NOTIFY, content=body, headers=v3_headers(body))
    assert answer.status_code == 204
    (record,) = read_records(kafka_bootstrap, topic)
    observed = events_pb2.PaymentObserved.FromString(record.value)
    assert record.key == b"order-v3-7003"
    assert observed.trade_state == types_pb2.TRADE_STATE_REFUND
    assert observed.refund.out_refund_no == "refund-1"
    assert observed.refund.refund_fee == 40
    assert observed.refund.refund_status == types_pb2.REFUND_STATUS_SUCCESS
    assert observed.refund.success_time.ToJsonString() == "2026-11-27T12:05:06Z"


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (QueueFullError("queue full"), 503),
        (DeliveryTimeoutError("no report"), 503),
        (ProduceError("Broker: Not enough in-sync replicas"), 503),
        (None, 204),
    ],
)
async def test_the_v3_answer_follows_the_delivery_report(
    outcome: Exception | None, status: int, tmp_path: Path
) -> None:
    producer = FakeProducer(outcome)
    settings = v3_gateway_settings("unused:9092", "t", tmp_path)
    app = bootstrap(settings, make_producer=lambda: producer)
    body = v3_body(v3_transaction())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            answer = await client.post(NOTIFY, content=body, headers=v3_headers(body))
    assert answer.status_code == status
    if outcome is not None:
        assert answer.json()["code"] == "FAIL"
    assert len(producer.sent) == (1 if outcome is None else 0)


async def test_without_v3_settings_the_path_answers_503_so_wechat_retries() -> None:
    producer = FakeProducer(None)
    app = bootstrap(gateway_settings("unused:9092", "t"), make_producer=lambda: producer)
    body = v3_body(v3_transaction())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            answer = await client.post(NOTIFY, content=body, headers=v3_headers(body))
            metrics = (await client.get("/metrics")).text
    assert answer.status_code == 503
    assert answer.json() == {"code": "FAIL", "message": "API v3 is not configured on this gateway"}
    assert producer.sent == []
    assert (
        'paystream_gateway_rejected_total{endpoint="v3_notify",reason="not_configured"}' in metrics
    )
