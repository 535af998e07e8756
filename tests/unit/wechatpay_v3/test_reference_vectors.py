"""The reference's v3 vectors (§7 T1-T3) as fixed-vector tests of our signing, verifying and
AES-GCM code, and of the client's whole request path."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from cryptography import x509

from payment.wechatpay_v3 import (
    BadSignatureError,
    PlatformCertificate,
    PlatformCertificates,
    SignatureVerifier,
    SignedMessage,
    certificate_serial,
    open_notification,
)
from payment.wechatpay_v3.aead import DecryptionError, decrypt, encrypt
from payment.wechatpay_v3.keys import parse_private_key, parse_public_key
from payment.wechatpay_v3.signing import (
    parse_authorization,
    request_message,
    response_message,
    sign,
    signature_matches,
)
from tests.unit.wechatpay_v3 import vectors as v
from tests.unit.wechatpay_v3.fake_wechat import merchant_client

PRIVATE_KEY = parse_private_key(v.APPENDIX_B_PRIVATE_KEY)
PUBLIC_KEY = parse_public_key(v.APPENDIX_A_CERTIFICATE)
T1_HEADERS = {
    "Wechatpay-Timestamp": v.T1_TIMESTAMP,
    "Wechatpay-Nonce": v.T1_NONCE,
    "Wechatpay-Serial": v.APPENDIX_A_SERIAL,
    "Wechatpay-Signature": v.T1_SIGNATURE,
}


def _appendix_a_verifier(now: float) -> SignatureVerifier:
    store = PlatformCertificates([PlatformCertificate(v.APPENDIX_A_SERIAL, PUBLIC_KEY)])
    return SignatureVerifier(store, clock=lambda: now)


def test_appendix_a_serial_is_the_certificates_serial() -> None:
    certificate = x509.load_pem_x509_certificate(v.APPENDIX_A_CERTIFICATE)
    assert certificate_serial(certificate) == v.APPENDIX_A_SERIAL


def test_t1_the_sdk_notify_verifies_with_appendix_a_and_decrypts_with_its_key() -> None:
    body = v.T1_BODY.encode()
    verifier = _appendix_a_verifier(float(v.T1_TIMESTAMP) + 60)
    notification = open_notification(body, T1_HEADERS, verifier, v.T1_KEY)
    assert notification.event_type == "PAYSCORE.USER_OPEN_SERVICE"
    assert notification.resource == json.loads(v.T1_PLAINTEXT)


def test_t1_another_timestamp_does_not_verify() -> None:
    body = v.T1_BODY.encode()
    moved = SignedMessage.from_headers(
        {**T1_HEADERS, "Wechatpay-Timestamp": str(int(v.T1_TIMESTAMP) + 1)}, body
    )
    with pytest.raises(BadSignatureError):
        _appendix_a_verifier(float(v.T1_TIMESTAMP)).verify(moved)


def test_sdk_aes_vector_decrypts_to_hello_world() -> None:
    # wechatpay-go utils/aes_test.go (16-byte key).
    plaintext = decrypt(
        b"testAPIv3Key0000",
        "wCq51qZv4Yfg",
        "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC",
        "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8",
    )
    assert plaintext == b"Hello World"


def test_t2_aes_256_gcm_both_ways() -> None:
    plaintext = v.T2_PLAINTEXT.encode()
    assert encrypt(v.T2_KEY, v.T2_NONCE, plaintext, v.T2_ASSOCIATED_DATA) == v.T2_CIPHERTEXT
    assert decrypt(v.T2_KEY, v.T2_NONCE, v.T2_CIPHERTEXT, v.T2_ASSOCIATED_DATA) == plaintext


@pytest.mark.parametrize(
    ("key", "nonce", "ciphertext", "associated_data"),
    [
        (b"0123456789abcdef0123456789ABCDEX", v.T2_NONCE, v.T2_CIPHERTEXT, "transaction"),
        (v.T2_KEY, "fdasflkja485", v.T2_CIPHERTEXT, "transaction"),
        (v.T2_KEY, "short", v.T2_CIPHERTEXT, "transaction"),
        (v.T2_KEY, v.T2_NONCE, v.T2_CIPHERTEXT, "refund"),
        (v.T2_KEY, v.T2_NONCE, "A" + v.T2_CIPHERTEXT[1:], "transaction"),
        (v.T2_KEY, v.T2_NONCE, v.T2_CIPHERTEXT[:-24] + "==", "transaction"),
        (v.T2_KEY, v.T2_NONCE, "not base64!", "transaction"),
        (v.T2_KEY, v.T2_NONCE, "", "transaction"),
    ],
    ids=["key", "nonce", "short nonce", "aad", "ciphertext", "truncated", "base64", "empty"],
)
def test_t2_anything_wrong_is_an_authentication_failure_never_empty(
    key: bytes, nonce: str, ciphertext: str, associated_data: str
) -> None:
    with pytest.raises(DecryptionError):
        decrypt(key, nonce, ciphertext, associated_data)


def test_t3_request_signatures() -> None:
    ts = str(v.T3_TIMESTAMP)
    post = request_message("POST", v.T3_POST_URL, ts, v.T3_NONCE, v.T3_POST_BODY.encode())
    get = request_message("GET", v.T3_GET_URL, ts, v.T3_NONCE, b"")
    assert sign(post, PRIVATE_KEY) == v.T3_POST_SIGNATURE
    assert sign(get, PRIVATE_KEY) == v.T3_GET_SIGNATURE
    assert get.endswith(b"\n\n")


def test_t3_response_signature_and_sdk_layout() -> None:
    message = response_message(str(v.T3_TIMESTAMP), v.T3_NONCE, v.T3_RESPONSE_BODY)
    assert sign(message, PRIVATE_KEY) == v.T3_RESPONSE_SIGNATURE
    assert signature_matches(message, v.T3_RESPONSE_SIGNATURE, PUBLIC_KEY)
    # wechatpay-go wechat_pay_credential_test.go pins the layout of an empty and a "\n" body.
    empty = request_message("GET", "/v3/certificates", "1624523846", "A1B2C3D4E5F6G7", b"")
    assert empty == b"GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n"
    text = request_message("GET", "/v3/certificates", "1", "n", b"Hello World!\n")
    assert text.endswith(b"\nHello World!\n\n")


async def test_t3_the_client_sends_exactly_the_signed_native_request() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            content=v.T3_RESPONSE_BODY,
            headers={
                "Wechatpay-Timestamp": str(v.T3_TIMESTAMP),
                "Wechatpay-Nonce": v.T3_NONCE,
                "Wechatpay-Serial": "PUB_KEY_ID_0000000000000024101100397200000006",
                "Wechatpay-Signature": v.T3_RESPONSE_SIGNATURE,
            },
        )

    now = datetime.fromtimestamp(v.T3_TIMESTAMP, UTC)
    async with merchant_client(answer, now=now, nonce=v.T3_NONCE) as client:
        order = await client.unified_order_native(
            out_trade_no="1217752501201407033233368018",
            total_fee=100,
            body="Image形象店-深圳腾大-QQ公仔",
            notify_url="https://www.weixin.qq.com/wxpay/pay.php",
        )
    (request,) = seen
    assert request.content == v.T3_POST_BODY.encode()
    assert request.url.raw_path == v.T3_POST_URL.encode()
    auth = parse_authorization(request.headers["Authorization"])
    assert (auth.mchid, auth.serial_no) == ("1230000109", v.T3_MERCHANT_SERIAL)
    assert (auth.timestamp, auth.nonce_str) == (str(v.T3_TIMESTAMP), v.T3_NONCE)
    assert auth.signature == v.T3_POST_SIGNATURE
    assert request.headers["Content-Type"] == "application/json"
    assert order.code_url == "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"


def test_authorization_pairs_are_read_in_any_order() -> None:
    header = (
        'WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",'
        f'signature="{v.T3_POST_SIGNATURE}",timestamp="1624523846",serial_no="F5765756002FDD77"'
    )
    auth = parse_authorization(header)
    assert auth.signature == v.T3_POST_SIGNATURE
    assert auth.serial_no == "F5765756002FDD77"
