"""The WeChat Pay v2 endpoints: what a merchant's server calls (reference §1.3-§1.7).

Served twice: on the plain listener, where ``/secapi/pay/refund`` answers NOAUTH because no
client certificate can have been presented; and on the TLS listener, where it answers NOAUTH
unless the connection presented the merchant certificate (the only path that needs one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from payment.wechatpay import constants as c
from sandbox import wire
from sandbox.failures import BusinessFailError, ReturnFailError
from sandbox.refunds import refund_fields
from sandbox.service import Sandbox

__all__ = ["wechat_routes"]

XML = "text/xml; charset=utf-8"
_UNAVAILABLE_PAGE = b"<html><body><h1>%d</h1>Service temporarily unavailable</body></html>"

Handler = Callable[[Sandbox, wire.SignedRequest], Mapping[str, str]]


def _unified_order(sandbox: Sandbox, request: wire.SignedRequest) -> Mapping[str, str]:
    return sandbox.trades.unified_order(request.fields, request.sign_type, sandbox.clock())


def _order_query(sandbox: Sandbox, request: wire.SignedRequest) -> Mapping[str, str]:
    return sandbox.trades.order_query(request.fields)


def _close_order(sandbox: Sandbox, request: wire.SignedRequest) -> Mapping[str, str]:
    return sandbox.trades.close_order(request.fields)


def _refund(sandbox: Sandbox, request: wire.SignedRequest) -> Mapping[str, str]:
    return refund_fields(sandbox.refund(request.fields))


def _refund_query(sandbox: Sandbox, request: wire.SignedRequest) -> Mapping[str, str]:
    return sandbox.refunds.refund_query(request.fields)


def _endpoint(
    sandbox: Sandbox, handler: Handler, needs_certificate: Callable[[Request], bool]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        faults = sandbox.faults
        if faults.latency_seconds:
            await asyncio.sleep(faults.latency_seconds)
        status = faults.http_5xx()
        if status is not None:
            return Response(_UNAVAILABLE_PAGE % status, status_code=status, media_type="text/html")
        if request.method != "POST":
            return Response(wire.return_fail_answer("请使用post方法"), media_type=XML)
        body = await wire.read_capped(request)
        try:
            if body is None:
                raise ReturnFailError("XML格式错误")
            signed = wire.read_request(body, sandbox.merchant)
        except ReturnFailError as fail:
            return Response(wire.return_fail_answer(fail.return_msg), media_type=XML)
        merchant, sign_type, ids = sandbox.merchant, signed.sign_type, sandbox.ids
        if faults.systemerror():
            answer = wire.business_fail_answer(
                merchant, sign_type, c.SYSTEMERROR, "系统繁忙，请用相同参数重新调用", ids
            )
            return Response(answer, media_type=XML)
        try:
            if needs_certificate(request):
                raise BusinessFailError(c.NOAUTH, "请使用商户API证书通过双向TLS调用/secapi接口")
            business = handler(sandbox, signed)
        except ReturnFailError as fail:
            return Response(wire.return_fail_answer(fail.return_msg), media_type=XML)
        except BusinessFailError as fail:
            answer = wire.business_fail_answer(
                merchant, sign_type, fail.err_code, fail.err_code_des, ids
            )
            return Response(answer, media_type=XML)
        if faults.answer_lost():
            return Response(_UNAVAILABLE_PAGE % 502, status_code=502, media_type="text/html")
        return Response(wire.success_answer(merchant, sign_type, business, ids), media_type=XML)

    return endpoint


def _certificate_paths(path: str) -> bool:
    return path.startswith("/secapi/") or path == "/pay/downloadfundflow"


def wechat_routes(
    sandbox: Sandbox, *, client_certificate: Callable[[Request], bool]
) -> list[Route]:
    """The v2 routes; ``client_certificate`` tells whether a request's connection presented the
    merchant certificate, which only /secapi/ paths (and /pay/downloadfundflow) need."""

    def missing(request: Request) -> bool:
        return _certificate_paths(request.url.path) and not client_certificate(request)

    table: list[tuple[str, Handler]] = [
        (c.PATH_UNIFIED_ORDER, _unified_order),
        (c.PATH_ORDER_QUERY, _order_query),
        (c.PATH_CLOSE_ORDER, _close_order),
        (c.PATH_REFUND, _refund),
        (c.PATH_REFUND_QUERY, _refund_query),
    ]
    return [
        Route(path, _endpoint(sandbox, handler, missing), methods=["GET", "POST"])
        for path, handler in table
    ]
