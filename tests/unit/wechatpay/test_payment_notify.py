"""Verifying payment notifies: what is accepted, and every reason to refuse one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from payment.wechatpay import xml_codec
from payment.wechatpay.notify import fail_reply, parse_payment_notify, success_reply
from payment.wechatpay.notify_errors import (
    MerchantMismatchError,
    NotifyFieldError,
    NotifyNotSuccessError,
    NotifyRejectedError,
    NotifySignatureError,
    NotifySignTypeError,
    NotifyXmlError,
    SignatureProbeError,
)
from payment.wechatpay.signing import SignType, sign
from payment.wechatpay.types import TradeState
from tests.unit.wechatpay.test_reference_vectors import KEY, V7


@dataclass(frozen=True)
class Keys:
    appid: str = V7["appid"]
    mch_id: str = V7["mch_id"]
    api_key: SecretStr = field(default_factory=lambda: SecretStr(KEY))


def signed(fields: dict[str, str], sign_type: SignType = SignType.MD5) -> bytes:
    return xml_codec.encode({**fields, "sign": sign(fields, KEY, sign_type)})


def test_the_reference_notify_v7_is_accepted_with_typed_fields() -> None:
    notify = parse_payment_notify(signed(V7), Keys())
    assert notify.out_trade_no == "20150806125346"
    assert notify.trade_state is TradeState.SUCCESS
    assert notify.total_fee == 888
    assert notify.cash_fee == 888
    assert notify.transaction_id == "1004400740201409030005092168"
    assert notify.success_time == datetime(2014, 9, 3, 5, 15, 40, tzinfo=UTC)
    assert notify.attach == "支付测试"
    assert notify.sign_type == "MD5"
    assert notify.raw_body == signed(V7)


def test_an_hmac_notify_with_sign_type_is_accepted() -> None:
    fields = {**V7, "sign_type": "HMAC-SHA256"}
    assert parse_payment_notify(signed(fields, SignType.HMAC_SHA256), Keys()).sign_type == (
        "HMAC-SHA256"
    )


def test_an_hmac_notify_without_sign_type_is_accepted_by_signature_length() -> None:
    notify = parse_payment_notify(signed(V7, SignType.HMAC_SHA256), Keys())
    assert notify.sign_type == "HMAC-SHA256"


def test_a_failed_payment_notify_is_reported_as_payerror() -> None:
    fields = {k: v for k, v in V7.items() if k not in {"transaction_id", "time_end"}}
    fields |= {"result_code": "FAIL", "err_code": "PAYERROR", "err_code_des": "支付失败"}
    notify = parse_payment_notify(signed(fields), Keys())
    assert notify.trade_state is TradeState.PAYERROR
    assert (notify.transaction_id, notify.success_time) == (None, None)
    assert notify.err_code == "PAYERROR"


def _tampered() -> bytes:
    body = signed(V7)
    return body.replace(b"888", b"1")


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        pytest.param(_tampered(), NotifySignatureError, "signature", id="tampered-amount"),
        pytest.param(xml_codec.encode(V7), NotifySignatureError, "signature", id="unsigned"),
        pytest.param(
            xml_codec.encode({**V7, "sign": "WECHATPAY/SIGNTEST/ABCDEF"}),
            SignatureProbeError,
            "probe",
            id="wechat-probe",
        ),
        pytest.param(
            signed({**V7, "sign_type": "SHA1"}),
            NotifySignTypeError,
            "sign_type",
            id="unknown-sign-type",
        ),
        pytest.param(
            xml_codec.encode(
                {
                    **V7,
                    "sign_type": "MD5",
                    "sign": sign({**V7, "sign_type": "MD5"}, KEY, SignType.HMAC_SHA256),
                }
            ),
            NotifySignatureError,
            "signature",
            id="sign-type-lies-about-the-signature",
        ),
        pytest.param(
            xml_codec.encode({**V7, "sign": sign(V7, "x" * 32, SignType.MD5)}),
            NotifySignatureError,
            "signature",
            id="another-key",
        ),
        pytest.param(
            signed({**V7, "appid": "wx0000000000000000"}),
            MerchantMismatchError,
            "appid",
            id="wrong-appid",
        ),
        pytest.param(
            signed({**V7, "mch_id": "1900000000"}),
            MerchantMismatchError,
            "mch_id",
            id="wrong-mch-id",
        ),
        pytest.param(
            signed({**V7, "total_fee": "8.88"}),
            NotifyFieldError,
            "field",
            id="decimal-amount",
        ),
        pytest.param(
            signed({k: v for k, v in V7.items() if k != "out_trade_no"}),
            NotifyFieldError,
            "field",
            id="no-out-trade-no",
        ),
        pytest.param(
            signed({**V7, "time_end": "2014-09-03"}),
            NotifyFieldError,
            "field",
            id="bad-time",
        ),
        pytest.param(
            xml_codec.encode({"return_code": "FAIL", "return_msg": "x"}),
            NotifyNotSuccessError,
            "return_code",
            id="return-code-fail",
        ),
        pytest.param(b"<!DOCTYPE x [<!ENTITY a 'b'>]><xml/>", NotifyXmlError, "xml", id="doctype"),
        pytest.param(b'{"return_code":"SUCCESS"}', NotifyXmlError, "xml", id="json"),
    ],
)
def test_untrustworthy_notifies_are_refused_with_a_reason(
    body: bytes, error: type[NotifyRejectedError], reason: str
) -> None:
    with pytest.raises(error) as raised:
        parse_payment_notify(body, Keys())
    assert raised.value.reason == reason


def test_a_body_over_the_cap_is_refused_as_xml() -> None:
    with pytest.raises(NotifyXmlError) as raised:
        parse_payment_notify(signed(V7), Keys(), max_bytes=100)
    assert raised.value.xml_reason == "oversize"


def test_replies_are_the_documented_xml() -> None:
    assert xml_codec.parse(success_reply()) == {"return_code": "SUCCESS", "return_msg": "OK"}
    assert xml_codec.parse(fail_reply("签名错误")) == {
        "return_code": "FAIL",
        "return_msg": "签名错误",
    }
