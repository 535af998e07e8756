"""The WeChat Pay v3 endpoints a merchant's server calls (reference §2.4-§2.8, §2.10).

Same orders, same rules as v2 (:mod:`sandbox.trades`, :mod:`sandbox.refunds`): a merchant may
use either protocol, order by order; an order placed here gets v3 notifies. Each request is
authenticated first (``401 SIGN_ERROR`` otherwise), then faults are decided (before any state
changes, like v2's), then the rules answer. Every answer is signed; errors are
``{"code", "message"}`` with the status of §2.10. Served on both listeners: v3 needs no client
certificate (every request is signed), and the TLS listener asks for none on these paths.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from payment.wechatpay import constants as v2
from payment.wechatpay_v3 import constants as c
from sandbox import v3_fields
from sandbox.failures import BusinessFailError, ReturnFailError
from sandbox.formats import rfc3339
from sandbox.service import Sandbox
from sandbox.store import ApiVersion, Order
from sandbox.v3_crypto import new_nonce, seal
from sandbox.v3_platform import V3Side
from sandbox.v3_wire import V3FailError, answer, check_signed_request, v3_error
from sandbox.wire import read_capped

__all__ = ["v3_routes"]

_UNAVAILABLE_PAGE = b"<html><body><h1>%d</h1>Service temporarily unavailable</body></html>"
NO_CERTIFICATES = "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥"


@dataclass(frozen=True, slots=True)
class V3Request:
    """An authenticated request: path parameters, query and the raw body."""

    path: dict[str, str]
    query: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise V3FailError(400, c.PARAM_ERROR, "请求体不是合法的JSON") from None


Answer = tuple[int, Any]
Handler = Callable[[Sandbox, V3Side, V3Request], Answer]


def _check_mchid(v3: V3Side, mchid: object) -> None:
    if mchid != v3.merchant.mch_id:
        raise V3FailError(400, c.PARAM_ERROR, "mchid与请求的商户号不一致")


def _order(sandbox: Sandbox, out_trade_no: str = "", transaction_id: str = "") -> Order:
    order = sandbox.store.order_of(out_trade_no, transaction_id)
    if order is None:
        raise BusinessFailError(v2.ORDERNOTEXIST, "订单不存在")
    return order


def _native(sandbox: Sandbox, v3: V3Side, request: V3Request) -> Answer:
    order_request = v3_fields.order_request(request.json(), v3.merchant)
    order = sandbox.trades.place(order_request, sandbox.clock())
    return 200, {"code_url": order.code_url}


def _query(sandbox: Sandbox, v3: V3Side, request: V3Request) -> Answer:
    _check_mchid(v3, request.query.get("mchid"))
    order = _order(sandbox, out_trade_no=request.path["out_trade_no"])
    return 200, v3_fields.transaction(order, v3.merchant)


def _query_by_id(sandbox: Sandbox, v3: V3Side, request: V3Request) -> Answer:
    _check_mchid(v3, request.query.get("mchid"))
    order = _order(sandbox, transaction_id=request.path["transaction_id"])
    return 200, v3_fields.transaction(order, v3.merchant)


def _close(sandbox: Sandbox, v3: V3Side, request: V3Request) -> Answer:
    body = request.json()
    _check_mchid(v3, body.get("mchid") if isinstance(body, dict) else None)
    sandbox.trades.close(request.path["out_trade_no"])
    return 204, None


def _refund(sandbox: Sandbox, v3: V3Side, request: V3Request) -> Answer:
    refund = sandbox.refund(v3_fields.refund_request(request.json()), ApiVersion.V3)
    return 200, v3_fields.refund_json(refund)


def _refund_query(sandbox: Sandbox, v3: V3Side, request: V3Request) -> Answer:
    refund = sandbox.store.refunds.get(request.path["out_refund_no"])
    if refund is None:
        raise BusinessFailError(v2.REFUNDNOTEXIST, "退款单不存在")
    return 200, v3_fields.refund_json(refund)


def _certificates(sandbox: Sandbox, v3: V3Side, request: V3Request) -> Answer:
    listed = v3.platform.listed_certificates()
    if not listed:
        raise V3FailError(404, c.RESOURCE_NOT_EXISTS, NO_CERTIFICATES)
    data = []
    for key in listed:
        certificate = key.certificate
        if certificate is None:
            continue
        nonce = new_nonce(c.GCM_NONCE_BYTES)
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        data.append(
            {
                "serial_no": key.serial,
                "effective_time": rfc3339(certificate.not_valid_before_utc),
                "expire_time": rfc3339(certificate.not_valid_after_utc),
                "encrypt_certificate": {
                    "algorithm": c.AEAD_ALGORITHM,
                    "nonce": nonce,
                    "associated_data": c.CERTIFICATE_ASSOCIATED_DATA,
                    "ciphertext": seal(
                        v3.merchant.apiv3_key, nonce, pem, c.CERTIFICATE_ASSOCIATED_DATA
                    ),
                },
            }
        )
    return 200, {"data": data}


def _raw_url(request: Request) -> str:
    """The path and query exactly as sent: what the merchant signed."""
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    return (path + (b"?" + query if query else b"")).decode("latin-1")


def _endpoint(
    sandbox: Sandbox, v3: V3Side, handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    platform = v3.platform

    async def endpoint(request: Request) -> Response:
        faults = sandbox.faults
        if faults.latency_seconds:
            await asyncio.sleep(faults.latency_seconds)
        status = faults.http_5xx()
        if status is not None:
            return Response(_UNAVAILABLE_PAGE % status, status_code=status, media_type="text/html")
        requested = request.headers.get(c.HEADER_SERIAL)
        try:
            body = await read_capped(request)
            if body is None:
                raise V3FailError(400, c.PARAM_ERROR, "请求体过大")
            check_signed_request(
                request.method,
                _raw_url(request),
                request.headers.get("authorization", ""),
                body,
                v3.merchant,
                time.time(),
            )
            if faults.systemerror():
                raise BusinessFailError(v2.SYSTEMERROR, "系统繁忙，请稍后重试")
            v3_request = V3Request(dict(request.path_params), dict(request.query_params), body)
            code, payload = handler(sandbox, v3, v3_request)
        except ReturnFailError as fail:
            error = {c.ERROR_CODE: c.PARAM_ERROR, c.ERROR_MESSAGE: str(fail)}
            return answer(platform, 400, error, requested)
        except BusinessFailError as fail:
            failure = v3_error(fail, legacy_codes=platform.legacy_error_codes)
            return answer(platform, failure.status, failure.body(), requested)
        except V3FailError as failure:
            return answer(platform, failure.status, failure.body(), requested)
        if faults.answer_lost():
            return Response(_UNAVAILABLE_PAGE % 502, status_code=502, media_type="text/html")
        return answer(platform, code, payload, requested)

    return endpoint


def v3_routes(sandbox: Sandbox) -> list[Route]:
    if sandbox.v3 is None:
        return []
    v3 = sandbox.v3
    table: list[tuple[str, str, Handler]] = [
        ("POST", c.PATH_NATIVE, _native),
        ("GET", c.PATH_QUERY_BY_OUT_TRADE_NO.format("{out_trade_no}"), _query),
        ("GET", c.PATH_QUERY_BY_TRANSACTION_ID.format("{transaction_id}"), _query_by_id),
        ("POST", c.PATH_CLOSE.format("{out_trade_no}"), _close),
        ("POST", c.PATH_REFUNDS, _refund),
        ("GET", c.PATH_REFUND.format("{out_refund_no}"), _refund_query),
        ("GET", c.PATH_CERTIFICATES, _certificates),
    ]
    return [
        Route(path, _endpoint(sandbox, v3, handler), methods=[method])
        for method, path, handler in table
    ]
