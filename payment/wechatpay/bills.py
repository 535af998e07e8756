"""The trade bill (对账单) as WeChat writes it, read and checked (bills reference §4, §6).

The same text in v2's answer and v3's download: UTF-8 (a BOM first), CRLF or LF, a detail
header, detail lines whose every value follows a backtick, a summary header and a summary line.
Columns are found by their header names, never by position: the current 27/20/29-column
layouts and the legacy 24-column one read alike. Every total in the summary must equal the sum
of its column over the lines, and the count the number of lines, or the whole bill is refused
(:class:`BillTotalsError`); anything else unreadable is :class:`BillFormatError`. Amounts are
integer fen, parsed from the text (never through a float).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from payment.wechatpay.constants import BEIJING
from payment.wechatpay.errors import BillDigestError, BillFormatError, BillTotalsError

__all__ = [
    "GZIP_MAGIC",
    "MAX_BILL_BYTES",
    "BillLine",
    "BillTotals",
    "BillType",
    "TradeBill",
    "check_sha1",
    "gunzip",
    "parse_bill",
]

MAX_BILL_BYTES = 512 * 1024 * 1024
"""A bill larger than this (after gunzip) is refused rather than held in memory."""
BOM = "\ufeff"
GZIP_MAGIC = b"\x1f\x8b"
TICK = "`"
_YUAN = re.compile(r"(-?)(\d{1,13})\.(\d\d)\Z")
_FEE = re.compile(r"(-?)(\d{1,13})\.(\d\d)000\Z")
_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\Z")


class BillType(StrEnum):
    ALL = "ALL"
    SUCCESS = "SUCCESS"
    REFUND = "REFUND"


@dataclass(frozen=True, slots=True)
class BillLine:
    """One detail line. ``line_type`` is the line's kind (SUCCESS income, REFUND, REVOKED), not
    the order's state; on a refund line the order numbers are the original order's and the
    order amounts are zero."""

    trade_time: datetime
    """Payment success, or refund acceptance, time (Beijing time, aware)."""
    appid: str
    mch_id: str
    sub_mch_id: str
    transaction_id: str
    out_trade_no: str
    openid: str
    trade_type: str
    line_type: str
    bank_type: str
    currency: str
    settlement_total_fen: int
    coupon_fen: int
    refund_id: str
    out_refund_no: str
    refund_fen: int
    refund_type: str
    refund_status: str
    """As of when the bill was made: query the refund for its final state."""
    body: str
    attach: str
    fee_fen: int
    """Negative on refund lines (the fee returned)."""
    rate: str
    order_total_fen: int
    refund_requested_fen: int


@dataclass(frozen=True, slots=True)
class BillTotals:
    lines: int
    settlement_total_fen: int
    refund_fen: int
    fee_fen: int
    order_total_fen: int
    refund_requested_fen: int


@dataclass(frozen=True, slots=True)
class TradeBill:
    bill_date: date
    bill_type: BillType
    lines: tuple[BillLine, ...]
    totals: BillTotals
    sha1: str
    """The SHA-1 of the uncompressed bill (v3's hash_value; for v2, computed here)."""


# Canonical name → the header names that carry it, current first.
_TEXT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "appid": ("公众账号ID",),
    "mch_id": ("商户号",),
    "sub_mch_id": ("特约商户号", "子商户号"),
    "transaction_id": ("微信订单号",),
    "out_trade_no": ("商户订单号",),
    "openid": ("用户标识",),
    "trade_type": ("交易类型",),
    "line_type": ("交易状态",),
    "bank_type": ("付款银行",),
    "currency": ("货币种类",),
    "refund_id": ("微信退款单号",),
    "out_refund_no": ("商户退款单号",),
    "refund_type": ("退款类型",),
    "refund_status": ("退款状态",),
    "body": ("商品名称",),
    "attach": ("商户数据包",),
    "rate": ("费率",),
}
_AMOUNT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "settlement_total_fen": ("应结订单金额", "总金额"),
    "coupon_fen": ("代金券金额", "代金券或立减优惠金额", "企业红包金额"),
    "refund_fen": ("退款金额",),
    "order_total_fen": ("订单金额", "总金额"),
    "refund_requested_fen": ("申请退款金额", "退款金额"),
}
_REQUIRED = ("交易时间", "微信订单号", "商户订单号", "交易状态", "手续费")
_SUMMARY_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "settlement_total_fen": ("应结订单总金额", "总交易额"),
    "refund_fen": ("退款总金额", "总退款金额"),
    "fee_fen": ("手续费总金额",),
    "order_total_fen": ("订单总金额",),
    "refund_requested_fen": ("申请退款总金额",),
}
_COUNT = "总交易单数"
_FREE_TEXT = frozenset({"商品名称", "商户数据包"})


def gunzip(data: bytes, max_bytes: int = MAX_BILL_BYTES) -> bytes:
    """The gzip stream's content, refused (BillFormatError) if broken or over ``max_bytes``."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as error:
        raise BillFormatError("BILL_FORMAT", f"not a gzip stream: {error}") from None
    if len(out) > max_bytes:
        raise BillFormatError("BILL_FORMAT", f"the bill is over {max_bytes} bytes")
    if not inflater.eof:
        raise BillFormatError("BILL_FORMAT", "the gzip stream is truncated")
    return out


def check_sha1(bill: bytes, expected: str) -> str:
    """The bill's SHA-1 if it is ``expected`` (hex, any case), else BillDigestError."""
    actual = hashlib.sha1(bill, usedforsecurity=False).hexdigest()
    if actual != expected.lower():
        raise BillDigestError("BILL_DIGEST", f"SHA-1 {actual} is not the announced {expected}")
    return actual


def _fail(message: str) -> BillFormatError:
    return BillFormatError("BILL_FORMAT", message[:300])


def _fen(text: str, pattern: re.Pattern[str] = _YUAN) -> int:
    matched = pattern.match(text)
    if matched is None:
        raise _fail(f"not an amount in yuan: {text!r}")
    sign, whole, cents = matched.groups()
    fen = int(whole) * 100 + int(cents)
    return -fen if sign else fen


def _values(line: str, width: int, where: str) -> list[str]:
    if not line.startswith(TICK):
        raise _fail(f"{where}: a value does not start with a backtick")
    # Values are joined by ",`": a comma inside merchant text does not split them.
    values = line[1:].split("," + TICK)
    if len(values) != width:
        raise _fail(f"{where}: {len(values)} values under {width} columns")
    return values


def _unescape(text: str) -> str:
    return text.replace('\\"', '"')


def _columns(header: str) -> dict[str, int]:
    names = header.split(",")
    index = {name.strip(): n for n, name in enumerate(names)}
    if len(index) != len(names) or "" in index:
        raise _fail("the header repeats or omits a column name")
    return index


def _pick(index: Mapping[str, int], names: Sequence[str]) -> int | None:
    return next((index[name] for name in names if name in index), None)


def _time(text: str) -> datetime:
    if not _TIME.match(text):
        raise _fail(f"not a time: {text!r}")
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        raise _fail(f"no such time: {text!r}") from None


class _LineReader:
    def __init__(self, header: str) -> None:
        self.index = _columns(header)
        missing = [name for name in _REQUIRED if name not in self.index]
        if missing:
            raise _fail(f"the header has no {', '.join(missing)}")
        if _pick(self.index, _AMOUNT_COLUMNS["settlement_total_fen"]) is None:
            raise _fail("the header has no settlement amount (应结订单金额 or 总金额)")
        self.text = {key: _pick(self.index, names) for key, names in _TEXT_COLUMNS.items()}
        self.amounts = {key: _pick(self.index, names) for key, names in _AMOUNT_COLUMNS.items()}
        self.width = len(self.index)

    def read(self, line: str, number: int) -> BillLine:
        values = _values(line, self.width, f"line {number}")

        def text(key: str) -> str:
            at = self.text[key]
            return "" if at is None else values[at]

        def amount(key: str) -> int:
            at = self.amounts[key]
            return 0 if at is None else _fen(values[at])

        return BillLine(
            trade_time=_time(values[self.index["交易时间"]]),
            appid=text("appid"),
            mch_id=text("mch_id"),
            sub_mch_id=text("sub_mch_id"),
            transaction_id=text("transaction_id"),
            out_trade_no=text("out_trade_no"),
            openid=text("openid"),
            trade_type=text("trade_type"),
            line_type=text("line_type"),
            bank_type=text("bank_type"),
            currency=text("currency"),
            settlement_total_fen=amount("settlement_total_fen"),
            coupon_fen=amount("coupon_fen"),
            refund_id=text("refund_id"),
            out_refund_no=text("out_refund_no"),
            refund_fen=amount("refund_fen"),
            refund_type=text("refund_type"),
            refund_status=text("refund_status"),
            body=_unescape(text("body")),
            attach=_unescape(text("attach")),
            fee_fen=_fen(values[self.index["手续费"]], _FEE),
            rate=text("rate"),
            order_total_fen=amount("order_total_fen"),
            refund_requested_fen=amount("refund_requested_fen"),
        )


def _sum(lines: Sequence[BillLine], key: str) -> int:
    return sum(getattr(line, key) for line in lines)


def _check_summary(header: str, line: str, lines: Sequence[BillLine]) -> BillTotals:
    index = _columns(header)
    if _COUNT not in index:
        raise _fail("the summary header has no 总交易单数")
    values = _values(line, len(index), "the summary")
    count_text = values[index[_COUNT]]
    if not count_text.isdigit():
        raise _fail(f"总交易单数 is not a count: {count_text!r}")
    if int(count_text) != len(lines):
        raise BillTotalsError("BILL_TOTALS", f"总交易单数 {count_text}, but {len(lines)} lines")
    totals = {key: _sum(lines, key) for key in _SUMMARY_COLUMNS}
    for key, names in _SUMMARY_COLUMNS.items():
        at = _pick(index, names)
        if at is None:
            continue
        stated = _fen(values[at], _FEE if key == "fee_fen" else _YUAN)
        if stated != totals[key]:
            raise BillTotalsError(
                "BILL_TOTALS", f"{names[0]} says {stated} fen, the lines sum to {totals[key]}"
            )
    return BillTotals(lines=len(lines), **totals)


def parse_bill(raw: bytes, bill_date: date, bill_type: BillType) -> TradeBill:
    """The checked bill from its uncompressed bytes; BillFormatError / BillTotalsError else."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail("the bill is not UTF-8") from None
    rows = text.removeprefix(BOM).replace("\r\n", "\n").split("\n")
    while rows and not rows[-1].strip():
        rows.pop()
    if len(rows) < 3:
        raise _fail(f"{len(rows)} lines: a bill has a header, a summary header and a summary")
    reader = _LineReader(rows[0])
    details = rows[1:-2]
    summary_header, summary_line = rows[-2], rows[-1]
    if summary_header.startswith(TICK):
        raise _fail("no summary header before the last line")
    lines = tuple(reader.read(row, n) for n, row in enumerate(details, start=2))
    totals = _check_summary(summary_header, summary_line, lines)
    digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
    return TradeBill(bill_date, bill_type, lines, totals, digest)
