"""The control API for bills: the clock, the bill layout, and the planted differences a
reconciler must find (a payment WeChat has but the shop never placed, a billed amount that
differs, a refund closed after its bill was made). A payment whose notify was lost is
``/sandbox/pay`` with ``"delivery": "drop"``; one just before midnight whose notify lands after
it is the clock set to 23:59:5x and ``delay_ms``."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payment.wechatpay.types import RefundStatus
from sandbox.bills import Layout
from sandbox.clock import SandboxClock
from sandbox.control_api import order_json
from sandbox.failures import BusinessFailError, PayRefusedError
from sandbox.service import Sandbox
from sandbox.store import Refund
from sandbox.trades import OrderRequest

__all__ = ["bill_control_routes"]

STRANGER_NOTIFY_URL = "https://merchant.invalid/never-placed"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClockSetting(_Strict):
    now: AwareDatetime


class BillSettings(_Strict):
    layout: Layout | None = None
    download_ttl_seconds: int | None = Field(default=None, ge=1, le=300)


class StrangerPayment(_Strict):
    out_trade_no: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-|*@]+$")
    total_fee: int = Field(ge=1, le=10**10)
    body: str = Field(default="未知订单", max_length=128)


class BilledAmount(_Strict):
    total_fee: int = Field(ge=1, le=10**10)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def _invalid(error: ValidationError) -> JSONResponse:
    detail = error.errors(include_url=False, include_context=False)
    return JSONResponse({"error": "INVALID_REQUEST", "detail": detail}, status_code=422)


async def _body(request: Request) -> object:
    try:
        return await request.json()
    except ValueError:
        return None


def _refund_json(refund: Refund) -> dict[str, object]:
    return {"out_refund_no": refund.out_refund_no, "status": refund.status.value}


def bill_control_routes(sandbox: Sandbox) -> list[Route]:
    async def clock(request: Request) -> Response:
        if not isinstance(sandbox.clock, SandboxClock):
            return _error(404, "NO_CLOCK", "this sandbox's clock cannot be set")
        if request.method == "PUT":
            try:
                setting = ClockSetting.model_validate(await _body(request))
            except ValidationError as error:
                return _invalid(error)
            sandbox.clock.set(setting.now)
        elif request.method == "DELETE":
            sandbox.clock.reset()
        offset = sandbox.clock.offset.total_seconds()
        return JSONResponse({"now": sandbox.clock().isoformat(), "offset_seconds": offset})

    async def settings(request: Request) -> Response:
        if request.method == "PUT":
            try:
                body = BillSettings.model_validate(await _body(request))
            except ValidationError as error:
                return _invalid(error)
            if body.layout is not None:
                sandbox.bills.layout = body.layout
            if body.download_ttl_seconds is not None:
                sandbox.bill_links.ttl = timedelta(seconds=body.download_ttl_seconds)
        return JSONResponse(
            {
                "layout": sandbox.bills.layout.value,
                "download_ttl_seconds": sandbox.bill_links.ttl.total_seconds(),
                "billed_amounts": sandbox.bills.billed_amounts,
            }
        )

    async def stranger(request: Request) -> Response:
        """A payment WeChat took for an order the shop never stored (no notify is sent: the
        shop could not have placed it)."""
        try:
            body = StrangerPayment.model_validate(await _body(request))
        except ValidationError as error:
            return _invalid(error)
        now: datetime = sandbox.clock()
        placed = OrderRequest(
            out_trade_no=body.out_trade_no,
            params={"planted": "stranger", "total_fee": str(body.total_fee)},
            total_fee=body.total_fee,
            body=body.body,
            attach="",
            notify_url=STRANGER_NOTIFY_URL,
            time_expire=None,
        )
        try:
            order = sandbox.trades.pay(sandbox.trades.place(placed, now), now)
        except (BusinessFailError, PayRefusedError) as refused:
            return _error(409, "ORDER_EXISTS", str(refused))
        return JSONResponse(order_json(order), status_code=201)

    async def billed_amount(request: Request) -> Response:
        out_trade_no = request.path_params["out_trade_no"]
        if out_trade_no not in sandbox.store.orders:
            return _error(404, "ORDER_NOT_FOUND", "no such out_trade_no")
        try:
            body = BilledAmount.model_validate(await _body(request))
        except ValidationError as error:
            return _invalid(error)
        sandbox.bills.billed_amounts[out_trade_no] = body.total_fee
        return JSONResponse({"out_trade_no": out_trade_no, "billed_total_fee": body.total_fee})

    async def close_refund(request: Request) -> Response:
        """PROCESSING → REFUNDCLOSE: the money came back to the merchant; a bill already made
        keeps the status it froze (bills reference §1)."""
        refund = sandbox.store.refunds.get(request.path_params["out_refund_no"])
        if refund is None:
            return _error(404, "REFUND_NOT_FOUND", "no such out_refund_no")
        if refund.status is not RefundStatus.PROCESSING:
            return _error(409, "REFUND_SETTLED", f"the refund is {refund.status.value}")
        refund.status = RefundStatus.REFUNDCLOSE
        return JSONResponse(_refund_json(refund))

    return [
        Route("/sandbox/clock", clock, methods=["GET", "PUT", "DELETE"]),
        Route("/sandbox/bills", settings, methods=["GET", "PUT"]),
        Route("/sandbox/bills/stranger", stranger, methods=["POST"]),
        Route("/sandbox/bills/amounts/{out_trade_no}", billed_amount, methods=["PUT"]),
        Route("/sandbox/refunds/{out_refund_no}/close", close_refund, methods=["POST"]),
    ]
