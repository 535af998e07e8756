"""The sandbox's own API v3 cryptography (reference §2.2-§2.4, Corrections), independent of the
client's: the signed messages, SHA256-RSA2048 signatures, the ``Authorization`` header as
WeChat reads it, AES-256-GCM resources and certificate serials.

- a request is signed over ``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n``, an answer or a notify
  over ``TIMESTAMP\\nNONCE\\nBODY\\n`` (RSASSA-PKCS1-v1_5, SHA-256, base64);
- a serial is the hex of the serial number's big-endian bytes, upper case, a leading zero
  nibble kept (what ``openssl x509 -serial`` and wechatpay-go print).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "AuthorizationError",
    "MerchantAuthorization",
    "answer_message",
    "new_nonce",
    "read_authorization",
    "read_certificate",
    "read_private_key",
    "read_public_key",
    "request_message",
    "rsa_sign",
    "rsa_signature_valid",
    "seal",
    "serial_of",
]

SCHEME = "WECHATPAY2-SHA256-RSA2048"
_ALPHANUMERIC = string.ascii_letters + string.digits
_PARTS = frozenset({"mchid", "nonce_str", "timestamp", "serial_no", "signature"})


def request_message(method: str, url: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return b"\n".join([method.encode(), url.encode(), timestamp.encode(), nonce.encode(), body]) + (
        b"\n"
    )


def answer_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return b"\n".join([timestamp.encode(), nonce.encode(), body]) + b"\n"


def rsa_sign(message: bytes, key: rsa.RSAPrivateKey) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_signature_valid(message: bytes, signature: str, key: rsa.RSAPublicKey) -> bool:
    try:
        key.verify(
            base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256()
        )
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def seal(key: bytes, nonce: str, plaintext: bytes, associated_data: str) -> str:
    """base64(AES-256-GCM ciphertext ‖ 16-byte tag), as WeChat encrypts a resource."""
    return base64.b64encode(
        AESGCM(key).encrypt(nonce.encode(), plaintext, associated_data.encode())
    ).decode()


def new_nonce(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def serial_of(certificate: x509.Certificate) -> str:
    number = certificate.serial_number
    return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big").hex().upper()


def read_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def read_certificate(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def read_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """From a bare public key or a certificate."""
    key = (
        read_certificate(pem).public_key()
        if b"CERTIFICATE" in pem
        else serialization.load_pem_public_key(pem)
    )
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


class AuthorizationError(ValueError):
    """The ``Authorization`` header is not WeChat's scheme with its five parts."""


@dataclass(frozen=True, slots=True)
class MerchantAuthorization:
    mchid: str
    nonce_str: str
    timestamp: str
    serial_no: str
    signature: str


def read_authorization(header: str) -> MerchantAuthorization:
    scheme, _, parameters = header.strip().partition(" ")
    if scheme != SCHEME:
        raise AuthorizationError(f"the scheme is not {SCHEME}")
    parts: dict[str, str] = {}
    for item in parameters.split(","):
        name, equals, quoted = item.strip().partition("=")
        if not equals or len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
            raise AuthorizationError('a part is not name="value"')
        if name in parts:
            raise AuthorizationError(f"{name} appears twice")
        parts[name] = quoted[1:-1]
    missing = sorted(name for name in _PARTS if not parts.get(name))
    if missing:
        raise AuthorizationError(f"missing {', '.join(missing)}")
    return MerchantAuthorization(
        mchid=parts["mchid"],
        nonce_str=parts["nonce_str"],
        timestamp=parts["timestamp"],
        serial_no=parts["serial_no"],
        signature=parts["signature"],
    )
