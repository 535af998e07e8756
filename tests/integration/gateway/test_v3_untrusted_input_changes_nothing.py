"""Anything that is not a verified, decryptable v3 notify of ours is answered 4xx/5xx with
``{"code", "message"}`` and produces nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import TopicFactory
from tests.fixtures.gateway import (
    running_gateway,
    v3_body,
    v3_gateway_settings,
    v3_headers,
    v3_transaction,
)
from tests.kafka_reader import read_records

NOTIFY = "/wechatpay/v3/notify"
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _signed(body: bytes, **header_options: Any) -> tuple[bytes, dict[str, str]]:
    return body, v3_headers(body, **header_options)


def _probe() -> tuple[bytes, dict[str, str]]:
    body, headers = _signed(v3_body(v3_transaction("order-v3-8001")))
    return body, {**headers, "Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + "A" * 32}


def _changed_after_signing() -> tuple[bytes, dict[str, str]]:
    body = v3_body(v3_transaction("order-v3-8002"))
    changed = body.replace(b'"summary": "', b'"summary": "x', 1)
    assert changed != body
    return changed, v3_headers(body)


def _with_resource(**changes: str) -> tuple[bytes, dict[str, str]]:
    envelope = json.loads(v3_body(v3_transaction("order-v3-8003")))
    envelope["resource"].update(changes)
    return _signed(json.dumps(envelope).encode())


def _tampered_ciphertext() -> tuple[bytes, dict[str, str]]:
    envelope = json.loads(v3_body(v3_transaction("order-v3-8004")))
    ciphertext = envelope["resource"]["ciphertext"]
    envelope["resource"]["ciphertext"] = ("B" if ciphertext[0] == "A" else "A") + ciphertext[1:]
    return _signed(json.dumps(envelope).encode())


def _unsigned() -> tuple[bytes, dict[str, str]]:
    return v3_body(v3_transaction("order-v3-8005")), {"Content-Type": "application/json"}


def _skewed(seconds: int) -> tuple[bytes, dict[str, str]]:
    return _signed(v3_body(v3_transaction()), timestamp=int(time.time()) + seconds)


# Made when the test runs (signatures carry the time): case → (make the request, status).
HOSTILE: dict[str, tuple[Callable[[], tuple[bytes, dict[str, str]]], int]] = {
    "wechat signature probe": (_probe, 401),
    "unsigned": (_unsigned, 401),
    "timestamp 5 minutes old": (lambda: _skewed(-301), 401),
    "timestamp 5 minutes ahead": (lambda: _skewed(301), 401),
    "unknown serial": (lambda: _signed(v3_body(v3_transaction()), serial="5157F09EFDC0"), 401),
    "signed by another key": (lambda: _signed(v3_body(v3_transaction()), key=OTHER_KEY), 401),
    "body changed after signing": (_changed_after_signing, 401),
    "tampered ciphertext": (_tampered_ciphertext, 401),
    "another nonce": (lambda: _with_resource(nonce="000000000000"), 401),
    "another associated_data": (lambda: _with_resource(associated_data="refund"), 401),
    "encrypted with another APIv3 key": (
        lambda: _signed(v3_body(v3_transaction(), key="K" * 32)),
        401,
    ),
    "another mchid": (lambda: _signed(v3_body(v3_transaction(mchid="1999999999"))), 403),
    "another appid": (lambda: _signed(v3_body(v3_transaction(appid="wx9999999999999999"))), 403),
    "signed but not JSON": (lambda: _signed(b"<xml><return_code>SUCCESS</return_code></xml>"), 400),
    "signed, without out_trade_no": (
        lambda: _signed(
            v3_body({k: v for k, v in v3_transaction().items() if k != "out_trade_no"})
        ),
        400,
    ),
    "signed, amount as text": (
        lambda: _signed(v3_body(v3_transaction(amount={"total": "100"}))),
        400,
    ),
    "signed, an event we do not take": (
        lambda: _signed(v3_body(v3_transaction(), "PAYSCORE.USER_OPEN_SERVICE")),
        400,
    ),
    "signed, not an encrypted resource": (lambda: _with_resource(algorithm="AES_128_CBC"), 400),
    "over the size cap": (lambda: _signed(b"{" + b" " * 20_000 + b"}"), 413),
}


async def test_untrusted_v3_bodies_are_refused_and_produce_nothing(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    topic = kafka_topics("observations", partitions=1)
    sentinel = v3_body(v3_transaction("order-sentinel"))
    answers: dict[str, httpx.Response] = {}
    async with running_gateway(v3_gateway_settings(kafka_bootstrap, topic, tmp_path)) as gateway:
        for case, (make, _) in HOSTILE.items():
            body, headers = make()
            answers[case] = await gateway.post(NOTIFY, content=body, headers=headers)
        accepted = await gateway.post(NOTIFY, content=sentinel, headers=v3_headers(sentinel))
    assert {case: a.status_code for case, a in answers.items()} == {
        case: status for case, (_, status) in HOSTILE.items()
    }
    for answer in answers.values():
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["code"] == "FAIL"
        assert answer.json()["message"]
    assert accepted.status_code == 204
    # One partition: whatever a refused request produced would sit before the sentinel.
    records = read_records(kafka_bootstrap, topic, until_key=b"order-sentinel")
    assert [record.key for record in records] == [b"order-sentinel"]


async def test_get_on_the_v3_endpoint_is_refused(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    topic = kafka_topics("observations", partitions=1)
    async with running_gateway(v3_gateway_settings(kafka_bootstrap, topic, tmp_path)) as gateway:
        answer = await gateway.get(NOTIFY)
    assert answer.status_code == 405
    assert answer.json()["code"] == "FAIL"
