"""The sandbox's own v2 signature (reference §1.2), written apart from the client's on purpose:
the sandbox is the test oracle, and two implementations that agree (and agree with the official
SDKs, tests/sdk) catch what one shared implementation would hide.

``stringSignTemp`` is every field but ``sign`` whose value, trimmed as Java's ``String.trim``
trims (code points up to U+0020 at either end), is not empty, as ``name=value`` in byte order
of the names, joined with ``&``, then ``&key=<API key>``. MD5 of its UTF-8 bytes, or
HMAC-SHA256 keyed with the API key, in upper-case hex.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum

__all__ = ["SignType", "signature", "signature_valid"]


class SignType(StrEnum):
    MD5 = "MD5"
    HMAC_SHA256 = "HMAC-SHA256"


def _java_trimmed(value: str) -> str:
    start, end = 0, len(value)
    while start < end and value[start] <= " ":
        start += 1
    while end > start and value[end - 1] <= " ":
        end -= 1
    return value[start:end]


def _string_to_sign(fields: Mapping[str, str], api_key: str) -> bytes:
    names = sorted((name for name in fields if name != "sign"), key=lambda n: n.encode())
    text = ""
    for name in names:
        value = _java_trimmed(fields[name])
        if value:
            text += f"{name}={value}&"
    return f"{text}key={api_key}".encode()


def signature(fields: Mapping[str, str], api_key: str, sign_type: SignType) -> str:
    message = _string_to_sign(fields, api_key)
    if sign_type is SignType.HMAC_SHA256:
        digest = hmac.digest(api_key.encode(), message, "sha256")
    else:
        digest = hashlib.md5(message, usedforsecurity=False).digest()
    return digest.hex().upper()


def signature_valid(fields: Mapping[str, str], api_key: str, sign_type: SignType) -> bool:
    """Whether ``fields["sign"]`` signs the other fields (exact, case-sensitive, like
    ``WXPayUtil.isSignatureValid``)."""
    given = fields.get("sign", "")
    return bool(given) and hmac.compare_digest(
        signature(fields, api_key, sign_type).encode(), given.encode()
    )
