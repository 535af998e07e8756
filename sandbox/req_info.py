"""A v2 refund notify's ``req_info`` as WeChat makes it (reference §1.9): base64 of
AES-256-ECB with PKCS#7 padding, keyed with the 32 lower-case hex characters of MD5(API key)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["seal_req_info"]


def seal_req_info(plaintext: bytes, api_key: str) -> str:
    key = hashlib.md5(api_key.encode(), usedforsecurity=False).hexdigest().encode()
    pad = 16 - len(plaintext) % 16
    padded = plaintext + bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - WeChat's scheme
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()
