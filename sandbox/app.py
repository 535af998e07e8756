"""The two Starlette apps over one sandbox: the plain listener's and the TLS listener's."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request

from sandbox.bill_api import bill_routes
from sandbox.bill_control import bill_control_routes
from sandbox.client_certificates import ClientCertificates
from sandbox.control_api import control_routes
from sandbox.phone import phone_routes
from sandbox.service import Sandbox
from sandbox.v3_api import v3_routes
from sandbox.wechat_api import wechat_routes

__all__ = ["plain_app", "tls_app"]


def _never(_: Request) -> bool:
    return False


def plain_app(sandbox: Sandbox, ready: Callable[[], bool]) -> Starlette:
    """WeChat's API — v2 (refunds answer NOAUTH: no client certificate here) and v3 (signed
    requests, no client certificate needed) — the control API and the phone page."""
    routes = [
        *wechat_routes(sandbox, client_certificate=_never),
        *v3_routes(sandbox),
        *bill_routes(sandbox),
        *control_routes(sandbox, ready),
        *bill_control_routes(sandbox),
        *phone_routes(),
    ]
    return Starlette(routes=routes)


def tls_app(sandbox: Sandbox, certificates: ClientCertificates) -> Starlette:
    """WeChat's API, v2 and v3, over HTTPS: a client certificate is needed on /secapi/ only
    (the TLS layer checks one that is presented against the sandbox CA)."""
    routes = [
        *wechat_routes(sandbox, client_certificate=certificates.presented),
        *v3_routes(sandbox),
        *bill_routes(sandbox),
    ]
    return Starlette(routes=routes)
