"""The gateway answers SUCCESS only for what Kafka acknowledged, with the right record."""

from __future__ import annotations

import asyncio

from payment.wechatpay.signing import SignType
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from tests.conftest import TopicFactory
from tests.fixtures.gateway import (
    APPID,
    MCH_ID,
    gateway_settings,
    notify_fields,
    refund_notify_body,
    running_gateway,
    signed_body,
)
from tests.kafka_reader import read_records

NOTIFY = "/wechatpay/v2/notify"
SUCCESS = b"<return_code><![CDATA[SUCCESS]]></return_code>"


async def test_valid_notify_is_answered_success_after_exactly_one_record(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    topic = kafka_topics("observations", partitions=1)
    body = signed_body(notify_fields("order-7001", 1234, attach="shop-7"), SignType.HMAC_SHA256)
    async with running_gateway(gateway_settings(kafka_bootstrap, topic)) as gateway:
        answer = await gateway.post(NOTIFY, content=body)
    assert answer.status_code == 200
    assert SUCCESS in answer.content

    records = read_records(kafka_bootstrap, topic)
    assert len(records) == 1
    record = records[0]
    assert record.key == b"order-7001"
    assert record.headers["message-type"] == b"paystream.events.v1.PaymentObserved"
    observed = events_pb2.PaymentObserved.FromString(record.value)
    assert record.headers["observation-id"] == observed.observation_id.encode()
    assert observed.source == events_pb2.OBSERVATION_SOURCE_NOTIFY
    assert observed.out_trade_no == "order-7001"
    assert observed.trade_state == types_pb2.TRADE_STATE_SUCCESS
    assert observed.transaction_id == "4200001234202611270000000001"
    assert (observed.total_fee, observed.cash_fee) == (1234, 1234)
    assert (observed.appid, observed.mch_id, observed.attach) == (APPID, MCH_ID, "shop-7")
    # time_end 20261127200102 is Beijing time: 12:01:02 UTC.
    assert observed.success_time.ToJsonString() == "2026-11-27T12:01:02Z"
    assert observed.HasField("observed_time")
    assert observed.raw_payload == body
    assert observed.raw_payload_format == "wechatpay.v2.xml"
    assert len(observed.observation_id) == 32


async def test_the_same_notify_twice_is_two_successes_with_one_observation_id(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    topic = kafka_topics("observations", partitions=1)
    first = signed_body(notify_fields("order-7002"))
    # WeChat's redelivery of the same payment: a new nonce, so a new signature; same facts.
    again = signed_body(notify_fields("order-7002"))
    assert first != again
    async with running_gateway(gateway_settings(kafka_bootstrap, topic)) as gateway:
        answers = await asyncio.gather(
            gateway.post(NOTIFY, content=first),
            gateway.post(NOTIFY, content=again),
            gateway.post(NOTIFY, content=first),
        )
    assert [a.status_code for a in answers] == [200, 200, 200]
    records = read_records(kafka_bootstrap, topic, expect=3)
    ids = {events_pb2.PaymentObserved.FromString(r.value).observation_id for r in records}
    assert len(records) == 3
    assert len(ids) == 1


async def test_failed_payment_notify_is_published_as_what_it_is(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    topic = kafka_topics("observations", partitions=1)
    fields = notify_fields(
        "order-7003",
        result_code="FAIL",
        err_code="BANKERROR",
        err_code_des="银行系统异常",
        transaction_id="",
        time_end="",
    )
    async with running_gateway(gateway_settings(kafka_bootstrap, topic)) as gateway:
        answer = await gateway.post(NOTIFY, content=signed_body(fields))
    assert answer.status_code == 200
    (record,) = read_records(kafka_bootstrap, topic, expect=1)
    observed = events_pb2.PaymentObserved.FromString(record.value)
    assert observed.trade_state == types_pb2.TRADE_STATE_PAYERROR
    assert (observed.err_code, observed.err_code_des) == ("BANKERROR", "银行系统异常")
    assert observed.transaction_id == ""


async def test_refund_notify_is_decrypted_and_published_as_a_refund_observation(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    topic = kafka_topics("observations", partitions=1)
    async with running_gateway(gateway_settings(kafka_bootstrap, topic)) as gateway:
        answer = await gateway.post(
            "/wechatpay/v2/refund-notify", content=refund_notify_body("order-7004", "refund-1", 40)
        )
        forged = await gateway.post(
            "/wechatpay/v2/refund-notify", content=refund_notify_body(key="A" * 32)
        )
    assert answer.status_code == 200
    assert forged.status_code == 400
    assert b"FAIL" in forged.content
    (record,) = read_records(kafka_bootstrap, topic)
    observed = events_pb2.PaymentObserved.FromString(record.value)
    assert record.key == b"order-7004"
    assert observed.trade_state == types_pb2.TRADE_STATE_REFUND
    assert observed.refund.out_refund_no == "refund-1"
    assert observed.refund.refund_fee == 40
    assert observed.refund.refund_status == types_pb2.REFUND_STATUS_SUCCESS
    assert observed.refund.success_time.ToJsonString() == "2026-11-27T12:05:06Z"


async def test_probes_health_and_metrics(kafka_bootstrap: str, kafka_topics: TopicFactory) -> None:
    topic = kafka_topics("observations", partitions=1)
    async with running_gateway(gateway_settings(kafka_bootstrap, topic)) as gateway:
        await gateway.post(NOTIFY, content=signed_body(notify_fields("order-7005")))
        assert (await gateway.get("/healthz")).status_code == 200
        ready = await gateway.get("/readyz")
        metrics = (await gateway.get("/metrics")).text
    assert ready.status_code == 200
    assert ready.json() == {"kafka": "reachable"}
    assert 'paystream_gateway_notifies_total{endpoint="v2_notify",outcome="accepted"}' in metrics
    assert "paystream_gateway_produce_seconds_bucket" in metrics
