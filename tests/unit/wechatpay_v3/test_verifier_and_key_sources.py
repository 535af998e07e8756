"""The Verifier port: the ±5-minute window, probes, unknown serials, and key sources chosen by
``Wechatpay-Serial`` (public key, platform certificates, both during a switch)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from payment.wechatpay_v3 import (
    BadSignatureError,
    CombinedKeySource,
    MissingHeadersError,
    PlatformCertificate,
    PlatformCertificates,
    ProbeSignatureError,
    PublicKeySource,
    SignatureVerifier,
    SignedMessage,
    StaleTimestampError,
    UnknownSerialError,
    VerificationError,
)
from payment.wechatpay_v3.signing import response_message, sign
from tests.unit.wechatpay_v3.fake_wechat import PLATFORM_KEY, PLATFORM_PUBLIC_KEY, PUB_KEY_ID

NOW = 1_800_000_000
CERT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def message(
    serial: str = PUB_KEY_ID,
    timestamp: int = NOW,
    body: bytes = b'{"ok":true}',
    key: rsa.RSAPrivateKey = PLATFORM_KEY,
    signature: str | None = None,
) -> SignedMessage:
    signed = signature or sign(response_message(str(timestamp), "nonce", body), key)
    return SignedMessage(
        serial=serial, timestamp=str(timestamp), nonce="nonce", signature=signed, body=body
    )


def public_key_mode(now: float = NOW) -> SignatureVerifier:
    return SignatureVerifier(PublicKeySource(PUB_KEY_ID, PLATFORM_PUBLIC_KEY), clock=lambda: now)


@pytest.mark.parametrize("skew", [-299, 0, 299])
def test_within_five_minutes_verifies(skew: int) -> None:
    public_key_mode(NOW + skew).verify(message())


@pytest.mark.parametrize("skew", [-300, 300, -86_400, 10**9])
def test_five_minutes_or_more_away_is_refused(skew: int) -> None:
    with pytest.raises(StaleTimestampError):
        public_key_mode(NOW + skew).verify(message())


@pytest.mark.parametrize("timestamp", ["", "abc", "1.5e9", "-1", "1800000000000000"])
def test_a_timestamp_that_is_not_unix_seconds_is_refused(timestamp: str) -> None:
    signed = SignedMessage(PUB_KEY_ID, timestamp, "nonce", "c2ln", b"")
    with pytest.raises(StaleTimestampError):
        public_key_mode().verify(signed)


def test_wechats_probe_is_refused_before_anything_else() -> None:
    probe = message(serial="unknown", timestamp=0, signature="WECHATPAY/SIGNTEST/abc")
    with pytest.raises(ProbeSignatureError):
        public_key_mode().verify(probe)


def test_an_unknown_serial_or_another_key_or_another_body_is_refused() -> None:
    verifier = public_key_mode()
    with pytest.raises(UnknownSerialError):
        verifier.verify(message(serial="PUB_KEY_ID_0000000000000000000000000000000001"))
    with pytest.raises(BadSignatureError):
        verifier.verify(message(key=OTHER_KEY))
    good = message()
    with pytest.raises(BadSignatureError):
        verifier.verify(
            SignedMessage(good.serial, good.timestamp, good.nonce, good.signature, b'{"ok":false}')
        )
    with pytest.raises(BadSignatureError):
        verifier.verify(
            SignedMessage(good.serial, good.timestamp, good.nonce, good.signature, good.body, "MD5")
        )


def test_missing_headers_are_named() -> None:
    with pytest.raises(MissingHeadersError) as raised:
        SignedMessage.from_headers({"wechatpay-timestamp": "1", "Wechatpay-Nonce": "n"}, b"")
    assert "Wechatpay-Serial" in str(raised.value)
    assert "Wechatpay-Signature" in str(raised.value)


def test_during_a_switch_both_sources_verify_and_neither_alone_does() -> None:
    certificates = PlatformCertificates([PlatformCertificate(CERT_SERIAL, OTHER_KEY.public_key())])
    public_key = PublicKeySource(PUB_KEY_ID, PLATFORM_PUBLIC_KEY)
    both = SignatureVerifier(CombinedKeySource(public_key, certificates), clock=lambda: NOW)
    by_certificate = message(serial=CERT_SERIAL.lower(), key=OTHER_KEY)
    by_public_key = message()
    both.verify(by_certificate)
    both.verify(by_public_key)
    with pytest.raises(UnknownSerialError):
        SignatureVerifier(certificates, clock=lambda: NOW).verify(by_public_key)
    with pytest.raises(UnknownSerialError):
        SignatureVerifier(public_key, clock=lambda: NOW).verify(by_certificate)


def test_certificates_are_replaced_as_a_whole() -> None:
    store = PlatformCertificates([PlatformCertificate(CERT_SERIAL, PLATFORM_PUBLIC_KEY)])
    verifier = SignatureVerifier(store, clock=lambda: NOW)
    verifier.verify(message(serial=CERT_SERIAL))
    store.replace([PlatformCertificate("ABCDEF", PLATFORM_PUBLIC_KEY)])
    verifier.verify(message(serial="abcdef"))
    with pytest.raises(VerificationError):
        verifier.verify(message(serial=CERT_SERIAL))
