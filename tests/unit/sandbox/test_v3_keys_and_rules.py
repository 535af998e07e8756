"""The sandbox's v3 side in-process: its key files, key modes, request authentication, and the
field rules of a v3 Native order (over the same store as v2)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from payment.bootstrap import wechat_v3_config
from payment.settings import ApiVersion, PaymentSettings
from payment.wechatpay_v3.keys import load_private_key, parse_public_key
from payment.wechatpay_v3.signing import (
    Authorization,
    authorization_header,
    request_message,
    sign,
)
from sandbox.failures import BusinessFailError
from sandbox.ids import Ids
from sandbox.store import Store
from sandbox.trades import Trades
from sandbox.v2_sign import SignType
from sandbox.v3_fields import order_request
from sandbox.v3_keys import ensure_v3_files, merchant_environment
from sandbox.v3_platform import KeyMode, V3Side, load_v3
from sandbox.v3_wire import V3FailError, check_signed_request, v3_error

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
APPID, MCH_ID = "wxe29abccbb807a8cf", "1900000931"


@pytest.fixture(scope="module")
def v3(tmp_path_factory: pytest.TempPathFactory) -> tuple[V3Side, Path]:
    state = tmp_path_factory.mktemp("sandbox")
    files = ensure_v3_files(state, mch_id=MCH_ID)
    side = load_v3(files, appid=APPID, mch_id=MCH_ID, apiv3_key="k" * 32, mode=KeyMode.BOTH)
    return side, state


def test_v3_files_are_made_once_private_and_named_like_wechats(v3: tuple[V3Side, Path]) -> None:
    side, state = v3
    files = ensure_v3_files(state, mch_id=MCH_ID)
    again = load_v3(files, appid=APPID, mch_id=MCH_ID, apiv3_key="k" * 32, mode=KeyMode.BOTH)
    assert again.merchant.serial == side.merchant.serial
    assert again.platform.public_key.serial.startswith(f"PUB_KEY_ID_01{MCH_ID}")
    assert files.merchant_key.stat().st_mode & 0o077 == 0
    assert files.public_key_private.stat().st_mode & 0o077 == 0
    assert parse_public_key(files.public_key.read_bytes()).key_size == 2048


def test_key_modes_choose_the_signing_key_and_the_listing(v3: tuple[V3Side, Path]) -> None:
    platform = v3[0].platform
    serials = {platform.headers(b"{}")["Wechatpay-Serial"] for _ in range(2)}
    assert serials == {platform.current_certificate.serial, platform.public_key.serial}
    platform.mode = KeyMode.PUBLIC_KEY
    assert platform.listed_certificates() == []
    platform.mode = KeyMode.CERTIFICATE
    first = platform.current_certificate
    rotated = platform.rotate()
    # Published first, signing later (Corrections: the rotation overlaps).
    assert [k.serial for k in platform.listed_certificates()] == [first.serial, rotated.serial]
    assert platform.headers(b"{}")["Wechatpay-Serial"] == first.serial
    platform.start_signing()
    assert platform.headers(b"{}")["Wechatpay-Serial"] == rotated.serial
    assert len(platform.listed_certificates()) == 2
    platform.retire()
    assert [k.serial for k in platform.listed_certificates()] == [rotated.serial]
    platform.reset()
    assert (platform.mode, len(platform.certificates)) == (KeyMode.BOTH, 1)
    assert platform.current_certificate.serial == first.serial


def test_in_the_switch_an_answer_is_signed_with_the_key_the_request_named(
    v3: tuple[V3Side, Path],
) -> None:
    platform = v3[0].platform
    platform.mode = KeyMode.BOTH
    try:
        key_id, certificate = platform.public_key.serial, platform.current_certificate.serial
        assert {platform.answer_key(key_id).serial for _ in range(4)} == {key_id}
        assert {platform.answer_key(certificate).serial for _ in range(4)} == {certificate}
        assert {platform.answer_key(None).serial for _ in range(4)} == {certificate}
        # Notifies (no request) take turns.
        assert {platform.headers(b"{}")["Wechatpay-Serial"] for _ in range(2)} == {
            key_id,
            certificate,
        }
    finally:
        platform.reset()


def test_every_signed_message_names_its_signature_type(v3: tuple[V3Side, Path]) -> None:
    headers = v3[0].platform.headers(b"{}")
    assert headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"


def _authorization(state: Path, url: str, body: bytes, **changes: str) -> str:
    files = ensure_v3_files(state, mch_id=MCH_ID)
    values = {
        "mchid": MCH_ID,
        "nonce_str": "n" * 32,
        "timestamp": str(int(time.time())),
        "serial_no": files.read_serial(),
    }
    values.update(changes)
    message = request_message("POST", url, values["timestamp"], values["nonce_str"], body)
    signature = sign(message, load_private_key(files.merchant_key))
    return authorization_header(Authorization(signature=signature, **values))


@pytest.mark.parametrize(
    "changes",
    [
        {"mchid": "1999999999"},
        {"serial_no": "0123456789ABCDEF"},
        {"timestamp": str(int(time.time()) - 301)},
        {"signed_url": "/v3/pay/transactions/h5"},
        {"header": "WECHATPAY2-SHA256-RSA2048 mchid=1900000931"},
    ],
    ids=["mchid", "serial", "stale", "another url", "malformed"],
)
def test_a_request_not_signed_by_our_merchant_now_is_sign_error(
    v3: tuple[V3Side, Path], changes: dict[str, str]
) -> None:
    side, state = v3
    body, url = b'{"mchid":"1900000931"}', "/v3/pay/transactions/native"
    signed_url = changes.pop("signed_url", url)
    header = changes.pop("header", None) or _authorization(state, signed_url, body, **changes)
    with pytest.raises(V3FailError) as raised:
        check_signed_request("POST", url, header, body, side.merchant, time.time())
    assert (raised.value.status, raised.value.code) == (401, "SIGN_ERROR")
    assert raised.value.body()["message"] == "签名错误，请检查后再试"
    check_signed_request(
        "POST", url, _authorization(state, url, body), body, side.merchant, time.time()
    )


def _native(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "appid": APPID,
        "mchid": MCH_ID,
        "description": "一杯咖啡",
        "out_trade_no": "order-v3-0001",
        "notify_url": "https://shop.example.com/wechatpay/v3/notify",
        "amount": {"total": 100, "currency": "CNY"},
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "err_code"),
    [
        (_native(amount={"total": "100"}), "PARAM_ERROR"),
        (_native(amount={"total": 0}), "PARAM_ERROR"),
        (_native(amount={"total": 1, "currency": "USD"}), "PARAM_ERROR"),
        (_native(description="长" * 43), "PARAM_ERROR"),
        (_native(out_trade_no="short"), "PARAM_ERROR"),
        (_native(notify_url="https://shop.example.com/n?x=1"), "PARAM_ERROR"),
        (_native(time_expire="2026-11-27 20:00:00"), "PARAM_ERROR"),
        (_native(mchid="1999999999"), "PARAM_ERROR"),
        (_native(appid="wx9999999999999999"), "APPID_MCHID_NOT_MATCH"),
        ([], "PARAM_ERROR"),
    ],
)
def test_a_malformed_v3_native_order_is_refused(
    v3: tuple[V3Side, Path], body: Any, err_code: str
) -> None:
    with pytest.raises(BusinessFailError) as raised:
        order_request(body, v3[0].merchant)
    assert raised.value.err_code == err_code


def test_one_store_one_set_of_rules_whichever_protocol_placed_the_order(
    v3: tuple[V3Side, Path],
) -> None:
    trades = Trades(Store(), Ids())
    v2_fields = {
        "body": "x",
        "out_trade_no": "order-v3-0001",
        "total_fee": "100",
        "spbill_create_ip": "127.0.0.1",
        "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "NATIVE",
        "product_id": "p",
    }
    trades.unified_order(v2_fields, SignType.MD5, NOW)
    with pytest.raises(BusinessFailError) as raised:  # the same number, other parameters
        trades.place(order_request(_native(), v3[0].merchant), NOW)
    assert v3_error(raised.value).status == 400
    assert v3_error(raised.value).code == "INVALID_REQUEST"
    trades.close("order-v3-0001")
    with pytest.raises(BusinessFailError) as closed:
        trades.close("order-v3-0001")
    assert (v3_error(closed.value).status, v3_error(closed.value).code) == (400, "ORDER_CLOSED")
    assert v3_error(closed.value, legacy_codes=True).code == "ORDERCLOSED"


def test_the_merchant_environment_configures_the_payment_service_for_v3(
    v3: tuple[V3Side, Path],
) -> None:
    side, state = v3
    environment = merchant_environment(ensure_v3_files(state, mch_id=MCH_ID), "k" * 32)
    values: dict[str, Any] = {name.lower(): value for name, value in environment.items()}
    settings = PaymentSettings(
        wechatpay_api_version=ApiVersion.V3,
        wechatpay_appid=APPID,
        wechatpay_mch_id=MCH_ID,
        wechatpay_notify_url="http://127.0.0.1:8080/wechatpay/v3/notify",
        **values,
    )
    config = wechat_v3_config(settings)
    assert config.merchant.serial == side.merchant.serial
    assert config.trust.public_key_id == side.platform.public_key.serial
