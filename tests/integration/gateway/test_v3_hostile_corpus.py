"""The hostile v3 corpus through the gateway's real v3 endpoint and a real Kafka topic (issue 15):
notifies correctly signed with the test WeChat Pay public key, whose headers, envelope or
decrypted resource break the documented format. Each gets its documented 4xx with
``{"code": "FAIL", "message"}`` — 401 for what does not verify, 400 for a verified body that is
malformed — never a 500, and nothing reaches the topic; the well-formed unusual ones get 204 and
exactly their record."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import httpx

from payment.wechatpay_v3.signing import response_message, sign
from paystream.events.v1 import events_pb2
from tests.conftest import TopicFactory
from tests.fixtures.gateway import (
    V3_PUB_KEY_ID,
    running_gateway,
    v3_body,
    v3_gateway_settings,
    v3_headers,
    v3_platform_key,
    v3_refund,
    v3_transaction,
)
from tests.fixtures.v3_hostile import HOSTILE_RESOURCES, WELL_FORMED_RESOURCES
from tests.kafka_reader import read_records

NOTIFY = "/wechatpay/v3/notify"


def _headers(body: bytes, **changes: str) -> dict[str, str]:
    """Headers signed over exactly what they say (a malformed timestamp is signed as it is)."""
    stamp = changes.pop("timestamp", str(int(time.time())))
    nonce = secrets.token_hex(16)
    headers = {
        "Content-Type": "application/json",
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": V3_PUB_KEY_ID,
        "Wechatpay-Signature": sign(response_message(stamp, nonce, body), v3_platform_key()),
    }
    return {**headers, **changes}


HEADER_CASES: dict[str, dict[str, str]] = {
    "timestamp in superscript digits": {"timestamp": "¹²³"},
    "timestamp with a vulgar fraction": {"timestamp": "170000000½"},
    "timestamp with a plus sign": {"timestamp": f"+{int(time.time())}"},
    "timestamp negative": {"timestamp": "-1"},
    "timestamp with underscores": {"timestamp": "1_700_000_000"},
    "timestamp in hex": {"timestamp": "0x6553F100"},
    "timestamp as a float": {"timestamp": f"{time.time():.3f}"},
    "timestamp of 13 digits (milliseconds)": {"timestamp": str(int(time.time() * 1000))},
    "signature type HMAC": {"Wechatpay-Signature-Type": "HMAC-SHA256"},
    "signature not base64": {"Wechatpay-Signature": "not*base64!"},
    "signature empty": {"Wechatpay-Signature": ""},
    "serial in superscript digits": {"Wechatpay-Serial": "¹²³"},
}


def _envelope(**changes: Any) -> bytes:
    envelope = json.loads(v3_body(v3_transaction("order-v3-envelope")))
    envelope.update(changes)
    return json.dumps(envelope, ensure_ascii=False).encode()


def _envelope_resource(**changes: Any) -> bytes:
    envelope = json.loads(v3_body(v3_transaction("order-v3-envelope")))
    envelope["resource"].update(changes)
    return json.dumps(envelope, ensure_ascii=False).encode()


def _envelope_raw(old: bytes, new: bytes) -> bytes:
    body = _envelope()
    assert old in body
    return body.replace(old, new, 1)


ENVELOPE_CASES: dict[str, bytes] = {
    "a JSON array": b"[]",
    "JSON null": b"null",
    "resource a list": _envelope(resource=[]),
    "resource a string": _envelope(resource="encrypted"),
    "resource missing": _envelope(resource=None),
    "event_type a number": _envelope(event_type=5),
    "id a number": _envelope(id=5),
    "summary an object": _envelope(summary={"zh": "支付成功"}),
    "create_time a list": _envelope(create_time=[]),
    "resource_type another": _envelope(resource_type="plain-resource"),
    "original_type a number": _envelope_resource(original_type=1),
    "nonce a number": _envelope_resource(nonce=123456789012),
    "nonce with a lone surrogate": _envelope_raw(b'"nonce": "', b'"nonce": "\\ud800'),
    "associated_data with a lone surrogate": _envelope_raw(
        b'"associated_data": "', b'"associated_data": "\\udfff'
    ),
    "ciphertext a number": _envelope_resource(ciphertext=12),
    "NaN in the envelope": _envelope_raw(b'"summary": ', b'"x": NaN, "summary": '),
    "resource twice": _envelope_raw(b'"resource": {', b'"resource": {}, "resource": {'),
    "UTF-16": _envelope().decode().encode("utf-16"),
    "a byte-order mark": b"\xef\xbb\xbf" + _envelope(),
    "5,000 nested arrays": _envelope_raw(
        b'"summary": ', b'"x": ' + b"[" * 5000 + b"]" * 5000 + b', "summary": '
    ),
    "20 nested objects": _envelope(x=json.loads('{"a":' * 20 + "1" + "}" * 20)),
}


def _refund(**changes: Any) -> bytes:
    return json.dumps({**v3_refund("order-v3-refund"), **changes}, ensure_ascii=False).encode()


REFUND_CASES: dict[str, bytes] = {
    "success_time in year 1": _refund(success_time="0001-01-01T07:59:59+08:00"),
    "success_time without an offset": _refund(success_time="2026-11-27 20:05:06"),
    "refund a float": _refund(amount={"total": 100, "refund": 40.0}),
    "refund negative": _refund(amount={"total": 100, "refund": -40}),
    "refund true": _refund(amount={"total": 100, "refund": True}),
    "refund_status unknown": _refund(refund_status="REFUNDED"),
    "out_refund_no with a space": _refund(out_refund_no="refund 1"),
    "refund_id a number": _refund(refund_id=5030001),
    "amount a string": _refund(amount="100"),
}


def _requests() -> dict[str, tuple[bytes, dict[str, str], int]]:
    """case → (body, headers, status), made when the test runs (signatures carry the time)."""
    requests: dict[str, tuple[bytes, dict[str, str], int]] = {}
    for case, changes in HEADER_CASES.items():
        body = v3_body(v3_transaction("order-v3-header"))
        requests[f"header: {case}"] = (body, _headers(body, **changes), 401)
    for case, body in ENVELOPE_CASES.items():
        requests[f"envelope: {case}"] = (body, v3_headers(body), 400)
    for case, resource in HOSTILE_RESOURCES.items():
        body = v3_body(resource)
        requests[f"transaction: {case}"] = (body, v3_headers(body), 400)
    for case, resource in REFUND_CASES.items():
        body = v3_body(resource, "REFUND.SUCCESS")
        requests[f"refund: {case}"] = (body, v3_headers(body), 400)
    return requests


async def test_the_hostile_v3_corpus_is_refused_with_its_status_and_produces_nothing(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    topic = kafka_topics("observations", partitions=1)
    requests = _requests()
    sentinel = v3_body(v3_transaction("order-sentinel"))
    answers: dict[str, httpx.Response] = {}
    async with running_gateway(v3_gateway_settings(kafka_bootstrap, topic, tmp_path)) as gateway:
        for case, (body, headers, _) in requests.items():
            # As bytes: WeChat's headers are Latin-1 on the wire (as ¹²³ is), httpx's default ASCII.
            raw = {k.encode("latin-1"): v.encode("latin-1") for k, v in headers.items()}
            answers[case] = await gateway.post(NOTIFY, content=body, headers=raw)
        accepted = await gateway.post(NOTIFY, content=sentinel, headers=v3_headers(sentinel))
    assert {case: a.status_code for case, a in answers.items()} == {
        case: status for case, (_, _, status) in requests.items()
    }
    for answer in answers.values():
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["code"] == "FAIL"
        assert answer.json()["message"]
    assert accepted.status_code == 204
    # One partition: whatever a refused request produced would sit before the sentinel.
    records = read_records(kafka_bootstrap, topic, until_key=b"order-sentinel")
    assert [record.key for record in records] == [b"order-sentinel"]


async def test_unusual_but_well_formed_notifies_are_accepted_with_their_values(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    topic = kafka_topics("observations", partitions=1)
    bodies = [v3_body(resource) for resource in WELL_FORMED_RESOURCES.values()]
    async with running_gateway(v3_gateway_settings(kafka_bootstrap, topic, tmp_path)) as gateway:
        answers = [await gateway.post(NOTIFY, content=b, headers=v3_headers(b)) for b in bodies]
    assert [answer.status_code for answer in answers] == [204] * len(bodies)
    records = read_records(kafka_bootstrap, topic, expect=len(bodies))
    observed = {
        case: events_pb2.PaymentObserved.FromString(record.value)
        for case, record in zip(WELL_FORMED_RESOURCES, records, strict=True)
    }
    for case, record in observed.items():
        assert (record.out_trade_no, record.total_fee) == ("order-v3-hostile", 1000), case
    usd = observed["currency USD (carried; the worker records CURRENCY_MISMATCH)"]
    assert (usd.currency, usd.cash_currency) == ("USD", "USD")
    assert observed["payer_total 0 (a coupon paid it all)"].cash_fee == 0
    assert observed["success_time in UTC with Z"].success_time.ToJsonString() == (
        "2026-11-27T12:01:02Z"
    )
    assert observed["attach with Chinese and an emoji"].attach == "桌号 7 🍵"
    assert observed["no currency at all (WeChat's default, CNY)"].currency == ""
