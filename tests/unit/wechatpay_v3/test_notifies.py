"""v3 notifies: verified over the raw body first, then decrypted, then mapped to the v2 types;
anything else is refused with a reason, and a crypto failure is never an empty value."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from payment.wechatpay.notify_errors import (
    MerchantMismatchError,
    NotifyFieldError,
    NotifyRejectedError,
    SignatureProbeError,
)
from payment.wechatpay.types import RefundStatus, TradeState
from payment.wechatpay_v3 import (
    NotifyEventTypeError,
    NotifyJsonError,
    NotifyUnverifiedError,
    PublicKeySource,
    ResourceDecryptError,
    SignatureVerifier,
    open_notification,
    payment_notify,
    refund_notify,
)
from payment.wechatpay_v3.aead import encrypt
from payment.wechatpay_v3.signing import response_message, sign
from tests.unit.wechatpay_v3.fake_wechat import (
    APIV3_KEY,
    APPID,
    MCH_ID,
    PLATFORM_KEY,
    PLATFORM_PUBLIC_KEY,
    PUB_KEY_ID,
)

NOW = 1_800_000_000
TRANSACTION = {
    "mchid": MCH_ID,
    "appid": APPID,
    "out_trade_no": "order-0001",
    "transaction_id": "4200000540202005267407409907",
    "trade_type": "NATIVE",
    "trade_state": "SUCCESS",
    "trade_state_desc": "支付成功",
    "bank_type": "OTHERS",
    "attach": "",
    "success_time": "2026-11-27T20:01:02+08:00",
    "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    "amount": {"total": 100, "payer_total": 90, "currency": "CNY", "payer_currency": "CNY"},
}
REFUND = {
    "mchid": MCH_ID,
    "out_trade_no": "order-0001",
    "transaction_id": "4200000540202005267407409907",
    "out_refund_no": "order-0001-r1",
    "refund_id": "50300408942018112000049541283",
    "refund_status": "SUCCESS",
    "success_time": "2026-11-27T20:05:06+08:00",
    "user_received_account": "支付用户零钱",
    "amount": {"total": 100, "refund": 40, "payer_total": 100, "payer_refund": 40},
}


def notify(
    resource: dict[str, Any],
    event_type: str = "TRANSACTION.SUCCESS",
    *,
    key: str = APIV3_KEY,
    nonce: str = "Kj7QIyUiYx1q",
) -> bytes:
    original_type = "refund" if event_type.startswith("REFUND.") else "transaction"
    envelope = {
        "id": "EV-2018022511223320873",
        "create_time": "2026-11-27T20:01:03+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": encrypt(
                key.encode(), nonce, json.dumps(resource).encode(), original_type
            ),
            "associated_data": original_type,
            "nonce": nonce,
        },
    }
    return json.dumps(envelope, ensure_ascii=False).encode()


def headers(body: bytes, *, timestamp: int = NOW, serial: str = PUB_KEY_ID) -> dict[str, str]:
    return {
        "Wechatpay-Timestamp": str(timestamp),
        "Wechatpay-Nonce": "fdasfsadf",
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature": sign(
            response_message(str(timestamp), "fdasfsadf", body), PLATFORM_KEY
        ),
    }


VERIFIER = SignatureVerifier(PublicKeySource(PUB_KEY_ID, PLATFORM_PUBLIC_KEY), clock=lambda: NOW)


def opened(body: bytes, signed_headers: dict[str, str] | None = None) -> Any:
    return open_notification(body, signed_headers or headers(body), VERIFIER, APIV3_KEY.encode())


def test_a_payment_notify_maps_to_the_v2_payment_notify() -> None:
    body = notify(TRANSACTION)
    result = payment_notify(opened(body), appid=APPID, mch_id=MCH_ID)
    assert result.trade_state is TradeState.SUCCESS
    assert (result.out_trade_no, result.total_fee, result.cash_fee) == ("order-0001", 100, 90)
    assert result.success_time == datetime(2026, 11, 27, 12, 1, 2, tzinfo=UTC)
    assert result.transaction_id == "4200000540202005267407409907"
    assert result.fields["amount.total"] == "100"
    assert result.sign_type == "WECHATPAY2-SHA256-RSA2048"
    assert result.raw_body == body


def test_a_refund_notify_maps_to_the_v2_refund_notify() -> None:
    for event, status in [
        ("REFUND.SUCCESS", RefundStatus.SUCCESS),
        ("REFUND.ABNORMAL", RefundStatus.CHANGE),
        ("REFUND.CLOSED", RefundStatus.REFUNDCLOSE),
    ]:
        resource = {**REFUND, "refund_status": event.removeprefix("REFUND.")}
        result = refund_notify(opened(notify(resource, event)), mch_id=MCH_ID)
        assert result.refund_status is status
        assert (result.refund_fee, result.total_fee, result.appid) == (40, 100, "")


def _tampered_ciphertext() -> bytes:
    envelope = json.loads(notify(TRANSACTION))
    envelope["resource"]["ciphertext"] = "A" + envelope["resource"]["ciphertext"][1:]
    return json.dumps(envelope).encode()


def _with_nonce(nonce: str) -> bytes:
    envelope = json.loads(notify(TRANSACTION))
    envelope["resource"]["nonce"] = nonce
    return json.dumps(envelope).encode()


REFUSED: dict[str, tuple[bytes, dict[str, str] | None, type[NotifyRejectedError], str]] = {
    "probe": (
        notify(TRANSACTION),
        {**headers(notify(TRANSACTION)), "Wechatpay-Signature": "WECHATPAY/SIGNTEST/AAAA"},
        SignatureProbeError,
        "probe",
    ),
    "stale timestamp": (
        notify(TRANSACTION),
        headers(notify(TRANSACTION), timestamp=NOW - 301),
        NotifyUnverifiedError,
        "timestamp",
    ),
    "future timestamp": (
        notify(TRANSACTION),
        headers(notify(TRANSACTION), timestamp=NOW + 301),
        NotifyUnverifiedError,
        "timestamp",
    ),
    "unknown serial": (
        notify(TRANSACTION),
        headers(notify(TRANSACTION), serial="PUB_KEY_ID_0000000000000000000000000000000009"),
        NotifyUnverifiedError,
        "serial",
    ),
    "no headers": (
        notify(TRANSACTION),
        {"Content-Type": "application/json"},
        NotifyUnverifiedError,
        "unsigned",
    ),
    "body changed after signing": (
        notify(TRANSACTION).replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESS "),
        headers(notify(TRANSACTION)),
        NotifyUnverifiedError,
        "signature",
    ),
    "tampered ciphertext": (_tampered_ciphertext(), None, ResourceDecryptError, "decrypt"),
    "another nonce": (_with_nonce("Kj7QIyUiYx1r"), None, ResourceDecryptError, "decrypt"),
    "another APIv3 key": (notify(TRANSACTION, key="B" * 32), None, ResourceDecryptError, "decrypt"),
    "signed but not JSON": (b"<xml></xml>", None, NotifyJsonError, "json"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_untrusted_notifies_are_refused_with_a_reason(case: str) -> None:
    body, signed_headers, error_class, reason = REFUSED[case]
    with pytest.raises(error_class) as raised:
        opened(body, signed_headers)
    assert raised.value.reason == reason


@pytest.mark.parametrize(
    ("resource", "error_class", "reason"),
    [
        ({**TRANSACTION, "mchid": "1999999999"}, MerchantMismatchError, "mchid"),
        ({**TRANSACTION, "appid": "wx9999999999999999"}, MerchantMismatchError, "appid"),
        ({**TRANSACTION, "amount": {"total": "100"}}, NotifyFieldError, "field"),
        ({**TRANSACTION, "success_time": "yesterday"}, NotifyFieldError, "field"),
    ],
)
def test_a_verified_notify_for_another_merchant_or_malformed_is_refused(
    resource: dict[str, Any], error_class: type[NotifyRejectedError], reason: str
) -> None:
    with pytest.raises(error_class) as raised:
        payment_notify(opened(notify(resource)), appid=APPID, mch_id=MCH_ID)
    assert raised.value.reason == reason


def test_an_event_we_do_not_handle_is_refused() -> None:
    with pytest.raises(NotifyEventTypeError):
        payment_notify(
            opened(notify(TRANSACTION, "PAYSCORE.USER_OPEN_SERVICE")), appid=APPID, mch_id=MCH_ID
        )
    with pytest.raises(NotifyEventTypeError):
        refund_notify(opened(notify(TRANSACTION)), mch_id=MCH_ID)
