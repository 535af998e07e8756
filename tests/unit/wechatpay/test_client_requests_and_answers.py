"""The client against a scripted WeChat: what it sends, and how it reads every kind of answer."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from payment.wechatpay import (
    AttemptRecord,
    CallerError,
    ConfigurationError,
    OrderClosedError,
    OrderNotFoundError,
    OrderPaidError,
    OutTradeNoReusedError,
    RefundNotFoundError,
    RefundRefusedError,
    ResponseFormatError,
    ResponseSignatureError,
    RetryableError,
    SignType,
    TradeState,
    UnrecognisedError,
    WeChatPayError,
    WeChatPayV2Client,
)
from tests.unit.wechatpay.fake_wechat import (
    APPID,
    KEY,
    MCH_ID,
    NATIVE_OK,
    NOW,
    Answer,
    FakeWeChat,
    answer_xml,
    business_fail,
    client_for,
    return_fail,
    success,
)


@pytest.fixture
async def http_clients() -> AsyncIterator[list[httpx.AsyncClient]]:
    opened: list[httpx.AsyncClient] = []
    yield opened
    for http in opened:
        await http.aclose()


def make(
    http_clients: list[httpx.AsyncClient], *answers: Answer, **overrides: object
) -> tuple[WeChatPayV2Client, FakeWeChat]:
    wechat = FakeWeChat(list(answers))
    client, http = client_for(wechat, **overrides)  # type: ignore[arg-type]
    http_clients.append(http)
    return client, wechat


def independent_hmac(fields: dict[str, str], key: str) -> str:
    text = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "sign" and v)
    message = f"{text}&key={key}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest().upper()


async def test_unified_order_sends_a_signed_native_request(
    http_clients: list[httpx.AsyncClient],
) -> None:
    client, wechat = make(http_clients, NATIVE_OK)
    order = await client.unified_order_native(
        out_trade_no="order-20261127-1",
        total_fee=888,
        body=" QQ会员充值 ",
        attach="a=1",
        time_expire=NOW + timedelta(minutes=30),
    )
    path, sent = wechat.requests[0]
    assert path == "/pay/unifiedorder"
    assert sent["sign"] == independent_hmac(sent, KEY)
    assert sent | {"nonce_str": "", "sign": ""} == {
        "appid": APPID,
        "mch_id": MCH_ID,
        "nonce_str": "",
        "sign_type": "HMAC-SHA256",
        "body": "QQ会员充值",
        "attach": "a=1",
        "out_trade_no": "order-20261127-1",
        "fee_type": "CNY",
        "total_fee": "888",
        "spbill_create_ip": "127.0.0.1",
        "time_expire": "20261127203000",
        "notify_url": "https://shop.example/wechatpay/v2/notify",
        "trade_type": "NATIVE",
        "product_id": "order-20261127-1",
        "sign": "",
    }
    assert order.code_url == "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"
    assert (order.issued_at, order.expires_at) == (NOW, NOW + timedelta(minutes=30))


async def test_a_code_url_expires_two_hours_after_it_is_issued(
    http_clients: list[httpx.AsyncClient],
) -> None:
    client, _ = make(http_clients, NATIVE_OK)
    order = await client.unified_order_native(out_trade_no="order-2", total_fee=1, body="x")
    assert order.expires_at == NOW + timedelta(hours=2)


async def test_an_md5_merchant_signs_md5_and_verifies_md5_answers(
    http_clients: list[httpx.AsyncClient],
) -> None:
    fields = {
        "return_code": "SUCCESS",
        "appid": APPID,
        "mch_id": MCH_ID,
        "nonce_str": "n",
        "result_code": "SUCCESS",
        "out_trade_no": "order-3",
        "trade_state": "NOTPAY",
    }
    client, wechat = make(
        http_clients, lambda _: answer_xml(fields, SignType.MD5), sign_type=SignType.MD5
    )
    status = await client.order_query("order-3")
    assert wechat.requests[0][1]["sign_type"] == "MD5"
    assert len(wechat.requests[0][1]["sign"]) == 32
    assert status.trade_state is TradeState.NOTPAY


async def test_an_answer_signed_with_another_algorithm_is_not_trusted(
    http_clients: list[httpx.AsyncClient],
) -> None:
    fields = {
        "return_code": "SUCCESS",
        "appid": APPID,
        "mch_id": MCH_ID,
        "nonce_str": "n",
        "result_code": "SUCCESS",
        "out_trade_no": "order-3",
        "trade_state": "SUCCESS",
    }
    client, wechat = make(
        http_clients, lambda _: answer_xml(fields, SignType.HMAC_SHA256), sign_type=SignType.MD5
    )
    with pytest.raises(ResponseSignatureError):
        await client.order_query("order-3")
    assert len(wechat.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            lambda _: answer_xml(
                {"return_code": "SUCCESS", "result_code": "SUCCESS", "trade_state": "SUCCESS"},
                sign_type=None,
            ),
            id="unsigned",
        ),
        pytest.param(
            lambda _: answer_xml(
                {"return_code": "SUCCESS", "result_code": "SUCCESS", "trade_state": "SUCCESS"},
                key="z" * 32,
            ),
            id="signed-with-another-key",
        ),
    ],
)
async def test_a_success_answer_that_does_not_verify_is_refused(
    http_clients: list[httpx.AsyncClient], answer: Answer
) -> None:
    client, _ = make(http_clients, answer)
    with pytest.raises(ResponseSignatureError):
        await client.order_query("order-4")


async def test_an_answer_for_another_merchant_is_refused(
    http_clients: list[httpx.AsyncClient],
) -> None:
    fields = {
        "return_code": "SUCCESS",
        "appid": "wx9999999999999999",
        "mch_id": MCH_ID,
        "nonce_str": "n",
        "result_code": "SUCCESS",
    }
    client, _ = make(http_clients, lambda _: answer_xml(fields))
    with pytest.raises(ResponseFormatError):
        await client.close_order("order-5")


async def test_a_verified_answer_without_code_url_is_a_format_error(
    http_clients: list[httpx.AsyncClient],
) -> None:
    client, _ = make(http_clients, success(trade_type="NATIVE", prepay_id="wx1"))
    with pytest.raises(ResponseFormatError):
        await client.unified_order_native(out_trade_no="order-6", total_fee=1, body="x")


@pytest.mark.parametrize(
    ("answer", "error", "err_code"),
    [
        (return_fail("签名错误"), CallerError, "SIGNERROR"),
        (return_fail("XML格式错误"), CallerError, "XML_FORMAT_ERROR"),
        (return_fail("缺少参数out_trade_no"), CallerError, "LACK_PARAMS"),
        (return_fail("appid和mch_id不匹配"), ConfigurationError, "APPID_MCHID_NOT_MATCH"),
        (return_fail("mch_id不存在"), ConfigurationError, "MCHID_NOT_EXIST"),
        (return_fail("something new"), CallerError, "RETURN_FAIL"),
        (business_fail("SIGNERROR"), CallerError, "SIGNERROR"),
        (business_fail("LACK_PARAMS"), CallerError, "LACK_PARAMS"),
        (business_fail("XML_FORMAT_ERROR"), CallerError, "XML_FORMAT_ERROR"),
        (business_fail("PARAM_ERROR"), CallerError, "PARAM_ERROR"),
        (business_fail("NOAUTH"), ConfigurationError, "NOAUTH"),
        (business_fail("APPID_NOT_EXIST"), ConfigurationError, "APPID_NOT_EXIST"),
        (business_fail("ORDERPAID"), OrderPaidError, "ORDERPAID"),
        (business_fail("ORDERCLOSED"), OrderClosedError, "ORDERCLOSED"),
        (business_fail("ORDERNOTEXIST"), OrderNotFoundError, "ORDERNOTEXIST"),
        (business_fail("REFUNDNOTEXIST"), RefundNotFoundError, "REFUNDNOTEXIST"),
        (
            business_fail("INVALID_REQUEST", "201 商户订单号重复"),
            OutTradeNoReusedError,
            "INVALID_REQUEST",
        ),
        (business_fail("OUT_TRADE_NO_USED"), OutTradeNoReusedError, "OUT_TRADE_NO_USED"),
        (business_fail("NOTENOUGH"), RefundRefusedError, "NOTENOUGH"),
        (business_fail("ERROR", "申请退款金额超过订单可退金额"), RefundRefusedError, "ERROR"),
        (business_fail("SOMETHING_NEW"), UnrecognisedError, "SOMETHING_NEW"),
    ],
)
async def test_each_final_answer_raises_its_error_without_a_retry(
    http_clients: list[httpx.AsyncClient],
    answer: Answer,
    error: type[WeChatPayError],
    err_code: str,
) -> None:
    client, wechat = make(http_clients, answer)
    with pytest.raises(error) as raised:
        await client.close_order("order-7")
    assert raised.value.err_code == err_code
    assert not isinstance(raised.value, RetryableError)
    assert len(wechat.requests) == 1


async def test_a_refund_without_a_client_certificate_fails_before_any_request(
    http_clients: list[httpx.AsyncClient],
) -> None:
    client, wechat = make(http_clients, success())
    with pytest.raises(ConfigurationError, match="client certificate"):
        await client.refund(out_trade_no="order-8", out_refund_no="r-8", total_fee=2, refund_fee=1)
    assert wechat.requests == []


async def test_a_refund_is_sent_with_its_idempotency_key_and_typed_back(
    http_clients: list[httpx.AsyncClient], tmp_path: Path
) -> None:
    answer = success(
        transaction_id="4200000001",
        out_trade_no="order-9",
        out_refund_no="r-9",
        refund_id="503001",
        refund_fee="30",
        total_fee="100",
        cash_fee="100",
    )
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    client, wechat = make(http_clients, answer, client_cert_path=certificate, client_key_path=key)
    refund = await client.refund(
        out_trade_no="order-9", out_refund_no="r-9", total_fee=100, refund_fee=30
    )
    path, sent = wechat.requests[0]
    assert path == "/secapi/pay/refund"
    assert (sent["out_refund_no"], sent["refund_fee"], sent["total_fee"]) == ("r-9", "30", "100")
    assert (refund.refund_id, refund.refund_fee) == ("503001", 30)


async def test_bad_arguments_fail_before_any_request(http_clients: list[httpx.AsyncClient]) -> None:
    client, wechat = make(http_clients, NATIVE_OK)
    with pytest.raises(CallerError):
        await client.unified_order_native(out_trade_no="order-10", total_fee=0, body="x")
    with pytest.raises(CallerError):
        await client.order_query()
    with pytest.raises(CallerError):
        await client.refund_query()
    assert wechat.requests == []


async def test_every_attempt_is_reported_to_the_observer(
    http_clients: list[httpx.AsyncClient],
) -> None:
    records: list[AttemptRecord] = []
    client, _ = make(http_clients, business_fail("SYSTEMERROR"), NATIVE_OK, observer=records.append)
    await client.unified_order_native(out_trade_no="order-11", total_fee=1, body="x")
    assert [(r.api, r.outcome, r.attempt) for r in records] == [
        ("unifiedorder", "SYSTEMERROR", 1),
        ("unifiedorder", "SUCCESS", 2),
    ]
