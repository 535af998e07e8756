"""Field checks WeChat makes on v2 requests (reference §1.3, §3)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from urllib.parse import urlsplit

from payment.wechatpay import constants as c
from sandbox.failures import BusinessFailError, ReturnFailError
from sandbox.formats import FormatError, parse_beijing_compact, parse_fen

__all__ = [
    "amount",
    "check_ip",
    "check_notify_url",
    "check_out_refund_no",
    "check_out_trade_no",
    "check_text",
    "optional_time",
    "require",
]

_OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}\Z")
_OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}\Z")


def require(fields: Mapping[str, str], names: Iterable[str]) -> None:
    for name in names:
        if not fields.get(name):
            raise ReturnFailError(f"缺少参数{name}")


def _param_error(message: str) -> BusinessFailError:
    return BusinessFailError(c.PARAM_ERROR, message)


def amount(fields: Mapping[str, str], name: str) -> int:
    try:
        value = parse_fen(fields[name])
    except FormatError:
        raise _param_error(f"{name}参数格式错误") from None
    if value < 1:
        raise _param_error(f"{name}参数错误：至少1分")
    return value


def check_out_trade_no(value: str) -> None:
    if not _OUT_TRADE_NO.match(value):
        raise _param_error("out_trade_no参数格式错误：6-32个字符，只能是数字、大小写字母_-|*")


def check_out_refund_no(value: str) -> None:
    if not _OUT_REFUND_NO.match(value):
        raise _param_error("out_refund_no参数格式错误")


def check_text(fields: Mapping[str, str], name: str, max_bytes: int) -> None:
    if len(fields.get(name, "").encode()) > max_bytes:
        raise _param_error(f"{name}参数长度有误：最多{max_bytes}字节")


def check_ip(value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise _param_error("spbill_create_ip参数格式错误") from None


def check_notify_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise _param_error("notify_url参数格式错误：须为完整的http(s)地址")
    if parts.query:
        raise _param_error("notify_url不能携带参数")


def optional_time(fields: Mapping[str, str], name: str) -> datetime | None:
    value = fields.get(name, "")
    if not value:
        return None
    try:
        return parse_beijing_compact(value)
    except FormatError:
        raise _param_error(f"{name}时间格式错误：yyyyMMddHHmmss") from None
