"""Whatever goes wrong on the way to Kafka, the answer is FAIL: never SUCCESS without an ack."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from callback_gateway.__main__ import bootstrap
from runtime.kafka import (
    DeliveryTimeoutError,
    ProduceError,
    QueueFullError,
)
from tests.fixtures.gateway import (
    FakeProducer,
    gateway_settings,
    notify_fields,
    signed_body,
    v3_body,
    v3_gateway_settings,
    v3_headers,
    v3_transaction,
)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (QueueFullError("queue full"), 503),
        (DeliveryTimeoutError("no report"), 503),
        (ProduceError("Broker: Not enough in-sync replicas"), 503),
        (None, 200),
    ],
)
async def test_answer_follows_the_delivery_report(outcome: Exception | None, status: int) -> None:
    producer = FakeProducer(outcome)
    app = bootstrap(gateway_settings("unused:9092", "t"), make_producer=lambda: producer)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            answer = await client.post("/wechatpay/v2/notify", content=signed_body(notify_fields()))
            ready = await client.get("/readyz")
    assert answer.status_code == status
    assert (b"SUCCESS" in answer.content) == (outcome is None)
    assert len(producer.sent) == (1 if outcome is None else 0)
    assert ready.status_code == (200 if outcome is None else 503)


async def test_get_on_a_notify_endpoint_is_refused() -> None:
    app = bootstrap(gateway_settings("unused:9092", "t"), make_producer=lambda: FakeProducer(None))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            answer = await client.get("/wechatpay/v2/notify")
    assert answer.status_code == 405
    assert b"FAIL" in answer.content


async def test_a_v3_only_gateway_refuses_v2_notifies_with_503_and_takes_v3_ones(
    tmp_path: Path,
) -> None:
    producer = FakeProducer(None)
    settings = v3_gateway_settings("unused:9092", "t", tmp_path, wechatpay_api_key=None)
    app = bootstrap(settings, make_producer=lambda: producer)
    v3 = v3_body(v3_transaction())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            v2_body = signed_body(notify_fields())
            v2_paid = await client.post("/wechatpay/v2/notify", content=v2_body)
            v2_refund = await client.post("/wechatpay/v2/refund-notify", content=b"<xml></xml>")
            assert producer.sent == []
            v3_paid = await client.post("/wechatpay/v3/notify", content=v3, headers=v3_headers(v3))
    for answer in (v2_paid, v2_refund):
        assert answer.status_code == 503
        assert b"<return_code><![CDATA[FAIL]]></return_code>" in answer.content
        assert b"not configured" in answer.content
    assert v3_paid.status_code == 204
    assert len(producer.sent) == 1
