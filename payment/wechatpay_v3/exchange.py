"""One signed v3 request and its verified answer (reference §2.1-§2.3, §2.10).

The request is compact UTF-8 JSON, signed by :class:`WeChatPayV3Auth` over the exact bytes sent,
through the same HTTP port as v2 (:class:`payment.wechatpay.http.HttpPoster`). The answer:

- 200/204: its ``Wechatpay-*`` signature must verify (:class:`ResponseSignatureError` if missing
  or wrong) before its body is read as anything;
- 202 and any other status: WeChat's ``{"code", "message"}`` becomes the error of
  :func:`payment.wechatpay_v3.errors.error_for_answer`. A signed error answer must verify too;
  an unsigned one is taken as it is (WeChat cannot sign an answer to a request it could not
  authenticate, and proxies in front of it sign nothing).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from payment.wechatpay.errors import (
    DeadlineExceededError,
    ResponseFormatError,
    ResponseSignatureError,
)
from payment.wechatpay.exchange import MAX_RESPONSE_BYTES
from payment.wechatpay.http import HttpPoster
from payment.wechatpay.mapping import MappingError
from payment.wechatpay_v3 import constants as c
from payment.wechatpay_v3 import fields
from payment.wechatpay_v3.auth import WeChatPayV3Auth
from payment.wechatpay_v3.errors import Api, error_for_answer
from payment.wechatpay_v3.verification import SignedMessage, VerificationError, Verifier

__all__ = ["Answer", "Exchange", "ExchangeSettings", "encode_json"]


class ExchangeSettings(Protocol):
    """Where WeChat is and how long to wait (a :class:`WeChatPayV3Config` is one)."""

    @property
    def base_url(self) -> str: ...

    @property
    def connect_timeout(self) -> float: ...

    @property
    def read_timeout(self) -> float: ...


def encode_json(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the exact bytes sent are the bytes signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def request_id(self) -> str:
        return str(self.headers.get(c.HEADER_REQUEST_ID, ""))

    def json(self) -> Mapping[str, Any]:
        """The body as a strict JSON object (:func:`fields.document`); anything else raises
        :class:`MappingError`, a :class:`ResponseFormatError` to the caller."""
        return fields.document(self.body)


def _error_fields(body: bytes) -> tuple[str, str]:
    try:
        parsed = fields.document(body)
    except MappingError:
        return "", ""
    code, message = parsed.get(c.ERROR_CODE), parsed.get(c.ERROR_MESSAGE)
    return (code if isinstance(code, str) else ""), (message if isinstance(message, str) else "")


class Exchange:
    """Sends, reads (capped) and checks one request; the retry loop calls it again."""

    def __init__(
        self,
        http: HttpPoster,
        config: ExchangeSettings,
        auth: WeChatPayV3Auth,
        verifier: Verifier,
    ) -> None:
        self._http = http
        self._config = config
        self._auth = auth
        self._verifier = verifier

    async def call(
        self,
        api: Api,
        method: str,
        path: str,
        payload: Mapping[str, Any] | None,
        remaining: float | None,
        *,
        verify: bool = True,
    ) -> Answer:
        """The 200/204 answer, verified unless ``verify`` is False (the certificate download
        verifies its answer itself, with the certificates it brings)."""
        content = encode_json(payload) if payload is not None else b""
        try:
            async with asyncio.timeout(remaining):
                answer = await self._send(method, path, content, remaining)
        except TimeoutError:
            raise DeadlineExceededError(
                "DEADLINE_EXCEEDED", f"no answer from {path} in time"
            ) from None
        signed = c.HEADER_SIGNATURE in answer.headers
        if answer.status in (200, 204):
            if verify:
                self.verify(answer)
            return answer
        if verify and signed:
            self.verify(answer)
        code, message = _error_fields(answer.body)
        raise error_for_answer(api, answer.status, code, message)

    async def download(self, url: str, remaining: float | None, max_bytes: int) -> bytes:
        """The bytes at a bill's ``download_url``: the request signed as usual, the answer
        unsigned by design (the bill is checked by its hash instead, bills reference §3). Only
        a URL on WeChat's own host is fetched: the signed request goes nowhere else."""
        base, target = urlsplit(self._config.base_url), urlsplit(url)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            raise ResponseFormatError(
                "RESPONSE_FORMAT", f"download_url is not on {base.netloc}: {target.netloc}"
            )
        try:
            async with asyncio.timeout(remaining):
                answer = await self._send("GET", url, b"", remaining, max_bytes=max_bytes)
        except TimeoutError:
            raise DeadlineExceededError("DEADLINE_EXCEEDED", "no bill in time") from None
        if answer.status == 200:
            return answer.body
        if c.HEADER_SIGNATURE in answer.headers:
            self.verify(answer)
        code, message = _error_fields(answer.body)
        raise error_for_answer(Api.BILL_DOWNLOAD, answer.status, code, message)

    def verify(self, answer: Answer) -> None:
        try:
            self._verifier.verify(SignedMessage.from_headers(answer.headers, answer.body))
        except VerificationError as error:
            raise ResponseSignatureError(
                f"RESPONSE_{error.reason.upper()}", f"{error} (Request-ID {answer.request_id})"
            ) from None

    async def _send(
        self,
        method: str,
        path: str,
        content: bytes,
        remaining: float | None,
        *,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> Answer:
        """``path`` under the base URL, or an absolute URL (a bill's download_url)."""
        config = self._config

        def bound(seconds: float) -> float:
            return seconds if remaining is None else max(0.001, min(seconds, remaining))

        url = path if path.startswith(("https://", "http://")) else config.base_url + path
        answer = await self._http.request(
            method,
            url,
            content,
            self._auth.headers(method, url, content),
            connect_timeout=bound(config.connect_timeout),
            read_timeout=bound(config.read_timeout),
            max_bytes=max_bytes,
        )
        # UTF-8, not httpx's default ASCII: a header WeChat (or a proxy) sent in Latin-1 or
        # UTF-8 must reach the verifier to be refused there, not crash here.
        return Answer(answer.status, httpx.Headers(answer.headers, encoding="utf-8"), answer.body)
