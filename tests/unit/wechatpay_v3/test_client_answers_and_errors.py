"""The v3 client against a scripted WeChat: requests, answers, error codes in both spellings
mapped to the v2 error classes, HTTP status semantics, and answers that do not verify."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest

from payment.wechatpay import errors as wx
from payment.wechatpay.types import RefundStatus, TradeState
from payment.wechatpay_v3 import REFUND_QUERY_NEEDS_OUT_REFUND_NO
from tests.unit.wechatpay_v3.fake_wechat import (
    APPID,
    MCH_ID,
    NOW,
    NoSleep,
    error,
    merchant_client,
    signed,
)

PAID = {
    "appid": APPID,
    "mchid": MCH_ID,
    "out_trade_no": "order-0001",
    "transaction_id": "4200000540202005267407409907",
    "trade_type": "NATIVE",
    "trade_state": "SUCCESS",
    "trade_state_desc": "支付成功",
    "bank_type": "OTHERS",
    "attach": "table-7",
    "success_time": "2026-11-27T20:01:02+08:00",
    "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    "amount": {"total": 250, "payer_total": 250, "currency": "CNY", "payer_currency": "CNY"},
}
REFUND = {
    "refund_id": "50300408942018112000049541283",
    "out_refund_no": "order-0001-r1",
    "transaction_id": "4200000540202005267407409907",
    "out_trade_no": "order-0001",
    "channel": "ORIGINAL",
    "user_received_account": "支付用户零钱",
    "create_time": "2026-11-27T20:05:00+08:00",
    "success_time": "2026-11-27T20:05:06+08:00",
    "status": "SUCCESS",
    "amount": {"total": 250, "refund": 100, "payer_total": 250, "payer_refund": 100},
}


async def test_a_native_order_with_expiry_attach_and_no_prepay_id() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return signed(200, {"code_url": "weixin://wxpay/bizpayurl?pr=abc"})

    expire = NOW + timedelta(minutes=30, microseconds=7)
    async with merchant_client(answer) as client:
        order = await client.unified_order_native(
            out_trade_no="order-0001",
            total_fee=1999,
            body="一杯咖啡",
            attach="t7",
            time_expire=expire,
        )
    sent = json.loads(seen[0].content)
    assert sent["time_expire"] == "2026-11-27T20:30:00+08:00"
    assert sent["attach"] == "t7"
    assert sent["notify_url"] == "https://shop.example.com/wechatpay/v3/notify"
    assert sent["amount"] == {"total": 1999, "currency": "CNY"}
    assert seen[0].headers["Wechatpay-Serial"].startswith("PUB_KEY_ID_")
    assert order.prepay_id == ""
    assert order.expires_at == NOW + timedelta(minutes=30)


async def test_query_maps_a_paid_and_an_unpaid_order() -> None:
    answers = [
        signed(200, PAID),
        signed(
            200, {"appid": APPID, "mchid": MCH_ID, "out_trade_no": "o2", "trade_state": "NOTPAY"}
        ),
    ]
    paths: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path)
        return answers.pop(0)

    async with merchant_client(answer) as client:
        paid = await client.order_query("order-0001")
        unpaid = await client.order_query("o2|*")
    assert paths == [
        b"/v3/pay/transactions/out-trade-no/order-0001?mchid=1230000109",
        b"/v3/pay/transactions/out-trade-no/o2%7C%2A?mchid=1230000109",
    ]
    assert paid.trade_state is TradeState.SUCCESS
    assert (paid.total_fee, paid.cash_fee, paid.attach) == (250, 250, "table-7")
    assert paid.success_time is not None
    assert paid.success_time.isoformat() == "2026-11-27T12:01:02+00:00"
    assert paid.openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert (unpaid.trade_state, unpaid.total_fee, unpaid.transaction_id) == (
        TradeState.NOTPAY,
        None,
        None,
    )


async def test_close_is_204_and_refund_needs_no_client_certificate() -> None:
    seen: list[httpx.Request] = []
    answers = [signed(204), signed(200, {**REFUND, "status": "PROCESSING"}), signed(200, REFUND)]

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    async with merchant_client(answer) as client:
        await client.close_order("order-0001")
        accepted = await client.refund(
            out_trade_no="order-0001",
            out_refund_no="order-0001-r1",
            total_fee=250,
            refund_fee=100,
            refund_desc="退一半",
        )
        queried = await client.refund_query(out_refund_no="order-0001-r1")
    assert json.loads(seen[0].content) == {"mchid": MCH_ID}
    assert json.loads(seen[1].content) == {
        "out_trade_no": "order-0001",
        "out_refund_no": "order-0001-r1",
        "amount": {"refund": 100, "total": 250, "currency": "CNY"},
        "reason": "退一半",
    }
    assert (accepted.refund_fee, accepted.total_fee, accepted.refund_id) == (
        100,
        250,
        REFUND["refund_id"],
    )
    assert seen[2].url.raw_path == b"/v3/refund/domestic/refunds/order-0001-r1"
    (record,) = queried.refunds
    assert (record.status, record.refund_fee, queried.total_fee) == (RefundStatus.SUCCESS, 100, 250)
    assert record.recv_account == "支付用户零钱"


@pytest.mark.parametrize(
    ("state", "err_code"),
    [("SUCCESS", "REFUNDNOTEXIST"), ("REFUND", REFUND_QUERY_NEEDS_OUT_REFUND_NO)],
)
async def test_an_orders_refunds_cannot_be_listed_in_v3(state: str, err_code: str) -> None:
    def answer(_: httpx.Request) -> httpx.Response:
        return signed(200, {**PAID, "trade_state": state})

    async with merchant_client(answer) as client:
        with pytest.raises(wx.RefundNotFoundError) as raised:
            await client.refund_query(out_trade_no="order-0001")
        with pytest.raises(wx.CallerError):
            await client.refund_query(refund_id="50300408942018112000049541283")
    assert raised.value.err_code == err_code


CODES = [
    (404, "ORDER_NOT_EXIST", "query", wx.OrderNotFoundError, "ORDERNOTEXIST"),
    (404, "ORDERNOTEXIST", "query", wx.OrderNotFoundError, "ORDERNOTEXIST"),
    (404, "RESOURCE_NOT_EXISTS", "refund_query", wx.RefundNotFoundError, "REFUNDNOTEXIST"),
    (400, "ORDER_CLOSED", "close", wx.OrderClosedError, "ORDERCLOSED"),
    (400, "ORDERCLOSED", "close", wx.OrderClosedError, "ORDERCLOSED"),
    (403, "ORDERPAID", "close", wx.OrderPaidError, "ORDERPAID"),
    (403, "ORDER_PAID", "close", wx.OrderPaidError, "ORDERPAID"),
    (400, "INVALID_REQUEST", "native", wx.OutTradeNoReusedError, "INVALID_REQUEST"),
    (403, "OUT_TRADE_NO_USED", "native", wx.OutTradeNoReusedError, "OUT_TRADE_NO_USED"),
    (400, "INVALID_REQUEST", "refund", wx.RefundRefusedError, "INVALID_REQUEST"),
    (403, "NOT_ENOUGH", "refund", wx.RefundRefusedError, "NOTENOUGH"),
    (403, "NOTENOUGH", "refund", wx.RefundRefusedError, "NOTENOUGH"),
    (403, "NO_AUTH", "native", wx.ConfigurationError, "NOAUTH"),
    (403, "NOAUTH", "native", wx.ConfigurationError, "NOAUTH"),
    (400, "APPID_MCHID_NOT_MATCH", "native", wx.ConfigurationError, "APPID_MCHID_NOT_MATCH"),
    (404, "MCH_NOT_EXISTS", "native", wx.ConfigurationError, "MCHID_NOT_EXIST"),
    (401, "SIGN_ERROR", "native", wx.CallerError, "SIGNERROR"),
    (400, "PARAM_ERROR", "native", wx.CallerError, "PARAM_ERROR"),
    (403, "TRADE_ERROR", "close", wx.UnrecognisedError, "TRADE_ERROR"),
    (500, "INVALID_TRANSACTIONID", "refund", wx.RefundRefusedError, "INVALID_TRANSACTIONID"),
]


async def _fail_once(api: str, answer: httpx.Response) -> wx.WeChatPayError:
    async with merchant_client(lambda _: answer) as client:
        calls: dict[str, Callable[[], Awaitable[object]]] = {
            "native": lambda: client.unified_order_native(out_trade_no="o1", total_fee=1, body="b"),
            "query": lambda: client.order_query("o1"),
            "close": lambda: client.close_order("o1"),
            "refund": lambda: client.refund(
                out_trade_no="o1", out_refund_no="r1", total_fee=2, refund_fee=1
            ),
            "refund_query": lambda: client.refund_query(out_refund_no="r1"),
        }
        with pytest.raises(wx.WeChatPayError) as raised:
            await calls[api]()
    return raised.value


@pytest.mark.parametrize(("status", "code", "api", "error_class", "err_code"), CODES)
async def test_error_codes_in_both_spellings_become_the_v2_errors(
    status: int, code: str, api: str, error_class: type[Exception], err_code: str
) -> None:
    raised = await _fail_once(api, error(status, code, "说明"))
    assert type(raised) is error_class
    assert raised.err_code == err_code
    assert f"HTTP {status} {code}" in raised.err_code_des


@pytest.mark.parametrize(
    ("answers", "attempts"),
    [
        ([error(500, "SYSTEM_ERROR"), signed(204)], 2),
        ([error(500, "SYSTEMERROR"), signed(204)], 2),
        ([error(500, "BANK_ERROR"), signed(204)], 2),
        ([httpx.Response(502, content=b"<html>bad gateway</html>"), signed(204)], 2),
        ([error(503, "SERVICE_UNAVAILABLE"), signed(204)], 2),
        ([error(202, "USER_PAYING"), signed(204)], 2),
        ([error(429, "FREQUENCY_LIMITED"), signed(204)], 2),
    ],
    ids=["SYSTEM_ERROR", "SYSTEMERROR", "BANK_ERROR", "502", "503", "202", "429"],
)
async def test_5xx_202_and_429_are_retried_with_the_same_request(
    answers: list[httpx.Response], attempts: int
) -> None:
    bodies: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return answers.pop(0)

    sleeps = NoSleep()
    async with merchant_client(answer, sleeps=sleeps) as client:
        await client.close_order("o1")
    assert len(bodies) == attempts
    assert len(set(bodies)) == 1
    assert len(sleeps.slept) == attempts - 1


async def test_a_rate_limit_waits_at_least_a_second_and_4xx_is_never_retried() -> None:
    sleeps = NoSleep()
    calls: list[int] = []

    def answer(_: httpx.Request) -> httpx.Response:
        calls.append(1)
        return error(429, "RATELIMIT_EXCEEDED") if len(calls) == 1 else error(400, "PARAM_ERROR")

    async with merchant_client(answer, sleeps=sleeps) as client:
        with pytest.raises(wx.CallerError):
            await client.close_order("o1")
    assert len(calls) == 2
    assert sleeps.slept[0] >= 1.0


def _tampered(answer: httpx.Response) -> httpx.Response:
    """The same signed headers over another body."""
    body = answer.content.replace(b"ORDER_NOT_EXIST", b"ORDER_PAID").replace(b'"x"', b'"y"')
    headers = {k: v for k, v in answer.headers.items() if k != "content-length"}
    return httpx.Response(answer.status_code, content=body, headers=headers)


@pytest.mark.parametrize(
    ("answer", "err_code"),
    [
        (httpx.Response(200, json={"code_url": "weixin://forged"}), "RESPONSE_UNSIGNED"),
        (_tampered(signed(200, {"code_url": "x"})), "RESPONSE_SIGNATURE"),
        (signed(200, {"code_url": "x"}, serial="PUB_KEY_ID_0001"), "RESPONSE_SERIAL"),
        (
            signed(200, {"code_url": "x"}, serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"),
            "RESPONSE_SERIAL",
        ),
        (signed(200, {"code_url": "x"}, now=NOW - timedelta(minutes=5)), "RESPONSE_TIMESTAMP"),
        (signed(200, {"code_url": "x"}, now=NOW + timedelta(minutes=5)), "RESPONSE_TIMESTAMP"),
        (_tampered(signed(404, {"code": "ORDER_NOT_EXIST"})), "RESPONSE_SIGNATURE"),
    ],
    ids=[
        "unsigned",
        "body changed",
        "unknown key id",
        "unknown serial",
        "stale",
        "future",
        "error",
    ],
)
async def test_an_answer_that_does_not_verify_is_never_trusted(
    answer: httpx.Response, err_code: str
) -> None:
    raised = await _fail_once("native", answer)
    assert isinstance(raised, wx.ResponseSignatureError)
    assert raised.err_code == err_code


async def test_an_unsigned_error_answer_is_read_as_the_error_it_names() -> None:
    # WeChat cannot sign an answer to a request it could not authenticate (401 SIGN_ERROR).
    answer = httpx.Response(401, json={"code": "SIGN_ERROR", "message": "签名错误，请检查后再试"})
    raised = await _fail_once("native", answer)
    assert type(raised) is wx.CallerError
    assert raised.err_code == "SIGNERROR"


async def test_a_verified_answer_missing_a_field_is_a_format_error() -> None:
    raised = await _fail_once("native", signed(200, {"prepay_id": "wx1"}))
    assert isinstance(raised, wx.ResponseFormatError)
