"""The HTTP exchange with WeChat Pay, behind a small port: send bytes, get status, headers and
bytes. Both clients use it: v2 (XML) and v3 (JSON, signed headers).

Production uses aiohttp: on this workload (small XML bodies, many in flight over keep-alive
connections) it costs about a seventh of httpx's CPU per call (BENCHMARKS.md: ~240 µs against
~1.7 ms at 16 in flight), and httpcore scans every pooled connection on each request. The httpx
implementation stays for tests that script answers with `httpx.MockTransport`.
TLS is always verified (the context comes from `payment.wechatpay.transport`).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx
import yarl

from payment.wechatpay.errors import (
    ConfigurationError,
    TlsVerificationError,
    TransportError,
    WeChatPayError,
)

__all__ = ["AiohttpPoster", "HttpAnswer", "HttpPoster", "HttpxPoster"]


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    """As received, names in their case (v3 reads its ``Wechatpay-*`` signature headers)."""


class HttpPoster(Protocol):
    """Sends one request and reads the whole answer (at most `max_bytes`), or raises a
    payment.wechatpay error: TransportError (retryable), TlsVerificationError,
    ConfigurationError (our certificate refused)."""

    async def request(
        self,
        method: str,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        connect_timeout: float,
        read_timeout: float,
        max_bytes: int,
    ) -> HttpAnswer: ...

    async def aclose(self) -> None: ...


def _tls_error(error: BaseException) -> WeChatPayError | None:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return TlsVerificationError("TLS_VERIFICATION", str(cause.verify_message))
        if isinstance(cause, ssl.SSLError) and "CERTIFICATE" in str(cause.reason or "").upper():
            return ConfigurationError("CLIENT_CERTIFICATE_REFUSED", str(cause.reason))
        cause = cause.__cause__ or cause.__context__
    return None


class AiohttpPoster:
    """One aiohttp session for the life of the process (create it inside the running loop)."""

    def __init__(
        self,
        context: ssl.SSLContext,
        *,
        max_connections: int = 100,
        user_agent: str = "paystream-wechatpay/1",
    ) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                ssl=context, limit=max_connections, keepalive_timeout=30
            ),
            headers={"User-Agent": user_agent},
            auto_decompress=False,
            trust_env=False,
        )

    async def request(
        self,
        method: str,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        connect_timeout: float,
        read_timeout: float,
        max_bytes: int,
    ) -> HttpAnswer:
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=read_timeout
        )
        try:
            async with self._session.request(
                method,
                # As given: v3 signs the path and query it sends, so nothing may requote them.
                yarl.URL(url, encoded=True),
                data=body or None,
                headers=dict(headers),
                timeout=timeout,
                allow_redirects=False,
            ) as answer:
                data = await answer.content.read(max_bytes + 1)
                if len(data) > max_bytes:
                    raise TransportError("UNPARSABLE_RESPONSE", "the answer is too large")
                return HttpAnswer(answer.status, data, tuple(answer.headers.items()))
        except aiohttp.ClientConnectorCertificateError as error:
            raise TlsVerificationError("TLS_VERIFICATION", str(error.certificate_error)) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            tls = _tls_error(error)
            if tls is not None:
                raise tls from None
            kind = (
                "TIMEOUT"
                if isinstance(error, TimeoutError | aiohttp.ServerTimeoutError)
                else "CONNECTION"
            )
            raise TransportError(kind, f"{type(error).__name__} talking to WeChat Pay") from None

    async def aclose(self) -> None:
        await self._session.close()


class HttpxPoster:
    """The same port over an httpx client (tests script WeChat with httpx.MockTransport)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def request(
        self,
        method: str,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        connect_timeout: float,
        read_timeout: float,
        max_bytes: int,
    ) -> HttpAnswer:
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout)
        try:
            async with self._client.stream(
                method, url, content=body, headers=headers, timeout=timeout
            ) as answer:
                chunks: list[bytes] = []
                size = 0
                async for chunk in answer.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise TransportError("UNPARSABLE_RESPONSE", "the answer is too large")
                    chunks.append(chunk)
                return HttpAnswer(
                    answer.status_code, b"".join(chunks), tuple(answer.headers.multi_items())
                )
        except httpx.TransportError as error:
            if isinstance(error, httpx.TimeoutException):
                raise TransportError(
                    "TIMEOUT", f"{type(error).__name__} talking to WeChat Pay"
                ) from None
            tls = _tls_error(error)
            if tls is not None:
                raise tls from None
            raise TransportError(
                "CONNECTION", f"{type(error).__name__} talking to WeChat Pay"
            ) from None

    async def aclose(self) -> None:
        await self._client.aclose()
