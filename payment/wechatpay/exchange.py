"""One signed request to WeChat Pay v2 and the checked answer (reference §1.1, §1.2, §8.2).

An answer is accepted only when ``return_code=SUCCESS``, its signature verifies with the
request's sign type, and ``result_code=SUCCESS``; every other outcome raises from
:mod:`payment.wechatpay.errors`. Both shapes of protocol error are understood:
``return_code=FAIL`` with a ``return_msg``, and ``result_code=FAIL`` with an ``err_code``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from payment.wechatpay import constants as c
from payment.wechatpay import xml_codec
from payment.wechatpay.config import WeChatPayConfig
from payment.wechatpay.errors import (
    ConfigurationError,
    DeadlineExceededError,
    ResponseFormatError,
    ResponseSignatureError,
    TransportError,
    error_for,
)
from payment.wechatpay.http import HttpPoster
from payment.wechatpay.signing import SignType, sign, signed_fields, trim, verify

__all__ = ["MAX_RESPONSE_BYTES", "Exchange", "check_answer", "code_from_return_msg"]

MAX_RESPONSE_BYTES = 1024 * 1024
XML_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
# downloadbill's return_msg (lower-cased: the docs and the service disagree on "No"/"NO") →
# the code its error carries.
_BILL_MESSAGES = {
    c.BILL_NO_BILL.lower(): c.NO_STATEMENT_EXIST,
    c.BILL_CREATING.lower(): c.STATEMENT_CREATING,
    c.BILL_SYSTEMERROR.lower(): c.SYSTEMERROR,
    c.BILL_SIGN_ERROR.lower(): c.SIGNERROR,
    c.BILL_INVALID_TYPE.lower(): c.PARAM_ERROR,
    # bill_type and tar_type are always well formed here: what is refused is the date.
    c.BILL_DATA_FORMAT_ERROR.lower(): c.INVALID_BILL_DATE,
    c.BILL_MISSING_PARAMETER.lower(): c.LACK_PARAMS,
}


def code_from_return_msg(return_msg: str) -> str:
    """The err_code a ``return_code=FAIL`` answer means, recovered from its text (§8.2)."""
    for phrase, code in c.RETURN_MSG_CODES:
        if phrase in return_msg:
            return code
    return c.RETURN_FAIL


def check_answer(
    fields: Mapping[str, str], api_key: str, sign_type: SignType, *, appid: str, mch_id: str
) -> Mapping[str, str]:
    """The answer's fields if it is a verified success, else the error it stands for."""
    return_code = fields.get(c.RETURN_CODE)
    if return_code == c.FAIL:
        message = fields.get(c.RETURN_MSG, "")
        raise error_for(code_from_return_msg(message), message)
    if return_code != c.SUCCESS:
        raise TransportError("UNPARSABLE_RESPONSE", "the answer has no return_code")
    if not verify(fields, api_key, sign_type):
        raise ResponseSignatureError("RESPONSE_SIGNATURE", "the answer's signature does not verify")
    if fields.get("appid", appid) != appid or fields.get("mch_id", mch_id) != mch_id:
        raise ResponseFormatError("RESPONSE_MERCHANT", "the answer names another appid or mch_id")
    result_code = fields.get(c.RESULT_CODE)
    if result_code == c.SUCCESS:
        return fields
    if result_code == c.FAIL:
        raise error_for(fields.get(c.ERR_CODE) or c.RETURN_FAIL, fields.get(c.ERR_CODE_DES, ""))
    raise ResponseFormatError("RESPONSE_FORMAT", "the answer has no result_code")


class Exchange:
    """Signs, sends and checks one request; the retry loop calls it again on a RetryableError."""

    def __init__(self, http: HttpPoster, config: WeChatPayConfig, nonce: Callable[[], str]) -> None:
        self._http = http
        self._config = config
        self._nonce = nonce

    def signed_body(self, fields: Mapping[str, str], sign_type: SignType) -> bytes:
        """The request body: our identity, a fresh nonce, the sign type, and the signature."""
        config = self._config
        message = {
            "appid": config.appid,
            "mch_id": config.mch_id,
            c.NONCE_STR: self._nonce(),
            c.SIGN_TYPE: sign_type.value,
            **{name: trim(value) for name, value in fields.items() if trim(value)},
        }
        message[c.SIGN] = sign(message, config.api_key.get_secret_value(), sign_type)
        return xml_codec.encode(message)

    async def call(
        self, path: str, fields: Mapping[str, str], remaining: float | None
    ) -> Mapping[str, str]:
        config = self._config
        sign_type = config.sign_type
        body = self.signed_body(fields, sign_type)
        try:
            async with asyncio.timeout(remaining):
                raw = await self._post(config.base_url + path, body, remaining)
        except TimeoutError:
            raise DeadlineExceededError(
                "DEADLINE_EXCEEDED", f"no answer from {path} in time"
            ) from None
        try:
            answer = signed_fields(xml_codec.parse(raw, max_bytes=MAX_RESPONSE_BYTES))
        except xml_codec.XmlError as error:
            raise TransportError("UNPARSABLE_RESPONSE", f"{path}: {error}") from None
        return check_answer(
            answer,
            config.api_key.get_secret_value(),
            sign_type,
            appid=config.appid,
            mch_id=config.mch_id,
        )

    async def download_bill(
        self, fields: Mapping[str, str], remaining: float | None, max_bytes: int
    ) -> bytes:
        """``/pay/downloadbill``'s answer: the bill's bytes (text, or gzip when asked), unsigned;
        a failure is XML return_code=FAIL with WeChat's return_msg (bills reference §2)."""
        sign_type = self._config.sign_type
        body = self.signed_body(fields, sign_type)
        url = self._config.base_url + c.PATH_DOWNLOAD_BILL
        try:
            async with asyncio.timeout(remaining):
                raw = await self._post(url, body, remaining, max_bytes)
        except TimeoutError:
            raise DeadlineExceededError("DEADLINE_EXCEEDED", "no bill in time") from None
        if raw.lstrip()[:1] != b"<":
            return raw
        try:
            answer = xml_codec.parse(raw, max_bytes=MAX_RESPONSE_BYTES)
        except xml_codec.XmlError as error:
            raise TransportError("UNPARSABLE_RESPONSE", f"downloadbill: {error}") from None
        if answer.get(c.RETURN_CODE) != c.FAIL:
            raise ResponseFormatError("RESPONSE_FORMAT", "downloadbill answered XML without FAIL")
        message = answer.get(c.RETURN_MSG, "")
        raise error_for(_BILL_MESSAGES.get(message.lower(), c.RETURN_FAIL), message)

    async def _post(
        self, url: str, body: bytes, remaining: float | None, max_bytes: int = MAX_RESPONSE_BYTES
    ) -> bytes:
        config = self._config

        def bound(seconds: float) -> float:
            return seconds if remaining is None else max(0.001, min(seconds, remaining))

        answer = await self._http.request(
            "POST",
            url,
            body,
            XML_HEADERS,
            connect_timeout=bound(config.connect_timeout),
            read_timeout=bound(config.read_timeout),
            max_bytes=max_bytes,
        )
        if answer.status >= 500 or answer.status == 429:
            raise TransportError(f"HTTP_{answer.status}", "WeChat Pay is unavailable")
        if answer.status != 200:
            raise ConfigurationError(f"HTTP_{answer.status}", f"unexpected HTTP status from {url}")
        return answer.body
