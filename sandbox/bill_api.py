"""Trade-bill downloads, v2 and v3 (bills reference §2, §3).

v2 ``POST /pay/downloadbill``: a signed request; the bill itself as the answer (plain text, or
gzip with ``tar_type=GZIP``), unsigned; a failure is unsigned XML, ``return_code=FAIL`` with
``error_code`` 20002 and WeChat's ``return_msg``. v3 ``GET /v3/bill/tradebill``: a signed
request and answer ``{hash_type, hash_value, download_url}``, the SHA-1 over the bill before
compression; then ``GET`` the download URL (signed request, unsigned answer: the bytes) while
its token lives (30 s, the shorter of the documented lifetimes).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from payment.wechatpay import constants as c
from payment.wechatpay.constants import BEIJING
from payment.wechatpay_v3 import constants as c3
from sandbox import wire
from sandbox.bills import BillRefusal, BillRefusalError, BillType
from sandbox.failures import ReturnFailError
from sandbox.service import Sandbox
from sandbox.v3_wire import V3FailError, answer, check_signed_request
from sandbox.xml_form import write_fields

__all__ = ["bill_routes"]

_V2_DATE = re.compile(r"\d{8}\Z")
_V3_DATE = re.compile(r"\d{4}-\d\d-\d\d\Z")
TEXT = "text/plain; charset=utf-8"
GZIP = "application/x-gzip"
XML = "text/xml; charset=utf-8"

_V2_REFUSALS = {
    BillRefusal.NOT_YET: c.BILL_CREATING,
    BillRefusal.NONE: c.BILL_NO_BILL,
    # Not documented for v2: v3 answers a bad-date error, so does this.
    BillRefusal.TOO_OLD: c.BILL_DATA_FORMAT_ERROR,
}
_V3_REFUSALS = {
    BillRefusal.NOT_YET: (c3.STATEMENT_CREATING, "账单生成中"),
    BillRefusal.NONE: (c3.NO_STATEMENT_EXIST, "请求的账单文件不存在"),
    BillRefusal.TOO_OLD: (c3.INVALID_REQUEST, "只能下载三个月以内的账单"),
}


def _v2_fail(return_msg: str) -> Response:
    body = write_fields(
        {
            c.RETURN_CODE: c.FAIL,
            c.RETURN_MSG: return_msg,
            c.BILL_ERROR_CODE: c.BILL_ERROR_CODE_VALUE,
        }
    )
    return Response(body, media_type=XML)


def _v2_protocol_msg(fail: ReturnFailError) -> str:
    text = fail.return_msg
    if text == "签名错误":
        return c.BILL_SIGN_ERROR
    if text.startswith("缺少参数") or text == "post数据为空":
        return c.BILL_MISSING_PARAMETER
    return c.BILL_DATA_FORMAT_ERROR


def _bill_type(value: str | None) -> BillType | None:
    try:
        return BillType(value or BillType.ALL)
    except ValueError:
        return None


def _day(value: str, pattern: re.Pattern[str], fmt: str) -> date | None:
    if not pattern.match(value):
        return None
    try:
        return datetime.strptime(value, fmt).replace(tzinfo=BEIJING).date()
    except ValueError:
        return None


def _compress(body: bytes) -> bytes:
    return gzip.compress(body, mtime=0)


def _v2_download(sandbox: Sandbox) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        faults = sandbox.faults
        if faults.latency_seconds:
            await asyncio.sleep(faults.latency_seconds)
        status = faults.http_5xx()
        if status is not None:
            return Response(b"<html><body>%d</body></html>" % status, status_code=status)
        if request.method != "POST":
            return _v2_fail(c.BILL_DATA_FORMAT_ERROR)
        try:
            body = await wire.read_capped(request)
            if body is None:
                raise ReturnFailError("XML格式错误")
            fields = wire.read_request(body, sandbox.merchant).fields
        except ReturnFailError as fail:
            return _v2_fail(_v2_protocol_msg(fail))
        if faults.systemerror():
            return _v2_fail(c.BILL_SYSTEMERROR)
        return _v2_answer(sandbox, fields)

    return endpoint


def _v2_answer(sandbox: Sandbox, fields: Mapping[str, str]) -> Response:
    if not fields.get("bill_date"):
        return _v2_fail(c.BILL_MISSING_PARAMETER)
    day = _day(fields["bill_date"], _V2_DATE, "%Y%m%d")
    tar_type = fields.get("tar_type", "")
    if day is None or tar_type not in ("", c.TAR_TYPE_GZIP):
        return _v2_fail(c.BILL_DATA_FORMAT_ERROR)
    bill_type = _bill_type(fields.get("bill_type"))
    if bill_type is None:
        # RECHARGE_REFUND is real, but the sandbox has no recharge coupons: never a bill.
        if fields.get("bill_type") == "RECHARGE_REFUND":
            return _v2_fail(c.BILL_NO_BILL)
        return _v2_fail(c.BILL_INVALID_TYPE)
    try:
        bill = sandbox.bills.bill(day, bill_type, sandbox.clock())
    except BillRefusalError as refused:
        return _v2_fail(_V2_REFUSALS[refused.refusal])
    if tar_type:
        return Response(_compress(bill), media_type=GZIP)
    return Response(bill, media_type=TEXT)


def _raw_url(request: Request) -> str:
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    return (path + (b"?" + query if query else b"")).decode("latin-1")


def _v3_endpoint(
    sandbox: Sandbox, handler: Callable[[Sandbox, Request], Response]
) -> Callable[[Request], Awaitable[Response]]:
    assert sandbox.v3 is not None
    v3 = sandbox.v3

    async def endpoint(request: Request) -> Response:
        faults = sandbox.faults
        if faults.latency_seconds:
            await asyncio.sleep(faults.latency_seconds)
        status = faults.http_5xx()
        if status is not None:
            return Response(b"<html><body>%d</body></html>" % status, status_code=status)
        requested = request.headers.get(c3.HEADER_SERIAL)
        try:
            check_signed_request(
                request.method,
                _raw_url(request),
                request.headers.get("authorization", ""),
                b"",
                v3.merchant,
                time.time(),
            )
            if faults.systemerror():
                raise V3FailError(500, c3.SYSTEM_ERROR, "系统繁忙，请稍后重试")
            return handler(sandbox, request)
        except V3FailError as failure:
            return answer(v3.platform, failure.status, failure.body(), requested)

    return endpoint


def _trade_bill(sandbox: Sandbox, request: Request) -> Response:
    assert sandbox.v3 is not None
    query = request.query_params
    if "bill_date" not in query:
        raise V3FailError(400, c3.PARAM_ERROR, "缺少参数bill_date")
    day = _day(query["bill_date"], _V3_DATE, "%Y-%m-%d")
    if day is None:
        raise V3FailError(400, c3.PARAM_ERROR, "bill_date格式错误，应为YYYY-MM-DD")
    bill_type = _bill_type(query.get("bill_type"))
    if bill_type is None:
        raise V3FailError(400, c3.PARAM_ERROR, "bill_type取值错误")
    tar_type = query.get("tar_type", "")
    if tar_type not in ("", c.TAR_TYPE_GZIP):
        raise V3FailError(400, c3.PARAM_ERROR, "tar_type取值错误")
    now = sandbox.clock()
    try:
        bill = sandbox.bills.bill(day, bill_type, now)
    except BillRefusalError as refused:
        code, message = _V3_REFUSALS[refused.refusal]
        raise V3FailError(400, code, message) from None
    gzipped = bool(tar_type)
    token = sandbox.bill_links.issue(_compress(bill) if gzipped else bill, gzipped, now)
    base = str(request.base_url).rstrip("/")
    payload = {
        "hash_type": c3.BILL_HASH_TYPE_SHA1,
        "hash_value": hashlib.sha1(bill, usedforsecurity=False).hexdigest(),
        "download_url": f"{base}{c3.PATH_BILL_DOWNLOAD}?token={token}",
    }
    return answer(sandbox.v3.platform, 200, payload, request.headers.get(c3.HEADER_SERIAL))


def _download(sandbox: Sandbox, request: Request) -> Response:
    link = sandbox.bill_links.take(request.query_params.get("token", ""), sandbox.clock())
    if link is None:
        raise V3FailError(400, c3.INVALID_REQUEST, "下载链接已失效，请重新申请账单")
    # No Wechatpay-Signature: the bill is checked by its hash (bills reference §3).
    headers = {c3.HEADER_REQUEST_ID: secrets.token_hex(12).upper()}
    return Response(link.body, media_type=GZIP if link.gzipped else TEXT, headers=headers)


def bill_routes(sandbox: Sandbox) -> list[Route]:
    routes = [Route(c.PATH_DOWNLOAD_BILL, _v2_download(sandbox), methods=["GET", "POST"])]
    if sandbox.v3 is not None:
        routes += [
            Route(c3.PATH_TRADE_BILL, _v3_endpoint(sandbox, _trade_bill), methods=["GET"]),
            Route(c3.PATH_BILL_DOWNLOAD, _v3_endpoint(sandbox, _download), methods=["GET"]),
        ]
    return routes
