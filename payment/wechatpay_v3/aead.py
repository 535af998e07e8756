"""AES-256-GCM resources (reference §2.4, §2.9): how WeChat encrypts notifies and certificates.

``plaintext = AESGCM(APIv3 key).decrypt(nonce, base64decode(ciphertext), associated_data)``: the
ciphertext ends in the 16-byte tag, the nonce is 12 UTF-8 characters. A wrong key, nonce, tag or
associated data is an **authentication failure** (:class:`DecryptionError`), never an empty value.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payment.wechatpay_v3.constants import GCM_NONCE_BYTES, GCM_TAG_BYTES

__all__ = ["DecryptionError", "decrypt", "encrypt", "new_gcm_nonce"]

_NONCE_ALPHABET = string.ascii_letters + string.digits


class DecryptionError(ValueError):
    """The resource did not authenticate: bad base64, nonce, tag, key or associated data."""


def _aead(key: bytes) -> AESGCM:
    try:
        return AESGCM(key)
    except ValueError:
        raise DecryptionError("the key is not 16, 24 or 32 bytes") from None


def decrypt(key: bytes, nonce: str, ciphertext: str, associated_data: str) -> bytes:
    """The authenticated plaintext, or :class:`DecryptionError`."""
    nonce_bytes = nonce.encode()
    if len(nonce_bytes) != GCM_NONCE_BYTES:
        raise DecryptionError(f"the nonce is not {GCM_NONCE_BYTES} bytes")
    try:
        sealed = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("the ciphertext is not base64") from None
    if len(sealed) < GCM_TAG_BYTES:
        raise DecryptionError("the ciphertext is shorter than its tag")
    try:
        return _aead(key).decrypt(nonce_bytes, sealed, associated_data.encode())
    except InvalidTag:
        raise DecryptionError("the tag does not authenticate (wrong key or tampered)") from None


def encrypt(key: bytes, nonce: str, plaintext: bytes, associated_data: str) -> str:
    """What WeChat does to a resource (the sandbox and tests use it): base64(ciphertext‖tag)."""
    sealed = _aead(key).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return base64.b64encode(sealed).decode()


def new_gcm_nonce() -> str:
    """12 random characters of [0-9A-Za-z] (WeChat's nonces look like ``Kj7QIyUiYx1q``)."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(GCM_NONCE_BYTES))
