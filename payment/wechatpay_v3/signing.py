"""The v3 signatures (reference §2.2, §2.3): SHA256-RSA2048 (RSASSA-PKCS1-v1_5 with SHA-256,
base64) over newline-terminated lines.

- a request:  ``METHOD\\nCANONICAL_URL\\nTIMESTAMP\\nNONCE\\nBODY\\n`` (every line ends in ``\\n``,
  the last one too; the body is the exact bytes sent, empty for a GET);
- an answer or a notify: ``TIMESTAMP\\nNONCE\\nBODY\\n``.

``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",serial_no="…",
signature="…"``; its pairs may come in any order (:func:`parse_authorization`).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from payment.wechatpay_v3.constants import AUTH_SCHEME, NONCE_LENGTH

__all__ = [
    "Authorization",
    "AuthorizationFormatError",
    "authorization_header",
    "new_nonce",
    "parse_authorization",
    "request_message",
    "response_message",
    "sign",
    "signature_matches",
]

_NONCE_ALPHABET = string.ascii_letters + string.digits
_PAIR = re.compile(r'\s*([a-z_]+)="([^"]*)"\s*')
_FIELDS = ("mchid", "nonce_str", "timestamp", "serial_no", "signature")


def request_message(
    method: str, canonical_url: str, timestamp: str, nonce: str, body: bytes
) -> bytes:
    """What the merchant signs: ``canonical_url`` is the path and query exactly as sent."""
    head = f"{method}\n{canonical_url}\n{timestamp}\n{nonce}\n".encode()
    return head + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What WeChat signs in an answer or a notify (``body`` is the raw body, empty for 204)."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def sign(message: bytes, private_key: rsa.RSAPrivateKey) -> str:
    """base64 of the RSASSA-PKCS1-v1_5 SHA-256 signature of ``message``."""
    signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def signature_matches(message: bytes, signature: str, public_key: rsa.RSAPublicKey) -> bool:
    """True when ``signature`` (base64) is ``public_key``'s signature of ``message``."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def new_nonce() -> str:
    """32 random characters of [0-9A-Za-z], like the SDKs' nonce_str."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(NONCE_LENGTH))


@dataclass(frozen=True, slots=True)
class Authorization:
    """The parts of a request's ``Authorization`` header."""

    mchid: str
    nonce_str: str
    timestamp: str
    serial_no: str
    signature: str


def authorization_header(auth: Authorization) -> str:
    pairs = ",".join(f'{name}="{getattr(auth, name)}"' for name in _FIELDS)
    return f"{AUTH_SCHEME} {pairs}"


class AuthorizationFormatError(ValueError):
    """Not a ``WECHATPAY2-SHA256-RSA2048`` header with the five pairs."""


def parse_authorization(header: str) -> Authorization:
    """The five pairs of an ``Authorization`` header, in whatever order they come."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme != AUTH_SCHEME:
        raise AuthorizationFormatError(f"the scheme is not {AUTH_SCHEME}")
    values: dict[str, str] = {}
    for part in rest.split(","):
        match = _PAIR.fullmatch(part)
        if match is None:
            raise AuthorizationFormatError('a pair is not name="value"')
        name, value = match.groups()
        if name in values:
            raise AuthorizationFormatError(f"{name} appears twice")
        values[name] = value
    missing = [name for name in _FIELDS if not values.get(name)]
    if missing:
        raise AuthorizationFormatError(f"missing {', '.join(missing)}")
    return Authorization(**{name: values[name] for name in _FIELDS})
