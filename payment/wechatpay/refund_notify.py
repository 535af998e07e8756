"""WeChat Pay v2 refund notifies (reference §1.9): the payload is ``req_info``, encrypted.

``req_info`` = base64(AES-256-ECB(key = lowercase hex MD5 of the API key, PKCS7 padding) of
``<root>...</root>``). The notify itself carries no signature; what vouches for it is that it
decrypts with our key into well-formed XML. (ECB has no integrity of its own, so whoever acts on
a refund notify should confirm it with a refund query before moving money.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from payment.wechatpay import constants as c
from payment.wechatpay import mapping, xml_codec
from payment.wechatpay.config import MerchantKeys
from payment.wechatpay.notify import check_merchant, parse_xml
from payment.wechatpay.notify_errors import (
    NotifyFieldError,
    NotifyNotSuccessError,
    ReqInfoDecryptError,
)
from payment.wechatpay.types import RefundNotify

__all__ = ["decrypt_req_info", "encrypt_req_info", "parse_refund_notify", "req_info_key"]

_BLOCK_BITS = 128


def req_info_key(api_key: str) -> bytes:
    """The AES-256 key: the 32 lowercase hex characters of md5(API key), used as bytes."""
    return hashlib.md5(api_key.encode(), usedforsecurity=False).hexdigest().encode()


def encrypt_req_info(plaintext: bytes, api_key: str) -> str:
    """What WeChat does to a refund result (used by the sandbox and by tests)."""
    padder = padding.PKCS7(_BLOCK_BITS).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(req_info_key(api_key)), modes.ECB()).encryptor()  # noqa: S305 - WeChat's scheme
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def decrypt_req_info(req_info: str, api_key: str) -> dict[str, str]:
    """The fields of the decrypted ``<root>``; :class:`ReqInfoDecryptError` if anything is off."""
    try:
        ciphertext = base64.b64decode(req_info, validate=True)
    except (binascii.Error, ValueError):
        raise ReqInfoDecryptError("req_info is not base64") from None
    if not ciphertext or len(ciphertext) % (_BLOCK_BITS // 8):
        raise ReqInfoDecryptError("req_info is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(req_info_key(api_key)), modes.ECB()).decryptor()  # noqa: S305 - WeChat's scheme
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
    try:
        plaintext = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise ReqInfoDecryptError("req_info has bad padding (wrong key?)") from None
    try:
        return xml_codec.parse(plaintext)
    except xml_codec.XmlError as error:
        raise ReqInfoDecryptError(f"req_info does not hold XML: {error.reason}") from None


def parse_refund_notify(
    body: bytes, keys: MerchantKeys, *, max_bytes: int = xml_codec.DEFAULT_MAX_BYTES
) -> RefundNotify:
    """The decrypted refund notify, or a :class:`NotifyRejectedError` saying why not."""
    outer = parse_xml(body, max_bytes)
    if outer.get(c.RETURN_CODE) != c.SUCCESS:
        raise NotifyNotSuccessError("return_code is not SUCCESS")
    check_merchant(outer, keys)
    req_info = outer.get(c.REQ_INFO, "")
    if not req_info:
        raise ReqInfoDecryptError("req_info is missing")
    inner = decrypt_req_info(req_info, keys.api_key.get_secret_value())
    try:
        success = inner.get("success_time", "")
        return RefundNotify(
            appid=outer["appid"],
            mch_id=outer["mch_id"],
            out_trade_no=mapping.required(inner, "out_trade_no"),
            out_refund_no=mapping.required(inner, "out_refund_no"),
            refund_id=mapping.required(inner, "refund_id"),
            transaction_id=mapping.required(inner, "transaction_id"),
            total_fee=mapping.fen(mapping.required(inner, "total_fee"), "total_fee"),
            refund_fee=mapping.fen(mapping.required(inner, "refund_fee"), "refund_fee"),
            refund_status=mapping.refund_status(mapping.required(inner, "refund_status")),
            success_time=mapping.parse_refund_time(success) if success else None,
            settlement_refund_fee=mapping.optional_fen(inner, "settlement_refund_fee"),
            recv_account=inner.get("refund_recv_accout") or None,
            fields=inner,
            raw_body=body,
        )
    except mapping.MappingError as error:
        raise NotifyFieldError(str(error)) from None
