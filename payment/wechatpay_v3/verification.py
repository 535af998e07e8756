"""Verifying what WeChat signed (reference §2.3): the :class:`Verifier` port and its errors.

The port is small on purpose (wechatpay-go's ``Verifier``): one call, given the signed message
and the ``Wechatpay-*`` headers, that returns or raises. Where the public keys come from is a
:class:`KeySource` chosen by ``Wechatpay-Serial`` (:mod:`payment.wechatpay_v3.key_sources`):
platform certificates, a WeChat Pay public key, or both during a switch. A verifier never
fetches anything: certificates are refreshed out of band
(:mod:`payment.wechatpay_v3.platform_certificates`).

Checks, in order: the headers are there; the signature is not WeChat's ``WECHATPAY/SIGNTEST/``
probe; the signature type is ours; the timestamp is within ±5 minutes; the serial names a key
we have; the signature verifies over ``TIMESTAMP\\nNONCE\\nBODY\\n``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from payment.wechatpay.constants import SIGNATURE_PROBE_PREFIX
from payment.wechatpay.mapping import MappingError
from payment.wechatpay_v3 import constants as c
from payment.wechatpay_v3 import fields
from payment.wechatpay_v3.signing import response_message, signature_matches

__all__ = [
    "BadSignatureError",
    "KeySource",
    "MissingHeadersError",
    "ProbeSignatureError",
    "SignatureVerifier",
    "SignedMessage",
    "StaleTimestampError",
    "UnknownSerialError",
    "VerificationError",
    "Verifier",
]


class VerificationError(ValueError):
    """What WeChat supposedly signed does not verify. ``reason`` is a short label for metrics."""

    reason = "signature"


class MissingHeadersError(VerificationError):
    """A ``Wechatpay-*`` header is missing or empty: the message is not signed."""

    reason = "unsigned"


class ProbeSignatureError(VerificationError):
    """WeChat's deliberately wrong ``WECHATPAY/SIGNTEST/…`` probe: refuse it and wait for the
    properly signed delivery."""

    reason = "probe"


class StaleTimestampError(VerificationError):
    """``Wechatpay-Timestamp`` is not a number within ±5 minutes of now (a replay or a clock
    problem)."""

    reason = "timestamp"


class UnknownSerialError(VerificationError):
    """``Wechatpay-Serial`` names no certificate or public key we have."""

    reason = "serial"


class BadSignatureError(VerificationError):
    """The signature does not verify with the key its serial names (tampered, or forged)."""

    reason = "signature"


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return (value or "").strip()


@dataclass(frozen=True, slots=True)
class SignedMessage:
    """An answer or a notify as WeChat signed it: its four headers and its raw body."""

    serial: str
    timestamp: str
    nonce: str
    signature: str
    body: bytes
    signature_type: str = c.SIGNATURE_TYPE

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], body: bytes) -> SignedMessage:
        """Raises :class:`MissingHeadersError` unless all four ``Wechatpay-*`` headers are set."""
        values = {
            name: _header(headers, name)
            for name in (c.HEADER_SERIAL, c.HEADER_TIMESTAMP, c.HEADER_NONCE, c.HEADER_SIGNATURE)
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise MissingHeadersError(f"missing {', '.join(missing)}")
        return cls(
            serial=values[c.HEADER_SERIAL],
            timestamp=values[c.HEADER_TIMESTAMP],
            nonce=values[c.HEADER_NONCE],
            signature=values[c.HEADER_SIGNATURE],
            body=body,
            signature_type=_header(headers, c.HEADER_SIGNATURE_TYPE) or c.SIGNATURE_TYPE,
        )


class KeySource(Protocol):
    """Where WeChat's public keys come from: the key a ``Wechatpay-Serial`` names, or None."""

    def public_key(self, serial: str) -> rsa.RSAPublicKey | None:
        """The key for ``serial`` (a certificate serial or a ``PUB_KEY_ID_…``); never does I/O."""
        ...


class Verifier(Protocol):
    """Verifies one signed answer or notify; raises :class:`VerificationError` if it does not."""

    def verify(self, message: SignedMessage) -> None:
        """Returns only when ``message`` is WeChat's, signed within the time window."""
        ...


class SignatureVerifier:
    """The :class:`Verifier`: a key source, a clock and the ±5-minute window."""

    def __init__(
        self,
        keys: KeySource,
        *,
        clock: Callable[[], float] = time.time,
        window_seconds: int = c.TIMESTAMP_WINDOW_SECONDS,
    ) -> None:
        self._keys = keys
        self._clock = clock
        self._window = window_seconds

    def verify(self, message: SignedMessage) -> None:
        if message.signature.startswith(SIGNATURE_PROBE_PREFIX):
            raise ProbeSignatureError("WeChat's signature probe")
        if message.signature_type != c.SIGNATURE_TYPE:
            raise BadSignatureError(f"unknown signature type {message.signature_type[:40]!r}")
        try:
            signed_at = fields.unix_seconds(message.timestamp)
        except MappingError:
            raise StaleTimestampError("the timestamp is not unix seconds") from None
        skew = abs(self._clock() - signed_at)
        if skew >= self._window:
            raise StaleTimestampError(f"the timestamp is {skew:.0f} s away from now")
        key = self._keys.public_key(message.serial)
        if key is None:
            raise UnknownSerialError(f"no key has serial {message.serial[:64]!r}")
        signed = response_message(message.timestamp, message.nonce, message.body)
        if not signature_matches(signed, message.signature, key):
            raise BadSignatureError("the signature does not verify")
