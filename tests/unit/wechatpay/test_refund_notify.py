"""Refund notifies: req_info decrypts with the key, and anything else is a typed error."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from payment.wechatpay import xml_codec
from payment.wechatpay.notify_errors import (
    MerchantMismatchError,
    NotifyNotSuccessError,
    ReqInfoDecryptError,
)
from payment.wechatpay.refund_notify import decrypt_req_info, encrypt_req_info, parse_refund_notify
from payment.wechatpay.types import RefundStatus
from tests.unit.wechatpay.test_payment_notify import Keys
from tests.unit.wechatpay.test_reference_vectors import KEY, V9_REQ_INFO

INNER = {
    "transaction_id": "4200000540202005267407409907",
    "out_trade_no": "20150806125346",
    "refund_id": "50300408942018112000049541283",
    "out_refund_no": "R20150806125346",
    "total_fee": "888",
    "refund_fee": "300",
    "settlement_refund_fee": "300",
    "refund_status": "SUCCESS",
    "success_time": "2026-11-27 20:01:02",
    "refund_recv_accout": "支付用户零钱",
}


def notify_body(inner: dict[str, str] = INNER, **outer: str) -> bytes:
    req_info = encrypt_req_info(xml_codec.encode(inner, root="root"), KEY)
    fields = {
        "return_code": "SUCCESS",
        "appid": Keys.appid,
        "mch_id": Keys.mch_id,
        "nonce_str": "n",
        "req_info": req_info,
    }
    return xml_codec.encode(fields | outer)


def test_a_refund_notify_decrypts_into_typed_fields() -> None:
    notify = parse_refund_notify(notify_body(), Keys())
    assert notify.out_refund_no == "R20150806125346"
    assert notify.refund_status is RefundStatus.SUCCESS
    assert (notify.total_fee, notify.refund_fee) == (888, 300)
    assert notify.success_time == datetime(2026, 11, 27, 12, 1, 2, tzinfo=UTC)
    assert notify.recv_account == "支付用户零钱"


@pytest.mark.parametrize(
    "req_info",
    [
        pytest.param("not base64 !", id="not-base64"),
        pytest.param(base64.b64encode(b"short").decode(), id="not-whole-blocks"),
        pytest.param("", id="empty"),
        pytest.param(V9_REQ_INFO[:-24] + "=", id="truncated"),
        pytest.param(encrypt_req_info(b"<root><a>1</a></root>", "y" * 32), id="another-key"),
        pytest.param(encrypt_req_info(b"not xml", KEY), id="not-xml-inside"),
    ],
)
def test_a_bad_req_info_is_an_error_never_an_empty_value(req_info: str) -> None:
    with pytest.raises(ReqInfoDecryptError):
        decrypt_req_info(req_info, KEY)


def test_a_refund_notify_for_another_merchant_is_refused() -> None:
    with pytest.raises(MerchantMismatchError):
        parse_refund_notify(notify_body(mch_id="1900000000"), Keys())


def test_a_refund_notify_without_success_is_refused() -> None:
    with pytest.raises(NotifyNotSuccessError):
        parse_refund_notify(notify_body(return_code="FAIL"), Keys())


def test_a_refund_notify_without_req_info_is_refused() -> None:
    with pytest.raises(ReqInfoDecryptError):
        parse_refund_notify(notify_body(req_info=""), Keys())
