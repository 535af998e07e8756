"""The "phone": a page that shows an order as WeChat would and pays it with the control API.

``/sandbox/phone?code_url=weixin://...`` (what scanning the QR code gives) or
``/sandbox/phone?out_trade_no=...``.
"""

from __future__ import annotations

from importlib.resources import files

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

__all__ = ["phone_routes"]


def phone_routes() -> list[Route]:
    page = files("sandbox").joinpath("phone.html").read_text(encoding="utf-8")

    async def phone(_: Request) -> Response:
        return HTMLResponse(page)

    return [Route("/sandbox/phone", phone, methods=["GET"])]
