"""The hostile v3 corpus as WeChat's answers (issue 15, defect 5): every correctly signed answer
that breaks the documented format is a ``ResponseFormatError`` from the client, which the
PaymentService maps to ``INTERNAL`` with ``ErrorInfo.reason = RESPONSE_FORMAT`` (never UNKNOWN,
the status of a crash); a malformed ``Wechatpay-*`` header is a ``ResponseSignatureError``."""

from __future__ import annotations

import json
from typing import Any

import grpc
import httpx
import pytest

from payment.service.errors import failure_for
from payment.wechatpay import errors as wx
from payment.wechatpay.types import TradeState
from payment.wechatpay_v3 import WeChatPayV3Client
from payment.wechatpay_v3.signing import response_message, sign
from tests.fixtures.v3_hostile import HOSTILE_RESOURCES, WELL_FORMED_RESOURCES
from tests.unit.wechatpay_v3.fake_wechat import NOW, PLATFORM_KEY, PUB_KEY_ID, merchant_client

REFUND = {
    "refund_id": "50300408942018112000049541283",
    "out_refund_no": "order-0001-r1",
    "transaction_id": "4200000540202005267407409907",
    "out_trade_no": "order-0001",
    "channel": "ORIGINAL",
    "user_received_account": "支付用户零钱",
    "success_time": "2026-11-27T20:05:06+08:00",
    "status": "SUCCESS",
    "amount": {"total": 250, "refund": 100, "payer_total": 250, "payer_refund": 100},
}


def _answer(body: bytes, stamp: str | None = None) -> httpx.Response:
    stamp = stamp if stamp is not None else str(int(NOW.timestamp()))
    signature = sign(response_message(stamp, "n0nce", body), PLATFORM_KEY)
    headers = {
        b"Wechatpay-Timestamp": stamp.encode("latin-1"),
        b"Wechatpay-Nonce": b"n0nce",
        b"Wechatpay-Serial": PUB_KEY_ID.encode(),
        b"Wechatpay-Signature": signature.encode(),
    }
    return httpx.Response(200, content=body, headers=headers)


async def _query(body: bytes, stamp: str | None = None) -> Any:
    async with merchant_client(lambda _: _answer(body, stamp)) as client:
        return await client.order_query("order-v3-hostile")


async def _failure(call: Any) -> wx.WeChatPayError:
    with pytest.raises(wx.WeChatPayError) as raised:
        await call
    failure = failure_for(raised.value)
    assert failure is not None
    assert failure.code is grpc.StatusCode.INTERNAL
    return raised.value


@pytest.mark.parametrize("case", sorted(HOSTILE_RESOURCES))
async def test_a_hostile_query_answer_is_a_format_error(case: str) -> None:
    error = await _failure(_query(HOSTILE_RESOURCES[case]))
    assert isinstance(error, wx.ResponseFormatError), error
    assert error.err_code == "RESPONSE_FORMAT"


@pytest.mark.parametrize("case", sorted(WELL_FORMED_RESOURCES))
async def test_an_unusual_well_formed_query_answer_is_read(case: str) -> None:
    status = await _query(WELL_FORMED_RESOURCES[case])
    assert (status.out_trade_no, status.trade_state) == ("order-v3-hostile", TradeState.SUCCESS)
    assert status.total_fee == 1000


@pytest.mark.parametrize("stamp", ["¹²³", "170000000½", "+1764244800", "1_764_244_800", "-1", ""])
async def test_a_malformed_answer_timestamp_is_a_signature_error(stamp: str) -> None:
    body = WELL_FORMED_RESOURCES["success_time in UTC with Z"]
    error = await _failure(_query(body, stamp))
    assert isinstance(error, wx.ResponseSignatureError), error


def _refund(**changes: Any) -> bytes:
    return json.dumps({**REFUND, **changes}, ensure_ascii=False).encode()


HOSTILE_REFUNDS = {
    "success_time in year 1": _refund(success_time="0001-01-01T07:59:59+08:00"),
    "success_time as text": _refund(success_time="yesterday"),
    "refund a float": _refund(amount={**REFUND["amount"], "refund": 100.0}),  # type: ignore[dict-item]
    "refund negative": _refund(amount={**REFUND["amount"], "refund": -1}),  # type: ignore[dict-item]
    "total missing": _refund(amount={"refund": 100}),
    "status unknown": _refund(status="DONE"),
    "refund_id with a space": _refund(refund_id="5030 1"),
    "amount a list": _refund(amount=[]),
    "not an object": b"[1, 2]",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_REFUNDS))
async def test_a_hostile_refund_answer_is_a_format_error(case: str) -> None:
    body = HOSTILE_REFUNDS[case]

    async def refund_query() -> Any:
        async with merchant_client(lambda _: _answer(body)) as client:
            return await client.refund_query(out_refund_no="order-0001-r1")

    async def refund() -> Any:
        async with merchant_client(lambda _: _answer(body)) as client:
            return await client.refund(
                out_trade_no="order-0001",
                out_refund_no="order-0001-r1",
                total_fee=250,
                refund_fee=100,
            )

    queried = await _failure(refund_query())
    assert isinstance(queried, wx.ResponseFormatError), queried
    if case not in ("success_time in year 1", "success_time as text", "status unknown"):
        refused = await _failure(refund())  # the refund answer has no time or status to read
        assert isinstance(refused, wx.ResponseFormatError), refused


@pytest.mark.parametrize(
    "body", [b'{"code_url": 5}', b'{"code_url": "weixin://\\ud800"}', b"[" * 3000, b"\xff"]
)
async def test_a_hostile_native_answer_is_a_format_error(body: bytes) -> None:
    async def native(client: WeChatPayV3Client) -> Any:
        return await client.unified_order_native(out_trade_no="order-0001", total_fee=1, body="茶")

    async def call() -> Any:
        async with merchant_client(lambda _: _answer(body)) as client:
            return await native(client)

    error = await _failure(call())
    assert isinstance(error, wx.ResponseFormatError), error
