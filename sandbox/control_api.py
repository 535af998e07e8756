"""The control API under ``/sandbox/``: JSON for tests, the demo and the benchmarks.

Pay orders as the customer would (with a delivery mode for the notify), read orders and every
notify attempt, inject faults, reset. Documented in the README ("The WeChat Pay sandbox").
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payment.wechatpay.constants import CODE_URL_VALIDITY
from payment.wechatpay.types import TradeState
from sandbox.deliveries import Delivery
from sandbox.failures import PayRefusedError
from sandbox.faults import FaultSettings
from sandbox.service import DeliveryOptions, Sandbox
from sandbox.store import ApiVersion, Order, Refund
from sandbox.v3_notifies import Tamper
from sandbox.v3_platform import KeyMode, Platform

__all__ = ["control_routes", "order_json", "refund_json"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeliveryMode(_Strict):
    delivery: Literal["normal", "drop", "hold"] = "normal"
    """"drop": the order is paid at the sandbox but no notify is ever sent (a lost notify);
    "hold": the notify waits until ``POST /sandbox/orders/{out_trade_no}/release``."""
    copies: int = Field(default=1, ge=1, le=64)
    """Identical notifies delivered concurrently, each retried on its own."""
    delay_ms: int = Field(default=0, ge=0, le=600_000)
    probe_first: bool = False
    """Send WeChat's wrong-signature probe first, then the real notify."""
    omit_sign_type: bool = False
    """Sign with HMAC-SHA256 and leave sign_type out."""
    result: Literal["SUCCESS", "FAIL"] = "SUCCESS"
    """FAIL: the payment fails and the order stays unpaid; v2 sends a result_code=FAIL notify,
    v3 sends nothing (it only notifies successes)."""
    tamper_first: list[Tamper] = Field(default_factory=list, max_length=16)
    """v3 orders only: notifies a receiver must refuse, sent once each before the real one."""

    def options(self) -> DeliveryOptions:
        return DeliveryOptions(
            drop=self.delivery == "drop",
            hold=self.delivery == "hold",
            copies=self.copies,
            delay_seconds=self.delay_ms / 1000,
            probe_first=self.probe_first,
            omit_sign_type=self.omit_sign_type,
            succeeded=self.result == "SUCCESS",
            tamper_first=tuple(self.tamper_first),
        )


class PayRequest(DeliveryMode):
    out_trade_no: str | None = None
    code_url: str | None = None

    @model_validator(mode="after")
    def _one_order(self) -> PayRequest:
        if (self.out_trade_no is None) == (self.code_url is None):
            raise ValueError("give exactly one of out_trade_no and code_url")
        return self


class BulkPayRequest(DeliveryMode):
    out_trade_nos: list[str] = Field(min_length=1, max_length=100_000)


class AgeRequest(_Strict):
    seconds: float = Field(gt=0, le=400 * 86400)


class V3Settings(_Strict):
    """``PUT /sandbox/v3``: the key mode (reference §2.4) and the error-code spelling."""

    key_mode: KeyMode | None = None
    legacy_error_codes: bool | None = None


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def order_json(order: Order) -> dict[str, Any]:
    return {
        "out_trade_no": order.out_trade_no,
        "trade_state": order.state.value,
        "total_fee": order.total_fee,
        "body": order.body,
        "attach": order.attach,
        "api_version": order.api_version.value,
        "sign_type": order.sign_type.value if order.api_version is ApiVersion.V2 else None,
        "notify_url": order.notify_url,
        "code_url": order.code_url,
        "prepay_id": order.prepay_id,
        "code_url_expires_at": _time(order.code_issued_at + CODE_URL_VALIDITY),
        "time_expire": _time(order.time_expire),
        "created_at": _time(order.created_at),
        "transaction_id": order.transaction_id,
        "time_end": _time(order.time_end),
        "refunded_fee": order.refunded_fee,
        "refunds": [refund_json(r) for r in order.refunds],
    }


def refund_json(refund: Refund) -> dict[str, Any]:
    return {
        "out_trade_no": refund.out_trade_no,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_fee": refund.refund_fee,
        "status": refund.status.value,
        "success_time": _time(refund.success_time),
    }


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def _invalid(error: ValidationError | ValueError) -> JSONResponse:
    detail = (
        error.errors(include_url=False, include_context=False)
        if isinstance(error, ValidationError)
        else str(error)
    )
    return JSONResponse({"error": "INVALID_REQUEST", "detail": detail}, status_code=422)


MAX_LISTED = 200


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def _deliveries_json(deliveries: list[Delivery], include_body: bool = False) -> list[Any]:
    return [d.as_json(include_body=include_body) for d in deliveries]


def control_routes(sandbox: Sandbox, ready: Callable[[], bool]) -> list[Route]:
    async def health(_: Request) -> Response:
        if not ready():
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def pay(request: Request) -> Response:
        try:
            body = PayRequest.model_validate(await _json(request))
        except ValidationError as error:
            return _invalid(error)
        try:
            order = sandbox.trades.find(out_trade_no=body.out_trade_no, code_url=body.code_url)
            deliveries = sandbox.pay(order, body.options())
        except PayRefusedError as refused:
            status = 404 if refused.code == "ORDER_NOT_FOUND" else 409
            return _error(status, refused.code, refused.message)
        return JSONResponse({"order": order_json(order), "deliveries": [d.id for d in deliveries]})

    async def pay_bulk(request: Request) -> Response:
        try:
            body = BulkPayRequest.model_validate(await _json(request))
        except ValidationError as error:
            return _invalid(error)
        options = body.options()
        paid: list[str] = []
        refused: list[dict[str, str]] = []
        for out_trade_no in body.out_trade_nos:
            try:
                sandbox.pay(sandbox.trades.find(out_trade_no=out_trade_no, code_url=None), options)
            except PayRefusedError as error:
                refused.append({"out_trade_no": out_trade_no, "error": error.code})
            else:
                paid.append(out_trade_no)
        return JSONResponse({"paid": paid, "refused": refused})

    def _order(request: Request) -> Order | None:
        return sandbox.store.orders.get(request.path_params["out_trade_no"])

    async def get_order(request: Request) -> Response:
        order = _order(request)
        if order is None:
            return _error(404, "ORDER_NOT_FOUND", "no such out_trade_no")
        return JSONResponse(order_json(order))

    async def find_order(request: Request) -> Response:
        if "code_url" not in request.query_params:
            return list_orders(request)
        order = sandbox.store.by_code_url.get(request.query_params["code_url"])
        if order is None:
            return _error(404, "ORDER_NOT_FOUND", "no order has this code_url")
        return JSONResponse(order_json(order))

    def list_orders(request: Request) -> Response:
        """The newest orders (`limit`, default 20, at most 200), of one `state` if named: what
        the phone page offers when it is opened without a code."""
        state = request.query_params.get("state")
        if state is not None and state not in {t.value for t in TradeState}:
            return _error(400, "PARAM_ERROR", f"state must be one of {', '.join(TradeState)}")
        try:
            limit = int(request.query_params.get("limit", "20"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= MAX_LISTED:
            return _error(400, "PARAM_ERROR", f"limit must be a whole number 1-{MAX_LISTED}")
        orders = (
            (o.created_at, n, o)
            for n, o in enumerate(sandbox.store.orders.values())
            if state in (None, o.state.value)
        )
        newest = heapq.nlargest(limit, orders, key=lambda entry: entry[:2])
        return JSONResponse({"orders": [order_json(o) for _, _, o in newest]})

    async def age_order(request: Request) -> Response:
        order = _order(request)
        if order is None:
            return _error(404, "ORDER_NOT_FOUND", "no such out_trade_no")
        try:
            body = AgeRequest.model_validate(await _json(request))
        except ValidationError as error:
            return _invalid(error)
        sandbox.trades.age(order, body.seconds)
        return JSONResponse(order_json(order))

    async def release(request: Request) -> Response:
        released = sandbox.release(request.path_params["out_trade_no"])
        return JSONResponse({"released": [d.id for d in released]})

    async def all_refunds(request: Request) -> Response:
        """Every refund in the order WeChat accepted them, a page at a time (`after` is how
        many were listed before)."""
        try:
            after = max(0, int(request.query_params.get("after", "0")))
            limit = max(1, min(int(request.query_params.get("limit", "100")), 1000))
        except ValueError as error:
            return _invalid(error)
        page = list(itertools.islice(sandbox.store.refunds.values(), after, after + limit))
        return JSONResponse(
            {
                "refunds": [refund_json(r) for r in page],
                "next_after": after + limit if len(page) == limit else None,
            }
        )

    async def order_deliveries(request: Request) -> Response:
        include_body = request.query_params.get("include_body") == "true"
        deliveries = sandbox.deliveries.of_order(request.path_params["out_trade_no"])
        return JSONResponse({"deliveries": _deliveries_json(deliveries, include_body)})

    async def all_deliveries(request: Request) -> Response:
        query = request.query_params
        try:
            after = int(query.get("after", "0"))
            limit = max(1, min(int(query.get("limit", "100")), 1000))
        except ValueError as error:
            return _invalid(error)
        page = sandbox.deliveries.page(
            after=after, limit=limit, state=query.get("state"), kind=query.get("kind")
        )
        next_after = page[-1].id if len(page) == limit else None
        return JSONResponse({"deliveries": _deliveries_json(page), "next_after": next_after})

    async def delivery_summary(_: Request) -> Response:
        return JSONResponse(sandbox.deliveries.summary())

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            try:
                sandbox.faults.configure(FaultSettings.model_validate(await _json(request)))
            except ValidationError as error:
                return _invalid(error)
        elif request.method == "DELETE":
            sandbox.faults.reset()
        return JSONResponse(sandbox.faults.settings.model_dump())

    async def reset(_: Request) -> Response:
        await sandbox.reset()
        return JSONResponse({"status": "reset"})

    async def v3_settings(request: Request) -> Response:
        if sandbox.v3 is None:
            return _error(404, "NO_V3", "this sandbox runs without API v3")
        platform = sandbox.v3.platform
        if request.method == "PUT":
            try:
                body = V3Settings.model_validate(await _json(request))
            except ValidationError as error:
                return _invalid(error)
            if body.key_mode is not None:
                platform.mode = body.key_mode
            if body.legacy_error_codes is not None:
                platform.legacy_error_codes = body.legacy_error_codes
        return JSONResponse(platform.describe())

    def _certificates(
        step: Callable[[Platform], object],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(_: Request) -> Response:
            if sandbox.v3 is None:
                return _error(404, "NO_V3", "this sandbox runs without API v3")
            step(sandbox.v3.platform)
            return JSONResponse(sandbox.v3.platform.describe())

        return endpoint

    return [
        Route("/sandbox/health", health, methods=["GET"]),
        Route("/sandbox/pay", pay, methods=["POST"]),
        Route("/sandbox/pay/bulk", pay_bulk, methods=["POST"]),
        Route("/sandbox/orders", find_order, methods=["GET"]),
        Route("/sandbox/orders/{out_trade_no}", get_order, methods=["GET"]),
        Route("/sandbox/orders/{out_trade_no}/age", age_order, methods=["POST"]),
        Route("/sandbox/orders/{out_trade_no}/release", release, methods=["POST"]),
        Route("/sandbox/orders/{out_trade_no}/deliveries", order_deliveries, methods=["GET"]),
        Route("/sandbox/refunds", all_refunds, methods=["GET"]),
        Route("/sandbox/deliveries", all_deliveries, methods=["GET"]),
        Route("/sandbox/deliveries/summary", delivery_summary, methods=["GET"]),
        Route("/sandbox/faults", faults, methods=["GET", "PUT", "DELETE"]),
        Route("/sandbox/reset", reset, methods=["POST"]),
        Route("/sandbox/v3", v3_settings, methods=["GET", "PUT"]),
        # A rotation as WeChat does it (reference Corrections): publish, then sign, then retire.
        Route("/sandbox/v3/certificates/rotate", _certificates(Platform.rotate), methods=["POST"]),
        Route(
            "/sandbox/v3/certificates/start-signing",
            _certificates(Platform.start_signing),
            methods=["POST"],
        ),
        Route("/sandbox/v3/certificates/retire", _certificates(Platform.retire), methods=["POST"]),
    ]
