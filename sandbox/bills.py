"""The daily trade bill (对账单) written from the sandbox's own ledger (bills reference §1, §4, §6).

One bill per Beijing day: a payment line for every order whose payment succeeded that day, a
refund line for every refund accepted that day (the original order's numbers, zero order
amounts, a negative fee, the refund status as it was when the bill was made, 09:00 the next
day). UTF-8 with a BOM, CRLF after every line, every value behind a backtick, the columns of
the current layout or, for a merchant that never enabled non-recharge coupons, the legacy one.
Ready from 10:00 the next day; only the last three months can be fetched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum, StrEnum

from payment.wechatpay.constants import BEIJING
from payment.wechatpay.types import RefundStatus
from sandbox.store import Order, Refund, Store
from sandbox.wire import Merchant

__all__ = [
    "BillRefusal",
    "BillRefusalError",
    "BillType",
    "Bills",
    "Layout",
    "available_at",
    "made_at",
]

BOM = "\ufeff"
CRLF = "\r\n"
FEE_PER_MILLE = 6
RATE_TEXT = "0.60%"
HISTORY_MONTHS = 3


class BillType(StrEnum):
    ALL = "ALL"
    SUCCESS = "SUCCESS"
    REFUND = "REFUND"


class Layout(StrEnum):
    CURRENT = "current"
    LEGACY = "legacy"
    """The pre-2018 24-column layout (no non-recharge coupons)."""


class BillRefusal(Enum):
    NOT_YET = "not_yet"
    NONE = "none"
    TOO_OLD = "too_old"


class BillRefusalError(Exception):
    def __init__(self, refusal: BillRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


_ALL_HEAD = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额"
)
_REFUND_COLUMNS = "微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态"
_TAIL = "商品名称,商户数据包,手续费,费率,订单金额"
_LEGACY_HEAD = (
    "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,总金额,代金券或立减优惠金额"
)
_LEGACY_REFUND = "微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态"
_LEGACY_TAIL = "商品名称,商户数据包,手续费,费率"
_SUMMARY_7 = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)
_LEGACY_SUMMARY = "总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额"

DETAIL_HEADERS: Mapping[tuple[Layout, BillType], str] = {
    (Layout.CURRENT, BillType.ALL): f"{_ALL_HEAD},{_REFUND_COLUMNS},{_TAIL},申请退款金额,费率备注",
    (Layout.CURRENT, BillType.SUCCESS): f"{_ALL_HEAD},{_TAIL},费率备注",
    (Layout.CURRENT, BillType.REFUND): (
        f"{_ALL_HEAD},退款申请时间,退款成功时间,{_REFUND_COLUMNS},{_TAIL},申请退款金额,费率备注"
    ),
    # The legacy ALL layout is the reference's; SUCCESS is roncoo-pay's 18 columns, REFUND is
    # ALL with the two times (as in the current layout): inferred.
    (Layout.LEGACY, BillType.ALL): f"{_LEGACY_HEAD},{_LEGACY_REFUND},{_LEGACY_TAIL}",
    (Layout.LEGACY, BillType.SUCCESS): f"{_LEGACY_HEAD},{_LEGACY_TAIL}",
    (Layout.LEGACY, BillType.REFUND): (
        f"{_LEGACY_HEAD},退款申请时间,退款成功时间,{_LEGACY_REFUND},{_LEGACY_TAIL}"
    ),
}
SUMMARY_HEADERS: Mapping[tuple[Layout, BillType], str] = {
    (Layout.CURRENT, BillType.ALL): _SUMMARY_7,
    (Layout.CURRENT, BillType.SUCCESS): "总交易单数,应结订单总金额,手续费总金额,订单总金额",
    (Layout.CURRENT, BillType.REFUND): _SUMMARY_7,
    **{(Layout.LEGACY, kind): _LEGACY_SUMMARY for kind in BillType},
}


def made_at(day: date) -> datetime:
    """When the bill of ``day`` is made: 09:00 Beijing time the next day."""
    return datetime.combine(day + timedelta(days=1), time(9), BEIJING)


def available_at(day: date) -> datetime:
    """From when it can be fetched: 10:00 the next day (bills reference §1)."""
    return datetime.combine(day + timedelta(days=1), time(10), BEIJING)


def oldest_day(today: date) -> date:
    """The first day still within the last three months (same day of the month, clamped)."""
    month = today.month - HISTORY_MONTHS
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in range(today.day, 0, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: day 1 exists in every month")


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def fee_text(fen: int) -> str:
    """Fees have five decimals: rounded to fen, padded with three zeros."""
    return yuan(fen) + "000"


def fee_of(fen: int) -> int:
    """The 0.60% fee of an amount, rounded half up to the fen."""
    return (fen * FEE_PER_MILLE + 500) // 1000


def free_text(text: str) -> str:
    """Merchant text as real bills show it: quotes backslash-escaped; line breaks would split
    the line, so they become spaces (what WeChat does with them is not documented)."""
    return text.replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def _day_of(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


def _time(moment: datetime | None) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


@dataclass(slots=True)
class Bills:
    store: Store
    merchant: Merchant
    layout: Layout = Layout.CURRENT
    billed_amounts: dict[str, int] = field(default_factory=dict)
    """Planted differences: out_trade_no → the amount (fen) its payment line carries."""

    def reset(self) -> None:
        self.layout = Layout.CURRENT
        self.billed_amounts.clear()

    def bill(self, day: date, bill_type: BillType, now: datetime) -> bytes:
        """The bill's bytes, or :class:`BillRefusalError` saying why there is none."""
        if day < oldest_day(_day_of(now)):
            raise BillRefusalError(BillRefusal.TOO_OLD)
        if now < available_at(day):
            raise BillRefusalError(BillRefusal.NOT_YET)
        lines = self._lines(day, bill_type)
        if not lines:
            raise BillRefusalError(BillRefusal.NONE)
        return self._render(lines, bill_type)

    def _lines(self, day: date, bill_type: BillType) -> list[dict[str, str]]:
        made = made_at(day)
        rows: list[tuple[datetime, dict[str, str]]] = []
        if bill_type is not BillType.REFUND:
            rows += (
                (o.time_end, self._payment(o))
                for o in self.store.orders.values()
                if o.paid and o.time_end is not None and _day_of(o.time_end) == day
            )
        if bill_type is not BillType.SUCCESS:
            rows += (
                (r.created_at, self._refund(r, made))
                for r in self.store.refunds.values()
                if _day_of(r.created_at) == day
            )
        rows.sort(key=lambda row: row[0])
        return [line for _, line in rows]

    def _common(self, order: Order, moment: datetime, line_type: str) -> dict[str, str]:
        return {
            "交易时间": _time(moment),
            "公众账号ID": self.merchant.appid,
            "商户号": self.merchant.mch_id,
            "特约商户号": "0",
            "子商户号": "0",
            "设备号": "",
            "微信订单号": order.transaction_id or "",
            "商户订单号": order.out_trade_no,
            "用户标识": order.openid or "",
            "交易类型": "NATIVE",
            "交易状态": line_type,
            "付款银行": order.bank_type,
            "货币种类": "CNY",
            "代金券金额": "0.00",
            "代金券或立减优惠金额": "0.00",
            "充值券退款金额": "0.00",
            "代金券或立减优惠退款金额": "0.00",
            "商品名称": free_text(order.body),
            "商户数据包": free_text(order.attach),
            "费率": RATE_TEXT,
            "费率备注": "",
        }

    def _payment(self, order: Order) -> dict[str, str]:
        assert order.time_end is not None
        amount = self.billed_amounts.get(order.out_trade_no, order.total_fee)
        return self._common(order, order.time_end, "SUCCESS") | {
            "应结订单金额": yuan(amount),
            "总金额": yuan(amount),
            "订单金额": yuan(amount),
            "微信退款单号": "0",
            "商户退款单号": "0",
            "退款金额": "0.00",
            "申请退款金额": "0.00",
            "退款类型": "",
            "退款状态": "",
            "手续费": fee_text(fee_of(amount)),
        }

    def _refund(self, refund: Refund, made: datetime) -> dict[str, str]:
        order = self.store.orders[refund.out_trade_no]
        succeeded = refund.success_time is not None and refund.success_time <= made
        status = RefundStatus.SUCCESS if succeeded else RefundStatus.PROCESSING
        return self._common(order, refund.created_at, "REFUND") | {
            "应结订单金额": "0.00",
            "总金额": "0.00",
            "订单金额": "0.00",
            "退款申请时间": _time(refund.created_at),
            "退款成功时间": _time(refund.success_time) if succeeded else "",
            "微信退款单号": refund.refund_id,
            "商户退款单号": refund.out_refund_no,
            "退款金额": yuan(refund.refund_fee),
            "申请退款金额": yuan(refund.refund_fee),
            "退款类型": "ORIGINAL",
            "退款状态": status.value,
            "手续费": fee_text(-fee_of(refund.refund_fee)),
        }

    def _render(self, lines: list[dict[str, str]], bill_type: BillType) -> bytes:
        header = DETAIL_HEADERS[self.layout, bill_type]
        columns = header.split(",")
        out = [BOM + header]
        out += (_ticked(line[name] for name in columns) for line in lines)
        summary_header = SUMMARY_HEADERS[self.layout, bill_type]
        totals = _totals(lines)
        out += [summary_header, _ticked(totals[name] for name in summary_header.split(","))]
        return "".join(line + CRLF for line in out).encode()


def _ticked(values: Iterable[str]) -> str:
    return ",".join("`" + value for value in values)


def _fen(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    whole, _, cents = text.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int(cents[:2]))


def _totals(lines: list[dict[str, str]]) -> dict[str, str]:
    def total(name: str) -> int:
        return sum(_fen(line[name]) for line in lines)

    settled, refunded, fee = total("应结订单金额"), total("退款金额"), total("手续费")
    return {
        "总交易单数": str(len(lines)),
        "应结订单总金额": yuan(settled),
        "总交易额": yuan(settled),
        "退款总金额": yuan(refunded),
        "总退款金额": yuan(refunded),
        "充值券退款总金额": "0.00",
        "总代金券或立减优惠退款金额": "0.00",
        "手续费总金额": fee_text(fee),
        "订单总金额": yuan(total("订单金额")),
        "申请退款总金额": yuan(total("申请退款金额")),
    }
