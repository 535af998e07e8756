"""Anything that is not a verified notify of ours answers FAIL (or 413) and produces nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from payment.wechatpay import xml_codec
from payment.wechatpay.signing import SignType, sign
from tests.conftest import TopicFactory
from tests.fixtures.gateway import (
    API_KEY,
    gateway_settings,
    notify_fields,
    running_gateway,
    signed_body,
)
from tests.kafka_reader import read_records

NOTIFY = "/wechatpay/v2/notify"
FAIL = b"<return_code><![CDATA[FAIL]]></return_code>"


def _probe() -> bytes:
    fields = notify_fields("order-8002")
    fields["sign"] = "WECHATPAY/SIGNTEST/" + "0" * 32
    return xml_codec.encode(fields)


def _sign_type_lie() -> bytes:
    # Signed with HMAC-SHA256 but claiming MD5: the claimed algorithm decides, and fails.
    fields = notify_fields("order-8003", sign_type="MD5")
    fields["sign"] = sign(fields, API_KEY, SignType.HMAC_SHA256)
    return xml_codec.encode(fields)


def _tampered_amount() -> bytes:
    body = signed_body(notify_fields("order-8004", 100))
    return body.replace(b"<total_fee>100</total_fee>", b"<total_fee>1</total_fee>").replace(
        b"<total_fee><![CDATA[100]]></total_fee>", b"<total_fee><![CDATA[1]]></total_fee>"
    )


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b"<xml><appid>&lol3;</appid></xml>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<xml><appid>&xxe;</appid></xml>"
)

HOSTILE: dict[str, tuple[bytes, int]] = {
    "wrong signature": (signed_body(notify_fields("order-8001"), key="B" * 32), 401),
    "wechat signature probe": (_probe(), 401),
    "sign_type that does not match the signature": (_sign_type_lie(), 401),
    "unknown sign_type": (
        signed_body(notify_fields("order-8005", sign_type="SHA1"), with_sign_type=False),
        401,
    ),
    "amount changed after signing": (_tampered_amount(), 401),
    "wrong appid": (signed_body(notify_fields("order-8006", appid="wx9999999999999999")), 403),
    "wrong mch_id": (signed_body(notify_fields("order-8007", mch_id="1999999999")), 403),
    "doctype with external entity (XXE)": (XXE, 400),
    "billion laughs": (BILLION_LAUGHS, 400),
    "truncated XML": (signed_body(notify_fields("order-8008"))[:-20], 400),
    "not UTF-8": (
        signed_body(notify_fields("order-8009", attach="商品")).decode().encode("gb18030"),
        400,
    ),
    "empty body": (b"", 400),
    "JSON instead of XML": (b'{"return_code": "SUCCESS", "out_trade_no": "order-8010"}', 400),
    "two roots": (b"<xml><a>1</a></xml><xml><a>2</a></xml>", 400),
    "nested element": (b"<xml><appid><x>1</x></appid></xml>", 400),
    "unsigned": (xml_codec.encode(notify_fields("order-8011")), 401),
    "return_code FAIL": (signed_body(notify_fields("order-8012", return_code="FAIL")), 400),
    "signed but without out_trade_no": (
        signed_body({k: v for k, v in notify_fields().items() if k != "out_trade_no"}),
        400,
    ),
    "signed but with a non-numeric amount": (
        signed_body(notify_fields(total_fee=0) | {"total_fee": "1.00"}),
        400,
    ),
    "over the size cap": (b"<xml><attach>" + b"x" * 20_000 + b"</attach></xml>", 413),
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_untrusted_body_is_refused_with_a_fail_answer(
    case: str, kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    body, status = HOSTILE[case]
    topic = kafka_topics("observations", partitions=1)
    sentinel = signed_body(notify_fields("order-sentinel"))
    async with running_gateway(gateway_settings(kafka_bootstrap, topic)) as gateway:
        answer = await gateway.post(NOTIFY, content=body)
        assert (await gateway.post(NOTIFY, content=sentinel)).status_code == 200
    assert answer.status_code == status
    assert FAIL in answer.content
    # One partition: whatever the refused request produced would sit before the sentinel.
    records = read_records(kafka_bootstrap, topic, until_key=b"order-sentinel")
    assert [record.key for record in records] == [b"order-sentinel"]


async def test_oversized_declared_body_is_refused_before_it_is_read(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    topic = kafka_topics("observations", partitions=1)
    chunks_sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        for _ in range(1000):
            chunks_sent += 1
            yield b"x" * 1024

    async with running_gateway(gateway_settings(kafka_bootstrap, topic)) as gateway:
        answer = await gateway.post(
            NOTIFY, content=endless(), headers={"content-length": str(1024 * 1000)}
        )
    assert answer.status_code == 413
    assert chunks_sent < 1000


async def test_slow_body_is_cut_off_by_the_read_timeout(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    topic = kafka_topics("observations", partitions=1)
    body = signed_body(notify_fields("order-8013"))

    async def trickle() -> AsyncIterator[bytes]:
        for n in range(0, len(body), 16):
            await asyncio.sleep(0.1)
            yield body[n : n + 16]

    settings = gateway_settings(kafka_bootstrap, topic, gateway_body_timeout_seconds=0.3)
    async with running_gateway(settings) as gateway:
        answer = await gateway.post(NOTIFY, content=trickle())
    assert answer.status_code == 408
    assert FAIL in answer.content
    assert read_records(kafka_bootstrap, topic, idle=0.5) == []
