"""The demo shop's HTTP app: the cashier form, the order page, its status as JSON, the assets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from runtime.logs import get_logger
from sandbox.shop.checkout import Checkout, CheckoutError
from sandbox.shop.money import parse_yuan
from sandbox.shop.pages import asset, cashier_page, heading, order_page
from sandbox.shop.settings import ShopSettings

__all__ = ["bootstrap"]

log = get_logger("sandbox.shop")

MAX_FORM_BYTES = 4096
MAX_DESCRIPTION_BYTES = 127
"""WeChat's limit for the body shown to the payer, in UTF-8 bytes."""
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
ASSETS = {"shop.css": "text/css", "order.js": "text/javascript"}


def _html(text: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status_code, headers=SECURITY_HEADERS)


def bootstrap(settings: ShopSettings, checkout: Checkout | None = None) -> Starlette:
    """The shop over a Checkout (by default one over the gRPC targets in settings)."""
    shop = checkout or Checkout(
        settings.order_grpc_target,
        settings.payment_grpc_target,
        settings.shop_call_timeout_seconds,
        settings.grpc_tls(),
    )
    phone_url = str(settings.shop_phone_url)

    async def cashier(_: Request) -> Response:
        return _html(cashier_page())

    async def create(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return _html(cashier_page("The form is too large."), 413)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        amount, description = form.get("amount", ""), form.get("description", "").strip()
        try:
            total_fee = parse_yuan(amount)
            if not description:
                raise ValueError("Enter a description.")
            if len(description.encode()) > MAX_DESCRIPTION_BYTES:
                raise ValueError("The description is too long.")
            order = await shop.create_order(total_fee, description)
        except ValueError as problem:
            return _html(cashier_page(str(problem), amount, description), 400)
        except CheckoutError as error:
            return _html(cashier_page(error.message, amount, description), error.http_status)
        log.info("order created", order_id=order.id, total_fee=order.total_fee)
        return RedirectResponse(f"/orders/{order.id}", status_code=303)

    async def show(request: Request) -> Response:
        try:
            order = await shop.order(request.path_params["order_id"])
            code = await shop.payment_code(order) if order.payable else None
        except CheckoutError as error:
            return _html(cashier_page(error.message), error.http_status)
        return _html(order_page(order, code, phone_url, settings.shop_poll_seconds))

    async def status(request: Request) -> Response:
        try:
            order = await shop.order(request.path_params["order_id"])
        except CheckoutError as error:
            return JSONResponse({"error": error.message}, status_code=error.http_status)
        return JSONResponse(
            {
                "status": order.status,
                "label": order.label,
                "heading": heading(order),
                "final": order.final,
            }
        )

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response(status_code=404)
        return Response(asset(name), media_type=ASSETS[name], headers=SECURITY_HEADERS)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await shop.open()
        try:
            yield
        finally:
            await shop.close()

    return Starlette(
        routes=[
            Route("/", cashier, methods=["GET"]),
            Route("/orders", create, methods=["POST"]),
            Route("/orders/{order_id}", show, methods=["GET"]),
            Route("/orders/{order_id}/status", status, methods=["GET"]),
            Route("/static/{name}", static, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
