"""The HTTP client the WeChat Pay client runs on: pooled, TLS always verified, mutual TLS ready."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Protocol

from payment.wechatpay.http import AiohttpPoster

__all__ = ["TransportSettings", "build_poster", "build_ssl_context"]

USER_AGENT = "paystream-wechatpay/1 (+aiohttp)"


class TransportSettings(Protocol):
    """What the transport reads from a client configuration (v2's or v3's)."""

    @property
    def ca_bundle_path(self) -> Path | None: ...

    @property
    def client_cert_path(self) -> Path | None: ...

    @property
    def client_key_path(self) -> Path | None: ...

    @property
    def connect_timeout(self) -> float: ...

    @property
    def read_timeout(self) -> float: ...


def build_ssl_context(config: TransportSettings) -> ssl.SSLContext:
    """Verifies the server against the system's CAs (plus ``ca_bundle_path``) and its host name,
    and presents the merchant certificate when one is configured."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if config.ca_bundle_path is not None:
        context.load_verify_locations(cafile=config.ca_bundle_path)
    if config.client_cert_path is not None and config.client_key_path is not None:
        context.load_cert_chain(config.client_cert_path, config.client_key_path)
    return context


def build_poster(config: TransportSettings, *, max_connections: int = 100) -> AiohttpPoster:
    """The WeChat clients' HTTP port (aiohttp; create it inside the running event loop)."""
    return AiohttpPoster(
        build_ssl_context(config), max_connections=max_connections, user_agent=USER_AGENT
    )
