"""The v2 signature (签名算法, reference §1.2): MD5 or HMAC-SHA256 over the sorted fields.

1. take every field except ``sign``; drop the empty ones (``sign_type`` is signed when present);
2. sort the keys byte-wise; join ``k=v`` with ``&``; append ``&key=<API key>``;
3. MD5 or HMAC-SHA256 (keyed with the API key) of the UTF-8 bytes, upper-case hex.

Values are trimmed the way the official Java SDK (``WXPayUtil``) trims them (``String.trim``:
every character up to U+0020), so a whitespace-only value counts as empty (§7 V4).

So ``<out_trade_no>X </out_trade_no>`` and ``<out_trade_no>X</out_trade_no>`` carry one
signature, and so does a message with an added ``<err_code> </err_code>``: what WeChat signed is
the trimmed value. :func:`signed_fields` is that view, and the only one a received message is
read through (notifies and answers alike): a padded copy of a genuine message is the same
message, field for field, and the same observation id. Refusing it instead would refuse a
genuine message if WeChat ever padded one, for a day of redeliveries and queries that fail too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from enum import StrEnum

from payment.wechatpay.constants import HMAC_SIGNATURE_LENGTH, NONCE_LENGTH, SIGN, SIGN_TYPE

__all__ = [
    "SignType",
    "UnknownSignTypeError",
    "new_nonce",
    "parse_sign_type",
    "sign",
    "signature_type_of",
    "signed_fields",
    "signing_string",
    "trim",
    "verify",
]

_JAVA_TRIM = "".join(chr(code) for code in range(0x21))


class SignType(StrEnum):
    """The two v2 signature algorithms, spelled as in the ``sign_type`` field."""

    MD5 = "MD5"
    HMAC_SHA256 = "HMAC-SHA256"


class UnknownSignTypeError(ValueError):
    """``sign_type`` names an algorithm WeChat does not have."""

    def __init__(self, value: str) -> None:
        super().__init__(f"unknown sign_type {value[:40]!r}")
        self.value = value


def parse_sign_type(value: str) -> SignType:
    try:
        return SignType(value)
    except ValueError:
        raise UnknownSignTypeError(value) from None


def trim(value: str) -> str:
    """A value as the official SDK signs and sends it: without leading/trailing controls/space."""
    return value.strip(_JAVA_TRIM)


def signed_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """A received message as its signature covers it: every value trimmed, the empty dropped."""
    signed = {}
    for name, value in fields.items():
        trimmed = trim(value)
        if trimmed:
            signed[name] = trimmed
    return signed


def signing_string(fields: Mapping[str, str], api_key: str) -> str:
    """The ``stringSignTemp`` of §1.2: what the hash is taken of."""
    pairs = []
    for name in sorted(fields):
        if name == SIGN:
            continue
        value = trim(fields[name])
        if value:
            pairs.append(f"{name}={value}")
    pairs.append(f"key={api_key}")
    return "&".join(pairs)


def sign(fields: Mapping[str, str], api_key: str, sign_type: SignType) -> str:
    """The upper-case hex signature of ``fields`` (``sign`` itself is never signed)."""
    message = signing_string(fields, api_key).encode()
    if sign_type == SignType.HMAC_SHA256:
        return hmac.new(api_key.encode(), message, hashlib.sha256).hexdigest().upper()
    return hashlib.md5(message, usedforsecurity=False).hexdigest().upper()


def signature_type_of(fields: Mapping[str, str]) -> SignType:
    """The algorithm a received message claims: its ``sign_type``, else the signature's length.

    WeChat sometimes omits ``sign_type`` from HMAC-signed notifies (§1.8 "sign_type gotcha"), so
    a 64-character signature without ``sign_type`` is HMAC-SHA256 and anything else MD5.
    """
    declared = fields.get(SIGN_TYPE, "")
    if declared:
        return parse_sign_type(declared)
    if len(fields.get(SIGN, "")) == HMAC_SIGNATURE_LENGTH:
        return SignType.HMAC_SHA256
    return SignType.MD5


def verify(fields: Mapping[str, str], api_key: str, sign_type: SignType | None = None) -> bool:
    """True when ``fields["sign"]`` is the signature of the other fields (constant time).

    ``sign_type`` forces the algorithm (a response is signed like its request); without it the
    type comes from :func:`signature_type_of`, which raises :class:`UnknownSignTypeError`.
    """
    given = fields.get(SIGN)
    if not given:
        return False
    algorithm = sign_type if sign_type is not None else signature_type_of(fields)
    expected = sign(fields, api_key, algorithm)
    return hmac.compare_digest(expected.encode(), given.encode())


def new_nonce() -> str:
    """A fresh ``nonce_str``: 32 random hex characters (128 bits; within the SDK's [0-9A-Za-z])."""
    return secrets.token_hex(NONCE_LENGTH // 2)
