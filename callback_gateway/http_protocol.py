"""The HTTP protocol the gateway serves with: uvicorn's httptools protocol plus a deadline on
request headers.

uvicorn times out idle keep-alive connections between requests, but not a connection that is
opened and never sends a request, nor one that trickles its headers a byte at a time
(slow-loris): each would hold a socket for ever. Here every request's headers must be complete
within the deadline from the connection's start (or from the request's first byte on a kept-alive
connection); otherwise the connection is closed. The body has its own deadline (body.py).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from runtime.logs import get_logger

log = get_logger("callback_gateway.http")


class HeaderDeadlineProtocol(HttpToolsProtocol):
    header_timeout = 2.0
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            log.info("connection closed: no complete request headers in time", client=self.client)
            self.transport.close()


def with_header_deadline(seconds: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class for `uvicorn.run(http=...)`, with its deadline."""
    return type("GatewayHttpProtocol", (HeaderDeadlineProtocol,), {"header_timeout": seconds})
