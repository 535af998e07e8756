"""A scripted WeChat Pay for client unit tests, behind httpx.MockTransport."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from payment.wechatpay import (
    AttemptRecord,
    HttpxPoster,
    WeChatPayConfig,
    WeChatPayV2Client,
    xml_codec,
)
from payment.wechatpay.retry import RetryPolicy, Timing
from payment.wechatpay.signing import SignType, sign

APPID = "wx1111222233334444"
MCH_ID = "1900000109"
KEY = "0123456789abcdefghijklmnopqrstuv"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

Answer = Callable[[dict[str, str]], httpx.Response]


def answer_xml(
    fields: dict[str, str], sign_type: SignType | None = SignType.HMAC_SHA256, key: str = KEY
) -> httpx.Response:
    body = dict(fields)
    if sign_type is not None:
        body["sign"] = sign(body, key, sign_type)
    return httpx.Response(200, content=xml_codec.encode(body))


def success(**business: str) -> Answer:
    def answer(_: dict[str, str]) -> httpx.Response:
        fields = {
            "return_code": "SUCCESS",
            "return_msg": "OK",
            "appid": APPID,
            "mch_id": MCH_ID,
            "nonce_str": "n0nce",
            "result_code": "SUCCESS",
            **business,
        }
        return answer_xml(fields)

    return answer


def business_fail(err_code: str, err_code_des: str = "说明") -> Answer:
    def answer(_: dict[str, str]) -> httpx.Response:
        fields = {
            "return_code": "SUCCESS",
            "return_msg": "OK",
            "appid": APPID,
            "mch_id": MCH_ID,
            "nonce_str": "n0nce",
            "result_code": "FAIL",
            "err_code": err_code,
            "err_code_des": err_code_des,
        }
        return answer_xml(fields)

    return answer


def return_fail(return_msg: str) -> Answer:
    def answer(_: dict[str, str]) -> httpx.Response:
        return answer_xml({"return_code": "FAIL", "return_msg": return_msg}, sign_type=None)

    return answer


def raw(response: httpx.Response) -> Answer:
    return lambda _: response


def raises(error: Exception) -> Answer:
    def answer(_: dict[str, str]) -> httpx.Response:
        raise error

    return answer


NATIVE_OK = success(
    trade_type="NATIVE",
    prepay_id="wx2026112720000000000000000000000001",
    code_url="weixin://wxpay/bizpayurl?pr=p4lpSuKzz",
)


@dataclass
class FakeWeChat:
    """Answers requests with the scripted answers in order (the last one repeats)."""

    answers: list[Answer]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        fields = xml_codec.parse(request.content)
        self.requests.append((request.url.path, fields))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(fields)


@dataclass
class FakeClock:
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def config(**overrides: Any) -> WeChatPayConfig:
    values: dict[str, Any] = {
        "appid": APPID,
        "mch_id": MCH_ID,
        "api_key": SecretStr(KEY),
        "notify_url": "https://shop.example/wechatpay/v2/notify",
        "base_url": "https://api.mch.weixin.qq.com",
    }
    return WeChatPayConfig(**(values | overrides))


def client_for(
    wechat: FakeWeChat,
    clock: FakeClock | None = None,
    *,
    retry: RetryPolicy | None = None,
    observer: Callable[[AttemptRecord], None] | None = None,
    **overrides: Any,
) -> tuple[WeChatPayV2Client, httpx.AsyncClient]:
    clock = clock or FakeClock()
    http = httpx.AsyncClient(transport=httpx.MockTransport(wechat.handle))
    client = WeChatPayV2Client(
        config(**overrides),
        HttpxPoster(http),
        clock=lambda: NOW,
        retry=retry or RetryPolicy(max_attempts=4, base_delay=0.1, max_delay=1.0),
        timing=Timing(monotonic=clock.monotonic, sleep=clock.sleep, rng=random.Random(7)),
        observer=observer,
    )
    return client, http
