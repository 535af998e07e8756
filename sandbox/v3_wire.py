"""Reading a merchant's v3 request and writing WeChat's v3 answer (reference §2.1-§2.3, §2.10).

WeChat authenticates the request first: the ``Authorization`` header must parse, name our
merchant and its certificate serial, carry a timestamp within 5 minutes, and sign exactly
``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n`` with the merchant's key; anything else is
``401 SIGN_ERROR`` with the signed message's start in ``detail`` (as real answers have it).
Every answer — errors included — is JSON signed with the platform's key (in the switch mode,
the one the request's ``Wechatpay-Serial`` names).

Business outcomes come from the shared rules as v2 ``err_code`` values
(:mod:`sandbox.failures`) and are answered with the v3 status and code (:func:`v3_error`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from payment.wechatpay import constants as v2
from payment.wechatpay_v3 import constants as c
from sandbox.failures import BusinessFailError
from sandbox.v3_crypto import (
    AuthorizationError,
    read_authorization,
    request_message,
    rsa_signature_valid,
)
from sandbox.v3_platform import Platform, V3Merchant

__all__ = ["V3FailError", "answer", "check_signed_request", "v3_error"]

SIGN_ERROR_MESSAGE = "签名错误，请检查后再试"
_COMPACT: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":")}

# v2 err_code (the shared rules' vocabulary) → (HTTP status, v3 code, legacy spelling).
_V3_CODES: dict[str, tuple[int, str, str]] = {
    v2.ORDERNOTEXIST: (404, c.ORDER_NOT_EXIST, v2.ORDERNOTEXIST),
    v2.REFUNDNOTEXIST: (404, c.RESOURCE_NOT_EXISTS, c.RESOURCE_NOT_EXISTS),
    v2.INVALID_TRANSACTIONID: (404, c.RESOURCE_NOT_EXISTS, c.RESOURCE_NOT_EXISTS),
    v2.ORDERCLOSED: (400, c.ORDER_CLOSED, v2.ORDERCLOSED),
    v2.ORDERPAID: (403, v2.ORDERPAID, v2.ORDERPAID),
    v2.INVALID_REQUEST: (400, c.INVALID_REQUEST, c.INVALID_REQUEST),
    v2.ERROR: (400, c.INVALID_REQUEST, c.INVALID_REQUEST),
    v2.PARAM_ERROR: (400, c.PARAM_ERROR, c.PARAM_ERROR),
    v2.NOTENOUGH: (403, c.NOT_ENOUGH, v2.NOTENOUGH),
    v2.NOAUTH: (403, c.NO_AUTH, v2.NOAUTH),
    v2.SYSTEMERROR: (500, c.SYSTEM_ERROR, v2.SYSTEMERROR),
}


class V3FailError(Exception):
    """An error answer: HTTP status and ``{"code", "message", "detail"}``."""

    def __init__(
        self, status: int, code: str, message: str, detail: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {c.ERROR_CODE: self.code, c.ERROR_MESSAGE: self.message}
        if self.detail is not None:
            body["detail"] = dict(self.detail)
        return body


def v3_error(fail: BusinessFailError, *, legacy_codes: bool = False) -> V3FailError:
    """A shared-rules failure as v3 answers it (``legacy_codes``: the v2-era spellings)."""
    status, code, legacy = _V3_CODES.get(fail.err_code, (400, fail.err_code, fail.err_code))
    return V3FailError(status, legacy if legacy_codes else code, fail.err_code_des)


def _sign_error(method: str, url: str, message: bytes, why: str) -> V3FailError:
    detail = {
        "detail": why,
        "sign_information": {
            "method": method,
            "url": url,
            "truncated_sign_message": message[:64].decode("utf-8", "replace"),
        },
    }
    return V3FailError(401, c.SIGN_ERROR, SIGN_ERROR_MESSAGE, detail)


def check_signed_request(
    method: str,
    url: str,
    authorization: str,
    body: bytes,
    merchant: V3Merchant,
    now: float,
) -> None:
    """Returns when the request is our merchant's, signed now; else a 401 SIGN_ERROR."""
    try:
        auth = read_authorization(authorization)
    except AuthorizationError as error:
        raise _sign_error(method, url, b"", f"Authorization: {error}") from None
    message = request_message(method, url, auth.timestamp, auth.nonce_str, body)
    if auth.mchid != merchant.mch_id:
        raise _sign_error(method, url, message, "mchid is not a merchant of this sandbox")
    if auth.serial_no.upper() != merchant.serial.upper():
        raise _sign_error(method, url, message, "serial_no is not the merchant certificate's")
    if not auth.timestamp.isdigit() or abs(now - int(auth.timestamp)) >= c.TIMESTAMP_WINDOW_SECONDS:
        raise _sign_error(method, url, message, "the timestamp is not within 5 minutes")
    if not rsa_signature_valid(message, auth.signature, merchant.public_key):
        raise _sign_error(method, url, message, "the signature does not verify")


def answer(
    platform: Platform,
    status: int,
    payload: Mapping[str, Any] | None,
    requested_serial: str | None = None,
) -> Response:
    """A signed JSON answer (no body for 204), signed with the key for ``requested_serial``
    (the request's ``Wechatpay-Serial``)."""
    body = b"" if payload is None else json.dumps(payload, **_COMPACT).encode()
    signer = platform.answer_key(requested_serial)
    headers = {
        c.HEADER_REQUEST_ID: secrets.token_hex(12).upper(),
        **platform.headers(body, key=signer),
    }
    media_type = None if payload is None else c.JSON
    return Response(body, status_code=status, headers=headers, media_type=media_type)
