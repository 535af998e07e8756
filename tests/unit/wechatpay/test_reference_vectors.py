"""Every v2 test vector of the reference (§7 V1-V11), as fixed-vector tests."""

from __future__ import annotations

import pytest

from payment.wechatpay.refund_notify import decrypt_req_info, encrypt_req_info, req_info_key
from payment.wechatpay.signing import SignType, sign, signing_string, verify

KEY = "192006250b4c09247ec02edce69f6a2d"
V1 = {
    "appid": "wxd930ea5d5a258f4f",
    "mch_id": "10000100",
    "device_info": "1000",
    "body": "test",
    "nonce_str": "ibuaiVcKdpRxkhJA",
}
V5 = {
    "appid": "wxd930ea5d5a258f4f",
    "mch_id": "10000100",
    "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
    "body": "腾讯充值中心-QQ会员充值",
    "out_trade_no": "20150806125346",
    "total_fee": "888",
    "spbill_create_ip": "123.12.12.123",
    "notify_url": "https://example.com/wxpay/notify",
    "trade_type": "NATIVE",
    "product_id": "12235413214070356458058",
}
V7 = {
    "appid": "wxd930ea5d5a258f4f",
    "attach": "支付测试",
    "bank_type": "CFT",
    "cash_fee": "888",
    "fee_type": "CNY",
    "is_subscribe": "N",
    "mch_id": "10000100",
    "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c",
    "openid": "oUpF8uMEb4qRXf22hE3X68TekukE",
    "out_trade_no": "20150806125346",
    "result_code": "SUCCESS",
    "return_code": "SUCCESS",
    "time_end": "20140903131540",
    "total_fee": "888",
    "trade_type": "NATIVE",
    "transaction_id": "1004400740201409030005092168",
}
V9_PLAINTEXT = (
    b"<root><out_refund_no><![CDATA[R20150806125346]]></out_refund_no>"
    b"<out_trade_no><![CDATA[20150806125346]]></out_trade_no>"
    b"<refund_fee><![CDATA[888]]></refund_fee>"
    b"<refund_status><![CDATA[SUCCESS]]></refund_status></root>"
)
V9_REQ_INFO = (
    "WBzGpzQuNpcFxIlFjUUD9BfnwwNUlVAs7bwvgHME4/QUoXF0wlxjVGJICCenJ1RgjUF6J1J4xU4Xuo3b+lNaAs27gGtso/"
    "DIzNj/bM43hg18Wi5bMiy+uhqdX+c4CXwIjfZ61ygFYAYY1k3eusXULiETsGbsiSNO9gSAusa4g3GxV2JcmWLguC66V8"
    "BRFOd8JCQhrWzHgzBAaiCJX5wsCKk536YX/dQ+yd2McPLw+jmEDhgGIKulWDAjHBZRUiATENQlDVl4YcM6G2ZaZT1fpul"
    "BrlkMHiq14Dmt/DMtLqI="
)


def test_v1_signing_string_is_sorted_unencoded_and_keyed() -> None:
    assert signing_string(V1, KEY) == (
        "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100"
        "&nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d"
    )


@pytest.mark.parametrize(
    ("sign_type", "expected"),
    [
        (SignType.MD5, "9A0A8659F005D6984697E2CA0A9CF3B7"),
        (SignType.HMAC_SHA256, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"),
    ],
)
def test_v1_official_example(sign_type: SignType, expected: str) -> None:
    assert sign(V1, KEY, sign_type) == expected


@pytest.mark.parametrize(
    ("sign_type", "expected"),
    [
        (SignType.HMAC_SHA256, "2C9DF1156522C0B2B03B4DBF3BCA5CACB602CBD5CA0F9E112458CF3E9855303B"),
        (SignType.MD5, "6B4978B16793D0C2604CD59C47425A27"),
    ],
)
def test_v2_v3_sign_type_is_signed_when_present(sign_type: SignType, expected: str) -> None:
    assert sign({**V1, "sign_type": sign_type.value}, KEY, sign_type) == expected


def test_v4_empty_values_are_dropped() -> None:
    assert sign({**V1, "attach": ""}, KEY, SignType.MD5) == "9A0A8659F005D6984697E2CA0A9CF3B7"


def test_v4_values_are_trimmed_like_the_official_sdk() -> None:
    assert sign({"a": " x ", "b": "  "}, "k", SignType.MD5) == "683E817648A20FBE1B2A449EB64071B1"


@pytest.mark.parametrize(
    ("sign_type", "expected"),
    [
        (SignType.MD5, "B0D9A5776D2C886A7313F1DA49CC7E89"),
        (SignType.HMAC_SHA256, "2FFB221348401A134EE4152FA20ECA4B0291BDF4D6B132EC703EDF6C61AAEAEB"),
    ],
)
def test_v5_v6_unifiedorder_native_request(sign_type: SignType, expected: str) -> None:
    assert sign({**V5, "sign_type": sign_type.value}, KEY, sign_type) == expected


@pytest.mark.parametrize(
    ("sign_type", "expected"),
    [
        (SignType.MD5, "CF2DDBE474B2068A4D480D95066B36A2"),
        (SignType.HMAC_SHA256, "29A0055119840CF48B45DC1E6B7CC50C98F241B0B99968B78BBB1D41DB50C7E5"),
    ],
)
def test_v7_notify_without_sign_type(sign_type: SignType, expected: str) -> None:
    assert sign(V7, KEY, sign_type) == expected
    assert verify({**V7, "sign": expected}, KEY)  # the type comes from the signature's length


def test_v8_getsignkey_request() -> None:
    fields = {"mch_id": "10000100", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"}
    assert sign(fields, KEY, SignType.MD5) == "663F5D1546FE61FA6E1E4502C475CF5A"


def test_v10_unifiedorder_success_response_verifies() -> None:
    response = {
        "return_code": "SUCCESS",
        "return_msg": "OK",
        "appid": "wxd930ea5d5a258f4f",
        "mch_id": "10000100",
        "nonce_str": "IITRi8Iabbblz1Jc",
        "result_code": "SUCCESS",
        "prepay_id": "wx201411101639507cbf6ffd8b0779950874",
        "trade_type": "NATIVE",
        "code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz",
    }
    assert sign(response, KEY, SignType.MD5) == "DFB7D0B73222620231957D28A5F6B19E"
    assert verify({**response, "sign": "DFB7D0B73222620231957D28A5F6B19E"}, KEY, SignType.MD5)


def test_v11_business_failure_response_verifies() -> None:
    response = {
        "return_code": "SUCCESS",
        "return_msg": "OK",
        "appid": "wxd930ea5d5a258f4f",
        "mch_id": "10000100",
        "nonce_str": "aTvboqJRyqgxuLX5",
        "result_code": "FAIL",
        "err_code": "ORDERPAID",
        "err_code_des": "该订单已支付",
    }
    assert sign(response, KEY, SignType.MD5) == "68B92CABC1F28A1356C7970449078C53"


def test_v9_req_info_key_is_the_hex_md5_of_the_api_key() -> None:
    assert req_info_key(KEY) == b"d96eb16afdd491fa1e705096edbc2205"


def test_v9_req_info_decrypts_to_the_refund_result() -> None:
    assert decrypt_req_info(V9_REQ_INFO, KEY) == {
        "out_refund_no": "R20150806125346",
        "out_trade_no": "20150806125346",
        "refund_fee": "888",
        "refund_status": "SUCCESS",
    }


def test_v9_req_info_encrypts_to_the_reference_ciphertext() -> None:
    assert encrypt_req_info(V9_PLAINTEXT, KEY) == V9_REQ_INFO
