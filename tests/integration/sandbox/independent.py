"""An independent implementation of WeChat's v2 signature and XML, for checking the sandbox.

Written from the reference (§1.2, §1.9) with hashlib, hmac, ElementTree and cryptography only:
nothing from payment.wechatpay, so a shared bug cannot hide itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def signature(fields: dict[str, str], key: str, sign_type: str) -> str:
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign" and fields[k])
    message = (text + "&key=" + key).encode("utf-8")
    if sign_type == "HMAC-SHA256":
        return hmac.new(key.encode(), message, hashlib.sha256).hexdigest().upper()
    assert sign_type == "MD5"
    return hashlib.md5(message).hexdigest().upper()  # noqa: S324 - WeChat's algorithm


def to_xml(fields: dict[str, str]) -> bytes:
    root = ET.Element("xml")
    for name, value in fields.items():
        ET.SubElement(root, name).text = value
    return bytes(ET.tostring(root, encoding="utf-8"))


def from_xml(body: bytes) -> dict[str, str]:
    root = ET.fromstring(body)  # noqa: S314 - our own sandbox's output
    return {child.tag: child.text or "" for child in root}


def signed_request(fields: dict[str, str], key: str, sign_type: str = "MD5") -> bytes:
    message = {**fields, "nonce_str": secrets.token_hex(8)}
    if sign_type != "MD5":
        message["sign_type"] = sign_type
    message["sign"] = signature(message, key, sign_type)
    return to_xml(message)


def decrypt_req_info(req_info: str, key: str) -> dict[str, str]:
    aes_key = hashlib.md5(key.encode()).hexdigest().encode()  # noqa: S324 - WeChat's scheme
    decryptor = Cipher(algorithms.AES(aes_key), modes.ECB()).decryptor()  # noqa: S305
    padded = decryptor.update(base64.b64decode(req_info)) + decryptor.finalize()
    plaintext = padded[: -padded[-1]]
    return from_xml(plaintext)
