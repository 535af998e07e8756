"""The two Starlette apps over one sandbox: the plain listener's and the TLS listener's."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette

from sandbox.control_api import control_routes
from sandbox.phone import phone_routes
from sandbox.service import Sandbox
from sandbox.v3_api import v3_routes
from sandbox.wechat_api import wechat_routes

__all__ = ["plain_app", "tls_app"]


def plain_app(sandbox: Sandbox, ready: Callable[[], bool]) -> Starlette:
    """WeChat's API — v2 (refunds answer NOAUTH: no client certificate here) and v3 (signed
    requests, no client certificate needed) — the control API and the phone page."""
    routes = [
        *wechat_routes(sandbox, mutual_tls=False),
        *v3_routes(sandbox),
        *control_routes(sandbox, ready),
        *phone_routes(),
    ]
    return Starlette(routes=routes)


def tls_app(sandbox: Sandbox) -> Starlette:
    """WeChat's API, v2 and v3, for clients holding the merchant certificate (the TLS layer
    checks it)."""
    return Starlette(routes=[*wechat_routes(sandbox, mutual_tls=True), *v3_routes(sandbox)])
