"""Which TLS connections presented the merchant's client certificate (reference Corrections):
WeChat asks for one only on v2 ``/secapi/`` paths (and ``/pay/downloadfundflow``); every other
path, and all of v3, is server-authenticated TLS only.

The TLS listener therefore *asks* for a certificate (``CERT_OPTIONAL``: one that is presented
must chain to the sandbox CA, or the handshake fails) and lets connections without one in. The
HTTP protocol below records the peer address of each connection that presented one, and a
``/secapi/`` endpoint asks :meth:`ClientCertificates.presented` about its request's peer.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["ClientCertificates"]


class ClientCertificates:
    def __init__(self) -> None:
        self._peers: set[tuple[str, int]] = set()
        peers = self._peers

        class _Recording(HttpToolsProtocol):
            def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                super().connection_made(transport)
                if transport.get_extra_info("peercert") and self.client is not None:
                    peers.add(self.client)

            def connection_lost(self, exc: Exception | None) -> None:
                if self.client is not None:
                    peers.discard(self.client)
                super().connection_lost(exc)

        self.protocol: type[asyncio.Protocol] = _Recording
        """The uvicorn HTTP protocol of the TLS listener."""

    def presented(self, request: Request) -> bool:
        client = request.scope.get("client")
        return client is not None and (client[0], client[1]) in self._peers
